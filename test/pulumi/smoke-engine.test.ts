import { accessSync, constants, readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { describe, expect, it } from "vitest";
import { createProject, exportState, pulumiOp, REPO_ROOT, run } from "../support/pulumi";

// A minimal dynamic provider, independent of the product: proves the engine, the
// dynamic-provider launcher and moto work together.
const SMOKE_PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const provider = {
  async create(inputs) {
    const sm = require("@aws-sdk/client-secrets-manager");
    const client = new sm.SecretsManagerClient({});
    const out = await client.send(new sm.CreateSecretCommand({ Name: inputs.secretName, SecretString: inputs.text }));
    return { id: out.ARN, outs: { arn: out.ARN, secretName: inputs.secretName } };
  },
  async delete(id) {
    const sm = require("@aws-sdk/client-secrets-manager");
    const client = new sm.SecretsManagerClient({});
    await client.send(new sm.DeleteSecretCommand({ SecretId: id, ForceDeleteWithoutRecovery: true }));
  },
};
class SmokeSecret extends pulumi.dynamic.Resource {
  constructor(name, args) { super(provider, name, { arn: undefined, ...args }, {}); }
}
module.exports = async () => {
  const s = new SmokeSecret("smoke", { secretName: process.env.SMOKE_SECRET_NAME, text: "smoke-value" });
  return { arn: s.arn };
};
`;

describe("real Pulumi engine smoke", () => {
  it("pulumi version prints the pinned version", async () => {
    const pins = readFileSync(`${REPO_ROOT}/scripts/tool-versions.env`, "utf8");
    const pinned = /PULUMI_VERSION=(\S+)/.exec(pins)?.[1];
    const res = await run("pulumi", ["version"], { cwd: REPO_ROOT, env: process.env });
    expect(res.stdout.trim()).toBe(`v${pinned}`);
  });

  it("the Node.js language host is installed next to pulumi, where the CLI looks first", async () => {
    const which = await run("sh", ["-c", "command -v pulumi"], { cwd: REPO_ROOT, env: process.env });
    const host = path.join(path.dirname(realpathSync(which.stdout.trim())), "pulumi-language-nodejs");
    expect(() => accessSync(host, constants.X_OK)).not.toThrow();
  });

  it("up creates a secret through a dynamic provider, destroy removes it", async () => {
    const project = createProject({ "program.cjs": SMOKE_PROGRAM });
    const name = `smoke-engine/${Date.now()}`;
    const env = { SMOKE_SECRET_NAME: name };
    const up = await pulumiOp(project, "up", { program: "program.cjs", env });
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(up.summary?.changes.create).toBe(2); // the stack and the secret
    // The CLI warns when it has to take a plugin from $PATH instead of beside itself.
    expect(up.stdout + up.stderr).not.toMatch(/from \$PATH/);

    const client = new SecretsManagerClient({});
    const got = await client.send(new GetSecretValueCommand({ SecretId: name }));
    expect(got.SecretString).toBe("smoke-value");
    const state = JSON.parse(await exportState(project));
    const types = state.deployment.resources.map((r: { type: string }) => r.type);
    expect(types).toContain("pulumi-nodejs:dynamic:Resource");

    const down = await pulumiOp(project, "destroy", { program: "program.cjs", env });
    expect(down.code, down.stdout + down.stderr).toBe(0);
    await expect(client.send(new GetSecretValueCommand({ SecretId: name }))).rejects.toThrow(
      /can't find|not found/i,
    );
    const after = JSON.parse(await exportState(project));
    expect(after.deployment.resources ?? []).toHaveLength(0);
  });
});
