/**
 * The bad-manifest corpus: every file in test/manifest/bad/ breaks exactly one rule and
 * states in its header comment the line, JSON path and message fragment of the error:
 *
 *   # expect-line: 12
 *   # expect-message: spec.value must have exactly one of string, json, binary
 *   # expect-path: /spec/value            (absent for YAML syntax errors, which have no path)
 *
 * A file in a sub-folder is validated together with its folder (cross-file cases).
 * Every file also carries the canary string in its values (names, variables, paths, keys'
 * values, the offending value itself), and no output format may ever print it: any field
 * of a manifest may hold a pasted secret. Data files the cases reference live in bad/files/.
 */
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { validateCommand } from "../../src/cli/commands/validate";
import { checkManifests } from "../../src/manifest/index";
import { captureIO, REPO_ROOT } from "./support";

const BAD_DIR = path.join(REPO_ROOT, "test", "manifest", "bad");

interface Case {
  /** The file the error is expected in, relative to the repo root. */
  file: string;
  /** What to validate: the file, or its folder for cross-file cases. */
  input: string;
  line: number;
  message: string;
  path: string | undefined;
}

function header(text: string, key: string): string | undefined {
  return text.match(new RegExp(`^# expect-${key}: ?(.*)$`, "m"))?.[1];
}

function loadCases(): Case[] {
  const files = readdirSync(BAD_DIR, { recursive: true, encoding: "utf8" }).filter((f) =>
    f.endsWith(".yaml"),
  );
  return files.flatMap((relative) => {
    const text = readFileSync(path.join(BAD_DIR, relative), "utf8");
    const line = header(text, "line");
    if (line === undefined) return [];
    const file = path.posix.join("test/manifest/bad", relative);
    const input = path.dirname(relative) === "." ? file : path.posix.dirname(file);
    return [
      {
        file,
        input,
        line: Number(line),
        message: header(text, "message") as string,
        path: header(text, "path"),
      },
    ];
  });
}

const cases = loadCases();

describe("bad manifest corpus", () => {
  it("has at least 40 cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  it.each(cases.map((c) => [path.basename(c.file, ".yaml"), c] as const))("%s", async (_name, c) => {
    const { errors } = await checkManifests([c.input], { rootDir: REPO_ROOT });
    expect(errors.map((e) => e.format())).toHaveLength(1);
    const [error] = errors;
    expect(error?.location).toMatchObject({ file: c.file, line: c.line });
    expect(error?.location?.field).toBe(c.path);
    expect(error?.message).toContain(c.message);
  });

  it.each(cases.map((c) => [path.basename(c.file, ".yaml"), c] as const))(
    "validate exits 1 with file:line for %s",
    async (_name, c) => {
      const io = captureIO(REPO_ROOT);
      const code = await validateCommand.run([c.input], io);
      expect(code).toBe(1);
      expect(io.out()).toContain(`${c.file}:${c.line}:`);
      expect(io.out()).toContain(c.message);
      expect(io.out()).toMatch(/, 1 error, 0 warnings\n$/);
      expect(io.all()).not.toMatch(/^\s+at /m);
    },
  );
});

/** Put in a value of every bad manifest: a stand-in for a secret pasted into the wrong field. */
const CANARY = "CANARY_7e3q";

describe("no value in any message", () => {
  it("every bad manifest carries the canary in a value", () => {
    const files = readdirSync(BAD_DIR, { recursive: true, encoding: "utf8" }).filter((f) =>
      f.endsWith(".yaml"),
    );
    const without = files.filter((f) => !readFileSync(path.join(BAD_DIR, f), "utf8").includes(CANARY));
    expect(without).toEqual([]);
  });

  it.each(["text", "json", "github"])("validate --format %s never prints the canary", async (format) => {
    const io = captureIO(REPO_ROOT);
    const code = await validateCommand.run(["--format", format, "test/manifest/bad"], io);
    expect(code).toBe(1);
    expect(io.out()).toContain("test/manifest/bad/string-inline-literal.yaml");
    expect(io.all()).not.toContain(CANARY);
  });
});
