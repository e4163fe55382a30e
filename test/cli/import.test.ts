/**
 * `secret-manifests import` against moto: 300 hand-made secrets with a mix of tags, KMS keys,
 * replicas, rotation and JSON or string values. Requests go through a layer that gives
 * ListSecrets AWS's documented shape and counts every call, so the tests assert exactly which
 * AWS operations an import makes.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  CreateSecretCommand,
  type CreateSecretRequest,
  DeleteSecretCommand,
  PutResourcePolicyCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startListingContract } from "../../scripts/lib/listing-contract.mjs";
import type { PolicyDocument } from "../../src/cli/commands/iam-policy";
import { runCli } from "../manifest/support";

const REGION = "us-east-1";
const ACCOUNT = "123456789012"; // moto's default account
const KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/0b7a3f6e-1c2d-4e5f-8a9b-0c1d2e3f4a5b`;
const TOTAL = 300;

type Proxy = Awaited<ReturnType<typeof startListingContract>>;

/** IAM evaluation for what an import policy uses: Allow, exact actions, `*` globs in resources. */
function allows(policy: PolicyDocument, action: string, resource: string): boolean {
  const glob = (pattern: string) =>
    new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\/?]/g, "\\$&").replace(/\*/g, ".*")}$`);
  return policy.Statement.some(
    (s) => s.Action.includes(action) && [s.Resource].flat().some((r) => glob(r).test(resource)),
  );
}

const pad = (i: number) => String(i).padStart(3, "0");

/** The i-th hand-made secret: every feature appears, in different combinations. */
function secretNumber(base: string, i: number): CreateSecretRequest {
  const tags = [
    ...(i % 3 === 0 ? [{ Key: "team", Value: `t${i % 4}` }] : []),
    ...(i % 5 === 0
      ? [
          { Key: "env", Value: "prod" },
          { Key: "cost-center", Value: "1234" },
        ]
      : []),
  ];
  return {
    Name: `${base}/app${i % 10}/s${pad(i)}`,
    ...(i % 2 === 0
      ? { SecretString: JSON.stringify({ username: `user${i}`, password: `pw-${i}-secret` }) }
      : { SecretString: `value-${i}-secret` }),
    ...(i % 6 === 0 ? { Description: `Imported secret ${i}` } : {}),
    ...(i % 4 === 0 ? { KmsKeyId: i % 8 === 0 ? KEY_ARN : "alias/import-test" } : {}),
    ...(i % 7 === 0
      ? {
          AddReplicaRegions: [
            i % 14 === 0 ? { Region: "eu-west-1", KmsKeyId: "alias/import-eu" } : { Region: "eu-west-1" },
          ],
        }
      : {}),
    ...(tags.length > 0 ? { Tags: tags } : {}),
  };
}

async function inBatches<T>(items: T[], size: number, fn: (item: T) => Promise<unknown>) {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

describe("secret-manifests import", () => {
  const base = `import/r${process.pid}x${Date.now().toString(36)}`;
  const names = {
    owned: [`${base}/app1/owned-a`, `${base}/app1/owned-b`, `${base}/app2/owned-c`],
    deleted: [`${base}/app3/gone-a`, `${base}/app3/gone-b`],
    // Names AWS advises against (an ARN-like suffix): validate only warns, so they are imported.
    arnLike: [`${base}/app4/db-abc123`, `${base}/app5/api-key999`],
  };
  const refusedCount = names.owned.length + names.deleted.length;
  const made = Array.from({ length: TOTAL - refusedCount - names.arnLike.length }, (_, i) =>
    secretNumber(base, i),
  );
  const rotated = [1, 51, 101].map((i) => made[i]?.Name as string);
  const withPolicy = made[3]?.Name as string;
  let moto: SecretsManagerClient;
  let proxy: Proxy;
  let work: string;
  const endpointBefore = process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;

  beforeAll(async () => {
    moto = new SecretsManagerClient({ endpoint: inject("motoEndpoint"), region: REGION });
    const create = (req: CreateSecretRequest) => moto.send(new CreateSecretCommand(req));
    await inBatches(made, 20, create);
    await inBatches(names.owned, 5, (Name) =>
      create({ Name, SecretString: "x", Tags: [{ Key: "secret-manifests:stack", Value: "other/prod" }] }),
    );
    await inBatches([...names.deleted, ...names.arnLike], 5, (Name) => create({ Name, SecretString: "x" }));
    for (const name of names.deleted)
      await moto.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 7 }));
    // moto accepts rotation rules without a function; AWS would need a Lambda (or a managed secret).
    for (const name of rotated)
      await moto.send(
        new RotateSecretCommand({
          SecretId: name,
          RotationRules: { AutomaticallyAfterDays: 30 },
          RotateImmediately: false,
        }),
      );
    await moto.send(
      new PutResourcePolicyCommand({
        SecretId: withPolicy,
        ResourcePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/reader` },
              Action: "secretsmanager:GetSecretValue",
              Resource: "*",
            },
          ],
        }),
      }),
    );
    proxy = await startListingContract({ target: inject("awsEndpoint"), region: REGION });
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = proxy.endpoint;
    work = mkdtempSync(path.join(tmpdir(), "sm-import-"));
  }, 300_000);

  afterAll(async () => {
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = endpointBefore;
    await proxy?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const replicated = made.filter((s) => s.AddReplicaRegions).length;
  const readFile = (rel: string) => readFileSync(path.join(work, rel), "utf8");

  it("imports 300 secrets with metadata calls only, refuses the others by name, and validate passes", async () => {
    proxy.reset();
    const res = await runCli(["import", "--prefix", `${base}/`, "--out", "all", "--format", "json"], work);
    expect(res.code, res.stderr).toBe(1); // some secrets were refused
    const report = JSON.parse(res.stdout);
    expect(report.selected).toBe(TOTAL);
    expect(report.files).toHaveLength(TOTAL - refusedCount);
    expect(report.files.every((f: { action: string }) => f.action === "created")).toBe(true);
    const reasons = Object.fromEntries(
      report.refused.map((r: { name: string; reason: string }) => [r.name, r.reason]),
    );
    expect(Object.keys(reasons).sort()).toEqual([...names.owned, ...names.deleted].sort());
    for (const name of names.owned) expect(reasons[name]).toMatch(/^owned by the stack "other\/prod"/);
    for (const name of names.deleted) expect(reasons[name]).toMatch(/^scheduled for deletion/);

    // 300 secrets: 3 pages of 100; one DescribeSecret per replicated secret; nothing else.
    expect(proxy.counts()).toEqual({ ListSecrets: 3, DescribeSecret: replicated });
    expect(report.calls).toEqual({
      ListSecrets: 3,
      DescribeSecret: replicated,
      GetResourcePolicy: 0,
      BatchGetSecretValue: 0,
    });
    for (const entry of proxy.log().filter((e) => e.target === "ListSecrets")) {
      expect(entry.params.MaxResults).toBe(100);
      expect(entry.params.IncludePlannedDeletion).toBe(true);
    }

    const validated = await runCli(["validate", "--format", "json", "all"], work);
    expect(validated.code, validated.stdout).toBe(0);
    expect(JSON.parse(validated.stdout).secrets).toHaveLength(TOTAL - refusedCount);
    expect(JSON.parse(validated.stdout).warnings).toHaveLength(names.arnLike.length);
  });

  it("writes exact, stable bytes", async () => {
    expect(readFile(`all/${base}/app1/s001.yaml`)).toBe(
      [
        "# Imported by `secret-manifests import`: adopts existing secrets and keeps the values AWS holds.",
        "apiVersion: secret-manifests/v1",
        "kind: Secret",
        "metadata:",
        `  name: ${base}/app1/s001`,
        "spec:",
        "  adopt: true",
        "  updatePolicy: IfNotExists",
        "  rotation:",
        "    managed: true",
        "    automaticallyAfterDays: 30",
        "",
      ].join("\n"),
    );
    // Tags sorted by key, a number-like value quoted, the customer key. (moto keeps no replica
    // KMS key: it reports aws/secretsmanager for every replica; import-documents.test.ts covers keys.)
    expect(readFile(`all/${base}/app0/s000.yaml`)).toBe(
      [
        "# Imported by `secret-manifests import`: adopts existing secrets and keeps the values AWS holds.",
        "apiVersion: secret-manifests/v1",
        "kind: Secret",
        "metadata:",
        `  name: ${base}/app0/s000`,
        "  description: Imported secret 0",
        "  tags:",
        '    cost-center: "1234"',
        "    env: prod",
        "    team: t0",
        "spec:",
        "  adopt: true",
        "  updatePolicy: IfNotExists",
        `  kmsKeyId: ${KEY_ARN}`,
        "  replicas:",
        "    - region: eu-west-1",
        "",
      ].join("\n"),
    );
    // A replica on the AWS managed key has no kmsKeyId, like the primary.
    expect(readFile(`all/${base}/app7/s007.yaml`)).toBe(
      [
        "# Imported by `secret-manifests import`: adopts existing secrets and keeps the values AWS holds.",
        "apiVersion: secret-manifests/v1",
        "kind: Secret",
        "metadata:",
        `  name: ${base}/app7/s007`,
        "spec:",
        "  adopt: true",
        "  updatePolicy: IfNotExists",
        "  replicas:",
        "    - region: eu-west-1",
        "",
      ].join("\n"),
    );
    // A second import of the same secrets gives the same bytes.
    const again = await runCli(["import", "--prefix", `${base}/app7/`, "--out", "again"], work);
    expect(again.code, again.stderr).toBe(0);
    expect(readFile(`again/${base}/app7/s007.yaml`)).toBe(readFile(`all/${base}/app7/s007.yaml`));
  });

  it("never writes a value, and reads none without --json-keys", () => {
    const everything = made.map((s) => readFile(`all/${s.Name}.yaml`)).join("");
    expect(everything).not.toMatch(/-secret|user\d/);
    expect(proxy.log().some((e) => /GetSecretValue/.test(e.target))).toBe(false);
  });

  it("leaves existing files alone without --force and overwrites them with it", async () => {
    const name = made[9]?.Name as string;
    const file = `all/${name}.yaml`;
    writeFileSync(path.join(work, file), "# edited by hand\n");
    const kept = await runCli(["import", name, "--out", "all"], work);
    expect(kept.code).toBe(1);
    expect(kept.stderr).toContain(`skipped all/${name}.yaml: the file exists (use --force to overwrite)`);
    expect(readFile(file)).toBe("# edited by hand\n");
    const forced = await runCli(["import", name, "--out", "all", "--force", "--format", "json"], work);
    expect(forced.code, forced.stderr).toBe(0);
    expect(JSON.parse(forced.stdout).files).toEqual([
      { file: `all/${name}.yaml`, secrets: [name], action: "overwritten" },
    ]);
    expect(readFile(file)).toContain(`  name: ${name}\n`);
  });

  it("--dry-run prints what it would write and writes nothing", async () => {
    const res = await runCli(["import", "--prefix", `${base}/app2/`, "--out", "dry", "--dry-run"], work);
    expect(existsSync(path.join(work, "dry"))).toBe(false);
    expect(res.stdout).toContain(`# would create dry/${base}/app2/s002.yaml\n# Imported by`);
    expect(res.stderr).toContain(`refused ${names.owned[2]}: owned by the stack "other/prod"`);
    expect(res.stderr).toMatch(/would write \d+ manifests in \d+ files, 1 refused/);
  });

  it("selects by tag (key=value and key) and by explicit names; unknown names are reported", async () => {
    const teamT1 = made
      .filter((s) => s.Tags?.some((t) => t.Key === "team" && t.Value === "t1"))
      .map((s) => s.Name);
    const byTag = await runCli(
      [
        "import",
        "--prefix",
        `${base}/`,
        "--tag",
        "team=t1",
        "--tag",
        "env",
        "--out",
        "tag",
        "--format",
        "json",
      ],
      work,
    );
    const expected = made
      .filter((s) => s.Tags?.some((t) => t.Key === "env") && teamT1.includes(s.Name))
      .map((s) => s.Name)
      .sort();
    expect(byTag.code, byTag.stderr).toBe(0);
    expect(JSON.parse(byTag.stdout).files.flatMap((f: { secrets: string[] }) => f.secrets)).toEqual(expected);

    const byName = await runCli(
      ["import", made[4]?.Name as string, `${base}/missing`, "--out", "names"],
      work,
    );
    expect(byName.code).toBe(1);
    expect(byName.stderr).toContain(`refused ${base}/missing: not found in this Region`);
    expect(existsSync(path.join(work, `names/${made[4]?.Name}.yaml`))).toBe(true);
  });

  it("imports a stack's own secrets with --stack and still refuses other stacks'", async () => {
    const res = await runCli(
      ["import", "--prefix", `${base}/app1/owned`, "--stack", "other/prod", "--out", "mine"],
      work,
    );
    expect(res.code, res.stderr).toBe(0);
    expect(readFile(`mine/${names.owned[0]}.yaml`)).not.toContain("secret-manifests:");
  });

  it("--layout prefix writes one file per name prefix, and validate passes", async () => {
    const res = await runCli(
      ["import", "--prefix", `${base}/app6/`, "--out", "grouped", "--layout", "prefix"],
      work,
    );
    expect(res.code, res.stderr).toBe(0);
    const text = readFile(`grouped/${base}/app6.yaml`);
    const inGroup = made.filter((s) => s.Name?.startsWith(`${base}/app6/`));
    expect(text.split("\n---\n")).toHaveLength(inGroup.length);
    expect(text.indexOf(`name: ${base}/app6/s006`)).toBeLessThan(text.indexOf(`name: ${base}/app6/s016`));
    const validated = await runCli(["validate", "grouped"], work);
    expect(validated.code, validated.stdout).toBe(0);
  });

  it("--with-policies writes the resource policy; --json-keys lists key names as a comment, never values", async () => {
    proxy.reset();
    const res = await runCli(
      ["import", "--prefix", `${base}/app3/s00`, "--with-policies", "--json-keys", "--out", "extras"],
      work,
    );
    expect(res.code, res.stderr).toBe(0);
    expect(proxy.counts()).toMatchObject({ ListSecrets: 1, GetResourcePolicy: 1, BatchGetSecretValue: 1 });
    const text = readFile(`extras/${withPolicy}.yaml`);
    expect(text).toContain(
      [
        "  resourcePolicy:",
        "    document:",
        '      Version: "2012-10-17"',
        "      Statement:",
        "        - Effect: Allow",
        "          Principal:",
        `            AWS: arn:aws:iam::${ACCOUNT}:role/reader`,
        "          Action: secretsmanager:GetSecretValue",
        '          Resource: "*"',
      ].join("\n"),
    );
    expect(text).not.toContain("# value:"); // s003 holds a string, not a JSON object
    const validated = await runCli(["validate", "extras"], work);
    expect(validated.code, validated.stdout).toBe(0);
  });

  it("--json-keys writes a JSON secret's keys as a commented-out template", async () => {
    const name = made[10]?.Name as string; // JSON, app0
    const res = await runCli(["import", name, "--json-keys", "--out", "keys"], work);
    expect(res.code, res.stderr).toBe(0);
    const text = readFile(`keys/${name}.yaml`);
    const env = `${base}/app0/s010`.toUpperCase().replace(/[^A-Z0-9]+/g, "_");
    expect(
      text.endsWith(
        [
          "  # JSON keys of the value in AWS, read with --json-keys (no value was read into this file).",
          '  # To declare the value, replace "updatePolicy: IfNotExists" with references such as:',
          "  # value:",
          "  #   json:",
          "  #     username:",
          `  #       fromEnv: ${env}_USERNAME`,
          "  #     password:",
          `  #       fromEnv: ${env}_PASSWORD`,
          "",
        ].join("\n"),
      ),
    ).toBe(true);
    expect(text).not.toMatch(/user10|pw-10/);
  });

  it("shows one updating progress line on a terminal, nothing otherwise", async () => {
    const tty = await runCli(
      ["import", "--prefix", `${base}/app8/`, "--out", "tty", "--dry-run"],
      work,
      true,
    );
    expect(tty.stderr.startsWith("\r\x1b[Klisted ")).toBe(true);
    expect(tty.stderr).toContain("\r\x1b[K");
    const quiet = await runCli(
      ["import", "--prefix", `${base}/app8/`, "--out", "tty", "--dry-run"],
      work,
      false,
    );
    expect(quiet.stderr).not.toContain("\r");
  });

  it("iam-policy --import allows every call an import makes, and reads values only with --json-keys", async () => {
    const prefix = `${base}/app7/`;
    const flags = ["--prefix", prefix, "--with-policies", "--json-keys"];
    proxy.reset();
    const res = await runCli(["import", ...flags, "--out", "iam", "--dry-run"], work);
    expect(res.code, res.stderr).toBe(0);
    const printed = await runCli(
      ["iam-policy", "--import", ...flags, "--region", REGION, "--account", ACCOUNT],
      work,
    );
    expect(printed.code, printed.stderr).toBe(0);
    const policy = JSON.parse(printed.stdout) as PolicyDocument;
    const needed = proxy.log().flatMap(({ target, params }) => {
      if (target === "ListSecrets") return [{ action: "secretsmanager:ListSecrets", resource: "*" }];
      if (target === "BatchGetSecretValue")
        return [
          { action: "secretsmanager:BatchGetSecretValue", resource: "*" },
          ...(params.SecretIdList as string[]).map((id) => ({
            action: "secretsmanager:GetSecretValue",
            resource: id,
          })),
        ];
      return [{ action: `secretsmanager:${target}`, resource: params.SecretId as string }];
    });
    expect(new Set(needed.map((n) => n.action))).toEqual(
      new Set([
        "secretsmanager:ListSecrets",
        "secretsmanager:DescribeSecret",
        "secretsmanager:GetResourcePolicy",
        "secretsmanager:BatchGetSecretValue",
        "secretsmanager:GetSecretValue",
      ]),
    );
    const denied = needed.filter(({ action, resource }) => !allows(policy, action, resource));
    expect(denied).toEqual([]);

    const metadataOnly = await runCli(["iam-policy", "--import", "--prefix", prefix], work);
    const actions = (JSON.parse(metadataOnly.stdout) as PolicyDocument).Statement.flatMap((s) => s.Action);
    expect(actions.sort()).toEqual(["secretsmanager:DescribeSecret", "secretsmanager:ListSecrets"]);
  });

  it("usage errors exit 2; an empty selection exits 1", async () => {
    expect((await runCli(["import"], work)).code).toBe(2);
    expect((await runCli(["import", "--all", "x"], work)).code).toBe(2);
    expect((await runCli(["import", "--tag", "=v"], work)).code).toBe(2);
    expect((await runCli(["import", "--prefix", "p/", "--layout", "flat"], work)).code).toBe(2);
    const none = await runCli(["import", "--prefix", `${base}/nothing-here/`], work);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("no secret matched the selection");
  });
});
