/**
 * The shape of a manifest document once it has passed schemas/secret-manifest.schema.json.
 * Hand-written, so test/manifest/schema-types.test.ts checks every object's field names and
 * required-ness against the schema: a field added to one and not the other fails the test.
 */

export interface RawManifest {
  apiVersion: "secret-manifests/v1";
  kind: "Secret";
  metadata: RawMetadata;
  spec: RawSpec;
}

export interface RawMetadata {
  name: string;
  description?: string;
  tags?: Record<string, string>;
}

/** `value` may be absent only with `updatePolicy: IfNotExists` and `adopt: true` (the schema's if/else). */
export interface RawSpec {
  kmsKeyId?: string;
  value?: RawValue;
  replicas?: RawReplica[];
  forceOverwriteReplicaSecret?: boolean;
  deletion?: RawDeletion;
  adopt?: boolean;
  updatePolicy?: UpdatePolicy;
  rotation?: RawRotation;
  resourcePolicy?: RawResourcePolicy;
}

export type UpdatePolicy = "Replace" | "IfNotExists";

/** The condition under which spec.value may be omitted. */
export interface RawKeepValueCondition {
  updatePolicy: "IfNotExists";
  adopt: true;
}

/** One of lambdaArn / managed and one of automaticallyAfterDays / scheduleExpression. */
export interface RawRotation {
  lambdaArn?: string;
  managed?: true;
  automaticallyAfterDays?: number;
  scheduleExpression?: string;
  duration?: string;
  rotateImmediately?: boolean;
}

/** Exactly one of document / fromFile. */
export interface RawResourcePolicy {
  document?: Record<string, unknown>;
  fromFile?: string;
  blockPublicPolicy?: boolean;
}

/** Exactly one field is present (the schema's oneOf). */
export interface RawValue {
  string?: RawValueRef;
  json?: Record<string, RawJsonField>;
  binary?: RawBinary;
}

/** Exactly one of fromEnv / fromSops is present; allowEmpty only with fromEnv. */
export interface RawValueRef {
  fromEnv?: string;
  allowEmpty?: boolean;
  fromSops?: RawSopsLocation;
}

export interface RawSopsLocation {
  file: string;
  path?: string;
}

export interface RawBinary {
  fromSops: RawBinaryLocation;
}

export interface RawBinaryLocation {
  file: string;
}

export type RawJsonField = string | number | boolean | null | RawValueRef;

export interface RawReplica {
  region: string;
  kmsKeyId?: string;
}

/** Exactly one field is present. */
export interface RawDeletion {
  recoveryWindowInDays?: number;
  forceDeleteWithoutRecovery?: true;
}
