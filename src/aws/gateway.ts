import {
  BatchGetSecretValueCommand,
  CancelRotateSecretCommand,
  CreateSecretCommand,
  DeleteResourcePolicyCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  type DescribeSecretResponse,
  GetRandomPasswordCommand,
  GetResourcePolicyCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  type ListSecretsRequest,
  PutResourcePolicyCommand,
  PutSecretValueCommand,
  RemoveRegionsFromReplicationCommand,
  ReplicateSecretToRegionsCommand,
  type ReplicationStatusType,
  RestoreSecretCommand,
  RotateSecretCommand,
  type RotationRulesType,
  type SecretListEntry,
  type SecretsManagerClient,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretCommand,
  UpdateSecretVersionStageCommand,
} from "@aws-sdk/client-secrets-manager";
import { UserError } from "../errors.js";
import type { DeletionSpec, GenerateSpec, ReplicaSpec, RotationSpec } from "../manifest/spec.js";
import type { ResolvedValue } from "../sources/value.js";
import type { SecretsManagerOperation } from "./actions.js";
import { Coalescer } from "./coalescer.js";
import { SecretsManagerError, toSecretsManagerError } from "./errors.js";
import {
  AWSCURRENT,
  currentVersionId,
  type ObservedRotation,
  type ObservedSecret,
  OWNER_TAG,
  type ReplicationStatus,
} from "./model.js";

/** A stored value as AWS returns it: the kind (string vs JSON) is the caller's to decide. */
export type SecretPayload = { type: "string"; text: string } | { type: "binary"; bytes: Buffer };

export interface CurrentValue {
  versionId: string;
  payload: SecretPayload;
}

export interface CreateSecretInput {
  name: string;
  token: string;
  value: ResolvedValue;
  description?: string;
  kmsKeyId?: string;
  tags: Record<string, string>;
  replicas: ReplicaSpec[];
  forceOverwriteReplicaSecret: boolean;
}

export interface CreatedSecret {
  arn: string;
  name: string;
  versionId: string;
  replicationStatus: ReplicationStatus[];
}

export interface DescribeOptions {
  /** Also observe replication, which only DescribeSecret reports (one more call). */
  replication?: boolean;
  /**
   * The ownership tag value the secret is expected to carry (`pulumi refresh` of a stack's
   * secrets): it is then looked up in one listing of every secret carrying that tag, 100 per
   * call, instead of by name, 10 per call. A secret missing from the listing (its tag
   * removed by hand) is looked up by name.
   */
  owner?: string;
}

/**
 * Everything the reconciler asks of Secrets Manager: one small interface, so the planner
 * and apply logic never see the SDK.
 */
export interface SecretsGateway {
  /** Batched (ListSecrets) lookup by exact name, pending-deletion secrets included. */
  describe(name: string, opts?: DescribeOptions): Promise<ObservedSecret | undefined>;
  /** One DescribeSecret: fresh, with replication. */
  describeSecret(secretId: string): Promise<ObservedSecret | undefined>;
  /**
   * The secret `name` from one listing of every secret tagged as `owner`'s (pending
   * deletion included), shared by the whole process: where a new secret stands before it
   * is created, and what a refresh reads. A name missing from it is not this stack's (a
   * create then lets CreateSecret find out whether anyone else's secret holds the name).
   * Each entry is handed out once.
   */
  lookUpOwned(name: string, owner: string): Promise<ObservedSecret | undefined>;
  /** Batched (BatchGetSecretValue) read of the AWSCURRENT value. */
  getCurrentValue(name: string): Promise<CurrentValue | undefined>;
  createSecret(input: CreateSecretInput): Promise<CreatedSecret>;
  restoreSecret(secretId: string): Promise<void>;
  /** Returns the stages the version carries after the call, when AWS reports them. */
  putSecretValue(
    secretId: string,
    token: string,
    value: ResolvedValue,
  ): Promise<{ versionStages: string[] | undefined }>;
  moveCurrent(secretId: string, toVersionId: string, fromVersionId: string | undefined): Promise<void>;
  updateMetadata(secretId: string, changes: { description?: string; kmsKeyId?: string }): Promise<void>;
  tag(secretId: string, tags: Record<string, string>): Promise<void>;
  untag(secretId: string, keys: string[]): Promise<void>;
  replicate(
    secretId: string,
    replicas: ReplicaSpec[],
    forceOverwriteReplicaSecret: boolean,
  ): Promise<ReplicationStatus[]>;
  removeReplicas(secretId: string, regions: string[]): Promise<ReplicationStatus[]>;
  deleteSecret(secretId: string, deletion: DeletionSpec): Promise<void>;
  /** GetRandomPassword: a new password; never logged, stored or put in an error. */
  generatePassword(spec: GenerateSpec): Promise<string>;
  /** One GetSecretValue of the AWSCURRENT stage (a read to merge a JSON update into). */
  readCurrentValue(secretId: string): Promise<CurrentValue | undefined>;
  rotate(secretId: string, rotation: RotationSpec): Promise<void>;
  cancelRotation(secretId: string): Promise<void>;
  putResourcePolicy(secretId: string, policy: string, blockPublicPolicy: boolean): Promise<void>;
  /** The policy text, or undefined when the secret has none. */
  getResourcePolicy(secretId: string): Promise<string | undefined>;
  deleteResourcePolicy(secretId: string): Promise<void>;
}

/** API limits: Filter.Values holds at most 10 entries, BatchGetSecretValue at most 20 ids. */
const LIST_FILTER_MAX_VALUES = 10;
const BATCH_GET_MAX_IDS = 20;

/** Every secret carrying one owner's tag, by name; each entry is handed out once. */
type OwnedListing = Map<string, ObservedSecret>;

export interface GatewayOptions {
  /** How long reads wait for others to join their batch. */
  batchWindowMs?: number;
}

export class SecretsManagerGateway implements SecretsGateway {
  private readonly listByName: Coalescer<ObservedSecret>;
  private readonly valueByName: Coalescer<CurrentValue>;
  /** Listings of a stack's secrets by owner tag, each shared by this process; see ownedListing. */
  private readonly ownedListings = new Map<string, Promise<OwnedListing>>();

  constructor(
    private readonly client: SecretsManagerClient,
    opts: GatewayOptions = {},
  ) {
    const windowMs = opts.batchWindowMs ?? 5;
    this.listByName = new Coalescer((names) => this.listSecrets(names), LIST_FILTER_MAX_VALUES, windowMs);

    this.valueByName = new Coalescer((names) => this.batchGetValues(names), BATCH_GET_MAX_IDS, windowMs);
  }

  async describe(name: string, opts: DescribeOptions = {}): Promise<ObservedSecret | undefined> {
    const listed =
      (opts.owner !== undefined ? await this.lookUpOwned(name, opts.owner) : undefined) ??
      (await this.listByName.load(name));
    if (!listed || !opts.replication) return listed;
    return this.describeSecret(listed.arn);
  }

  async describeSecret(secretId: string): Promise<ObservedSecret | undefined> {
    try {
      const res = await this.call("DescribeSecret", secretId, () =>
        this.client.send(new DescribeSecretCommand({ SecretId: secretId })),
      );
      return observedFromDescribe(res);
    } catch (error) {
      if (error instanceof SecretsManagerError && error.reason === "notFound") return undefined;
      throw error;
    }
  }

  getCurrentValue(name: string): Promise<CurrentValue | undefined> {
    return this.valueByName.load(name);
  }

  async createSecret(input: CreateSecretInput): Promise<CreatedSecret> {
    const res = await this.call("CreateSecret", input.name, () =>
      this.client.send(
        new CreateSecretCommand({
          Name: input.name,
          ClientRequestToken: input.token,
          Description: input.description,
          KmsKeyId: input.kmsKeyId,
          ...valueFields(input.value),
          Tags: toTagList(input.tags),
          AddReplicaRegions: input.replicas.length > 0 ? toReplicaRegions(input.replicas) : undefined,
          ForceOverwriteReplicaSecret:
            input.replicas.length > 0 ? input.forceOverwriteReplicaSecret : undefined,
        }),
      ),
    );
    return {
      arn: required(res.ARN, "CreateSecret ARN"),
      name: required(res.Name, "CreateSecret Name"),
      versionId:
        res.VersionId ?? (await this.currentVersionOf(required(res.ARN, "CreateSecret ARN"), input.name)),
      replicationStatus: fromReplicationStatus(res.ReplicationStatus),
    };
  }

  /**
   * A CreateSecret answer without VersionId: what AWS holds is asked, never assumed, so the
   * state never records a version AWS does not have.
   */
  private async currentVersionOf(arn: string, name: string): Promise<string> {
    const current = currentVersionId((await this.describeSecret(arn))?.versionStages ?? {});
    if (current === undefined) {
      throw new UserError(
        `Secrets Manager created secret "${name}" without a current version`,
        undefined,
        "Check the secret in the console; deploy again to write its value.",
      );
    }
    return current;
  }

  async restoreSecret(secretId: string): Promise<void> {
    try {
      await this.call("RestoreSecret", secretId, () =>
        this.client.send(new RestoreSecretCommand({ SecretId: secretId })),
      );
    } finally {
      // Afterwards, even when the call failed (it may have landed): a listing taken before
      // or during it may predate the restore.
      this.ownedListings.clear();
    }
  }

  async putSecretValue(secretId: string, token: string, value: ResolvedValue) {
    const res = await this.call("PutSecretValue", secretId, () =>
      this.client.send(
        new PutSecretValueCommand({ SecretId: secretId, ClientRequestToken: token, ...valueFields(value) }),
      ),
    );
    return { versionStages: res.VersionStages };
  }

  async moveCurrent(secretId: string, toVersionId: string, fromVersionId: string | undefined) {
    await this.call("UpdateSecretVersionStage", secretId, () =>
      this.client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secretId,
          VersionStage: AWSCURRENT,
          MoveToVersionId: toVersionId,
          RemoveFromVersionId: fromVersionId,
        }),
      ),
    );
  }

  async updateMetadata(secretId: string, changes: { description?: string; kmsKeyId?: string }) {
    await this.call("UpdateSecret", secretId, () =>
      this.client.send(
        new UpdateSecretCommand({
          SecretId: secretId,
          Description: changes.description,
          KmsKeyId: changes.kmsKeyId,
        }),
      ),
    );
  }

  async tag(secretId: string, tags: Record<string, string>) {
    await this.call("TagResource", secretId, () =>
      this.client.send(new TagResourceCommand({ SecretId: secretId, Tags: toTagList(tags) })),
    );
  }

  async untag(secretId: string, keys: string[]) {
    await this.call("UntagResource", secretId, () =>
      this.client.send(new UntagResourceCommand({ SecretId: secretId, TagKeys: keys })),
    );
  }

  async replicate(secretId: string, replicas: ReplicaSpec[], forceOverwriteReplicaSecret: boolean) {
    const res = await this.call("ReplicateSecretToRegions", secretId, () =>
      this.client.send(
        new ReplicateSecretToRegionsCommand({
          SecretId: secretId,
          AddReplicaRegions: toReplicaRegions(replicas),
          ForceOverwriteReplicaSecret: forceOverwriteReplicaSecret,
        }),
      ),
    );
    return fromReplicationStatus(res.ReplicationStatus);
  }

  async removeReplicas(secretId: string, regions: string[]) {
    const res = await this.call("RemoveRegionsFromReplication", secretId, () =>
      this.client.send(
        new RemoveRegionsFromReplicationCommand({ SecretId: secretId, RemoveReplicaRegions: regions }),
      ),
    );
    return fromReplicationStatus(res.ReplicationStatus);
  }

  async deleteSecret(secretId: string, deletion: DeletionSpec) {
    try {
      await this.call("DeleteSecret", secretId, () =>
        this.client.send(new DeleteSecretCommand({ SecretId: secretId, ...deletionFields(deletion) })),
      );
    } finally {
      // Afterwards, even when the call failed (it may have landed): a listing taken before
      // or during it may predate the deletion.
      this.ownedListings.clear();
    }
  }

  async generatePassword(spec: GenerateSpec): Promise<string> {
    const res = await this.call("GetRandomPassword", undefined, () =>
      this.client.send(
        new GetRandomPasswordCommand({
          PasswordLength: spec.length,
          ExcludeCharacters: spec.excludeCharacters,
          ExcludeNumbers: spec.excludeNumbers,
          ExcludePunctuation: spec.excludePunctuation,
          ExcludeUppercase: spec.excludeUppercase,
          ExcludeLowercase: spec.excludeLowercase,
          IncludeSpace: spec.includeSpace,
          RequireEachIncludedType: spec.requireEachIncludedType,
        }),
      ),
    );
    return required(res.RandomPassword, "GetRandomPassword RandomPassword");
  }

  /** The stage is named: moto keeps serving an unstaged read from an older version. */
  async readCurrentValue(secretId: string): Promise<CurrentValue | undefined> {
    try {
      const res = await this.call("GetSecretValue", secretId, () =>
        this.client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: AWSCURRENT })),
      );
      return {
        versionId: required(res.VersionId, "GetSecretValue VersionId"),
        payload: payloadOf(res.SecretString, res.SecretBinary),
      };
    } catch (error) {
      if (error instanceof SecretsManagerError && error.reason === "notFound") return undefined;
      throw error;
    }
  }

  async rotate(secretId: string, rotation: RotationSpec): Promise<void> {
    await this.call("RotateSecret", secretId, () =>
      this.client.send(
        new RotateSecretCommand({
          SecretId: secretId,
          RotationLambdaARN: rotation.lambdaArn,
          RotationRules: rotationRules(rotation),
          RotateImmediately: rotation.rotateImmediately,
        }),
      ),
    );
  }

  async cancelRotation(secretId: string): Promise<void> {
    await this.call("CancelRotateSecret", secretId, () =>
      this.client.send(new CancelRotateSecretCommand({ SecretId: secretId })),
    );
  }

  async putResourcePolicy(secretId: string, policy: string, blockPublicPolicy: boolean): Promise<void> {
    await this.call("PutResourcePolicy", secretId, () =>
      this.client.send(
        new PutResourcePolicyCommand({
          SecretId: secretId,
          ResourcePolicy: policy,
          BlockPublicPolicy: blockPublicPolicy,
        }),
      ),
    );
  }

  async getResourcePolicy(secretId: string): Promise<string | undefined> {
    const res = await this.call("GetResourcePolicy", secretId, () =>
      this.client.send(new GetResourcePolicyCommand({ SecretId: secretId })),
    );
    return res.ResourcePolicy;
  }

  async deleteResourcePolicy(secretId: string): Promise<void> {
    await this.call("DeleteResourcePolicy", secretId, () =>
      this.client.send(new DeleteResourcePolicyCommand({ SecretId: secretId })),
    );
  }

  async lookUpOwned(name: string, owner: string): Promise<ObservedSecret | undefined> {
    return takeFrom(await this.ownedListing(owner), name);
  }

  /**
   * One listing per owner for the whole provider process (one Pulumi operation), at any
   * size: one call per 100 secrets, shared by every create and refresh read.
   * It cannot go stale through this process's own writes: the secrets it creates are never
   * looked up again, and a delete or restore drops every listing. Each entry is handed out
   * by name once, so a second read of a name asks AWS.
   */
  private ownedListing(owner: string): Promise<OwnedListing> {
    let listing = this.ownedListings.get(owner);
    if (!listing) {
      listing = this.listOwned(owner);
      this.ownedListings.set(owner, listing);
      const mine = listing;
      listing.catch(() => {
        if (this.ownedListings.get(owner) === mine) this.ownedListings.delete(owner);
      });
    }
    return listing;
  }

  /** Tag filters match prefixes of any tag: only exact owners are kept. */
  private async listOwned(owner: string): Promise<OwnedListing> {
    const listing: OwnedListing = new Map();
    const filters = [
      { Key: "tag-key" as const, Values: [OWNER_TAG] },
      { Key: "tag-value" as const, Values: [owner] },
    ];
    await this.listAll(filters, (observed) => {
      if (observed.tags[OWNER_TAG] !== owner) return;
      listing.set(observed.name, observed);
    });
    return listing;
  }

  /**
   * ListSecrets' name filter is a prefix match, so a batch may return other secrets too:
   * only exact names are kept. IncludePlannedDeletion makes secrets pending deletion visible.
   */
  private async listSecrets(names: string[]): Promise<Map<string, ObservedSecret>> {
    const wanted = new Set(names);
    const found = new Map<string, ObservedSecret>();
    await this.listAll([{ Key: "name", Values: names }], (observed) => {
      if (wanted.has(observed.name)) found.set(observed.name, observed);
    });
    return found;
  }

  /** Every page of one ListSecrets query (100 per call), pending deletion included. */
  private async listAll(
    filters: ListSecretsRequest["Filters"],
    each: (observed: ObservedSecret) => void,
  ): Promise<void> {
    const request: ListSecretsRequest = { Filters: filters, IncludePlannedDeletion: true, MaxResults: 100 };
    do {
      const res = await this.call("ListSecrets", undefined, () =>
        this.client.send(new ListSecretsCommand(request)),
      );
      for (const entry of res.SecretList ?? []) each(observedFromList(entry));
      request.NextToken = res.NextToken;
    } while (request.NextToken);
  }

  private async batchGetValues(names: string[]): Promise<Map<string, CurrentValue | Error>> {
    const found = new Map<string, CurrentValue | Error>();
    let nextToken: string | undefined;
    do {
      const res = await this.call("BatchGetSecretValue", undefined, () =>
        this.client.send(new BatchGetSecretValueCommand({ SecretIdList: names, NextToken: nextToken })),
      );
      for (const v of res.SecretValues ?? []) {
        if (v.Name === undefined || v.VersionId === undefined) continue;
        found.set(v.Name, { versionId: v.VersionId, payload: payloadOf(v.SecretString, v.SecretBinary) });
      }
      for (const e of res.Errors ?? []) {
        if (e.SecretId === undefined || e.ErrorCode === "ResourceNotFoundException") continue;
        const failure = toSecretsManagerError(
          { name: e.ErrorCode, $fault: "client", $metadata: res.$metadata },
          "BatchGetSecretValue",
          e.SecretId,
        );
        found.set(e.SecretId, failure instanceof Error ? failure : new Error(String(failure)));
      }
      nextToken = res.NextToken;
    } while (nextToken);
    return found;
  }

  /** Runs one SDK call and maps its failure to a typed error naming the operation. */
  private async call<O>(
    operation: SecretsManagerOperation,
    secretName: string | undefined,
    send: () => Promise<O>,
  ): Promise<O> {
    try {
      return await send();
    } catch (error) {
      throw toSecretsManagerError(error, operation, secretName);
    }
  }
}

function valueFields(value: ResolvedValue): { SecretString: string } | { SecretBinary: Uint8Array } {
  return value.kind === "binary" ? { SecretBinary: value.bytes } : { SecretString: value.text };
}

function payloadOf(text: string | undefined, bytes: Uint8Array | undefined): SecretPayload {
  if (bytes !== undefined) return { type: "binary", bytes: Buffer.from(bytes) };
  return { type: "string", text: text ?? "" };
}

function deletionFields(deletion: DeletionSpec) {
  return "forceDeleteWithoutRecovery" in deletion
    ? { ForceDeleteWithoutRecovery: true }
    : { RecoveryWindowInDays: deletion.recoveryWindowInDays };
}

function toTagList(tags: Record<string, string>) {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

function fromTagList(tags: { Key?: string; Value?: string }[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? "";
  return out;
}

function toReplicaRegions(replicas: ReplicaSpec[]) {
  return replicas.map((r) => ({ Region: r.region, KmsKeyId: r.kmsKeyId }));
}

function fromReplicationStatus(list: ReplicationStatusType[] | undefined): ReplicationStatus[] {
  return (list ?? []).map((r) => ({
    region: r.Region ?? "",
    status: r.Status ?? "Unknown",
    ...(r.StatusMessage ? { message: r.StatusMessage } : {}),
  }));
}

function rotationRules(rotation: RotationSpec): RotationRulesType {
  return {
    AutomaticallyAfterDays: rotation.automaticallyAfterDays,
    ScheduleExpression: rotation.scheduleExpression,
    Duration: rotation.duration,
  };
}

/** Rotation as reported, absent when it was never configured. */
function observedRotation(e: SecretListEntry | DescribeSecretResponse): ObservedRotation | undefined {
  if (e.RotationEnabled === undefined && e.RotationLambdaARN === undefined) return undefined;
  const rules = e.RotationRules ?? {};
  return {
    enabled: e.RotationEnabled === true,
    ...(e.RotationLambdaARN ? { lambdaArn: e.RotationLambdaARN } : {}),
    ...(rules.AutomaticallyAfterDays ? { automaticallyAfterDays: rules.AutomaticallyAfterDays } : {}),
    ...(rules.ScheduleExpression ? { scheduleExpression: rules.ScheduleExpression } : {}),
    ...(rules.Duration ? { duration: rules.Duration } : {}),
  };
}

/** Common fields of a ListSecrets entry and a DescribeSecret response. */
function observedBase(e: SecretListEntry | DescribeSecretResponse) {
  const rotation = observedRotation(e);
  return {
    ...(rotation ? { rotation } : {}),
    arn: required(e.ARN, "secret ARN"),
    name: required(e.Name, "secret Name"),
    ...(e.Description !== undefined ? { description: e.Description } : {}),
    ...(e.KmsKeyId !== undefined ? { kmsKeyId: e.KmsKeyId } : {}),
    tags: fromTagList(e.Tags),
    ...(e.DeletedDate !== undefined ? { deletedDate: e.DeletedDate } : {}),
  };
}

function observedFromList(e: SecretListEntry): ObservedSecret {
  return {
    ...observedBase(e),
    versionStages: e.SecretVersionsToStages ?? {},
    replicas: [],
    replicasObserved: false,
  };
}

function observedFromDescribe(e: DescribeSecretResponse): ObservedSecret {
  return {
    ...observedBase(e),
    versionStages: e.VersionIdsToStages ?? {},
    replicas: (e.ReplicationStatus ?? []).map((r) => ({
      region: r.Region ?? "",
      ...(r.KmsKeyId !== undefined ? { kmsKeyId: r.KmsKeyId } : {}),
      ...(r.Status !== undefined ? { status: r.Status } : {}),
      ...(r.StatusMessage !== undefined ? { statusMessage: r.StatusMessage } : {}),
    })),
    replicasObserved: true,
  };
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`Secrets Manager response lacks ${what}`);
  return value;
}

/** Hands a listed secret out once: a later read of the same name must ask AWS. */
function takeFrom(listing: OwnedListing, name: string): ObservedSecret | undefined {
  const found = listing.get(name);
  listing.delete(name);
  return found;
}
