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

export interface RawSpec {
  kmsKeyId?: string;
  updatePolicy?: RawUpdatePolicy;
  /** Absent only with `updatePolicy: IfNotExists` and `adopt: true` (a semantic check). */
  value?: RawValue;
  replicas?: RawReplica[];
  forceOverwriteReplicaSecret?: boolean;
  deletion?: RawDeletion;
  adopt?: boolean;
  rotation?: RawRotation;
  resourcePolicy?: RawResourcePolicy;
}

export type RawUpdatePolicy = "Replace" | "IfNotExists";

/** Exactly one field is present (the schema's oneOf). */
export interface RawValue {
  string?: RawValueRef;
  json?: Record<string, RawJsonField>;
  binary?: RawBinary;
  generate?: RawGenerate;
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

/** A JSON key's reference: exactly one of fromEnv / fromSops / generate. */
export interface RawJsonRef extends RawValueRef {
  updatePolicy?: RawUpdatePolicy;
  generate?: RawGenerate;
}

export type RawJsonField = string | number | boolean | null | RawJsonRef;

export interface RawGenerate {
  length?: number;
  excludeCharacters?: string;
  excludeNumbers?: boolean;
  excludePunctuation?: boolean;
  excludeUppercase?: boolean;
  excludeLowercase?: boolean;
  includeSpace?: boolean;
  requireEachIncludedType?: boolean;
  generation?: number;
}

/** Exactly one of lambdaArn / managed. */
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

export interface RawReplica {
  region: string;
  kmsKeyId?: string;
}

/** Exactly one field is present. */
export interface RawDeletion {
  recoveryWindowInDays?: number;
  forceDeleteWithoutRecovery?: true;
}
