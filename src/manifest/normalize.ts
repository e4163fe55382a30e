import * as path from "node:path";
import type {
  RawDeletion,
  RawGenerate,
  RawJsonField,
  RawManifest,
  RawResourcePolicy,
  RawRotation,
  RawValue,
  RawValueRef,
} from "./raw";
import type {
  DeletionSpec,
  GenerateSpec,
  JsonFieldSpec,
  ResourcePolicySpec,
  RotationSpec,
  SecretSpec,
  SecretValueSpec,
  SopsRef,
  ValueRef,
} from "./spec";

export interface NormalizeContext {
  /** Manifest path relative to the project root. */
  file: string;
  /** Absolute directory of the manifest: `fromSops.file` is relative to it. */
  dir: string;
  /** Absolute project root: every path in a SecretSpec is relative to it. */
  rootDir: string;
  line: number;
}

/** A schema-valid manifest document as the SecretSpec the rest of the program consumes. */
export function normalizeManifest(raw: RawManifest, ctx: NormalizeContext): SecretSpec {
  const { metadata, spec } = raw;
  return {
    name: metadata.name,
    ...(metadata.description === undefined ? {} : { description: metadata.description }),
    tags: { ...metadata.tags },
    ...(spec.kmsKeyId === undefined ? {} : { kmsKeyId: spec.kmsKeyId }),
    updatePolicy: spec.updatePolicy ?? "Replace",
    ...(spec.value === undefined ? {} : { value: normalizeValue(spec.value, ctx) }),
    replicas: (spec.replicas ?? []).map((r) => ({
      region: r.region,
      ...(r.kmsKeyId === undefined ? {} : { kmsKeyId: r.kmsKeyId }),
    })),
    forceOverwriteReplicaSecret: spec.forceOverwriteReplicaSecret ?? false,
    ...(spec.deletion === undefined ? {} : { deletion: normalizeDeletion(spec.deletion) }),
    adopt: spec.adopt ?? false,
    ...(spec.rotation === undefined ? {} : { rotation: normalizeRotation(spec.rotation) }),
    ...(spec.resourcePolicy === undefined
      ? {}
      : { resourcePolicy: normalizeResourcePolicy(spec.resourcePolicy, ctx) }),
    source: { file: ctx.file, line: ctx.line },
  };
}

function normalizeValue(value: RawValue, ctx: NormalizeContext): SecretValueSpec {
  if (value.string) return { kind: "string", ref: normalizeRef(value.string, ctx) };
  if (value.binary) return { kind: "binary", ref: sopsRef(value.binary.fromSops.file, undefined, ctx) };
  if (value.generate) return { kind: "generate", generate: normalizeGenerate(value.generate) };
  const fields = Object.entries(value.json ?? {}).map(([key, field]): [string, JsonFieldSpec] => [
    key,
    normalizeField(field, ctx),
  ]);
  return { kind: "json", fields };
}

function normalizeField(field: RawJsonField, ctx: NormalizeContext): JsonFieldSpec {
  if (field === null || typeof field !== "object") return field;
  if (field.generate) return { generate: normalizeGenerate(field.generate) };
  const ref = normalizeRef(field, ctx);
  return field.updatePolicy === "IfNotExists" ? { ...ref, updatePolicy: "IfNotExists" } : ref;
}

/** GetRandomPassword's own defaults, except the length (32, as its API default). */
function normalizeGenerate(raw: RawGenerate): GenerateSpec {
  return {
    length: raw.length ?? 32,
    ...(raw.excludeCharacters ? { excludeCharacters: raw.excludeCharacters } : {}),
    excludeNumbers: raw.excludeNumbers ?? false,
    excludePunctuation: raw.excludePunctuation ?? false,
    excludeUppercase: raw.excludeUppercase ?? false,
    excludeLowercase: raw.excludeLowercase ?? false,
    includeSpace: raw.includeSpace ?? false,
    requireEachIncludedType: raw.requireEachIncludedType ?? true,
    generation: raw.generation ?? 1,
  };
}

function normalizeRotation(raw: RawRotation): RotationSpec {
  const { rotateImmediately, ...rest } = raw;
  return { ...rest, rotateImmediately: rotateImmediately ?? false };
}

function normalizeResourcePolicy(raw: RawResourcePolicy, ctx: NormalizeContext): ResourcePolicySpec {
  return {
    ...(raw.document ? { document: raw.document } : {}),
    ...(raw.fromFile ? { fromFile: rootRelative(path.resolve(ctx.dir, raw.fromFile), ctx.rootDir) } : {}),
    blockPublicPolicy: raw.blockPublicPolicy ?? true,
  };
}

function normalizeRef(ref: RawValueRef, ctx: NormalizeContext): ValueRef {
  if (ref.fromSops) return sopsRef(ref.fromSops.file, ref.fromSops.path, ctx);
  return {
    fromEnv: ref.fromEnv as string,
    ...(ref.allowEmpty === undefined ? {} : { allowEmpty: ref.allowEmpty }),
  };
}

function sopsRef(file: string, keyPath: string | undefined, ctx: NormalizeContext): SopsRef {
  return {
    fromSops: {
      // An absolute path stays absolute, so that the confinement to the root sees it as such.
      file: path.isAbsolute(file) ? file : rootRelative(path.resolve(ctx.dir, file), ctx.rootDir),
      ...(keyPath ? { path: keyPath } : {}),
    },
  };
}

function normalizeDeletion(deletion: RawDeletion): DeletionSpec {
  return deletion.forceDeleteWithoutRecovery
    ? { forceDeleteWithoutRecovery: true }
    : { recoveryWindowInDays: deletion.recoveryWindowInDays as number };
}

/** Root-relative path with `/` separators, so specs and messages look the same on every OS. */
export function rootRelative(absPath: string, rootDir: string): string {
  return path.relative(rootDir, absPath).split(path.sep).join("/");
}
