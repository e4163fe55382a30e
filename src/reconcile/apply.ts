import type { SecretsGateway } from "../aws/gateway.js";
import {
  type AppliedSecret,
  AWSCURRENT,
  type DesiredSecret,
  type ObservedSecret,
  type Operation,
} from "./types.js";

/**
 * Performs a plan, one call at a time in plan order, and reports what AWS holds afterwards.
 * `observed` is where the plan started from (absent for a new secret); it supplies the ARN
 * and replication status when the plan has no call that returns them. Returns undefined
 * when the plan ends with the secret deleted.
 */
export async function apply(
  gateway: SecretsGateway,
  desired: DesiredSecret | undefined,
  ops: Operation[],
  observed?: ObservedSecret,
): Promise<AppliedSecret | undefined> {
  let state: AppliedSecret | undefined =
    observed && desired ? appliedFromObserved(observed, desired.token) : undefined;
  for (const op of ops) {
    state = await applyOne(gateway, desired, op, state);
  }
  return state;
}

async function applyOne(
  gateway: SecretsGateway,
  desired: DesiredSecret | undefined,
  op: Operation,
  state: AppliedSecret | undefined,
): Promise<AppliedSecret | undefined> {
  switch (op.type) {
    case "create": {
      const { type: _, ...input } = op;
      return gateway.createSecret({ ...input, value: valueFor(desired, op.token) });
    }
    case "restore":
      await gateway.restoreSecret(op.secretId);
      return state;
    case "putValue": {
      const { versionStages } = await gateway.putSecretValue(
        op.secretId,
        op.token,
        valueFor(desired, op.token),
      );
      if (!versionStages.includes(AWSCURRENT))
        await gateway.moveCurrent(op.secretId, op.token, op.fromVersionId);
      return state;
    }
    case "moveCurrent":
      await gateway.moveCurrent(op.secretId, op.toVersionId, op.fromVersionId);
      return state;
    case "updateMetadata":
      await gateway.updateMetadata(op.secretId, { description: op.description, kmsKeyId: op.kmsKeyId });
      return state;
    case "tag":
      await gateway.tag(op.secretId, op.tags);
      return state;
    case "untag":
      await gateway.untag(op.secretId, op.keys);
      return state;
    case "replicate": {
      const added = await gateway.replicate(op.secretId, op.replicas, op.forceOverwriteReplicaSecret);
      return state && { ...state, replicationStatus: mergeByRegion(state.replicationStatus, added) };
    }
    case "removeReplicas": {
      await gateway.removeReplicas(op.secretId, op.regions);
      const removed = new Set(op.regions);
      return (
        state && {
          ...state,
          replicationStatus: state.replicationStatus.filter((r) => !removed.has(r.region)),
        }
      );
    }
    case "delete":
      await gateway.deleteSecret(op.secretId, op.deletion);
      return undefined;
  }
}

/** Operations reference the value by its token; a mismatch means the plan is not for this value. */
function valueFor(desired: DesiredSecret | undefined, token: string) {
  if (!desired || desired.token !== token)
    throw new Error("operation token does not match the desired value");
  return desired.value;
}

/** After a successful plan, AWSCURRENT is the desired version. */
function appliedFromObserved(observed: ObservedSecret, token: string): AppliedSecret {
  return {
    arn: observed.arn,
    name: observed.name,
    versionId: token,
    replicationStatus: observed.replicas.map((r) => ({
      region: r.region,
      status: r.status ?? "Unknown",
      ...(r.statusMessage ? { message: r.statusMessage } : {}),
    })),
  };
}

function mergeByRegion<T extends { region: string }>(base: T[], updates: T[]): T[] {
  const byRegion = new Map(base.map((r) => [r.region, r]));
  for (const u of updates) byRegion.set(u.region, u);
  return [...byRegion.values()];
}
