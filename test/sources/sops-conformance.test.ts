/**
 * Every fixture (made by the real sops + age, test/fixtures/sops/generate.sh) decrypted
 * natively must equal the real `sops decrypt` output byte for byte: the whole first document
 * as sops' JSON store prints it (`--output-type json`), raw bytes for binary files, and
 * `--extract` for several paths.
 */
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { emitJson, SOPS_JSON } from "../../src/sources/emit.js";
import { clearDecryptCache, decryptFile, resolveValue } from "../../src/sources/index.js";
import { FIXTURES, fixtureFiles, realSops, TEST_ENV } from "./sops-helpers.js";

const ctx = { rootDir: FIXTURES, env: TEST_ENV, manifest: { file: "manifests/app.yaml", line: 1 } };

beforeEach(() => clearDecryptCache());

describe("native decryption equals sops decrypt", () => {
  const files = fixtureFiles();

  it("has the full fixture set: 13 test fixtures and 3 demo files", () => {
    expect(files.length).toBe(16);
  });

  it.each(files)("%s", async (path, env) => {
    const native = await decryptFile(path, { env });
    if (native.format === "binary") {
      expect(native.bytes.equals(realSops(["decrypt", path], env))).toBe(true);
    } else {
      const expected = realSops(["decrypt", "--output-type", "json", path], env).toString("utf8");
      expect(`${emitJson(native.document, SOPS_JSON)}\n`).toBe(expected);
    }
  });
});

const EXTRACTS: Array<[file: string, extract: string, dotted: string]> = [
  ["basic.enc.yaml", '["db"]["password"]', "db.password"],
  ["basic.enc.yaml", '["db"]["port"]', "db.port"],
  ["basic.enc.yaml", '["db"]["tiny"]', "db.tiny"],
  ["basic.enc.yaml", '["db"]["huge"]', "db.huge"],
  ["basic.enc.yaml", '["db"]["enabled"]', "db.enabled"],
  ["basic.enc.yaml", '["db"]["big"]', "db.big"],
  ["basic.enc.yaml", '["db"]["empty"]', "db.empty"],
  ["basic.enc.yaml", '["db"]', "db"],
  ["basic.enc.yaml", '["hosts"][1]', "hosts.1"],
  ["basic.enc.yaml", '["hosts"][2]', "hosts.2"],
  ["basic.enc.yaml", '["2"]', "2"],
  ["basic.enc.yaml", '["unicode"]', "unicode"],
  ["basic.enc.yaml", '["multiline"]', "multiline"],
  ["basic.enc.yaml", '["when"]', "when"],
  ["basic.enc.yaml", '["nested"]["deeper"]["deepest"][0]', "nested.deeper.deepest.0"],
  ["basic.enc.yaml", '["count_unencrypted"]', "count_unencrypted"],
  ["basic.enc.json", '["html"]', "html"],
  ["basic.enc.json", '["list"]', "list"],
  ["basic.enc.json", '["db"]["exp"]', "db.exp"],
  ["basic.enc.json", '["escaped"]', "escaped"],
  ["basic.enc.env", '["foo "]', "foo "],
  ["basic.enc.env", '["MULTI"]', "MULTI"],
  ["basic.enc.ini", '["database"]["password"]', "database.password"],
  ["unicode.enc.yaml", '["名前"]', "名前"],
  ["regex.enc.yaml", '["service"]', "service"],
  ["mac-only.enc.yaml", '["port"]', "port"],
  ["big.enc.yaml", '["key0999"]', "key0999"],
];

describe("a kind:string reference equals sops decrypt --output-type json --extract", () => {
  it.each(EXTRACTS)("%s %s", async (file, extract, dotted) => {
    const expected = realSops([
      "decrypt",
      "--output-type",
      "json",
      "--extract",
      extract,
      join(FIXTURES, file),
    ]);
    for (const path of [extract, dotted]) {
      const value = await resolveValue({ kind: "string", ref: { fromSops: { file, path } } }, ctx);
      expect(value).toEqual({ kind: "string", text: expected.toString("utf8") });
    }
  });
});
