/**
 * Shared helpers for the reliability suite: running a Pulumi operation as a child we can
 * kill, the process tree below it, what a stack owns in AWS, and the user-level recovery
 * after a killed `pulumi up`.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { copyFileSync, existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import {
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import {
  driverArgs,
  exportState,
  type OpOptions,
  type PulumiProject,
  pulumiCli,
  type RunResult,
} from "../support/pulumi";

export { REPO_ROOT } from "../support/pulumi";

import { OWNER_TAG } from "../../src/reconcile/types";

export { OWNER_TAG };

/** `RELIABILITY_FULL=1` runs the full-size figures (100 secrets x 10 trials, 300-secret fault runs). */
export const FULL = process.env.RELIABILITY_FULL === "1";

/** The same seed gives the same trial. */
export { seeded } from "../support/fault-proxy";

export interface RunningOp {
  child: ChildProcess;
  done: Promise<RunResult>;
}

/** Starts `pulumi up|preview|refresh|destroy` through the driver and returns the live child. */
export function startOp(
  project: PulumiProject,
  op: "up" | "preview" | "refresh" | "destroy",
  opts: OpOptions = {},
): RunningOp {
  const resultFile = path.join(project.dir, `.result-${op}-${Date.now()}-${Math.random()}.json`);
  const args = driverArgs(project, op, opts, resultFile);
  const child = spawn(process.execPath, args, {
    cwd: project.dir,
    env: { ...process.env, ...project.env, ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d) => {
    stdout += d;
  });
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  const done = new Promise<RunResult>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => {
      const res: RunResult = { code: code ?? -1, stdout, stderr };
      if (code === 0) res.summary = JSON.parse(readFileSync(resultFile, "utf8"));
      resolve(res);
    });
  });
  return { child, done };
}

export interface Proc {
  pid: number;
  args: string;
}

export function childrenOf(pid: number): Proc[] {
  try {
    return execFileSync("ps", ["-o", "pid=,args=", "--ppid", String(pid)], { encoding: "utf8" })
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean)
      .map((l) => {
        const m = /^(\d+)\s+(.*)$/.exec(l);
        return { pid: Number(m?.[1]), args: m?.[2] ?? "" };
      });
  } catch {
    return []; // ps exits 1 when there are none
  }
}

export function descendantsOf(pid: number): Proc[] {
  const out: Proc[] = [];
  for (const c of childrenOf(pid)) out.push(c, ...descendantsOf(c.pid));
  return out;
}

/** The `pulumi up` CLI process the driver started. */
export const pulumiCliProcess = (driverPid: number) =>
  descendantsOf(driverPid).find((p) => /(^|\/)pulumi\s/.test(p.args));

/** The Node.js language host the CLI started (it runs the program). */
export const languageHostProcess = (driverPid: number) =>
  descendantsOf(driverPid).find((p) => /(^|\/)pulumi-language-nodejs\s/.test(p.args));

/** The dynamic-provider process the engine started. */
export const providerProcess = (driverPid: number) =>
  descendantsOf(driverPid).find((p) => /^\S*node\s.*dynamic-provider\/index\.js/.test(p.args));

export async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const sm = () => new SecretsManagerClient({});

/** Every secret in AWS tagged as owned by `owner`: scheduled deletions included, unless `live`. */
export async function ownedSecrets(owner: string, opts: { live?: boolean } = {}): Promise<string[]> {
  const client = sm();
  const names: string[] = [];
  let NextToken: string | undefined;
  do {
    const res = await client.send(
      new ListSecretsCommand({
        IncludePlannedDeletion: true,
        MaxResults: 100,
        NextToken,
        Filters: [
          { Key: "tag-key", Values: [OWNER_TAG] },
          { Key: "tag-value", Values: [owner] },
        ],
      }),
    );
    for (const s of res.SecretList ?? [])
      if (
        s.Tags?.some((t) => t.Key === OWNER_TAG && t.Value === owner) &&
        s.Name &&
        !(opts.live && s.DeletedDate)
      )
        names.push(s.Name);
    NextToken = res.NextToken;
  } while (NextToken);
  return names.sort();
}

export async function versionIds(name: string): Promise<Record<string, string[]>> {
  const res = await sm().send(new ListSecretVersionIdsCommand({ SecretId: name, IncludeDeprecated: true }));
  return Object.fromEntries((res.Versions ?? []).map((v) => [v.VersionId ?? "", v.VersionStages ?? []]));
}

/** Maps with at most `width` calls in flight: checking 300 secrets at once overwhelms moto. */
export async function mapLimit<T, R>(items: T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += width)
    out.push(...(await Promise.all(items.slice(i, i + width).map(fn))));
  return out;
}

export interface StateSummary {
  /** Secret names of the ManagedSecret resources recorded with an id. */
  secrets: string[];
  pendingOperations: number;
}

export async function stateSummary(project: PulumiProject): Promise<StateSummary> {
  const deployment = JSON.parse(await exportState(project)).deployment ?? {};
  const resources: { type: string; id?: string; outputs?: { name?: string } }[] = deployment.resources ?? [];
  return {
    secrets: resources
      .filter((r) => r.type.endsWith("ManagedSecret") && r.id)
      .map((r) => r.outputs?.name ?? "")
      .sort(),
    pendingOperations: (deployment.pending_operations ?? []).length,
  };
}

/**
 * What a user does after `pulumi up` was killed (docs/reliability.md):
 * 1. `pulumi cancel` removes the lock the killed run left in the file backend;
 * 2. `pulumi refresh --clear-pending-creates` drops the creates the engine never heard
 *    back from (the provider's next create finds such a secret by name and ownership tag
 *    and takes it over without a new version).
 * Returns the CLI transcripts, for the report and for assertions.
 */
/**
 * The file backend writes the checkpoint and its `.attrs` metadata in place: a SIGKILL
 * mid-write leaves either truncated ("failed to load checkpoint: EOF"). The user's fix is
 * the backup pair the backend keeps beside them. Returns whether that was needed.
 */
export function restoreTruncatedCheckpoint(project: PulumiProject): boolean {
  const stacks = path.join(project.backend, ".pulumi", "stacks");
  let restored = false;
  for (const dir of readdirSync(stacks)) {
    const checkpoint = path.join(stacks, dir, `${project.stack}.json`);
    if (!existsSync(checkpoint)) continue;
    if (parsesAsJson(checkpoint) && parsesAsJson(`${checkpoint}.attrs`)) continue;
    copyFileSync(`${checkpoint}.bak`, checkpoint);
    copyFileSync(`${checkpoint}.bak.attrs`, `${checkpoint}.attrs`);
    restored = true;
  }
  return restored;
}

function parsesAsJson(file: string): boolean {
  try {
    JSON.parse(readFileSync(file, "utf8"));
    return true;
  } catch {
    return false;
  }
}

export async function recover(project: PulumiProject, env: NodeJS.ProcessEnv): Promise<RunResult[]> {
  const cancel = await pulumiCli(project, ["cancel", "--yes"], env);
  const refresh = await pulumiCli(
    project,
    ["refresh", "--clear-pending-creates", "--yes", "--skip-preview"],
    env,
  );
  return [cancel, refresh];
}
