import * as path from "node:path";
import type { RawDeletion, RawJsonField, RawManifest, RawResourcePolicy, RawValue, RawValueRef } from "./raw";
import type {
  DeletionSpec,
  JsonFieldSpec,
  ResourcePolicySpec,
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
    ...(spec.value === undefined ? {} : { value: normalizeValue(spec.value, ctx) }),
    updatePolicy: spec.updatePolicy ?? "Replace",
    ...(spec.rotation === undefined ? {} : { rotation: { ...spec.rotation } }),
    ...(spec.resourcePolicy === undefined
      ? {}
      : { resourcePolicy: normalizePolicy(spec.resourcePolicy, ctx) }),
    replicas: (spec.replicas ?? []).map((r) => ({
      region: r.region,
      ...(r.kmsKeyId === undefined ? {} : { kmsKeyId: r.kmsKeyId }),
    })),
    forceOverwriteReplicaSecret: spec.forceOverwriteReplicaSecret ?? false,
    ...(spec.deletion === undefined ? {} : { deletion: normalizeDeletion(spec.deletion) }),
    adopt: spec.adopt ?? false,
    source: { file: ctx.file, line: ctx.line },
  };
}

function normalizeValue(value: RawValue, ctx: NormalizeContext): SecretValueSpec {
  if (value.string) return { kind: "string", ref: normalizeRef(value.string, ctx) };
  if (value.binary) return { kind: "binary", ref: sopsRef(value.binary.fromSops.file, undefined, ctx) };
  const fields: Record<string, JsonFieldSpec> = {};
  for (const [key, field] of Object.entries(value.json ?? {})) fields[key] = normalizeField(field, ctx);
  return { kind: "json", fields };
}

function normalizeField(field: RawJsonField, ctx: NormalizeContext): JsonFieldSpec {
  return field !== null && typeof field === "object" ? normalizeRef(field, ctx) : field;
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
      file: rootRelative(path.resolve(ctx.dir, file), ctx.rootDir),
      ...(keyPath ? { path: keyPath } : {}),
    },
  };
}

function normalizePolicy(policy: RawResourcePolicy, ctx: NormalizeContext): ResourcePolicySpec {
  if (policy.fromFile === undefined) return { ...policy };
  return { ...policy, fromFile: rootRelative(path.resolve(ctx.dir, policy.fromFile), ctx.rootDir) };
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
