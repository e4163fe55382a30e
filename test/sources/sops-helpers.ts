/** Shared helpers for the sops tests: the TEST-ONLY key, fixture paths, and the real sops binary. */
import { execFileSync } from "node:child_process";
import { accessSync, constants, readdirSync } from "node:fs";
import { basename, delimiter, join, relative, resolve } from "node:path";

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

/** The folder of the files sops 3.8.1 wrote, next to those of the current release. */
export const OLD_RELEASE_DIR = "sops-3.8.1";
/** Fixtures edited by one line (generate.sh `derive_all`), which sops accepts or refuses. */
export const DERIVED_DIR = "derived";
/** What the real sops printed for each fixture (test/fixtures/sops/generate.sh). */
export const EXPECTED = join(FIXTURES, "expected");

export interface Fixture {
  path: string;
  env: NodeJS.ProcessEnv;
  /** The expected output's path without its suffix (.json, .out or .refused). */
  expected: string;
}

/** Every committed sops file with the environment holding its key. */
export function fixtureFiles(): Fixture[] {
  const encrypted = (dir: string) =>
    readdirSync(dir)
      .filter((name) => name.includes(".enc."))
      .sort()
      .map((name) => join(dir, name));
  const fromFixtures = (path: string): Fixture => ({
    path,
    env: TEST_ENV,
    expected: join(EXPECTED, relative(FIXTURES, path)),
  });
  return [
    ...encrypted(FIXTURES).map(fromFixtures),
    ...encrypted(join(FIXTURES, OLD_RELEASE_DIR)).map(fromFixtures),
    ...encrypted(join(FIXTURES, DERIVED_DIR)).map(fromFixtures),
    ...encrypted(EXAMPLES).map((path) => ({
      path,
      env: DEMO_ENV,
      expected: join(EXPECTED, "examples", basename(path)),
    })),
  ];
}

/** True when a `sops` executable is on PATH (looked up without running it). */
export function sopsOnPath(): boolean {
  return (process.env.PATH ?? "").split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, "sops"), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
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
