import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main";
import { buildCli, captureIO, REPO_ROOT, removeBuild } from "./support";

const run = promisify(execFile);

/** Runs the compiled bin; resolves with the exit code instead of rejecting on non-zero. */
async function spawnCli(bin: string, args: string[], cwd = REPO_ROOT) {
  return run(process.execPath, [bin, ...args], { cwd }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({
      code: e.code,
      stdout: e.stdout,
      stderr: e.stderr,
    }),
  );
}

describe("the compiled secret-manifests bin", () => {
  let bin: string;
  beforeAll(() => {
    bin = buildCli();
  });
  afterAll(() => removeBuild(bin));

  it("exits 0 on the examples with a one-line summary", async () => {
    const result = await spawnCli(bin, ["validate", "examples/"]);
    expect(result).toEqual({
      code: 0,
      stdout: "sops keys needed: age (3 files)\n5 files, 9 manifests, 9 secrets, 0 errors, 0 warnings\n",
      stderr: "",
    });
  });

  it("exits 1 on the whole bad corpus, naming file:line for every case, without a stack trace", async () => {
    const result = await spawnCli(bin, ["validate", "test/manifest/bad"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      "test/manifest/bad/value-two-kinds.yaml:10:3: spec.value must have exactly one of string, json, binary",
    );
    expect(result.stdout).toContain(
      "test/manifest/bad/yaml-syntax-unclosed-flow.yaml:11:3: YAML syntax error",
    );
    expect(result.stdout).toMatch(/\n83 files, 81 manifests, 2 secrets, 82 errors, 0 warnings\n$/);
    expect(result.stdout + result.stderr).not.toMatch(/^\s+at /m);
  });

  it("prints GitHub annotations with --format github", async () => {
    const result = await spawnCli(bin, [
      "validate",
      "--format",
      "github",
      "test/manifest/bad/tag-value-number.yaml",
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout.split("\n")[0]).toBe(
      "::error file=test/manifest/bad/tag-value-number.yaml,line=10,col=18,title=secret-manifests::" +
        "metadata.tags.cost-center must be a string, not a number (at /metadata/tags/cost-center)%0Ahint: quote it to make it a string",
    );
  });

  it("splits large sets across worker threads with the same errors and positions", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "manifests-many-"));
    try {
      const manifest = (name: string) =>
        `apiVersion: secret-manifests/v1\nkind: Secret\nmetadata:\n  name: ${name}\nspec:\n  value:\n    string: { fromEnv: V }\n`;
      const names = Array.from({ length: 1200 }, (_, i) => `many/secret${i}`);
      names[1100] = "many/secret7"; // duplicate of a file checked by another thread
      await Promise.all(
        names.map((name, i) =>
          writeFile(path.join(dir, `m${String(i).padStart(4, "0")}.yaml`), manifest(name)),
        ),
      );
      await writeFile(path.join(dir, "m0999.yaml"), `${manifest("many/secret999")}  adopt: 1\n`);
      const result = await spawnCli(bin, ["validate", "."], dir);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe(
        "m0999.yaml:8:10: spec.adopt must be true or false, not a number (at /spec/adopt)\n" +
          "m1100.yaml:4:9: duplicate secret name: also declared at m0007.yaml:1 (at /metadata/name)\n" +
          "  hint: each secret may be declared by one manifest only; rename or remove one of them\n" +
          "1200 files, 1200 manifests, 1198 secrets, 2 errors, 0 warnings\n",
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("exits 2 on a usage error", async () => {
    const result = await spawnCli(bin, ["validate", "--format", "xml", "examples/"]);
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toContain('--format must be one of text, json, github, not "xml"');
  });
});

describe("main", () => {
  it("reports machine-readable results with --format json", async () => {
    const io = captureIO(REPO_ROOT);
    const code = await main(
      ["validate", "--format", "json", "test/manifest/bad/name-too-long.yaml", "examples/tls.yaml"],
      io,
    );
    expect(code).toBe(1);
    expect(JSON.parse(io.out())).toEqual({
      valid: false,
      files: 2,
      manifests: 2,
      secrets: [{ name: "demo/tls/edge-cert.p12", file: "examples/tls.yaml", line: 5 }],
      errors: [
        {
          file: "test/manifest/bad/name-too-long.yaml",
          line: 8,
          col: 9,
          path: "/metadata/name",
          message: "metadata.name must be at most 512 characters (it has 513)",
        },
      ],
      warnings: [],
      sopsFiles: [
        {
          file: "examples/secrets/tls-cert.enc.bin",
          format: "binary",
          keyTypes: ["age"],
          keyGroups: 1,
          kmsKeys: [],
        },
      ],
      keyTypes: ["age"],
    });
  });

  it.each([
    [["--help"], 0],
    [["validate", "--help"], 0],
    [[], 2],
  ])("prints help for %j and exits %i", async (argv, expected) => {
    const io = captureIO(REPO_ROOT);
    expect(await main(argv, io)).toBe(expected);
    expect(io.out()).toMatch(/^Usage: secret-manifests /);
    expect(io.out()).toContain("Examples:");
  });

  it("exits 2 on an unknown command or a missing path", async () => {
    for (const argv of [["lint"], ["validate"]]) {
      const io = captureIO(REPO_ROOT);
      expect(await main(argv, io)).toBe(2);
      expect(io.err()).toMatch(/^error: .+\nSee "secret-manifests .*--help"\.\n$/);
    }
  });
});
