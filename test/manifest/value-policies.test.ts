/**
 * `validate` on seed-once and generated values, rotation and resource policies: what is
 * accepted and normalized, and one clear message (file, line, field) for each mistake.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { checkManifests, loadManifests } from "../../src/manifest/index";
import { MAX_RESOURCE_POLICY_CHARS } from "../../src/manifest/value-policies";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), "manifests-vp-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function write(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(path.join(root, file)), { recursive: true });
  await writeFile(path.join(root, file), text);
}

const manifest = (spec: string) =>
  `apiVersion: secret-manifests/v1\nkind: Secret\nmetadata:\n  name: app/db\nspec:\n${spec}`;

async function errorsOf(spec: string): Promise<string[]> {
  await write("m.yaml", manifest(spec));
  return (await checkManifests(["m.yaml"], { rootDir: root })).errors.map((e) => e.format());
}

const LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:rotate-db";
const POLICY = `{ Version: "2012-10-17", Statement: [{ Effect: Allow, Principal: { AWS: "arn:aws:iam::123456789012:role/app" }, Action: "secretsmanager:GetSecretValue", Resource: "*" }] }`;

describe("accepted and normalized", () => {
  it("a JSON value mixing enforced, seed-once and generated keys, with defaults filled in", async () => {
    await write(
      "m.yaml",
      manifest(
        [
          "  value:",
          "    json:",
          "      host: { fromEnv: DB_HOST }",
          "      password: { fromEnv: DB_SEED, updatePolicy: IfNotExists }",
          "      apiKey: { generate: { length: 40, excludePunctuation: true } }",
          `  rotation: { lambdaArn: ${LAMBDA}, automaticallyAfterDays: 30 }`,
          `  resourcePolicy: { document: ${POLICY} }`,
        ].join("\n"),
      ),
    );
    const { specs } = await loadManifests(["m.yaml"], { rootDir: root });
    const spec = specs[0];
    expect(spec?.updatePolicy).toBe("Replace");
    expect(spec?.value).toEqual({
      kind: "json",
      fields: Object.entries({
        host: { fromEnv: "DB_HOST" },
        password: { fromEnv: "DB_SEED", updatePolicy: "IfNotExists" },
        apiKey: {
          generate: {
            length: 40,
            excludeNumbers: false,
            excludePunctuation: true,
            excludeUppercase: false,
            excludeLowercase: false,
            includeSpace: false,
            requireEachIncludedType: true,
            generation: 1,
          },
        },
      }),
    });
    expect(spec?.rotation).toEqual({
      lambdaArn: LAMBDA,
      automaticallyAfterDays: 30,
      rotateImmediately: false,
    });
    expect(spec?.resourcePolicy?.blockPublicPolicy).toBe(true);
  });

  it("what `secret-manifests import` writes: adopt with IfNotExists and no value", async () => {
    expect(await errorsOf("  adopt: true\n  updatePolicy: IfNotExists\n")).toEqual([]);
  });

  it("a policy from a JSON file next to the manifest, its path made root-relative", async () => {
    await write(
      "policies/db.json",
      JSON.stringify({ Statement: { Effect: "Deny", Principal: "*", NotAction: "x" } }),
    );
    await write(
      "manifests/m.yaml",
      manifest("  value: { generate: {} }\n  resourcePolicy: { fromFile: ../policies/db.json }\n"),
    );
    const result = await checkManifests(["manifests/m.yaml"], { rootDir: root });
    expect(result.errors).toEqual([]);
    expect(result.specs[0]?.resourcePolicy).toEqual({
      fromFile: "policies/db.json",
      blockPublicPolicy: true,
    });
  });
});

describe("refused with one message naming file, line and field", () => {
  it("rotating a value the manifest enforces", async () => {
    const errors = await errorsOf(
      `  value:\n    string: { fromEnv: PW }\n  rotation: { lambdaArn: ${LAMBDA}, automaticallyAfterDays: 30 }\n`,
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^m\.yaml:\d+:\d+: spec\.rotation rotates a value this manifest enforces/);
    expect(errors[0]).toContain("(at /spec/rotation)");
    expect(errors[0]).toContain("hint: set spec.updatePolicy: IfNotExists");
  });

  it("rotating a JSON value whose keys are all enforced, but not one with a seed-once key", async () => {
    const rotation = `  rotation: { managed: true, scheduleExpression: "rate(10 days)" }\n`;
    expect(
      await errorsOf(`  value:\n    json: { user: app, password: { fromEnv: PW } }\n${rotation}`),
    ).toHaveLength(1);
    expect(
      await errorsOf(
        `  value:\n    json: { user: app, password: { fromEnv: PW, updatePolicy: IfNotExists } }\n${rotation}`,
      ),
    ).toEqual([]);
  });

  it("a rotation with no schedule, or two", async () => {
    const errors = await errorsOf(
      `  updatePolicy: IfNotExists\n  value: { generate: {} }\n  rotation: { lambdaArn: ${LAMBDA} }\n`,
    );
    expect(errors[0]).toContain(
      "spec.rotation must have exactly one of automaticallyAfterDays, scheduleExpression (it has 0)",
    );
  });

  it("no value without adopt", async () => {
    const errors = await errorsOf("  updatePolicy: IfNotExists\n");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("`updatePolicy: IfNotExists` needs `adopt: true`");
  });

  it("a generated length outside 1..4096 and a bad schedule expression", async () => {
    const errors = await errorsOf(
      `  value: { generate: { length: 5000 } }\n  rotation: { managed: true, scheduleExpression: "every day" }\n`,
    );
    expect(errors.join("\n")).toContain("spec.value.generate.length must be between 1 and 4096");
    expect(errors.join("\n")).toContain("must be `rate(N days)`, `rate(N hours)` or `cron(...)`");
  });

  it("a policy without Principal or Effect, and one over the size limit", async () => {
    const bad = await errorsOf(
      `  value: { generate: {} }\n  resourcePolicy: { document: { Statement: [{ Action: x }] } }\n`,
    );
    expect(bad.join("\n")).toContain('Statement[0] needs Effect "Allow" or "Deny"');
    expect(bad.join("\n")).toContain("Statement[0] needs Principal or NotPrincipal");
    const big = "x".repeat(MAX_RESOURCE_POLICY_CHARS);
    const large = await errorsOf(
      `  value: { generate: {} }\n  resourcePolicy: { document: { Statement: { Effect: Allow, Principal: "*", Action: "${big}" } } }\n`,
    );
    expect(large.join("\n")).toMatch(/is \d+ characters; AWS allows at most 20480/);
  });

  it("a policy file that is missing or not JSON", async () => {
    expect(
      (await errorsOf("  value: { generate: {} }\n  resourcePolicy: { fromFile: nope.json }\n"))[0],
    ).toContain("policy file `nope.json` does not exist");
    await write("bad.json", "{ not json");
    expect(
      (await errorsOf("  value: { generate: {} }\n  resourcePolicy: { fromFile: bad.json }\n"))[0],
    ).toContain("policy file `bad.json` is not valid JSON");
  });
});
