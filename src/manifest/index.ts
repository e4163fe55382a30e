/**
 * Loading manifests: files, folders and globs -> parsed YAML documents -> JSON Schema
 * validation -> normalized SecretSpecs -> cross-document checks. Every problem of every
 * file is collected; a caller gets either all specs or all errors, never a subset.
 */
import * as path from "node:path";
import { type UserError, UserErrors } from "../errors";
import { toUserError, validManifests } from "./check-file";
import { expandPaths } from "./load";
import { checkFilesInParallel } from "./parallel";
import { semanticErrors } from "./semantic";
import type { SecretSpec } from "./spec";

export { API_VERSION, SCHEMA_PATH } from "./schema";
export type * from "./spec";

export interface LoadOptions {
  /** Project root: paths are resolved from it and every reported path is relative to it. Default: process.cwd(). */
  rootDir?: string;
}

export interface ManifestCheck {
  /** Specs of the documents without errors, in file then document order. */
  specs: SecretSpec[];
  /** Every problem found, sorted by file, line and column. */
  errors: UserError[];
  /** Manifest files read (sops-encrypted YAML files found among them are not counted). */
  files: number;
  /** Non-empty YAML documents in those files. */
  documents: number;
}

/** Validates everything and reports; never throws for a user mistake. For the CLI. */
export async function checkManifests(paths: string[], opts: LoadOptions = {}): Promise<ManifestCheck> {
  const rootDir = path.resolve(opts.rootDir ?? process.cwd());
  const expanded = await expandPaths(paths, rootDir);
  const checked = await checkFilesInParallel(expanded.files, rootDir);
  const manifestFiles = checked.checks.filter((c) => !c.isSopsFile);
  const errors = [
    ...expanded.errors,
    ...[...checked.errors, ...manifestFiles.flatMap((c) => c.errors)].map(toUserError),
  ];
  const valid = manifestFiles.flatMap(validManifests);
  const semantic = await semanticErrors(valid, rootDir);
  errors.push(...semantic.map((s) => s.error));
  const invalid = new Set(semantic.map((s) => s.document));
  return {
    specs: valid.filter((m) => !invalid.has(m.document)).map((m) => m.spec),
    errors: errors.sort(byLocation),
    files: manifestFiles.length,
    documents: manifestFiles.reduce((sum, c) => sum + c.documents, 0),
  };
}

/**
 * Validates everything and returns the specs, or throws one UserErrors holding every
 * problem of every file. For the Pulumi program: one bad manifest means nothing is applied.
 */
export async function loadManifests(
  paths: string[],
  opts: LoadOptions = {},
): Promise<{ specs: SecretSpec[]; files: number; documents: number }> {
  const { specs, errors, files, documents } = await checkManifests(paths, opts);
  if (errors.length > 0) throw new UserErrors(errors);
  return { specs, files, documents };
}

function byLocation(a: UserError, b: UserError): number {
  const [fa, fb] = [a.location?.file ?? "", b.location?.file ?? ""];
  if (fa !== fb) return fa < fb ? -1 : 1;
  return (a.location?.line ?? 0) - (b.location?.line ?? 0) || (a.location?.col ?? 0) - (b.location?.col ?? 0);
}
