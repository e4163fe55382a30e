import { availableParallelism } from "node:os";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { checkFiles, type FileCheck } from "./check-file";
import { loadFastYaml } from "./fast-yaml";

/** Below this many files a worker's start-up (loading yaml and ajv, compiling the schema) costs more than it saves. */
const FILES_PER_EXTRA_THREAD = 500;
/** Files a thread claims at a time: small enough to even out, large enough that claiming costs nothing. */
const FILES_PER_CLAIM = 100;

type Checked = ReturnType<typeof checkFiles>;

export interface WorkerRequest {
  files: string[];
  rootDir: string;
  /** Index of the next unclaimed file, shared by every thread (a SharedArrayBuffer). */
  nextFile: Int32Array;
}

/**
 * Checks files on every core: YAML parsing dominates validation and is single-threaded.
 * Threads claim files a hundred at a time from one shared counter, so a thread that
 * started late (a worker loads yaml and ajv and compiles the schema first) or has more to
 * do (the calling thread) simply claims fewer: no thread waits for another.
 * Workers run compiled JavaScript only (under a TypeScript test runner everything stays in-process).
 */
export async function checkFilesInParallel(files: string[], rootDir: string): Promise<Checked> {
  const workerScript = path.join(__dirname, "worker.js");
  const threads = __filename.endsWith(".js")
    ? Math.min(availableParallelism(), Math.floor(files.length / FILES_PER_EXTRA_THREAD) + 1)
    : 1;
  const request: WorkerRequest = { files, rootDir, nextFile: new Int32Array(new SharedArrayBuffer(4)) };
  // Workers first: checking our own claims holds this thread until the files run out.
  const inWorkers = Array.from({ length: threads - 1 }, () => inWorker(workerScript, request));
  const results = [await checkClaimedFiles(request), ...(await Promise.all(inWorkers))];
  return {
    checks: results.flatMap((r) => r.checks).sort((a, b) => (a.absPath < b.absPath ? -1 : 1)),
    errors: results.flatMap((r) => r.errors),
  };
}

/** Claims and checks files until none are left; the same loop in every thread. */
export async function checkClaimedFiles({ files, rootDir, nextFile }: WorkerRequest): Promise<Checked> {
  const fastYaml = await loadFastYaml();
  const checked: Checked = { checks: [], errors: [] };
  for (;;) {
    const start = Atomics.add(nextFile, 0, FILES_PER_CLAIM);
    if (start >= files.length) return checked;
    const { checks, errors } = checkFiles(files.slice(start, start + FILES_PER_CLAIM), rootDir, fastYaml);
    checked.checks.push(...checks);
    checked.errors.push(...errors);
  }
}

function inWorker(script: string, request: WorkerRequest): Promise<Checked> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(script, { workerData: request });
    worker.once("message", (result: { checks: FileCheck[]; errors: FileCheck["errors"] }) => resolve(result));
    worker.once("error", reject);
    worker.once("exit", (code) => {
      if (code !== 0) reject(new Error(`manifest worker exited with code ${code}`));
    });
  });
}
