import { availableParallelism } from "node:os";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { checkFiles, type FileCheck } from "./check-file";

/** Below this many files a worker's start-up (loading yaml and ajv, compiling the schema) costs more than it saves. */
const FILES_PER_EXTRA_THREAD = 500;

export interface WorkerRequest {
  files: string[];
  rootDir: string;
}

/**
 * Checks files on every core: YAML parsing dominates validation and is single-threaded, so
 * large manifest sets are split into one chunk per thread, the calling thread taking one.
 * Workers run compiled JavaScript only (under a TypeScript test runner everything stays in-process).
 */
export async function checkFilesInParallel(
  files: string[],
  rootDir: string,
): Promise<ReturnType<typeof checkFiles>> {
  const workerScript = path.join(__dirname, "worker.js");
  const threads = __filename.endsWith(".js")
    ? Math.min(availableParallelism(), Math.floor(files.length / FILES_PER_EXTRA_THREAD) + 1)
    : 1;
  const chunks = Array.from({ length: threads }, (_, t) => files.filter((_, i) => i % threads === t));
  const [own = [], ...others] = chunks;
  // Workers first: checking our own chunk holds this thread until it is done.
  const inWorkers = others.map((chunk) => inWorker(workerScript, { files: chunk, rootDir }));
  const results = [checkFiles(own, rootDir), ...(await Promise.all(inWorkers))];
  return {
    checks: results.flatMap((r) => r.checks).sort((a, b) => (a.absPath < b.absPath ? -1 : 1)),
    errors: results.flatMap((r) => r.errors),
  };
}

function inWorker(script: string, request: WorkerRequest): Promise<ReturnType<typeof checkFiles>> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(script, { workerData: request });
    worker.once("message", (result: { checks: FileCheck[]; errors: FileCheck["errors"] }) => resolve(result));
    worker.once("error", reject);
    worker.once("exit", (code) => {
      if (code !== 0) reject(new Error(`manifest worker exited with code ${code}`));
    });
  });
}
