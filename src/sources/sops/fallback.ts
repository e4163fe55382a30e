/**
 * Key types we cannot use natively fall back to the real sops binary, if it is on PATH:
 * `sops decrypt --output-type json FILE` for tree formats (first document only, which is all
 * a reference can select) and `sops decrypt FILE` for binary files. sops checks the MAC itself.
 */
import { promisify } from "node:util";
import type { SopsFormat } from "./formats/index.js";
import { parseSopsJsonOutput } from "./formats/json.js";
import type { MapNode } from "./tree.js";

const MAX_OUTPUT = 64 * 1024 * 1024;

export class SopsBinaryMissing extends Error {
  override readonly name = "SopsBinaryMissing";
}

export class SopsBinaryFailed extends Error {
  override readonly name = "SopsBinaryFailed";
}

export async function decryptWithSopsBinary(
  path: string,
  format: SopsFormat,
  env: NodeJS.ProcessEnv,
): Promise<{ bytes: Buffer } | { document: MapNode }> {
  const args = format === "binary" ? ["decrypt", path] : ["decrypt", "--output-type", "json", path];
  // Loaded on first use: most processes never spawn sops, and child_process costs a cold start.
  const run = promisify((await import("node:child_process")).execFile);
  let stdout: Buffer;
  try {
    ({ stdout } = await run("sops", args, { env, encoding: "buffer", maxBuffer: MAX_OUTPUT }));
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: Buffer };
    if (failure.code === "ENOENT") throw new SopsBinaryMissing("sops is not on PATH");
    // sops' stderr names keys and files, not values; keep only its last line.
    const last = failure.stderr?.toString("utf8").trim().split("\n").pop() ?? "";
    throw new SopsBinaryFailed(`sops exited with an error: ${last}`);
  }
  if (format === "binary") return { bytes: stdout };
  const document = parseSopsJsonOutput(stdout.toString("utf8"));
  if (document.kind !== "map") throw new SopsBinaryFailed("sops printed no JSON object");
  return { document };
}
