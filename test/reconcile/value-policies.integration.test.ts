/**
 * Seed-once values, generated passwords, rotation and resource policies, reconciled
 * against moto through the counting proxy: the calls of each operation are asserted, and
 * that no other secret is touched.
 */
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  UpdateSecretVersionStageCommand,
} from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { isUserError } from "../../src/errors.js";
import type { GenerateSpec } from "../../src/manifest/spec.js";
import { declarationToken } from "../../src/reconcile/digest.js";
import { readSecret, reconcile, updateValue } from "../../src/reconcile/index.js";
import { declaredDigest, keptOf } from "../../src/reconcile/parts.js";
import {
  AWSCURRENT,
  AWSPENDING,
  type DesiredSecret,
  type FieldPart,
  OWNER_TAG,
  type ValueParts,
  WHOLE_VALUE,
} from "../../src/reconcile/types.js";
import {
  desired as enforced,
  type Harness,
  HMAC_KEY,
  OWNER,
  startHarness,
  text,
  uniquePrefix,
} from "./helpers.js";
import { createRotationLambda } from "./rotation-lambda.js";

let h: Harness;
let prefix: string;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.proxy.stop());
beforeEach(() => {
  prefix = uniquePrefix("vp");
});

const GENERATE: GenerateSpec = {
  length: 32,
  excludeNumbers: false,
  excludePunctuation: true,
  excludeUppercase: false,
  excludeLowercase: false,
  includeSpace: false,
  requireEachIncludedType: true,
  generation: 1,
};

type Declared = Pick<ValueParts, "stored" | "whole" | "fields">;

/** A desired secret with kept parts, as the provider builds it (see src/pulumi/crud.ts). */
function withParts(
  name: string,
  declared: Declared,
  opts: { verify?: boolean; regenerate?: string[] } & Partial<DesiredSecret> = {},
): DesiredSecret {
  const { verify = true, regenerate = [], ...extra } = opts;
  const parts: ValueParts = { kind: "parts", ...declared, verify, regenerate, hmacKey: HMAC_KEY };
  const digest = declaredDigest(name, parts, HMAC_KEY);
  const token = declarationToken(name, digest, HMAC_KEY);
  const base = enforced(name, text("unused"), extra);
  return { ...base, value: parts, digest, token, rewriteToken: token };
}

const field = (key: string, value: string, policy: "Replace" | "IfNotExists" = "Replace"): FieldPart => ({
  key,
  policy,
  text: JSON.stringify(value),
});
const generated = (key: string, spec: Partial<GenerateSpec> = {}): FieldPart => ({
  key,
  policy: "generate",
  generate: { ...GENERATE, ...spec },
});

async function current(name: string): Promise<string> {
  const res = await h.direct.send(new GetSecretValueCommand({ SecretId: name, VersionStage: AWSCURRENT }));
  return res.SecretString ?? "";
}

const counts = () => h.proxy.counts();

describe("generated values", () => {
  it("N generated secrets cost N GetRandomPassword + N CreateSecret, and nothing on the next run", async () => {
    const names = [1, 2, 3].map((i) => `${prefix}/gen-${i}`);
    const desiredOf = (name: string, verify: boolean) =>
      withParts(name, { stored: "string", whole: { generate: GENERATE } }, { verify });
    h.proxy.resetCounts();
    await Promise.all(names.map((n) => reconcile(h.gateway, desiredOf(n, true), OWNER)));
    expect(counts().GetRandomPassword).toBe(3);
    expect(counts().CreateSecret).toBe(3);
    const values = await Promise.all(names.map(current));
    for (const v of values) expect(v).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(new Set(values).size).toBe(3);

    h.proxy.resetCounts();
    await Promise.all(names.map((n) => reconcile(h.gateway, desiredOf(n, false), OWNER)));
    expect(counts().GetRandomPassword).toBeUndefined();
    expect(counts().PutSecretValue).toBeUndefined();
    expect(await Promise.all(names.map(current))).toEqual(values);
  });

  it("is regenerated only when its generation is due: one GetRandomPassword and one PutSecretValue", async () => {
    const name = `${prefix}/regen`;
    const d = (opts: { regenerate?: string[]; length?: number }) =>
      withParts(
        name,
        { stored: "string", whole: { generate: { ...GENERATE, length: opts.length ?? 32 } } },
        { verify: false, regenerate: opts.regenerate ?? [] },
      );
    await reconcile(h.gateway, d({}), OWNER);
    const first = await current(name);
    h.proxy.resetCounts();
    await reconcile(h.gateway, d({ length: 64 }), OWNER);
    expect(await current(name)).toBe(first);
    expect(counts().GetRandomPassword).toBeUndefined();

    h.proxy.resetCounts();
    await reconcile(h.gateway, d({ regenerate: [WHOLE_VALUE] }), OWNER);
    expect(counts()).toMatchObject({ GetRandomPassword: 1, PutSecretValue: 1 });
    expect(counts().GetSecretValue).toBeUndefined();
    expect(await current(name)).not.toBe(first);
  });
});

describe("seed-once values", () => {
  it("a whole seed-once value is written at create and never again", async () => {
    const name = `${prefix}/seed`;
    const seeded = (seed: string) =>
      withParts(name, { stored: "string", whole: { seed: text(seed) } }, { verify: false });
    await reconcile(h.gateway, seeded("seed-one"), OWNER);
    expect(await current(name)).toBe("seed-one");
    h.proxy.resetCounts();
    await reconcile(h.gateway, seeded("seed-two"), OWNER);
    expect(counts().PutSecretValue).toBeUndefined();
    expect(await current(name)).toBe("seed-one");
  });

  it("adopting without a value takes the secret over and leaves its value as AWS holds it", async () => {
    const name = `${prefix}/adopt`;
    await h.direct.send(new CreateSecretCommand({ Name: name, SecretString: "held-by-aws" }));
    h.proxy.resetCounts();
    await reconcile(h.gateway, withParts(name, { stored: "string" }, { adopt: true }), OWNER);
    expect(counts().PutSecretValue).toBeUndefined();
    expect(counts().GetSecretValue).toBeUndefined();
    expect(counts().TagResource).toBe(1);
    expect(await current(name)).toBe("held-by-aws");
  });

  it("refuses to create a secret it has no value for, with no write", async () => {
    const name = `${prefix}/nothing`;
    h.proxy.resetCounts();
    const error = await reconcile(
      h.gateway,
      withParts(name, { stored: "string" }, { adopt: true }),
      OWNER,
    ).catch((e: unknown) => e);
    expect(isUserError(error)).toBe(true);
    expect(String((error as Error).message)).toContain("has no value to create it with");
    expect(counts().CreateSecret).toBeUndefined();
  });
});

describe("a JSON value mixing enforced, seed-once and generated keys", () => {
  const declared = (host: string, seed = "seed-pw"): Declared => ({
    stored: "json",
    fields: [
      field("host", host),
      field("password", seed, "IfNotExists"),
      generated("apiKey", { length: 40 }),
    ],
  });

  async function deployed(name: string) {
    const applied = await reconcile(h.gateway, withParts(name, declared("db-1")), OWNER);
    return { arn: applied.arn, versionId: applied.versionId, owner: OWNER, replicationStatus: [] };
  }

  it("creates it with the seed and a generated key in one CreateSecret", async () => {
    const name = `${prefix}/mixed-create`;
    h.proxy.resetCounts();
    await deployed(name);
    expect(counts()).toEqual({ ListSecrets: 1, GetRandomPassword: 1, CreateSecret: 1, DescribeSecret: 1 });
    const value = JSON.parse(await current(name));
    expect(Object.keys(value)).toEqual(["host", "password", "apiKey"]);
    expect(value).toMatchObject({ host: "db-1", password: "seed-pw" });
    expect(value.apiKey).toMatch(/^[A-Za-z0-9]{40}$/);
  });

  it("an update of an enforced key keeps AWS's seed-once and generated keys: an ownership check, one read, one write", async () => {
    const name = `${prefix}/mixed-update`;
    const other = `${prefix}/bystander`;
    await reconcile(h.gateway, enforced(other, text("untouched")), OWNER);
    const was = await deployed(name);
    const before = JSON.parse(await current(name));
    // A rotation changed the password since.
    await h.direct.send(
      new PutSecretValueCommand({
        SecretId: name,
        SecretString: JSON.stringify({ ...before, password: "rotated" }),
      }),
    );
    h.proxy.resetCounts();
    await updateValue(h.gateway, withParts(name, declared("db-2", "another-seed")), OWNER, was);

    expect(counts().GetSecretValue).toBe(1);
    expect(counts().PutSecretValue).toBe(1);
    const writes = h.proxy.log().filter((e) => e.target !== "ListSecrets");
    expect(writes.map((e) => e.target)).toEqual(["DescribeSecret", "GetSecretValue", "PutSecretValue"]);
    expect(writes.every((e) => e.secretIds.every((id) => id === was.arn))).toBe(true);
    expect(JSON.parse(await current(name))).toEqual({
      host: "db-2",
      password: "rotated",
      apiKey: before.apiKey,
    });
    expect(await current(other)).toBe("untouched");
  });

  it("a seed-once key missing from AWS's value is seeded again; an unchanged merge writes nothing", async () => {
    const name = `${prefix}/mixed-missing`;
    const was = await deployed(name);
    const before = JSON.parse(await current(name));
    await h.direct.send(
      new PutSecretValueCommand({
        SecretId: name,
        SecretString: JSON.stringify({ host: "db-1", apiKey: before.apiKey }),
      }),
    );
    await updateValue(h.gateway, withParts(name, declared("db-1", "fresh-seed")), OWNER, was);
    expect(JSON.parse(await current(name))).toEqual({
      host: "db-1",
      password: "fresh-seed",
      apiKey: before.apiKey,
    });

    h.proxy.resetCounts();
    await updateValue(h.gateway, withParts(name, declared("db-1", "fresh-seed")), OWNER, was);
    expect(counts().GetSecretValue).toBe(1);
    expect(counts().PutSecretValue).toBeUndefined();
  });

  it("refresh reports a rotated seed-once key as no drift, and a changed enforced key as drift", async () => {
    const name = `${prefix}/mixed-refresh`;
    const d = withParts(name, declared("db-1"));
    await reconcile(h.gateway, d, OWNER);
    const value = JSON.parse(await current(name));
    await h.direct.send(
      new PutSecretValueCommand({
        SecretId: name,
        SecretString: JSON.stringify({ ...value, password: "rotated" }),
      }),
    );
    const kept = keptOf(d.value as ValueParts);
    const afterRotation = await readSecret(h.gateway, name, HMAC_KEY, { kept, versionId: "old" });
    expect(afterRotation?.current.digest).toEqual(d.digest);

    await h.direct.send(
      new PutSecretValueCommand({
        SecretId: name,
        SecretString: JSON.stringify({ ...value, host: "changed" }),
      }),
    );
    const drifted = await readSecret(h.gateway, name, HMAC_KEY, { kept, versionId: "old" });
    expect(drifted?.current.digest.value).not.toBe(d.digest.value);
    expect(drifted?.current.digest.keys?.host).not.toBe(d.digest.keys?.host);
    expect(drifted?.current.digest.keys?.password).toBe(d.digest.keys?.password);
  });
});

describe("rotation", () => {
  let lambdaArn: string;
  beforeAll(async () => {
    lambdaArn = await createRotationLambda(inject("motoEndpoint"), `rotate-${Date.now().toString(36)}`);
  });

  const rotated = (name: string, rotation: DesiredSecret["rotation"]) =>
    withParts(name, { stored: "string", whole: { generate: GENERATE } }, { verify: false, rotation });

  /** What a rotation function does: a new version under AWSPENDING, then AWSCURRENT moved to it. */
  async function simulateRotation(name: string, value: string, from: string) {
    const token = `rotation-${Date.now().toString(36)}-0000000000000000000`;
    await h.direct.send(
      new PutSecretValueCommand({
        SecretId: name,
        ClientRequestToken: token,
        SecretString: value,
        VersionStages: [AWSPENDING],
      }),
    );
    await h.direct.send(
      new UpdateSecretVersionStageCommand({
        SecretId: name,
        VersionStage: AWSCURRENT,
        MoveToVersionId: token,
        RemoveFromVersionId: from,
      }),
    );
    return token;
  }

  it("sets rotation with one RotateSecret, reads it back from ListSecrets, and cancels it when dropped", async () => {
    const name = `${prefix}/rot`;
    const rotation = { lambdaArn, automaticallyAfterDays: 30, rotateImmediately: false };
    h.proxy.resetCounts();
    await reconcile(h.gateway, rotated(name, rotation), OWNER);
    expect(counts()).toMatchObject({ CreateSecret: 1, RotateSecret: 1 });
    const sent = h.proxy.log().find((e) => e.target === "RotateSecret");
    expect(sent?.params).toMatchObject({
      RotationLambdaARN: lambdaArn,
      RotationRules: { AutomaticallyAfterDays: 30 },
      RotateImmediately: false,
    });

    h.proxy.resetCounts();
    await reconcile(h.gateway, rotated(name, rotation), OWNER);
    expect(counts().RotateSecret).toBeUndefined();

    h.proxy.resetCounts();
    await reconcile(h.gateway, { ...rotated(name, undefined), hadRotation: true }, OWNER);
    expect(counts().CancelRotateSecret).toBe(1);
  });

  it("a rotation function's new value survives the next reconcile and reads as no drift", async () => {
    const name = `${prefix}/rot-survives`;
    const rotation = { lambdaArn, automaticallyAfterDays: 7, rotateImmediately: false };
    const d = rotated(name, rotation);
    const applied = await reconcile(h.gateway, d, OWNER);
    await simulateRotation(name, "rotated-by-lambda", applied.versionId);

    h.proxy.resetCounts();
    const again = await reconcile(h.gateway, d, OWNER);
    expect(counts().PutSecretValue).toBeUndefined();
    expect(counts().RotateSecret).toBeUndefined();
    expect(await current(name)).toBe("rotated-by-lambda");
    const read = await readSecret(h.gateway, name, HMAC_KEY, {
      kept: keptOf(d.value as ValueParts),
      digest: d.digest,
      versionId: applied.versionId,
    });
    expect(read?.current.digest).toEqual(d.digest);
    expect(read?.current.versionId).toBe(again.versionId);
    expect(counts().BatchGetSecretValue).toBeUndefined();
  });

  it("refuses a rotation change while a version other than the current one carries AWSPENDING", async () => {
    const name = `${prefix}/rot-pending`;
    await reconcile(h.gateway, rotated(name, undefined), OWNER);
    await h.direct.send(
      new PutSecretValueCommand({
        SecretId: name,
        ClientRequestToken: "pending-0000000000000000000000000000",
        SecretString: "half-rotated",
        VersionStages: [AWSPENDING],
      }),
    );
    h.proxy.resetCounts();
    const error = await reconcile(
      h.gateway,
      rotated(name, { lambdaArn, automaticallyAfterDays: 5, rotateImmediately: false }),
      OWNER,
    ).catch((e: unknown) => e);
    expect(isUserError(error)).toBe(true);
    const message = (error as { format(): string }).format();
    expect(message).toContain("pending-0000000000000000000000000000");
    expect(message).toContain("--remove-from-version-id");
    expect(counts().RotateSecret).toBeUndefined();
  });
});

describe("resource policies", () => {
  const policy = (action: string) => ({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::123456789012:role/app" },
        Action: action,
        Resource: "*",
      },
    ],
  });
  const withPolicy = (name: string, document?: object, blockPublicPolicy = true) =>
    enforced(name, text("v"), {
      ...(document ? { resourcePolicy: { document: JSON.stringify(document), blockPublicPolicy } } : {}),
    });

  it("puts it at create with BlockPublicPolicy, reads it only for secrets that have one, deletes it when dropped", async () => {
    const name = `${prefix}/pol`;
    const plain = `${prefix}/no-pol`;
    h.proxy.resetCounts();
    await reconcile(h.gateway, withPolicy(name, policy("secretsmanager:GetSecretValue")), OWNER);
    expect(counts()).toMatchObject({ CreateSecret: 1, PutResourcePolicy: 1 });
    expect(h.proxy.log().find((e) => e.target === "PutResourcePolicy")?.params).toMatchObject({
      BlockPublicPolicy: true,
    });

    // Same meaning, other key order and a one-element list: no put.
    const reordered = {
      Statement: [
        {
          Resource: ["*"],
          Action: ["secretsmanager:GetSecretValue"],
          Principal: { AWS: "arn:aws:iam::123456789012:role/app" },
          Effect: "Allow",
        },
      ],
      Version: "2012-10-17",
    };
    h.proxy.resetCounts();
    await reconcile(h.gateway, withPolicy(name, reordered), OWNER);
    expect(counts().GetResourcePolicy).toBe(1);
    expect(counts().PutResourcePolicy).toBeUndefined();

    h.proxy.resetCounts();
    await reconcile(h.gateway, withPolicy(name, policy("secretsmanager:DescribeSecret")), OWNER);
    expect(counts().PutResourcePolicy).toBe(1);

    h.proxy.resetCounts();
    await reconcile(h.gateway, withPolicy(name), OWNER, { hadPolicy: true });
    expect(counts().DeleteResourcePolicy).toBe(1);

    await reconcile(h.gateway, withPolicy(plain), OWNER);
    h.proxy.resetCounts();
    await reconcile(h.gateway, withPolicy(plain), OWNER);
    expect(counts().GetResourcePolicy).toBeUndefined();
    expect(await readSecret(h.gateway, plain, HMAC_KEY, {})).toBeDefined();
    expect(counts().GetResourcePolicy).toBeUndefined();
  });

  it("refresh reads the policy of a secret that declares one: one GetResourcePolicy", async () => {
    const name = `${prefix}/pol-read`;
    await reconcile(h.gateway, withPolicy(name, policy("secretsmanager:GetSecretValue")), OWNER);
    h.proxy.resetCounts();
    const read = await readSecret(h.gateway, name, HMAC_KEY, { hasPolicy: true });
    expect(counts().GetResourcePolicy).toBe(1);
    expect(JSON.parse(read?.observed.resourcePolicy ?? "null")).toEqual(
      policy("secretsmanager:GetSecretValue"),
    );
    expect(read?.observed.tags[OWNER_TAG]).toBe(OWNER);
  });
});
