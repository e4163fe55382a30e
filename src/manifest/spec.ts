/**
 * The normalized, validated form of one manifest document: what every later stage
 * (sources, reconcile, pulumi) consumes. It carries references to values, never values.
 * The raw document shape is defined by schemas/secret-manifest.schema.json.
 */
import type { RawResourcePolicy, RawRotation, UpdatePolicy } from "./raw";

/** A reference to a secret value held outside the manifest. */
export type ValueRef = EnvRef | SopsRef;

export interface EnvRef {
  fromEnv: string;
  /** An empty variable is an error unless this is true. */
  allowEmpty?: boolean;
}

export interface SopsRef {
  fromSops: {
    /** Path of the sops file relative to the project root (normalized by the loader). */
    file: string;
    /** Dotted (`db.password`, `hosts.0`) or sops --extract form (`["db"]["password"]`). */
    path?: string;
  };
}

/** A JSON field is a non-sensitive literal or a reference. */
export type JsonFieldSpec = string | number | boolean | null | ValueRef;

export type SecretValueSpec =
  | { kind: "string"; ref: ValueRef }
  | { kind: "json"; fields: Record<string, JsonFieldSpec> }
  | { kind: "binary"; ref: SopsRef };

export interface ReplicaSpec {
  region: string;
  kmsKeyId?: string;
}

export type DeletionSpec = { recoveryWindowInDays: number } | { forceDeleteWithoutRecovery: true };

/** As in the manifest; a policy's `fromFile` is made relative to the project root by the loader. */
export type RotationSpec = RawRotation;
export type ResourcePolicySpec = RawResourcePolicy;
export type { UpdatePolicy };

export interface SecretSpec {
  name: string;
  description?: string;
  /** User tags from metadata.tags, in manifest order. */
  tags: Record<string, string>;
  kmsKeyId?: string;
  /** Absent only with updatePolicy IfNotExists and adopt: the value is whatever AWS holds. */
  value?: SecretValueSpec;
  updatePolicy: UpdatePolicy;
  rotation?: RotationSpec;
  resourcePolicy?: ResourcePolicySpec;
  replicas: ReplicaSpec[];
  forceOverwriteReplicaSecret: boolean;
  /** Absent means: use the provider default recovery window. */
  deletion?: DeletionSpec;
  adopt: boolean;
  /** Where the document came from, for error messages. `file` is relative to the project root. */
  source: { file: string; line: number };
}
