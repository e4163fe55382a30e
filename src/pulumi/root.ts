/**
 * The project root: the folder of Pulumi.yaml, from which manifest and sops paths
 * resolve. Not the working directory: with `main:` in Pulumi.yaml, Pulumi runs the
 * program, and starts the provider process, in main's folder.
 */
import { existsSync } from "node:fs";
import path from "node:path";

const PROJECT_FILES = ["Pulumi.yaml", "Pulumi.yml"];

/**
 * The language host names the root to the program (PULUMI_NODEJS_ROOT_DIRECTORY, what
 * `pulumi.runtime.getRootDirectory()` reads). The engine names it to no provider, so the
 * provider, started in the program's folder, takes the nearest folder above it that holds
 * Pulumi.yaml, as the CLI finds its project. An Automation API inline program runs in its
 * project folder.
 */
export function projectRoot(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  const named = env.PULUMI_NODEJS_ROOT_DIRECTORY;
  if (named && path.isAbsolute(named)) return named;
  return enclosingProject(cwd) ?? cwd;
}

function enclosingProject(from: string): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (PROJECT_FILES.some((f) => existsSync(path.join(dir, f)))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}
