import type { ReplicationStatus } from "../aws/model.js";
import type { DeletionSpec, ReplicaSpec } from "../manifest/spec.js";
import type { ResolvedValue } from "../sources/value.js";
import type { ValueDigest } from "./digest.js";

export {
  AWSCURRENT,
  CLAIM_TAG,
  type ObservedReplica,
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
  value: ResolvedValue;
  digest: ValueDigest;
  /** requestToken(name, value): the VersionId this value has (or will have) in AWS. */
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
}

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
  | DeleteOp;

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
