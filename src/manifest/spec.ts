/**
 * The normalized, validated form of one manifest document: what every later stage
 * (sources, reconcile, pulumi) consumes. It carries references to values, never values.
 * The raw document shape is defined by schemas/secret-manifest.schema.json.
 */

/** A reference to a secret value held outside the manifest. */
export type ValueRef = EnvRef | SopsRef;

export interface EnvRef {
  fromEnv: string;
  /** An empty variable is an error unless this is true. */
  allowEmpty?: boolean;
}

export interface SopsRef {
  fromSops: {
    /**
     * Path of the sops file relative to the project root (normalized by the loader), or
     * absolute as the manifest gave it (refused unless reads outside the root are allowed).
     */
    file: string;
    /** Dotted (`db.password`, `hosts.0`) or sops --extract form (`["db"]["password"]`). */
    path?: string;
  };
}

/**
 * `Replace`: every deployment writes the value back. `IfNotExists`: written when the secret
 * (or the JSON key) does not have it yet, then left as AWS holds it.
 */
export type UpdatePolicy = "Replace" | "IfNotExists";

/** GetRandomPassword's parameters, defaults filled in, plus the generation counter. */
export interface GenerateSpec {
  length: number;
  excludeCharacters?: string;
  excludeNumbers: boolean;
  excludePunctuation: boolean;
  excludeUppercase: boolean;
  excludeLowercase: boolean;
  includeSpace: boolean;
  requireEachIncludedType: boolean;
  /** Only a change of this regenerates the value. */
  generation: number;
}

export interface GenerateRef {
  generate: GenerateSpec;
}

/** A JSON key's reference: a seed-once one carries `updatePolicy: "IfNotExists"`. */
export type JsonRefSpec = (ValueRef & { updatePolicy?: "IfNotExists" }) | GenerateRef;

/** A JSON field is a non-sensitive literal or a reference. */
export type JsonFieldSpec = string | number | boolean | null | JsonRefSpec;

/**
 * A JSON value's fields in manifest order. A list, not an object: JavaScript puts
 * integer-like keys ("10") first in an object, and the stored JSON must keep the order written.
 */
export type JsonFields = [key: string, field: JsonFieldSpec][];

export type SecretValueSpec =
  | { kind: "string"; ref: ValueRef }
  | { kind: "json"; fields: JsonFields }
  | { kind: "binary"; ref: SopsRef }
  | { kind: "generate"; generate: GenerateSpec };

export interface RotationSpec {
  /** Exactly one of lambdaArn / managed. */
  lambdaArn?: string;
  managed?: true;
  /** At most one of automaticallyAfterDays / scheduleExpression. */
  automaticallyAfterDays?: number;
  scheduleExpression?: string;
  duration?: string;
  rotateImmediately: boolean;
}

export interface ResourcePolicySpec {
  /** Exactly one of document / fromFile. */
  document?: Record<string, unknown>;
  /** Root-relative path of a JSON policy document (normalized by the loader). */
  fromFile?: string;
  blockPublicPolicy: boolean;
}

export interface ReplicaSpec {
  region: string;
  kmsKeyId?: string;
}

export type DeletionSpec = { recoveryWindowInDays: number } | { forceDeleteWithoutRecovery: true };

export interface SecretSpec {
  name: string;
  description?: string;
  /** User tags from metadata.tags, in manifest order. */
  tags: Record<string, string>;
  kmsKeyId?: string;
  updatePolicy: UpdatePolicy;
  /** Absent only with updatePolicy IfNotExists and adopt: the value is whatever AWS holds. */
  value?: SecretValueSpec;
  replicas: ReplicaSpec[];
  forceOverwriteReplicaSecret: boolean;
  /** Absent means: use the provider default recovery window. */
  deletion?: DeletionSpec;
  adopt: boolean;
  rotation?: RotationSpec;
  resourcePolicy?: ResourcePolicySpec;
  /** Where the document came from, for error messages. */
  source: SpecSource;
}

export interface SpecSource {
  /** Relative to the project root. */
  file: string;
  /** Line where the document starts. */
  line: number;
  /**
   * Line of each reference by JSON pointer ("/spec/value/json/password"), and of its fields
   * (".../fromEnv", ".../fromSops/path") where they are on another line, so that an error
   * found when a reference is resolved points at the reference rather than at the document.
   * A field without an entry is on its reference's line.
   */
  lines?: Record<string, number>;
}
