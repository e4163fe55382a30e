import { UserError } from "../errors.js";
import type { DeletionSpec, ReplicaSpec, RotationSpec } from "../manifest/spec.js";
import { sameKmsKey } from "./kms.js";
import { samePolicy } from "./policy.js";
import {
  AWSCURRENT,
  AWSPENDING,
  CLAIM_TAG,
  currentVersionId,
  type DesiredSecret,
  type ObservedRotation,
  type ObservedSecret,
  type Operation,
  OWNER_TAG,
  type ValueParts,
  WHOLE_VALUE,
} from "./types.js";

/**
 * The fewest API calls that make AWS hold `desired`, in the order they must run. Pure:
 * no I/O, so every path is tested as data.
 *
 * Order matters: a restored secret accepts no other call before RestoreSecret; the
 * ownership tag goes on first, so a crash later in the list leaves a secret this stack
 * recognizes as its own; the KMS key changes before a new value is encrypted with it.
 */
export function plan(
  desired: DesiredSecret,
  observed: ObservedSecret | undefined,
  owner: string,
  recorded?: RecordedSecret,
): Operation[] {
  if (desired.tags[OWNER_TAG] !== owner) {
    throw new Error(`desired tags of "${desired.name}" must carry ${OWNER_TAG}=${owner}`);
  }
  if (!observed)
    return [
      createOp(desired),
      ...policyOps(desired.name, desired, undefined),
      ...rotationOps(desired.name, desired, undefined),
    ];
  assertMayManage(desired, observed, owner, recorded);
  if (!observed.replicasObserved) {
    throw new Error(`planning "${desired.name}" needs an observation that includes replication`);
  }
  const secretId = observed.arn;
  return [
    ...(observed.deletedDate ? [{ type: "restore" as const, secretId }] : []),
    ...tagOps(secretId, desired.tags, observed.tags),
    ...metadataOps(secretId, desired, observed),
    ...(desired.value.kind === "parts"
      ? partsOps(secretId, desired.value, observed.versionStages)
      : valueOps(secretId, desired, observed.versionStages)),
    ...policyOps(secretId, desired, observed),
    ...rotationOps(secretId, desired, observed),
    ...replicaOps(secretId, desired, observed),
  ];
}

/**
 * What the last deployment of a resource recorded: its secret's ARN and the owner it was
 * tagged with. Together they prove a secret is this resource's own even when the live tag
 * still names the owner from before a `pulumi stack rename`.
 */
export interface RecordedSecret {
  arn: string;
  owner: string;
}

/**
 * Removing a secret: replicas first (AWS refuses to delete a primary that has replicas),
 * then DeleteSecret. A secret already gone or already scheduled for deletion needs nothing.
 * A secret is deleted only while it carries the ownership tag it was recorded with: one
 * handed over to another stack (or untagged by hand) is refused, not deleted. One that
 * another resource of the stack has claimed since (a replacement that landed on the same
 * secret) is left to that resource.
 */
export function planDeletion(
  observed: ObservedSecret | undefined,
  deletion: DeletionSpec,
  owner: string,
  claim?: string,
): Operation[] {
  if (!observed || observed.deletedDate) return [];
  const liveClaim = observed.tags[CLAIM_TAG];
  const taggedOwner = observed.tags[OWNER_TAG];
  if (taggedOwner !== owner) {
    const holder = taggedOwner === undefined ? "no stack (its ownership tag is gone)" : `"${taggedOwner}"`;
    throw new UserError(
      `Refusing to delete secret "${observed.name}": it now belongs to ${holder}, not to "${owner}".`,
      undefined,
      "Nothing was deleted. To drop it from this stack and leave it in AWS, run `pulumi state delete` on the resource (or give it retainOnDelete); to delete it, tag it back to this stack first.",
    );
  }
  if (liveClaim !== undefined && liveClaim !== claim) return [];
  if (!observed.replicasObserved) {
    throw new Error(`deleting "${observed.name}" needs an observation that includes replication`);
  }
  const secretId = observed.arn;
  const regions = observed.replicas.map((r) => r.region);
  return [
    ...(regions.length > 0 ? [{ type: "removeReplicas" as const, secretId, regions }] : []),
    { type: "delete", secretId, deletion },
  ];
}

/** One CreateSecret with every parameter inline: a new secret costs one call. */
function createOp(desired: DesiredSecret): Operation {
  const { value } = desired;
  if (value.kind === "parts" && !value.whole && !value.fields) {
    throw new UserError(
      `Secret "${desired.name}" does not exist, and its manifest has no value to create it with.`,
      undefined,
      "`updatePolicy: IfNotExists` without spec.value only takes over an existing secret's value; add spec.value (a seed, or `generate`) to create it, or create the secret first.",
    );
  }
  return {
    type: "create",
    name: desired.name,
    token: desired.token,
    ...(desired.description !== undefined ? { description: desired.description } : {}),
    ...(desired.kmsKeyId !== undefined ? { kmsKeyId: desired.kmsKeyId } : {}),
    tags: desired.tags,
    replicas: desired.replicas,
    forceOverwriteReplicaSecret: desired.forceOverwriteReplicaSecret,
  };
}

/**
 * Ownership rules. A secret tagged with this stack is ours (including one we created just
 * before a crash). An untagged secret is taken over only on request (`adopt: true`). A
 * secret tagged by another stack is never taken over, not even with `adopt: true`: two
 * stacks would overwrite each other's values on every deployment. Handing it over is an
 * explicit act: remove it from the other stack, or delete its tag.
 */
function assertMayManage(
  desired: DesiredSecret,
  observed: ObservedSecret,
  owner: string,
  recorded: RecordedSecret | undefined,
): void {
  const taggedOwner = observed.tags[OWNER_TAG];
  if (taggedOwner === owner) return;
  // Renamed project or stack: the secret this resource recorded, still tagged with the
  // owner it recorded. tagOps moves the tag to the new owner.
  if (recorded && taggedOwner === recorded.owner && observed.arn === recorded.arn) return;
  if (taggedOwner !== undefined) {
    throw new UserError(
      `Secret "${desired.name}" already exists and is managed by another stack ("${taggedOwner}"), not by "${owner}".`,
      undefined,
      `Remove it from the manifests of "${taggedOwner}" (or delete its ${OWNER_TAG} tag), then set spec.adopt: true here to take it over; or choose another name.`,
    );
  }
  if (!desired.adopt) {
    throw new UserError(
      `Secret "${desired.name}" already exists in AWS and is not managed by this stack ("${owner}").`,
      undefined,
      "To manage it from this manifest, set spec.adopt: true (its value, description, KMS key, tags and replicas will be made to match the manifest); or choose another name.",
    );
  }
}

/**
 * Tags differing in value are (re)set, tags absent from the manifest are removed. Tags
 * with the reserved `aws:` prefix belong to AWS and cannot be removed.
 */
function tagOps(
  secretId: string,
  desired: Record<string, string>,
  observed: Record<string, string>,
): Operation[] {
  const changed = Object.fromEntries(Object.entries(desired).filter(([k, v]) => observed[k] !== v));
  const removed = Object.keys(observed).filter((k) => !(k in desired) && !k.startsWith("aws:"));
  return [
    ...(Object.keys(changed).length > 0 ? [{ type: "tag" as const, secretId, tags: changed }] : []),
    ...(removed.length > 0 ? [{ type: "untag" as const, secretId, keys: removed }] : []),
  ];
}

/**
 * An omitted description or KMS key means "none" / the AWS managed key, so removing one
 * from a manifest changes AWS too.
 */
function metadataOps(secretId: string, desired: DesiredSecret, observed: ObservedSecret): Operation[] {
  const description =
    (desired.description ?? "") !== (observed.description ?? "") ? (desired.description ?? "") : undefined;
  const kmsKeyId = sameKmsKey(desired.kmsKeyId, observed.kmsKeyId)
    ? undefined
    : (desired.kmsKeyId ?? DEFAULT_KMS_KEY);
  if (description === undefined && kmsKeyId === undefined) return [];
  return [
    {
      type: "updateMetadata",
      secretId,
      ...(description !== undefined ? { description } : {}),
      ...(kmsKeyId !== undefined ? { kmsKeyId } : {}),
    },
  ];
}

const DEFAULT_KMS_KEY = "alias/aws/secretsmanager";

/** ReplicationStatusType.Status of a replica AWS could not create or update. */
export const REPLICA_FAILED = "Failed";

/**
 * The version id IS the token (see requestToken), so comparing ids tells whether AWS holds the
 * desired value, without reading it. A version that still carries a stage is brought back
 * with a stage move: AWS re-encrypted it if the KMS key changed. Anything else is a write:
 * a version AWS removed is written anew, and one kept without a stage (AWS then ignores
 * the put) is rewritten under `rewriteToken` (see apply).
 */
function valueOps(
  secretId: string,
  desired: DesiredSecret,
  versionStages: Record<string, string[]>,
): Operation[] {
  const current = currentVersionId(versionStages);
  if (current === desired.token || current === desired.rewriteToken) return [];
  const fromVersionId = current !== undefined ? { fromVersionId: current } : {};
  const staged = [desired.token, desired.rewriteToken].find((id) => (versionStages[id]?.length ?? 0) > 0);
  if (staged) return [{ type: "moveCurrent", secretId, toVersionId: staged, ...fromVersionId }];
  return [
    {
      type: "putValue",
      secretId,
      token: desired.token,
      rewriteToken: desired.rewriteToken,
      ...fromVersionId,
    },
  ];
}

/**
 * A value with kept parts is written only when AWS holds none of it, when a generated part
 * is due for a new generation, or (JSON) when the enforced keys may differ: apply then reads
 * AWS's value once and writes only if the merged value differs.
 */
export function partsOps(
  secretId: string,
  parts: ValueParts,
  versionStages: Record<string, string[]>,
): Operation[] {
  const current = currentVersionId(versionStages);
  const fromVersionId = current !== undefined ? { fromVersionId: current } : {};
  if (current === undefined) {
    return parts.whole || parts.fields ? [{ type: "writeParts", secretId, read: false }] : [];
  }
  if (parts.whole) {
    const renew = parts.regenerate.includes(WHOLE_VALUE) && "generate" in parts.whole;
    return renew ? [{ type: "writeParts", secretId, read: false, ...fromVersionId }] : [];
  }
  if (parts.fields && (parts.verify || parts.regenerate.length > 0)) {
    return [{ type: "writeParts", secretId, read: true, ...fromVersionId }];
  }
  return [];
}

/**
 * PutResourcePolicy when the declared document differs in meaning from AWS's (or
 * blockPublicPolicy changed); DeleteResourcePolicy when the manifest dropped a policy AWS
 * still has. A policy that was not read (`undefined`) is left alone.
 */
function policyOps(
  secretId: string,
  desired: DesiredSecret,
  observed: ObservedSecret | undefined,
): Operation[] {
  const wanted = desired.resourcePolicy;
  const held = observed?.resourcePolicy;
  if (!wanted) return held ? [{ type: "deletePolicy", secretId }] : [];
  if (held && !wanted.force && samePolicy(held, wanted.document)) return [];
  return [
    { type: "putPolicy", secretId, document: wanted.document, blockPublicPolicy: wanted.blockPublicPolicy },
  ];
}

/**
 * RotateSecret when the rotation AWS reports (from the same ListSecrets / DescribeSecret,
 * no extra call) differs from the manifest's; CancelRotateSecret when the manifest dropped
 * a rotation it declared and AWS still has it enabled. AWS refuses to start a rotation while a version other than the
 * current one carries AWSPENDING (an unfinished rotation), so that is reported first.
 */
function rotationOps(
  secretId: string,
  desired: DesiredSecret,
  observed: ObservedSecret | undefined,
): Operation[] {
  const wanted = desired.rotation;
  if (!wanted)
    return desired.hadRotation && observed?.rotation?.enabled ? [{ type: "cancelRotation", secretId }] : [];
  if (sameRotation(wanted, observed?.rotation)) return [];
  const pending = observed ? pendingVersion(observed.versionStages) : undefined;
  if (pending !== undefined) {
    throw new UserError(
      `Secret "${desired.name}" has a rotation that did not finish: version ${pending} still carries ${AWSPENDING}, so Secrets Manager refuses to set up rotation again.`,
      undefined,
      `Check the rotation function's logs (its finishSecret step did not run). If that version is not wanted, remove the label: aws secretsmanager update-secret-version-stage --secret-id ${desired.name} --version-stage ${AWSPENDING} --remove-from-version-id ${pending}; then deploy again.`,
    );
  }
  return [{ type: "rotate", secretId, rotation: wanted }];
}

/**
 * Whether AWS runs the rotation a manifest declares (rotateImmediately is a request flag,
 * not a setting). Only what the manifest sets is compared, and a day count also matches
 * its `rate(N days)` form: AWS may report a schedule in either form, or a window the
 * manifest left to its default, and neither must cause a RotateSecret on every run.
 */
export function sameRotation(wanted: RotationSpec, held: ObservedRotation | undefined): boolean {
  if (!held?.enabled) return false;
  const days = wanted.automaticallyAfterDays;
  const schedule =
    days !== undefined
      ? held.automaticallyAfterDays === days || held.scheduleExpression === `rate(${days} days)`
      : held.scheduleExpression === wanted.scheduleExpression;
  return (
    (wanted.managed === true || wanted.lambdaArn === held.lambdaArn) &&
    schedule &&
    (wanted.duration === undefined || wanted.duration === held.duration)
  );
}

/** A version carrying AWSPENDING without AWSCURRENT: a rotation still in progress, or one that failed. */
export function pendingVersion(versionStages: Record<string, string[]>): string | undefined {
  return Object.keys(versionStages).find((id) => {
    const stages = versionStages[id] ?? [];
    return stages.includes(AWSPENDING) && !stages.includes(AWSCURRENT);
  });
}

/**
 * AWS cannot change a replica's KMS key in place, nor retry a replica whose replication
 * failed: such a replica is removed and added again (a Failed replica holds no copy).
 */
function replicaOps(secretId: string, desired: DesiredSecret, observed: ObservedSecret): Operation[] {
  const observedByRegion = new Map(observed.replicas.map((r) => [r.region, r]));
  const wantedRegions = new Set(desired.replicas.map((r) => r.region));
  const differs = (r: ReplicaSpec) => {
    const seen = observedByRegion.get(r.region);
    return seen?.status === REPLICA_FAILED || !sameKmsKey(r.kmsKeyId, seen?.kmsKeyId);
  };
  const toAdd = desired.replicas.filter((r) => !observedByRegion.has(r.region) || differs(r));
  const toRemove = observed.replicas
    .map((r) => r.region)
    .filter((region) => !wantedRegions.has(region) || toAdd.some((r) => r.region === region));
  return [
    ...(toRemove.length > 0 ? [{ type: "removeReplicas" as const, secretId, regions: toRemove }] : []),
    ...(toAdd.length > 0
      ? [
          {
            type: "replicate" as const,
            secretId,
            replicas: toAdd,
            forceOverwriteReplicaSecret: desired.forceOverwriteReplicaSecret,
          },
        ]
      : []),
  ];
}
