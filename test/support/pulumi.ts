/**
 * Runs the real Pulumi engine as users do: the `pulumi` CLI on a Pulumi.yaml in a temp
 * dir, the Node.js language host running the program, a local file backend and a
 * PULUMI_HOME of its own. up/preview/refresh/destroy go through
 * scripts/lib/pulumi-run.mjs (which writes the Pulumi.yaml and program, creates the
 * stack, sets the config and reads the change counts from the CLI's summary); other
 * commands call the CLI directly. No test needs the Automation API.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export const REPO_ROOT = path.resolve(__dirname, "../..");
const DRIVER = path.join(REPO_ROOT, "scripts/lib/pulumi-run.mjs");
export const OFFLINE_DNS = path.join(REPO_ROOT, "test/support/offline-dns.cjs");

export interface PulumiProject {
  dir: string;
  backend: string;
  stack: string;
  /** The Pulumi.yaml `name`; absent: the driver's default, secret-manifests-inline. */
  name?: string;
  env: NodeJS.ProcessEnv;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** For a successful up/preview/refresh/destroy: the change counts, and after up the stack outputs. */
  summary?: { changes: Record<string, number>; outputs: Record<string, unknown> };
}

/** A program dir whose node_modules resolves `secret-manifests` to this repo. */
export function createProject(files: Record<string, string | Buffer> = {}, stack = "dev"): PulumiProject {
  const dir = mkdtempSync(path.join(tmpdir(), "sm-pulumi-"));
  symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"));
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "program", private: true }));
  for (const [rel, content] of Object.entries(files))
    writeProjectFile({ dir } as PulumiProject, rel, content);
  const backend = path.join(dir, ".state");
  const home = path.join(dir, ".pulumi-home");
  mkdirSync(backend);
  mkdirSync(home);
  return {
    dir,
    backend,
    stack,
    env: {
      // Node processes of the run resolve loopback names only: a test never looks up an outside host.
      NODE_OPTIONS: `--require ${OFFLINE_DNS}`,
      PULUMI_HOME: home,
      PULUMI_BACKEND_URL: `file://${backend}`,
      PULUMI_CONFIG_PASSPHRASE: "test-passphrase",
    },
  };
}

export function writeProjectFile(project: Pick<PulumiProject, "dir">, rel: string, content: string | Buffer) {
  const file = path.join(project.dir, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}

export function run(
  cmd: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.once("error", reject);
    child.once("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export interface OpOptions {
  manifests?: string[];
  config?: Record<string, string>;
  secretConfig?: Record<string, string>;
  env?: NodeJS.ProcessEnv;
  /** A CommonJS module (relative to the project) exporting the program function; default: SecretManifests over `manifests`. */
  program?: string;
  expectNoChanges?: boolean;
  /** Engine log verbosity (-v), logged to stderr with --logflow. */
  logVerbosity?: number;
  /** Show the detailed property diff (`--diff`). */
  diff?: boolean;
  /** The engine's `--parallel`. */
  parallel?: number;
}

/** The driver's command line for one operation; it writes its summary to `resultFile`. */
export function driverArgs(
  project: PulumiProject,
  op: "up" | "preview" | "refresh" | "destroy",
  opts: OpOptions,
  resultFile: string,
): string[] {
  const args = [
    DRIVER,
    op,
    "--work-dir",
    project.dir,
    "--stack",
    project.stack,
    "--backend",
    project.backend,
    ...(project.name ? ["--project", project.name] : []),
  ];
  args.push("--result", resultFile);
  for (const m of opts.manifests ?? []) args.push("--manifests", m);
  for (const [k, v] of Object.entries(opts.config ?? {})) args.push("--config", `${k}=${v}`);
  for (const [k, v] of Object.entries(opts.secretConfig ?? {})) args.push("--secret-config", `${k}=${v}`);
  if (opts.program) args.push("--program", opts.program);
  if (opts.parallel) args.push("--parallel", String(opts.parallel));
  if (opts.expectNoChanges) args.push("--expect-no-changes");
  if (opts.diff) args.push("--diff");
  if (opts.logVerbosity) args.push("--log-verbosity", String(opts.logVerbosity));
  return args;
}

/** Runs `pulumi up|preview|refresh|destroy` on the real engine. Never throws on a failed run. */
export async function pulumiOp(
  project: PulumiProject,
  op: "up" | "preview" | "refresh" | "destroy",
  opts: OpOptions = {},
): Promise<RunResult> {
  const resultFile = path.join(project.dir, `.result-${op}-${Date.now()}-${Math.random()}.json`);
  const args = driverArgs(project, op, opts, resultFile);
  const res = await run(process.execPath, args, {
    cwd: project.dir,
    env: { ...process.env, ...project.env, ...opts.env },
  });
  if (res.code === 0) res.summary = JSON.parse(readFileSync(resultFile, "utf8"));
  return res;
}

/** Runs the pulumi CLI itself (stack export, cancel, ...) in the project's context. */
export function pulumiCli(
  project: PulumiProject,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<RunResult> {
  return run("pulumi", [...args, "--stack", project.stack, "--non-interactive"], {
    cwd: project.dir,
    env: { ...process.env, ...project.env, ...env },
  });
}

export async function exportState(project: PulumiProject, showSecrets = false): Promise<string> {
  const args = ["stack", "export", ...(showSecrets ? ["--show-secrets"] : [])];
  const res = await pulumiCli(project, args);
  if (res.code !== 0) throw new Error(`pulumi stack export failed: ${res.stderr}`);
  return res.stdout;
}
