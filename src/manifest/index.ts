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
import type { SopsFileInfo } from "./references";
import { semanticChecks } from "./semantic";
import type { SecretSpec } from "./spec";

export type { SopsFileInfo } from "./references";
export { API_VERSION, SCHEMA_PATH } from "./schema";
export type * from "./spec";

export interface LoadOptions {
  /**
   * Project root: paths are resolved from it, every reported path is relative to it and
   * every reference must stay inside it. Default: process.cwd().
   */
  rootDir?: string;
  /** Let references read files outside the project root (absolute paths, `..`, symlinks). Default false. */
  allowReadsOutsideRoot?: boolean;
  /** Treat warnings as errors. Default false. */
  strict?: boolean;
}

export interface ManifestCheck {
  /** Specs of the documents without errors, in file then document order. */
  specs: SecretSpec[];
  /** Every problem found, sorted by file, line and column. */
  errors: UserError[];
  /** Advice that leaves the documents valid, sorted like the errors. */
  warnings: UserError[];
  /** The sops files the valid documents reference, with the key types each needs. */
  sopsFiles: SopsFileInfo[];
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
  const semantic = await semanticChecks(valid, {
    rootDir,
    allowOutsideRoot: opts.allowReadsOutsideRoot ?? false,
  });
  const failures = opts.strict ? [...semantic.errors, ...semantic.warnings] : semantic.errors;
  errors.push(...failures.map((s) => s.error));
  const invalid = new Set(failures.map((s) => s.document));
  return {
    specs: valid.filter((m) => !invalid.has(m.document)).map((m) => m.spec),
    errors: errors.sort(byLocation),
    warnings: opts.strict ? [] : semantic.warnings.map((s) => s.error).sort(byLocation),
    sopsFiles: semantic.sopsFiles,
    files: manifestFiles.length,
    documents: manifestFiles.reduce((sum, c) => sum + c.documents, 0),
  };
}

/**
 * Validates everything, references included (offline, before any decryption), and returns
 * the specs, or throws one UserErrors holding every problem of every file. For the Pulumi
 * program: one bad manifest means nothing is applied. Warnings are returned for the caller to log.
 */
export async function loadManifests(
  paths: string[],
  opts: LoadOptions = {},
): Promise<Omit<ManifestCheck, "errors">> {
  const { errors, ...loaded } = await checkManifests(paths, opts);
  if (errors.length > 0) throw new UserErrors(errors);
  return loaded;
}

function byLocation(a: UserError, b: UserError): number {
  const [fa, fb] = [a.location?.file ?? "", b.location?.file ?? ""];
  if (fa !== fb) return fa < fb ? -1 : 1;
  return (a.location?.line ?? 0) - (b.location?.line ?? 0) || (a.location?.col ?? 0) - (b.location?.col ?? 0);
}
