/**
 * The one entry other modules call: turns a manifest's value spec (references only) into the
 * value sent to Secrets Manager. Every failure is a UserError naming the manifest file:line,
 * the field and the variable / file / path, never any part of a value.
 */
import { resolve } from "node:path";
import { UserError } from "../errors.js";
import type {
  EnvRef,
  JsonFieldSpec,
  JsonFields,
  SecretValueSpec,
  SopsRef,
  SpecSource,
  ValueRef,
} from "../manifest/spec.js";
import { confinedPath, OUTSIDE_ROOT_HINT, OutsideRootError } from "./confine.js";
import {
  COMPACT,
  emitJson,
  type JsonStyle,
  jsonString,
  SOPS_JSON,
  toJsValue,
  UnsupportedJsonValue,
} from "./emit.js";
import { EnvValueError, resolveEnv } from "./env.js";
import { PathLookupError, PathSyntaxError, parsePath, selectPath } from "./path.js";
import { encodeText, hasRawBytes } from "./sops/bytes.js";
import { type DecryptedFile, decryptFile, SopsFileError } from "./sops/index.js";
import { str, type TreeNode } from "./sops/tree.js";
import type { ResolvedValue } from "./value.js";

export interface ResolveContext {
  /** Project root; sops file paths in specs are relative to it. */
  rootDir: string;
  /** Let sops references read files outside rootDir (the user's explicit opt-out). Default false. */
  allowReadsOutsideRoot?: boolean;
  /** Defaults to process.env (env refs and sops key variables). */
  env?: NodeJS.ProcessEnv;
  /** The manifest document the spec came from, for error messages (`lines` gives each reference's line). */
  manifest: SpecSource;
}

export async function resolveValue(spec: SecretValueSpec, ctx: ResolveContext): Promise<ResolvedValue> {
  switch (spec.kind) {
    case "string":
      return { kind: "string", text: await resolveString(spec.ref, ctx, "/spec/value/string") };
    case "binary":
      return { kind: "binary", bytes: await resolveBinary(spec.ref, ctx, "/spec/value/binary") };
    case "json":
      return resolveJson(spec.fields, ctx);
    case "generate":
      throw new Error("a generated value has no reference to resolve: the reconciler generates it");
  }
}

/** The sops files a spec reads (root-relative, manifest order, no duplicates). */
export function referencedFiles(spec: SecretValueSpec): string[] {
  if (spec.kind === "generate") return [];
  const refs = spec.kind === "json" ? spec.fields.map(([, field]) => field) : [spec.ref];
  return [...new Set(refs.filter(isSopsRef).map((ref) => ref.fromSops.file))];
}

/**
 * A string leaf as-is; any other value exactly as `sops decrypt --output-type json --extract
 * PATH` prints it (no path: the whole first document, as `--output-type json` prints it).
 * sops prints maps as a file (with a final newline) and other values bare; so do we.
 */
async function resolveString(ref: ValueRef, ctx: ResolveContext, field: string): Promise<string> {
  if (!isSopsRef(ref)) return envValue(ref, ctx, field);
  const node = await sopsNode(ref, ctx, field);
  if (node.kind === "scalar" && (node.type === "str" || node.type === "bytes")) {
    if (hasRawBytes(node.text)) {
      throw sopsError(
        ref,
        ctx,
        field,
        "the value is not UTF-8 text, so it cannot be a SecretString",
        BINARY_HINT,
      );
    }
    return node.text;
  }
  const json = sopsJson(node, SOPS_JSON, ref, ctx, field);
  return node.kind === "map" ? `${json}\n` : json;
}

const BINARY_HINT = "use kind: binary to store the exact bytes";

/** JSON as sops prints it; sops refuses NaN and infinities, and so do we (naming the path, not the value). */
function sopsJson(
  node: TreeNode,
  style: JsonStyle,
  ref: SopsRef,
  ctx: ResolveContext,
  field: string,
): string {
  try {
    return emitJson(node, style);
  } catch (error) {
    if (!(error instanceof UnsupportedJsonValue)) throw error;
    throw sopsError(
      ref,
      ctx,
      field,
      `the value holds ${error.value}, which JSON cannot represent (sops refuses it too)`,
    );
  }
}

async function resolveBinary(ref: SopsRef, ctx: ResolveContext, field: string): Promise<Buffer> {
  const file = await sopsFile(ref, ctx, field);
  if (file.format === "binary" && ref.fromSops.path === undefined) return file.bytes;
  const node = await sopsNode(ref, ctx, field);
  if (node.kind === "scalar" && (node.type === "str" || node.type === "bytes")) {
    return node.raw ?? encodeText(node.text);
  }
  throw sopsError(ref, ctx, field, "a binary value must select a string, not a map, list or number");
}

async function resolveJson(fields: JsonFields, ctx: ResolveContext): Promise<ResolvedValue> {
  const entries = await Promise.all(
    fields.map(async ([key, spec]): Promise<[string, TreeNode | JsonLiteral]> => {
      const field = `/spec/value/json/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`;
      // isRef refuses a generated key, so anything else is a literal.
      if (!isRef(spec)) return [key, { literal: spec as JsonLiteral["literal"] }];
      if (!isSopsRef(spec)) return [key, str(envValue(spec, ctx, field))];
      const node = await sopsNode(spec, ctx, field);
      sopsJson(node, COMPACT, spec, ctx, field);
      return [key, node];
    }),
  );
  const text = `{${entries.map(([key, v]) => `${jsonString(key, COMPACT)}:${fieldText(v)}`).join(",")}}`;
  const values = Object.fromEntries(
    entries.map(([key, v]) => [key, "literal" in v ? v.literal : toJsValue(v)]),
  );
  return { kind: "json", text, fields: values };
}

interface JsonLiteral {
  literal: string | number | boolean | null;
}

function fieldText(value: TreeNode | JsonLiteral): string {
  return "literal" in value ? JSON.stringify(value.literal) : emitJson(value, COMPACT);
}

async function sopsNode(ref: SopsRef, ctx: ResolveContext, field: string): Promise<TreeNode> {
  const file = await sopsFile(ref, ctx, field);
  const { path } = ref.fromSops;
  const pathField = `${field}/fromSops/path`;
  if (file.format === "binary") {
    if (path !== undefined) throw sopsError(ref, ctx, pathField, "a binary sops file has no keys to select");
    return utf8Text(file.bytes, ref, ctx, field);
  }
  if (path === undefined) return file.document;
  try {
    return selectPath(file.document, parsePath(path));
  } catch (error) {
    if (error instanceof PathSyntaxError)
      throw sopsError(ref, ctx, pathField, `invalid path: ${error.message}`);
    if (error instanceof PathLookupError) throw sopsError(ref, ctx, pathField, lookupMessage(error));
    throw error;
  }
}

function lookupMessage(error: PathLookupError): string {
  switch (error.problem) {
    case "missing":
      return `nothing at ${error.at}`;
    case "not-a-container":
      return `${error.at} looks inside a value that is not a map`;
    case "not-an-array":
      return `${error.at} indexes a map, not a list`;
  }
}

function utf8Text(bytes: Buffer, ref: SopsRef, ctx: ResolveContext, field: string): TreeNode {
  try {
    return str(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw sopsError(ref, ctx, field, "the binary file is not UTF-8 text; use a binary value instead");
  }
}

/** Decrypts the reference's file, confined to the project root as the loader checked it. */
async function sopsFile(ref: SopsRef, ctx: ResolveContext, field: string): Promise<DecryptedFile> {
  const fileField = `${field}/fromSops/file`;
  try {
    const confineTo = { rootDir: resolve(ctx.rootDir), allowOutsideRoot: ctx.allowReadsOutsideRoot ?? false };
    const absolute = await confinedPath(ref.fromSops.file, confineTo);
    return await decryptFile(absolute, { env: ctx.env ?? process.env });
  } catch (error) {
    if (error instanceof OutsideRootError)
      throw sopsError(ref, ctx, fileField, error.message, OUTSIDE_ROOT_HINT);
    if (error instanceof SopsFileError) throw sopsError(ref, ctx, fileField, error.message, error.hint);
    throw error;
  }
}

function envValue(ref: EnvRef, ctx: ResolveContext, field: string): string {
  try {
    return resolveEnv(ref, ctx.env ?? process.env);
  } catch (error) {
    if (!(error instanceof EnvValueError)) throw error;
    const hint =
      error.problem === "missing"
        ? `export ${ref.fromEnv} in the environment that runs pulumi`
        : "set a value, or add allowEmpty: true to the reference if empty is intended";
    throw new UserError(`fromEnv: ${error.message}`, location(ctx, `${field}/fromEnv`), hint);
  }
}

function sopsError(
  ref: SopsRef,
  ctx: ResolveContext,
  field: string,
  reason: string,
  hint?: string,
): UserError {
  const { file, path } = ref.fromSops;
  const target = path === undefined ? file : `${file} (path ${path})`;
  return new UserError(`fromSops ${target}: ${reason}`, location(ctx, field), hint);
}

/** The field's line as the loader recorded it, else its reference's, else the document's. */
function location(ctx: ResolveContext, field: string) {
  const { file, line, lines } = ctx.manifest;
  let recorded: number | undefined;
  for (
    let at = field;
    recorded === undefined && at.startsWith("/spec/value/");
    at = at.slice(0, at.lastIndexOf("/"))
  )
    recorded = lines?.[at];
  return { file, line: recorded ?? line, field };
}

function isRef(spec: JsonFieldSpec): spec is ValueRef {
  if (typeof spec === "object" && spec !== null && "generate" in spec) {
    throw new Error("a generated JSON key has no reference to resolve: the reconciler generates it");
  }
  return typeof spec === "object" && spec !== null;
}

function isSopsRef(ref: JsonFieldSpec): ref is SopsRef {
  return typeof ref === "object" && ref !== null && "fromSops" in ref;
}

export { clearDecryptCache, type DecryptedFile, decryptFile } from "./sops/index.js";
export type { ResolvedValue } from "./value.js";
