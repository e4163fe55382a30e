import { SecretsManagerError } from "../aws/errors.js";
import type { CurrentValue, SecretsGateway } from "../aws/gateway.js";
import type { DeletionSpec } from "../manifest/spec.js";
import type { ResolvedValue } from "../sources/value.js";
import { apply, writeValue } from "./apply.js";
import { digestValue, type ValueDigest } from "./digest.js";
import { observedDigest, parseObject } from "./parts.js";
import { partsOps, plan, planDeletion, type RecordedSecret } from "./plan.js";
import {
  type AppliedSecret,
  AWSCURRENT,
  CLAIM_TAG,
  currentVersionId,
  type DesiredSecret,
  type KeptValue,
  type ObservedSecret,
  OWNER_TAG,
} from "./types.js";

export { apply } from "./apply.js";
export { digestValue, requestToken, rewriteToken, type ValueDigest } from "./digest.js";
export { plan, planDeletion, type RecordedSecret } from "./plan.js";
export * from "./types.js";

/** Observe, plan, apply: makes AWS hold `desired`, from whatever state it is in. */
export async function reconcile(
  gateway: SecretsGateway,
  desired: DesiredSecret,
  owner: string,
  opts: ReconcileOptions = {},
): Promise<AppliedSecret> {
  const observed = await withPolicy(gateway, await observe(gateway, desired, opts), desired, opts);
  try {
    const applied = await planAndApply(gateway, desired, observed, owner, opts.recorded);
    return observed ? applied : await confirmCreated(gateway, desired, applied, owner, opts);
  } catch (error) {
    // ListSecrets is eventually consistent: a secret created moments ago (say, by a run
    // that crashed before recording it) may be missing from it, and CreateSecret then
    // says it exists. DescribeSecret sees it; plan again from there (adopting it if ours).
    // The same when a lookup found no secret of this stack's and CreateSecret meets someone
    // else's (or one pending deletion).
    const taken = ["exists", "scheduledForDeletion"];
    if (observed || !(error instanceof SecretsManagerError && taken.includes(error.reason))) throw error;
    const found = await withPolicy(gateway, await gateway.describeSecret(desired.name), desired, opts);
    return planAndApply(gateway, desired, found, owner, opts.recorded);
  }
}

/**
 * AWS ignores a CreateSecret that repeats an existing secret's name, token and value,
 * whatever its other parameters, and answers as if it had created it. A secret the stack
 * removed minutes ago and now declares again (pending deletion, and not yet in the lagging
 * ListSecrets) would then stay scheduled for deletion, to be lost when the window ends; a
 * changed description or tags would be dropped. One DescribeSecret tells: the claim tag this
 * create sent is on the secret only if the create took effect. Otherwise plan again from
 * what AWS holds (restore, tags, metadata). The create costs this one read more.
 */
async function confirmCreated(
  gateway: SecretsGateway,
  desired: DesiredSecret,
  applied: AppliedSecret,
  owner: string,
  opts: ReconcileOptions,
): Promise<AppliedSecret> {
  const live = await gateway.describeSecret(applied.arn);
  const claim = desired.tags[CLAIM_TAG];
  if (!live || (!live.deletedDate && (claim === undefined || live.tags[CLAIM_TAG] === claim))) return applied;
  const found = await withPolicy(gateway, live, desired, opts);
  return planAndApply(gateway, desired, found, owner, opts.recorded);
}

/**
 * The resource policy is read (one GetResourcePolicy) only for a secret whose manifest
 * declares one or whose last deployment had one: no other secret pays for the feature.
 */
async function withPolicy(
  gateway: SecretsGateway,
  observed: ObservedSecret | undefined,
  desired: DesiredSecret,
  opts: ReconcileOptions,
): Promise<ObservedSecret | undefined> {
  if (!observed || observed.deletedDate || (!desired.resourcePolicy && !opts.hadPolicy)) return observed;
  return { ...observed, resourcePolicy: (await gateway.getResourcePolicy(observed.arn)) ?? null };
}

/**
 * The secret the last deployment recorded, by its ARN, while it exists; else the name's
 * secret (gone for good: it is created again, or someone else's holds the name).
 */
async function observe(
  gateway: SecretsGateway,
  desired: DesiredSecret,
  opts: ReconcileOptions,
): Promise<ObservedSecret | undefined> {
  const { name } = desired;
  if (opts.recorded) {
    const found = await gateway.describeSecret(opts.recorded.arn);
    if (found?.name === name) return found;
  }
  // A secret adopted as AWS holds it cannot be created, so a name missing from the stack's
  // listing (someone else's secret, as adoption expects) is looked up by name.
  if (opts.listed && canCreate(desired)) return observeFromListing(gateway, name, opts.listed);
  return gateway.describe(name, { replication: true });
}

function canCreate(desired: DesiredSecret): boolean {
  const { value } = desired;
  return value.kind !== "parts" || value.whole !== undefined || value.fields !== undefined;
}

export interface ReconcileOptions {
  /**
   * A lookup of the name done another way (without replication), e.g. one listing of the
   * stack's own secrets. Absent there: the secret is created straight away (an existing
   * one then makes CreateSecret fail and is observed fresh). Present there: it is
   * observed fresh, with replication, by ARN.
   */
  listed?: Promise<ObservedSecret | undefined>;
  /**
   * What the last deployment of this resource recorded: its secret is observed by ARN, and
   * may still carry the recorded owner's tag (a renamed stack re-tags it).
   */
  recorded?: RecordedSecret;
  /** The last deployment declared a resource policy: it is read, and deleted if the manifest dropped it. */
  hadPolicy?: boolean;
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
  recorded: RecordedSecret | undefined,
): Promise<AppliedSecret> {
  const applied = await apply(gateway, desired, plan(desired, observed, owner, recorded), observed);
  if (!applied) throw new Error(`reconciling "${desired.name}" produced no secret`);
  return applied;
}

export interface DeployedSecret {
  arn: string;
  /** The AWSCURRENT version recorded at the last deployment. */
  versionId: string;
  /** The ownership tag value recorded at the last deployment. */
  owner: string;
  replicationStatus: AppliedSecret["replicationStatus"];
}

/**
 * A new value for a secret whose metadata the last deployment already made match:
 * PutSecretValue straight to the recorded ARN (AWS moves AWSCURRENT to a new version
 * itself). Ownership comes first, from one DescribeSecret of the recorded ARN: the stack's
 * shared listing would save that call, but ListSecrets may lag a change by minutes (AWS
 * says so), and in that window after a hand-over it still shows the secret as this
 * stack's, so the write would overwrite the new owner's value. A secret that is not
 * tagged as the stack's (handed over, renamed stack), gone, scheduled for deletion, or
 * whose AWSCURRENT moved elsewhere, takes the full observe-plan-apply, which refuses a
 * secret that is not this stack's.
 *
 * A value AWS already holds as the recorded version needs no call: the recorded digest
 * changed only in form (see CHANGELOG.md).
 */
export async function updateValue(
  gateway: SecretsGateway,
  desired: DesiredSecret,
  owner: string,
  deployed: DeployedSecret,
): Promise<AppliedSecret> {
  const applied = (versionId: string): AppliedSecret => ({
    arn: deployed.arn,
    name: desired.name,
    versionId,
    replicationStatus: deployed.replicationStatus,
  });
  const { value } = desired;
  if (
    value.kind !== "parts" &&
    (deployed.versionId === desired.token || deployed.versionId === desired.rewriteToken)
  )
    return applied(deployed.versionId);
  const recorded = { arn: deployed.arn, owner: deployed.owner };
  const live = await gateway.describeSecret(deployed.arn);
  if (!live || live.deletedDate || live.tags[OWNER_TAG] !== owner)
    return reconcile(gateway, desired, owner, { recorded });
  try {
    if (value.kind === "parts") {
      // Planned as if the recorded version were still current: a JSON merge reads AWSCURRENT
      // itself, wherever a rotation moved it since; a whole kept value is written only for
      // a new generation, never over a value AWS holds.
      const ops = partsOps(deployed.arn, value, { [deployed.versionId]: [AWSCURRENT] });
      const done = await apply(gateway, desired, ops);
      return applied(done?.versionId ?? deployed.versionId);
    }
    return applied(
      await writeValue(gateway, value, {
        type: "putValue",
        secretId: deployed.arn,
        token: desired.token,
        rewriteToken: desired.rewriteToken,
        fromVersionId: deployed.versionId,
      }),
    );
  } catch (error) {
    if (!(error instanceof SecretsManagerError)) throw error;
    if (!["notFound", "scheduledForDeletion", "rejected"].includes(error.reason)) throw error;
    return reconcile(gateway, desired, owner, { recorded });
  }
}

/** What deleting a resource needs from its last deployment. */
export interface DeletedSecret {
  /** The recorded ARN: the secret is deleted by it, never looked up by name. */
  arn: string;
  /** The recorded owner: a secret tagged otherwise is refused, not deleted. */
  owner: string;
  /** The recorded claim: a secret claimed by another resource since is left alone. */
  claim?: string;
  deletion: DeletionSpec;
}

/**
 * Deletes the recorded secret as the manifest says (replicas first); a missing secret is
 * fine. `gateway` must talk to the region the ARN names.
 */
export async function destroy(gateway: SecretsGateway, secret: DeletedSecret): Promise<void> {
  const observed = await gateway.describeSecret(secret.arn);
  await apply(gateway, undefined, planDeletion(observed, secret.deletion, secret.owner, secret.claim));
}

export interface KnownState {
  /** The AWSCURRENT version recorded at the last deployment. */
  versionId?: string;
  /** The digest recorded with it; reused while that version is still current. */
  digest?: ValueDigest;
  /** The parts AWS keeps (seed-once, generated): a whole kept value is never read. */
  kept?: KeptValue;
  /** The secret declares (or had) a resource policy: read it too (one GetResourcePolicy). */
  hasPolicy?: boolean;
  /** The secret had replicas: observe replication too (one DescribeSecret). */
  hasReplicas?: boolean;
  /**
   * The ownership tag value it was deployed with: the reads of a refresh then share one
   * listing of the stack's secrets (100 per call) instead of lookups by name (10 per call).
   */
  owner?: string;
  /**
   * The ARN recorded at the last deployment. ListSecrets is eventually consistent: a secret
   * created moments ago may be missing from it, so one not listed is asked for by ARN
   * before it is read as gone.
   */
  arn?: string;
}

export interface ReadResult {
  /** With `resourcePolicy` read when `known.hasPolicy`. */
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
  const listed = await gateway.describe(name, {
    replication: known.hasReplicas === true,
    ...(known.owner !== undefined ? { owner: known.owner } : {}),
  });
  const observed = listed ?? (known.arn !== undefined ? await gateway.describeSecret(known.arn) : undefined);
  if (!observed || observed.deletedDate) return undefined;
  const withPolicy = known.hasPolicy
    ? { ...observed, resourcePolicy: (await gateway.getResourcePolicy(observed.arn)) ?? null }
    : observed;
  const versionId = currentVersionId(observed.versionStages);
  // A whole seed-once or generated value is AWS's to change: its digest is its declaration.
  const unread = known.kept?.whole !== undefined || versionId === known.versionId;
  if (versionId !== undefined && unread && known.digest) {
    return { observed: withPolicy, current: { versionId, digest: known.digest } };
  }
  const value = await gateway.getCurrentValue(name);
  if (!value) return undefined;
  return {
    observed: withPolicy,
    current: { versionId: value.versionId, digest: digestOf(name, value, known, hmacKey) },
  };
}

function digestOf(name: string, value: CurrentValue, known: KnownState, hmacKey: Buffer): ValueDigest {
  if (known.kept?.keys && value.payload.type === "string" && parseObject(value.payload.text)) {
    return observedDigest(name, known.kept, value.payload.text, hmacKey);
  }
  return digestValue(name, asResolved(value, known), hmacKey);
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
    const fields = parseObject(payload.text);
    if (fields) return { kind: "json", text: payload.text, fields };
  }
  return { kind: "string", text: payload.text };
}
