/**
 * The errors users meet on `pulumi up`, on the real engine: each is one paragraph that says
 * what is wrong and how to fix it, with no stack trace, and nothing is written to AWS.
 * (A name owned by another stack is in concurrency.test.ts.)
 */
import { afterAll, describe, expect, inject, it } from "vitest";
import { manifest } from "../pulumi/support";
import { type FaultProxy, type FaultRule, startFaultProxy } from "../support/fault-proxy";
import {
  createProject,
  OFFLINE_DNS,
  type OpOptions,
  pulumiOp,
  type RunResult,
  writeProjectFile,
} from "../support/pulumi";
import { report } from "./report";
import { ownedSecrets } from "./support";

const STACK_FRAME = /\n\s+at .*[.](js|ts):\d+/;
const checked: { scenario: string; message: string }[] = [];
const proxies: FaultProxy[] = [];
afterAll(async () => {
  await Promise.all(proxies.map((p) => p.stop()));
  report("errors", { checked: checked.length, messages: checked });
});

/** One `up` of one secret that must fail; returns the engine's output. */
async function failingUp(
  scenario: string,
  opts: { spec?: string; rules?: FaultRule[]; env?: NodeJS.ProcessEnv; config?: OpOptions["config"] },
): Promise<string> {
  const stack = `err-${scenario}-${process.pid}`;
  const project = createProject({}, stack);
  writeProjectFile(
    project,
    "manifests/one.yaml",
    manifest(`rel-errors/${stack}/db`, opts.spec ?? "  value:\n    string: { fromEnv: ERR_VALUE }"),
  );
  const proxy = await startFaultProxy({ target: inject("awsEndpoint") });
  proxies.push(proxy);
  proxy.setRules(opts.rules ?? []);
  const res: RunResult = await pulumiOp(project, "up", {
    manifests: ["manifests"],
    config: opts.config,
    env: { AWS_ENDPOINT_URL_SECRETS_MANAGER: proxy.endpoint, ERR_VALUE: "err-value-1", ...opts.env },
  });
  const out = res.stdout + res.stderr;
  expect(res.code, out).not.toBe(0);
  expect(out).not.toMatch(STACK_FRAME);
  expect(out).not.toContain("err-value-1");
  expect(await ownedSecrets(`secret-manifests-inline/${stack}`)).toEqual([]);
  const line = out.split("\n").find((l) => l.includes("hint:")) ?? "";
  checked.push({
    scenario,
    message: out.slice(Math.max(0, out.indexOf(line) - 400), out.indexOf(line) + line.length).trim(),
  });
  return out;
}

describe.concurrent("errors users meet", () => {
  it("no AWS credentials", async () => {
    const out = await failingUp("nocreds", {
      env: {
        AWS_ACCESS_KEY_ID: "",
        AWS_SECRET_ACCESS_KEY: "",
        AWS_SESSION_TOKEN: "",
        AWS_PROFILE: "",
        AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/credentials",
        AWS_CONFIG_FILE: "/nonexistent/config",
        AWS_EC2_METADATA_DISABLED: "true",
      },
    });
    expect(out).toMatch(/No AWS credentials found to call secretsmanager:\w+/);
    expect(out).toMatch(/hint: .*AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.*AWS_PROFILE.*IAM role/);
  });

  it("AccessDenied names the permission", async () => {
    const out = await failingUp("denied", {
      rules: [
        {
          targets: ["CreateSecret"],
          action: {
            type: "error",
            status: 400,
            code: "AccessDeniedException",
            message:
              "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: secretsmanager:CreateSecret",
          },
        },
      ],
    });
    expect(out).toMatch(/Not allowed to call secretsmanager:CreateSecret on secret "rel-errors\/[^"]+\/db"/);
    expect(out).toMatch(/hint: Grant secretsmanager:CreateSecret on this secret to the AWS identity/);
  });

  it("a misspelt region", async () => {
    // No endpoint override: the SDK derives the region's endpoint, which does not exist. The
    // processes resolve names with a loopback-only resolver, so no lookup leaves the machine.
    const out = await failingUp("region", {
      config: { "secret-manifests:region": "eu-wst-1" },
      env: { AWS_ENDPOINT_URL_SECRETS_MANAGER: "", NODE_OPTIONS: `--require ${OFFLINE_DNS}` },
    });
    expect(out).toMatch(/Cannot reach Secrets Manager for \w+: the endpoint's host name does not resolve/);
    expect(out).toMatch(/hint: Check the region .*us-east-1.*secretsmanager\.eu-wst-1\.amazonaws\.com/);
  });

  it("no region at all", async () => {
    const out = await failingUp("noregion", {
      // undefined: the variable is not passed to the engine at all.
      env: { AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined, AWS_CONFIG_FILE: "/nonexistent/config" },
    });
    expect(out).toMatch(/No AWS region is set, so secretsmanager:\w+ has nowhere to go/);
    expect(out).toMatch(/hint: Set the region for this stack \(`pulumi config set secret-manifests:region/);
  });

  it("a region that is not a region name", async () => {
    const out = await failingUp("badregion", { env: { AWS_REGION: "" } });
    expect(out).toMatch(/The AWS region is not a valid region name/);
    expect(out).toMatch(/hint: Set the region for this stack .*a region is a code such as us-east-1/);
  });

  it("a KMS key that does not exist", async () => {
    // Refused by the AWS-contract layer as AWS refuses it (moto alone takes any key).
    const out = await failingUp("kms", {
      spec: "  kmsKeyId: alias/does-not-exist\n  value:\n    string: { fromEnv: ERR_VALUE }",
    });
    expect(out).toMatch(/Secrets Manager CreateSecret failed: the secret's KMS key cannot be used/);
    expect(out).toMatch(/hint: Check that spec.kmsKeyId .* exists and is enabled .*kms:GenerateDataKey/);
  });
});
