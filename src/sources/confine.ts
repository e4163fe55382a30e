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
 * reports that. Concurrent checks of one file (a thousand references into it) share one.
 */
export function confinedPath(file: string, opts: ConfineOptions): Promise<string> {
  const key = `${opts.rootDir}\0${file}\0${opts.allowOutsideRoot === true}`;
  let pending = inFlight.get(key);
  if (!pending) {
    pending = checkConfined(file, opts);
    inFlight.set(key, pending);
    const forget = () => inFlight.delete(key);
    pending.then(forget, forget);
  }
  return pending;
}

const inFlight = new Map<string, Promise<string>>();

async function checkConfined(file: string, opts: ConfineOptions): Promise<string> {
  const absolute = path.resolve(opts.rootDir, file);
  if (opts.allowOutsideRoot) return absolute;
  if (path.isAbsolute(file)) throw new OutsideRootError("absolute");
  if (!isInside(opts.rootDir, absolute)) throw new OutsideRootError("escapes");
  const [target, root] = await Promise.all([realTarget(absolute), realRootOf(opts.rootDir)]);
  if (!isInside(root, target)) throw new OutsideRootError("symlink");
  return absolute;
}

/** A project root does not move while the process runs: resolve it once, not once per reference. */
const realRoots = new Map<string, Promise<string>>();

function realRootOf(rootDir: string): Promise<string> {
  let pending = realRoots.get(rootDir);
  if (!pending) {
    pending = realpath(rootDir);
    realRoots.set(rootDir, pending);
    pending.catch(() => realRoots.delete(rootDir));
  }
  return pending;
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
 * would tell a pull request whether a file outside the root exists. Ends at the file
 * system root, which always resolves.
 */
async function realTarget(file: string): Promise<string> {
  try {
    return await realpath(file);
  } catch {
    // Missing, a file used as a folder, a loop, no permission, a NUL byte: the reader reports it.
    const link = await readlink(file).catch(() => undefined);
    const parent = await realTarget(path.dirname(file));
    return link === undefined ? path.join(parent, path.basename(file)) : path.resolve(parent, link);
  }
}
