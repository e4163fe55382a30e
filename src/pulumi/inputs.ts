/**
 * The shape of a ManagedSecret's inputs and outputs as they cross the engine's gRPC
 * boundary. References only: no secret value is ever part of either.
 */
import type {
  DeletionSpec,
  JsonFieldSpec,
  ReplicaSpec,
  RotationSpec,
  SecretValueSpec,
  SpecSource,
  UpdatePolicy,
} from "../manifest/spec";
import type { ValueDigest } from "../reconcile/digest";
import type { AppliedSecret, KeptValue } from "../reconcile/types";

/**
 * A value spec as it crosses the engine. The engine's gRPC Struct sorts object keys, so a
 * JSON value's fields travel as an ordered list of [key, field] pairs: the stored JSON text
 * keeps the manifest's key order.
 */
export type ValueInput =
  | Exclude<SecretValueSpec, { kind: "json" }>
  | { kind: "json"; entries: [string, JsonFieldSpec][] };

export function toValueInput(spec: SecretValueSpec): ValueInput {
  return spec.kind === "json" ? { kind: "json", entries: spec.fields } : spec;
}

export function fromValueInput(input: ValueInput): SecretValueSpec {
  return input.kind === "json" ? { kind: "json", fields: input.entries } : input;
}

export interface ManagedSecretInputs {
  name: string;
  /** Absent: the provider's region (config `secret-manifests:region`, else the SDK chain). */
  region?: string;
  description?: string;
  kmsKeyId?: string;
  /** Final tags: default tags, then manifest tags, then the ownership tag. */
  tags: Record<string, string>;
  /** Absent: `updatePolicy: IfNotExists` with adopt, the value is whatever AWS holds. */
  value?: ValueInput;
  /** Absent in state from before update policies: Replace. */
  updatePolicy?: UpdatePolicy;
  rotation?: RotationSpec;
  /** The document as compact JSON text (a file's content already read): the engine would sort an object's keys. */
  resourcePolicy?: { document: string; blockPublicPolicy: boolean };
  replicas: ReplicaSpec[];
  forceOverwriteReplicaSecret: boolean;
  deletion: DeletionSpec;
  adopt: boolean;
  /** `<project>/<stack>`: the value of the ownership tag. */
  owner: string;
  /** The manifest document this came from, for error messages. Root-relative. */
  source: SpecSource;
  /** The user let references read outside the project folder (config `allowReadsOutsideRoot`). */
  allowReadsOutsideRoot?: boolean;
  /** HMAC key (a Pulumi secret): without it a digest in state cannot be checked against a guess. */
  hmacKey: string;
  /** Added by `check`: keyed digest of the resolved value (of the declaration, for kept parts). */
  digest?: ValueDigest;
  /** Added by `check`: the parts AWS keeps (seed-once, generated), marks only; absent when all is enforced. */
  kept?: KeptValue;
}

/** The recorded state: the inputs without the value references, plus what AWS returned. */
export interface ManagedSecretOutputs extends Omit<ManagedSecretInputs, "value"> {
  arn: string;
  /**
   * This resource's claim on its secret (the `secret-manifests:claim` tag), set at create.
   * Absent in state written before claims: such a resource never removes a claim.
   */
  claim?: string;
  /**
   * The region the secret was deployed to (the input region, else the provider's, else the
   * SDK chain's). Absent in state written before it was recorded: the ARN's region then.
   */
  awsRegion?: string;
  versionId: string;
  replicationStatus: AppliedSecret["replicationStatus"];
}

/**
 * Inputs whose change means a different secret, so Pulumi must replace it. The region is
 * compared as the effective region (see crud.ts `diff`), not as given.
 */
export const REPLACE_ON_CHANGE = ["name"] as const;

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
  "rotation",
  "resourcePolicy",
  "digest",
] as const;
