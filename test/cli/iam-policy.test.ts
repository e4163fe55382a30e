/**
 * `secret-manifests iam-policy`: the printed policy must allow every Secrets Manager call a
 * real deployment makes (seen by the counting proxy between the provider and moto), on the
 * secret it is made on, and nothing the code never calls.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  PutSecretValueCommand,
} from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { SECRETS_MANAGER_OPERATIONS } from "../../src/aws/actions";
import type { PolicyDocument, PolicyStatement } from "../../src/cli/commands/iam-policy";
import { runCli } from "../manifest/support";
import { ageKey, createProject, manifest, sm, sopsEncrypt, unique } from "../pulumi/support";
import { createRotationLambda } from "../reconcile/rotation-lambda";
import { type FaultProxy, type LoggedRequest, startFaultProxy } from "../support/fault-proxy";
import { ensureKmsAlias } from "../support/kms";
import { type PulumiProject, pulumiOp, writeProjectFile } from "../support/pulumi";

const ACCOUNT = "123456789012"; // moto's default account
const REGION = "us-east-1";
const OWNER = "secret-manifests-inline/dev";

/**
 * What AWS authorizes for one logged request, written from the Secrets Manager API reference
 * (not from src/aws/actions.ts, which this checks): the action itself, GetSecretValue per
 * secret for BatchGetSecretValue, TagResource and ReplicateSecretToRegions for a CreateSecret
 * with tags and replicas.
 */
function requiredPermissions(req: LoggedRequest): { action: string; resource: string }[] {
  if (req.target === "ListSecrets") return [{ action: "secretsmanager:ListSecrets", resource: "*" }];
  if (req.target === "GetRandomPassword")
    return [{ action: "secretsmanager:GetRandomPassword", resource: "*" }];
  if (req.target === "BatchGetSecretValue") {
    return [
      { action: "secretsmanager:BatchGetSecretValue", resource: "*" },
      ...req.secretIds.map((id) => ({ action: "secretsmanager:GetSecretValue", resource: secretArn(id) })),
    ];
  }
  const resource = secretArn(req.secretIds[0] ?? "");
  const out = [{ action: `secretsmanager:${req.target}`, resource }];
  if (req.target === "CreateSecret") {
    if (Array.isArray(req.params.Tags) && req.params.Tags.length > 0)
      out.push({ action: "secretsmanager:TagResource", resource });
    if (Array.isArray(req.params.AddReplicaRegions) && req.params.AddReplicaRegions.length > 0)
      out.push({ action: "secretsmanager:ReplicateSecretToRegions", resource });
  }
  // RotateSecret: the caller must also be allowed to invoke the rotation function.
  if (req.target === "RotateSecret" && typeof req.params.RotationLambdaARN === "string")
    out.push({ action: "lambda:InvokeFunction", resource: req.params.RotationLambdaARN });
  return out;
}

/** A secret id as AWS sees it: an ARN as is, a name as the ARN AWS gives it (random suffix). */
function secretArn(id: string): string {
  return id.startsWith("arn:") ? id : `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${id}-AbC123`;
}

function globMatch(pattern: string, value: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\/]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${re}$`).test(value);
}

const asList = (v: string | string[]) => (Array.isArray(v) ? v : [v]);

/** IAM evaluation for what the policy uses: Allow, exact actions, glob resources, the owner-tag condition. */
async function allows(policy: PolicyDocument, action: string, resource: string): Promise<boolean> {
  for (const s of policy.Statement) {
    if (!s.Action.includes(action)) continue;
    if (!asList(s.Resource).some((r) => globMatch(r, resource))) continue;
    if (await conditionHolds(s, resource)) return true;
  }
  return false;
}

async function conditionHolds(s: PolicyStatement, resource: string): Promise<boolean> {
  if (!s.Condition) return true;
  const entries = Object.entries(s.Condition);
  if (entries.length !== 1 || Object.keys(s.Condition)[0] !== "StringEquals")
    throw new Error(`unexpected condition on ${s.Sid}: ${JSON.stringify(s.Condition)}`);
  const [[key, wanted]] = Object.entries(entries[0]?.[1] ?? {}) as [[string, string]];
  const tag = key.replace("aws:ResourceTag/", "");
  const d = await sm().send(new DescribeSecretCommand({ SecretId: resource }));
  return d.Tags?.find((t) => t.Key === tag)?.Value === wanted;
}

describe("iam-policy covers a real deployment", () => {
  const base = unique("iam");
  const names = {
    db: `${base}/db`,
    token: `${base}/token`,
    adopted: `${base}/adopted`,
    pending: `${base}/pending`,
    rotated: `${base}/rotated`,
  };
  let project: PulumiProject;
  let proxy: FaultProxy;
  let env: NodeJS.ProcessEnv;
  /** Actions required by every request seen, over the whole scenario. */
  const seenActions = new Set<string>();
  const seenOperations = new Set<string>();
  let lastPolicy: PolicyDocument | undefined;

  const dbManifest = (opts: { tags: string; replicas: string[] }) =>
    manifest(
      names.db,
      [
        "  kmsKeyId: alias/iam-test",
        "  value:",
        "    json:",
        "      username: app",
        "      password: { fromSops: { file: ../secrets/app.enc.yaml, path: db.password } }",
        "      host: { fromEnv: IAM_DB_HOST }",
        "  replicas:",
        ...opts.replicas.map((r) => `    - { region: ${r} }`),
        "  deletion: { recoveryWindowInDays: 7 }",
      ].join("\n"),
      `  description: IAM test database\n  tags: ${opts.tags}`,
    );
  const tokenManifest = (description: string) =>
    manifest(
      names.token,
      "  value:\n    string: { fromEnv: IAM_TOKEN }\n  deletion: { forceDeleteWithoutRecovery: true }",
      `  description: ${description}`,
    );

  /**
   * Prints the policy for the manifests as they are now, runs one Pulumi operation through
   * the proxy, and checks every request it made against that policy.
   */
  async function step(op: "up" | "refresh", extraEnv: NodeJS.ProcessEnv = {}) {
    const printed = await runCli(
      ["iam-policy", "--region", REGION, "--account", ACCOUNT, "--stack", OWNER, "manifests"],
      project.dir,
    );
    expect(printed.code, printed.stderr).toBe(0);
    const policy = JSON.parse(printed.stdout) as PolicyDocument;
    lastPolicy = policy;
    proxy.resetCounts();
    const res = await pulumiOp(project, op, { manifests: ["manifests"], env: { ...env, ...extraEnv } });
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const denied: string[] = [];
    for (const req of proxy.log()) {
      seenOperations.add(req.target);
      for (const { action, resource } of requiredPermissions(req)) {
        seenActions.add(action);
        if (!(await allows(policy, action, resource))) denied.push(`${action} on ${resource}`);
      }
    }
    expect(denied).toEqual([]);
    return proxy.counts();
  }

  beforeAll(async () => {
    proxy = await startFaultProxy({ target: inject("awsEndpoint") });
    await ensureKmsAlias("alias/iam-test");
    project = createProject();
    const key = ageKey(project);
    sopsEncrypt(project, "secrets/app.enc.yaml", "db:\n  password: iam-test-password\n", key.recipient);
    env = {
      ...key.env,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: proxy.endpoint,
      IAM_DB_HOST: "db.internal",
      IAM_TOKEN: "iam-test-token",
    };
  });
  afterAll(async () => {
    await proxy?.stop();
  });

  it("create (tags, KMS key, replica) and adopt", async () => {
    await sm().send(new CreateSecretCommand({ Name: names.adopted, SecretString: "made-by-hand" }));
    writeProjectFile(
      project,
      "manifests/db.yaml",
      dbManifest({ tags: "{ team: a, tier: gold }", replicas: ["eu-west-1"] }),
    );
    writeProjectFile(project, "manifests/token.yaml", tokenManifest("first"));
    writeProjectFile(
      project,
      "manifests/adopted.yaml",
      manifest(names.adopted, "  adopt: true\n  value:\n    string: { fromEnv: IAM_TOKEN }"),
    );
    const counts = await step("up");
    // Two creates, plus the adopted name's CreateSecret, which fails with "exists" (the name is
    // not in the stack's owner-tag listing) and is then observed, tagged and given its value.
    expect(counts).toMatchObject({ CreateSecret: 3, TagResource: 1, PutSecretValue: 1 });
  });

  it("value, description, tag and replica changes", async () => {
    writeProjectFile(
      project,
      "manifests/db.yaml",
      dbManifest({ tags: "{ team: a }", replicas: ["eu-west-1", "us-west-2"] }),
    );
    writeProjectFile(project, "manifests/token.yaml", tokenManifest("second"));
    const counts = await step("up", { IAM_DB_HOST: "db2.internal" });
    expect(counts).toMatchObject({
      PutSecretValue: 1,
      UpdateSecret: 1,
      UntagResource: 1,
      ReplicateSecretToRegions: 1,
    });
  });

  it("rollback to the previous value", async () => {
    const counts = await step("up");
    expect(counts).toMatchObject({ UpdateSecretVersionStage: 1 });
  });

  it("refresh after a console edit reads the value", async () => {
    await sm().send(new PutSecretValueCommand({ SecretId: names.token, SecretString: "edited-by-hand" }));
    const counts = await step("refresh");
    expect(counts.BatchGetSecretValue).toBeGreaterThan(0);
    await step("up");
  });

  it("restore of a secret pending deletion", async () => {
    await sm().send(new CreateSecretCommand({ Name: names.pending, SecretString: "before-delete" }));
    await sm().send(new DeleteSecretCommand({ SecretId: names.pending, RecoveryWindowInDays: 7 }));
    writeProjectFile(
      project,
      "manifests/pending.yaml",
      manifest(names.pending, "  adopt: true\n  value:\n    string: { fromEnv: IAM_TOKEN }"),
    );
    const counts = await step("up");
    expect(counts).toMatchObject({ RestoreSecret: 1 });
  });

  it("generated and seed-once keys, rotation and a resource policy: set, updated, refreshed, dropped", async () => {
    const lambdaArn = await createRotationLambda(
      inject("motoEndpoint"),
      `iam-rotate-${Date.now().toString(36)}`,
    );
    const rotatedManifest = (extra: string[]) =>
      manifest(
        names.rotated,
        [
          "  value:",
          "    json:",
          "      host: { fromEnv: IAM_ROT_HOST }",
          "      password: { generate: { length: 20 } }",
          "      note: { fromEnv: IAM_TOKEN, updatePolicy: IfNotExists }",
          ...extra,
        ].join("\n"),
      );
    writeProjectFile(
      project,
      "manifests/rotated.yaml",
      rotatedManifest([
        `  rotation: { lambdaArn: "${lambdaArn}", automaticallyAfterDays: 30 }`,
        `  resourcePolicy: { document: { Statement: { Effect: Allow, Principal: { AWS: "arn:aws:iam::${ACCOUNT}:root" }, Action: "secretsmanager:GetSecretValue", Resource: "*" } } }`,
      ]),
    );
    env.IAM_ROT_HOST = "a";
    expect(await step("up")).toMatchObject({
      GetRandomPassword: 1,
      RotateSecret: 1,
      PutResourcePolicy: 1,
    });
    env.IAM_ROT_HOST = "b";
    expect(await step("up")).toMatchObject({ GetSecretValue: 1, PutSecretValue: 1 });
    expect(await step("refresh")).toMatchObject({ GetResourcePolicy: 1 });
    writeProjectFile(project, "manifests/rotated.yaml", rotatedManifest([]));
    expect(await step("up")).toMatchObject({
      CancelRotateSecret: 1,
      DeleteResourcePolicy: 1,
    });
  });

  it("delete of a removed manifest (replicas first), allowed through the ownership tag", async () => {
    rmSync(path.join(project.dir, "manifests/db.yaml"));
    const counts = await step("up");
    expect(counts).toMatchObject({ RemoveRegionsFromReplication: 1, DeleteSecret: 1 });
  });

  it("the scenario used every operation of the gateway, and the policy allows nothing else", () => {
    expect([...seenOperations].sort()).toEqual(Object.keys(SECRETS_MANAGER_OPERATIONS).sort());
    const granted = new Set(
      (lastPolicy?.Statement ?? []).flatMap((s) => s.Action).filter((a) => a.startsWith("secretsmanager:")),
    );
    expect([...granted].sort()).toEqual(
      [...seenActions].filter((a) => a.startsWith("secretsmanager:")).sort(),
    );
    // "*" only where the API has no resource, or under the ownership-tag condition.
    for (const s of lastPolicy?.Statement ?? []) {
      if (!s.Action.some((a) => a.startsWith("secretsmanager:"))) continue;
      const wide = asList(s.Resource).filter((r) => r.endsWith(":secret:*") || r === "*");
      if (wide.length === 0) continue;
      if (s.Resource === "*")
        expect(s.Action.sort()).toEqual([
          "secretsmanager:BatchGetSecretValue",
          "secretsmanager:GetRandomPassword",
          "secretsmanager:ListSecrets",
        ]);
      else expect(s.Condition).toEqual({ StringEquals: { "aws:ResourceTag/secret-manifests:stack": OWNER } });
    }
  });
});

describe("iam-policy output", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "sm-iam-"));
    // A sops file is read for its metadata only: this one could never be decrypted.
    writeFileSync(
      path.join(dir, "kms.enc.yaml"),
      [
        "password: ENC[AES256_GCM,data:AAAA,iv:AAAA,tag:AAAA,type:str]",
        "sops:",
        "    kms:",
        "        - arn: arn:aws:kms:eu-west-1:111122223333:key/aaaaaaaa-1111-2222-3333-444444444444",
        "          role: arn:aws:iam::111122223333:role/sops-reader",
        '          created_at: "2025-01-01T00:00:00Z"',
        "          enc: AQID",
        '          aws_profile: ""',
        '    lastmodified: "2025-01-01T00:00:00Z"',
        "    mac: ENC[AES256_GCM,data:AAAA,iv:AAAA,tag:AAAA,type:str]",
        "    version: 3.13.2",
        "",
      ].join("\n"),
    );
    writeFileSync(
      path.join(dir, "app.yaml"),
      [
        manifest(
          "app/db",
          [
            "  kmsKeyId: alias/app",
            "  value:",
            "    string: { fromSops: { file: kms.enc.yaml, path: password } }",
            "  replicas:",
            "    - { region: eu-central-1, kmsKeyId: arn:aws:kms:eu-central-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab }",
          ].join("\n"),
        ),
        "---",
        manifest(
          "app/api",
          "  kmsKeyId: 1234abcd-12ab-34cd-56ef-1234567890ab\n  value:\n    string: { fromEnv: API }",
        ),
      ].join("\n"),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const statement = (p: PolicyDocument, sid: string) => p.Statement.find((s) => s.Sid === sid);

  it("scopes secrets to their ARN patterns, KMS to the named keys and sops keys to Decrypt", async () => {
    const res = await runCli(["iam-policy", "--region", "us-east-1", "--account", "111122223333", "."], dir);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/--stack/);
    const policy = JSON.parse(res.stdout) as PolicyDocument;
    expect(policy.Version).toBe("2012-10-17");
    expect(statement(policy, "ManageDeclaredSecrets")?.Resource).toEqual([
      "arn:aws:secretsmanager:eu-central-1:111122223333:secret:app/db-??????",
      "arn:aws:secretsmanager:us-east-1:111122223333:secret:app/api-??????",
      "arn:aws:secretsmanager:us-east-1:111122223333:secret:app/db-??????",
    ]);
    expect(statement(policy, "DeleteSecretsOwnedByThisStack")).toBeUndefined();
    expect(statement(policy, "SecretKmsKeys")).toEqual({
      Sid: "SecretKmsKeys",
      Effect: "Allow",
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: [
        "arn:aws:kms:eu-central-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab",
        "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      ],
      Condition: {
        StringLike: {
          "kms:ViaService": [
            "secretsmanager.eu-central-1.amazonaws.com",
            "secretsmanager.us-east-1.amazonaws.com",
          ],
        },
      },
    });
    expect(statement(policy, "SecretKmsKeysByAlias")?.Condition?.["ForAnyValue:StringEquals"]).toEqual({
      "kms:ResourceAliases": ["alias/app"],
    });
    expect(statement(policy, "SopsKmsKeys")).toEqual({
      Sid: "SopsKmsKeys",
      Effect: "Allow",
      Action: ["kms:Decrypt"],
      Resource: ["arn:aws:kms:eu-west-1:111122223333:key/aaaaaaaa-1111-2222-3333-444444444444"],
    });
    expect(statement(policy, "SopsKmsRoles")?.Resource).toEqual([
      "arn:aws:iam::111122223333:role/sops-reader",
    ]);
  });

  it("grants GetRandomPassword only when a manifest generates, and InvokeFunction on the rotation functions", async () => {
    const plain = await runCli(["iam-policy", "."], dir);
    expect(statement(JSON.parse(plain.stdout), "ListAndBatchRead")?.Action).not.toContain(
      "secretsmanager:GetRandomPassword",
    );
    const lambda = "arn:aws:lambda:us-east-1:111122223333:function:rotate-db";
    const own = mkdtempSync(path.join(tmpdir(), "sm-iam-gen-"));
    writeFileSync(
      path.join(own, "gen.yaml"),
      manifest(
        "app/gen",
        `  value: { generate: {} }\n  rotation: { lambdaArn: "${lambda}", automaticallyAfterDays: 30 }`,
      ),
    );
    const res = await runCli(["iam-policy", "."], own);
    rmSync(own, { recursive: true, force: true });
    const policy = JSON.parse(res.stdout) as PolicyDocument;
    expect(statement(policy, "ListAndBatchRead")?.Action).toContain("secretsmanager:GetRandomPassword");
    expect(statement(policy, "InvokeRotationFunctions")).toEqual({
      Sid: "InvokeRotationFunctions",
      Effect: "Allow",
      Action: ["lambda:InvokeFunction"],
      Resource: [lambda],
    });
    expect(statement(policy, "ManageDeclaredSecrets")?.Action).toEqual(
      expect.arrayContaining(["secretsmanager:RotateSecret", "secretsmanager:PutResourcePolicy"]),
    );
  });

  it("defaults region and account to *", async () => {
    const res = await runCli(["iam-policy", "--stack", "app/prod", "app.yaml"], dir);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toBe("");
    const policy = JSON.parse(res.stdout) as PolicyDocument;
    expect(statement(policy, "ManageDeclaredSecrets")?.Resource).toContain(
      "arn:aws:secretsmanager:*:*:secret:app/db-??????",
    );
    expect(statement(policy, "DeleteSecretsOwnedByThisStack")?.Condition).toEqual({
      StringEquals: { "aws:ResourceTag/secret-manifests:stack": "app/prod" },
    });
  });

  it("reports bad manifests like validate, and bad flags as usage errors", async () => {
    writeFileSync(
      path.join(dir, "bad.yaml"),
      manifest("bad/x", "  value:\n    string: { fromEnv: X }\n  colour: red"),
    );
    const bad = await runCli(["iam-policy", "bad.yaml"], dir);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^bad\.yaml:\d+:\d+: .*colour/m);
    expect(bad.stdout).toBe("");
    expect((await runCli(["iam-policy", "--account", "12", "app.yaml"], dir)).code).toBe(2);
    expect((await runCli(["iam-policy"], dir)).stderr).toMatch(/give at least one manifest/);
    const help = await runCli(["iam-policy", "--help"], dir);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Examples:\n {2}secret-manifests iam-policy manifests\//);
    const top = await runCli(["--help"], dir);
    expect(top.stdout).toMatch(/iam-policy +print the least-privilege IAM policy/);
  });
});
