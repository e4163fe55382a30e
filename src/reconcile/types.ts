import type { ReplicationStatus } from "../aws/model.js";
import type { DeletionSpec, GenerateSpec, ReplicaSpec, RotationSpec } from "../manifest/spec.js";
import type { ResolvedValue } from "../sources/value.js";
import type { ValueDigest } from "./digest.js";

export {
  AWSCURRENT,
  AWSPENDING,
  CLAIM_TAG,
  currentVersionId,
  type ObservedReplica,
  type ObservedRotation,
  type ObservedSecret,
  OWNER_TAG,
  type ReplicationStatus,
  regionOfArn,
} from "../aws/model.js";

/** What one manifest document asks AWS to hold, value resolved and digested. */
export interface DesiredSecret {
  name: string;
  description?: string;
  kmsKeyId?: string;
  /** Final tags, the ownership tag included. */
  tags: Record<string, string>;
  /** An enforced value, or a value with parts AWS keeps (seed-once, generated). */
  value: ResolvedValue | ValueParts;
  digest: ValueDigest;
  /**
   * requestToken(name, value): the VersionId this value has (or will have) in AWS. For
   * ValueParts, the token of the declaration (declarationToken), used by CreateSecret only.
   */
  token: string;
  /**
   * rewriteToken(name, value, kmsKeyId): the version id of a fresh copy of the same value,
   * written when the version named by `token` exists without a stage and so may still be
   * encrypted under a KMS key the secret no longer uses (see docs/reconcile.md).
   */
  rewriteToken: string;
  replicas: ReplicaSpec[];
  forceOverwriteReplicaSecret: boolean;
  adopt: boolean;
  rotation?: RotationSpec;
  /**
   * The last deployment declared a rotation: dropping it cancels AWS's. A rotation the
   * manifests never declared (set up by hand) is left alone.
   */
  hadRotation?: boolean;
  resourcePolicy?: DesiredPolicy;
}

export interface DesiredPolicy {
  /** The document as sent to PutResourcePolicy (compact JSON). */
  document: string;
  blockPublicPolicy: boolean;
  /** Put even when AWS holds an equivalent document (blockPublicPolicy changed). */
  force?: boolean;
}

/**
 * Which parts of a value AWS keeps as it holds them, as recorded in state (no values): a
 * mark per part, `IfNotExists` or `generation:N`. Absent: the whole value is enforced.
 */
export interface KeptValue {
  whole?: KeptMark;
  keys?: Record<string, KeptMark>;
}
export type KeptMark = "IfNotExists" | `generation:${number}`;

/**
 * A value with parts the manifest does not enforce. Lives only in the provider process:
 * seeds and enforced keys are resolved values.
 */
export interface ValueParts {
  kind: "parts";
  /** The stored kind: SecretString (text or a JSON object) or SecretBinary. */
  stored: ResolvedValue["kind"];
  /** A whole seed-once or generated value; absent for JSON keys, or "whatever AWS holds". */
  whole?: { seed: ResolvedValue } | { generate: GenerateSpec };
  /** A JSON value's keys in manifest order. */
  fields?: FieldPart[];
  /**
   * Read AWS's value and write the enforced keys where they differ: set when nothing is
   * recorded (create, adoption) or when the declaration's digest changed.
   */
  verify: boolean;
  /** Parts to generate anew (their generation changed): JSON keys, or WHOLE_VALUE. */
  regenerate: string[];
  /** Signs the composed value into its version tokens, inside apply. */
  hmacKey: Buffer;
}

export const WHOLE_VALUE = "";

export type FieldPart =
  | { key: string; policy: "Replace" | "IfNotExists" /** The key's JSON text. */; text: string }
  | { key: string; policy: "generate"; generate: GenerateSpec };

/**
 * One API call to make. Plain, JSON-serializable data; a write carries the token of the
 * value, never the value, which `apply` takes from the DesiredSecret.
 */
export type Operation =
  | CreateOp
  | RestoreOp
  | PutValueOp
  | MoveCurrentOp
  | UpdateMetadataOp
  | TagOp
  | UntagOp
  | ReplicateOp
  | RemoveReplicasOp
  | DeleteOp
  | WritePartsOp
  | RotateOp
  | CancelRotationOp
  | PutPolicyOp
  | DeletePolicyOp;

/**
 * Writes a value with kept parts: composed in apply (generating passwords, reading AWS's
 * current value once when `read`), written only when it differs from AWS's.
 */
export interface WritePartsOp {
  type: "writeParts";
  secretId: string;
  read: boolean;
  /** The version holding AWSCURRENT now, for a stage move. */
  fromVersionId?: string;
}
export interface RotateOp {
  type: "rotate";
  secretId: string;
  rotation: RotationSpec;
}
export interface CancelRotationOp {
  type: "cancelRotation";
  secretId: string;
}
export interface PutPolicyOp {
  type: "putPolicy";
  secretId: string;
  document: string;
  blockPublicPolicy: boolean;
}
export interface DeletePolicyOp {
  type: "deletePolicy";
  secretId: string;
}

export interface CreateOp {
  type: "create";
  name: string;
  token: string;
  description?: string;
  kmsKeyId?: string;
  tags: Record<string, string>;
  replicas: ReplicaSpec[];
  forceOverwriteReplicaSecret: boolean;
}
export interface RestoreOp {
  type: "restore";
  secretId: string;
}
export interface PutValueOp {
  type: "putValue";
  secretId: string;
  token: string;
  /**
   * AWS accepts a token naming a version it still keeps without a stage, but then writes
   * nothing and moves no stage. Such a version may be encrypted under an earlier KMS key
   * (AWS re-encrypts only staged versions), so apply then writes the value afresh under
   * this token instead of moving AWSCURRENT back to it.
   */
  rewriteToken: string;
  /** The version holding AWSCURRENT now, for a stage move. */
  fromVersionId?: string;
}
/** Rollback (or console drift repair) to a version that already holds the desired value. */
export interface MoveCurrentOp {
  type: "moveCurrent";
  secretId: string;
  toVersionId: string;
  /** The version that holds AWSCURRENT now; absent when none does. */
  fromVersionId?: string;
}
/** Only the fields that change are set. */
export interface UpdateMetadataOp {
  type: "updateMetadata";
  secretId: string;
  description?: string;
  kmsKeyId?: string;
}
export interface TagOp {
  type: "tag";
  secretId: string;
  tags: Record<string, string>;
}
export interface UntagOp {
  type: "untag";
  secretId: string;
  keys: string[];
}
export interface ReplicateOp {
  type: "replicate";
  secretId: string;
  replicas: ReplicaSpec[];
  forceOverwriteReplicaSecret: boolean;
}
export interface RemoveReplicasOp {
  type: "removeReplicas";
  secretId: string;
  regions: string[];
}
export interface DeleteOp {
  type: "delete";
  secretId: string;
  deletion: DeletionSpec;
}

/** What the provider records after a successful reconcile. */
export interface AppliedSecret {
  arn: string;
  name: string;
  /** The version holding AWSCURRENT: the desired token (or its rewrite) after a reconcile. */
  versionId: string;
  replicationStatus: ReplicationStatus[];
}
