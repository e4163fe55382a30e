/**
 * The ManagedSecret dynamic provider: its exports are the provider object (see
 * provider.ts), loaded once per provider process as `secret-manifests/crud`, so
 * per-process state (settings, clients, caches) lives here.
 */
import { randomBytes } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import type * as pulumi from "@pulumi/pulumi";
import type { SecretsManagerGateway } from "../aws";
import { isUserError, UserError } from "../errors";
import type { ReplicaSpec } from "../manifest/spec";
import { destroy, type RecordedSecret, readSecret, reconcile, updateValue } from "../reconcile";
import {
  declarationToken,
  digestValue,
  requestToken,
  rewriteToken,
  type ValueDigest,
} from "../reconcile/digest";
import { sameKmsKey } from "../reconcile/kms";
import { recoveryWindowProblem, valueProblem } from "../reconcile/limits";
import { declaredDigest, keptOf } from "../reconcile/parts";
import { REPLICA_FAILED, sameRotation } from "../reconcile/plan";
import { samePolicy } from "../reconcile/policy";
import {
  type AppliedSecret,
  CLAIM_TAG,
  type DesiredSecret,
  type KeptValue,
  type ObservedRotation,
  type ObservedSecret,
  regionOfArn,
  type ValueParts,
  WHOLE_VALUE,
} from "../reconcile/types";
import type { ResolvedValue } from "../sources/value";
import {
  fromValueInput,
  type ManagedSecretInputs,
  type ManagedSecretOutputs,
  REPLACE_ON_CHANGE,
  UPDATE_ON_CHANGE,
} from "./inputs";
import { projectRoot } from "./root";
import { type ProviderSettings, readProviderSettings } from "./settings";
import { type DeclaredParts, resolveDeclared } from "./value-parts";

/** The engine may call CRUD methods before `configure` finishes; every method waits on this. */
let configured: (s: ProviderSettings) => void;
const settings = new Promise<ProviderSettings>((resolve) => {
  configured = resolve;
});
const gateways = new Map<string, SecretsManagerGateway>();

/**
 * The AWS SDK loads with the first step that calls AWS: the program (which loads this module
 * only so that Pulumi can name it) and a preview or a no-op `up` never pay its ~100 ms.
 */
const aws = () => import("../aws/index.js");

/** One gateway (client, batching, shared listings) per region, for the whole process. */
async function gatewayFor(region: string | undefined): Promise<SecretsManagerGateway> {
  const s = await settings;
  const key = region ?? "";
  let gateway = gateways.get(key);
  if (!gateway) {
    const { SecretsManagerGateway, createSecretsManagerClient } = await aws();
    gateway = new SecretsManagerGateway(createSecretsManagerClient({ region, endpoint: s.endpoint }));
    gateways.set(key, gateway);
  }
  return gateway;
}

let chainRegion: Promise<string | undefined> | undefined;

/**
 * The region a resource's secret lives in: its own input, else `secret-manifests:region`,
 * else the SDK chain's (AWS_REGION, profile). Undefined when none is set anywhere (every
 * call then fails with "no region").
 */
async function effectiveRegion(inputRegion: string | undefined): Promise<string | undefined> {
  const configured = inputRegion ?? (await settings).region;
  if (configured !== undefined) return configured;
  chainRegion ??= aws()
    .then(({ createSecretsManagerClient }) => createSecretsManagerClient().config.region())
    .catch(() => undefined);
  return chainRegion;
}

/** An input recorded in the outputs too, so `diff` can compare it with the last deployment. */
type ComparedInput = keyof ManagedSecretInputs & keyof ManagedSecretOutputs;

/** The unknown-value sentinel the engine sends for not-yet-known inputs during preview. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** The configured key may be hex (`openssl rand -hex 32`) or any other text, used as bytes. */
function hmacKeyBytes(text: string): Buffer {
  const key = /^([0-9a-f]{2}){16,}$/i.test(text) ? Buffer.from(text, "hex") : Buffer.from(text, "utf8");
  if (key.length < 16) {
    throw new UserError(
      "secret-manifests:hmacKey is shorter than 16 bytes",
      undefined,
      "set a long random key: pulumi config set --secret secret-manifests:hmacKey $(openssl rand -hex 32)",
    );
  }
  return key;
}

async function resolve(inputs: ManagedSecretInputs): Promise<ResolvedValue | DeclaredParts> {
  const value = await resolveDeclared(
    inputs.value && fromValueInput(inputs.value),
    inputs.updatePolicy ?? "Replace",
    {
      rootDir: projectRoot(),
      allowReadsOutsideRoot: inputs.allowReadsOutsideRoot ?? false,
      manifest: inputs.source,
    },
  );
  const checked =
    value.kind !== "parts" ? value : value.whole && "seed" in value.whole ? value.whole.seed : undefined;
  const problem = checked && valueProblem(checked);
  if (problem) throw new UserError(problem, { ...inputs.source, field: "/spec/value" });
  return value;
}

/** The digest `check` records: of the value, or of the declaration when AWS keeps parts of it. */
function digestOf(name: string, value: ResolvedValue | DeclaredParts, key: Buffer): ValueDigest {
  if (value.kind !== "parts") return digestValue(name, value, key);
  return declaredDigest(name, { ...value, verify: false, regenerate: [], hmacKey: key }, key);
}

/**
 * `claim`: this resource's claim tag value (see CLAIM_TAG), absent for state from before
 * claims. `olds`: the last deployment, absent on create: what it recorded decides whether
 * kept parts are verified against AWS (the declaration changed) and which are generated anew.
 */
async function desiredState(
  inputs: ManagedSecretInputs,
  claim: string | undefined,
  olds?: ManagedSecretOutputs,
): Promise<DesiredSecret> {
  const key = hmacKeyBytes(inputs.hmacKey);
  const resolved = await resolve(inputs);
  const digest = digestOf(inputs.name, resolved, key);
  const common = {
    name: inputs.name,
    description: inputs.description,
    kmsKeyId: inputs.kmsKeyId,
    tags: claim === undefined ? inputs.tags : { ...inputs.tags, [CLAIM_TAG]: claim },
    digest,
    replicas: inputs.replicas,
    forceOverwriteReplicaSecret: inputs.forceOverwriteReplicaSecret,
    adopt: inputs.adopt,
    ...(inputs.rotation ? { rotation: inputs.rotation } : {}),
    hadRotation: olds?.rotation !== undefined,
    ...(inputs.resourcePolicy ? { resourcePolicy: desiredPolicy(inputs, olds) } : {}),
  };
  if (resolved.kind === "parts") {
    const parts: ValueParts = {
      ...resolved,
      verify: olds?.digest?.value !== digest.value,
      regenerate: olds ? regenerated(olds.kept ?? {}, keptOf(resolved)) : [],
      hmacKey: key,
    };
    const token = declarationToken(inputs.name, digest, key);
    return { ...common, value: parts, token, rewriteToken: token };
  }
  return {
    ...common,
    value: resolved,
    token: requestToken(inputs.name, resolved, key),
    rewriteToken: rewriteToken(inputs.name, resolved, inputs.kmsKeyId, key),
  };
}

/**
 * Generated parts whose generation differs from the last deployment's, or that were not
 * generated then (a value or key switched from a reference to `generate` gets a password,
 * not the old value). Never on create: an adopted secret keeps the passwords it has.
 */
function regenerated(recorded: KeptValue, declared: KeptValue): string[] {
  const due = (was: string | undefined, now: string | undefined) =>
    now?.startsWith("generation:") && was !== now;
  if (declared.whole) return due(recorded.whole, declared.whole) ? [WHOLE_VALUE] : [];
  return Object.entries(declared.keys ?? {})
    .filter(([k, mark]) => due(recorded.keys?.[k], mark))
    .map(([k]) => k);
}

/** A changed blockPublicPolicy alone is put again: GetResourcePolicy does not report it. */
function desiredPolicy(inputs: ManagedSecretInputs, olds: ManagedSecretOutputs | undefined) {
  const policy = inputs.resourcePolicy as NonNullable<ManagedSecretInputs["resourcePolicy"]>;
  const before = olds?.resourcePolicy;
  return { ...policy, force: before !== undefined && before.blockPublicPolicy !== policy.blockPublicPolicy };
}

/**
 * The dynamic-provider host prints `${e}: ${e.stack}` for some methods; a user error
 * must read as one message naming the manifest, so it leaves here without a stack.
 */
function asProviderError(e: unknown, source?: ManagedSecretInputs["source"]): unknown {
  if (!isUserError(e)) return e;
  const located = e.location || !source ? e : new UserError(e.message, source, e.hint);
  const plain = new Error(located.format());
  plain.stack = "";
  return plain;
}

async function guarded<T>(
  source: ManagedSecretInputs["source"] | undefined,
  work: () => Promise<T>,
): Promise<T> {
  try {
    await settings;
    return await work();
  } catch (e) {
    throw asProviderError(e, source);
  }
}

/** The gRPC Struct encoder rejects `undefined`; absent optional fields must be left out. */
function definedOnly<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

async function apply(
  inputs: ManagedSecretInputs,
  claim: string | undefined,
  lookup: { listed?: Promise<ObservedSecret | undefined>; recorded?: RecordedSecret; hadPolicy?: boolean },
  olds?: ManagedSecretOutputs,
): Promise<ManagedSecretOutputs> {
  const desired = await desiredState(inputs, claim, olds);
  const region = await effectiveRegion(inputs.region);
  const applied = await reconcile(await gatewayFor(region), desired, inputs.owner, lookup);
  assertReplicasHealthy(inputs, applied);
  return outputsOf(inputs, desired, applied, region, claim);
}

/** A replica recorded as Failed (e.g. by a refresh): the next update retries it, by a full plan. */
function recordsFailedReplica(olds: ManagedSecretOutputs): boolean {
  return (olds.replicationStatus ?? []).some((r) => r.status === REPLICA_FAILED);
}

/**
 * A replica AWS reports as Failed holds no copy of the secret, so the deployment did not
 * reach what the manifest asks: the operation fails, naming the region and AWS's reason.
 * Nothing is recorded for this step, so the next `pulumi up` plans again from what AWS
 * holds, and that plan removes the failed replica and adds it afresh.
 */
function assertReplicasHealthy(inputs: ManagedSecretInputs, applied: AppliedSecret): void {
  const failed = applied.replicationStatus.filter((r) => r.status === REPLICA_FAILED);
  if (failed.length === 0) return;
  const regions = failed.map((r) => `${r.region}${r.message ? ` (${r.message})` : ""}`).join(", ");
  throw new UserError(
    `secret "${inputs.name}": the replica in ${regions} Failed`,
    { ...inputs.source, field: "/spec/replicas" },
    "fix the cause AWS names (a KMS key missing in that region, a secret of the same name there: see spec.forceOverwriteReplicaSecret), then run `pulumi up` again: it removes the failed replica and adds it again",
  );
}

/**
 * What a deployment records. The value references are left out: the digest already says
 * whether the value changed, and every byte here is stored in every checkpoint.
 */
function outputsOf(
  inputs: ManagedSecretInputs,
  desired: DesiredSecret,
  applied: AppliedSecret,
  awsRegion: string | undefined,
  claim: string | undefined,
): ManagedSecretOutputs {
  const { value: _references, ...recorded } = inputs;
  return definedOnly({
    ...recorded,
    claim,
    digest: desired.digest,
    arn: applied.arn,
    awsRegion: awsRegion ?? regionOfArn(applied.arn),
    versionId: applied.versionId,
    replicationStatus: applied.replicationStatus,
  });
}

export async function configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
  exitWithEngine();
  configured(readProviderSettings(req.config));
}

/**
 * The engine started this process and normally stops it. When the engine dies abruptly
 * (SIGKILL, OOM, a CI runner killing `pulumi`), the provider was left running forever,
 * still writing to AWS while the user recovered the stack. Nothing can record those
 * writes any more, so the process ends as soon as its parent is gone.
 */
let watchingEngine = false;
function exitWithEngine(): void {
  if (watchingEngine) return;
  watchingEngine = true;
  const engine = process.ppid;
  setInterval(() => {
    if (process.ppid !== engine) process.exit(1);
  }, 250).unref();
}

/** Resolves the references here, in the provider process, and adds the keyed digest. */
export async function check(
  _olds: ManagedSecretInputs,
  news: ManagedSecretInputs,
): Promise<pulumi.dynamic.CheckResult> {
  await settings;
  try {
    checkRecoveryWindow(news);
    // Resolved even when the key is not known yet (first preview), so a missing variable
    // or a bad sops file fails the preview, not the update.
    const value = await resolve(news);
    if (news.hmacKey === UNKNOWN || !news.hmacKey) return { inputs: news };
    const kept = value.kind === "parts" ? { kept: keptOf(value) } : {};
    return { inputs: { ...news, ...kept, digest: digestOf(news.name, value, hmacKeyBytes(news.hmacKey)) } };
  } catch (e) {
    if (!isUserError(e)) throw e;
    // No property name: the engine would print the whole (reference) value next to it.
    return { inputs: news, failures: [{ property: "", reason: e.format() }] };
  }
}

/** A manifest's window, else the stack's: out of AWS's range fails the preview, not the delete. */
function checkRecoveryWindow(inputs: ManagedSecretInputs): void {
  if (!("recoveryWindowInDays" in inputs.deletion)) return;
  const problem = recoveryWindowProblem(inputs.deletion.recoveryWindowInDays);
  if (problem) {
    throw new UserError(
      problem,
      { ...inputs.source, field: "/spec/deletion" },
      "fix spec.deletion, or the stack's secret-manifests:recoveryWindowInDays when the manifest sets none",
    );
  }
}

/**
 * `olds` are the previous outputs, which carry the digests (the engine hands `diff` the
 * outputs, not the inputs). The region is compared as the effective region: setting
 * `secret-manifests:region` to the region already in use changes nothing.
 */
export async function diff(
  _id: string,
  olds: ManagedSecretOutputs,
  news: ManagedSecretInputs,
): Promise<pulumi.dynamic.DiffResult> {
  await settings;
  const differs = (k: ComparedInput) => !isDeepStrictEqual(olds[k], news[k]);
  const oldRegion = olds.awsRegion ?? regionOfArn(olds.arn);
  const newRegion = await effectiveRegion(news.region);
  const regionMoved = oldRegion !== undefined && newRegion !== undefined && oldRegion !== newRegion;
  const replaces = [...REPLACE_ON_CHANGE.filter(differs), ...(regionMoved ? ["region"] : [])];
  const changes =
    replaces.length > 0 ||
    UPDATE_ON_CHANGE.some(differs) ||
    news.digest === undefined ||
    recordsFailedReplica(olds);
  return { changes, replaces, deleteBeforeReplace: false };
}

export function create(inputs: ManagedSecretInputs): Promise<pulumi.dynamic.CreateResult> {
  return guarded(inputs.source, async () => {
    // Where the name stands, from one listing of the stack's own secrets (see lookUpOwned).
    const gateway = await gatewayFor(await effectiveRegion(inputs.region));
    // A new claim: should this create take over a secret another resource of the stack
    // recorded (a replacement onto the same secret), that resource's delete then leaves it.
    // 128 random bits in 22 characters (a UUID takes 36): every resource's state holds one.
    const claim = randomBytes(16).toString("base64url");
    const outs = await apply(inputs, claim, { listed: gateway.lookUpOwned(inputs.name, inputs.owner) });
    return { id: outs.arn, outs };
  });
}

export function update(
  _id: string,
  olds: ManagedSecretOutputs,
  news: ManagedSecretInputs,
): Promise<pulumi.dynamic.UpdateResult> {
  return guarded(news.source, async () => ({
    outs: onlyValueChanged(olds, news)
      ? await applyValue(olds, news)
      : await apply(
          news,
          olds.claim,
          { recorded: { arn: olds.arn, owner: olds.owner }, hadPolicy: olds.resourcePolicy !== undefined },
          olds,
        ),
  }));
}

/**
 * Only the value differs from what the last deployment recorded (the usual update, e.g. a
 * rotated password): everything else already matched then, so the value is written
 * without observing first. Drift made since is `pulumi refresh`'s to show.
 */
function onlyValueChanged(olds: ManagedSecretOutputs, news: ManagedSecretInputs): boolean {
  if (!olds.arn || !olds.versionId || !olds.digest || !news.digest) return false;
  if (recordsFailedReplica(olds)) return false;
  const same = (k: ComparedInput) => isDeepStrictEqual(olds[k], news[k]);
  return REPLACE_ON_CHANGE.every(same) && UPDATE_ON_CHANGE.every((k) => k === "digest" || same(k));
}

async function applyValue(
  olds: ManagedSecretOutputs,
  news: ManagedSecretInputs,
): Promise<ManagedSecretOutputs> {
  const desired = await desiredState(news, olds.claim, olds);
  const region = regionOfArn(olds.arn);
  const applied = await updateValue(await gatewayFor(region), desired, news.owner, {
    arn: olds.arn,
    versionId: olds.versionId,
    owner: olds.owner,
    replicationStatus: olds.replicationStatus ?? [],
  });
  return outputsOf(news, desired, applied, region, olds.claim);
}

/**
 * `delete` is a reserved word, hence the export alias. The secret is the recorded ARN, in
 * the region the ARN names (a region change deletes the old region's secret, not a
 * namesake in the new one); one that another resource has claimed since stays.
 */
function remove(_id: string, props: ManagedSecretOutputs): Promise<void> {
  return guarded(props.source, async () => {
    const gateway = await gatewayFor(regionOfArn(props.arn));
    await destroy(gateway, {
      arn: props.arn,
      owner: props.owner,
      claim: props.claim,
      deletion: props.deletion,
    });
  });
}

export { remove as delete };

/**
 * AWS reports keys in its own spelling (an ARN, or the managed key when none was given);
 * an equivalent key keeps the manifest's spelling, so refresh shows only real drift.
 */
function replicaAsRecorded(
  observed: ObservedSecret["replicas"][number],
  recorded: ReplicaSpec[],
): ReplicaSpec {
  const mine = recorded.find((r) => r.region === observed.region);
  const kmsKeyId = sameKmsKey(observed.kmsKeyId, mine?.kmsKeyId) ? mine?.kmsKeyId : observed.kmsKeyId;
  return kmsKeyId ? { region: observed.region, kmsKeyId } : { region: observed.region };
}

/** `pulumi refresh`: drift shows as a changed digest or metadata; a deleted secret leaves state. */
export function read(id: string, props: ManagedSecretOutputs): Promise<pulumi.dynamic.ReadResult> {
  return guarded(props.source, async () => {
    const found = await readSecret(
      await gatewayFor(regionOfArn(props.arn)),
      props.name,
      hmacKeyBytes(props.hmacKey),
      {
        versionId: props.versionId,
        digest: props.digest,
        hasReplicas: props.replicas.length > 0,
        owner: props.owner,
        arn: props.arn,
        ...(props.kept ? { kept: props.kept } : {}),
        hasPolicy: props.resourcePolicy !== undefined,
      },
    );
    if (!found || found.observed.deletedDate) return {};
    const { observed, current } = found;
    const outs: ManagedSecretOutputs = {
      ...props,
      arn: observed.arn,
      description: observed.description,
      kmsKeyId: sameKmsKey(observed.kmsKeyId, props.kmsKeyId) ? props.kmsKeyId : observed.kmsKeyId,
      // The claim is recorded apart (`claim`); the manifest's tags never hold it.
      tags: withoutClaim(observed.tags),
      replicas: observed.replicas.map((r) => replicaAsRecorded(r, props.replicas)),
      versionId: current.versionId,
      digest: current.digest,
      rotation: rotationAsRecorded(observed.rotation, props.rotation),
      resourcePolicy: policyAsRecorded(observed.resourcePolicy, props.resourcePolicy),
    };
    return { id, props: definedOnly(outs) };
  });
}

/**
 * The manifest's rotation while AWS's matches it; otherwise what AWS reports (drift). A
 * rotation the manifest does not declare is not this resource's, and not shown.
 */
function rotationAsRecorded(
  observed: ObservedRotation | undefined,
  recorded: ManagedSecretOutputs["rotation"],
): ManagedSecretOutputs["rotation"] {
  if (!recorded || !observed?.enabled) return undefined;
  if (sameRotation(recorded, observed)) return recorded;
  const { enabled: _, ...reported } = observed;
  return { ...reported, rotateImmediately: recorded.rotateImmediately };
}

/** The recorded document while AWS's means the same; AWS's text when it drifted; undefined when gone. */
function policyAsRecorded(
  observed: string | null | undefined,
  recorded: ManagedSecretOutputs["resourcePolicy"],
): ManagedSecretOutputs["resourcePolicy"] {
  if (observed === undefined) return recorded;
  if (observed === null) return undefined;
  if (recorded && samePolicy(observed, recorded.document)) return recorded;
  return { document: observed, blockPublicPolicy: recorded?.blockPublicPolicy ?? true };
}

function withoutClaim(tags: Record<string, string>): Record<string, string> {
  const { [CLAIM_TAG]: _claim, ...rest } = tags;
  return rest;
}
