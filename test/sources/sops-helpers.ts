/** Shared helpers for the sops tests: the TEST-ONLY key, fixture paths, and the real sops binary. */
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";

export const FIXTURES = resolve(__dirname, "../fixtures/sops");
export const TEST_KEY_FILE = join(FIXTURES, "TEST-ONLY-age-key.txt");
/** Only the test key; HOME points nowhere so a developer's own keys.txt can never be used. */
export const TEST_ENV: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: "/nonexistent",
  SOPS_AGE_KEY_FILE: TEST_KEY_FILE,
};

export const EXAMPLES = resolve(__dirname, "../../examples/secrets");
export const DEMO_ENV: NodeJS.ProcessEnv = {
  ...TEST_ENV,
  SOPS_AGE_KEY_FILE: join(EXAMPLES, "DEMO-ONLY-age-key.txt"),
};

/** Every committed sops file with the environment holding its key. */
export function fixtureFiles(): Array<[path: string, env: NodeJS.ProcessEnv]> {
  const encrypted = (dir: string) =>
    readdirSync(dir)
      .filter((name) => name.includes(".enc."))
      .sort()
      .map((name) => join(dir, name));
  return [
    ...encrypted(FIXTURES).map((path): [string, NodeJS.ProcessEnv] => [path, TEST_ENV]),
    ...encrypted(EXAMPLES).map((path): [string, NodeJS.ProcessEnv] => [path, DEMO_ENV]),
  ];
}

/** Runs the real sops; a missing binary fails the test with instructions (never a skip). */
export function realSops(args: string[], env: NodeJS.ProcessEnv = TEST_ENV): Buffer {
  try {
    return execFileSync("sops", args, {
      env,
      maxBuffer: 64 * 1024 * 1024,
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new Error(
        "the real sops binary is not on PATH: run scripts/setup, then the tests via scripts/with-tools",
      );
    }
    throw error;
  }
}
