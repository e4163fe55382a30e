import { existsSync } from "node:fs";
import * as path from "node:path";
import type { ErrorObject, ValidateFunction } from "ajv";
import type Ajv2020 from "ajv/dist/2020";
import { displayPath, type Issue, joinPointer } from "./document";
import { manifestSchema, manifestSchemaSha256 } from "./schema";

type AjvError = ErrorObject<string, Record<string, unknown>, unknown>;
type SchemaObject = Record<string, unknown>;

let compiled: ValidateFunction | undefined;

/** The schema validator, loaded or compiled on first use and shared by every document of the thread. */
export function manifestValidator(): ValidateFunction {
  compiled ??= precompiledValidator() ?? schemaCompiler().compile(manifestSchema());
  return compiled;
}

/** Where scripts/build puts the validator as code (compiled output only). */
const PRECOMPILED_PATH = path.join(__dirname, "schema-validator.js");

/**
 * Loading the validator as code takes ~3 ms; compiling the schema takes ~140 ms, in every
 * thread of a large `validate`. Used only when it was generated from the schema file as it
 * is now, so a stale build falls back to compiling.
 */
function precompiledValidator(): ValidateFunction | undefined {
  if (!existsSync(PRECOMPILED_PATH)) return undefined;
  const validate = require(PRECOMPILED_PATH) as ValidateFunction & { schemaSha256?: string };
  return validate.schemaSha256 === manifestSchemaSha256() ? validate : undefined;
}

/** The validator as a CommonJS module (ajv standalone code), for scripts/build. */
export function precompiledValidatorSource(): string {
  const ajv = schemaCompiler({ source: true });
  const { default: standaloneCode } = require("ajv/dist/standalone") as typeof import("ajv/dist/standalone");
  const code = standaloneCode(ajv, ajv.compile(manifestSchema()));
  return `${code}\nmodule.exports.schemaSha256 = ${JSON.stringify(manifestSchemaSha256())};\n`;
}

/** One set of options for the runtime compile and the precompiled code: both must judge alike. */
function schemaCompiler({ source = false } = {}): Ajv2020 {
  // Loaded here: a precompiled validator needs none of ajv's compiler.
  const { default: Ajv } = require("ajv/dist/2020") as typeof import("ajv/dist/2020");
  const ajv = new Ajv({
    allErrors: true,
    // The messages below need the failing subschema (parentSchema) and the offending data.
    verbose: true,
    strict: true,
    // oneOf branches say `required: [x]` for properties declared once in the parent.
    strictRequired: false,
    // JSON fields accept any scalar type.
    allowUnionTypes: true,
    code: { source },
  });
  // Message annotations the VS Code / yaml-language-server JSON Schema dialect also reads.
  ajv.addKeyword({ keyword: "errorMessage", schemaType: "string" });
  ajv.addKeyword({ keyword: "patternErrorMessage", schemaType: "string" });
  return ajv;
}

/** Every schema violation of one document, in plain words; empty when the document is valid. */
export function schemaIssues(data: unknown): Issue[] {
  const validate = manifestValidator();
  if (validate(data)) return [];
  return explainable(validate.errors ?? []).map((error) => ({ ...toIssue(error), at: anchorOf(error) }));
}

/**
 * Ajv reports the failed branches of a oneOf and the inner keywords of an if/then and a
 * propertyNames next to the error that matters; keep only the errors a person can act on.
 */
function explainable(errors: AjvError[]): AjvError[] {
  const oneOfs = errors.filter((e) => e.keyword === "oneOf");
  // Value of the wrong type: whatever else is said about it follows from that.
  const wrongTypeAt = new Set(errors.filter((e) => e.keyword === "type").map((e) => e.instancePath));
  const isBesideWrongType = (e: AjvError) => e.keyword !== "type" && wrongTypeAt.has(e.instancePath);
  const unknownFieldAt = new Set(
    errors.filter((e) => e.keyword === "additionalProperties").map((e) => e.instancePath),
  );
  const isBranchOfOneOf = (e: AjvError) =>
    oneOfs.some(
      (o) => o !== e && o.instancePath === e.instancePath && e.schemaPath.startsWith(`${o.schemaPath}/`),
    );
  // An unknown field usually is the misspelt choice, so "needs exactly one of" would only add noise.
  const isNoChoiceBesideUnknownField = (e: AjvError) =>
    e.keyword === "oneOf" && e.params.passingSchemas === null && unknownFieldAt.has(e.instancePath);
  return attachPropertyNames(
    errors.filter(
      (e) =>
        e.keyword !== "if" &&
        !isBesideWrongType(e) &&
        !isBranchOfOneOf(e) &&
        !isNoChoiceBesideUnknownField(e),
    ),
  );
}

/**
 * Ajv reports what is wrong with a map key at the map's path, just before a `propertyNames`
 * error naming the key; move those errors onto the key itself.
 */
function attachPropertyNames(errors: AjvError[]): AjvError[] {
  const out: AjvError[] = [];
  for (const error of errors) {
    if (error.keyword !== "propertyNames") {
      out.push(error);
      continue;
    }
    const key = String(error.params.propertyName);
    for (let i = out.length - 1; i >= 0; i--) {
      const inner = out[i] as AjvError;
      if (inner.instancePath !== error.instancePath || inner.data !== key) break;
      out[i] = {
        ...inner,
        instancePath: joinPointer(error.instancePath, key),
        params: { ...inner.params, key },
      };
    }
  }
  return out;
}

/**
 * A problem with a mapping or a list is shown on its key (`tags:`), whose line a reader
 * finds first; a problem with a scalar is shown on the value itself.
 */
function anchorOf(error: AjvError): Issue["at"] {
  const isCollection = typeof error.data === "object" && error.data !== null;
  return isCollection || typeof error.params.key === "string" ? "key" : "value";
}

function toIssue(error: AjvError): Omit<Issue, "at"> {
  const parent = (error.parentSchema ?? {}) as SchemaObject;
  const pointer = error.instancePath;
  const subject = subjectOf(pointer, error.params.key);
  if (typeof parent.errorMessage === "string")
    return { pointer, message: `${subject} ${parent.errorMessage}` };
  switch (error.keyword) {
    case "required":
      return {
        pointer,
        message: `${subject} is missing the required field \`${error.params.missingProperty}\``,
      };
    case "additionalProperties":
      return unknownField(pointer, String(error.params.additionalProperty), parent);
    case "oneOf":
      return exactlyOne(pointer, subject, parent, error.params.passingSchemas);
    case "type":
      return wrongType(pointer, subject, error.params.type, error.data);
    case "const":
      return { pointer, message: `${subject} must be ${JSON.stringify(error.params.allowedValue)}` };
    case "enum":
      // The allowed values only: the given one could be a secret pasted in the wrong place.
      return {
        pointer,
        message: `${subject} must be ${(error.params.allowedValues as unknown[]).map((v) => `\`${String(v)}\``).join(" or ")}`,
      };
    case "pattern":
      return {
        pointer,
        message: `${subject} ${typeof parent.patternErrorMessage === "string" ? parent.patternErrorMessage : "has an invalid format"}`,
      };
    default:
      return { pointer, message: `${subject} ${limitMessage(error, parent)}` };
  }
}

function subjectOf(pointer: string, key: unknown): string {
  if (typeof key === "string")
    return `${displayPath(pointer.slice(0, pointer.lastIndexOf("/")))} key \`${key}\``;
  return pointer === "" ? "the manifest" : displayPath(pointer);
}

function unknownField(pointer: string, field: string, parent: SchemaObject): Omit<Issue, "at"> {
  const allowed = Object.keys((parent.properties ?? {}) as SchemaObject);
  const where = pointer === "" ? "at the top level" : `in ${displayPath(pointer)}`;
  const close = allowed.find((name) => editDistance(name.toLowerCase(), field.toLowerCase()) <= 2);
  return {
    pointer: joinPointer(pointer, field),
    message: `unknown field \`${field}\` ${where} (allowed: ${allowed.join(", ")})`,
    ...(close ? { hint: `did you mean \`${close}\`?` } : {}),
  };
}

function exactlyOne(
  pointer: string,
  subject: string,
  parent: SchemaObject,
  passing: unknown,
): Omit<Issue, "at"> {
  const choices = (parent.oneOf as SchemaObject[]).map((branch) => (branch.required as string[])[0]);
  return {
    pointer,
    message: `${subject} must have exactly one of ${choices.join(", ")}`,
    hint: passing === null ? `add one of ${choices.join(", ")}` : "keep only one of them",
  };
}

const TYPE_WORDS: Record<string, string> = {
  object: "a mapping",
  array: "a list",
  string: "a string",
  integer: "a whole number",
  number: "a number",
  boolean: "true or false",
  null: "null",
};

function wrongType(pointer: string, subject: string, expected: unknown, data: unknown): Omit<Issue, "at"> {
  const words = [expected].flat().map((t) => TYPE_WORDS[String(t)] ?? String(t));
  const quoteHint = expected === "string" && (typeof data === "number" || typeof data === "boolean");
  return {
    pointer,
    message: `${subject} must be ${words.join(" or ")}, not ${describe(data)}`,
    ...(quoteHint ? { hint: "quote it to make it a string" } : {}),
  };
}

/**
 * The type of a wrong value, never its content: any field may hold a pasted secret, and
 * messages end up in CI logs and pull-request annotations.
 */
function describe(data: unknown): string {
  if (data === null) return "null";
  if (Array.isArray(data)) return "a list";
  if (typeof data === "object") return "a mapping";
  if (typeof data === "number") return Number.isInteger(data) ? "a number" : "a fractional number";
  return typeof data === "boolean" ? "true or false" : "a string";
}

function limitMessage(error: AjvError, parent: SchemaObject): string {
  const limit = error.params.limit;
  const size = sizeOf(error.data);
  switch (error.keyword) {
    case "minLength":
      return limit === 1 ? "must not be empty" : `must be at least ${limit} characters`;
    case "maxLength":
      return `must be at most ${limit} characters (it has ${size})`;
    case "minimum":
    case "maximum":
      return `must be between ${parent.minimum} and ${parent.maximum}`;
    case "minProperties":
      return `must have at least ${limit} field${limit === 1 ? "" : "s"}`;
    case "maxProperties":
      return `must have at most ${limit} entries (it has ${size})`;
    case "dependentRequired":
      return `may have \`${error.params.property}\` only together with \`${error.params.missingProperty}\``;
    default:
      return `is invalid (${error.keyword})`;
  }
}

function sizeOf(data: unknown): number {
  if (typeof data === "string") return [...data].length;
  return data && typeof data === "object" ? Object.keys(data).length : 0;
}

/** Levenshtein distance, for "did you mean" on misspelt field names and sops keys. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] as number;
}
