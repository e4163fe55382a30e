/**
 * The project root: the folder of Pulumi.yaml, from which manifest and sops paths
 * resolve. Not the working directory: with `main:` in Pulumi.yaml, Pulumi runs the
 * program, and starts the provider process, in main's folder.
 */
import path from "node:path";

/**
 * The language host hands the root to the program (PULUMI_NODEJS_ROOT_DIRECTORY, what
 * `pulumi.runtime.getRootDirectory()` reads) and the engine to providers
 * (PULUMI_ROOT_DIRECTORY). A program run some other way (an Automation API inline
 * program) gets neither and runs in its project folder.
 */
export function projectRoot(env: NodeJS.ProcessEnv = process.env): string {
  const root = env.PULUMI_NODEJS_ROOT_DIRECTORY || env.PULUMI_ROOT_DIRECTORY;
  return root && path.isAbsolute(root) ? root : process.cwd();
}
