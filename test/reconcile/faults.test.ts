import { ListSecretVersionIdsCommand } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reconcile } from "../../src/reconcile/index.js";
import type { FaultAction, FaultRule } from "../support/fault-proxy.js";
import { desired, type Harness, OWNER, startHarness, text, uniquePrefix } from "./helpers.js";

const N = 100;

/**
 * About `total` of all requests fail, spread evenly over the actions. Rules are tried in
 * order, each with its own draw, so each later rule's chance is scaled to keep the split
 * even. Resets happen half before and half after moto handled the request: the second
 * kind is a write that took effect but whose answer was lost, which the client retries.
 */
function faultRules(total: number, actions: FaultAction[]): FaultRule[] {
  const share = total / actions.length;
  return actions.map((action, i) => ({
    probability: share / (1 - share * i),
    afterForward: action.type === "reset" && i % 2 === 1,
    action,
  }));
}

/** A secret's name from its name or its ARN (name, "-" and 6 random characters). */
const nameOf = (id: string) => (id.startsWith("arn:") ? (id.split(":secret:")[1] ?? "").slice(0, -7) : id);

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ seed: 42 });
});
afterAll(() => h.proxy.stop());

describe("under 30% injected throttling, 5xx and connection resets", () => {
  it(`converges ${N} secrets through create and a value change with no duplicate versions`, async () => {
    const prefix = uniquePrefix("faults");
    const names = Array.from({ length: N }, (_, i) => `${prefix}/s${i}`);
    const first = names.map((name, i) =>
      desired(name, text(`first-${i}`), { replicas: [{ region: "eu-west-1" }] }),
    );
    const second = names.map((name, i) =>
      desired(name, text(`second-${i}`), { replicas: [{ region: "eu-west-1" }] }),
    );

    h.proxy.setRules(
      faultRules(0.3, [
        { type: "throttle" },
        { type: "status", status: 500 },
        { type: "status", status: 503 },
        { type: "reset" },
        { type: "reset" },
      ]),
    );
    const created = await Promise.all(first.map((d) => reconcile(h.gateway, d, OWNER)));
    const changed = await Promise.all(second.map((d) => reconcile(h.gateway, d, OWNER)));
    h.proxy.setRules([]);

    expect(created.map((a) => a.versionId)).toEqual(first.map((d) => d.token));
    expect(changed.map((a) => a.versionId)).toEqual(second.map((d) => d.token));

    // Faults really happened, and every write carried the token of its secret's value.
    const log = h.proxy.log();
    const faults = log.filter((e) => e.fault).length;
    expect(faults / log.length).toBeGreaterThan(0.2);
    const tokenFor = new Map([...first, ...second].map((d) => [d.token, d.name]));
    for (const entry of log.filter((e) => e.target === "CreateSecret" || e.target === "PutSecretValue")) {
      const name = tokenFor.get(entry.clientRequestToken ?? "") ?? "(unknown token)";
      expect(nameOf(entry.secretIds[0] ?? "")).toBe(name);
    }

    // Exactly the intended versions: the first value's, now AWSPREVIOUS, and the second's.
    for (let i = 0; i < N; i++) {
      const res = await h.direct.send(
        new ListSecretVersionIdsCommand({ SecretId: names[i], IncludeDeprecated: true }),
      );
      const versions = Object.fromEntries((res.Versions ?? []).map((v) => [v.VersionId, v.VersionStages]));
      expect(versions).toEqual({
        [first[i]?.token ?? ""]: ["AWSPREVIOUS"],
        [second[i]?.token ?? ""]: ["AWSCURRENT"],
      });
    }
  }, 300_000);
});
