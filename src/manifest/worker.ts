/** Worker thread entry of parallel.ts: checks the files it claims and posts the plain result back. */
import { parentPort, workerData } from "node:worker_threads";
import { checkClaimedFiles, type WorkerRequest } from "./parallel";

checkClaimedFiles(workerData as WorkerRequest).then((checked) => parentPort?.postMessage(checked));
