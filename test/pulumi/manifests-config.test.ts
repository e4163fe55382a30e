import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { isUserError } from "../../src/errors";
import { manifestPaths } from "../../src/pulumi/manifests-config";
import { projectRoot } from "../../src/pulumi/root";

describe("secret-manifests:manifests", () => {
  it("defaults to the manifests folder", () => {
    expect(manifestPaths(undefined)).toEqual(["manifests"]);
    expect(manifestPaths("  ")).toEqual(["manifests"]);
  });

  it("takes one path as plain text, as `pulumi config set secret-manifests:manifests examples` stores it", () => {
    expect(manifestPaths("examples")).toEqual(["examples"]);
    expect(manifestPaths("secrets/*.yaml")).toEqual(["secrets/*.yaml"]);
  });

  it("takes a JSON list, as `pulumi config set --path` or a YAML list in Pulumi.<stack>.yaml stores it", () => {
    expect(manifestPaths('["examples","more/x.yaml"]')).toEqual(["examples", "more/x.yaml"]);
  });

  it.each([
    ["[examples", /not a valid JSON list/],
    ["[]", /must list at least one path/],
    ['["a", 1]', /must list at least one path/],
  ])("refuses %s with a user error and a hint", (raw, message) => {
    let error: unknown;
    try {
      manifestPaths(raw);
    } catch (e) {
      error = e;
    }
    expect(isUserError(error)).toBe(true);
    expect((error as Error).message).toMatch(message);
    expect((error as { format(): string }).format()).toMatch(/hint: set one path/);
  });
});

describe("the project root", () => {
  const project = mkdtempSync(path.join(tmpdir(), "sm-root-"));
  const programDir = path.join(project, "node_modules/secret-manifests/dist/pulumi");
  mkdirSync(programDir, { recursive: true });
  writeFileSync(path.join(project, "Pulumi.yaml"), "name: p\nruntime: nodejs\n");

  it("is the folder the language host names to the program", () => {
    expect(projectRoot({ PULUMI_NODEJS_ROOT_DIRECTORY: "/p/prog" }, programDir)).toBe("/p/prog");
  });

  it("is, for the provider started in main's folder, the nearest folder above holding Pulumi.yaml", () => {
    expect(projectRoot({}, programDir)).toBe(project);
    expect(projectRoot({}, project)).toBe(project);
    // The SDK's placeholder when the variable is unset is no folder.
    expect(projectRoot({ PULUMI_NODEJS_ROOT_DIRECTORY: "rootDirectory" }, programDir)).toBe(project);
  });

  it("is the working directory outside any project", () => {
    const bare = mkdtempSync(path.join(tmpdir(), "sm-bare-"));
    expect(projectRoot({}, bare)).toBe(bare);
  });
});
