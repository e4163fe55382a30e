/**
 * Bad input: every case is one UserError naming the manifest, the file and the path,
 * and never containing the plaintext (or any fragment of it).
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { isUserError, type UserError } from "../../src/errors.js";
import type { SecretValueSpec } from "../../src/manifest/spec.js";
import { clearDecryptCache, resolveValue } from "../../src/sources/index.js";
import { FIXTURES, TEST_ENV } from "./sops-helpers.js";

const MANIFEST = { file: "manifests/app.yaml", line: 7 };
const PASSWORD = "s3cr3t-p@ss";
const SECRETS_IN_BASIC = [PASSWORD, "s3cr3t", "p@ss", "9007199254740993", "päßwörd"];

beforeEach(() => clearDecryptCache());

/** A scratch project root holding a copy of a fixture, edited by `edit`. */
function scratchCopy(fixture: string, edit: (text: string) => string = (t) => t): string {
  const dir = mkdtempSync(join(tmpdir(), "sm-sops-"));
  writeFileSync(join(dir, fixture), edit(readFileSync(join(FIXTURES, fixture), "utf8")));
  return dir;
}

async function userErrorOf(spec: SecretValueSpec, rootDir: string, env = TEST_ENV): Promise<UserError> {
  const failure = await resolveValue(spec, { rootDir, env, manifest: MANIFEST }).then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!isUserError(failure)) throw new Error(`expected a UserError, got ${String(failure)}`);
  return failure;
}

function expectClean(error: UserError, mentions: string[]): void {
  const text = error.format();
  expect(text).toContain("manifests/app.yaml:7");
  for (const mention of mentions) expect(text).toContain(mention);
  for (const secret of SECRETS_IN_BASIC) expect(text).not.toContain(secret);
  expect(error.stack ?? "").not.toContain(PASSWORD);
}

const password = (file = "basic.enc.yaml", path = "db.password"): SecretValueSpec => ({
  kind: "string",
  ref: { fromSops: { file, path } },
});

/** Replaces the ENC[] value of `key:` in a YAML fixture with `replace(value)`. */
function editValue(key: string, replace: (enc: string) => string) {
  return (text: string) =>
    text.replace(new RegExp(`(\\n\\s*${key}: )(ENC\\[[^\\]]*\\])`), (_, head, enc) => head + replace(enc));
}

describe("sops input errors", () => {
  it("a tampered value fails authentication", async () => {
    const flip = (enc: string) => enc.replace(/data:(.)/, (_, c: string) => `data:${c === "A" ? "B" : "A"}`);
    const root = scratchCopy("basic.enc.yaml", editValue("password", flip));
    const error = await userErrorOf(password(), root);
    expectClean(error, ["basic.enc.yaml", "db.password", "failed authentication"]);
  });

  it("values swapped between keys fail authentication (the AAD binds each value to its path)", async () => {
    const original = readFileSync(join(FIXTURES, "basic.enc.yaml"), "utf8");
    const username = /\n\s*username: (ENC\[[^\]]*\])/.exec(original)?.[1] ?? "";
    const root = scratchCopy(
      "basic.enc.yaml",
      editValue("password", () => username),
    );
    const error = await userErrorOf(password(), root);
    expectClean(error, ["db.password", "failed authentication"]);
  });

  it("a tampered MAC is reported as such", async () => {
    const root = scratchCopy(
      "basic.enc.yaml",
      editValue("mac", (enc) => enc.replace(/data:(.)/, "data:Z")),
    );
    const error = await userErrorOf(password(), root);
    expectClean(error, ["basic.enc.yaml", "MAC"]);
  });

  it("an unencrypted value changed by hand is a MAC mismatch", async () => {
    const root = scratchCopy("basic.enc.yaml", (t) =>
      t.replace("count_unencrypted: 42", "count_unencrypted: 43"),
    );
    const error = await userErrorOf(password(), root);
    expectClean(error, ["MAC mismatch"]);
  });

  it("a wrong age key names the recipients and where keys were looked for", async () => {
    const env = {
      ...TEST_ENV,
      SOPS_AGE_KEY_FILE: join(__dirname, "../../examples/secrets/DEMO-ONLY-age-key.txt"),
    };
    const error = await userErrorOf(password(), FIXTURES, env);
    expectClean(error, ["basic.enc.yaml", "age1", "none matching", "DEMO-ONLY-age-key.txt"]);
    expect(error.format()).not.toContain("AGE-SECRET-KEY");
  });

  it("no key at all says so", async () => {
    const env = { PATH: TEST_ENV.PATH, HOME: "/nonexistent" };
    const error = await userErrorOf(password(), FIXTURES, env);
    expectClean(error, ["no age identity found", "keys.txt"]);
  });

  it("SOPS_AGE_KEY alone is enough", async () => {
    const identity = readFileSync(join(FIXTURES, "TEST-ONLY-age-key.txt"), "utf8").match(
      /AGE-SECRET-KEY-\S+/,
    )?.[0];
    const env = { PATH: TEST_ENV.PATH, HOME: "/nonexistent", SOPS_AGE_KEY: `  ${identity}\n` };
    const value = await resolveValue(password(), { rootDir: FIXTURES, env, manifest: MANIFEST });
    expect(value).toEqual({ kind: "string", text: PASSWORD });
  });

  it("a missing file names the file", async () => {
    const error = await userErrorOf(password("nope.enc.yaml"), FIXTURES);
    expectClean(error, ["nope.enc.yaml", "file not found"]);
  });

  it("a missing path names the first missing component", async () => {
    const error = await userErrorOf(password("basic.enc.yaml", "db.passwd"), FIXTURES);
    expectClean(error, ["db.passwd", 'nothing at ["db"]["passwd"]']);
  });

  it("a path into a non-map says so", async () => {
    const error = await userErrorOf(password("basic.enc.yaml", "db.password.inner"), FIXTURES);
    expectClean(error, ["db.password.inner", "not a map"]);
  });

  it("an index into a map in --extract form says so", async () => {
    const error = await userErrorOf(password("basic.enc.yaml", '["db"][0]'), FIXTURES);
    expectClean(error, ['["db"][0]', "indexes a map"]);
  });

  it("a malformed ENC[] string is named by its path", async () => {
    const root = scratchCopy(
      "basic.enc.yaml",
      editValue("password", (enc) => enc.replace(",iv:", ",vi:")),
    );
    const error = await userErrorOf(password(), root);
    expectClean(error, ["db.password", "not a valid sops ENC[] string"]);
  });

  it("a plaintext value where the rules require encryption is refused", async () => {
    const root = scratchCopy(
      "basic.enc.yaml",
      editValue("username", () => "sneaked-in"),
    );
    const error = await userErrorOf(password(), root);
    expectClean(error, ["db.username", "is not encrypted"]);
  });

  it("a file that is not sops-encrypted is refused", async () => {
    const root = mkdtempSync(join(tmpdir(), "sm-sops-"));
    writeFileSync(join(root, "plain.yaml"), `db:\n  password: ${PASSWORD}\n`);
    const error = await userErrorOf(password("plain.yaml"), root);
    expectClean(error, ["plain.yaml", "no sops metadata"]);
  });

  it("a binary file with a path is refused", async () => {
    const error = await userErrorOf(password("blob.enc.bin", "data"), FIXTURES);
    expectClean(error, ["blob.enc.bin", "binary sops file has no keys"]);
  });

  it("a key type only the sops binary handles, without sops on PATH, names the key type", async () => {
    const root = scratchCopy("basic.enc.yaml", (t) =>
      t.replace("sops:\n", "sops:\n    pgp:\n        - fp: 0123456789ABCDEF\n          enc: x\n"),
    );
    copyFileSync(join(FIXTURES, "TEST-ONLY-age-key.txt"), join(root, "key.txt"));
    const env = { PATH: "/nonexistent", HOME: "/nonexistent" };
    const error = await userErrorOf(password(), root, env);
    expectClean(error, ["PGP", "sops is not on PATH"]);
  });
});

describe("env errors", () => {
  const spec = (allowEmpty?: boolean): SecretValueSpec => ({
    kind: "string",
    ref: { fromEnv: "DB_PASSWORD", allowEmpty },
  });

  it("a missing variable names the variable and the manifest", async () => {
    const error = await userErrorOf(spec(), FIXTURES, {});
    expectClean(error, ["DB_PASSWORD", "is not set", "/spec/value"]);
  });

  it("an empty variable is an error unless allowEmpty", async () => {
    const error = await userErrorOf(spec(), FIXTURES, { DB_PASSWORD: "" });
    expectClean(error, ["DB_PASSWORD", "is empty", "allowEmpty"]);
    const ctx = { rootDir: FIXTURES, env: { DB_PASSWORD: "" }, manifest: MANIFEST };
    expect(await resolveValue(spec(true), ctx)).toEqual({ kind: "string", text: "" });
  });

  it("a JSON field error points at the field", async () => {
    const json: SecretValueSpec = {
      kind: "json",
      fields: Object.entries({ user: "app", password: { fromEnv: "NOPE_PW" } }),
    };
    const error = await userErrorOf(json, FIXTURES, {});
    expectClean(error, ["NOPE_PW", "/spec/value/json/password"]);
  });
});
