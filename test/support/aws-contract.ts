/**
 * The AWS-contract layer: an HTTP proxy on loopback in front of moto that holds every
 * Secrets Manager request to what AWS documents where moto is looser. The global setup
 * starts one and points the SDK's endpoint variable at it, so every test talks to AWS's
 * contract by default; the fault proxy chains in front of it.
 *
 * What it enforces (docs/reliability.md cites the AWS source of each rule):
 * - a ClientRequestToken names one content: reusing it with other content fails;
 * - SecretString / SecretBinary have a minimum length of 1;
 * - at most 50 tags per secret;
 * - a version quota: past it, unlabelled versions older than a minimum age are dropped,
 *   and when none can be, LimitExceededException;
 * - ListSecrets lags: a secret created or changed within the window is listed as it was
 *   before (or not at all);
 * - replicas can be made to fail (status Failed) until removed;
 * - KMS keys must exist (looked up in moto's KMS, in the secret's or replica's region).
 *
 * Rules other than the fixed limits are set per secret-name prefix through a small control
 * API (`setContractRules`), so parallel test files never see each other's settings.
 */
import { createHash } from "node:crypto";
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { readBody } from "./fault-proxy";

export interface ContractRules {
  /** Versions a secret may hold (AWS: 100). */
  versionQuota?: number;
  /** Unlabelled versions younger than this are never dropped (AWS: 24 hours). */
  versionMinAgeMs?: number;
  /** How long ListSecrets keeps showing a secret as it was before a change (AWS: up to 5 minutes). */
  listLagMs?: number;
  /** Replicas added to these regions (region -> status message) while the rule is set end up Failed. */
  failReplicas?: Record<string, string>;
  /**
   * KMS keys (as a manifest names them) taken to exist in the account without asking moto's
   * KMS: for tests over documentation examples that name keys of an example account.
   */
  existingKmsKeys?: string[];
}

export const AWS_DEFAULT_RULES: Required<ContractRules> = {
  versionQuota: 100,
  versionMinAgeMs: 24 * 60 * 60 * 1000,
  listLagMs: 0,
  failReplicas: {},
  existingKmsKeys: [],
};

/** AWS's limits that are not a matter of configuration. */
export const MAX_TAGS = 50;
const AWS_MANAGED_KEY = "alias/aws/secretsmanager";
const CONTROL_PATH = "/__aws-contract/";

export interface AwsContract {
  endpoint: string;
  stop(): Promise<void>;
}

type Json = Record<string, unknown>;

interface AwsFailure {
  status: number;
  code: string;
  message: string;
}

/** What the layer knows of one secret (by name), beyond what moto keeps. */
interface SecretTrack {
  /** ClientRequestToken -> sha256 of the content it was first used with. */
  tokens: Map<string, string>;
  /** Versions AWS would have removed for the quota; moto still has them, the layer hides them. */
  dropped: Set<string>;
  /** When each version was created through the layer (ms; moto's dates have 1 s steps). */
  createdAt: Map<string, number>;
  /** The KMS key each version's value is encrypted under, as AWS would have it. */
  versionKeys: Map<string, string>;
  /** The secret's KMS key. */
  kmsKeyId: string;
  /** UpdateSecret cleared the description (moto keeps the old one; AWS clears it). */
  descriptionCleared: boolean;
  /** Regions whose replica failed (they stay Failed until removed). */
  failedReplicas: Map<string, string>;
  /** A change within the lag window: the listing entry from before it (undefined: not listed). */
  lag?: { until: number; before: Json | undefined; region: string };
}

export async function startAwsContract(opts: { target: string }): Promise<AwsContract> {
  const upstream = new URL(opts.target);
  const layer = new ContractLayer(upstream);
  const server = createServer((req, res) => {
    layer.handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { __type: "InternalServiceError", message: String(error) });
    });
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Sets the rules for secrets whose name starts with `prefix` (the longest prefix wins). */
export async function setContractRules(
  endpoint: string,
  prefix: string,
  rules: ContractRules,
): Promise<void> {
  const res = await fetch(`${endpoint}${CONTROL_PATH}rules`, {
    method: "POST",
    body: JSON.stringify({ prefix, rules }),
  });
  if (!res.ok) throw new Error(`setting contract rules failed: ${res.status} ${await res.text()}`);
}

/** The KMS key each version of `name` is encrypted under, as AWS would have re-encrypted it. */
export async function versionKeys(endpoint: string, name: string): Promise<Record<string, string>> {
  const res = await fetch(`${endpoint}${CONTROL_PATH}version-keys?name=${encodeURIComponent(name)}`);
  return (await res.json()) as Record<string, string>;
}

class ContractLayer {
  private readonly rulesByPrefix = new Map<string, ContractRules>();
  private readonly secrets = new Map<string, SecretTrack>();

  constructor(private readonly upstream: URL) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (req.url?.startsWith(CONTROL_PATH)) return this.control(req, body, res);
    const target = String(req.headers["x-amz-target"] ?? "");
    if (!target.startsWith("secretsmanager.")) {
      const answer = await forward(this.upstream, req.method ?? "POST", req.url ?? "/", req.headers, body);
      return relay(res, answer);
    }
    const call = new Call(this, req, target.slice("secretsmanager.".length), body);
    const failure = await call.check();
    if (failure) return sendJson(res, failure.status, { __type: failure.code, message: failure.message });
    const emulated = await call.emulate();
    if (emulated) return sendJson(res, 200, emulated);
    const answer = await forward(this.upstream, req.method ?? "POST", req.url ?? "/", req.headers, body);
    if (answer.status !== 200) return relay(res, answer);
    const json = JSON.parse(answer.body.toString("utf8") || "{}") as Json;
    await call.record(json);
    return sendJson(res, 200, call.present(json));
  }

  rulesFor(name: string | undefined): Required<ContractRules> {
    let best: ContractRules = {};
    let bestLength = -1;
    if (name !== undefined) {
      for (const [prefix, rules] of this.rulesByPrefix) {
        if (name.startsWith(prefix) && prefix.length > bestLength) {
          best = rules;
          bestLength = prefix.length;
        }
      }
    }
    return { ...AWS_DEFAULT_RULES, ...best };
  }

  track(name: string): SecretTrack {
    let track = this.secrets.get(name);
    if (!track) {
      track = {
        tokens: new Map(),
        dropped: new Set(),
        createdAt: new Map(),
        versionKeys: new Map(),
        kmsKeyId: AWS_MANAGED_KEY,
        descriptionCleared: false,
        failedReplicas: new Map(),
      };
      this.secrets.set(name, track);
    }
    return track;
  }

  existing(name: string): SecretTrack | undefined {
    return this.secrets.get(name);
  }

  /** The stale listing entries of secrets inside a lag window (`lagging` picks the windows). */
  lagging(lagging: (track: SecretTrack) => SecretTrack["lag"] | undefined): Json[] {
    return [...this.secrets.values()].flatMap((track) => {
      const before = lagging(track)?.before;
      return before ? [before] : [];
    });
  }

  forget(name: string): void {
    this.secrets.delete(name);
  }

  /** A Secrets Manager or KMS call straight to moto, in `region`. */
  async moto(service: "secretsmanager" | "kms", target: string, region: string, params: Json): Promise<Json> {
    const headers = {
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": target,
      authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/${region}/${service}/aws4_request, SignedHeaders=host, Signature=0`,
    };
    const answer = await forward(this.upstream, "POST", "/", headers, Buffer.from(JSON.stringify(params)));
    const json = JSON.parse(answer.body.toString("utf8") || "{}") as Json;
    if (answer.status !== 200) throw Object.assign(new Error(String(json.message)), { code: json.__type });
    return json;
  }

  private control(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://layer");
    if (url.pathname === `${CONTROL_PATH}rules` && req.method === "POST") {
      const { prefix, rules } = JSON.parse(body.toString("utf8")) as { prefix: string; rules: ContractRules };
      this.rulesByPrefix.set(prefix, rules);
      sendJson(res, 200, {});
      return;
    }
    if (url.pathname === `${CONTROL_PATH}version-keys`) {
      const track = this.secrets.get(url.searchParams.get("name") ?? "");
      sendJson(res, 200, Object.fromEntries(track?.versionKeys ?? []));
      return;
    }
    sendJson(res, 404, { message: "unknown control call" });
  }
}

/** One Secrets Manager request passing through the layer. */
class Call {
  readonly params: Json;
  readonly name: string | undefined;
  readonly region: string;
  readonly rules: Required<ContractRules>;
  /** Versions as moto lists them, fetched by checks that need them. */
  private versions?: { id: string; stages: string[]; created: number }[];

  constructor(
    private readonly layer: ContractLayer,
    req: IncomingMessage,
    readonly op: string,
    body: Buffer,
  ) {
    this.params = parseJson(body);
    this.name = secretName(this.params.Name ?? this.params.SecretId);
    this.region = regionOf(req.headers) ?? "us-east-1";
    this.rules = layer.rulesFor(this.name);
  }

  /** The documented refusals, before anything reaches moto. */
  async check(): Promise<AwsFailure | undefined> {
    const checks = [
      () => this.checkValueLength(),
      () => this.checkTokenContent(),
      () => this.checkTagCount(),
      () => this.checkKmsKeys(),
      () => this.checkVersionQuota(),
      () => this.checkDroppedVersion(),
    ];
    for (const check of checks) {
      const failure = await check();
      if (failure) return failure;
    }
    await this.startLagWindow();
    return undefined;
  }

  private checkValueLength(): AwsFailure | undefined {
    for (const field of ["SecretString", "SecretBinary"]) {
      if (this.params[field] === "")
        return invalidParameter(`${field} must have length greater than or equal to 1`);
    }
    return undefined;
  }

  private checkTokenContent(): AwsFailure | undefined {
    const token = this.params.ClientRequestToken;
    const content = contentHash(this.params);
    if (typeof token !== "string" || content === undefined || this.name === undefined) return undefined;
    const known = this.layer.existing(this.name)?.tokens.get(token);
    if (known === undefined || known === content) return undefined;
    return {
      status: 400,
      code: "ResourceExistsException",
      message: `You can't use ClientRequestToken ${token} because that value is already in use for a version of secret ${this.name} with other content.`,
    };
  }

  private async checkTagCount(): Promise<AwsFailure | undefined> {
    const added = tagKeys(this.params.Tags);
    if (this.op === "CreateSecret" && added.length > MAX_TAGS) return tooManyTags(added.length);
    if (this.op !== "TagResource" || this.name === undefined) return undefined;
    const described = await this.layer
      .moto("secretsmanager", "secretsmanager.DescribeSecret", this.region, {
        SecretId: this.params.SecretId,
      })
      .catch(() => undefined);
    if (!described) return undefined; // moto answers for a secret that does not exist
    const keys = new Set([...tagKeys(described.Tags), ...added]);
    return keys.size > MAX_TAGS ? tooManyTags(keys.size) : undefined;
  }

  private async checkKmsKeys(): Promise<AwsFailure | undefined> {
    const keys: [string, string][] = [];
    if (typeof this.params.KmsKeyId === "string" && this.params.KmsKeyId !== "")
      keys.push([this.params.KmsKeyId, this.region]);
    for (const replica of asArray(this.params.AddReplicaRegions) as Json[]) {
      if (typeof replica.KmsKeyId === "string" && typeof replica.Region === "string")
        keys.push([replica.KmsKeyId, replica.Region]);
    }
    for (const [keyId, region] of keys) {
      if (keyId === AWS_MANAGED_KEY || this.rules.existingKmsKeys.includes(keyId)) continue;
      try {
        await this.layer.moto("kms", "TrentService.DescribeKey", region, { KeyId: keyId });
      } catch {
        return {
          status: 400,
          code: "EncryptionFailure",
          message: `Secrets Manager can't encrypt the protected secret text using the provided KMS key ${keyId} in ${region}: it does not exist.`,
        };
      }
    }
    return undefined;
  }

  /**
   * A new version past the quota: drop the oldest old-enough unlabelled ones, or refuse.
   * Counted after the write's own stage moves (without VersionStages the new version takes
   * AWSCURRENT, the old current becomes AWSPREVIOUS, and the old previous is unlabelled).
   */
  private async checkVersionQuota(): Promise<AwsFailure | undefined> {
    if (!this.addsVersion() || this.name === undefined) return undefined;
    const track = this.layer.track(this.name);
    const versions = await this.visibleVersions();
    const token = this.params.ClientRequestToken;
    if (typeof token === "string" && versions.some((v) => v.id === token)) return undefined;
    const excess = versions.length + 1 - this.rules.versionQuota;
    if (excess <= 0) return undefined;
    const movesStages = this.params.VersionStages === undefined;
    const unlabelledAfter = (v: { stages: string[] }) =>
      v.stages.length === 0 || (movesStages && v.stages.length === 1 && v.stages[0] === "AWSPREVIOUS");
    const now = Date.now();
    const droppable = versions
      .filter((v) => unlabelledAfter(v) && now - v.created >= this.rules.versionMinAgeMs)
      .sort((a, b) => a.created - b.created);
    if (droppable.length < excess) {
      return {
        status: 400,
        code: "LimitExceededException",
        message: `The secret ${this.name} already holds ${versions.length} versions (quota ${this.rules.versionQuota}) and too few of its unlabelled versions are old enough to be removed.`,
      };
    }
    for (const v of droppable.slice(0, excess)) {
      track.dropped.add(v.id);
      track.versionKeys.delete(v.id);
    }
    return undefined;
  }

  /** A version AWS has removed cannot take a stage or be read. */
  private checkDroppedVersion(): AwsFailure | undefined {
    if (this.name === undefined) return undefined;
    const dropped = this.layer.existing(this.name)?.dropped;
    const id = this.op === "UpdateSecretVersionStage" ? this.params.MoveToVersionId : this.params.VersionId;
    if (typeof id !== "string" || !dropped?.has(id)) return undefined;
    if (this.op !== "UpdateSecretVersionStage" && this.op !== "GetSecretValue") return undefined;
    return {
      status: 400,
      code: "ResourceNotFoundException",
      message: `Secrets Manager can't find the specified secret version ${id}.`,
    };
  }

  /** The listing keeps showing the secret as it was when the window opened. */
  private async startLagWindow(): Promise<void> {
    if (!WRITES.has(this.op) || this.name === undefined || this.rules.listLagMs <= 0) return;
    const track = this.layer.track(this.name);
    const now = Date.now();
    if (track.lag && track.lag.until > now) {
      track.lag.until = now + this.rules.listLagMs;
      return;
    }
    const listed = await this.layer.moto("secretsmanager", "secretsmanager.ListSecrets", this.region, {
      Filters: [{ Key: "name", Values: [this.name] }],
      IncludePlannedDeletion: true,
    });
    const before = (asArray(listed.SecretList) as Json[]).find((e) => e.Name === this.name);
    track.lag = {
      until: now + this.rules.listLagMs,
      before: before && track.descriptionCleared ? withoutDescription(before) : before,
      region: this.region,
    };
  }

  /**
   * A put of a token AWS dropped is a fresh write there; moto still has that version, so
   * the layer makes it current (its content is the same: the token check saw to that).
   */
  async emulate(): Promise<Json | undefined> {
    if (this.op !== "PutSecretValue" || this.name === undefined) return undefined;
    const track = this.layer.existing(this.name);
    const token = this.params.ClientRequestToken;
    if (typeof token !== "string" || !track?.dropped.has(token)) return undefined;
    const current = (await this.visibleVersions()).find((v) => v.stages.includes("AWSCURRENT"));
    const moved = await this.layer.moto(
      "secretsmanager",
      "secretsmanager.UpdateSecretVersionStage",
      this.region,
      {
        SecretId: this.params.SecretId,
        VersionStage: "AWSCURRENT",
        MoveToVersionId: token,
        ...(current ? { RemoveFromVersionId: current.id } : {}),
      },
    );
    track.dropped.delete(token);
    track.createdAt.set(token, Date.now());
    track.versionKeys.set(token, track.kmsKeyId);
    return { ARN: moved.ARN, Name: moved.Name, VersionId: token, VersionStages: ["AWSCURRENT"] };
  }

  /** Remembers what a successful call did. */
  async record(response: Json): Promise<void> {
    const name = typeof response.Name === "string" ? response.Name : this.name;
    if (name === undefined) return;
    const track = this.layer.track(name);
    const token = typeof response.VersionId === "string" ? response.VersionId : undefined;
    const content = contentHash(this.params);
    if (token !== undefined && content !== undefined && !track.tokens.has(token)) {
      track.tokens.set(token, content);
      track.createdAt.set(token, Date.now());
    }
    switch (this.op) {
      case "CreateSecret":
        track.descriptionCleared = false;
        track.kmsKeyId = stringOr(this.params.KmsKeyId, AWS_MANAGED_KEY);
        if (token) track.versionKeys.set(token, track.kmsKeyId);
        this.markFailedReplicas(track, response);
        break;
      case "PutSecretValue":
        if (token && !track.versionKeys.has(token)) track.versionKeys.set(token, track.kmsKeyId);
        break;
      case "UpdateSecret":
        if (typeof this.params.Description === "string")
          track.descriptionCleared = this.params.Description === "";
        if (typeof this.params.KmsKeyId === "string") await this.reencryptStaged(track, this.params.KmsKeyId);
        if (token && !track.versionKeys.has(token)) track.versionKeys.set(token, track.kmsKeyId);
        break;
      case "ReplicateSecretToRegions":
        this.markFailedReplicas(track, response);
        break;
      case "RemoveRegionsFromReplication":
        for (const region of asArray(this.params.RemoveReplicaRegions))
          track.failedReplicas.delete(String(region));
        break;
      case "DeleteSecret":
        if (this.params.ForceDeleteWithoutRecovery === true) this.layer.forget(name);
        break;
    }
  }

  /** AWS re-encrypts the staged versions under a new key; unlabelled ones keep the old key. */
  private async reencryptStaged(track: SecretTrack, keyId: string): Promise<void> {
    track.kmsKeyId = keyId === "" ? AWS_MANAGED_KEY : keyId;
    this.versions = undefined;
    for (const v of await this.visibleVersions())
      if (v.stages.length > 0) track.versionKeys.set(v.id, track.kmsKeyId);
  }

  private markFailedReplicas(track: SecretTrack, response: Json): void {
    for (const status of asArray(response.ReplicationStatus) as Json[]) {
      const message = this.rules.failReplicas[String(status.Region)];
      if (message !== undefined) track.failedReplicas.set(String(status.Region), message);
    }
  }

  /** The response as AWS would give it: lagging listings, no dropped versions, failed replicas. */
  present(response: Json): Json {
    if (this.op === "ListSecrets") return this.presentListing(response);
    const name = typeof response.Name === "string" ? response.Name : this.name;
    const track = name === undefined ? undefined : this.layer.existing(name);
    if (!track) return response;
    const out = track.descriptionCleared ? withoutDescription(response) : { ...response };
    if (isRecord(out.VersionIdsToStages))
      out.VersionIdsToStages = withoutDropped(out.VersionIdsToStages, track);
    if (Array.isArray(out.Versions))
      out.Versions = (out.Versions as Json[]).filter((v) => !track.dropped.has(String(v.VersionId)));
    if (Array.isArray(out.ReplicationStatus))
      out.ReplicationStatus = withFailures(out.ReplicationStatus as Json[], track);
    return out;
  }

  /**
   * A secret inside its lag window is listed as it was before: its stale entry replaces the
   * current one, and is listed even where the current one no longer matches the filters
   * (e.g. a tag filter after the tag changed). Stale entries join the first page only.
   */
  private presentListing(response: Json): Json {
    const now = Date.now();
    const filters = asArray(this.params.Filters) as Json[];
    const includeDeleted = this.params.IncludePlannedDeletion === true;
    const lagging = (track: SecretTrack | undefined) =>
      track?.lag && track.lag.until > now && track.lag.region === this.region ? track.lag : undefined;
    const listed = asArray(response.SecretList) as Json[];
    const stale =
      this.params.NextToken === undefined
        ? this.layer
            .lagging(lagging)
            .filter((before) => !listed.some((e) => e.Name === before.Name))
            .filter((before) => matchesFilters(before, filters, includeDeleted))
        : [];
    const entries = [...listed, ...stale].flatMap((entry) => {
      const track = this.layer.existing(String(entry.Name));
      if (!track) return [entry];
      const latest = track.descriptionCleared ? withoutDescription(entry) : entry;
      const lag = lagging(track);
      const shown = lag ? lag.before : latest;
      if (!shown || !matchesFilters(shown, filters, includeDeleted)) return [];
      return [
        isRecord(shown.SecretVersionsToStages)
          ? { ...shown, SecretVersionsToStages: withoutDropped(shown.SecretVersionsToStages, track) }
          : shown,
      ];
    });
    return { ...response, SecretList: entries.map((e) => asDocumentedListEntry(e, this.region)) };
  }

  private addsVersion(): boolean {
    return (
      this.op === "PutSecretValue" || (this.op === "UpdateSecret" && contentHash(this.params) !== undefined)
    );
  }

  private async visibleVersions(): Promise<{ id: string; stages: string[]; created: number }[]> {
    if (!this.versions) {
      const track = this.name === undefined ? undefined : this.layer.existing(this.name);
      const listed = await this.layer
        .moto("secretsmanager", "secretsmanager.ListSecretVersionIds", this.region, {
          SecretId: this.params.SecretId,
          IncludeDeprecated: true,
          MaxResults: 100,
        })
        .catch(() => ({}) as Json); // no such secret: moto answers the call itself
      this.versions = (asArray(listed.Versions) as Json[])
        .map((v) => ({
          id: String(v.VersionId),
          stages: asArray(v.VersionStages).map(String),
          created: track?.createdAt.get(String(v.VersionId)) ?? Number(v.CreatedDate ?? 0) * 1000,
        }))
        .filter((v) => !track?.dropped.has(v.id));
    }
    return this.versions;
  }
}

/** Calls that change a secret (and so open a ListSecrets lag window). */
const WRITES = new Set([
  "CreateSecret",
  "PutSecretValue",
  "UpdateSecret",
  "UpdateSecretVersionStage",
  "TagResource",
  "UntagResource",
  "DeleteSecret",
  "RestoreSecret",
  "ReplicateSecretToRegions",
  "RemoveRegionsFromReplication",
]);

function invalidParameter(message: string): AwsFailure {
  return { status: 400, code: "InvalidParameterException", message };
}

function tooManyTags(count: number): AwsFailure {
  return invalidParameter(`A secret can have at most ${MAX_TAGS} tags; this request would give it ${count}.`);
}

/** sha256 of the value a request stores, or undefined when it stores none. */
function contentHash(params: Json): string | undefined {
  if (typeof params.SecretString === "string") return hash(`s:${params.SecretString}`);
  if (typeof params.SecretBinary === "string") return hash(`b:${params.SecretBinary}`);
  return undefined;
}

function hash(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** A name from a name or an ARN (`...:secret:NAME-AbCdEf`). */
function secretName(id: unknown): string | undefined {
  if (typeof id !== "string") return undefined;
  const arn = /^arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:(.+)-[A-Za-z0-9]{6}$/.exec(id);
  return arn?.[1] ?? id;
}

function regionOf(headers: IncomingHttpHeaders): string | undefined {
  return /Credential=[^/]+\/\d+\/([^/]+)\//.exec(String(headers.authorization ?? ""))?.[1];
}

function tagKeys(tags: unknown): string[] {
  return (asArray(tags) as Json[]).map((t) => String(t.Key));
}

function withoutDescription(entry: Json): Json {
  const { Description: _cleared, ...rest } = entry;
  return rest;
}

function withoutDropped(stages: Json, track: SecretTrack): Json {
  return Object.fromEntries(Object.entries(stages).filter(([id]) => !track.dropped.has(id)));
}

/**
 * A ListSecrets entry as AWS documents SecretListEntry: a replicated secret names its
 * PrimaryRegion, and no entry carries ReplicationStatus (DescribeSecret's field). moto does
 * the opposite, which hides from a client that a listed secret has replicas.
 */
function asDocumentedListEntry(entry: Json, region: string): Json {
  const { ReplicationStatus: statuses, ...rest } = entry;
  const replicated = Array.isArray(statuses) && statuses.length > 0;
  return replicated && rest.PrimaryRegion === undefined ? { ...rest, PrimaryRegion: region } : rest;
}

function withFailures(statuses: Json[], track: SecretTrack): Json[] {
  return statuses.map((s) => {
    const message = track.failedReplicas.get(String(s.Region));
    return message === undefined ? s : { ...s, Status: "Failed", StatusMessage: message };
  });
}

/** ListSecrets filters as AWS applies them (prefix matches), for a listing entry shown from the past. */
function matchesFilters(entry: Json, filters: Json[], includePlannedDeletion: boolean): boolean {
  if (entry.DeletedDate !== undefined && entry.DeletedDate !== null && !includePlannedDeletion) return false;
  const tags = asArray(entry.Tags) as Json[];
  return filters.every((filter) => {
    const values = asArray(filter.Values).map(String);
    const candidates =
      filter.Key === "name"
        ? [String(entry.Name)]
        : filter.Key === "tag-key"
          ? tags.map((t) => String(t.Key))
          : filter.Key === "tag-value"
            ? tags.map((t) => String(t.Value))
            : filter.Key === "description"
              ? [String(entry.Description ?? "")]
              : undefined;
    return candidates === undefined || values.some((v) => candidates.some((c) => c.startsWith(v)));
  });
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function forward(
  upstream: URL,
  method: string,
  path: string,
  headers: IncomingHttpHeaders | Record<string, string>,
  body: Buffer,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const out = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method,
        path,
        headers: { ...headers, host: upstream.host, "content-length": String(body.length) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on("error", reject);
      },
    );
    out.on("error", reject);
    out.end(body);
  });
}

function relay(res: ServerResponse, answer: Answer): void {
  const { "content-length": _length, "transfer-encoding": _encoding, ...headers } = answer.headers;
  res.writeHead(answer.status, { ...headers, "content-length": String(answer.body.length) });
  res.end(answer.body);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = Buffer.from(JSON.stringify(body));
  res.writeHead(status, {
    "content-type": "application/x-amz-json-1.1",
    "content-length": String(text.length),
  });
  res.end(text);
}

function parseJson(body: Buffer): Json {
  try {
    const parsed: unknown = JSON.parse(body.toString("utf8"));
    return isRecord(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === "string" && value !== "" ? value : fallback;
}
