import { SecretsManagerError } from "../aws/errors.js";
import type { CurrentValue, SecretsGateway } from "../aws/gateway.js";
import type { DeletionSpec } from "../manifest/spec.js";
import type { ResolvedValue } from "../sources/value.js";
import { apply } from "./apply.js";
import { digestValue, type ValueDigest } from "./digest.js";
import { currentVersionId, plan, planDeletion } from "./plan.js";
import { type AppliedSecret, AWSCURRENT, type DesiredSecret, type ObservedSecret } from "./types.js";

export { apply } from "./apply.js";
export { digestValue, requestToken, type ValueDigest } from "./digest.js";
export { plan, planDeletion } from "./plan.js";
export * from "./types.js";

/** Observe, plan, apply: makes AWS hold `desired`, from whatever state it is in. */
export async function reconcile(
  gateway: SecretsGateway,
  desired: DesiredSecret,
  owner: string,
  opts: ReconcileOptions = {},
): Promise<AppliedSecret> {
  const observed = opts.listed
    ? await observeFromListing(gateway, desired.name, opts.listed)
    : await gateway.describe(desired.name, { replication: true });
  try {
    return await planAndApply(gateway, desired, observed, owner);
  } catch (error) {
    // ListSecrets is eventually consistent: a secret created moments ago (say, by a run
    // that crashed before recording it) may be missing from it, and CreateSecret then
    // says it exists. DescribeSecret sees it; plan again from there (adopting it if ours).
    // The same when a lookup found no secret of this stack's and CreateSecret meets someone
    // else's (or one pending deletion).
    const taken = ["exists", "scheduledForDeletion"];
    if (observed || !(error instanceof SecretsManagerError && taken.includes(error.reason))) throw error;
    return planAndApply(gateway, desired, await gateway.describeSecret(desired.name), owner);
  }
}

export interface ReconcileOptions {
  /**
   * A lookup of the name done another way (without replication), e.g. one listing of the
   * stack's own secrets. Absent there: the secret is created straight away (an existing
   * one then makes CreateSecret fail and is observed fresh). Present there: it is
   * observed fresh, with replication, by ARN.
   */
  listed?: Promise<ObservedSecret | undefined>;
}

async function observeFromListing(
  gateway: SecretsGateway,
  name: string,
  listed: Promise<ObservedSecret | undefined>,
): Promise<ObservedSecret | undefined> {
  let found: ObservedSecret | undefined;
  try {
    found = await listed;
  } catch {
    return gateway.describe(name, { replication: true });
  }
  return found ? gateway.describeSecret(found.arn) : undefined;
}

async function planAndApply(
  gateway: SecretsGateway,
  desired: DesiredSecret,
  observed: ObservedSecret | undefined,
  owner: string,
): Promise<AppliedSecret> {
  const applied = await apply(gateway, desired, plan(desired, observed, owner), observed);
  if (!applied) throw new Error(`reconciling "${desired.name}" produced no secret`);
  return applied;
}

export interface DeployedSecret {
  arn: string;
  /** The AWSCURRENT version recorded at the last deployment. */
  versionId: string;
  replicationStatus: AppliedSecret["replicationStatus"];
}

/**
 * A new value for a secret whose metadata the last deployment already made match:
 * PutSecretValue straight to the recorded ARN, one call, no observation (AWS moves
 * AWSCURRENT to a new version itself). The deterministic token keeps it safe: a value this
 * secret held before is not written again (AWS ignores the put of an existing token), it is
 * moved back to AWSCURRENT. A secret that is gone or scheduled for deletion, or whose
 * AWSCURRENT moved elsewhere, falls back to the full observe-plan-apply.
 */
export async function updateValue(
  gateway: SecretsGateway,
  desired: DesiredSecret,
  owner: string,
  deployed: DeployedSecret,
): Promise<AppliedSecret> {
  try {
    const { versionStages } = await gateway.putSecretValue(deployed.arn, desired.token, desired.value);
    if (!versionStages.includes(AWSCURRENT))
      await gateway.moveCurrent(deployed.arn, desired.token, deployed.versionId);
    return {
      arn: deployed.arn,
      name: desired.name,
      versionId: desired.token,
      replicationStatus: deployed.replicationStatus,
    };
  } catch (error) {
    if (!(error instanceof SecretsManagerError)) throw error;
    if (!["notFound", "scheduledForDeletion", "rejected"].includes(error.reason)) throw error;
    return reconcile(gateway, desired, owner);
  }
}

/** Deletes a secret as the manifest says (replicas first); a missing secret is fine. */
export async function destroy(gateway: SecretsGateway, name: string, deletion: DeletionSpec): Promise<void> {
  const observed = await gateway.describe(name, { replication: true });
  await apply(gateway, undefined, planDeletion(observed, deletion));
}

export interface KnownState {
  /** The AWSCURRENT version recorded at the last deployment. */
  versionId?: string;
  /** The digest recorded with it; reused while that version is still current. */
  digest?: ValueDigest;
  /** The secret had replicas: observe replication too (one DescribeSecret). */
  hasReplicas?: boolean;
  /**
   * The ownership tag value it was deployed with: the reads of a refresh then share one
   * listing of the stack's secrets (100 per call) instead of lookups by name (10 per call).
   */
  owner?: string;
}

export interface ReadResult {
  observed: ObservedSecret;
  current: { versionId: string; digest: ValueDigest };
}

/**
 * What AWS holds now, for `pulumi refresh`. The value is fetched (batched) only when
 * AWSCURRENT moved away from the recorded version: an unchanged secret costs a share of
 * one ListSecrets call. A secret scheduled for deletion reads as gone; deploying again
 * restores it. Replication is observed only when `known.hasReplicas`, because only
 * DescribeSecret reports it.
 */
export async function readSecret(
  gateway: SecretsGateway,
  name: string,
  hmacKey: Buffer,
  known: KnownState = {},
): Promise<ReadResult | undefined> {
  const observed = await gateway.describe(name, {
    replication: known.hasReplicas === true,
    ...(known.owner !== undefined ? { owner: known.owner } : {}),
  });
  if (!observed || observed.deletedDate) return undefined;
  const versionId = currentVersionId(observed.versionStages);
  if (versionId !== undefined && versionId === known.versionId && known.digest) {
    return { observed, current: { versionId, digest: known.digest } };
  }
  const value = await gateway.getCurrentValue(name);
  if (!value) return undefined;
  return {
    observed,
    current: { versionId: value.versionId, digest: digestValue(asResolved(value, known), hmacKey) },
  };
}

/**
 * AWS stores text or bytes; whether text is a JSON value is the manifest's notion. Text
 * is read as JSON when it was JSON before and still parses to an object, so per-key
 * digests can name the changed key; otherwise a kind change shows up as a change.
 */
function asResolved(value: CurrentValue, known: KnownState): ResolvedValue {
  const { payload } = value;
  if (payload.type === "binary") return { kind: "binary", bytes: payload.bytes };
  if (known.digest?.kind === "json") {
    const fields = parseJsonObject(payload.text);
    if (fields) return { kind: "json", text: payload.text, fields };
  }
  return { kind: "string", text: payload.text };
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
