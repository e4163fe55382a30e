/**
 * The product as users meet it: `pulumi up/preview/refresh/destroy` over a folder of
 * manifests, on the real engine, against moto through the counting proxy.
 */
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  PutSecretValueCommand,
} from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { isWrite } from "../reconcile/helpers";
import { startFaultProxy } from "../support/fault-proxy";
import { ensureKmsAlias } from "../support/kms";
import {
  exportState,
  type OpOptions,
  type PulumiProject,
  pulumiOp,
  writeProjectFile,
} from "../support/pulumi";
import {
  ageKey,
  createProject,
  currentValue,
  describe as describeSecret,
  manifest,
  sm,
  sopsEncrypt,
  unique,
  versionCount,
} from "./support";

describe("pulumi end to end", () => {
  const base = unique("e2e");
  const names = { db: `${base}/db`, api: `${base}/api`, token: `${base}/token` };
  const plaintext = {
    dbPassword: "canary-db-pass-Zq81",
    apiKey: "canary-api-key-Yw27",
    token: "canary-token-Xv93",
  };
  let project: PulumiProject;
  let proxy: Awaited<ReturnType<typeof startFaultProxy>>;
  let env: NodeJS.ProcessEnv;
  const op = (kind: "up" | "preview" | "refresh" | "destroy", extra: OpOptions = {}) =>
    pulumiOp(project, kind, { manifests: ["manifests"], ...extra, env: { ...env, ...extra.env } });
  const writeCalls = () =>
    Object.entries(proxy.counts())
      .filter(([t]) => isWrite(t))
      .reduce((n, [, c]) => n + c, 0);

  beforeAll(async () => {
    proxy = await startFaultProxy({ target: inject("awsEndpoint") });
    await ensureKmsAlias("alias/e2e");
    project = createProject();
    const key = ageKey(project);
    sopsEncrypt(
      project,
      "secrets/app.enc.yaml",
      `db:\n  password: ${plaintext.dbPassword}\napi:\n  key: ${plaintext.apiKey}\n`,
      key.recipient,
    );
    env = {
      ...key.env,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: proxy.endpoint,
      E2E_TOKEN: plaintext.token,
      E2E_DB_HOST: "db.internal",
    };
    writeProjectFile(
      project,
      "manifests/db.yaml",
      manifest(
        names.db,
        [
          "  kmsKeyId: alias/e2e",
          "  value:",
          "    json:",
          "      username: app",
          "      password: { fromSops: { file: ../secrets/app.enc.yaml, path: db.password } }",
          "      host: { fromEnv: E2E_DB_HOST }",
          "  replicas:",
          "    - { region: eu-west-1 }",
          "  deletion: { recoveryWindowInDays: 7 }",
        ].join("\n"),
        "  description: E2E database\n  tags: { team: e2e }",
      ),
    );
    writeProjectFile(
      project,
      "manifests/more.yaml",
      [
        manifest(
          names.api,
          "  value:\n    string: { fromSops: { file: ../secrets/app.enc.yaml, path: api.key } }",
        ),
        "---",
        manifest(
          names.token,
          "  value:\n    string: { fromEnv: E2E_TOKEN }\n  deletion: { forceDeleteWithoutRecovery: true }",
        ),
      ].join("\n"),
    );
  });
  afterAll(async () => {
    await proxy?.stop();
  });

  it("preview on an empty stack lists a create per manifest", async () => {
    const res = await op("preview");
    expect(res.code, res.stdout + res.stderr).toBe(0);
    for (const name of Object.values(names)) expect(res.stdout).toContain(name);
    // stack + component + hmac key + 3 secrets
    expect(res.summary?.changes.create).toBe(6);
  });

  it("up creates the secrets with their values, tags, description, KMS key and replicas", async () => {
    proxy.resetCounts();
    const res = await op("up");
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(proxy.counts()).toMatchObject({ CreateSecret: 3 });
    expect(JSON.parse((await currentValue(names.db)) ?? "{}")).toEqual({
      username: "app",
      password: plaintext.dbPassword,
      host: "db.internal",
    });
    expect(await currentValue(names.api)).toBe(plaintext.apiKey);
    expect(await currentValue(names.token)).toBe(plaintext.token);
    const db = await describeSecret(names.db);
    expect(db.Description).toBe("E2E database");
    expect(db.KmsKeyId).toContain("alias/e2e");
    expect(db.Tags).toEqual(expect.arrayContaining([{ Key: "team", Value: "e2e" }]));
    expect(db.Tags?.find((t) => t.Key === "secret-manifests:stack")?.Value).toBe(
      "secret-manifests-inline/dev",
    );
    expect(db.ReplicationStatus?.map((r) => r.Region)).toEqual(["eu-west-1"]);
    expect((res.summary?.outputs.arns as Record<string, string> | undefined)?.[names.db]).toBe(db.ARN);
  });

  it("a second up reports no changes and makes no write call", async () => {
    proxy.resetCounts();
    const res = await op("up", { expectNoChanges: true });
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.summary?.changes).toEqual({ same: 6 });
    expect(writeCalls()).toBe(0);
  });

  it("changing one env value updates exactly that secret, and preview names the key but not the value", async () => {
    const preview = await op("preview", { diff: true, env: { E2E_DB_HOST: "db2.internal" } });
    expect(preview.code, preview.stdout + preview.stderr).toBe(0);
    expect(preview.summary?.changes.update).toBe(1);
    expect(preview.stdout).toMatch(/~ host\s*: "[0-9a-f]+" => "[0-9a-f]+"/);
    expect(preview.stdout).not.toMatch(/~ (username|password)\s*:/);
    expect(preview.stdout).not.toContain("db2.internal");
    proxy.resetCounts();
    const up = await op("up", { env: { E2E_DB_HOST: "db2.internal" } });
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(up.summary?.changes.update).toBe(1);
    // A value-only change is one call: PutSecretValue to the recorded ARN, no observe.
    // One write, after one listing of the stack's secrets that proves the secret is still ours.
    // A fresh ownership check (ListSecrets may lag a hand-over), then the write.
    expect(proxy.counts()).toEqual({ DescribeSecret: 1, PutSecretValue: 1 });
    expect(writeCalls()).toBe(1);
    expect(JSON.parse((await currentValue(names.db)) ?? "{}").host).toBe("db2.internal");
  });

  it("rolling back to the old value moves AWSCURRENT back without a new version", async () => {
    const before = await versionCount(names.db);
    proxy.resetCounts();
    const up = await op("up");
    expect(up.code, up.stdout + up.stderr).toBe(0);
    // A value-only update goes straight to PutSecretValue; AWS ignores the put of a token
    // it already holds (no new version), and the stage is moved back: two calls, no observe.
    expect(proxy.counts()).toEqual({ DescribeSecret: 1, PutSecretValue: 1, UpdateSecretVersionStage: 1 });
    expect(await versionCount(names.db)).toBe(before);
    expect(JSON.parse((await currentValue(names.db)) ?? "{}").host).toBe("db.internal");
  });

  it("refresh shows a value edited behind Pulumi's back, and up restores it", async () => {
    await sm().send(new PutSecretValueCommand({ SecretId: names.token, SecretString: "edited-in-console" }));
    const refresh = await op("refresh", { diff: true });
    expect(refresh.code, refresh.stdout + refresh.stderr).toBe(0);
    expect(refresh.summary?.changes.update, refresh.stdout).toBe(1);
    expect(refresh.stdout).not.toContain("edited-in-console");
    const up = await op("up");
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(await currentValue(names.token)).toBe(plaintext.token);
  });

  it("adopts a secret created outside when the manifest says adopt: true", async () => {
    const outside = `${base}/outside`;
    await sm().send(new CreateSecretCommand({ Name: outside, SecretString: "old-outside-value" }));
    writeProjectFile(
      project,
      "manifests/outside.yaml",
      manifest(outside, "  adopt: true\n  value:\n    string: { fromEnv: E2E_TOKEN }"),
    );
    const up = await op("up");
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(await currentValue(outside)).toBe(plaintext.token);
    expect((await describeSecret(outside)).Tags?.some((t) => t.Key === "secret-manifests:stack")).toBe(true);
  });

  it("refuses a secret created outside without adopt, with a message saying how", async () => {
    const foreign = `${base}/foreign`;
    await sm().send(new CreateSecretCommand({ Name: foreign, SecretString: "foreign" }));
    writeProjectFile(
      project,
      "manifests/foreign.yaml",
      manifest(foreign, "  value:\n    string: { fromEnv: E2E_TOKEN }"),
    );
    const up = await op("up");
    rmSync(path.join(project.dir, "manifests/foreign.yaml"));
    expect(up.code).not.toBe(0);
    expect(up.stdout + up.stderr).toMatch(/adopt: true/);
    expect(up.stdout + up.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
    expect(await currentValue(foreign)).toBe("foreign");
  });

  it("restores and updates a secret pending deletion", async () => {
    const pending = `${base}/pending`;
    await sm().send(new CreateSecretCommand({ Name: pending, SecretString: "before-delete" }));
    await sm().send(new DeleteSecretCommand({ SecretId: pending, RecoveryWindowInDays: 7 }));
    writeProjectFile(
      project,
      "manifests/pending.yaml",
      manifest(pending, "  adopt: true\n  value:\n    string: { fromEnv: E2E_TOKEN }"),
    );
    const up = await op("up");
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect((await describeSecret(pending)).DeletedDate).toBeUndefined();
    expect(await currentValue(pending)).toBe(plaintext.token);
  });

  it("keeps every plaintext out of the state, even with secrets shown, while every secret exists", async () => {
    const state = await exportState(project, true);
    const recorded = JSON.parse(state).deployment.resources.filter((r: { type: string }) =>
      r.type.endsWith("ManagedSecret"),
    );
    // Every secret of the scenario is still deployed, so no part of this check is vacuous.
    expect(recorded.map((r: { outputs: { name: string } }) => r.outputs.name).sort()).toEqual(
      [...Object.values(names), `${base}/outside`, `${base}/pending`].sort(),
    );
    for (const value of [...Object.values(plaintext), "db2.internal"]) expect(state).not.toContain(value);
    // What the provider records (the serialized provider, references, digests) stays small,
    // even for the largest secret of the scenario (JSON value, replica, tags, description);
    // the engine's own bookkeeping of each resource (stack trace, dependencies) is not ours.
    for (const r of recorded as { inputs: unknown; outputs: unknown }[])
      expect(JSON.stringify(r.inputs).length + JSON.stringify(r.outputs).length).toBeLessThan(3072);
  });

  it("removing a manifest deletes that secret with its recovery window", async () => {
    rmSync(path.join(project.dir, "manifests/db.yaml"));
    proxy.resetCounts();
    const up = await op("up");
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(up.summary?.changes.delete).toBe(1);
    // The manifest's 7-day window, as asked of AWS: replicas first, then the delete.
    const deletes = proxy.log().filter((e) => e.target === "DeleteSecret");
    expect(deletes).toHaveLength(1);
    expect(deletes[0]?.params).toMatchObject({ RecoveryWindowInDays: 7 });
    expect(deletes[0]?.params).not.toHaveProperty("ForceDeleteWithoutRecovery");
    expect(writeCalls()).toBe(2); // RemoveRegionsFromReplication + DeleteSecret
    // and as AWS (moto) scheduled it: DeletedDate is the planned deletion, 7 days out.
    const db = await describeSecret(names.db);
    const daysOut = ((db.DeletedDate?.getTime() ?? 0) - Date.now()) / 86_400_000;
    expect(daysOut).toBeGreaterThan(6.99);
    expect(daysOut).toBeLessThan(7.01);
  });

  it("destroy removes everything", async () => {
    const res = await op("destroy");
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const state = JSON.parse(await exportState(project));
    expect(state.deployment.resources ?? []).toHaveLength(0);
    await expect(currentValue(names.token)).rejects.toThrow();
    expect((await describeSecret(names.api)).DeletedDate).toBeInstanceOf(Date);
  });

  it("the gRPC log and verbose engine logs never see a plaintext", async () => {
    const grpcLog = path.join(project.dir, "grpc.log");
    const res = await op("up", { logVerbosity: 9, env: { PULUMI_DEBUG_GRPC: grpcLog } });
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const logged = readFileSync(grpcLog, "utf8");
    expect(logged.length).toBeGreaterThan(1000);
    expect(logged).toContain(names.api);
    for (const value of Object.values(plaintext)) {
      expect(logged).not.toContain(value);
      expect(res.stdout + res.stderr).not.toContain(value);
    }
  });
});
