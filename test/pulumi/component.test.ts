/**
 * What SecretManifests checks in the program process before it registers any resource,
 * with Pulumi's in-process mocks supplying project, stack and config. (That nothing is
 * written under the real engine is the end-to-end tests' to show.)
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CONFIG_NAMESPACE, checkedManifests, type SecretManifestsArgs } from "../../src/pulumi/component.js";
import { manifest } from "./support.js";

const startDir = process.cwd();

beforeEach(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
      call: (args) => args.inputs,
    },
    "proj",
    "dev",
    false,
  );
});
afterEach(() => process.chdir(startDir));

/** A program directory holding these manifest files; the program runs there. */
function project(files: Record<string, string>): void {
  const dir = mkdtempSync(path.join(tmpdir(), "sm-component-"));
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), content);
  }
  process.chdir(dir);
}

/** The error that stops the component before it registers anything, if any. */
async function run(args: Partial<SecretManifestsArgs> = {}): Promise<unknown> {
  const config = new pulumi.Config(CONFIG_NAMESPACE);
  return checkedManifests({ paths: ["manifests"], ...args }, config).then(
    () => undefined,
    (e: unknown) => e,
  );
}

const envSecret = (name: string, variable: string, metadata = "") =>
  manifest(name, `  value:\n    string: { fromEnv: ${variable} }`, metadata);

describe("SecretManifests checks every manifest before registering anything", () => {
  it("missing references among good ones stop it, each named with file:line", async () => {
    process.env.COMP_OK = "ok";
    delete process.env.COMP_MISSING;
    delete process.env.COMP_GONE;
    const d = manifest(
      "app/d",
      "  value:\n    json:\n      user: app\n      password: { fromEnv: COMP_GONE }",
    );
    project({
      "manifests/a.yaml": envSecret("app/a", "COMP_OK"),
      "manifests/b.yaml": `${envSecret("app/b", "COMP_OK")}\n---\n${envSecret("app/c", "COMP_MISSING")}`,
      "manifests/d.yaml": d,
    });
    const error = await run();
    expect(error).toBeInstanceOf(pulumi.RunError);
    const message = (error as Error).message;
    expect(message).toMatch(/manifests\/b\.yaml:\d+: fromEnv: environment variable COMP_MISSING is not set/);
    // The line of the reference itself, not of its document.
    expect(message).toContain(
      `manifests/d.yaml:${lineOf(d, "COMP_GONE")}: fromEnv: environment variable COMP_GONE is not set`,
    );
    expect(message).not.toMatch(/\n\s+at /);
  });

  it("refuses an empty value (allowEmpty is for JSON fields) with file:line", async () => {
    process.env.COMP_EMPTY = "";
    project({
      "manifests/a.yaml": manifest(
        "app/a",
        "  value:\n    string: { fromEnv: COMP_EMPTY, allowEmpty: true }",
      ),
    });
    const error = await run();
    expect((error as Error).message).toContain("manifests/a.yaml:1: the value is empty");
  });

  it("counts the final tag set against AWS's 50, naming the manifest and the config key", async () => {
    process.env.COMP_OK = "ok";
    const tags = Array.from({ length: 45 }, (_, i) => `    t${i}: v`).join("\n");
    project({ "manifests/a.yaml": envSecret("app/a", "COMP_OK", `  tags:\n${tags}`) });
    const defaultTags = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`d${i}`, "x"]));
    const error = await run({ defaultTags });
    const message = (error as Error).message;
    expect(message).toContain('manifests/a.yaml:1: secret "app/a" would carry 53 tags');
    expect(message).toContain("secret-manifests:defaultTags");
  });

  it("validates defaultTags and the recovery window, naming the config keys", async () => {
    process.env.COMP_OK = "ok";
    project({ "manifests/a.yaml": envSecret("app/a", "COMP_OK") });
    const error = await run({ defaultTags: { "aws:team": "x", ok: "bad{value}" }, recoveryWindowInDays: 90 });
    const message = (error as Error).message;
    expect(message).toContain("secret-manifests:recoveryWindowInDays: recovery window must be");
    expect(message).toContain('secret-manifests:defaultTags: tag key "aws:team" uses the prefix aws:');
    expect(message).toContain('secret-manifests:defaultTags: the value of tag "ok" may contain only');
    expect(message).not.toContain("bad{value}");
  });
});

/** The 1-based line of the first line of `text` that contains `needle`. */
function lineOf(text: string, needle: string): number {
  return text.split("\n").findIndex((line) => line.includes(needle)) + 1;
}
