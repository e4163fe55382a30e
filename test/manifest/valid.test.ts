import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UserErrors } from "../../src/errors";
import { checkManifests, loadManifests } from "../../src/manifest/index";
import { REPO_ROOT } from "./support";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), "manifests-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function write(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(path.join(root, file)), { recursive: true });
  await writeFile(path.join(root, file), text);
}

function manifest(name: string, metadata = "", spec = "  value:\n    string: { fromEnv: VALUE }\n"): string {
  return `apiVersion: secret-manifests/v1\nkind: Secret\nmetadata:\n  name: ${name}\n${metadata}spec:\n${spec}`;
}

describe("valid manifests", () => {
  it("accepts the maximum lengths: 512-character name, 2048-character description, 50 tags of 128/256 characters", async () => {
    const name = `${"n".repeat(511)}x`;
    const description = "é".repeat(2048);
    const tags = Array.from(
      { length: 50 },
      (_, i) => `    ${String(i).padStart(128, "k")}: ${"v".repeat(256)}\n`,
    ).join("");
    await write("max.yaml", manifest(name, `  description: ${description}\n  tags:\n${tags}`));
    const { specs } = await loadManifests(["max.yaml"], { rootDir: root });
    expect(specs[0]?.name).toHaveLength(512);
    expect(specs[0]?.description).toBe(description);
    expect(Object.keys(specs[0]?.tags ?? {})).toHaveLength(50);
  });

  it("accepts unicode descriptions and tags, and keeps tag keys case-sensitive", async () => {
    await write(
      "unicode.yaml",
      manifest(
        "app/ünicode-free-name".replace("ü", "u"),
        "  description: Données 🔐 — 秘密\n  tags: { Team: Équipe, team: équipe }\n",
      ),
    );
    const { specs } = await loadManifests(["unicode.yaml"], { rootDir: root });
    expect(specs[0]?.description).toBe("Données 🔐 — 秘密");
    expect(specs[0]?.tags).toEqual({ Team: "Équipe", team: "équipe" });
  });

  it("keeps JSON keys in the order written, integer-like keys included, block and flow style", async () => {
    const json = (style: string) => `  value:\n    json:${style}\n`;
    await write(
      "order.yaml",
      `${manifest("app/block", "", json('\n      zeta: z\n      "10": ten\n      alpha: a\n      2: { fromEnv: TWO }'))}---\n${manifest("app/flow", "", json(' { zeta: z, "10": ten, alpha: a, 2: two }'))}`,
    );
    const { specs } = await loadManifests(["order.yaml"], { rootDir: root });
    const keys = specs.map((s) => (s.value?.kind === "json" ? s.value.fields.map(([key]) => key) : []));
    expect(keys).toEqual([
      ["zeta", "10", "alpha", "2"],
      ["zeta", "10", "alpha", "2"],
    ]);
  });

  it("reads every document of a multi-document file and skips empty documents", async () => {
    await write(
      "multi.yaml",
      `# only a comment\n---\n---\n${manifest("app/one")}---\n# comments only\n---\n${manifest("app/two")}---\n`,
    );
    await write("empty.yaml", "# nothing here yet\n");
    const result = await loadManifests(["."], { rootDir: root });
    expect(result.specs.map((s) => [s.name, s.source.file, s.source.line])).toEqual([
      ["app/one", "multi.yaml", 4],
      ["app/two", "multi.yaml", 14],
    ]);
    expect(result).toMatchObject({ files: 2, documents: 2 });
  });

  it("accepts every KMS key form", async () => {
    const keys = [
      "1234abcd-12ab-34cd-56ef-1234567890ab",
      "mrk-1234abcd12ab34cd56ef1234567890ab",
      "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      "arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab",
      "alias/app/prod_key-1",
      "arn:aws:kms:eu-west-1:111122223333:alias/app",
    ];
    const docs = keys.map((key, i) =>
      manifest(`app/key${i}`, "", `  kmsKeyId: ${key}\n  value:\n    string: { fromEnv: V }\n`),
    );
    await write("keys.yaml", docs.join("---\n"));
    const { specs } = await loadManifests(["keys.yaml"], { rootDir: root });
    expect(specs.map((s) => s.kmsKeyId)).toEqual(keys);
  });

  it("normalizes a full manifest into a SecretSpec with root-relative sops paths", async () => {
    const { specs } = await loadManifests(["examples/payments-db.yaml"], { rootDir: REPO_ROOT });
    expect(specs).toEqual([
      {
        name: "demo/payments/db",
        description: "Payments database credentials (primary cluster)",
        tags: { team: "payments", "cost-center": "1234", "data-classification": "confidential" },
        kmsKeyId: "alias/demo-payments",
        updatePolicy: "Replace",
        value: {
          kind: "json",
          fields: Object.entries({
            engine: "postgres",
            port: 5432,
            ssl: true,
            readReplica: null,
            username: { fromSops: { file: "examples/secrets/demo.enc.yaml", path: "db.username" } },
            password: { fromSops: { file: "examples/secrets/demo.enc.yaml", path: '["db"]["password"]' } },
            host: { fromEnv: "DEMO_DB_HOST" },
          }),
        },
        replicas: [
          { region: "eu-west-1", kmsKeyId: "arn:aws:kms:eu-west-1:111122223333:alias/demo-payments" },
          { region: "us-west-2" },
        ],
        forceOverwriteReplicaSecret: false,
        deletion: { recoveryWindowInDays: 7 },
        adopt: false,
        source: {
          file: "examples/payments-db.yaml",
          line: 5,
          // Each reference's own line, for errors found when it is resolved (flow style: its fields are on it).
          lines: {
            "/spec/value/json/username": 22,
            "/spec/value/json/password": 23,
            "/spec/value/json/host": 24,
          },
        },
      },
    ]);
  });

  it("validates every example, skipping the sops-encrypted YAML among them", async () => {
    const result = await checkManifests(["examples/"], { rootDir: REPO_ROOT });
    expect(result.errors.map((e) => e.format())).toEqual([]);
    expect(result.specs.map((s) => s.value?.kind).sort()).toEqual([
      "binary",
      "generate",
      "json",
      "json",
      "json",
      "string",
      "string",
      "string",
      "string",
    ]);
    expect(result.specs.find((s) => s.name === "demo/api/debug-token")?.value).toEqual({
      kind: "string",
      ref: { fromEnv: "DEMO_DEBUG_TOKEN", allowEmpty: true },
    });
  });

  it("expands globs and reports paths that match nothing", async () => {
    await write("a/one.yaml", manifest("app/one"));
    await write("b/two.yml", manifest("app/two"));
    await write("b/notes.txt", "not a manifest");
    const globbed = await loadManifests(["*/*.y*ml"], { rootDir: root });
    expect(globbed.specs.map((s) => s.name)).toEqual(["app/one", "app/two"]);
    await mkdir(path.join(root, "empty"));
    const { errors } = await checkManifests(["missing.yaml", "empty", "nothing/*.yaml"], { rootDir: root });
    expect(errors.map((e) => e.format())).toEqual([
      "empty: the folder contains no .yaml or .yml files",
      "missing.yaml: no such file or directory",
      "nothing/*.yaml: the pattern matches no files",
    ]);
  });
});

describe("loadManifests", () => {
  it("throws every error of every file at once and returns nothing", async () => {
    await write("good.yaml", manifest("app/good"));
    await write("bad1.yaml", manifest("app/bad one"));
    await write("bad2.yaml", `${manifest("app/good")}  adopt: maybe\n`);
    const failure = await loadManifests(["."], { rootDir: root }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(UserErrors);
    expect((failure as UserErrors).errors.map((e) => `${e.location?.file}:${e.location?.line}`)).toEqual([
      "bad1.yaml:4",
      "bad2.yaml:8",
    ]);
  });
});
