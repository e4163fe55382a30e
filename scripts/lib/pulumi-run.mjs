#!/usr/bin/env node
// Runs one Pulumi operation (up, preview, refresh, destroy) the way users do: the `pulumi`
// CLI on a Pulumi.yaml (runtime nodejs), with the Node.js language host running the
// program. Used by the engine tests, the demo and the benches.
//
// Usage: pulumi-run.mjs OP --work-dir DIR --stack NAME [--backend DIR] [--project NAME]
//          [--manifests PATH]... [--config key=value]... [--secret-config key=value]...
//          [--result FILE] [--expect-no-changes] [--program FILE] [--log-verbosity N]
//          [--diff] [--parallel N]
// The work dir becomes the project: this writes its Pulumi.yaml and index.js. Without
// --program, index.js is SecretManifests over the --manifests paths (default "manifests");
// --program names a CommonJS module (relative to the work dir) exporting a Pulumi program
// function. The work dir must resolve `secret-manifests` and `@pulumi/pulumi`.
// The stack is created on first use; the config is set with `pulumi config set-all`.
// --result FILE receives {op, changes, outputs}: the change counts of the CLI's summary
// and, after up, the stack outputs (secret ones as "[secret]").
import { spawn } from "node:child_process";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";

const OPS = ["up", "preview", "refresh", "destroy"];

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    "work-dir": { type: "string" },
    stack: { type: "string", default: "dev" },
    backend: { type: "string" },
    // The tests' ownership tags (`<project>/<stack>`) carry this name.
    project: { type: "string", default: "secret-manifests-inline" },
    manifests: { type: "string", multiple: true, default: [] },
    config: { type: "string", multiple: true, default: [] },
    "secret-config": { type: "string", multiple: true, default: [] },
    result: { type: "string" },
    "expect-no-changes": { type: "boolean", default: false },
    parallel: { type: "string" },
    program: { type: "string" },
    "log-verbosity": { type: "string" },
    diff: { type: "boolean", default: false },
  },
});
const op = positionals[0] ?? "";
if (!OPS.includes(op)) {
  console.error("usage: pulumi-run.mjs up|preview|refresh|destroy --work-dir DIR --stack NAME ...");
  process.exit(2);
}
const workDir = path.resolve(values["work-dir"] ?? ".");
const env = { ...process.env };
if (values.backend) env.PULUMI_BACKEND_URL = `file://${path.resolve(values.backend)}`;

/** Writes through a rename, so a concurrent run on the same project never reads half a file. */
function writeIfChanged(file, content) {
  if (existsSync(file) && readFileSync(file, "utf8") === content) return;
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, file);
}

function writeProject() {
  // typescript: false: the program is JavaScript; the language host skips ts-node.
  writeIfChanged(
    path.join(workDir, "Pulumi.yaml"),
    `name: ${values.project}\nruntime:\n  name: nodejs\n  options:\n    typescript: false\n`,
  );
  const manifests = values.manifests.length > 0 ? values.manifests : ["manifests"];
  const program = values.program
    ? `module.exports = require(${JSON.stringify(`./${values.program}`)});\n`
    : [
        'const { SecretManifests } = require("secret-manifests");',
        "module.exports = () => {",
        `  const manifests = new SecretManifests("secret-manifests", { paths: ${JSON.stringify(manifests)} });`,
        "  return { arns: manifests.arns };",
        "};",
        "",
      ].join("\n");
  writeIfChanged(path.join(workDir, "index.js"), program);
}

function pulumi(args) {
  return new Promise((resolve, reject) => {
    const child = spawn("pulumi", [...args, "--non-interactive"], {
      cwd: workDir,
      env,
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
    child.once("error", reject);
    child.once("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

async function must(args) {
  const res = await pulumi(args);
  if (res.code !== 0) {
    process.stderr.write(res.stdout + res.stderr);
    throw new Error(`pulumi ${args.slice(0, 2).join(" ")} failed`);
  }
}

/**
 * `stack init` writes Pulumi.<stack>.yaml (the passphrase's salt), so its presence means the
 * stack exists. (`stack select --create` would change the workspace's selected stack.)
 */
async function ensureStack() {
  if (existsSync(path.join(workDir, `Pulumi.${values.stack}.yaml`))) return;
  const res = await pulumi(["stack", "ls", "--json"]);
  if (res.code === 0 && JSON.parse(res.stdout).some((s) => s.name === values.stack)) return;
  await must(["stack", "init", values.stack]);
}

async function setConfig() {
  const args = [];
  for (const pair of values.config) args.push("--plaintext", pair);
  for (const pair of values["secret-config"]) args.push("--secret", pair);
  if (args.length > 0) await must(["config", "set-all", "--stack", values.stack, ...args]);
}

function opArgs() {
  const args = [op, "--stack", values.stack, "--color", "never"];
  if (op !== "preview") args.push("--yes", "--skip-preview");
  if (values.parallel) args.push("--parallel", values.parallel);
  if (values["expect-no-changes"]) args.push("--expect-no-changes");
  if (values.diff) args.push("--diff");
  if (values["log-verbosity"]) args.push(`-v=${values["log-verbosity"]}`, "--logflow", "--logtostderr");
  return args;
}

/** The engine's resource-change kinds, as the CLI's summary words them (preview, then update). */
const CHANGE_WORDS = {
  create: ["to create", "created"],
  update: ["to update", "updated"],
  delete: ["to delete", "deleted"],
  replace: ["to replace", "replaced"],
  "create-replacement": ["to create replacement", "created replacement"],
  "delete-replaced": ["to delete replaced", "deleted replaced"],
  import: ["to import", "imported"],
  read: ["to read", "read"],
  discard: ["to discard", "discarded"],
  same: ["unchanged"],
};

/**
 * The change counts of the "Resources:" block the CLI prints at the end of every
 * operation (`+ 5 created`, `~ 1 to update`, `3 unchanged` or `5 changes. 3 unchanged`),
 * keyed as the engine's summary event and `pulumi stack history --json` key them. A line
 * it does not know fails the run: a miscount would pass silently. (Not `--json`: it replaces
 * the output users see, which the tests search for messages and leaks.)
 */
function changeCounts(output) {
  const lines = output.split("\n");
  const start = lines.lastIndexOf("Resources:");
  if (start < 0) throw new Error("the CLI printed no Resources: summary");
  const changes = {};
  for (const line of lines.slice(start + 1)) {
    // With several kinds of change, the unchanged count shares a line with the total.
    const total = /^\s+\d+ changes?\. (\d+) unchanged\s*$/.exec(line);
    if (total) {
      changes.same = Number(total[1]);
      continue;
    }
    const m = /^\s+(?:[-+~<>=?]+\s)?(\d+) (.+?)\s*$/.exec(line);
    if (!m) break;
    const kind = Object.keys(CHANGE_WORDS).find((k) => CHANGE_WORDS[k].includes(m[2]));
    if (!kind) throw new Error(`unknown change kind in the CLI's summary: ${line.trim()}`);
    changes[kind] = Number(m[1]);
  }
  return changes;
}

/** Secret outputs print as "[secret]". */
async function stackOutputs() {
  if (op !== "up") return {};
  const res = await pulumi(["stack", "output", "--json", "--stack", values.stack]);
  return res.code === 0 ? JSON.parse(res.stdout) : {};
}

/** The op's output goes to ours as it comes (as a user sees it), and is kept for its summary. */
function runOp() {
  return new Promise((resolve, reject) => {
    const child = spawn("pulumi", [...opArgs(), "--non-interactive"], {
      cwd: workDir,
      env,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let stdout = "";
    child.stdout.on("data", (d) => {
      stdout += d;
      process.stdout.write(d);
    });
    child.once("error", reject);
    child.once("close", (code) => resolve({ code: code ?? 1, stdout }));
  });
}

async function main() {
  writeProject();
  await ensureStack();
  await setConfig();
  const res = await runOp();
  if (res.code === 0 && values.result) {
    const summary = { op, changes: changeCounts(res.stdout), outputs: await stackOutputs() };
    writeFileSync(values.result, JSON.stringify(summary));
  }
  process.exitCode = res.code;
}

main().catch((e) => {
  console.error(`pulumi ${op} failed: ${e.message}`);
  process.exit(1);
});
