import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { CliIO } from "../../src/cli/command";
import { main } from "../../src/cli/main";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** A CliIO that keeps what a command prints. */
export function captureIO(cwd: string) {
  let stdout = "";
  let stderr = "";
  const io: CliIO = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    cwd,
  };
  return { ...io, out: () => stdout, err: () => stderr, all: () => stdout + stderr };
}

/** Runs the CLI in-process from `cwd`; returns its exit code and what it printed. */
export async function runCli(args: string[], cwd: string, stderrIsTTY = false) {
  const io = captureIO(cwd);
  const code = await main(args, { ...io, stderrIsTTY });
  return { code, stdout: io.out(), stderr: io.err() };
}

/**
 * Compiles the CLI and only what it imports into a package-shaped folder
 * (dist/ + schemas/ + package.json) under node_modules/.cache, so the test runs the
 * real compiled binary without racing other builds of dist/ or depending on unrelated
 * modules compiling. Returns the path of the compiled bin.
 */
export function buildCli(): string {
  const out = path.join(REPO_ROOT, "node_modules", ".cache", `secret-manifests-cli-test-${process.pid}`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const tsconfig = {
    extends: path.join(REPO_ROOT, "tsconfig.build.json"),
    compilerOptions: {
      rootDir: path.join(REPO_ROOT, "src"),
      outDir: path.join(out, "dist"),
      declaration: false,
    },
    // The worker thread entry is loaded by path, not imported, so it is listed too.
    files: [
      path.join(REPO_ROOT, "src", "cli", "main.ts"),
      path.join(REPO_ROOT, "src", "manifest", "worker.ts"),
    ],
    include: [],
  };
  writeFileSync(path.join(out, "tsconfig.json"), JSON.stringify(tsconfig));
  execFileSync(
    process.execPath,
    [require.resolve("typescript/bin/tsc"), "-p", path.join(out, "tsconfig.json")],
    {
      stdio: "pipe",
    },
  );
  cpSync(path.join(REPO_ROOT, "schemas"), path.join(out, "schemas"), { recursive: true });
  cpSync(path.join(REPO_ROOT, "package.json"), path.join(out, "package.json"));
  // As scripts/build does: these tests then run the precompiled schema validator.
  execFileSync(process.execPath, [
    path.join(REPO_ROOT, "scripts/lib/precompile-schema.cjs"),
    path.join(out, "dist"),
  ]);
  return path.join(out, "dist", "cli", "main.js");
}

export function removeBuild(bin: string): void {
  rmSync(path.resolve(bin, "..", "..", ".."), { recursive: true, force: true });
}
