/**
 * The no-code path as users run it: `pulumi up` on a Pulumi.yaml whose `main` is the
 * package's program, with the real CLI and Node.js language host, against moto.
 * - the README quickstart, its commands taken from README.md as written, in a fresh folder
 *   with the package installed from the tarball `npm pack` makes;
 * - this repository's own root Pulumi.yaml over examples/, the manifests folder given as
 *   plain text.
 */
import { copyFileSync, cpSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from "node:fs";
import path from "node:path";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { setContractRules } from "../support/aws-contract";
import { REPO_ROOT, run } from "../support/pulumi";
import { packPackage, removeFolders, runScript, type UserFolder, userFolder } from "../support/user-shell";

const STACK_FRAME = /\n\s+at .*[.](js|ts):\d+/;
const NODE_WARNING = /\(node:\d+\) \w*Warning/;

/** The fenced block after the README's quickstart marker, exactly as a reader copies it. */
function readmeQuickstart(readme: string): string {
  const block = /<!-- quickstart:[^>]*-->\s*```sh\n([\s\S]*?)\n```/.exec(readme)?.[1];
  if (!block) throw new Error("README.md has no quickstart block after its <!-- quickstart: --> marker");
  return block;
}

const secretValue = async (name: string, region: string) =>
  (await new SecretsManagerClient({ region }).send(new GetSecretValueCommand({ SecretId: name })))
    .SecretString;

/** The state of the folder's current stack, secrets decrypted: what an attacker with the passphrase sees. */
async function exportedState(folder: UserFolder): Promise<string> {
  const res = await run("pulumi", ["stack", "export", "--show-secrets", "--non-interactive"], {
    cwd: folder.dir,
    env: folder.env,
  });
  expect(res.code, res.stderr).toBe(0);
  return res.stdout;
}

function providerStrings(state: string): string[] {
  const resources: { type: string; outputs?: { __provider?: string } }[] =
    JSON.parse(state).deployment.resources ?? [];
  return resources
    .filter((r) => r.type.startsWith("pulumi-nodejs:dynamic"))
    .map((r) => r.outputs?.__provider ?? "");
}

let tarball: string;
afterAll(removeFolders);
beforeAll(() => {
  tarball = packPackage();
}, 120_000);

describe("the README quickstart, verbatim", () => {
  it("creates the manifest's secret from a packed tarball with pulumi up", async () => {
    const readme = readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
    const script = readmeQuickstart(readme);
    // The command installs the tarball this repository packs, under the name it has.
    expect(script).toContain(`./${path.basename(tarball)}`);
    const pins = readFileSync(path.join(REPO_ROOT, "scripts/tool-versions.env"), "utf8");
    expect(script).toContain(`@pulumi/pulumi@${/PULUMI_VERSION=(\S+)/.exec(pins)?.[1]}`);

    const folder = userFolder(tarball);
    const res = await runScript(script, folder);
    const out = res.stdout + res.stderr;
    expect(res.code, out).toBe(0);
    expect(out).toMatch(/\+ 3 created/); // stack, component, one secret (the HMAC key is config)
    expect(out).not.toMatch(NODE_WARNING);

    expect(await secretValue("quickstart/db", "eu-west-1")).toBe('{"username":"app","host":"db.internal"}');
    const state = await exportedState(folder);
    expect(state).not.toContain("db.internal");
    // The provider is the installed package's module, not a serialized copy of it.
    const providers = providerStrings(state);
    expect(providers.length).toBeGreaterThan(0);
    for (const p of providers) {
      expect(p).toMatch(/require\("secret-manifests\/(crud|stack-key)"\)/);
      expect(p.length).toBeLessThan(400);
    }

    // The peer dependency the quickstart installed satisfies the package's declared range.
    const installed = JSON.parse(
      readFileSync(path.join(folder.dir, "node_modules/@pulumi/pulumi/package.json"), "utf8"),
    );
    const declared = JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")).peerDependencies[
      "@pulumi/pulumi"
    ];
    expect(`^${installed.version}`).toBe(declared);
  }, 300_000);
});

/**
 * The repository as `npm run build` leaves it, in a fresh folder: its Pulumi.yaml, and
 * node_modules with the package as a real copy (the dependencies are links, to save time).
 */
function repositoryCopy(): UserFolder {
  const folder = userFolder();
  copyFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), path.join(folder.dir, "Pulumi.yaml"));
  const modules = path.join(folder.dir, "node_modules");
  mkdirSync(modules);
  for (const entry of readdirSync(path.join(REPO_ROOT, "node_modules"))) {
    if (entry !== "secret-manifests" && !entry.startsWith("."))
      symlinkSync(path.join(REPO_ROOT, "node_modules", entry), path.join(modules, entry));
  }
  cpSync(path.join(REPO_ROOT, "node_modules/secret-manifests"), path.join(modules, "secret-manifests"), {
    recursive: true,
  });
  return folder;
}

describe("the repository's root Pulumi.yaml", () => {
  it("manages examples/ with the folder given as plain text, paths from the project folder", async () => {
    const folder = repositoryCopy();
    cpSync(path.join(REPO_ROOT, "examples"), path.join(folder.dir, "examples"), { recursive: true });
    // The examples name KMS keys of an example account; the contract layer takes them as existing.
    await setContractRules(inject("awsEndpoint"), "demo/", { existingKmsKeys: exampleKmsKeys() });
    const demoValues = Object.fromEntries(
      readFileSync(path.join(REPO_ROOT, "examples/demo.env"), "utf8")
        .split("\n")
        .filter((l) => /^\w+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    const res = await runScript(
      [
        'pulumi login "file://$PWD"',
        "pulumi stack init dev",
        "pulumi config set secret-manifests:manifests examples",
        "pulumi config set secret-manifests:region ap-southeast-2",
        "pulumi up --yes",
      ].join("\n"),
      folder,
      { ...demoValues, SOPS_AGE_KEY_FILE: path.join(REPO_ROOT, "examples/secrets/DEMO-ONLY-age-key.txt") },
    );
    const out = res.stdout + res.stderr;
    expect(res.code, out).toBe(0);
    expect(out).not.toMatch(NODE_WARNING);
    expect(await secretValue("demo/api/token", "ap-southeast-2")).toBe(demoValues.DEMO_API_TOKEN);
    const state = await exportedState(folder);
    for (const v of Object.values(demoValues)) expect(state).not.toContain(v);
    for (const p of providerStrings(state)) expect(p.length).toBeLessThan(400);

    // A folder that does not exist fails at once, before Pulumi looks at the outputs.
    const missing = await runScript(
      "pulumi config set secret-manifests:manifests missing\npulumi preview",
      folder,
    );
    const missingOut = missing.stdout + missing.stderr;
    expect(missing.code).not.toBe(0);
    const diagnostics = missingOut.slice(
      missingOut.indexOf("Diagnostics:"),
      missingOut.lastIndexOf("Resources:"),
    );
    expect(diagnostics.match(/error: /g), missingOut).toHaveLength(1);
    expect(diagnostics).toMatch(/^ {4}error: missing: no such file or directory$/m);
    expect(missingOut).not.toMatch(NODE_WARNING);
  }, 300_000);

  it("refuses a manifests list that is not valid JSON with one clear line", async () => {
    const folder = repositoryCopy();
    const res = await runScript(
      [
        'pulumi login "file://$PWD"',
        "pulumi stack init dev",
        "pulumi config set secret-manifests:manifests '[examples'",
        "pulumi preview",
      ].join("\n"),
      folder,
    );
    const out = res.stdout + res.stderr;
    expect(res.code).not.toBe(0);
    const diagnostics = out.slice(out.indexOf("Diagnostics:"), out.lastIndexOf("Resources:"));
    expect(diagnostics.match(/error: /g), out).toHaveLength(1);
    expect(diagnostics).toMatch(
      /^ {4}error: secret-manifests:manifests is not a valid JSON list: \[examples$/m,
    );
    expect(out).not.toMatch(STACK_FRAME);
  }, 120_000);
});

/** Every `kmsKeyId` the examples name. */
function exampleKmsKeys(): string[] {
  const keys = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith(".yaml"))
        for (const m of readFileSync(file, "utf8").matchAll(/kmsKeyId: (\S+)/g)) keys.add(m[1] as string);
    }
  };
  walk(path.join(REPO_ROOT, "examples"));
  return [...keys];
}
