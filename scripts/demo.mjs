#!/usr/bin/env node
// The demo behind `npm run demo` (scripts/demo installs and builds first, then runs this
// with the pinned tools on PATH). Starts moto (a local Secrets Manager) on loopback, runs
// `pulumi up` over examples/ with a project-local backend, prints what was created, runs a
// second `up` that changes nothing, previews one value change, and stops moto.
//
// moto keeps its data in memory only, so every run starts from scratch: .pulumi-demo/ is
// recreated (state, passphrase, Pulumi home) and describes the last run only.
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { awsEnvFor, startMoto } from "./lib/moto.mjs";

const root = path.resolve(import.meta.dirname, "..");
const demoDir = path.join(root, ".pulumi-demo");
const programDir = path.join(demoDir, "program");
const stateDir = path.join(demoDir, "state");
const homeDir = path.join(demoDir, "pulumi-home");
const passphraseFile = path.join(demoDir, "passphrase");
const ageKeyFile = path.join(root, "examples/secrets/DEMO-ONLY-age-key.txt");
const envFile = path.join(root, "examples/demo.env");
const stack = "demo";
const project = "secret-manifests-demo";
const rel = (p) => path.relative(process.cwd(), p) || ".";

/** A failure of one step, told in one line (no stack trace). */
class StepError extends Error {}

let stepNo = 0;
const TOTAL = 6;
async function step(title, fn) {
  stepNo += 1;
  console.log(`demo: [${stepNo}/${TOTAL}] ${title}`);
  try {
    return await fn();
  } catch (e) {
    const why = e instanceof StepError ? e.message : String(e?.message ?? e).split("\n")[0];
    throw new StepError(`step ${stepNo} "${title}" failed: ${why}`);
  }
}

function readDemoEnv() {
  const values = {};
  for (const line of readFileSync(envFile, "utf8").split("\n")) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) values[m[1]] = m[2];
  }
  return values;
}

function freshDemoDir() {
  rmSync(demoDir, { recursive: true, force: true });
  for (const d of [programDir, stateDir, homeDir]) mkdirSync(d, { recursive: true });
  writeFileSync(passphraseFile, `${randomBytes(24).toString("base64url")}\n`, { mode: 0o600 });
  chmodSync(passphraseFile, 0o600);
  // The program folder resolves `secret-manifests` from the repo's node_modules (scripts/build
  // installs the package copy there) and sees examples/ under its own name.
  symlinkSync(path.join(root, "node_modules"), path.join(programDir, "node_modules"));
  symlinkSync(path.join(root, "examples"), path.join(programDir, "examples"));
  writeFileSync(path.join(programDir, "package.json"), '{ "name": "demo-program", "private": true }\n');
}

/** The environment of every Pulumi run: moto only, demo values, demo key; nothing from the user's AWS or sops setup. */
function runEnv(endpoint, overrides = {}) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/^(AWS_|SOPS_)/.test(k)) delete env[k];
  return {
    ...env,
    ...awsEnvFor(endpoint),
    ...readDemoEnv(),
    SOPS_AGE_KEY_FILE: ageKeyFile,
    PULUMI_HOME: homeDir,
    PULUMI_BACKEND_URL: `file://${stateDir}`,
    PULUMI_CONFIG_PASSPHRASE: readFileSync(passphraseFile, "utf8").trim(),
    ...overrides,
  };
}

/** Runs `pulumi` through scripts/lib/pulumi-run.mjs; streams its output indented (or what `show` makes of each line). */
function pulumi(op, env, { result, extra = [], show = (l) => l } = {}) {
  const args = [
    path.join(root, "scripts/lib/pulumi-run.mjs"),
    op,
    ...["--work-dir", programDir, "--stack", stack, "--backend", stateDir, "--project", project],
    ...["--manifests", "examples", "--result", result],
    ...extra,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: programDir, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let errLine = "";
    let pending = "";
    child.stdout.on("data", (d) => {
      out += d;
      pending += d;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const l of lines) print(show(l));
    });
    child.stderr.on("data", (d) => {
      errLine += d;
    });
    child.once("error", reject);
    child.once("close", (code) => {
      if (pending) print(show(pending));
      writeFileSync(path.join(demoDir, `${path.basename(result, ".json")}.log`), out + errLine);
      if (code === 0) return resolve(JSON.parse(readFileSync(result, "utf8")));
      reject(
        new StepError(
          `${diagnostic(out) ?? errLine.trim().split("\n").pop() ?? `exit ${code}`} (output above)`,
        ),
      );
    });
  });
}

const print = (line) => {
  if (line !== undefined) console.log(`    ${line}`);
};

/** The short form of `preview --diff`: the changed secret, the changed digests, the totals. */
function previewLine(line) {
  const urn = /\[urn=.*ManagedSecret::(.+)\]$/.exec(line);
  if (urn) return `~ ${urn[1]}`;
  if (/^\s+~ .*=>/.test(line)) return `    ${line.trim()}`;
  if (/^\s+(~ )?\d+ (to update|unchanged)/.test(line)) return `  ${line.trim()}`;
  return undefined;
}

/** The first resource error of Pulumi's "Diagnostics:" section, as "resource: message". */
function diagnostic(out) {
  const lines = out.slice(out.lastIndexOf("Diagnostics:")).split("\n");
  let resource = "";
  for (const l of lines) {
    const head = /^\s+\S+ \((.+)\):$/.exec(l);
    if (head) resource = head[1];
    const err = /^\s+error: (.+)$/.exec(l);
    if (err && !/^update failed|^preview failed/.test(err[1])) return `${resource}: ${err[1]}`;
  }
  return undefined;
}

/** Every decrypted string of the demo sops files and every demo env value: none may be in the state. */
function plaintexts() {
  const values = Object.values(readDemoEnv()).filter((v) => v.length >= 4);
  const leaves = (node) =>
    node && typeof node === "object" ? Object.values(node).flatMap(leaves) : [String(node)];
  for (const f of ["demo.enc.yaml", "demo.enc.env"]) {
    const json = execFileSync(
      "sops",
      ["decrypt", "--output-type", "json", path.join(root, "examples/secrets", f)],
      {
        env: { ...process.env, SOPS_AGE_KEY_FILE: ageKeyFile },
        encoding: "utf8",
      },
    );
    values.push(...leaves(JSON.parse(json)).filter((v) => v.length >= 8));
  }
  return [...new Set(values)];
}

async function main() {
  console.log("demo: secret-manifests against a local Secrets Manager (moto); no AWS account needed");
  await step("fresh project-local Pulumi backend in .pulumi-demo/ (generated passphrase)", () => {
    if (!existsSync(ageKeyFile)) throw new StepError(`${rel(ageKeyFile)} is missing`);
    freshDemoDir();
    console.log(`    state:      ${rel(stateDir)}   passphrase: ${rel(passphraseFile)}`);
  });
  const moto = await step("start moto (Secrets Manager emulator) on loopback", async () => {
    const m = await startMoto();
    console.log(`    endpoint:   ${m.endpoint}`);
    return m;
  });
  try {
    const first = await step(
      `pulumi up over examples/ (values: ${rel(envFile)} + sops files, DEMO-ONLY age key)`,
      () => pulumi("up", runEnv(moto.endpoint), { result: path.join(demoDir, "up-1.json") }),
    );
    const arns = first.outputs?.arns ?? {};
    const names = Object.keys(arns).sort();
    if (names.length === 0) throw new StepError("the first up created no secrets");
    const width = Math.max(...names.map((n) => n.length));
    console.log(`demo: created ${names.length} secrets:`);
    for (const n of names) console.log(`    ${n.padEnd(width)}  ${arns[n]}`);

    await step("check the Pulumi state for plaintext", () => {
      const state = execFileSync("pulumi", ["stack", "export", "--show-secrets", "--stack", stack], {
        cwd: programDir,
        env: runEnv(moto.endpoint),
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
      const values = plaintexts();
      const leaked = values.filter((v) => state.includes(v));
      if (leaked.length > 0) throw new StepError(`${leaked.length} plaintext value(s) found in the state`);
      console.log(
        `    0 of ${values.length} demo plaintext values appear in the state (exported with --show-secrets); it holds keyed digests only`,
      );
    });

    const second = await step("pulumi up again: nothing to do", () =>
      pulumi("up", runEnv(moto.endpoint), {
        result: path.join(demoDir, "up-2.json"),
        extra: ["--expect-no-changes"],
      }),
    );
    const changes = second.changes ?? {};
    const changed = Object.entries(changes).filter(([k, n]) => k !== "same" && n > 0);
    if (changed.length > 0)
      throw new StepError(`the second up changed something: ${JSON.stringify(changes)}`);
    console.log(`demo: second up: no changes (${changes.same ?? 0} resources unchanged)`);

    await step("pulumi preview --diff with DEMO_DB_HOST changed: names the JSON key, never the value", () =>
      pulumi("preview", runEnv(moto.endpoint, { DEMO_DB_HOST: "changed.demo.internal" }), {
        result: path.join(demoDir, "preview.json"),
        extra: ["--diff"],
        show: previewLine,
      }),
    );
  } finally {
    await moto.stop();
    console.log("demo: moto stopped (its data is gone; the state in .pulumi-demo/ describes this run only)");
  }
  console.log(`
demo: done.
  State:       ${rel(stateDir)} (Pulumi file backend; passphrase in ${rel(passphraseFile)})
  Look at it:  PULUMI_HOME=${rel(homeDir)} PULUMI_CONFIG_PASSPHRASE_FILE=${rel(passphraseFile)} \\
                 scripts/with-tools pulumi stack export --stack ${stack} --cwd ${rel(programDir)}
  Logs:        ${rel(demoDir)}/up-1.log, up-2.log, preview.log
  Run again:   npm run demo   (starts from scratch every time)
  Clean up:    rm -rf .pulumi-demo        (the tools cache is shared with npm test:
               rm -rf \${SECRET_MANIFESTS_CACHE:-~/.cache/secret-manifests} to remove it too)`);
}

main().catch((e) => {
  console.error(
    `demo: FAILED: ${e instanceof StepError ? e.message : String(e?.message ?? e).split("\n")[0]}`,
  );
  process.exit(1);
});
