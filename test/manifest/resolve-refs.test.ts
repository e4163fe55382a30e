/**
 * What the loader records reaches resolution: a failing reference is reported at its own
 * line (not the document's), and the provider refuses reads outside the project root too.
 */
import { copyFileSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isUserError, type UserError } from "../../src/errors";
import { loadManifests, type SecretSpec } from "../../src/manifest/index";
import type { SecretValueSpec } from "../../src/manifest/spec";
import { clearDecryptCache, type ResolveContext, resolveValue } from "../../src/sources/index";
import { REPO_ROOT } from "./support";

const FIXTURES = path.join(REPO_ROOT, "test", "fixtures", "sops");
const KEY_ENV = { SOPS_AGE_KEY_FILE: path.join(FIXTURES, "TEST-ONLY-age-key.txt"), HOME: "/nonexistent" };

let root: string;
beforeEach(() => {
  clearDecryptCache();
  root = mkdtempSync(path.join(tmpdir(), "resolve-refs-"));
  copyFileSync(path.join(FIXTURES, "basic.enc.yaml"), path.join(root, "basic.enc.yaml"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const MANIFEST = `apiVersion: secret-manifests/v1
kind: Secret
metadata:
  name: app/config
spec:
  value:
    json:
      user: app
      password:
        fromSops:
          file: basic.enc.yaml
          path: db.password
      token: { fromEnv: APP_TOKEN }
`;

async function loadOne(text: string): Promise<SecretSpec> {
  writeFileSync(path.join(root, "m.yaml"), text);
  const { specs } = await loadManifests(["m.yaml"], { rootDir: root });
  return specs[0] as SecretSpec;
}

async function failure(spec: SecretSpec, ctx: Partial<ResolveContext> = {}): Promise<UserError> {
  const error = await resolveValue(spec.value as SecretValueSpec, {
    rootDir: root,
    env: KEY_ENV,
    manifest: spec.source,
    ...ctx,
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isUserError(error)) throw new Error(`expected a UserError, got ${String(error)}`);
  return error;
}

describe("errors at resolution point at the reference", () => {
  it("a missing environment variable: the line of fromEnv, not of the document", async () => {
    const error = await failure(await loadOne(MANIFEST));
    expect(error.location).toEqual({ file: "m.yaml", line: 13, field: "/spec/value/json/token/fromEnv" });
  });

  it("the same lines when the file takes the full YAML parser (a tag makes the fast path decline)", async () => {
    const spec = await loadOne(MANIFEST.replace("user: app", "user: !!str app"));
    expect(spec.source.lines).toEqual((await loadOne(MANIFEST)).source.lines);
    expect(spec.source.lines?.["/spec/value/json/password/fromSops/path"]).toBe(12);
  });

  it("a JSON field whose quoted key holds `/` and `~` (escaped in the pointer)", async () => {
    const spec = await loadOne(
      MANIFEST.replace("token: { fromEnv: APP_TOKEN }", '"a/b~c": { fromEnv: APP_TOKEN }'),
    );
    const error = await failure(spec);
    expect(error.location).toEqual({ file: "m.yaml", line: 13, field: "/spec/value/json/a~1b~0c/fromEnv" });
  });

  it("a sops file gone since validation: the line of its file field", async () => {
    const spec = await loadOne(MANIFEST);
    await unlink(path.join(root, "basic.enc.yaml"));
    const error = await failure(spec, { env: { ...KEY_ENV, APP_TOKEN: "t" } });
    expect(error.location).toEqual({
      file: "m.yaml",
      line: 11,
      field: "/spec/value/json/password/fromSops/file",
    });
  });

  it("a string value's variable, in block style", async () => {
    const spec = await loadOne(
      "apiVersion: secret-manifests/v1\nkind: Secret\nmetadata:\n  name: app/s\nspec:\n  value:\n    string:\n      fromEnv: NOT_SET\n",
    );
    const error = await failure(spec, { env: {} });
    expect(error.location).toEqual({ file: "m.yaml", line: 8, field: "/spec/value/string/fromEnv" });
  });
});

describe("resolution stays in the project root", () => {
  const spec = (file: string): SecretValueSpec => ({
    kind: "string",
    ref: { fromSops: { file, path: "db.password" } },
  });
  const manifest = { file: "m.yaml", line: 1 };

  it("refuses an absolute path, `..` and a symlink out of the root before reading anything", async () => {
    const outside = mkdtempSync(path.join(tmpdir(), "resolve-outside-"));
    try {
      copyFileSync(path.join(FIXTURES, "basic.enc.yaml"), path.join(outside, "x.enc.yaml"));
      symlinkSync(path.join(outside, "x.enc.yaml"), path.join(root, "link.enc.yaml"));
      const cases: Array<[string, string]> = [
        [path.join(outside, "x.enc.yaml"), "is an absolute path"],
        [path.relative(root, path.join(outside, "x.enc.yaml")), "climbs out of the project root"],
        ["link.enc.yaml", "leads out of the project root through a symlink"],
      ];
      for (const [file, message] of cases) {
        const error = await resolveValue(spec(file), { rootDir: root, env: KEY_ENV, manifest }).catch(
          (e) => e,
        );
        expect(isUserError(error)).toBe(true);
        expect(error.message).toContain(message);
        expect(error.location.field).toBe("/spec/value/string/fromSops/file");
      }
      // The explicit opt-out reads it, byte for byte.
      const opted = await resolveValue(spec(path.join(outside, "x.enc.yaml")), {
        rootDir: root,
        env: KEY_ENV,
        manifest,
        allowReadsOutsideRoot: true,
      });
      const inside = await resolveValue(spec("basic.enc.yaml"), { rootDir: root, env: KEY_ENV, manifest });
      expect(opted.kind === "string" && Buffer.from(opted.text)).toEqual(
        inside.kind === "string" && Buffer.from(inside.text),
      );
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
