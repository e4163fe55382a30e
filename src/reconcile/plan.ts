import { UserError } from "../errors.js";
import type { DeletionSpec, ReplicaSpec } from "../manifest/spec.js";
import { sameKmsKey } from "./kms.js";
import { AWSCURRENT, type DesiredSecret, type ObservedSecret, type Operation, OWNER_TAG } from "./types.js";

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
): Operation[] {
  if (desired.tags[OWNER_TAG] !== owner) {
    throw new Error(`desired tags of "${desired.name}" must carry ${OWNER_TAG}=${owner}`);
  }
  if (!observed) return [createOp(desired)];
  assertMayManage(desired, observed, owner);
  if (!observed.replicasObserved) {
    throw new Error(`planning "${desired.name}" needs an observation that includes replication`);
  }
  const secretId = observed.arn;
  return [
    ...(observed.deletedDate ? [{ type: "restore" as const, secretId }] : []),
    ...tagOps(secretId, desired.tags, observed.tags),
    ...metadataOps(secretId, desired, observed),
    ...valueOps(secretId, desired.token, observed.versionStages),
    ...replicaOps(secretId, desired, observed),
  ];
}

/**
 * Removing a secret: replicas first (AWS refuses to delete a primary that has replicas),
 * then DeleteSecret. A secret already gone or already scheduled for deletion needs nothing.
 */
export function planDeletion(observed: ObservedSecret | undefined, deletion: DeletionSpec): Operation[] {
  if (!observed || observed.deletedDate) return [];
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

/** One CreateSecret with every parameter inline (invariant 4). */
function createOp(desired: DesiredSecret): Operation {
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
function assertMayManage(desired: DesiredSecret, observed: ObservedSecret, owner: string): void {
  const taggedOwner = observed.tags[OWNER_TAG];
  if (taggedOwner === owner) return;
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

/**
 * The version id IS the token (invariant 3), so comparing ids tells whether AWS holds the
 * desired value, without reading it. A value AWS still has under some stage is brought
 * back with a stage move; anything else is a new version.
 */
function valueOps(secretId: string, token: string, versionStages: Record<string, string[]>): Operation[] {
  const current = currentVersionId(versionStages);
  if (current === token) return [];
  const fromVersionId = current !== undefined ? { fromVersionId: current } : {};
  if (token in versionStages)
    return [{ type: "moveCurrent", secretId, toVersionId: token, ...fromVersionId }];
  return [{ type: "putValue", secretId, token, ...fromVersionId }];
}

export function currentVersionId(versionStages: Record<string, string[]>): string | undefined {
  return Object.keys(versionStages).find((id) => versionStages[id]?.includes(AWSCURRENT));
}

/**
 * AWS cannot change a replica's KMS key in place: such a replica is removed and added again.
 */
function replicaOps(secretId: string, desired: DesiredSecret, observed: ObservedSecret): Operation[] {
  const observedByRegion = new Map(observed.replicas.map((r) => [r.region, r]));
  const wantedRegions = new Set(desired.replicas.map((r) => r.region));
  const differs = (r: ReplicaSpec) => !sameKmsKey(r.kmsKeyId, observedByRegion.get(r.region)?.kmsKeyId);
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
