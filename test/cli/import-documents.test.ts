/**
 * The pure part of `import`: metadata as AWS documents it (including what moto does not
 * model: replica KMS keys, rotation functions, schedule expressions, service-owned secrets)
 * -> manifest or refusal, and manifests -> file paths and bytes.
 */
import { describe, expect, it } from "vitest";
import type { SecretMetadata } from "../../src/aws/inventory";
import { isSelected, serverFilters } from "../../src/aws/inventory";
import { decide, envNameFor, needsDescribe, planFiles, renderFile } from "../../src/cli/import/documents";

const ctx = { region: "us-east-1" };
const arn = (name: string) => `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-AbCdEf`;
const secret = (name: string, extra: Partial<SecretMetadata> = {}): SecretMetadata => ({
  ARN: arn(name),
  Name: name,
  ...extra,
});

function manifestOf(s: SecretMetadata, extras = {}) {
  const decision = decide(s, ctx, extras);
  if (decision.kind !== "manifest") throw new Error(`refused: ${decision.reason}`);
  return decision;
}

describe("import: metadata to manifest", () => {
  it("keeps replica regions (sorted) with their customer keys, drops aws/secretsmanager", () => {
    const described = secret("prod/db", {
      PrimaryRegion: "us-east-1",
      KmsKeyId: "arn:aws:kms:us-east-1:123456789012:alias/aws/secretsmanager",
      ReplicationStatus: [
        {
          Region: "eu-west-1",
          KmsKeyId: "arn:aws:kms:eu-west-1:123456789012:key/mrk-0123456789abcdef0123456789abcdef",
        },
        { Region: "ap-south-1", KmsKeyId: "alias/aws/secretsmanager", Status: "InSync" },
      ],
    });
    expect(manifestOf(described).manifest.spec).toEqual({
      adopt: true,
      updatePolicy: "IfNotExists",
      replicas: [
        { region: "ap-south-1" },
        {
          region: "eu-west-1",
          kmsKeyId: "arn:aws:kms:eu-west-1:123456789012:key/mrk-0123456789abcdef0123456789abcdef",
        },
      ],
    });
  });

  it("maps rotation: function, schedule expression, window; never rotates on import", () => {
    const s = secret("prod/rotated", {
      RotationEnabled: true,
      RotationLambdaARN: "arn:aws:lambda:us-east-1:123456789012:function:rotate-db",
      RotationRules: { AutomaticallyAfterDays: 10, ScheduleExpression: "rate(10 days)", Duration: "3h" },
    });
    expect(manifestOf(s).manifest.spec.rotation).toEqual({
      lambdaArn: "arn:aws:lambda:us-east-1:123456789012:function:rotate-db",
      scheduleExpression: "rate(10 days)",
      duration: "3h",
    });
    expect(
      manifestOf(secret("off", { RotationEnabled: false, RotationLambdaARN: "arn:x" })).manifest.spec
        .rotation,
    ).toBe(undefined);
  });

  it("drops aws:* and secret-manifests:* tags, sorts the rest", () => {
    const s = secret("prod/tagged", {
      Tags: [
        { Key: "zeta", Value: "1" },
        { Key: "aws:cloudformation:stack-name", Value: "x" },
        { Key: "AWS:other", Value: "x" },
        { Key: "secret-manifests:claim", Value: "x" },
        { Key: "alpha", Value: "" },
      ],
    });
    expect(manifestOf(s).manifest.metadata.tags).toEqual({ alpha: "", zeta: "1" });
  });

  it("refuses replicas, service-owned secrets and secrets another stack owns, naming why", () => {
    const reason = (s: SecretMetadata, stack?: string) => {
      const d = decide(s, { ...ctx, ...(stack ? { stack } : {}) });
      return d.kind === "refused" ? d.reason : "imported";
    };
    expect(reason(secret("r", { PrimaryRegion: "eu-west-1" }))).toBe(
      "a replica of the secret in eu-west-1; import the primary there (--region eu-west-1)",
    );
    expect(reason(secret("rds!db-1", { OwningService: "rds" }))).toMatch(/^managed by the AWS service "rds"/);
    const owned = secret("o", { Tags: [{ Key: "secret-manifests:stack", Value: "payments/prod" }] });
    expect(reason(owned)).toMatch(/^owned by the stack "payments\/prod"/);
    expect(reason(owned, "payments/prod")).toBe("imported");
    expect(reason(secret("p", { DeletedDate: new Date("2026-01-02T03:04:05Z") }))).toMatch(
      /^scheduled for deletion \(deleted on 2026-01-02T03:04:05.000Z\)/,
    );
    expect(reason(secret("x"), undefined)).toBe("imported");
  });

  it("a policy that is not JSON is refused; a JSON one is written inline", () => {
    expect(decide(secret("p"), ctx, { policy: "{nope" })).toMatchObject({ kind: "refused" });
    expect(
      manifestOf(secret("p"), { policy: '{"Version":"2012-10-17","Statement":[]}' }).manifest.spec,
    ).toMatchObject({
      resourcePolicy: { document: { Version: "2012-10-17", Statement: [] } },
    });
  });

  it("describes only replicated secrets whose listing lacks the replicas", () => {
    expect(needsDescribe(secret("a"))).toBe(false);
    expect(needsDescribe(secret("a", { PrimaryRegion: "us-east-1" }))).toBe(true);
    expect(needsDescribe(secret("a", { PrimaryRegion: "us-east-1", ReplicationStatus: [] }))).toBe(false);
  });
});

describe("import: files", () => {
  const docs = (...names: string[]) => names.map((n) => manifestOf(secret(n)));

  it("keeps every file inside the output folder and visible to validate", () => {
    const files = planFiles(docs("a/../b", ".hidden/x", "node_modules/y", "ok/z", "/lead"), "secret").map(
      (f) => f.file,
    );
    expect(files).toEqual([
      "%2Ehidden%2Fx.yaml",
      "%2Flead.yaml",
      "a%2F..%2Fb.yaml",
      "node_modules%2Fy.yaml",
      "ok/z.yaml",
    ]);
  });

  it("per prefix: one file per folder of names, root names in secrets.yaml, documents in name order", () => {
    const files = planFiles(docs("b/y", "top", "b/x", "secrets/z"), "prefix");
    expect(files.map((f) => [f.file, f.documents.map((d) => d.name)])).toEqual([
      ["b.yaml", ["b/x", "b/y"]],
      ["secrets.yaml", ["secrets/z", "top"]],
    ]);
  });

  it("quotes strings a YAML 1.1 reader would take for something else", () => {
    const [file] = planFiles(docs("q"), "secret");
    const text = renderFile({
      file: "q.yaml",
      documents: [
        {
          ...(file?.documents[0] as ReturnType<typeof manifestOf>),
          manifest: {
            ...manifestOf(secret("q")).manifest,
            metadata: { name: "q", tags: { on: "yes", d: "2012-10-17" } },
          },
        },
      ],
    });
    expect(text).toContain('  tags:\n    "on": "yes"\n    d: "2012-10-17"\n');
  });

  it("env names for the --json-keys template", () => {
    expect(envNameFor("prod/db", "password")).toBe("PROD_DB_PASSWORD");
    expect(envNameFor("1st/api", "key.id")).toBe("_1ST_API_KEY_ID");
  });
});

describe("import: selection", () => {
  const sel = { names: [], prefixes: [], tags: [], all: false };

  it("batches names and prefixes 10 per filter, narrowed by the first tag key", () => {
    const names = Array.from({ length: 12 }, (_, i) => `n${i}`);
    const queries = serverFilters({ ...sel, names, tags: [{ key: "team", value: "a" }] });
    expect(queries).toHaveLength(2);
    expect(queries[0]).toEqual([
      { Key: "name", Values: names.slice(0, 10) },
      { Key: "tag-key", Values: ["team"] },
    ]);
    expect(serverFilters({ ...sel, all: true })).toEqual([[]]);
  });

  it("matches names exactly, prefixes case-sensitively and tags whole", () => {
    const entry = { Name: "prod/db", Tags: [{ Key: "team", Value: "payments" }] };
    expect(isSelected(entry, { ...sel, names: ["prod/d"] })).toBe(false);
    expect(isSelected(entry, { ...sel, prefixes: ["prod/"] })).toBe(true);
    expect(isSelected(entry, { ...sel, prefixes: ["Prod/"] })).toBe(false);
    expect(isSelected(entry, { ...sel, all: true, tags: [{ key: "team", value: "pay" }] })).toBe(false);
    expect(isSelected(entry, { ...sel, all: true, tags: [{ key: "team" }] })).toBe(true);
    expect(isSelected(entry, { ...sel, all: true, tags: [{ key: "tea" }] })).toBe(false);
  });
});
