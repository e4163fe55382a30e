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
  it("is the folder the language host names for the program, else the one the engine names for providers", () => {
    expect(projectRoot({ PULUMI_NODEJS_ROOT_DIRECTORY: "/p/prog", PULUMI_ROOT_DIRECTORY: "/p/prov" })).toBe(
      "/p/prog",
    );
    expect(projectRoot({ PULUMI_ROOT_DIRECTORY: "/p/prov" })).toBe("/p/prov");
  });

  it("is the working directory when neither names an absolute folder (an inline program)", () => {
    expect(projectRoot({})).toBe(process.cwd());
    // The SDK's placeholder when the variable is unset.
    expect(projectRoot({ PULUMI_NODEJS_ROOT_DIRECTORY: "rootDirectory" })).toBe(process.cwd());
    expect(path.isAbsolute(projectRoot({}))).toBe(true);
  });
});
