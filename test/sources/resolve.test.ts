/** resolveValue: JSON assembly, type keeping, binary bytes, env values, and the per-process cache. */
import { copyFileSync, mkdtempSync, readFileSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { clearDecryptCache, referencedFiles, resolveValue } from "../../src/sources/index.js";
import { DEMO_ENV, EXPECTED, FIXTURES, TEST_ENV, TEST_KEY_FILE } from "./sops-helpers.js";

const ctx = {
  rootDir: FIXTURES,
  env: { ...TEST_ENV, APP_USER: "from-env" },
  manifest: { file: "m.yaml", line: 1 },
};

beforeEach(() => clearDecryptCache());

describe("resolveValue", () => {
  it("assembles JSON in manifest order from literals, env and sops, keeping JSON types", async () => {
    const value = await resolveValue(
      {
        kind: "json",
        fields: Object.entries({
          "2": "literal first",
          user: { fromEnv: "APP_USER" },
          password: { fromSops: { file: "basic.enc.yaml", path: "db.password" } },
          port: { fromSops: { file: "basic.enc.yaml", path: "db.port" } },
          enabled: { fromSops: { file: "basic.enc.yaml", path: "db.enabled" } },
          big: { fromSops: { file: "basic.enc.yaml", path: "db.big" } },
          host: { fromSops: { file: "basic.enc.yaml", path: "hosts.2" } },
          ssl: false,
          none: null,
        }),
      },
      ctx,
    );
    expect(value.kind).toBe("json");
    if (value.kind !== "json") return;
    expect(value.text).toBe(
      '{"2":"literal first","user":"from-env","password":"s3cr3t-p@ss","port":5432,"enabled":true,' +
        '"big":9007199254740993,"host":{"port":8080,"tls":true},"ssl":false,"none":null}',
    );
    // JSON.rawJSON keeps the integer beyond 2^53 exact through JSON.stringify too.
    expect(JSON.stringify(value.fields.big)).toBe("9007199254740993");
    expect(value.fields.port).toBe(5432);
  });

  it("a whole document (no path) keeps file order, even for integer-like keys", async () => {
    const value = await resolveValue(
      { kind: "json", fields: Object.entries({ doc: { fromSops: { file: "basic.enc.json" } } }) },
      ctx,
    );
    const expected = readFileSync(join(EXPECTED, "basic.enc.json.json"), "utf8");
    // JSON.parse moves "2"/"10" first, so compare against sops' own order instead.
    expect(value.kind === "json" && value.text.indexOf('"10"') < value.text.indexOf('"2"')).toBe(true);
    expect(value.kind === "json" && JSON.parse(value.text).doc).toEqual(JSON.parse(expected));
  });

  it("a binary file gives its exact bytes, invalid UTF-8 included", async () => {
    const value = await resolveValue({ kind: "binary", ref: { fromSops: { file: "blob.enc.bin" } } }, ctx);
    const plain = readFileSync(join(FIXTURES, "plain/blob.bin"));
    expect(value.kind === "binary" && value.bytes.equals(plain)).toBe(true);
  });

  it("a JSON field is what sops' JSON output holds: -0 kept, one \\ufffd per byte that is not UTF-8", async () => {
    const value = await resolveValue(
      {
        kind: "json",
        fields: Object.entries({
          zero: { fromSops: { file: "edge.enc.yaml", path: "neg_zero_float" } },
          latin1: { fromSops: { file: "bytes.enc.env", path: "LATIN1" } },
        }),
      },
      ctx,
    );
    expect(value.kind === "json" && value.text).toBe('{"zero":-0,"latin1":"caf\\ufffd"}');
  });

  it("bytes that are not UTF-8: exact as binary, refused as a string", async () => {
    const ref = { fromSops: { file: "bytes.enc.env", path: "LATIN1" } };
    const binary = await resolveValue({ kind: "binary", ref }, ctx);
    expect(binary.kind === "binary" && binary.bytes.toString("hex")).toBe("636166e9");
    await expect(resolveValue({ kind: "string", ref }, ctx)).rejects.toThrow(
      "fromSops bytes.enc.env (path LATIN1): the value is not UTF-8 text",
    );
  });

  it("NaN and infinities are refused as sops refuses them, naming the path", async () => {
    const field = { fromSops: { file: "nonfinite.enc.yaml", path: "nested" } };
    await expect(resolveValue({ kind: "json", fields: Object.entries({ x: field }) }, ctx)).rejects.toThrow(
      "fromSops nonfinite.enc.yaml (path nested): the value holds +Inf, which JSON cannot represent",
    );
    const finite = { fromSops: { file: "nonfinite.enc.yaml", path: "finite" } };
    await expect(
      resolveValue({ kind: "json", fields: Object.entries({ x: finite }) }, ctx),
    ).resolves.toMatchObject({
      text: '{"x":1.5}',
    });
  });

  it("lists the sops files a spec reads", () => {
    const spec = {
      kind: "json" as const,
      fields: Object.entries({
        a: { fromSops: { file: "x.enc.yaml", path: "a" } },
        b: { fromSops: { file: "x.enc.yaml", path: "b" } },
        c: { fromEnv: "C" },
        d: { fromSops: { file: "y.enc.env" } },
      }),
    };
    expect(referencedFiles(spec)).toEqual(["x.enc.yaml", "y.enc.env"]);
  });
});

describe("decryption cache", () => {
  it("decrypts a file once for many concurrent references", async () => {
    // SOPS_AGE_KEY_CMD runs once per decryption; it appends a line to a counter file.
    const counter = join(mkdtempSync(join(tmpdir(), "sm-cache-")), "runs");
    const env = {
      PATH: TEST_ENV.PATH,
      HOME: "/nonexistent",
      SOPS_AGE_KEY_CMD: `echo run >> ${counter}; cat ${TEST_KEY_FILE}`,
    };
    const refs = Array.from({ length: 50 }, (_, i) => ({
      kind: "string" as const,
      ref: { fromSops: { file: "big.enc.yaml", path: `key${String(i).padStart(4, "0")}` } },
    }));
    const values = await Promise.all(refs.map((spec) => resolveValue(spec, { ...ctx, env })));
    expect(values[7]).toEqual({ kind: "string", text: "value-0007-xxxxxxxxxxxxxxxx" });
    await resolveValue(refs[0] as (typeof refs)[number], { ...ctx, env });
    expect(readFileSync(counter, "utf8")).toBe("run\n");
  });

  it("is keyed by the key material: after a success, a wrong or missing key still fails", async () => {
    const spec = {
      kind: "string" as const,
      ref: { fromSops: { file: "basic.enc.yaml", path: "db.password" } },
    };
    const withEnv = (env: NodeJS.ProcessEnv) => resolveValue(spec, { ...ctx, env });
    const noKey = { PATH: TEST_ENV.PATH, HOME: "/nonexistent" };
    await expect(withEnv(TEST_ENV)).resolves.toEqual({ kind: "string", text: "s3cr3t-p@ss" });
    await expect(withEnv({ ...TEST_ENV, SOPS_AGE_KEY_FILE: DEMO_ENV.SOPS_AGE_KEY_FILE })).rejects.toThrow(
      "none matching",
    );
    await expect(withEnv(noKey)).rejects.toThrow("no age identity found");
    // Concurrent lookups with different keys do not join each other either.
    const [right, wrong] = await Promise.allSettled([withEnv(TEST_ENV), withEnv(DEMO_ENV)]);
    expect(right.status).toBe("fulfilled");
    expect(wrong.status).toBe("rejected");
    // The key file's content is key material too: same path, other key, no cached value.
    const keyFile = join(mkdtempSync(join(tmpdir(), "sm-key-")), "keys.txt");
    copyFileSync(TEST_KEY_FILE, keyFile);
    await expect(withEnv({ ...noKey, SOPS_AGE_KEY_FILE: keyFile })).resolves.toMatchObject({
      kind: "string",
    });
    copyFileSync(DEMO_ENV.SOPS_AGE_KEY_FILE as string, keyFile);
    utimesSync(keyFile, new Date(), new Date(Date.now() + 5000));
    await expect(withEnv({ ...noKey, SOPS_AGE_KEY_FILE: keyFile })).rejects.toThrow("none matching");
  });
});
