/**
 * Faults at scale on the real engine: `pulumi up` of many secrets while the proxy between
 * the provider and moto fails 10%, 30% and 50% of all Secrets Manager requests with
 * throttling, 500/503 and connection resets (half of them after moto applied the call, so
 * the answer to a write that took effect is lost). Goal: one run at 10-30%, no duplicate
 * versions at any level.
 */

import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createSecretsManagerClient } from "../../src/aws/client";
import { SecretsManagerGateway } from "../../src/aws/gateway";
import { currentValue, manifest } from "../pulumi/support";
import { type FaultAction, type FaultProxy, type FaultRule, startFaultProxy } from "../support/fault-proxy";
import { createProject, pulumiOp, writeProjectFile } from "../support/pulumi";
import { report } from "./report";
import { FULL, mapLimit, ownedSecrets, stateSummary, versionIds } from "./support";

const N = FULL ? 300 : 40;
type Drainable = { standardRetryStrategy: { capacity: number } };
const MAX_RUNS = 4;

/** About `total` of all requests fail, split evenly over the actions (each rule draws on its own). */
function faultRules(total: number): FaultRule[] {
  const actions: FaultAction[] = [
    { type: "throttle" },
    { type: "status", status: 500 },
    { type: "status", status: 503 },
    { type: "reset" },
    { type: "reset" },
  ];
  const share = total / actions.length;
  return actions.map((action, i) => ({
    probability: share / (1 - share * i),
    afterForward: action.type === "reset" && i % 2 === 1,
    action,
  }));
}

let proxy: FaultProxy;
const rows: Record<string, unknown>[] = [];
beforeAll(async () => {
  proxy = await startFaultProxy({ target: inject("awsEndpoint"), seed: 8 });
});
afterAll(async () => {
  await proxy.stop();
  report("faults", { secrets: N, levels: rows });
});

describe("the SDK's retry quota", () => {
  it("a drained quota does not stop a retry that maxAttempts allows", async () => {
    const client = createSecretsManagerClient({ endpoint: proxy.endpoint });
    const strategy = (await (
      client.config as unknown as { retryStrategy: () => Promise<Drainable> }
    ).retryStrategy()) as Drainable;
    // As after hundreds of retries in one deployment: no token left in the SDK's quota.
    strategy.standardRetryStrategy.capacity = 0;
    proxy.resetCounts();
    proxy.setRules([{ targets: ["ListSecrets"], times: 2, action: { type: "reset" } }]);
    const gateway = new SecretsManagerGateway(client);
    await expect(gateway.describe(`rel-faults/quota-${process.pid}`)).resolves.toBeUndefined();
    proxy.setRules([]);
    expect(proxy.counts().ListSecrets).toBe(3);
  });
});

describe(`up of ${N} secrets through injected faults`, () => {
  for (const level of [0.1, 0.3, 0.5]) {
    it(`${level * 100}% of requests failing`, async () => {
      const stack = `faults-${level * 100}-${process.pid}`;
      const project = createProject({}, stack);
      const names = Array.from({ length: N }, (_, i) => `rel-faults/${stack}/s${i}`);
      writeProjectFile(
        project,
        "manifests/all.yaml",
        names
          .map((name, i) =>
            manifest(name, `  value:\n    json:\n      n: "${i}"\n      v: { fromEnv: FAULT_V }`),
          )
          .join("\n---\n"),
      );
      const env = { AWS_ENDPOINT_URL_SECRETS_MANAGER: proxy.endpoint, FAULT_V: `v-${level}` };

      proxy.resetCounts();
      proxy.setRules(faultRules(level));
      let runs = 0;
      let ok = false;
      const failures: string[] = [];
      while (!ok && runs < MAX_RUNS) {
        runs++;
        const up = await pulumiOp(project, "up", { manifests: ["manifests"], env });
        ok = up.code === 0;
        if (!ok)
          failures.push(
            (up.stdout + up.stderr)
              .split("\n")
              .filter((l) => /error/i.test(l))
              .slice(0, 3)
              .join(" | "),
          );
      }
      const log = proxy.log();
      proxy.setRules([]);

      const state = await stateSummary(project);
      const owned = await ownedSecrets(`secret-manifests-inline/${stack}`);
      const versions = await mapLimit(names, 20, versionIds);
      const values = await mapLimit(names, 20, currentValue);
      const duplicates = versions.reduce((n, v) => n + Math.max(0, Object.keys(v).length - 1), 0);
      const injected = log.filter((e) => e.fault).length;
      rows.push({
        level,
        runsToConverge: ok ? runs : `>${MAX_RUNS}`,
        requests: log.length,
        injectedFaults: injected,
        retries: injected,
        writes: log.filter((e) => e.target === "CreateSecret").length,
        duplicates,
        failures,
      });

      expect(ok, failures.join("\n")).toBe(true);
      if (level <= 0.3) expect(runs, failures.join("\n")).toBe(1);
      // Faults really were injected at about the level asked for.
      expect(injected / log.length).toBeGreaterThan(level * 0.6);
      expect(duplicates).toBe(0);
      expect(state.secrets).toEqual([...names].sort());
      expect(owned).toEqual([...names].sort());
      for (const [i, v] of values.entries())
        expect(JSON.parse(v ?? "{}")).toEqual({ n: `${i}`, v: env.FAULT_V });
    }, 600_000);
  }
});
