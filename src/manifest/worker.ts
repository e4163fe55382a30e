/** Worker thread entry of parallel.ts: checks its chunk of files and posts the plain result back. */
import { parentPort, workerData } from "node:worker_threads";
import { checkFiles } from "./check-file";
import type { WorkerRequest } from "./parallel";

const { files, rootDir } = workerData as WorkerRequest;
parentPort?.postMessage(checkFiles(files, rootDir));
