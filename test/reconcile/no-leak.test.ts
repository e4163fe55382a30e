import { randomUUID } from "node:crypto";
import { inspect } from "node:util";
import { CreateSecretCommand } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { isUserError } from "../../src/errors.js";
import { apply } from "../../src/reconcile/apply.js";
import { plan, readSecret, reconcile } from "../../src/reconcile/index.js";
import type { FaultRule } from "../support/fault-proxy.js";
import {
  binary,
  desired,
  type Harness,
  HMAC_KEY,
  json,
  OWNER,
  startHarness,
  text,
  uniquePrefix,
} from "./helpers.js";

const SECRET = `leak-canary-${randomUUID()}`;
const FIELD = `field-canary-${randomUUID()}`;
const BYTES = Buffer.from(`bytes-canary-${randomUUID()}`);
/** Every form in which a value could show up. */
const CANARIES = [SECRET, FIELD, BYTES.toString("utf8"), BYTES.toString("base64"), BYTES.toString("hex")];

/** Everything an object could reveal when logged, serialized or formatted. */
function renderings(thing: unknown): string {
  const parts = [inspect(thing, { depth: null, showHidden: true, getters: true })];
  try {
    parts.push(JSON.stringify(thing) ?? "");
  } catch {
    // circular: inspect covers it
  }
  if (thing instanceof Error) parts.push(String(thing.stack), String(thing));
  if (isUserError(thing)) parts.push(thing.format());
  return parts.join("\n");
}

let h: Harness;
let once: Harness;
const printed: string[] = [];
beforeAll(async () => {
  h = await startHarness();
  once = await startHarness({ maxAttempts: 1 });
  for (const method of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      printed.push(args.map((a) => renderings(a)).join(" "));
    });
  }
});
afterAll(async () => {
  vi.restoreAllMocks();
  await Promise.all([h.proxy.stop(), once.proxy.stop()]);
});

/** Fails one call the way AWS validation errors can: by echoing what was sent. */
const echoing = (targets: string[]): FaultRule[] => [
  {
    targets,
    action: { type: "error", status: 400, code: "ValidationException", message: `bad value ${SECRET}` },
  },
];

describe("no secret value in any error, log line or returned object", () => {
  it("holds across every failure path", async () => {
    const prefix = uniquePrefix("leak");
    const values = [text(SECRET), json({ password: FIELD, user: "u" }), binary(BYTES)];
    const seen: unknown[] = [];
    const capture = (p: Promise<unknown>) =>
      p.then(
        (r) => seen.push(r),
        (e: unknown) => seen.push(e),
      );

    for (const [i, value] of values.entries()) {
      const name = `${prefix}/v${i}`;
      const d = desired(name, value);
      // AWS echoing the value in an error, on create and on put.
      once.proxy.setRules(echoing(["CreateSecret", "PutSecretValue"]));
      await capture(reconcile(once.gateway, d, OWNER));
      once.proxy.setRules([{ action: { type: "error", status: 400, code: "AccessDeniedException" } }]);
      await capture(reconcile(once.gateway, d, OWNER));
      // Success, then a change failing with an outage and with a reset.
      await capture(reconcile(h.gateway, d, OWNER));
      const changed = desired(name, text(`${SECRET}-2`));
      once.proxy.setRules([{ targets: ["PutSecretValue"], action: { type: "status", status: 503 } }]);
      await capture(reconcile(once.gateway, changed, OWNER));
      once.proxy.setRules([{ targets: ["PutSecretValue"], afterForward: true, action: { type: "reset" } }]);
      await capture(reconcile(once.gateway, changed, OWNER));
      // Refresh reading the value back, and failing to.
      await capture(readSecret(h.gateway, name, HMAC_KEY));
      once.proxy.setRules(echoing(["BatchGetSecretValue"]));
      await capture(readSecret(once.gateway, name, HMAC_KEY));
      // Plans, the refusal to adopt, and a bug caught by apply.
      seen.push(plan(d, undefined, OWNER));
      await h.direct.send(new CreateSecretCommand({ Name: `${name}-byhand`, SecretString: "x" }));
      await capture(reconcile(h.gateway, desired(`${name}-byhand`, value), OWNER));
      await capture(apply(h.gateway, { ...d, token: "other" }, plan(d, undefined, OWNER)));
    }
    seen.push(h.proxy.log(), once.proxy.log());

    expect(seen.filter((s) => s instanceof Error).length).toBeGreaterThanOrEqual(20);
    const everything = [...seen.map(renderings), ...printed].join("\n");
    for (const canary of CANARIES) expect(everything).not.toContain(canary);
  });
});
