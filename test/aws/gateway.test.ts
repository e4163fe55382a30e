import { CreateSecretCommand, DeleteSecretCommand } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SecretsManagerError } from "../../src/aws/errors.js";
import { isUserError } from "../../src/errors.js";
import { type Harness, startHarness, text, uniquePrefix } from "../reconcile/helpers.js";

let h: Harness;
let prefix: string;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.proxy.stop());
beforeEach(() => {
  prefix = uniquePrefix("gw");
  h.proxy.setRules([]);
  h.proxy.resetCounts();
});

const create = (name: string, value = "v") =>
  h.direct.send(new CreateSecretCommand({ Name: name, SecretString: value }));

describe("SecretsManagerGateway reads", () => {
  it("coalesces concurrent describes into ListSecrets calls of at most 10 names", async () => {
    const names = Array.from({ length: 23 }, (_, i) => `${prefix}/n${i}`);
    await Promise.all(names.slice(0, 20).map((n) => create(n)));
    const seen = await Promise.all([...names, names[0] ?? ""].map((n) => h.gateway.describe(n)));
    expect(seen.slice(0, 20).map((o) => o?.name)).toEqual(names.slice(0, 20));
    expect(seen.slice(20, 23)).toEqual([undefined, undefined, undefined]);
    expect(seen[23]?.arn).toBe(seen[0]?.arn);
    expect(h.proxy.counts()).toEqual({ ListSecrets: 3 });
    expect(h.proxy.log().every((e) => e.secretIds.length <= 10)).toBe(true);
  });

  it("keeps only exact names although the name filter matches prefixes", async () => {
    await create(`${prefix}/app`);
    await create(`${prefix}/app-old`);
    await create(`${prefix}/application`);
    const seen = await h.gateway.describe(`${prefix}/app`);
    expect(seen?.name).toBe(`${prefix}/app`);
    expect(await h.gateway.describe(`${prefix}/ap`)).toBeUndefined();
  });

  it("sees secrets scheduled for deletion", async () => {
    await create(`${prefix}/deleted`);
    await h.direct.send(new DeleteSecretCommand({ SecretId: `${prefix}/deleted`, RecoveryWindowInDays: 7 }));
    expect((await h.gateway.describe(`${prefix}/deleted`))?.deletedDate).toBeInstanceOf(Date);
  });

  it("observes replication only on request, with one DescribeSecret", async () => {
    const name = `${prefix}/replicated`;
    await h.direct.send(
      new CreateSecretCommand({
        Name: name,
        SecretString: "v",
        AddReplicaRegions: [{ Region: "eu-west-1" }],
      }),
    );
    expect(await h.gateway.describe(name)).toMatchObject({ replicas: [], replicasObserved: false });
    expect(await h.gateway.describe(name, { replication: true })).toMatchObject({
      replicas: [{ region: "eu-west-1", status: "InSync" }],
      replicasObserved: true,
    });
    expect(h.proxy.counts()).toEqual({ ListSecrets: 2, DescribeSecret: 1 });
  });

  it("coalesces value reads into BatchGetSecretValue calls of at most 20 ids", async () => {
    const names = Array.from({ length: 21 }, (_, i) => `${prefix}/v${i}`);
    await Promise.all(names.map((n, i) => create(n, `value-${i}`)));
    const values = await Promise.all(
      [...names, `${prefix}/missing`].map((n) => h.gateway.getCurrentValue(n)),
    );
    expect(values.slice(0, 21).map((v) => v?.payload)).toEqual(
      names.map((_, i) => ({ type: "string", text: `value-${i}` })),
    );
    expect(values[21]).toBeUndefined();
    expect(h.proxy.counts()).toEqual({ BatchGetSecretValue: 2 });
  });
});

describe("SecretsManagerGateway retries", () => {
  it("rides out throttling, 5xx and resets on the same call", async () => {
    const name = `${prefix}/retried`;
    h.proxy.setRules([
      { targets: ["CreateSecret"], times: 1, action: { type: "throttle" } },
      { targets: ["CreateSecret"], times: 1, action: { type: "status", status: 503 } },
      { targets: ["CreateSecret"], times: 1, afterForward: true, action: { type: "reset" } },
    ]);
    const created = await h.gateway.createSecret({
      name,
      token: "11111111-2222-8333-8444-555555555555",
      value: text("v"),
      tags: {},
      replicas: [],
      forceOverwriteReplicaSecret: false,
    });
    expect(created.versionId).toBe("11111111-2222-8333-8444-555555555555");
    const sent = h.proxy.log().filter((e) => e.target === "CreateSecret");
    expect(sent.map((e) => e.fault)).toEqual(["throttle", "status", "reset", undefined]);
    expect(new Set(sent.map((e) => e.clientRequestToken)).size).toBe(1);
  });
});

describe("SecretsManagerGateway errors", () => {
  // LimitExceededException counts as throttling and is retried: one attempt keeps this quick.
  let once: Harness;
  beforeAll(async () => {
    once = await startHarness({ maxAttempts: 1 });
  });
  afterAll(() => once.proxy.stop());

  it.each([
    {
      code: "AccessDeniedException",
      reason: "accessDenied",
      message: /Not allowed to call secretsmanager:TagResource on secret/,
      hint: /Grant secretsmanager:TagResource/,
    },
    { code: "LimitExceededException", reason: "limitExceeded", message: /quota/, hint: /quota/ },
    {
      code: "InvalidRequestException",
      reason: "scheduledForDeletion",
      message: /scheduled for deletion/,
      hint: /restore/i,
    },
  ])("maps $code to a plain user error", async ({ code, reason, message, hint }) => {
    const name = `${prefix}/err`;
    await create(name);
    once.proxy.setRules([
      {
        targets: ["TagResource"],
        action: { type: "error", status: 400, code, message: "the secret is marked for deletion" },
      },
    ]);
    const error = await once.gateway.tag(name, { a: "b" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretsManagerError);
    expect(isUserError(error)).toBe(true);
    expect(error).toMatchObject({ reason, operation: "TagResource", secretName: name, code });
    expect((error as Error).message).toMatch(message);
    expect((error as SecretsManagerError).hint).toMatch(hint);
  });

  it("names both permissions BatchGetSecretValue needs", async () => {
    h.proxy.setRules([{ action: { type: "error", status: 400, code: "AccessDeniedException" } }]);
    const error = await h.gateway.getCurrentValue(`${prefix}/x`).catch((e: unknown) => e);
    expect((error as SecretsManagerError).hint).toContain(
      "secretsmanager:BatchGetSecretValue and secretsmanager:GetSecretValue",
    );
  });

  it("maps a missing secret and an existing one", async () => {
    await expect(h.gateway.untag(`${prefix}/nope`, ["a"])).rejects.toMatchObject({ reason: "notFound" });
    const name = `${prefix}/twice`;
    await create(name);
    const input = { name, token: "11111111-2222-8333-8444-666666666666", value: text("v2"), tags: {} };
    await expect(
      h.gateway.createSecret({ ...input, replicas: [], forceOverwriteReplicaSecret: false }),
    ).rejects.toMatchObject({ reason: "exists", operation: "CreateSecret" });
  });

  it("gives up on an outage with a plain message after the retries", async () => {
    const quick = await startHarness({ maxAttempts: 2 });
    quick.proxy.setRules([{ action: { type: "status", status: 503 } }]);
    const error = await quick.gateway.untag(`${prefix}/down`, ["a"]).catch((e: unknown) => e);
    await quick.proxy.stop();
    expect(error).toMatchObject({ reason: "unavailable", operation: "UntagResource" });
    expect(quick.proxy.counts()).toEqual({ UntagResource: 2 });
  });
});
