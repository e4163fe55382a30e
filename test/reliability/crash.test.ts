/**
 * Crash trials on the real engine: `pulumi up` creating N secrets is SIGKILLed at a
 * seeded point, either the `pulumi` CLI (the engine: state writes stop mid-update, the
 * lock stays) or the dynamic-provider process (calls in flight are lost). The user then
 * recovers as docs/reliability.md says (`pulumi cancel`, `pulumi refresh
 * --clear-pending-creates`) and runs `up` again, which must converge with nothing lost,
 * duplicated or orphaned.
 */
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { currentValue, manifest } from "../pulumi/support";
import { type FaultProxy, startFaultProxy } from "../support/fault-proxy";
import { createProject, type PulumiProject, pulumiOp, writeProjectFile } from "../support/pulumi";
import { report } from "./report";
import {
  FULL,
  languageHostProcess,
  mapLimit,
  ownedSecrets,
  providerProcess,
  pulumiCliProcess,
  recover,
  restoreTruncatedCheckpoint,
  seeded,
  startOp,
  stateSummary,
  versionIds,
  waitFor,
} from "./support";

const N = FULL ? 100 : 20;
/** Trials per kill target (the CLI, the provider): 10 trials in all, in CI and full runs. */
const TRIALS_PER_TARGET = 5;

type Target = "cli" | "provider";
interface Outcome {
  target: Target;
  seed: number;
  killedAfterCreates: number;
  inStateAfterKill: number;
  inAwsAfterKill: number;
  pendingAfterKill: number;
  /** The kill truncated the checkpoint and its .bak was restored. */
  checkpointRestored: boolean;
  converged: boolean;
  duplicates: number;
  orphans: number;
  lost: number;
}

let proxy: FaultProxy;
const outcomes: Outcome[] = [];
beforeAll(async () => {
  proxy = await startFaultProxy({ target: inject("motoEndpoint") });
});
afterAll(async () => {
  await proxy.stop();
  const converged = outcomes.filter((o) => o.converged).length;
  report("crash", {
    secretsPerTrial: N,
    trials: outcomes.length,
    converged,
    duplicates: outcomes.reduce((n, o) => n + o.duplicates, 0),
    orphans: outcomes.reduce((n, o) => n + o.orphans, 0),
    lost: outcomes.reduce((n, o) => n + o.lost, 0),
    outcomes,
  });
});

async function trial(target: Target, seed: number): Promise<void> {
  const random = seeded(seed);
  const stack = `crash-${target}-${seed}-${process.pid}`;
  const owner = `secret-manifests-inline/${stack}`;
  const project: PulumiProject = createProject({}, stack);
  const names = Array.from({ length: N }, (_, i) => `rel-crash/${stack}/s${i}`);
  writeProjectFile(
    project,
    "manifests/all.yaml",
    names.map((name, i) => manifest(name, `  value:\n    string: { fromEnv: CRASH_V${i} }`)).join("\n---\n"),
  );
  const env: NodeJS.ProcessEnv = { AWS_ENDPOINT_URL_SECRETS_MANAGER: proxy.endpoint };
  names.forEach((_, i) => {
    env[`CRASH_V${i}`] = `value-${seed}-${i}`;
  });

  // Kill once between 1 and N/2 CreateSecret calls have reached AWS, plus a short seeded
  // jitter: late enough to be mid-run, early enough that the run cannot finish first.
  proxy.resetCounts();
  const killAt = 1 + Math.floor(random() * (N / 2));
  const jitterMs = Math.floor(random() * 20);
  const running = startOp(project, "up", { manifests: ["manifests"], env });
  const driver = running.child.pid as number;
  // Both processes exist before the first create; find them first, kill at the chosen point.
  const provider = await waitFor("the provider process", () => providerProcess(driver));
  // A SIGKILLed CLI leaves its language host running (Pulumi's behaviour, not this project's;
  // a CI runner stops the whole process group). Stopped below, so trials leave no process.
  const languageHost = languageHostProcess(driver);
  const victim =
    target === "cli" ? await waitFor("the pulumi CLI", () => pulumiCliProcess(driver)) : provider;
  await waitFor(`${killAt} CreateSecret calls`, () => (proxy.counts().CreateSecret ?? 0) >= killAt);
  await new Promise((r) => setTimeout(r, jitterMs));
  const killedAfterCreates = proxy.counts().CreateSecret ?? 0;
  process.kill(victim.pid, "SIGKILL");
  const killed = await running.done;
  expect(killed.code, "the killed up must fail").not.toBe(0);
  // With the engine gone, the orphaned provider stops by itself rather than writing on.
  await waitFor(
    `the orphaned provider ${provider.pid} to exit`,
    () => !isAlive(provider.pid) || undefined,
    15_000,
  ).catch((e) => {
    console.log(
      execFileSync("ps", ["-o", "pid,ppid,etime,args", "-p", String(provider.pid)], { encoding: "utf8" }),
    );
    throw e;
  });

  if (languageHost && isAlive(languageHost.pid)) process.kill(languageHost.pid, "SIGTERM");

  const checkpointRestored = restoreTruncatedCheckpoint(project);
  const afterKill = await stateSummary(project);
  const inAwsAfterKill = (await ownedSecrets(owner)).length;

  const steps = await recover(project, env);
  for (const step of steps) expect(step.code, step.stdout + step.stderr).toBe(0);
  const up = await pulumiOp(project, "up", { manifests: ["manifests"], env });
  expect(up.code, up.stdout + up.stderr).toBe(0);

  const state = await stateSummary(project);
  const inAws = await ownedSecrets(owner);
  const versions = await mapLimit(names, 20, versionIds);
  const values = await mapLimit(names, 20, currentValue);
  const outcome: Outcome = {
    target,
    seed,
    killedAfterCreates,
    inStateAfterKill: afterKill.secrets.length,
    inAwsAfterKill,
    pendingAfterKill: afterKill.pendingOperations,
    checkpointRestored,
    converged: values.every((v, i) => v === env[`CRASH_V${i}`]) && state.pendingOperations === 0,
    duplicates: versions.reduce((n, v) => n + Math.max(0, Object.keys(v).length - 1), 0),
    orphans: inAws.filter((n) => !state.secrets.includes(n)).length,
    lost: names.filter((n) => !state.secrets.includes(n) || !inAws.includes(n)).length,
  };
  outcomes.push(outcome);

  expect(state.secrets).toEqual([...names].sort());
  expect(state.pendingOperations).toBe(0);
  expect(inAws).toEqual([...names].sort());
  for (const [i, v] of versions.entries()) {
    expect(Object.values(v), names[i]).toEqual([["AWSCURRENT"]]);
    expect(values[i]).toBe(env[`CRASH_V${i}`]);
  }
  expect(outcome).toMatchObject({ converged: true, duplicates: 0, orphans: 0, lost: 0 });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe(`SIGKILL during up of ${N} secrets, then recover and up again`, () => {
  for (let t = 0; t < TRIALS_PER_TARGET; t++) {
    it(`the pulumi CLI, seed ${100 + t}`, () => trial("cli", 100 + t), 240_000);
    it(`the provider process, seed ${200 + t}`, () => trial("provider", 200 + t), 240_000);
  }
});
