/**
 * Every reference checked offline: no key is available to these tests (HOME and the sops key
 * variables are not used by the loader), yet a wrong path, a file that is not sops or a
 * value kind the file cannot give is caught, and the key types each file needs are reported.
 */
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { validateCommand } from "../../src/cli/commands/validate";
import { UserErrors } from "../../src/errors";
import { checkManifests, loadManifests } from "../../src/manifest/index";
import { captureIO, REPO_ROOT } from "./support";

const FIXTURES = path.join(REPO_ROOT, "test", "fixtures", "sops");

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), "manifest-refs-"));
  mkdirSync(path.join(root, "secrets"));
  for (const name of ["basic.enc.yaml", "basic.enc.json", "basic.enc.env", "basic.enc.ini", "blob.enc.bin"]) {
    copyFileSync(path.join(FIXTURES, name), path.join(root, "secrets", name));
  }
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function write(file: string, text: string): void {
  mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  writeFileSync(path.join(root, file), text);
}

function manifest(name: string, value: string): string {
  return `apiVersion: secret-manifests/v1\nkind: Secret\nmetadata:\n  name: ${name}\nspec:\n  value:\n${value}`;
}

const sopsString = (file: string, keyPath?: string) =>
  `    string: { fromSops: { file: ${file}${keyPath === undefined ? "" : `, path: '${keyPath}'`} } }\n`;

async function messages(paths: string[], opts = {}): Promise<string[]> {
  const { errors } = await checkManifests(paths, { rootDir: root, ...opts });
  return errors.map((e) => e.format());
}

describe("sops references checked offline", () => {
  it("accepts a path into every readable format, and a binary file for every value kind", async () => {
    write(
      "ok.yaml",
      [
        manifest("app/yaml", sopsString("secrets/basic.enc.yaml", "db.password")),
        manifest("app/yaml-extract", sopsString("secrets/basic.enc.yaml", '["db"]["password"]')),
        manifest("app/json-list", sopsString("secrets/basic.enc.json", '["list"][4]["x"]')),
        manifest("app/json", sopsString("secrets/basic.enc.json", "db.port")),
        manifest("app/json-numeric-key", sopsString("secrets/basic.enc.json", "10")),
        manifest("app/dotenv", sopsString("secrets/basic.enc.env", "DB_PASSWORD")),
        manifest("app/ini", sopsString("secrets/basic.enc.ini", "database.password")),
        manifest("app/whole", sopsString("secrets/basic.enc.yaml")),
        manifest("app/text-from-binary", sopsString("secrets/blob.enc.bin")),
        manifest("app/binary", "    binary: { fromSops: { file: secrets/blob.enc.bin } }\n"),
        manifest(
          "app/json-fields",
          "    json:\n      a: { fromSops: { file: secrets/basic.enc.ini, path: api.token } }\n      b: 1\n",
        ),
      ].join("---\n"),
    );
    const check = await checkManifests(["ok.yaml"], { rootDir: root });
    expect(check.errors.map((e) => e.format())).toEqual([]);
    expect(check.specs).toHaveLength(11);
    expect(check.sopsFiles.map((f) => [f.file, f.format, f.keyTypes])).toEqual([
      ["secrets/basic.enc.env", "dotenv", ["age"]],
      ["secrets/basic.enc.ini", "ini", ["age"]],
      ["secrets/basic.enc.json", "json", ["age"]],
      ["secrets/basic.enc.yaml", "yaml", ["age"]],
      ["secrets/blob.enc.bin", "binary", ["age"]],
    ]);
  });

  it("suggests the near miss in dotenv and INI files, listing the keys but never the path given", async () => {
    write("env.yaml", manifest("app/env", sopsString("secrets/basic.enc.env", "DB_PASWORD")));
    write("ini.yaml", manifest("app/ini", sopsString("secrets/basic.enc.ini", "databse.password")));
    write("list.yaml", manifest("app/list", sopsString("secrets/basic.enc.json", "list.9")));
    expect(await messages(["env.yaml", "ini.yaml", "list.yaml"])).toEqual([
      "env.yaml:7:62: spec.value.string.fromSops.path: segment 1 finds nothing at the top level of the sops file (at /spec/value/string/fromSops/path)\n" +
        "  hint: did you mean `DB_PASSWORD`? keys there: `DB_PASSWORD`, `DB_USER`, `EMPTY`, `QUOTED`, `foo `, `SPACED`, `MULTI`, `UNICODE`, `EQUALS`",
      "ini.yaml:7:62: spec.value.string.fromSops.path: segment 1 finds nothing at the top level of the sops file (at /spec/value/string/fromSops/path)\n" +
        "  hint: did you mean `database`? keys there: `DEFAULT`, `database`, `api`",
      'list.yaml:7:63: spec.value.string.fromSops.path: segment 2 finds nothing under ["list"] in the sops file (at /spec/value/string/fromSops/path)\n' +
        "  hint: the list there has 6 item(s), indexed from 0",
    ]);
  });

  it("reports the key types each file needs: age, KMS, PGP and several key groups, read from the clear-text metadata", async () => {
    const yaml = readFileSync(path.join(FIXTURES, "basic.enc.yaml"), "utf8");
    const kmsBlock =
      "    kms:\n        - arn: arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab\n          enc: AQICAHh\n";
    const pgp =
      "    pgp:\n        - fp: 85D77543B3D624B63CEA9E6DBC17301B491B3F21\n          enc: '-----BEGIN PGP MESSAGE-----'\n";
    write("secrets/mixed.enc.yaml", yaml.replace("\nsops:\n", `\nsops:\n${kmsBlock}${pgp}`));
    const groups =
      "    key_groups:\n        - age:\n            - recipient: age1x\n              enc: x\n        - kms:\n            - arn: arn:aws:kms:eu-west-1:111122223333:alias/a\n              enc: x\n";
    write("secrets/shamir.enc.yaml", yaml.replace("\nsops:\n", `\nsops:\n${groups}`));
    write(
      "m.yaml",
      [
        manifest("app/mixed", sopsString("secrets/mixed.enc.yaml", "db.password")),
        manifest("app/shamir", sopsString("secrets/shamir.enc.yaml", "db.password")),
      ].join("---\n"),
    );
    const check = await checkManifests(["m.yaml"], { rootDir: root });
    expect(check.errors).toEqual([]);
    const kms = (arn: string) => [{ arn }];
    expect(check.sopsFiles).toEqual([
      {
        file: "secrets/mixed.enc.yaml",
        format: "yaml",
        keyTypes: ["age", "kms", "pgp"],
        keyGroups: 1,
        kmsKeys: kms("arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
      },
      {
        file: "secrets/shamir.enc.yaml",
        format: "yaml",
        keyTypes: ["age", "kms"],
        keyGroups: 2,
        kmsKeys: kms("arn:aws:kms:eu-west-1:111122223333:alias/a"),
      },
    ]);
    const io = captureIO(root);
    expect(await validateCommand.run(["m.yaml"], io)).toBe(0);
    expect(io.out()).toBe(
      "sops keys needed: age (2 files), kms (2 files), pgp (1 file); 1 file with several key groups (the sops binary decrypts those)\n" +
        "1 file, 2 manifests, 2 secrets, 0 errors, 0 warnings\n",
    );
    const json = captureIO(root);
    expect(await validateCommand.run(["--format", "json", "m.yaml"], json)).toBe(0);
    expect(JSON.parse(json.out())).toMatchObject({
      keyTypes: ["age", "kms", "pgp"],
      sopsFiles: check.sopsFiles,
    });
  });

  it("odd file names give clean errors: a NUL byte, a file used as a folder, a symlink loop", async () => {
    symlinkSync("loop-b.enc.yaml", path.join(root, "secrets", "loop-a.enc.yaml"));
    symlinkSync("loop-a.enc.yaml", path.join(root, "secrets", "loop-b.enc.yaml"));
    write(
      "odd.yaml",
      [
        // A YAML escape: the file name holds a NUL byte.
        manifest("app/nul", sopsString('"secrets/a\\0b.enc.yaml"', "x")),
        manifest("app/through-file", sopsString("secrets/basic.enc.yaml/inner.enc.yaml", "x")),
        manifest("app/loop", sopsString("secrets/loop-a.enc.yaml", "x")),
      ].join("---\n"),
    );
    const found = await messages(["odd.yaml"]);
    expect(found).toHaveLength(3);
    for (const message of found)
      expect(message).toMatch(
        /^odd\.yaml:\d+:\d+: spec\.value\.string\.fromSops\.file names a sops file that does not exist/,
      );
  });

  it("checks each file once however many references read it", async () => {
    const docs = Array.from({ length: 50 }, (_, i) =>
      manifest(`app/s${i}`, sopsString("secrets/basic.enc.yaml", "db.password")),
    );
    write("many.yaml", docs.join("---\n"));
    const check = await checkManifests(["many.yaml"], { rootDir: root });
    expect(check.errors).toEqual([]);
    expect(check.sopsFiles).toHaveLength(1);
  });

  it("runs in the loader that pulumi preview and up use: one bad reference, nothing returned", async () => {
    write("good.yaml", manifest("app/good", sopsString("secrets/basic.enc.yaml", "db.password")));
    write("bad.yaml", manifest("app/bad", sopsString("secrets/basic.enc.yaml", "db.pasword")));
    const failure = await loadManifests(["."], { rootDir: root }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(UserErrors);
    expect((failure as UserErrors).format()).toContain(
      'bad.yaml:7:63: spec.value.string.fromSops.path: segment 2 finds nothing under ["db"] in the sops file',
    );
  });
});

describe("reads confined to the project root", () => {
  let outside: string;
  beforeEach(() => {
    outside = mkdtempSync(path.join(tmpdir(), "manifest-outside-"));
    copyFileSync(path.join(FIXTURES, "basic.enc.yaml"), path.join(outside, "other.enc.yaml"));
  });
  afterEach(() => rmSync(outside, { recursive: true, force: true }));

  it("refuses absolute paths, `..` out of the root and symlinks out of it, with file:line and field", async () => {
    const outsideFile = path.join(outside, "other.enc.yaml");
    symlinkSync(outsideFile, path.join(root, "secrets", "link.enc.yaml"));
    symlinkSync(outside, path.join(root, "linked-folder"));
    write("abs.yaml", manifest("app/abs", sopsString(outsideFile, "db.password")));
    write("up.yaml", manifest("app/up", sopsString(path.relative(root, outsideFile), "db.password")));
    write("link.yaml", manifest("app/link", sopsString("secrets/link.enc.yaml", "db.password")));
    write("folder.yaml", manifest("app/folder", sopsString("linked-folder/other.enc.yaml", "db.password")));
    write("probe.yaml", manifest("app/probe", sopsString("linked-folder/missing.enc.yaml", "db.password")));
    const found = await messages(["abs.yaml", "up.yaml", "link.yaml", "folder.yaml", "probe.yaml"]);
    expect(found.map((m) => m.split("\n")[0])).toEqual([
      "abs.yaml:7:33: spec.value.string.fromSops.file is an absolute path; references must stay inside the project root (at /spec/value/string/fromSops/file)",
      "folder.yaml:7:33: spec.value.string.fromSops.file leads out of the project root through a symlink (at /spec/value/string/fromSops/file)",
      "link.yaml:7:33: spec.value.string.fromSops.file leads out of the project root through a symlink (at /spec/value/string/fromSops/file)",
      // A missing file behind the symlink gets the same answer: no probing for files outside.
      "probe.yaml:7:33: spec.value.string.fromSops.file leads out of the project root through a symlink (at /spec/value/string/fromSops/file)",
      "up.yaml:7:33: spec.value.string.fromSops.file climbs out of the project root with `..` (at /spec/value/string/fromSops/file)",
    ]);
    for (const message of found) expect(message).not.toContain(outside);
    expect(found[0]).toContain("--allow-outside-root");
  });

  it("allows a symlink that stays inside the root, and everything with the explicit opt-out", async () => {
    symlinkSync(path.join(root, "secrets"), path.join(root, "alias"));
    write("inside.yaml", manifest("app/inside", sopsString("alias/basic.enc.yaml", "db.password")));
    expect(await messages(["inside.yaml"])).toEqual([]);
    const outsideFile = path.join(outside, "other.enc.yaml");
    write("abs.yaml", manifest("app/abs", sopsString(outsideFile, "db.password")));
    write("up.yaml", manifest("app/up", sopsString(path.relative(root, outsideFile), "db.password")));
    expect(await messages(["abs.yaml", "up.yaml"], { allowReadsOutsideRoot: true })).toEqual([]);
  });

  it("validate --root sets the root (paths on the command line stay relative to the current folder); --allow-outside-root opts out", async () => {
    write(
      "service/manifests/m.yaml",
      manifest("app/m", sopsString("../../secrets/basic.enc.yaml", "db.password")),
    );
    const serviceDir = path.join(root, "service");
    const confined = captureIO(serviceDir);
    expect(await validateCommand.run(["manifests"], confined)).toBe(1);
    expect(confined.out()).toContain(
      "manifests/m.yaml:7:33: spec.value.string.fromSops.file climbs out of the project root",
    );
    const widerRoot = captureIO(serviceDir);
    expect(await validateCommand.run(["--root", "..", "manifests"], widerRoot)).toBe(0);
    expect(widerRoot.out()).toBe(
      "sops keys needed: age (1 file)\n1 file, 1 manifest, 1 secret, 0 errors, 0 warnings\n",
    );
    const optedOut = captureIO(serviceDir);
    expect(await validateCommand.run(["--allow-outside-root", "manifests"], optedOut)).toBe(0);
  });
});
