/**
 * Concurrent runs on the real engine: two `up` on one stack (the second fails on the lock),
 * two stacks with different secrets (no interference), and two stacks claiming one name
 * (refused through the ownership tag, every time, without the value flapping).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { currentValue, describe as describeSecret, manifest } from "../pulumi/support";
import { type FaultProxy, startFaultProxy } from "../support/fault-proxy";
import { createProject, type PulumiProject, pulumiOp, writeProjectFile } from "../support/pulumi";
import { report } from "./report";
import { OWNER_TAG, ownedSecrets, providerProcess, startOp, versionIds, waitFor } from "./support";

const STACK_FRAME = /\n\s+at .*[.](js|ts):\d+/;
let proxy: FaultProxy;
const figures: Record<string, unknown> = {};
beforeAll(async () => {
  proxy = await startFaultProxy({ target: inject("awsEndpoint") });
});
afterAll(async () => {
  await proxy.stop();
  report("concurrency", figures);
});

function projectWith(stack: string, names: string[], envVar = "CONC_V"): PulumiProject {
  const project = createProject({}, stack);
  writeProjectFile(
    project,
    "manifests/all.yaml",
    names.map((n) => manifest(n, `  value:\n    string: { fromEnv: ${envVar} }`)).join("\n---\n"),
  );
  return project;
}

const env = (extra: NodeJS.ProcessEnv = {}) => ({
  AWS_ENDPOINT_URL_SECRETS_MANAGER: proxy.endpoint,
  ...extra,
});
const ownerOf = (stack: string) => `secret-manifests-inline/${stack}`;

describe.concurrent("concurrent runs", () => {
  it("a second up on a stack that is being updated fails clearly on the lock", async () => {
    const stack = `conc-lock-${process.pid}`;
    const names = Array.from({ length: 4 }, (_, i) => `rel-conc/${stack}/s${i}`);
    const project = projectWith(stack, names);
    const first = await pulumiOp(project, "up", { manifests: ["manifests"], env: env({ CONC_V: "one" }) });
    expect(first.code, first.stdout + first.stderr).toBe(0);

    // Run A changes the value; its provider is paused mid-update, so A certainly holds the lock.
    // A has a proxy of its own: its first request says the provider is up, without polling ps.
    const own = await startFaultProxy({ target: inject("awsEndpoint") });
    const a = startOp(project, "up", {
      manifests: ["manifests"],
      env: { AWS_ENDPOINT_URL_SECRETS_MANAGER: own.endpoint, CONC_V: "two" },
    });
    await waitFor("run A's first request", () => own.log().length > 0 || undefined);
    const provider = await waitFor("run A's provider", () => providerProcess(a.child.pid as number));
    process.kill(provider.pid, "SIGSTOP");
    let b: Awaited<ReturnType<typeof pulumiOp>>;
    try {
      b = await pulumiOp(project, "up", { manifests: ["manifests"], env: env({ CONC_V: "three" }) });
    } finally {
      process.kill(provider.pid, "SIGCONT");
    }
    const resA = await a.done;
    await own.stop();
    const outB = b.stdout + b.stderr;
    figures.lock = outB
      .split("\n")
      .find((l) => /locked/.test(l))
      ?.trim();
    expect(resA.code, resA.stdout + resA.stderr).toBe(0);
    expect(b.code).not.toBe(0);
    expect(outB).toMatch(/the stack is currently locked by 1 lock\(s\)/);
    expect(outB).toMatch(/pulumi cancel/);
    expect(outB).not.toMatch(STACK_FRAME);
    // A's value won, B wrote nothing: two versions per secret (one, two), never "three".
    for (const n of names) {
      expect(await currentValue(n)).toBe("two");
      expect(Object.keys(await versionIds(n))).toHaveLength(2);
    }
    const again = await pulumiOp(project, "up", {
      manifests: ["manifests"],
      env: env({ CONC_V: "two" }),
      expectNoChanges: true,
    });
    expect(again.code, again.stdout + again.stderr).toBe(0);
  }, 240_000);

  it("two stacks with different secrets do not interfere", async () => {
    const [sx, sy] = [`conc-x-${process.pid}`, `conc-y-${process.pid}`];
    const nx = Array.from({ length: 5 }, (_, i) => `rel-conc/${sx}/s${i}`);
    const ny = Array.from({ length: 5 }, (_, i) => `rel-conc/${sy}/s${i}`);
    const [px, py] = [projectWith(sx, nx), projectWith(sy, ny)];
    const [ux, uy] = await Promise.all([
      pulumiOp(px, "up", { manifests: ["manifests"], env: env({ CONC_V: "x1" }) }),
      pulumiOp(py, "up", { manifests: ["manifests"], env: env({ CONC_V: "y1" }) }),
    ]);
    expect(ux.code, ux.stdout + ux.stderr).toBe(0);
    expect(uy.code, uy.stdout + uy.stderr).toBe(0);
    // X changes its values and deletes one secret at the same time as Y runs unchanged.
    writeProjectFile(
      px,
      "manifests/all.yaml",
      nx
        .slice(1)
        .map((n) =>
          manifest(
            n,
            "  value:\n    string: { fromEnv: CONC_V }\n  deletion: { forceDeleteWithoutRecovery: true }",
          ),
        )
        .join("\n---\n"),
    );
    const [ux2, uy2] = await Promise.all([
      pulumiOp(px, "up", { manifests: ["manifests"], env: env({ CONC_V: "x2" }) }),
      pulumiOp(py, "up", { manifests: ["manifests"], env: env({ CONC_V: "y1" }), expectNoChanges: true }),
    ]);
    expect(ux2.code, ux2.stdout + ux2.stderr).toBe(0);
    expect(uy2.code, uy2.stdout + uy2.stderr).toBe(0);
    expect(await ownedSecrets(ownerOf(sy))).toEqual([...ny].sort());
    expect((await ownedSecrets(ownerOf(sx))).filter((n) => n !== nx[0])).toEqual(nx.slice(1).sort());
    for (const n of ny) {
      expect(await currentValue(n)).toBe("y1");
      expect(Object.keys(await versionIds(n))).toHaveLength(1);
    }
    for (const n of nx.slice(1)) expect(await currentValue(n)).toBe("x2");
  }, 240_000);

  it("two stacks claiming one name: refused through the ownership tag, every time, no flapping", async () => {
    const [sa, sb] = [`conc-a-${process.pid}`, `conc-b-${process.pid}`];
    const shared = `rel-conc/${sa}/shared`;
    const pa = projectWith(sa, [shared]);
    const pb = projectWith(sb, [`rel-conc/${sb}/own`, shared]);
    const upA = () => pulumiOp(pa, "up", { manifests: ["manifests"], env: env({ CONC_V: "from-a" }) });
    const upB = () => pulumiOp(pb, "up", { manifests: ["manifests"], env: env({ CONC_V: "from-b" }) });
    const first = await upA();
    expect(first.code, first.stdout + first.stderr).toBe(0);

    const outputs: string[] = [];
    for (const adopt of [false, true]) {
      if (adopt)
        writeProjectFile(
          pb,
          "manifests/all.yaml",
          [
            manifest(`rel-conc/${sb}/own`, "  value:\n    string: { fromEnv: CONC_V }"),
            manifest(shared, "  adopt: true\n  value:\n    string: { fromEnv: CONC_V }"),
          ].join("\n---\n"),
        );
      const b = await upB();
      const out = b.stdout + b.stderr;
      outputs.push(out);
      expect(b.code).not.toBe(0);
      expect(out).toContain(
        `Secret "${shared}" already exists and is managed by another stack ("${ownerOf(sa)}"), not by "${ownerOf(sb)}".`,
      );
      expect(out).toMatch(/hint: Remove it from the manifests of .* then set spec.adopt: true here/);
      expect(out).not.toMatch(STACK_FRAME);
      // A's secret is untouched and A still sees no change: no flapping.
      expect(await currentValue(shared)).toBe("from-a");
      const again = await pulumiOp(pa, "up", {
        manifests: ["manifests"],
        env: env({ CONC_V: "from-a" }),
        expectNoChanges: true,
      });
      expect(again.code, again.stdout + again.stderr).toBe(0);
    }
    const tags = (await describeSecret(shared)).Tags ?? [];
    expect(tags.find((t) => t.Key === OWNER_TAG)?.Value).toBe(ownerOf(sa));
    expect(Object.keys(await versionIds(shared))).toHaveLength(1);
    // B's other secret was still created: one bad secret does not block the rest.
    expect(await ownedSecrets(ownerOf(sb))).toEqual([`rel-conc/${sb}/own`]);
    figures.ownership = outputs[0]
      ?.split("\n")
      .find((l) => l.includes("managed by another stack"))
      ?.trim();
  }, 240_000);
});
