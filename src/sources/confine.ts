/**
 * Reads stay in the project: a reference names a file under the project root, never an
 * absolute path, a `..` that climbs out of the root, or a symlink that leads out of it.
 * A manifest in a pull request could otherwise read (or probe for) any file on the CI
 * runner and push its content into a secret the pull request names. Same default as
 * kustomize's LoadRestrictionsRootOnly; monorepos opt out explicitly.
 */
import { readlink, realpath } from "node:fs/promises";
import * as path from "node:path";

export type OutsideRootProblem = "absolute" | "escapes" | "symlink";

/** The file is outside the project root; the message (a predicate: "<field> is an absolute path") names the rule, not the path. */
export class OutsideRootError extends Error {
  override readonly name = "OutsideRootError";
  constructor(readonly problem: OutsideRootProblem) {
    super(OUTSIDE_ROOT_MESSAGES[problem]);
  }
}

const OUTSIDE_ROOT_MESSAGES: Record<OutsideRootProblem, string> = {
  absolute: "is an absolute path; references must stay inside the project root",
  escapes: "climbs out of the project root with `..`",
  symlink: "leads out of the project root through a symlink",
};

export const OUTSIDE_ROOT_HINT =
  "keep referenced files inside the project, or opt out explicitly: `validate --allow-outside-root`, Pulumi config `secret-manifests:allowReadsOutsideRoot: true`";

export interface ConfineOptions {
  /** Absolute project root. */
  rootDir: string;
  /** The user's explicit opt-out. */
  allowOutsideRoot?: boolean;
}

/**
 * The absolute path to read for a reference's file (absolute, or relative to the root), or
 * an OutsideRootError. A file that does not exist inside the root passes: whoever reads it
 * reports that.
 */
export async function confinedPath(file: string, opts: ConfineOptions): Promise<string> {
  const absolute = path.resolve(opts.rootDir, file);
  if (opts.allowOutsideRoot) return absolute;
  if (path.isAbsolute(file)) throw new OutsideRootError("absolute");
  if (!isInside(opts.rootDir, absolute)) throw new OutsideRootError("escapes");
  const [target, realRoot] = await Promise.all([realTarget(absolute), realpath(opts.rootDir)]);
  if (!isInside(realRoot, target)) throw new OutsideRootError("symlink");
  return absolute;
}

function isInside(root: string, target: string): boolean {
  const relative = path.relative(root, target);
  return (
    relative === "" ||
    (!relative.startsWith(`..${path.sep}`) && relative !== ".." && !path.isAbsolute(relative))
  );
}

/**
 * Where the path really leads. For a path that does not resolve (a missing file, or a
 * dangling symlink), where it would lead: otherwise "does not exist" against "leads out"
 * would tell a pull request whether a file outside the root exists.
 */
async function realTarget(file: string): Promise<string> {
  try {
    return await realpath(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    const link = await readlink(file).catch(() => undefined);
    const parent = await realTarget(path.dirname(file));
    return link === undefined ? path.join(parent, path.basename(file)) : path.resolve(parent, link);
  }
}
