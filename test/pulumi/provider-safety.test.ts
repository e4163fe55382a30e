/**
 * The provider-safety fixes on the real engine: what crosses the engine's gRPC boundary
 * (JSON key order, the HMAC key's secrecy) and what a config change or a bad reference
 * writes to AWS.
 */
import { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { isWrite } from "../reconcile/helpers";
import { type FaultProxy, startFaultProxy } from "../support/fault-proxy";
import { exportState, pulumiOp } from "../support/pulumi";
import { createProject, manifest, sm, unique } from "./support";

/** A program passing the HMAC key as a plain string, as a user may. */
const PLAIN_KEY_PROGRAM = `
const { SecretManifests } = require("secret-manifests");
module.exports = async () => {
  const manifests = new SecretManifests("secret-manifests", { paths: ["manifests"], hmacKey: process.env.SM_PLAIN_KEY });
  return { arns: manifests.arns };
};
`;

let proxy: FaultProxy;
beforeAll(async () => {
  proxy = await startFaultProxy({ target: inject("awsEndpoint") });
});
afterAll(() => proxy.stop());

const writes = () => Object.fromEntries(Object.entries(proxy.counts()).filter(([target]) => isWrite(target)));

describe("provider safety on the real engine", () => {
  it("keeps JSON key order and the HMAC key's secrecy; setting the region already in use changes nothing", async () => {
    const name = unique("safety");
    const hmacKey = "c0ffee".repeat(11);
    const project = createProject({
      "program.cjs": PLAIN_KEY_PROGRAM,
      "manifests/app.yaml": manifest(
        `${name}/app`,
        '  value:\n    json:\n      zeta: last-first\n      "10": ten\n      user: app\n      password: { fromEnv: SAFETY_PW }\n      2: two\n      alpha: 1',
      ),
    });
    const opts = {
      program: "program.cjs",
      config: { "secret-manifests:endpoint": proxy.endpoint },
      env: { SAFETY_PW: "pw-Kq3", SM_PLAIN_KEY: hmacKey },
    };
    const up = await pulumiOp(project, "up", opts);
    expect(up.code, up.stdout + up.stderr).toBe(0);
    const stored = await sm().send(new GetSecretValueCommand({ SecretId: `${name}/app` }));
    // Integer-like keys too, which a JavaScript object would list first.
    expect(stored.SecretString).toBe(
      '{"zeta":"last-first","10":"ten","user":"app","password":"pw-Kq3","2":"two","alpha":1}',
    );
    // The raw export, without --show-secrets: the key is nowhere in clear.
    const raw = await exportState(project);
    expect(raw).not.toContain(hmacKey);
    expect(raw).not.toContain("pw-Kq3");

    proxy.resetCounts();
    const sameRegion = await pulumiOp(project, "up", {
      ...opts,
      config: { ...opts.config, "secret-manifests:region": "us-east-1" },
      expectNoChanges: true,
    });
    expect(sameRegion.code, sameRegion.stdout + sameRegion.stderr).toBe(0);
    expect(writes()).toEqual({});
  });

  it("one missing reference fails the whole up with zero writes, every time (20 runs)", async () => {
    const name = unique("safety-ref");
    const missing = manifest(`${name}/b`, "  value:\n    string: { fromEnv: SAFETY_MISSING }");
    const missingLine = missing.split("\n").findIndex((line) => line.includes("SAFETY_MISSING")) + 1;
    const project = createProject({
      "manifests/a.yaml": manifest(`${name}/a`, "  value:\n    string: { fromEnv: SAFETY_OK }"),
      "manifests/b.yaml": missing,
      "manifests/c.yaml": manifest(`${name}/c`, "  value:\n    string: { fromEnv: SAFETY_OK }"),
    });
    proxy.resetCounts();
    // Before, the other secrets' steps raced the bad one's check and were written in most runs.
    for (let run = 0; run < RACE_RUNS; run++) {
      const up = await pulumiOp(project, "up", {
        manifests: ["manifests"],
        config: { "secret-manifests:endpoint": proxy.endpoint },
        env: { SAFETY_OK: "ok" },
      });
      expect(up.code).not.toBe(0);
      expect(up.stdout + up.stderr).toContain(
        `manifests/b.yaml:${missingLine}: fromEnv: environment variable SAFETY_MISSING is not set`,
      );
      expect(writes(), `run ${run}`).toEqual({});
    }
  }, 600_000);
});

const RACE_RUNS = 20;
