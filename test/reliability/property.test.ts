/**
 * Property tests at a fixed seed (fast-check). A longer run:
 *   RELIABILITY_FUZZ_RUNS=20000 [RELIABILITY_FUZZ_SEED=n] scripts/with-tools npx vitest run test/reliability/property.test.ts
 * - manifests: random YAML and schema near-misses give valid specs or clean UserErrors;
 * - sops: mutated fixtures give a clean error or exactly the original value (MAC);
 * - plan/apply: from any observed state, apply(plan) reaches the desired one and planning
 *   again yields nothing (in-memory gateway, plus a small variant on real moto).
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { createSecretsManagerClient } from "../../src/aws/client";
import { SecretsManagerGateway } from "../../src/aws/gateway";
import { isUserError, type UserError } from "../../src/errors";
import { loadManifests } from "../../src/manifest";
import { apply, plan, planDeletion, reconcile } from "../../src/reconcile/index";
import { sameKmsKey } from "../../src/reconcile/kms";
import { type DesiredSecret, OWNER_TAG } from "../../src/reconcile/types";
import { resolveValue } from "../../src/sources";
import type { ResolvedValue } from "../../src/sources/value";
import { currentValue } from "../pulumi/support";
import { desired as desiredSecret, OWNER, text } from "../reconcile/helpers";
import { FIXTURES, TEST_ENV } from "../sources/sops-helpers";
import { FakeGateway } from "./fake-gateway";
import { report } from "./report";
import { FULL } from "./support";

const SEED = Number(process.env.RELIABILITY_FUZZ_SEED ?? 20_240_611);
const RUNS = Number(process.env.RELIABILITY_FUZZ_RUNS ?? (FULL ? 5_000 : 300));
const params = (runs = RUNS) => ({ seed: SEED, numRuns: runs, endOnFailure: true });
const counts: Record<string, number> = {};
const count = (k: string) => {
  counts[k] = (counts[k] ?? 0) + 1;
};
afterAll(() => report("property", { seed: SEED, runs: RUNS, cases: counts }));

interface DesiredDraft {
  value: string;
  description?: string;
  kmsKeyId?: string;
  tags: Record<string, string>;
  replicas: { region: string; kmsKeyId?: string }[];
  adopt: boolean;
}

/** A whole-document value as the JSON object it is; any other value unchanged. */
function asObject(v: ResolvedValue | undefined): unknown {
  if (v?.kind !== "string" || !v.text.startsWith("{")) return v;
  try {
    return JSON.parse(v.text);
  } catch {
    return v;
  }
}

const STACK_LINE = /\n\s+at\s.+[:(]\d+/;

/** A clean user error: a UserError whose text has no stack frame. */
function expectCleanUserError(e: unknown): void {
  expect(isUserError(e), `not a user error: ${(e as Error)?.stack ?? String(e)}`).toBe(true);
  const message = (e as UserError).format();
  expect(message.trim().length).toBeGreaterThan(0);
  expect(message).not.toMatch(STACK_LINE);
}

describe("manifests: random YAML and near-misses", () => {
  const root = mkdtempSync(path.join(tmpdir(), "sm-fuzz-manifest-"));
  let n = 0;
  const check = async (content: string) => {
    const file = `m${n++}.yaml`;
    writeFileSync(path.join(root, file), content);
    try {
      const { specs } = await loadManifests([file], { rootDir: root });
      count("manifest:valid");
      for (const s of specs) expect(typeof s.name).toBe("string");
    } catch (e) {
      count("manifest:error");
      expectCleanUserError(e);
      for (const err of (e as { errors?: UserError[] }).errors ?? [e as UserError])
        expect(err.location?.file, err.format()).toBe(file);
    }
  };

  const base = () => ({
    apiVersion: "secret-manifests/v1",
    kind: "Secret",
    metadata: { name: "app/db", description: "d", tags: { team: "x" } },
    spec: {
      kmsKeyId: "alias/x",
      value: { json: { user: "app", port: 5432, pass: { fromEnv: "DB_PASS" } } },
      replicas: [{ region: "eu-west-1" }],
      deletion: { recoveryWindowInDays: 7 },
      adopt: false,
    },
  });
  type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
  const pathsOf = (v: Json, at: (string | number)[] = []): (string | number)[][] =>
    v !== null && typeof v === "object"
      ? [
          at,
          ...(Array.isArray(v)
            ? v.map((x, i) => pathsOf(x, [...at, i]))
            : Object.entries(v).map(([k, x]) => pathsOf(x, [...at, k]))
          ).flat(),
        ]
      : [at];
  const mutation = fc.record({
    at: fc.nat(),
    kind: fc.constantFrom("delete", "replace", "unknown", "rename", "null", "wrap", "stringify"),
    value: fc.jsonValue({ maxDepth: 2 }),
    key: fc.constantFrom(
      "nmae",
      "Name",
      "valeu",
      "fromenv",
      "extra",
      "json",
      "string",
      "binary",
      "$ref",
      "__proto__",
      "constructor",
    ),
  });
  const mutate = (doc: Json, m: { at: number; kind: string; value: unknown; key: string }) => {
    const paths = pathsOf(doc).filter((p) => p.length > 0);
    const target = paths[m.at % paths.length] ?? [];
    const parentPath = target.slice(0, -1);
    const last = target[target.length - 1] as string | number;
    let parent = doc as Record<string | number, Json>;
    for (const k of parentPath) parent = parent[k] as Record<string | number, Json>;
    const v = parent[last] as Json;
    switch (m.kind) {
      case "delete":
        if (Array.isArray(parent)) parent.splice(last as number, 1);
        else delete parent[last];
        break;
      case "replace":
        parent[last] = m.value as Json;
        break;
      case "unknown":
        if (!Array.isArray(parent)) parent[m.key] = m.value as Json;
        break;
      case "rename":
        if (!Array.isArray(parent)) {
          delete parent[last];
          parent[m.key] = v;
        }
        break;
      case "null":
        parent[last] = null;
        break;
      case "wrap":
        parent[last] = [v];
        break;
      case "stringify":
        parent[last] =
          typeof v === "object"
            ? JSON.stringify(v)
            : typeof v === "number"
              ? String(v)
              : v === "x"
                ? 1
                : `${v}`;
        break;
    }
    return doc;
  };

  it("schema near-misses give specs or clean errors", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        async (ms, multi) => {
          let doc = base() as Json;
          for (const m of ms) doc = mutate(doc, m);
          const yaml = typeof doc === "object" && doc !== null ? stringify(doc) : String(doc);
          await check(multi ? `${stringify(base())}---\n${yaml}` : yaml);
        },
      ),
      params(),
    );
  });

  const yamlish = fc.string({
    unit: fc.constantFrom(
      ..."abc:- \n\t{}[]\"'&*!|>#%@,?`~0123456789.\\".split(""),
      "kind: Secret",
      "apiVersion: secret-manifests/v1",
      "spec:",
      "  value:",
      "---\n",
      "fromEnv: X",
      "fromSops:",
      "\u0000",
      "\uFEFF",
      "é",
    ),
    maxLength: 200,
  });
  it("random YAML-ish text gives specs or clean errors", async () => {
    await fc.assert(
      fc.asyncProperty(yamlish, async (t) => check(t)),
      params(),
    );
  });
  it("random unicode text gives specs or clean errors", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: "grapheme", maxLength: 120 }), async (t) => check(t)),
      params(Math.ceil(RUNS / 3)),
    );
  });
});

describe("sops: mutated fixtures", () => {
  /** Each fixture with the references a manifest could make into it. */
  const fixtures: { file: string; refs: (string | undefined)[]; binary?: boolean }[] = [
    {
      file: "basic.enc.yaml",
      refs: [
        "db.password",
        "db.port",
        "hosts.2.port",
        "unicode",
        "multiline",
        "note_unencrypted",
        "nested",
        undefined,
      ],
    },
    { file: "basic.enc.json", refs: ["db.password", "unicode", "list", "escaped", "db"] },
    { file: "basic.enc.env", refs: ["DB_PASSWORD", "UNICODE", "MULTI"] },
    { file: "basic.enc.ini", refs: ["database.password", "api.token"] },
    { file: "blob.enc.bin", refs: [undefined], binary: true },
  ];
  const root = mkdtempSync(path.join(tmpdir(), "sm-fuzz-sops-"));
  const manifest = { file: "fuzz.yaml", line: 1 };
  const resolve = (file: string, ref: string | undefined, binary?: boolean): Promise<ResolvedValue> => {
    const sops = { fromSops: { file, ...(ref !== undefined ? { path: ref } : {}) } };
    return resolveValue(binary ? { kind: "binary", ref: sops } : { kind: "string", ref: sops }, {
      rootDir: root,
      env: TEST_ENV,
      manifest,
    });
  };
  const originals = new Map<string, ResolvedValue>();
  const plaintexts = ["s3cr3t-p@ss", "json-s3cret", "env-s3cret", "ini-s3cret", "tok-123"];

  it("a key repeated with a blank value is refused (the MAC skips blanks)", async () => {
    const original = readFileSync(path.join(FIXTURES, "basic.enc.yaml"), "utf8");
    const tampered = original.replace(/^( {4}password: ENC\[.*)$/m, '$1\n    password: ""');
    expect(tampered).not.toBe(original);
    writeFileSync(path.join(root, "dup.enc.yaml"), tampered);
    for (const ref of ["db.password", undefined]) {
      const err = await resolve("dup.enc.yaml", ref).then(
        () => undefined,
        (e: unknown) => e,
      );
      expectCleanUserError(err);
      expect((err as UserError).format()).toMatch(/the key "db.password" appears twice/);
    }
  });

  it("decrypt to a clean error or exactly the original value", async () => {
    for (const f of fixtures) {
      copyFileSync(path.join(FIXTURES, f.file), path.join(root, f.file));
      for (const ref of f.refs) originals.set(`${f.file}#${ref}`, await resolve(f.file, ref, f.binary));
    }
    const alphabet = "ABCabc019+/=:,[]{}\"' \n_-.#";
    const edit = fc.record({
      fixture: fc.nat({ max: fixtures.length - 1 }),
      at: fc.nat(),
      kind: fc.constantFrom("replace", "delete", "insert", "swapLines", "dupLine"),
      len: fc.integer({ min: 1, max: 8 }),
      ch: fc.constantFrom(...alphabet.split("")),
    });
    let n = 0;
    await fc.assert(
      fc.asyncProperty(edit, async (e) => {
        const f = fixtures[e.fixture] ?? fixtures[0];
        if (!f) return;
        const original = readFileSync(path.join(FIXTURES, f.file), "utf8");
        const at = e.at % original.length;
        let mutated = original;
        if (e.kind === "replace")
          mutated = original.slice(0, at) + e.ch.repeat(e.len) + original.slice(at + e.len);
        if (e.kind === "delete") mutated = original.slice(0, at) + original.slice(at + e.len);
        if (e.kind === "insert") mutated = original.slice(0, at) + e.ch.repeat(e.len) + original.slice(at);
        if (e.kind === "swapLines" || e.kind === "dupLine") {
          const lines = original.split("\n");
          const i = at % lines.length;
          const j = (i + e.len) % lines.length;
          if (e.kind === "dupLine") lines.splice(i, 0, lines[i] ?? "");
          else [lines[i], lines[j]] = [lines[j] ?? "", lines[i] ?? ""];
          mutated = lines.join("\n");
        }
        // A fresh name per case: the decrypt cache is keyed by path.
        const name = `m${n++}.${f.file}`;
        writeFileSync(path.join(root, name), mutated);
        for (const ref of f.refs) {
          const expected = originals.get(`${f.file}#${ref}`);
          try {
            const got = await resolve(name, ref, f.binary);
            count(mutated === original ? "sops:unchanged" : "sops:same-value");
            // Blank values are outside the MAC (as in sops), so two adjacent blank keys can
            // trade places: the same JSON object in another key order is the same value.
            expect(asObject(got), `${name} ${ref} decrypted to a different value`).toEqual(
              asObject(expected),
            );
          } catch (err) {
            count("sops:error");
            expectCleanUserError(err);
            const message = (err as UserError).format();
            for (const p of plaintexts) expect(message).not.toContain(p);
          }
        }
      }),
      params(FULL ? RUNS : Math.ceil(RUNS / 2)),
    );
  });
});

describe("plan/apply on random (desired, observed) pairs", () => {
  const REGIONS = ["eu-west-1", "us-west-2", "ap-south-1"];
  const KMS = [undefined, "alias/a", "alias/b", "arn:aws:kms:us-east-1:1:alias/a", "1234abcd-12ab"];
  const VALUES = ["v1", "v2", "v3", "v4"];
  const replicas = fc
    .uniqueArray(fc.record({ region: fc.constantFrom(...REGIONS), kmsKeyId: fc.constantFrom(...KMS) }), {
      selector: (r) => r.region,
      maxLength: 3,
    })
    .map((rs) => rs.map((r) => (r.kmsKeyId ? r : { region: r.region })));
  const tags = fc.dictionary(fc.constantFrom("team", "env", "cost"), fc.constantFrom("x", "y"), {
    maxKeys: 3,
  });
  const desiredArb = fc.record({
    value: fc.constantFrom(...VALUES),
    description: fc.constantFrom(undefined, "", "one", "two"),
    kmsKeyId: fc.constantFrom(...KMS),
    tags,
    replicas,
    adopt: fc.boolean(),
  });
  const observedArb = fc.option(
    fc.record({
      owner: fc.constantFrom("ours", "none", "other"),
      description: fc.constantFrom(undefined, "", "one", "two"),
      kmsKeyId: fc.constantFrom(...KMS),
      tags,
      awsTag: fc.boolean(),
      /** Version history: value and stage of each version, oldest first. */
      versions: fc.uniqueArray(
        fc.record({
          value: fc.constantFrom(...VALUES),
          stage: fc.constantFrom("AWSCURRENT", "AWSPREVIOUS", "none"),
        }),
        { selector: (v) => v.value, minLength: 1, maxLength: 4 },
      ),
      deleted: fc.boolean(),
      replicas,
    }),
    { nil: undefined },
  );

  const NAME = "prop/secret";
  const build = (d: DesiredDraft): DesiredSecret =>
    desiredSecret(NAME, text(d.value), {
      ...(d.description !== undefined ? { description: d.description } : {}),
      ...(d.kmsKeyId !== undefined ? { kmsKeyId: d.kmsKeyId } : {}),
      tags: d.tags,
      replicas: d.replicas,
      adopt: d.adopt,
    });

  it("apply(plan) reaches desired and a second plan is empty (in-memory)", async () => {
    await fc.assert(
      fc.asyncProperty(desiredArb, observedArb, async (d, o) => {
        const want = build(d);
        const fake = new FakeGateway();
        if (o) {
          const ownerTag: Record<string, string> =
            o.owner === "ours"
              ? { [OWNER_TAG]: OWNER }
              : o.owner === "other"
                ? { [OWNER_TAG]: "org/other/stack" }
                : {};
          let stagedCurrent = false;
          let stagedPrevious = false;
          const versions = new Map<string, { stages: string[]; value: ResolvedValue }>();
          for (const v of o.versions) {
            let stages: string[] = [];
            if (v.stage === "AWSCURRENT" && !stagedCurrent) stages = ["AWSCURRENT"];
            if (v.stage === "AWSPREVIOUS" && !stagedPrevious) stages = ["AWSPREVIOUS"];
            stagedCurrent ||= stages.includes("AWSCURRENT");
            stagedPrevious ||= stages.includes("AWSPREVIOUS");
            versions.set(desiredSecret(NAME, text(v.value)).token, { stages, value: text(v.value) });
          }
          fake.secrets.set(NAME, {
            arn: `arn:aws:secretsmanager:us-east-1:1:secret:${NAME}-Fake01`,
            name: NAME,
            ...(o.description !== undefined ? { description: o.description } : {}),
            ...(o.kmsKeyId !== undefined ? { kmsKeyId: o.kmsKeyId } : {}),
            tags: { ...o.tags, ...(o.awsTag ? { "aws:cloudformation:stack-name": "cf" } : {}), ...ownerTag },
            deleted: o.deleted,
            versions,
            replicas: o.replicas,
          });
        }
        const before = fake.observe(NAME);
        const mayManage = !o || o.owner === "ours" || (o.owner === "none" && want.adopt);
        if (!mayManage) {
          count("plan:refused");
          let refused: unknown;
          try {
            plan(want, before, OWNER);
          } catch (e) {
            refused = e;
          }
          expectCleanUserError(refused);
          return;
        }
        count(o ? "plan:existing" : "plan:new");
        const applied = await apply(fake, want, plan(want, before, OWNER), before);
        const after = fake.observe(NAME);
        if (!after) throw new Error("the secret is gone");
        // The value's version, or its rewrite when that version was kept without a stage.
        const hadValue = o?.versions.some((v) => v.value === d.value) ?? false;
        const hadStaged = before?.versionStages[want.token] !== undefined;
        const versionId = hadValue && !hadStaged ? want.rewriteToken : want.token;
        expect(applied?.versionId).toBe(versionId);
        expect(plan(want, after, OWNER)).toEqual([]);
        // And AWS really holds the desired secret.
        const s = fake.secrets.get(NAME);
        expect(s?.deleted).toBe(false);
        expect(s?.versions.get(versionId)?.stages).toContain("AWSCURRENT");
        expect(s?.versions.get(versionId)?.value).toEqual(want.value);
        const expectedTags = {
          ...want.tags,
          ...(o?.awsTag ? { "aws:cloudformation:stack-name": "cf" } : {}),
        };
        expect(after.tags).toEqual(expectedTags);
        expect(after.description ?? "").toBe(want.description ?? "");
        expect(sameKmsKey(after.kmsKeyId, want.kmsKeyId)).toBe(true);
        expect(after.replicas.map((r) => r.region).sort()).toEqual(want.replicas.map((r) => r.region).sort());
        for (const r of want.replicas)
          expect(sameKmsKey(after.replicas.find((x) => x.region === r.region)?.kmsKeyId, r.kmsKeyId)).toBe(
            true,
          );
        // At most one new version, and none when AWS had the value under a stage.
        expect(s?.versions.size).toBe((o?.versions.length ?? 0) + (hadStaged ? 0 : 1));
        // Deleting afterwards leaves nothing to do.
        await apply(fake, undefined, planDeletion(after, { recoveryWindowInDays: 7 }, OWNER));
        expect(planDeletion(fake.observe(NAME), { recoveryWindowInDays: 7 }, OWNER)).toEqual([]);
      }),
      params(FULL ? RUNS * 4 : RUNS * 2),
    );
  });

  it("the same property on real moto (small)", async () => {
    const direct = new SecretsManagerClient({});
    const gateway = new SecretsManagerGateway(createSecretsManagerClient({}));
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        desiredArb,
        fc.record({
          exists: fc.boolean(),
          description: fc.constantFrom(undefined, "one"),
          extraTag: fc.boolean(),
          history: fc.uniqueArray(fc.constantFrom(...VALUES), { minLength: 1, maxLength: 3 }),
          deleted: fc.boolean(),
        }),
        async (d, o) => {
          const name = `rel-prop/${process.pid}/${n++}`;
          // This variant covers values, version history, tags, description (added, changed
          // and removed) and deletion. moto keeps the description on an UpdateSecret with an
          // empty one; the AWS-contract layer clears it, as AWS does.
          const want = desiredSecret(name, text(d.value), {
            ...(d.description !== undefined ? { description: d.description } : {}),
            tags: d.tags,
          });
          if (o.exists) {
            const [first, ...rest] = o.history;
            await direct.send(
              new CreateSecretCommand({
                Name: name,
                SecretString: first,
                ClientRequestToken: desiredSecret(name, text(first ?? "")).token,
                ...(o.description ? { Description: o.description } : {}),
                Tags: [{ Key: OWNER_TAG, Value: OWNER }, ...(o.extraTag ? [{ Key: "old", Value: "1" }] : [])],
              }),
            );
            for (const v of rest)
              await direct.send(
                new PutSecretValueCommand({
                  SecretId: name,
                  SecretString: v,
                  ClientRequestToken: desiredSecret(name, text(v)).token,
                }),
              );
            if (o.deleted)
              await direct.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 7 }));
          }
          count("plan:moto");
          const applied = await reconcile(gateway, want, OWNER);
          expect(applied.versionId).toBe(want.token);
          const after = await gateway.describeSecret(name);
          expect(plan(want, after, OWNER)).toEqual([]);
          expect(after?.description ?? "").toBe(d.description ?? "");
          count(
            o.exists && o.description && !d.description ? "plan:moto:description-removed" : "plan:moto:other",
          );
          // Read by stage: moto answers an unstaged read with its stale default version.
          expect(await currentValue(name)).toBe(d.value);
        },
      ),
      params(FULL ? 100 : 12),
    );
  }, 120_000);
});
