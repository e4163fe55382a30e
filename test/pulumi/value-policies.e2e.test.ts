/**
 * Seed-once values, generated passwords, rotation and resource policies through the real
 * engine (`pulumi up` / `refresh`) against moto, with the calls of each step counted: a
 * rotation function's change survives the next up and refresh, a changed enforced key is
 * one read and one write, and no generated, seeded or rotated value appears in the state
 * or in anything the engine printed.
 */
import {
  CancelRotateSecretCommand,
  CreateSecretCommand,
  GetResourcePolicyCommand,
  GetSecretValueCommand,
  PutResourcePolicyCommand,
  PutSecretValueCommand,
  UpdateSecretVersionStageCommand,
} from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createRotationLambda } from "../reconcile/rotation-lambda";
import { startFaultProxy } from "../support/fault-proxy";
import {
  exportState,
  type OpOptions,
  type PulumiProject,
  pulumiOp,
  writeProjectFile,
} from "../support/pulumi";
import { createProject, currentValue, describe as describeSecret, manifest, sm, unique } from "./support";

const SEED = "vp-seed-Qx71-canary";
const ROTATED = { whole: "vp-rotated-whole-Lm40", key: "vp-rotated-key-Tz88" };

describe("value policies on the real engine", () => {
  const base = unique("vp");
  const names = { gen: `${base}/gen`, mixed: `${base}/mixed`, adopted: `${base}/adopted` };
  let project: PulumiProject;
  let proxy: Awaited<ReturnType<typeof startFaultProxy>>;
  let lambdaArn: string;
  const env: NodeJS.ProcessEnv = { VP_HOST: "db-1", VP_SEED: SEED };
  const printed: string[] = [];
  const seen: string[] = [SEED, ROTATED.whole, ROTATED.key];

  async function op(kind: "up" | "refresh" | "destroy", extra: OpOptions = {}) {
    proxy.resetCounts();
    const res = await pulumiOp(project, kind, {
      manifests: ["manifests"],
      diff: true,
      ...extra,
      env: { ...env, AWS_ENDPOINT_URL_SECRETS_MANAGER: proxy.endpoint },
    });
    printed.push(res.stdout, res.stderr);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    return res;
  }

  const policy = (action: string) =>
    `{ Version: "2012-10-17", Statement: [{ Effect: Allow, Principal: { AWS: "arn:aws:iam::123456789012:role/app" }, Action: "${action}", Resource: "*" }] }`;

  function writeManifests(
    opts: { host?: string; generation?: number; rotation?: boolean; policy?: boolean } = {},
  ) {
    const { generation = 1, rotation = true } = opts;
    writeProjectFile(
      project,
      "manifests/gen.yaml",
      manifest(
        names.gen,
        [
          `  value: { generate: { length: 24, excludePunctuation: true, generation: ${generation} } }`,
          ...(rotation ? [`  rotation: { lambdaArn: "${lambdaArn}", automaticallyAfterDays: 30 }`] : []),
          "  deletion: { forceDeleteWithoutRecovery: true }",
        ].join("\n"),
      ),
    );
    writeProjectFile(
      project,
      "manifests/mixed.yaml",
      manifest(
        names.mixed,
        [
          "  value:",
          "    json:",
          "      host: { fromEnv: VP_HOST }",
          "      password: { fromEnv: VP_SEED, updatePolicy: IfNotExists }",
          "      apiKey: { generate: { length: 40, excludePunctuation: true } }",
          ...(opts.policy === false
            ? []
            : [`  resourcePolicy: { document: ${policy("secretsmanager:GetSecretValue")} }`]),
          "  deletion: { forceDeleteWithoutRecovery: true }",
        ].join("\n"),
      ),
    );
    writeProjectFile(
      project,
      "manifests/adopted.yaml",
      manifest(
        names.adopted,
        "  adopt: true\n  updatePolicy: IfNotExists\n  deletion: { forceDeleteWithoutRecovery: true }",
      ),
    );
    env.VP_HOST = opts.host ?? "db-1";
  }

  beforeAll(async () => {
    proxy = await startFaultProxy({ target: inject("awsEndpoint") });
    lambdaArn = await createRotationLambda(inject("motoEndpoint"), `vp-rotate-${Date.now().toString(36)}`);
    project = createProject();
    await sm().send(new CreateSecretCommand({ Name: names.adopted, SecretString: "held-by-aws" }));
    writeManifests();
  });
  afterAll(async () => {
    await proxy?.stop();
  });

  it("up creates: one GetRandomPassword per generated part, one CreateSecret each, RotateSecret, PutResourcePolicy", async () => {
    await op("up");
    expect(proxy.counts()).toMatchObject({
      GetRandomPassword: 2,
      CreateSecret: 2,
      RotateSecret: 1,
      PutResourcePolicy: 1,
      TagResource: 1,
    });
    expect(proxy.counts().PutSecretValue).toBeUndefined();
    const gen = (await currentValue(names.gen)) ?? "";
    expect(gen).toMatch(/^[A-Za-z0-9]{24}$/);
    const mixed = JSON.parse((await currentValue(names.mixed)) ?? "{}");
    expect(mixed).toMatchObject({ host: "db-1", password: SEED });
    expect(mixed.apiKey).toMatch(/^[A-Za-z0-9]{40}$/);
    seen.push(gen, mixed.apiKey);
    expect(await currentValue(names.adopted)).toBe("held-by-aws");
    expect((await describeSecret(names.gen)).RotationEnabled).toBe(true);
    const held = await sm().send(new GetResourcePolicyCommand({ SecretId: names.mixed }));
    expect(JSON.parse(held.ResourcePolicy ?? "{}").Statement[0].Action).toBe("secretsmanager:GetSecretValue");
  });

  it("a rotation function's change survives the next up and refresh, at no write", async () => {
    // As a rotation does: a new version under AWSPENDING, then AWSCURRENT moved to it.
    const gen = await describeSecret(names.gen);
    const from = Object.entries(gen.VersionIdsToStages ?? {}).find(([, s]) => s.includes("AWSCURRENT"))?.[0];
    const token = `vp-rotation-${Date.now().toString(36)}-00000000000000000`;
    await sm().send(
      new PutSecretValueCommand({
        SecretId: names.gen,
        ClientRequestToken: token,
        SecretString: ROTATED.whole,
        VersionStages: ["AWSPENDING"],
      }),
    );
    await sm().send(
      new UpdateSecretVersionStageCommand({
        SecretId: names.gen,
        VersionStage: "AWSCURRENT",
        MoveToVersionId: token,
        RemoveFromVersionId: from,
      }),
    );
    // AWS counts AWSPENDING left on the current version as a finished rotation; moto 5.2.5
    // refuses the next RotateSecret then ("still in progress"), so the label is removed.
    await sm().send(
      new UpdateSecretVersionStageCommand({
        SecretId: names.gen,
        VersionStage: "AWSPENDING",
        RemoveFromVersionId: token,
      }),
    );
    const mixed = JSON.parse((await currentValue(names.mixed)) ?? "{}");
    await sm().send(
      new PutSecretValueCommand({
        SecretId: names.mixed,
        SecretString: JSON.stringify({ ...mixed, password: ROTATED.key }),
      }),
    );

    const up = await op("up", { expectNoChanges: true });
    expect(up.summary?.changes.update ?? 0).toBe(0);
    await op("refresh");
    const after = await op("up", { expectNoChanges: true });
    expect(after.summary?.changes.update ?? 0).toBe(0);
    for (const target of [
      "PutSecretValue",
      "CreateSecret",
      "GetRandomPassword",
      "RotateSecret",
      "PutResourcePolicy",
    ])
      expect(proxy.counts()[target], target).toBeUndefined();
    expect(await currentValue(names.gen)).toBe(ROTATED.whole);
    expect(JSON.parse((await currentValue(names.mixed)) ?? "{}").password).toBe(ROTATED.key);
  });

  it("a changed enforced key is one GetSecretValue and one PutSecretValue, keeping the rotated and generated keys", async () => {
    const before = JSON.parse((await currentValue(names.mixed)) ?? "{}");
    writeManifests({ host: "db-2" });
    await op("up");
    expect(proxy.counts()).toMatchObject({ GetSecretValue: 1, PutSecretValue: 1 });
    expect(proxy.counts().GetRandomPassword).toBeUndefined();
    expect(
      proxy
        .log()
        .filter((e) => e.target === "PutSecretValue")
        .flatMap((e) => e.secretIds),
    ).toEqual([(await describeSecret(names.mixed)).ARN]);
    expect(JSON.parse((await currentValue(names.mixed)) ?? "{}")).toEqual({ ...before, host: "db-2" });
  });

  it("a bumped generation regenerates that value alone: one GetRandomPassword, one PutSecretValue", async () => {
    writeManifests({ host: "db-2", generation: 2 });
    await op("up");
    expect(proxy.counts()).toMatchObject({ GetRandomPassword: 1, PutSecretValue: 1 });
    expect(proxy.counts().GetSecretValue).toBeUndefined();
    const put = proxy.log().find((e) => e.target === "PutSecretValue");
    expect(put?.secretIds).toEqual([(await describeSecret(names.gen)).ARN]);
    // Read by version id: after the simulated rotation's stage move, moto 5.2.5 leaves
    // AWSCURRENT on the rotation's version too when a later PutSecretValue lands (its
    // internal default version did not follow the move); AWS moves the stage.
    const versionId = put?.clientRequestToken as string;
    expect((await describeSecret(names.gen)).VersionIdsToStages?.[versionId]).toContain("AWSCURRENT");
    const gen =
      (await sm().send(new GetSecretValueCommand({ SecretId: names.gen, VersionId: versionId })))
        .SecretString ?? "";
    expect(gen).not.toBe(ROTATED.whole);
    expect(gen).toMatch(/^[A-Za-z0-9]{24}$/);
    seen.push(gen);
  });

  it("a policy and a rotation changed by hand show at refresh and are put back by the next up", async () => {
    const other = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { AWS: "*" }, Action: "secretsmanager:*", Resource: "*" }],
    });
    await sm().send(new PutResourcePolicyCommand({ SecretId: names.mixed, ResourcePolicy: other }));
    await sm().send(new CancelRotateSecretCommand({ SecretId: names.gen }));
    const refresh = await op("refresh");
    expect(refresh.summary?.changes.update).toBeGreaterThanOrEqual(2);
    expect(proxy.counts().GetResourcePolicy).toBe(1);
    await op("up");
    expect(proxy.counts()).toMatchObject({ PutResourcePolicy: 1, RotateSecret: 1 });
    expect(proxy.counts().PutSecretValue).toBeUndefined();
    const held = await sm().send(new GetResourcePolicyCommand({ SecretId: names.mixed }));
    expect(JSON.parse(held.ResourcePolicy ?? "{}").Statement[0].Action).toBe("secretsmanager:GetSecretValue");
    expect((await describeSecret(names.gen)).RotationEnabled).toBe(true);
  });

  it("dropping rotation and the policy calls CancelRotateSecret and DeleteResourcePolicy", async () => {
    writeManifests({ host: "db-2", generation: 2, rotation: false, policy: false });
    await op("up");
    expect(proxy.counts()).toMatchObject({ CancelRotateSecret: 1, DeleteResourcePolicy: 1 });
    expect(proxy.counts().PutSecretValue).toBeUndefined();
    expect((await describeSecret(names.gen)).RotationEnabled).toBe(false);
  });

  it("no generated, seeded or rotated value appears in the state or in anything the engine printed", async () => {
    const state = await exportState(project, true);
    for (const value of seen) {
      expect(state.includes(value), "state").toBe(false);
      for (const out of printed) expect(out.includes(value), "engine output").toBe(false);
    }
    await op("destroy");
  });
});
