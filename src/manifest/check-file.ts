import * as path from "node:path";
import { UserError } from "../errors";
import { ManifestDocument, SourceFile } from "./document";
import type { FastYaml } from "./fast-yaml";
import { readSourceFiles } from "./load";
import { normalizeManifest } from "./normalize";
import { parseManifestFile } from "./parse";
import type { RawManifest } from "./raw";
import type { JsonFields, SecretSpec } from "./spec";
import { schemaIssues } from "./validate";
import { refFieldPointers, valueReferences } from "./value-refs";

/** A UserError as plain data, so that it can cross a worker thread boundary. */
type ErrorData = Pick<UserError, "message" | "location" | "hint">;

/** What checking one file on its own found: plain data, the same from a worker or in-process. */
export interface FileCheck {
  file: string;
  absPath: string;
  text: string;
  isSopsFile: boolean;
  documents: number;
  valid: { index: number; spec: SecretSpec }[];
  errors: ErrorData[];
}

/** Reads and checks files one by one: syntax, schema, normalization. Cross-file checks come later. */
export function checkFiles(
  files: string[],
  rootDir: string,
  fastYaml: FastYaml,
): { checks: FileCheck[]; errors: ErrorData[] } {
  const read = readSourceFiles(files, rootDir);
  return {
    checks: read.sources.map((source) => checkSource(source, rootDir, fastYaml)),
    errors: read.errors.map(toData),
  };
}

function checkSource(source: SourceFile, rootDir: string, fastYaml: FastYaml): FileCheck {
  const parsed = parseManifestFile(source, fastYaml);
  const errors: UserError[] = [...parsed.errors];
  const valid: FileCheck["valid"] = [];
  for (const { document, data } of parsed.documents) {
    const issues = schemaIssues(data);
    if (issues.length > 0) {
      errors.push(...issues.map((issue) => document.error(issue)));
      continue;
    }
    const context = { file: source.file, dir: path.dirname(source.absPath), rootDir, line: document.line };
    const spec = normalizeManifest(data as RawManifest, context);
    if (spec.value?.kind === "json") spec.value.fields = inWrittenOrder(spec.value.fields, document);
    const lines = referenceLines(spec, document);
    if (lines) spec.source.lines = lines;
    valid.push({ index: document.index, spec });
  }
  const { file, absPath, text } = source;
  return {
    file,
    absPath,
    text,
    isSopsFile: parsed.isSopsFile,
    documents: parsed.documents.length,
    valid,
    errors: errors.map(toData),
  };
}

/** A key JavaScript would treat as an array index, and list before every other key of an object. */
const INDEX_LIKE_KEY = /^(0|[1-9][0-9]{0,9})$/;

/**
 * The parsers hand over plain objects, which list integer-like keys ("10") first; the stored
 * JSON must keep the order written, so such fields are put back in the YAML tree's order.
 */
function inWrittenOrder(fields: JsonFields, document: ManifestDocument): JsonFields {
  if (!fields.some(([key]) => INDEX_LIKE_KEY.test(key))) return fields;
  const rank = new Map(document.mapKeys("/spec/value/json").map((key, i) => [key, i]));
  const at = (key: string) => rank.get(key) ?? Number.POSITIVE_INFINITY;
  return [...fields].sort(([a], [b]) => at(a) - at(b));
}

/**
 * The line of every reference, and of its fields where they sit on another line (block
 * style), so errors found when resolving it point at it. Few entries: they live in the state.
 */
function referenceLines(spec: SecretSpec, document: ManifestDocument): Record<string, number> | undefined {
  const lines: Record<string, number> = {};
  for (const placed of valueReferences(spec)) {
    const referenceLine = document.keyLine(placed.pointer);
    lines[placed.pointer] = referenceLine;
    for (const pointer of refFieldPointers(placed)) {
      const line = document.keyLine(pointer);
      if (line !== referenceLine) lines[pointer] = line;
    }
  }
  return Object.keys(lines).length > 0 ? lines : undefined;
}

function toData(error: UserError): ErrorData {
  return { message: error.message, location: error.location, hint: error.hint };
}

export function toUserError(data: ErrorData): UserError {
  return new UserError(data.message, data.location, data.hint);
}

/** The valid documents of a checked file, bound to its text for positions of later errors. */
export function validManifests(check: FileCheck): { document: ManifestDocument; spec: SecretSpec }[] {
  const source = new SourceFile(check.file, check.absPath, check.text);
  return check.valid.map(({ index, spec }) => ({ document: new ManifestDocument(source, index), spec }));
}
