/**
 * The dynamic provider's methods called in-process, as the engine calls them, against moto
 * through the counting proxy: what each lifecycle change sends to AWS. Inputs go through
 * the engine's wire format (a protobuf Struct) first, as they do under `pulumi up`.
 */
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
  TagResourceCommand,
} from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import type { SecretSpec } from "../../src/manifest/spec";
import { type ManagedSecretInputs, type ManagedSecretOutputs, toValueInput } from "../../src/pulumi/inputs";
import { requestToken } from "../../src/reconcile/digest";
import { OWNER_TAG } from "../../src/reconcile/types";
import { uniquePrefix, writeCounts } from "../reconcile/helpers";
import { type FaultProxy, startFaultProxy } from "../support/fault-proxy";
import { type Crud, freshProvider, overTheWire } from "./provider-process";

const OWNER = "proj/crud-test";
const HMAC_KEY = "ab".repeat(32);
let proxy: FaultProxy;
let prefix: string;
let crud: Crud;

beforeAll(async () => {
  proxy = await startFaultProxy({ target: inject("awsEndpoint") });
});
afterAll(() => proxy.stop());
/** Each test is one provider process (one Pulumi operation): a fresh module, configured. */
beforeEach(async () => {
  await nextOperation();
  prefix = uniquePrefix("crud");
  proxy.resetCounts();
});

/** The next operation: a new provider process. */
async function nextOperation() {
  crud = await freshProvider(proxy.endpoint);
}

function inputs(
  name: string,
  value: NonNullable<SecretSpec["value"]>,
  extra: Partial<ManagedSecretInputs> = {},
) {
  const news: ManagedSecretInputs = {
    name,
    tags: { [OWNER_TAG]: OWNER },
    value: toValueInput(value),
    replicas: [],
    forceOverwriteReplicaSecret: false,
    deletion: { recoveryWindowInDays: 7 },
    adopt: false,
    owner: OWNER,
    source: { file: "manifests/app.yaml", line: 3 },
    hmacKey: HMAC_KEY,
    ...extra,
  };
  return overTheWire(news);
}

/** check, then create: a new resource. */
async function created(news: ManagedSecretInputs): Promise<ManagedSecretOutputs> {
  const checked = await crud.check(news, news);
  expect(checked.failures ?? []).toEqual([]);
  const res = await crud.create(checked.inputs as ManagedSecretInputs);
  return overTheWire(res.outs as ManagedSecretOutputs);
}

async function checked(news: ManagedSecretInputs): Promise<ManagedSecretInputs> {
  return (await crud.check(news, news)).inputs as ManagedSecretInputs;
}

const envValue = (variable: string): NonNullable<SecretSpec["value"]> => ({
  kind: "string",
  ref: { fromEnv: variable },
});

function clientFor(region: string) {
  return new SecretsManagerClient({ region, endpoint: proxy.endpoint });
}

describe("region", () => {
  it("setting the region the SDK chain already used changes nothing (no replace, no call)", async () => {
    process.env.CRUD_V = "v1";
    const name = `${prefix}/region-same`;
    const outs = await created(inputs(name, envValue("CRUD_V")));
    expect(outs.awsRegion).toBe("us-east-1");
    const news = await checked(inputs(name, envValue("CRUD_V"), { region: "us-east-1" }));
    proxy.resetCounts();
    expect(await crud.diff(outs.arn, outs, news)).toMatchObject({ changes: false, replaces: [] });
    // State written before the region was recorded: the ARN's region stands in.
    const { awsRegion: _, ...older } = outs;
    expect(await crud.diff(outs.arn, older as ManagedSecretOutputs, news)).toMatchObject({ replaces: [] });
    expect(proxy.counts()).toEqual({});
  });

  it("a real region change creates in the new region, then deletes the old secret by its ARN", async () => {
    process.env.CRUD_V = "v1";
    const name = `${prefix}/region-move`;
    const old = await created(inputs(name, envValue("CRUD_V")));
    await nextOperation();
    const news = await checked(inputs(name, envValue("CRUD_V"), { region: "eu-west-1" }));
    expect((await crud.diff(old.arn, old, news)).replaces).toEqual(["region"]);
    proxy.resetCounts();
    const moved = await created(news);
    await crud.delete(old.arn, old);
    expect(moved.arn).toMatch(/^arn:aws:secretsmanager:eu-west-1:/);
    expect(writeCounts(proxy)).toEqual({ CreateSecret: 1, DeleteSecret: 1 });
    expect(proxy.log().find((e) => e.target === "DeleteSecret")?.secretIds).toEqual([old.arn]);
    const [inOld, inNew] = await Promise.all(
      [old.arn, moved.arn].map((arn) =>
        clientFor(arn.split(":")[3] ?? "").send(new DescribeSecretCommand({ SecretId: arn })),
      ),
    );
    expect(inOld?.DeletedDate).toBeInstanceOf(Date);
    expect(inNew?.DeletedDate).toBeUndefined();
  });

  it("a replacement that lands on the same secret (pulumi up --replace) keeps it, even across a crash", async () => {
    process.env.CRUD_V = "v1";
    const name = `${prefix}/replace-same`;
    const old = await created(inputs(name, envValue("CRUD_V")));
    await nextOperation();
    proxy.resetCounts();
    const replacement = await created(inputs(name, envValue("CRUD_V")));
    expect(replacement.arn).toBe(old.arn);
    // The replacement's claim goes on with one TagResource; nothing else is written.
    expect(writeCounts(proxy)).toEqual({ TagResource: 1 });
    expect(replacement.claim).not.toBe(old.claim);
    // The old resource's delete runs in the next operation (as after an interrupted update).
    await nextOperation();
    proxy.resetCounts();
    await crud.delete(old.arn, old);
    expect(writeCounts(proxy)).toEqual({});
    const live = await clientFor("us-east-1").send(new DescribeSecretCommand({ SecretId: old.arn }));
    expect(live.DeletedDate).toBeUndefined();
  });
});

describe("delete", () => {
  it("refuses a secret another stack took over, deleting nothing", async () => {
    process.env.CRUD_V = "v1";
    const name = `${prefix}/handed-over`;
    const outs = await created(inputs(name, envValue("CRUD_V")));
    await clientFor("us-east-1").send(
      new CreateSecretCommand({ Name: `${name}-unrelated`, SecretString: "x" }),
    );
    await clientFor("us-east-1").send(
      new TagResourceCommand({ SecretId: outs.arn, Tags: [{ Key: OWNER_TAG, Value: "proj/other" }] }),
    );
    await nextOperation();
    proxy.resetCounts();
    await expect(crud.delete(outs.arn, outs)).rejects.toThrow(/Refusing to delete secret .* "proj\/other"/);
    expect(writeCounts(proxy)).toEqual({});
  });
});

describe("stack rename", () => {
  it("re-tags the resource's own secret to the new owner with one TagResource", async () => {
    process.env.CRUD_V = "v1";
    const name = `${prefix}/renamed`;
    const olds = await created(inputs(name, envValue("CRUD_V")));
    await nextOperation();
    const renamed = "proj/renamed-stack";
    const news = await checked(
      inputs(name, envValue("CRUD_V"), { owner: renamed, tags: { [OWNER_TAG]: renamed } }),
    );
    expect((await crud.diff(olds.arn, olds, news)).changes).toBe(true);
    proxy.resetCounts();
    const res = await crud.update(olds.arn, olds, news);
    expect(writeCounts(proxy)).toEqual({ TagResource: 1 });
    expect(proxy.log().find((e) => e.target === "TagResource")?.params.Tags).toEqual([
      { Key: OWNER_TAG, Value: renamed },
    ]);
    expect(res.outs).toMatchObject({ owner: renamed, claim: olds.claim });
  });
});

describe("check", () => {
  it("refuses an empty value with file:line before any call", async () => {
    process.env.CRUD_EMPTY = "";
    const news = inputs(`${prefix}/empty`, {
      kind: "string",
      ref: { fromEnv: "CRUD_EMPTY", allowEmpty: true },
    });
    const res = await crud.check(news, news);
    expect(res.failures?.[0]?.reason).toMatch(/^manifests\/app\.yaml:3: the value is empty/);
    expect(proxy.counts()).toEqual({});
  });

  it("refuses a value over 65,536 bytes with file:line", async () => {
    process.env.CRUD_BIG = "x".repeat(65_537);
    const news = inputs(`${prefix}/big`, envValue("CRUD_BIG"));
    const res = await crud.check(news, news);
    expect(res.failures?.[0]?.reason).toMatch(/^manifests\/app\.yaml:3: the value is 65537 bytes/);
  });

  it("refuses a recovery window outside 7-30, naming the config key", async () => {
    process.env.CRUD_V = "v1";
    const news = inputs(`${prefix}/window`, envValue("CRUD_V"), { deletion: { recoveryWindowInDays: 3 } });
    const res = await crud.check(news, news);
    expect(res.failures?.[0]?.reason).toContain("from 7 to 30, not 3");
    expect(res.failures?.[0]?.reason).toContain("secret-manifests:recoveryWindowInDays");
  });
});

describe("JSON values", () => {
  it("keep the manifest's key order through the engine, byte for byte", async () => {
    process.env.CRUD_PW = "pw";
    const name = `${prefix}/json-order`;
    const value: NonNullable<SecretSpec["value"]> = {
      kind: "json",
      fields: Object.entries({ zeta: "z", user: "app", password: { fromEnv: "CRUD_PW" }, alpha: 1 }),
    };
    const outs = await created(inputs(name, value));
    const stored = await clientFor("us-east-1").send(new GetSecretValueCommand({ SecretId: outs.arn }));
    expect(stored.SecretString).toBe('{"zeta":"z","user":"app","password":"pw","alpha":1}');
  });
});

describe("the first update after upgrading", () => {
  const key = Buffer.from(HMAC_KEY, "hex");

  it("records the name-bound digest without any AWS call when the version is unchanged", async () => {
    process.env.CRUD_V = "v1";
    const name = `${prefix}/upgrade`;
    const outs = await created(inputs(name, envValue("CRUD_V")));
    // State as the release before wrote it: a digest without the name, no awsRegion, no claim.
    const { awsRegion: _r, claim: _c, ...older } = outs;
    const olds = { ...older, digest: { kind: "string" as const, value: "0".repeat(32) } };
    await nextOperation();
    const news = await checked(inputs(name, envValue("CRUD_V")));
    expect((await crud.diff(outs.arn, olds, news)).changes).toBe(true);
    proxy.resetCounts();
    const res = await crud.update(outs.arn, olds, news);
    expect(proxy.counts()).toEqual({});
    expect(res.outs).toMatchObject({
      versionId: outs.versionId,
      digest: news.digest,
      awsRegion: "us-east-1",
    });
  });

  it("writes a JSON secret stored in the engine's alphabetical order once, in manifest order", async () => {
    process.env.CRUD_PW = "pw";
    const name = `${prefix}/upgrade-json`;
    const value: SecretSpec["value"] = {
      kind: "json",
      fields: Object.entries({ user: "app", password: { fromEnv: "CRUD_PW" } }),
    };
    // What the release before stored: the keys sorted by the engine.
    const sorted = '{"password":"pw","user":"app"}';
    const oldToken = requestToken(name, { kind: "json", text: sorted, fields: {} }, key);
    const { ARN } = await clientFor("us-east-1").send(
      new CreateSecretCommand({
        Name: name,
        SecretString: sorted,
        ClientRequestToken: oldToken,
        Tags: [{ Key: OWNER_TAG, Value: OWNER }],
      }),
    );
    const news = await checked(inputs(name, value));
    const olds: ManagedSecretOutputs = {
      ...news,
      arn: ARN ?? "",
      versionId: oldToken,
      replicationStatus: [],
      digest: { kind: "json", value: "0".repeat(32), keys: {} },
    };
    proxy.resetCounts();
    await crud.update(olds.arn, olds, news);
    expect(proxy.counts()).toEqual({ DescribeSecret: 1, PutSecretValue: 1 });
    const stored = await clientFor("us-east-1").send(new GetSecretValueCommand({ SecretId: name }));
    expect(stored.SecretString).toBe('{"user":"app","password":"pw"}');
  });
});
