/**
 * The shape of a ManagedSecret's inputs and outputs as they cross the engine's gRPC
 * boundary. References only: no secret value is ever part of either.
 */
import type { DeletionSpec, ReplicaSpec, SecretValueSpec } from "../manifest/spec";
import type { ValueDigest } from "../reconcile/digest";
import type { AppliedSecret } from "../reconcile/types";

export interface ManagedSecretInputs {
  name: string;
  /** Absent: the provider's region (config `secret-manifests:region`, else the SDK chain). */
  region?: string;
  description?: string;
  kmsKeyId?: string;
  /** Final tags: default tags, then manifest tags, then the ownership tag. */
  tags: Record<string, string>;
  value: SecretValueSpec;
  replicas: ReplicaSpec[];
  forceOverwriteReplicaSecret: boolean;
  deletion: DeletionSpec;
  adopt: boolean;
  /** `<project>/<stack>`: the value of the ownership tag. */
  owner: string;
  /** The manifest document this came from, for error messages. Root-relative. */
  source: { file: string; line: number };
  /** Hex HMAC key (a Pulumi secret). Keyed digests are guessing-proof; see DESIGN invariant 2. */
  hmacKey: string;
  /** Added by `check`: keyed digest of the resolved value. */
  digest?: ValueDigest;
}

/** The recorded state: the inputs without the value references, plus what AWS returned. */
export interface ManagedSecretOutputs extends Omit<ManagedSecretInputs, "value"> {
  arn: string;
  versionId: string;
  replicationStatus: AppliedSecret["replicationStatus"];
}

/** Inputs whose change means a different secret, so Pulumi must replace it. */
export const REPLACE_ON_CHANGE = ["name", "region"] as const;

/** Inputs compared by `diff` for an in-place update. `source` only feeds error messages. */
export const UPDATE_ON_CHANGE = [
  "description",
  "kmsKeyId",
  "tags",
  "replicas",
  "forceOverwriteReplicaSecret",
  "deletion",
  "adopt",
  "owner",
  "digest",
] as const;
