/**
 * Crash trials on the real engine: `pulumi up` is SIGKILLed at a seeded point while it
 * creates N secrets, or while it writes new values to, deletes, replaces or restores
 * deployed ones. The victim is either the `pulumi` CLI (the engine: state writes stop
 * mid-update, the lock stays) or the dynamic-provider process (calls in flight are lost).
 * The user then recovers as docs/reliability.md says (`pulumi cancel`, `pulumi refresh
 * --clear-pending-creates`) and runs `up` again, which must converge with nothing lost,
 * duplicated or orphaned.
 */
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { currentValue, describe as describeSecret, manifest } from "../pulumi/support";
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
/** Trials per kill target (the CLI, the provider) of `up` creating N secrets. */
const TRIALS_PER_TARGET = 5;
/** Secrets per trial of the other changes (each trial deploys them first). */
const N_CHANGE = FULL ? 50 : 10;

type Target = "cli" | "provider";
/**
 * What the killed `up` does: create N secrets; write a new value to each; delete half of
 * them; replace each (a new name: create, then delete the old one); restore each after a
 * delete (the manifests put back within the recovery window).
 */
type Change = "create" | "update" | "delete" | "replace" | "restore";

interface Outcome {
  change: Change;
  target: Target;
  seed: number;
  /** The calls of `killOn` that had reached AWS when the kill came. */
  killedAfter: number;
  killOn: string;
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
  proxy = await startFaultProxy({ target: inject("awsEndpoint") });
});
afterAll(async () => {
  await proxy.stop();
  const converged = outcomes.filter((o) => o.converged).length;
  const byChange: Record<
    string,
    { trials: number; converged: number; duplicates: number; orphans: number; lost: number }
  > = {};
  for (const o of outcomes) {
    const row = byChange[o.change] ?? { trials: 0, converged: 0, duplicates: 0, orphans: 0, lost: 0 };
    byChange[o.change] = row;
    row.trials++;
    row.converged += o.converged ? 1 : 0;
    row.duplicates += o.duplicates;
    row.orphans += o.orphans;
    row.lost += o.lost;
  }
  report("crash", {
    secretsPerTrial: { create: N, other: N_CHANGE },
    trials: outcomes.length,
    converged,
    duplicates: outcomes.reduce((n, o) => n + o.duplicates, 0),
    orphans: outcomes.reduce((n, o) => n + o.orphans, 0),
    lost: outcomes.reduce((n, o) => n + o.lost, 0),
    byChange,
    outcomes,
  });
});

/** A trial's secrets: names, manifests and the env holding their values. */
interface Fleet {
  project: PulumiProject;
  owner: string;
  env: NodeJS.ProcessEnv;
  /** Writes manifests for `names`, with values from `values` (index -> value). */
  deploy(names: string[], values: (i: number) => string): void;
}

function fleet(stack: string): Fleet {
  const project: PulumiProject = createProject({}, stack);
  const env: NodeJS.ProcessEnv = { AWS_ENDPOINT_URL_SECRETS_MANAGER: proxy.endpoint };
  return {
    project,
    owner: `secret-manifests-inline/${stack}`,
    env,
    deploy(names, values) {
      writeProjectFile(
        project,
        "manifests/all.yaml",
        names
          .map((name, i) => {
            env[`CRASH_V${i}`] = values(i);
            return manifest(
              name,
              `  value:\n    string: { fromEnv: CRASH_V${i} }\n  deletion: { recoveryWindowInDays: 7 }`,
            );
          })
          .join("\n---\n"),
      );
    },
  };
}

/** What a change deploys before the killed run, and what that run then does. */
interface Scenario {
  killOn: string;
  /** How many `killOn` calls the killed run would make uninterrupted. */
  calls: number;
  /** Secrets that must exist afterwards, with their values and version count. */
  wanted: { name: string; value: string; versions: number }[];
  /** Secrets that must be scheduled for deletion afterwards. */
  gone: string[];
}

async function prepare(change: Change, f: Fleet, seed: number, n: number): Promise<Scenario> {
  const names = Array.from({ length: n }, (_, i) => `rel-crash/${f.project.stack}/s${i}`);
  const first = (i: number) => `value-${seed}-${i}`;
  f.deploy(names, first);
  if (change === "create") {
    return {
      killOn: "CreateSecret",
      calls: n,
      wanted: names.map((name, i) => ({ name, value: first(i), versions: 1 })),
      gone: [],
    };
  }
  await upOk(f);
  switch (change) {
    case "update": {
      const second = (i: number) => `value2-${seed}-${i}`;
      f.deploy(names, second);
      return {
        killOn: "PutSecretValue",
        calls: n,
        wanted: names.map((name, i) => ({ name, value: second(i), versions: 2 })),
        gone: [],
      };
    }
    case "delete": {
      const kept = names.slice(0, n / 2);
      f.deploy(kept, first);
      return {
        killOn: "DeleteSecret",
        calls: n - kept.length,
        wanted: kept.map((name, i) => ({ name, value: first(i), versions: 1 })),
        gone: names.slice(n / 2),
      };
    }
    case "replace": {
      const renamed = names.map((name) => `${name}-renamed`);
      f.deploy(renamed, first);
      return {
        killOn: "CreateSecret",
        calls: n,
        wanted: renamed.map((name, i) => ({ name, value: first(i), versions: 1 })),
        gone: names,
      };
    }
    case "restore": {
      f.deploy([], first);
      await upOk(f);
      f.deploy(names, first);
      return {
        killOn: "RestoreSecret",
        calls: n,
        wanted: names.map((name, i) => ({ name, value: first(i), versions: 1 })),
        gone: [],
      };
    }
  }
}

async function upOk(f: Fleet): Promise<void> {
  const up = await pulumiOp(f.project, "up", { manifests: ["manifests"], env: f.env });
  expect(up.code, up.stdout + up.stderr).toBe(0);
}

async function trial(change: Change, target: Target, seed: number): Promise<void> {
  proxy.setRules([]);
  const random = seeded(seed);
  const f = fleet(`crash-${change}-${target}-${seed}-${process.pid}`);
  const scenario = await prepare(change, f, seed, change === "create" ? N : N_CHANGE);

  // Kill once between 1 and half of the run's calls reached AWS, plus a short seeded
  // jitter. The calls after the chosen one are held in the proxy (and dropped when their
  // process dies), so the run cannot finish before the kill, however fast it goes.
  proxy.resetCounts();
  const killAt = 1 + Math.floor(random() * (scenario.calls / 2));
  const jitterMs = Math.floor(random() * 20);
  proxy.setRules([{ targets: [scenario.killOn], skipFirst: killAt, action: { type: "hold", ms: 60_000 } }]);
  const running = startOp(f.project, "up", { manifests: ["manifests"], env: f.env });
  const driver = running.child.pid as number;
  // Both processes exist before the first write; find them first, kill at the chosen point.
  const provider = await waitFor("the provider process", () => providerProcess(driver));
  // A SIGKILLed CLI leaves its language host running (Pulumi's behaviour, not this project's;
  // a CI runner stops the whole process group). Stopped below, so trials leave no process.
  const languageHost = languageHostProcess(driver);
  const victim =
    target === "cli" ? await waitFor("the pulumi CLI", () => pulumiCliProcess(driver)) : provider;
  await waitFor(`${killAt} ${scenario.killOn} calls`, () => (proxy.counts()[scenario.killOn] ?? 0) >= killAt);
  await new Promise((r) => setTimeout(r, jitterMs));
  const killedAfter = proxy.log().filter((r) => r.target === scenario.killOn && !r.fault).length;
  process.kill(victim.pid, "SIGKILL");
  const killed = await running.done;
  proxy.setRules([]);
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

  const checkpointRestored = restoreTruncatedCheckpoint(f.project);
  const afterKill = await stateSummary(f.project);
  const inAwsAfterKill = (await ownedSecrets(f.owner, { live: true })).length;

  const steps = await recover(f.project, f.env);
  for (const step of steps) expect(step.code, step.stdout + step.stderr).toBe(0);
  await upOk(f);

  const wantedNames = scenario.wanted.map((w) => w.name);
  const state = await stateSummary(f.project);
  const live = await ownedSecrets(f.owner, { live: true });
  const versions = await mapLimit(wantedNames, 20, versionIds);
  const values = await mapLimit(wantedNames, 20, (name) => currentValue(name).catch(() => undefined));
  const gone = await mapLimit(
    scenario.gone,
    20,
    async (name) => (await describeSecret(name).catch(() => undefined))?.DeletedDate,
  );
  const outcome: Outcome = {
    change,
    target,
    seed,
    killOn: scenario.killOn,
    killedAfter,
    inStateAfterKill: afterKill.secrets.length,
    inAwsAfterKill,
    pendingAfterKill: afterKill.pendingOperations,
    checkpointRestored,
    converged:
      scenario.wanted.every((w, i) => values[i] === w.value) &&
      gone.every((d) => d !== undefined) &&
      state.pendingOperations === 0,
    duplicates: scenario.wanted.reduce(
      (n, w, i) => n + Math.max(0, Object.keys(versions[i] ?? {}).length - w.versions),
      0,
    ),
    orphans: live.filter((n) => !state.secrets.includes(n)).length,
    lost: scenario.wanted.filter(
      (w, i) => !state.secrets.includes(w.name) || !live.includes(w.name) || values[i] !== w.value,
    ).length,
  };
  outcomes.push(outcome);

  expect(state.secrets).toEqual([...wantedNames].sort());
  expect(state.pendingOperations).toBe(0);
  expect(live).toEqual([...wantedNames].sort());
  for (const [i, w] of scenario.wanted.entries()) {
    expect(values[i], w.name).toBe(w.value);
    expect(Object.keys(versions[i] ?? {}), w.name).toHaveLength(w.versions);
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
    it(`the pulumi CLI, seed ${100 + t}`, () => trial("create", "cli", 100 + t), 240_000);
    it(`the provider process, seed ${200 + t}`, () => trial("create", "provider", 200 + t), 240_000);
  }
});

describe(`SIGKILL during up changing ${N_CHANGE} deployed secrets, then recover and up again`, () => {
  const changes: Change[] = ["update", "delete", "replace", "restore"];
  for (const [c, change] of changes.entries()) {
    it(`${change}: the pulumi CLI, seed ${300 + c}`, () => trial(change, "cli", 300 + c), 240_000);
    it(`${change}: the provider process, seed ${400 + c}`, () => trial(change, "provider", 400 + c), 240_000);
  }
});
