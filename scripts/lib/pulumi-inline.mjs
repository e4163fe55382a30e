#!/usr/bin/env node
import { writeFileSync } from "node:fs";
// Runs one Pulumi operation (up, preview, refresh, destroy) on the real Pulumi engine
// over a folder of manifests, with the SecretManifests component as an inline program.
//
// Why inline: the Node.js language host (pulumi-language-nodejs) is not available as a
// Go module here, so the Automation API serves the program from this process and the
// `pulumi` CLI connects to it with --client. Everything else (engine, state, the
// dynamic-provider process, gRPC) is the real thing.
//
// Usage: pulumi-inline.mjs OP --work-dir DIR --stack NAME --backend DIR
//          [--manifests PATH]... [--config key=value]... [--secret-config key=value]...
//          [--result FILE] [--expect-no-changes] [--program FILE] [--log-verbosity N] [--diff]
// --program names a CommonJS module (relative to the work dir) exporting a Pulumi program
// function; without it, the program is SecretManifests over the --manifests paths.
// The work dir is the program directory: manifests and sops paths are relative to it, and
// it must be able to resolve `secret-manifests` and `@pulumi/pulumi` (a node_modules link).
import { createRequire } from "node:module";
import path from "node:path";
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    "work-dir": { type: "string" },
    stack: { type: "string", default: "dev" },
    backend: { type: "string" },
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
const op = positionals[0];
if (!["up", "preview", "refresh", "destroy"].includes(op ?? "")) {
  console.error("usage: pulumi-inline.mjs up|preview|refresh|destroy --work-dir DIR --backend DIR ...");
  process.exit(2);
}
const workDir = path.resolve(values["work-dir"] ?? ".");
const backend = path.resolve(values.backend ?? path.join(workDir, ".pulumi-state"));
const requireFromWorkDir = createRequire(path.join(workDir, "package.json"));
const { LocalWorkspace } = requireFromWorkDir("@pulumi/pulumi/automation");

const manifests = values.manifests.length > 0 ? values.manifests : ["manifests"];
const manifestsProgram = async () => {
  const { SecretManifests } = requireFromWorkDir("secret-manifests");
  const component = new SecretManifests("secret-manifests", { paths: manifests });
  return { arns: component.arns };
};
const program = values.program ? requireFromWorkDir(path.resolve(workDir, values.program)) : manifestsProgram;

function splitPair(pair) {
  const i = pair.indexOf("=");
  return [pair.slice(0, i), pair.slice(i + 1)];
}

async function main() {
  process.chdir(workDir);
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: values.stack, projectName: values.project, program },
    {
      workDir,
      projectSettings: { name: values.project, runtime: "nodejs", backend: { url: `file://${backend}` } },
      envVars: { PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? "" },
    },
  );
  const config = {};
  for (const pair of values.config) config[splitPair(pair)[0]] = { value: splitPair(pair)[1] };
  for (const pair of values["secret-config"])
    config[splitPair(pair)[0]] = { value: splitPair(pair)[1], secret: true };
  if (Object.keys(config).length > 0) await stack.setAllConfig(config);

  const opts = { onOutput: (s) => process.stdout.write(s), color: "never" };
  if (values.parallel) opts.parallel = Number(values.parallel);
  if (values["expect-no-changes"]) opts.expectNoChanges = true;
  if (values.diff) opts.diff = true;
  if (values["log-verbosity"])
    Object.assign(opts, { logVerbosity: Number(values["log-verbosity"]), logToStdErr: true, logFlow: true });
  const run = {
    up: () => stack.up(opts),
    preview: () => stack.preview(opts),
    refresh: () => stack.refresh(opts),
    destroy: () => stack.destroy(opts),
  };
  const res = await run[op]();
  // The Automation API keeps the CLI's stderr, where -v logs go; pass them on.
  if (values["log-verbosity"] && res.stderr) process.stderr.write(res.stderr);
  const summary = {
    op,
    changes: res.changeSummary ?? res.summary?.resourceChanges ?? {},
    outputs: Object.fromEntries(
      Object.entries(res.outputs ?? {}).map(([k, v]) => [k, v.secret ? "[secret]" : v.value]),
    ),
  };
  if (values.result) writeFileSync(values.result, JSON.stringify(summary));
}

main().catch((e) => {
  if (values["log-verbosity"] && e?.commandResult?.stderr) process.stderr.write(e.commandResult.stderr);
  // The engine's own message is already on stdout/stderr; keep ours to one line.
  const msg =
    String(e?.message ?? e)
      .split("\n")
      .find((l) => l.includes("error:")) ?? String(e?.message ?? e).split("\n")[0];
  console.error(`pulumi ${op} failed: ${msg.trim()}`);
  process.exit(1);
});
