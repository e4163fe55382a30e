import type { DeletionSpec, ReplicaSpec } from "../manifest/spec.js";
import type { ResolvedValue } from "../sources/value.js";
import type { ValueDigest } from "./digest.js";

/** The tag that says which stack manages a secret; its value is the owner string. */
export const OWNER_TAG = "secret-manifests:stack";

/** Version stage Secrets Manager serves by default. */
export const AWSCURRENT = "AWSCURRENT";

/** What one manifest document asks AWS to hold, value resolved and digested. */
export interface DesiredSecret {
  name: string;
  description?: string;
  kmsKeyId?: string;
  /** Final tags, the ownership tag included. */
  tags: Record<string, string>;
  value: ResolvedValue;
  digest: ValueDigest;
  /** requestToken(name, digest): the VersionId this value has (or will have) in AWS. */
  token: string;
  replicas: ReplicaSpec[];
  forceOverwriteReplicaSecret: boolean;
  adopt: boolean;
}

export interface ObservedReplica {
  region: string;
  kmsKeyId?: string;
  status?: string;
  statusMessage?: string;
}

/** What AWS holds for one name. Never contains a value. */
export interface ObservedSecret {
  arn: string;
  name: string;
  description?: string;
  kmsKeyId?: string;
  tags: Record<string, string>;
  /** Set when the secret is scheduled for deletion. */
  deletedDate?: Date;
  /** VersionIdsToStages: only versions that carry at least one stage. */
  versionStages: Record<string, string[]>;
  replicas: ObservedReplica[];
  /**
   * False when the observation came from ListSecrets, which does not report replication:
   * `replicas` is then empty for lack of data, not because there are none.
   */
  replicasObserved: boolean;
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
   * The version holding AWSCURRENT now. AWS accepts a token naming a version it still keeps
   * without a stage, but then writes nothing and moves no stage; apply moves AWSCURRENT
   * from here in that case.
   */
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

export interface ReplicationStatus {
  region: string;
  status: string;
  message?: string;
}

/** What the provider records after a successful reconcile. */
export interface AppliedSecret {
  arn: string;
  name: string;
  /** The version holding AWSCURRENT: always the desired token after a reconcile. */
  versionId: string;
  replicationStatus: ReplicationStatus[];
}
