/**
 * "Do not end your secret name with a hyphen followed by six characters" is AWS's advice,
 * not an API rule: such names validate with a warning (file:line, exit 0), and --strict
 * makes the warning an error.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateCommand } from "../../src/cli/commands/validate";
import { loadManifests } from "../../src/manifest/index";
import { captureIO } from "./support";

const SUFFIX_LIKE = ["my-secret", "prod/db-master", "app/api-tokens", "prod/app-config"];

let root: string;
beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), "manifest-names-"));
  const docs = [...SUFFIX_LIKE, "prod/db"].map(
    (name) =>
      `apiVersion: secret-manifests/v1\nkind: Secret\nmetadata:\n  name: ${name}\nspec:\n  value:\n    string: { fromEnv: V }\n`,
  );
  writeFileSync(path.join(root, "names.yaml"), docs.join("---\n"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const WARNING =
  "metadata.name ends with a hyphen followed by six letters or digits, like the random suffix AWS appends to every secret ARN (at /metadata/name)";

describe("names ending like an ARN suffix", () => {
  it("validate warns with file:line, counts the warnings and exits 0", async () => {
    const io = captureIO(root);
    expect(await validateCommand.run(["names.yaml"], io)).toBe(0);
    const lines = io.out().split("\n");
    expect(lines.filter((l) => l.includes("warning:"))).toEqual(
      [4, 12, 20, 28].map((line) => `names.yaml:${line}:9: warning: ${WARNING}`),
    );
    expect(io.out()).toMatch(/\n1 file, 5 manifests, 5 secrets, 0 errors, 4 warnings\n$/);
  });

  it("--strict turns the warnings into errors and exits 1", async () => {
    const io = captureIO(root);
    expect(await validateCommand.run(["--strict", "names.yaml"], io)).toBe(1);
    expect(io.out()).not.toContain("warning:");
    expect(io.out()).toContain(`names.yaml:4:9: ${WARNING}`);
    expect(io.out()).toMatch(/\n1 file, 5 manifests, 1 secret, 4 errors, 0 warnings\n$/);
  });

  it("reports warnings in the json and github formats", async () => {
    const json = captureIO(root);
    expect(await validateCommand.run(["--format", "json", "names.yaml"], json)).toBe(0);
    const report = JSON.parse(json.out());
    expect(report).toMatchObject({ valid: true, errors: [] });
    expect(report.warnings).toHaveLength(4);
    expect(report.warnings[0]).toMatchObject({ file: "names.yaml", line: 4, col: 9, path: "/metadata/name" });
    const github = captureIO(root);
    expect(await validateCommand.run(["--format", "github", "names.yaml"], github)).toBe(0);
    expect(github.out().split("\n")[0]).toMatch(
      /^::warning file=names\.yaml,line=4,col=9,title=secret-manifests::metadata\.name ends with a hyphen/,
    );
  });

  it("the loader accepts them and hands the warnings to its caller", async () => {
    const { specs, warnings } = await loadManifests(["names.yaml"], { rootDir: root });
    expect(specs.map((s) => s.name)).toEqual([...SUFFIX_LIKE, "prod/db"]);
    expect(warnings.map((w) => w.location?.line)).toEqual([4, 12, 20, 28]);
  });
});
