/**
 * `secret-manifests import` then `pulumi up` on the real engine: the imported manifests adopt
 * the secrets and keep their values, so the first up writes nothing to AWS but the ownership
 * tags (no value, no description, key or replica change), and a second up has no changes.
 * Needs the provider to apply `updatePolicy: IfNotExists` without `spec.value` (seed-once values).
 */
import {
  CreateSecretCommand,
  type CreateSecretRequest,
  GetSecretValueCommand,
} from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { main } from "../../src/cli/main";
import { isWrite } from "../reconcile/helpers";
import { startFaultProxy } from "../support/fault-proxy";
import { ensureKmsAlias } from "../support/kms";
import { type PulumiProject, pulumiOp } from "../support/pulumi";
import { createProject, sm, unique, versionCount } from "./support";

describe("import, then pulumi up", () => {
  const base = unique("import-e2e");
  const secrets: CreateSecretRequest[] = [
    { Name: `${base}/db`, SecretString: '{"username":"app","password":"canary-pw-Qe71"}', Description: "DB" },
    { Name: `${base}/token`, SecretString: "canary-token-Rk20", Tags: [{ Key: "team", Value: "e2e" }] },
    { Name: `${base}/keyed`, SecretString: "canary-keyed-Ls55", KmsKeyId: "alias/import-e2e" },
    {
      Name: `${base}/replicated`,
      SecretString: '{"k":"canary-rep-Mt88"}',
      AddReplicaRegions: [{ Region: "eu-west-1" }],
      Tags: [{ Key: "cost-center", Value: "1234" }],
    },
  ];
  let project: PulumiProject;
  let proxy: Awaited<ReturnType<typeof startFaultProxy>>;
  const before = new Map<string, { value: string | undefined; versions: number }>();
  const op = (kind: "up" | "preview", expectNoChanges = false) =>
    pulumiOp(project, kind, {
      manifests: ["manifests"],
      expectNoChanges,
      env: { AWS_ENDPOINT_URL_SECRETS_MANAGER: proxy.endpoint },
    });
  const writes = () => proxy.log().filter((r) => isWrite(r.target));

  beforeAll(async () => {
    await ensureKmsAlias("alias/import-e2e");
    for (const s of secrets) await sm().send(new CreateSecretCommand(s));
    for (const s of secrets) {
      const name = s.Name as string;
      const value = (await sm().send(new GetSecretValueCommand({ SecretId: name }))).SecretString;
      before.set(name, { value, versions: await versionCount(name) });
    }
    proxy = await startFaultProxy({ target: inject("awsEndpoint") });
    project = createProject();
    let stderr = "";
    const code = await main(["import", "--prefix", `${base}/`, "--out", "manifests"], {
      stdout: () => {},
      stderr: (t) => {
        stderr += t;
      },
      cwd: project.dir,
    });
    expect(code, stderr).toBe(0);
  });
  afterAll(async () => {
    await proxy?.stop();
  });

  it("the first up adopts every secret: ownership tags only, 0 value writes, values unchanged byte for byte", async () => {
    proxy.resetCounts();
    const res = await op("up");
    expect(res.code, res.stdout + res.stderr).toBe(0);
    // stack + component + HMAC key + one resource per secret, all new to this stack's state
    expect(res.summary?.changes).toEqual({ create: 3 + secrets.length });
    expect(proxy.counts().PutSecretValue ?? 0).toBe(0);
    for (const write of writes()) {
      expect(write.target, JSON.stringify(write)).toBe("TagResource");
      const keys = (write.params.Tags as { Key: string }[]).map((t) => t.Key);
      expect(keys.every((k) => k.startsWith("secret-manifests:"))).toBe(true);
    }
    const tagged = new Set(writes().flatMap((w) => w.secretIds));
    expect(tagged.size).toBe(secrets.length);
    for (const [name, was] of before) {
      const now = (await sm().send(new GetSecretValueCommand({ SecretId: name }))).SecretString;
      expect(now).toBe(was.value);
      expect(await versionCount(name)).toBe(was.versions);
    }
  });

  it("a second up has no changes and makes no write call", async () => {
    proxy.resetCounts();
    const res = await op("up", true);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.summary?.changes).toEqual({ same: 3 + secrets.length });
    expect(writes()).toEqual([]);
  });
});
