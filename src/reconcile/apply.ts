import type { SecretsGateway } from "../aws/gateway.js";
import type { ResolvedValue } from "../sources/value.js";
import { requestToken, rewriteToken } from "./digest.js";
import { initialValue, updatedValue } from "./parts.js";
import {
  type AppliedSecret,
  AWSCURRENT,
  currentVersionId,
  type DesiredSecret,
  type ObservedSecret,
  type Operation,
  type PutValueOp,
  type ValueParts,
  type WritePartsOp,
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
  let state: AppliedSecret | undefined = observed && desired ? appliedFromObserved(observed) : undefined;
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
      return gateway.createSecret({ ...input, value: await createValue(gateway, desired, op.token) });
    }
    case "writeParts": {
      const versionId = await writeParts(gateway, desired, op);
      return state && versionId !== undefined ? { ...state, versionId } : state;
    }
    case "rotate":
      await gateway.rotate(op.secretId, op.rotation);
      return state;
    case "cancelRotation":
      await gateway.cancelRotation(op.secretId);
      return state;
    case "putPolicy":
      await gateway.putResourcePolicy(op.secretId, op.document, op.blockPublicPolicy);
      return state;
    case "deletePolicy":
      await gateway.deleteResourcePolicy(op.secretId);
      return state;
    case "restore":
      await gateway.restoreSecret(op.secretId);
      return state;
    case "putValue": {
      const versionId = await writeValue(gateway, valueFor(desired, op.token), op);
      return state && { ...state, versionId };
    }
    case "moveCurrent":
      await gateway.moveCurrent(op.secretId, op.toVersionId, op.fromVersionId);
      return state && { ...state, versionId: op.toVersionId };
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

/**
 * Writes the value and makes it AWSCURRENT; returns the version id that holds it. AWS
 * ignores a put whose token names a version it still keeps: a staged one (re-encrypted
 * under the secret's key by AWS on every key change) gets AWSCURRENT moved to it; one
 * without a stage may be under an earlier key, so the value is written again under the
 * rewrite token. Only a rewrite version kept without a stage is moved to as it is: it was
 * written under the key named in its token, the desired one.
 */
export async function writeValue(
  gateway: SecretsGateway,
  value: ResolvedValue,
  op: PutValueOp,
): Promise<string> {
  const stages = await stagesAfterPut(gateway, op.secretId, op.token, value);
  if (stages.includes(AWSCURRENT)) return op.token;
  if (stages.length > 0) {
    await gateway.moveCurrent(op.secretId, op.token, op.fromVersionId);
    return op.token;
  }
  const rewritten = await stagesAfterPut(gateway, op.secretId, op.rewriteToken, value);
  if (!rewritten.includes(AWSCURRENT))
    await gateway.moveCurrent(op.secretId, op.rewriteToken, op.fromVersionId);
  return op.rewriteToken;
}

/**
 * The stages the version carries after a put. A response without VersionStages is not
 * taken as AWSCURRENT: the secret is described to find out.
 */
async function stagesAfterPut(
  gateway: SecretsGateway,
  secretId: string,
  token: string,
  value: ResolvedValue,
): Promise<string[]> {
  const { versionStages } = await gateway.putSecretValue(secretId, token, value);
  if (versionStages) return versionStages;
  return (await gateway.describeSecret(secretId))?.versionStages[token] ?? [];
}

/** Operations reference the value by its token; a mismatch means the plan is not for this value. */
function valueFor(desired: DesiredSecret | undefined, token: string): ResolvedValue {
  if (!desired || (desired.token !== token && desired.rewriteToken !== token))
    throw new Error("operation token does not match the desired value");
  if (desired.value.kind === "parts") throw new Error("a value with kept parts is written by writeParts");
  return desired.value;
}

async function createValue(
  gateway: SecretsGateway,
  desired: DesiredSecret | undefined,
  token: string,
): Promise<ResolvedValue> {
  if (desired?.value.kind !== "parts") return valueFor(desired, token);
  if (desired.token !== token) throw new Error("operation token does not match the desired value");
  const value = await initialValue(gateway, desired.value);
  if (!value) throw new Error(`"${desired.name}" has no value to create it with`);
  return value;
}

/**
 * Composes and writes a value with kept parts; returns the version that holds AWSCURRENT
 * afterwards (undefined: unknown, nothing was read or written). The version id is a keyed
 * token of the composed value, so writing the same value again is a no-op in AWS too.
 */
async function writeParts(
  gateway: SecretsGateway,
  desired: DesiredSecret | undefined,
  op: WritePartsOp,
): Promise<string | undefined> {
  const parts = partsOf(desired);
  const current = op.read ? await gateway.readCurrentValue(op.secretId) : undefined;
  const value = await updatedValue(gateway, parts, current);
  if (!value) return current?.versionId;
  const name = (desired as DesiredSecret).name;
  return writeValue(gateway, value, {
    type: "putValue",
    secretId: op.secretId,
    token: requestToken(name, value, parts.hmacKey),
    rewriteToken: rewriteToken(name, value, desired?.kmsKeyId, parts.hmacKey),
    ...((current?.versionId ?? op.fromVersionId) !== undefined
      ? { fromVersionId: current?.versionId ?? op.fromVersionId }
      : {}),
  });
}

function partsOf(desired: DesiredSecret | undefined): ValueParts {
  if (desired?.value.kind !== "parts") throw new Error("writeParts needs a value with kept parts");
  return desired.value;
}

/** Where a plan starts; its operations update the version and replication they change. */
function appliedFromObserved(observed: ObservedSecret): AppliedSecret {
  return {
    arn: observed.arn,
    name: observed.name,
    versionId: currentVersionId(observed.versionStages) ?? "",
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
