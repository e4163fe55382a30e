/**
 * Provider settings from stack config, and the standard Pulumi resource options,
 * on the real engine.
 */
import { expect, inject, it, describe as suite } from "vitest";
import { startFaultProxy } from "../support/fault-proxy";
import { exportState, pulumiOp, writeProjectFile } from "../support/pulumi";
import { createProject, describe as describeSecret, manifest, unique } from "./support";

const OPTIONS_PROGRAM = `
const { SecretManifests } = require("secret-manifests");
module.exports = async () => {
  const secretOptions = JSON.parse(process.env.SM_SECRET_OPTIONS || "{}");
  const manifests = new SecretManifests("secret-manifests", { paths: ["manifests"], secretOptions });
  return { arns: manifests.arns };
};
`;

const DAY_MS = 24 * 60 * 60 * 1000;

suite("stack config", () => {
  it("takes the HMAC key, default tags, recovery window and endpoint from secret-manifests: config", async () => {
    const proxy = await startFaultProxy({ target: inject("awsEndpoint") });
    try {
      const name = unique("config");
      const project = createProject({
        "manifests/a.yaml": manifest(
          `${name}/a`,
          "  value:\n    string: { fromEnv: CFG_VALUE }",
          "  tags: { team: mine }",
        ),
      });
      const config = {
        "secret-manifests:endpoint": proxy.endpoint,
        "secret-manifests:defaultTags": JSON.stringify({ team: "default", env: "test" }),
        "secret-manifests:recoveryWindowInDays": "9",
      };
      const opts = {
        manifests: ["manifests"],
        config,
        secretConfig: { "secret-manifests:hmacKey": "ab".repeat(32) },
        env: { CFG_VALUE: "config-value" },
      };
      const up = await pulumiOp(project, "up", opts);
      expect(up.code, up.stdout + up.stderr).toBe(0);
      // The configured endpoint wins over AWS_ENDPOINT_URL_SECRETS_MANAGER (which points at moto directly).
      expect(proxy.counts().CreateSecret).toBe(1);
      const state = JSON.parse(await exportState(project));
      const types = state.deployment.resources.map((r: { type: string }) => r.type);
      expect(types.some((t: string) => t.endsWith("StackHmacKey"))).toBe(false);
      const tags = Object.fromEntries(
        ((await describeSecret(`${name}/a`)).Tags ?? []).map((t) => [t.Key, t.Value]),
      );
      expect(tags).toMatchObject({ team: "mine", env: "test" });

      writeProjectFile(project, "manifests/a.yaml", "# emptied\n");
      const removed = await pulumiOp(project, "up", opts);
      expect(removed.code, removed.stdout + removed.stderr).toBe(0);
      const deleted = (await describeSecret(`${name}/a`)).DeletedDate;
      expect(deleted).toBeInstanceOf(Date);
      // moto reports the date the secret will be purged: now + the configured window.
      expect(Math.round(((deleted as Date).getTime() - Date.now()) / DAY_MS)).toBe(9);
    } finally {
      await proxy.stop();
    }
  });
});

suite("resource options", () => {
  const name = unique("options");
  const project = createProject({
    "program.cjs": OPTIONS_PROGRAM,
    "manifests/a.yaml": manifest(
      `${name}/a`,
      "  value:\n    string: { fromEnv: OPT_VALUE }",
      "  description: first",
    ),
  });
  const op = (kind: "up" | "destroy", secretOptions: object) =>
    pulumiOp(project, kind, {
      program: "program.cjs",
      env: { OPT_VALUE: "options-value", SM_SECRET_OPTIONS: JSON.stringify(secretOptions) },
    });

  it("protect: destroy refuses to delete a protected secret", async () => {
    expect((await op("up", { protect: true })).code).toBe(0);
    const destroy = await op("destroy", { protect: true });
    expect(destroy.code).not.toBe(0);
    expect(destroy.stdout + destroy.stderr).toMatch(/protected/);
    expect((await describeSecret(`${name}/a`)).DeletedDate).toBeUndefined();
  });

  it("ignoreChanges: an ignored description change is not applied", async () => {
    writeProjectFile(
      project,
      "manifests/a.yaml",
      manifest(`${name}/a`, "  value:\n    string: { fromEnv: OPT_VALUE }", "  description: second"),
    );
    const up = await op("up", { ignoreChanges: ["description"] });
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(up.summary?.changes.update, up.stdout).toBeUndefined();
    expect((await describeSecret(`${name}/a`)).Description).toBe("first");
  });

  it("retainOnDelete: removing the manifest leaves the secret in AWS", async () => {
    expect((await op("up", { retainOnDelete: true })).code).toBe(0);
    writeProjectFile(project, "manifests/a.yaml", "# emptied\n");
    const up = await op("up", { retainOnDelete: true });
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(up.summary?.changes.delete).toBe(1);
    const secret = await describeSecret(`${name}/a`);
    expect(secret.DeletedDate).toBeUndefined();
    expect(secret.Description).toBe("second");
  });
});

suite("bad input through the engine", () => {
  const STACK_TRACE = /\n\s+at .+:\d+:\d+/;

  it("one bad manifest fails the run with file:line and applies nothing", async () => {
    const name = unique("bad");
    const project = createProject({
      "manifests/good.yaml": manifest(`${name}/good`, "  value:\n    string: { fromEnv: BAD_VALUE }"),
      "manifests/bad.yaml": manifest(
        `${name}/bad`,
        "  value:\n    string: { fromEnv: BAD_VALUE }\n  colour: blue",
      ),
    });
    const up = await pulumiOp(project, "up", { manifests: ["manifests"], env: { BAD_VALUE: "v" } });
    expect(up.code).not.toBe(0);
    expect(up.stdout + up.stderr).toMatch(/manifests\/bad\.yaml:\d+:\d+: .*colour/);
    expect(up.stdout + up.stderr).not.toMatch(STACK_TRACE);
    await expect(describeSecret(`${name}/good`)).rejects.toThrow();
  });

  it("a bad manifest on a deployed stack prints its error once, as the clean line, and no Node warning", async () => {
    const name = unique("bad-again");
    const project = createProject({
      "manifests/good.yaml": manifest(`${name}/good`, "  value:\n    string: { fromEnv: BAD_VALUE }"),
    });
    const first = await pulumiOp(project, "up", { manifests: ["manifests"], env: { BAD_VALUE: "v" } });
    expect(first.code, first.stdout + first.stderr).toBe(0);
    writeProjectFile(
      project,
      "manifests/bad.yaml",
      manifest(`${name}/bad`, "  value:\n    string: { fromEnv: BAD_VALUE }\n  colour: blue"),
    );
    for (const kind of ["preview", "up"] as const) {
      const res = await pulumiOp(project, kind, { manifests: ["manifests"], env: { BAD_VALUE: "v" } });
      const out = res.stdout + res.stderr;
      expect(res.code).not.toBe(0);
      const diagnostics = out.slice(out.indexOf("Diagnostics:"), out.lastIndexOf("Resources:"));
      expect(diagnostics.match(/error: /g), out).toHaveLength(1);
      expect(diagnostics).toMatch(
        /^ {4}error: manifests\/bad\.yaml:\d+:\d+: unknown field `colour` in spec/m,
      );
      expect(out).not.toContain("error serializing");
      expect(out).not.toMatch(/\(node:\d+\) \w*Warning/);
    }
    await expect(describeSecret(`${name}/bad`)).rejects.toThrow();
  });

  it("a missing env var fails preview with the manifest and variable named, and no stack trace", async () => {
    const name = unique("noenv");
    const project = createProject({
      "manifests/a.yaml": manifest(`${name}/a`, "  value:\n    string: { fromEnv: SM_TEST_SURELY_UNSET }"),
    });
    const preview = await pulumiOp(project, "preview", { manifests: ["manifests"] });
    expect(preview.code).not.toBe(0);
    expect(preview.stdout + preview.stderr).toMatch(/manifests\/a\.yaml:\d+.*SM_TEST_SURELY_UNSET/);
    expect(preview.stdout + preview.stderr).not.toMatch(STACK_TRACE);
  });
});
