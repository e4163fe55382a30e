/**
 * Native decryption against what the real sops printed, byte for byte, for every committed
 * sops file (test/fixtures/sops/generate.sh: files from sops 3.13.2 and 3.8.1, hand-edited
 * and derived files that sops accepts or refuses, the examples): the whole first document as
 * `sops decrypt --output-type json` prints it (raw bytes for binary files), and each
 * `--extract` of extracts.tsv. Where sops refused, the native side must refuse too. The
 * expected outputs are committed, so this needs no sops binary; when one is on PATH, the last
 * block checks that the committed outputs are still what it prints.
 */
import { isUtf8 } from "node:buffer";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { UserError } from "../../src/errors.js";
import { emitJson, SOPS_JSON, UnsupportedJsonValue } from "../../src/sources/emit.js";
import { clearDecryptCache, decryptFile, resolveValue } from "../../src/sources/index.js";
import { SopsFileError } from "../../src/sources/sops/index.js";
import { EXPECTED, FIXTURES, fixtureFiles, realSops, sopsOnPath, TEST_ENV } from "./sops-helpers.js";

const ctx = { rootDir: FIXTURES, env: TEST_ENV, manifest: { file: "manifests/app.yaml", line: 1 } };

beforeEach(() => clearDecryptCache());

type Expected = { refused: true } | { refused: false; bytes: Buffer };

/** The committed output at BASE plus one of SUFFIXES, or the refusal at BASE.refused. */
function expectedAt(base: string, suffix: ".json" | ".out"): Expected {
  if (existsSync(`${base}.refused`)) return { refused: true };
  return { refused: false, bytes: readFileSync(`${base}${suffix}`) };
}

async function nativeWholeFile(path: string, env: NodeJS.ProcessEnv): Promise<Expected> {
  try {
    const file = await decryptFile(path, { env });
    if (file.format === "binary") return { refused: false, bytes: file.bytes };
    return { refused: false, bytes: Buffer.from(`${emitJson(file.document, SOPS_JSON)}\n`, "utf8") };
  } catch (error) {
    if (error instanceof SopsFileError || error instanceof UnsupportedJsonValue) return { refused: true };
    throw error;
  }
}

const fixtures = fixtureFiles();
const suffixOf = (path: string) => (/\.enc\.(yaml|json|env|ini)$/.test(path) ? ".json" : ".out");

describe("native decryption equals sops decrypt --output-type json", () => {
  it("has the full fixture set: 26 from sops 3.13.2, 11 from sops 3.8.1, 9 derived, 3 demo files; 8 refused", () => {
    expect(fixtures).toHaveLength(49);
    expect(fixtures.filter((f) => existsSync(`${f.expected}.refused`))).toHaveLength(8);
  });

  it.each(fixtures.map((f) => [f.path.slice(FIXTURES.length - "sops".length), f] as const))(
    "%s",
    async (_, { path, env, expected }) => {
      const want = expectedAt(expected, suffixOf(path));
      const got = await nativeWholeFile(path, env);
      expect(got.refused).toBe(want.refused);
      if (!got.refused && !want.refused) expect(got.bytes.toString("hex")).toBe(want.bytes.toString("hex"));
    },
  );
});

interface Extract {
  n: string;
  file: string;
  extract: string;
  dotted: string;
}

/** extracts.tsv: file, --extract path, the same path dotted (may be empty). */
const extracts: Extract[] = readFileSync(join(FIXTURES, "extracts.tsv"), "utf8")
  .split("\n")
  .filter((line) => line !== "" && !line.startsWith("#"))
  .map((line, i) => {
    const [file = "", extract = "", dotted = ""] = line.split("\t");
    return { n: String(i + 1).padStart(3, "0"), file, extract, dotted };
  });

describe("a fromSops reference equals sops decrypt --output-type json --extract", () => {
  it("has every extract of extracts.tsv, 7 of them refused by sops", () => {
    expect(extracts).toHaveLength(95);
    const refused = extracts.filter(({ n }) => existsSync(join(EXPECTED, "extracts", `${n}.refused`)));
    expect(refused).toHaveLength(7);
  });

  it.each(extracts.map((e) => [`${e.n} ${e.file} ${e.extract}`, e] as const))(
    "%s",
    async (_, { n, file, extract, dotted }) => {
      const want = expectedAt(join(EXPECTED, "extracts", n), ".out");
      for (const path of dotted ? [extract, dotted] : [extract]) {
        const asString = resolveValue({ kind: "string", ref: { fromSops: { file, path } } }, ctx);
        if (want.refused) {
          await expect(asString).rejects.toThrow(UserError);
          await expect(asString).rejects.toThrow(`fromSops ${file} (path ${path})`);
        } else if (isUtf8(want.bytes)) {
          expect(await asString).toEqual({ kind: "string", text: want.bytes.toString("utf8") });
        } else {
          // sops prints the raw bytes; a SecretString cannot hold them, a binary secret can.
          await expect(asString).rejects.toThrow("not UTF-8 text");
          const asBinary = await resolveValue({ kind: "binary", ref: { fromSops: { file, path } } }, ctx);
          expect(asBinary.kind === "binary" && asBinary.bytes.toString("hex")).toBe(
            want.bytes.toString("hex"),
          );
        }
      }
    },
  );
});

describe.runIf(sopsOnPath())("the committed outputs are what the sops on PATH prints", () => {
  const run = (args: string[], env: NodeJS.ProcessEnv): Expected => {
    try {
      return { refused: false, bytes: realSops(args, env) };
    } catch (error) {
      if ((error as { status?: number }).status) return { refused: true };
      throw error;
    }
  };

  it.each(fixtures.map((f) => [f.path.slice(FIXTURES.length - "sops".length), f] as const))(
    "%s",
    (_, { path, env, expected }) => {
      const suffix = suffixOf(path);
      const args = suffix === ".json" ? ["decrypt", "--output-type", "json", path] : ["decrypt", path];
      expect(run(args, env)).toEqual(expectedAt(expected, suffix));
    },
  );

  it("every extract", () => {
    for (const { n, file, extract } of extracts) {
      const args = ["decrypt", "--output-type", "json", "--extract", extract, join(FIXTURES, file)];
      expect(run(args, TEST_ENV), `extract ${n}`).toEqual(expectedAt(join(EXPECTED, "extracts", n), ".out"));
    }
  });
});
