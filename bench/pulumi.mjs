// Benchmark: `pulumi up/preview/refresh` of N ManagedSecrets on the real engine against
// moto on loopback, compared with floors measured in the same run:
//   engine floor: the same program shape (component, HMAC-key resource, N dynamic resources
//                 with the same inputs, same --parallel) with a provider that does nothing;
//   API floor:    a bare SDK script creating the same N secrets at the same concurrency.
// API calls are counted per operation by the fault proxy (no faults injected) between the
// provider and moto. Peak RSS is VmHWM of the dynamic-provider process, sampled from /proc.
//
// Usage: scripts/with-tools node bench/pulumi.mjs [--n 200] [--runs 3] [--parallel P] [--json FILE]
// (npm run bench builds first and runs this; build yourself with scripts/build otherwise).
import { execFile, execFileSync, spawn } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire, stripTypeScriptTypes } from "node:module";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs, promisify } from "node:util";
import { awsEnvFor, startMoto } from "../scripts/lib/moto.mjs";

const execFileAsync = promisify(execFile);
const root = path.resolve(import.meta.dirname, "..");
const { values: opt } = parseArgs({
  options: {
    n: { type: "string", default: "200" },
    runs: { type: "string", default: "3" },
    parallel: { type: "string", default: String(cpus().length * 4) },
    json: { type: "string" },
    keep: { type: "boolean", default: false },
    // The file backend rewrites the whole checkpoint twice per step (O(N^2) per operation);
    // PULUMI_SKIP_CHECKPOINTS writes it once at the end, for the product and the floor alike.
    "skip-checkpoints": { type: "boolean", default: false },
    // Writes V8 CPU profiles of every Node process of every step (the program and the
    // dynamic-provider process) under DIR/<run>-<step>/, for `node bench/profile-summary.mjs`.
    profile: { type: "string" },
  },
});
const N = Number(opt.n);
const RUNS = Number(opt.runs);
const P = Number(opt.parallel);
const DRIVER = path.join(root, "scripts/lib/pulumi-run.mjs");
const STACK = "bench";
const FILES = Math.max(1, Math.min(10, Math.ceil(N / 20)));

// The counting proxy is the tests' own (TypeScript): strip its types into a cache file.
async function loadFaultProxy() {
  const dir = path.join(root, "node_modules/.cache/bench-pulumi");
  mkdirSync(dir, { recursive: true });
  const out = path.join(dir, "fault-proxy.mjs");
  const src = readFileSync(path.join(root, "test/support/fault-proxy.ts"), "utf8");
  const { emitWarning } = process;
  process.emitWarning = () => {}; // stripTypeScriptTypes is "experimental" in Node 24
  writeFileSync(out, stripTypeScriptTypes(src));
  process.emitWarning = emitWarning;
  return import(out);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// ---------- /proc sampling of the dynamic-provider process ----------
function childrenMap() {
  const kids = new Map();
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!kids.has(ppid)) kids.set(ppid, []);
      kids.get(ppid).push(Number(e));
    } catch {}
  }
  return kids;
}
function providerPeakKb(rootPid) {
  const kids = childrenMap();
  let peak = 0;
  const queue = [rootPid];
  while (queue.length) {
    const pid = queue.pop();
    for (const c of kids.get(pid) ?? []) {
      queue.push(c);
      try {
        if (!readFileSync(`/proc/${c}/cmdline`, "utf8").includes("dynamic-provider")) continue;
        const hwm = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${c}/status`, "utf8"));
        if (hwm) peak = Math.max(peak, Number(hwm[1]));
      } catch {}
    }
  }
  return peak;
}

// ---------- running one Pulumi operation ----------
function project(dir, { floor = false } = {}) {
  mkdirSync(dir, { recursive: true });
  if (floor) {
    // The repo's packages plus `bench-floor`, the no-op providers, loaded from node_modules.
    const modules = path.join(dir, "node_modules");
    mkdirSync(modules);
    for (const e of readdirSync(path.join(root, "node_modules")))
      symlinkSync(path.join(root, "node_modules", e), path.join(modules, e));
    const pkg = path.join(modules, "bench-floor");
    mkdirSync(pkg);
    writeFileSync(
      path.join(pkg, "package.json"),
      JSON.stringify({ name: "bench-floor", main: "provider.js" }),
    );
    writeFileSync(path.join(pkg, "provider.js"), readFileSync(path.join(root, "bench/floor-provider.cjs")));
    writeFileSync(path.join(pkg, "noop.js"), 'module.exports = require("./provider.js").noop;\n');
    writeFileSync(path.join(pkg, "key.js"), 'module.exports = require("./provider.js").key;\n');
  } else symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"));
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "bench", private: true }));
  mkdirSync(path.join(dir, ".state"));
  mkdirSync(path.join(dir, ".home"));
  return {
    dir,
    env: {
      PULUMI_HOME: path.join(dir, ".home"),
      PULUMI_BACKEND_URL: `file://${path.join(dir, ".state")}`,
      PULUMI_CONFIG_PASSPHRASE: "bench",
    },
  };
}

async function pulumiOp(proj, op, { env = {}, program, expectNoChanges } = {}) {
  const result = path.join(proj.dir, `.result-${op}.json`);
  const args = [
    DRIVER,
    op,
    "--work-dir",
    proj.dir,
    "--stack",
    STACK,
    "--backend",
    path.join(proj.dir, ".state"),
  ];
  args.push("--parallel", String(P), "--result", result);
  if (program) args.push("--program", program);
  else args.push("--manifests", "manifests");
  if (expectNoChanges) args.push("--expect-no-changes");
  const start = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: proj.dir,
    env: { ...process.env, ...proj.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d) => {
    output = (output + d).slice(-20000);
  });
  child.stderr.on("data", (d) => {
    output = (output + d).slice(-20000);
  });
  let peakKb = 0;
  const sampler = setInterval(() => {
    peakKb = Math.max(peakKb, providerPeakKb(child.pid));
  }, 200);
  const code = await new Promise((resolve) => child.once("close", resolve));
  clearInterval(sampler);
  const ms = performance.now() - start;
  if (code !== 0) throw new Error(`pulumi ${op} in ${proj.dir} failed (${code}):\n${output}`);
  const summary = JSON.parse(readFileSync(result, "utf8"));
  return { ms, peakKb, changes: summary.changes };
}

function stateOf(proj) {
  return execFileSync("pulumi", ["stack", "export", "--stack", STACK, "--non-interactive"], {
    cwd: proj.dir,
    env: { ...process.env, ...proj.env },
    maxBuffer: 1 << 30,
    encoding: "utf8",
  });
}

// ---------- inputs ----------
function sopsFile(dir, keyFile, recipient, count) {
  const plain = path.join(dir, "bench.plain.yaml");
  const lines = [];
  for (let i = 0; i < count; i++) lines.push(`k${i}: sops-value-${i}-${"x".repeat(24)}`);
  writeFileSync(plain, `${lines.join("\n")}\n`);
  const enc = execFileSync("sops", ["encrypt", "--age", recipient, plain], {
    encoding: "utf8",
    env: { ...process.env, SOPS_AGE_KEY_FILE: keyFile },
  });
  rmSync(plain);
  return enc;
}

/** Even secrets: a string from an env var; odd: a JSON value with a literal and a sops key. */
function manifests(prefix) {
  const files = Array.from({ length: FILES }, () => []);
  const api = [];
  for (let i = 0; i < N; i++) {
    const name = `${prefix}/secret-${String(i).padStart(4, "0")}`;
    const value =
      i % 2 === 0
        ? ["  value:", "    string: { fromEnv: BENCH_VALUE_A }"]
        : [
            "  value:",
            "    json:",
            "      username: app",
            `      password: { fromSops: { file: ../secrets/bench.enc.yaml, path: k${i} } }`,
          ];
    files[i % FILES].push(
      [
        "apiVersion: secret-manifests/v1",
        "kind: Secret",
        "metadata:",
        `  name: ${name}`,
        `  description: bench secret ${i}`,
        "  tags: { team: bench, tier: backend }",
        "spec:",
        ...value,
      ].join("\n"),
    );
    api.push({
      name,
      description: `bench secret ${i}`,
      tags: { team: "bench", tier: "backend", "secret-manifests:stack": `secret-manifests-inline/${STACK}` },
      value: i % 2 === 0 ? "env-value-a-0123456789" : JSON.stringify({ username: "app", password: `v${i}` }),
    });
  }
  return { files: files.map((docs) => `${docs.join("\n---\n")}\n`), api };
}

async function resetMoto(endpoint) {
  const res = await fetch(`${endpoint}/moto-api/reset`, { method: "POST" });
  if (!res.ok) throw new Error(`moto reset: ${res.status}`);
}

function callsIn(counts) {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

// ---------- main ----------
const loaded = await loadFaultProxy();
const moto = await startMoto();
const proxy = await loaded.startFaultProxy({ target: moto.endpoint });
// An interrupted bench must not leave moto running.
for (const signal of ["SIGINT", "SIGTERM"])
  process.once(signal, () => {
    moto.stop().finally(() => process.exit(130));
  });
const work = mkdtempSync(path.join(tmpdir(), "sm-bench-"));
const keyFile = path.join(work, "age-key.txt");
execFileSync("age-keygen", ["-o", keyFile], { stdio: "ignore" });
const recipient = /public key: (age1\w+)/.exec(readFileSync(keyFile, "utf8"))[1];
const sopsText = sopsFile(work, keyFile, recipient, N);
const { loadManifests } = createRequire(path.join(root, "package.json"))("secret-manifests");
const aws = {
  ...awsEnvFor(proxy.endpoint),
  ...(opt["skip-checkpoints"] ? { PULUMI_SKIP_CHECKPOINTS: "true" } : {}),
};
const runs = [];

const machine = {
  cpu: cpus()[0]?.model.trim(),
  cores: cpus().length,
  memGiB: (totalmem() / 2 ** 30).toFixed(1),
  node: process.version,
  pulumi: execFileSync("pulumi", ["version"], { encoding: "utf8" }).trim(),
};
console.error(`bench: N=${N}, runs=${RUNS}, --parallel ${P}, work dir ${work}`);

try {
  for (let r = 0; r < RUNS; r++) {
    const run = { load: [loadavg()[0]] };
    const prefix = `bench${process.pid}r${r}`;
    const { files, api } = manifests(prefix);
    const prod = project(path.join(work, `product-${r}`));
    const floor = project(path.join(work, `floor-${r}`), { floor: true });
    mkdirSync(path.join(prod.dir, "manifests"));
    mkdirSync(path.join(prod.dir, "secrets"));
    for (const [i, text] of files.entries())
      writeFileSync(path.join(prod.dir, `manifests/part-${i}.yaml`), text);
    writeFileSync(path.join(prod.dir, "secrets/bench.enc.yaml"), sopsText);
    const { specs } = await loadManifests(["manifests"], { rootDir: prod.dir });
    writeFileSync(path.join(floor.dir, "floor-specs.json"), JSON.stringify({ specs }));
    writeFileSync(
      path.join(floor.dir, "program.cjs"),
      readFileSync(path.join(root, "bench/floor-program.cjs")),
    );
    writeFileSync(path.join(work, `api-${r}.json`), JSON.stringify(api));
    const env = { ...aws, SOPS_AGE_KEY_FILE: keyFile, BENCH_VALUE_A: "env-value-a-0123456789" };
    const step = async (label, fn) => {
      if (opt.profile) {
        const dir = path.resolve(opt.profile, `${r + 1}-${label}`);
        mkdirSync(dir, { recursive: true });
        process.env.NODE_OPTIONS = `--cpu-prof --cpu-prof-dir=${dir}`;
      }
      proxy.resetCounts();
      const res = await fn();
      res.counts = proxy.counts();
      res.calls = callsIn(res.counts);
      run[label] = res;
      console.error(
        `  run ${r + 1} ${label}: ${res.ms.toFixed(0)} ms, ${res.calls} calls ${JSON.stringify(res.counts)}${res.peakKb ? `, provider peak ${(res.peakKb / 1024).toFixed(0)} MiB` : ""}`,
      );
    };

    // The product.
    await resetMoto(moto.endpoint);
    await step("create", () => pulumiOp(prod, "up", { env }));
    const state = stateOf(prod);
    const resources = JSON.parse(state).deployment.resources;
    const managed = resources.filter((x) => x.type.endsWith(":ManagedSecret"));
    run.stateBytes = Buffer.byteLength(state);
    run.resourceBytes = median(managed.map((x) => Buffer.byteLength(JSON.stringify(x))));
    run.providerBytes = managed[0]?.inputs?.__provider?.length ?? 0;
    await step("noopUp", () => pulumiOp(prod, "up", { env, expectNoChanges: true }));
    await step("preview", () => pulumiOp(prod, "preview", { env }));
    await step("refresh", () => pulumiOp(prod, "refresh", { env, expectNoChanges: true }));
    await step("change", () =>
      pulumiOp(prod, "up", { env: { ...env, BENCH_VALUE_A: "env-value-b-9876543210" } }),
    );
    run.changed = run.change.changes.update ?? 0;

    // The floors.
    await resetMoto(moto.endpoint);
    await step("apiFloor", async () => {
      // Asynchronously: the counting proxy runs in this process.
      const { stdout } = await execFileAsync(
        process.execPath,
        [path.join(root, "bench/api-floor.mjs"), path.join(work, `api-${r}.json`), String(P)],
        { cwd: root, env: { ...process.env, ...aws } },
      );
      return JSON.parse(stdout);
    });
    await step("floorCreate", () => pulumiOp(floor, "up", { env, program: "program.cjs" }));
    await step("floorNoopUp", () =>
      pulumiOp(floor, "up", { env, program: "program.cjs", expectNoChanges: true }),
    );
    await step("floorPreview", () => pulumiOp(floor, "preview", { env, program: "program.cjs" }));
    await step("floorRefresh", () => pulumiOp(floor, "refresh", { env, program: "program.cjs" }));
    await step("floorChange", () =>
      pulumiOp(floor, "up", {
        env: { ...env, BENCH_VALUE_A: "env-value-b-9876543210" },
        program: "program.cjs",
      }),
    );
    const floorState = stateOf(floor);
    run.floorStateBytes = Buffer.byteLength(floorState);
    run.floorProviderBytes =
      JSON.parse(floorState).deployment.resources.find((x) => x.type.endsWith(":Noop"))?.inputs?.__provider
        ?.length ?? 0;
    run.load.push(loadavg()[0]);
    runs.push(run);
  }
} finally {
  await proxy.stop();
  await moto.stop();
  if (!opt.keep) rmSync(work, { recursive: true, force: true });
}

// ---------- report ----------
const med = (f) => median(runs.map(f));
const ms = (x) => `${(x / 1000).toFixed(2)} s`;
const all = (f) => runs.map((x) => (f(x) / 1000).toFixed(2)).join(", ");
const createRatio = med((x) => x.create.ms / (x.floorCreate.ms + x.apiFloor.ms));
const noopRatio = med((x) => x.noopUp.ms / x.floorNoopUp.ms);
const previewRatio = med((x) => x.preview.ms / x.floorPreview.ms);
const refreshRatio = med((x) => x.refresh.ms / x.floorRefresh.ms);
const changeRatio = med((x) => x.change.ms / x.floorChange.ms);
const perSecret = (label, per = N) => med((x) => x[label].calls / (typeof per === "function" ? per(x) : per));
const createCalls = perSecret("create");
const noopCalls = perSecret("noopUp");
const refreshCalls = perSecret("refresh");
const changeCalls = perSecret("change", (x) => x.changed);
const stateBytes = med((x) => x.stateBytes / N);
const resourceBytes = med((x) => x.resourceBytes);
const peak = Math.max(
  ...runs.flatMap((x) => [x.create, x.noopUp, x.preview, x.refresh, x.change].map((s) => s.peakKb)),
);
const floorPeak = Math.max(...runs.flatMap((x) => [x.floorCreate, x.floorNoopUp].map((s) => s.peakKb)));
const ok = (cond) => (cond ? "met" : "**missed**");
const opsOf = (label) => {
  const keys = new Set(runs.flatMap((x) => Object.keys(x[label].counts)));
  return (
    [...keys].map((k) => `${k} ${median(runs.map((x) => x[label].counts[k] ?? 0))}`).join(", ") || "none"
  );
};

const lines = [
  `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memGiB} GiB, Node ${machine.node}, Pulumi ${machine.pulumi}; moto on loopback behind the counting proxy.`,
  `N = ${N} secrets (half env strings, half JSON with a sops key, ${FILES} manifest files), --parallel ${P}${opt["skip-checkpoints"] ? ", PULUMI_SKIP_CHECKPOINTS=true" : ""}, medians of ${RUNS} runs; load average (1 min) during runs: ${runs.map((x) => x.load.map((l) => l.toFixed(1)).join("→")).join(", ")}.`,
  "",
  "| measure | median | runs | floor (median) | ratio | goal |",
  "|---|---|---|---|---|---|",
  `| create: \`pulumi up\` of N new secrets | ${ms(med((x) => x.create.ms))} | ${all((x) => x.create.ms)} | engine ${ms(med((x) => x.floorCreate.ms))} + API ${ms(med((x) => x.apiFloor.ms))} | ${createRatio.toFixed(2)} | ≤ 1.15: ${ok(createRatio <= 1.15)} |`,
  `| no-op \`pulumi up\` | ${ms(med((x) => x.noopUp.ms))} | ${all((x) => x.noopUp.ms)} | engine ${ms(med((x) => x.floorNoopUp.ms))} | ${noopRatio.toFixed(2)} | ≤ 1.15: ${ok(noopRatio <= 1.15)} |`,
  `| no-op \`pulumi preview\` | ${ms(med((x) => x.preview.ms))} | ${all((x) => x.preview.ms)} | engine ${ms(med((x) => x.floorPreview.ms))} | ${previewRatio.toFixed(2)} | ≤ 1.15: ${ok(previewRatio <= 1.15)} |`,
  `| \`pulumi refresh\` | ${ms(med((x) => x.refresh.ms))} | ${all((x) => x.refresh.ms)} | engine ${ms(med((x) => x.floorRefresh.ms))} | ${refreshRatio.toFixed(2)} | (time reported) |`,
  `| value change \`pulumi up\` (${runs[0]?.changed} of N changed) | ${ms(med((x) => x.change.ms))} | ${all((x) => x.change.ms)} | engine ${ms(med((x) => x.floorChange.ms))} (${runs[0]?.floorChange.changes.update ?? 0} updated) | ${changeRatio.toFixed(2)} | (time reported) |`,
  "",
  "| API calls per secret | median | calls by operation (median) | goal |",
  "|---|---|---|---|",
  `| create | ${createCalls.toFixed(3)} | ${opsOf("create")} | 1.0 (one CreateSecret each; one listing of the stack's secrets per 100): ${ok(med((x) => (x.create.counts.CreateSecret ?? 0) / N) <= 1 && createCalls <= 1 + Math.ceil(N / 100) / N)} |`,
  `| no-op up | ${noopCalls.toFixed(2)} | ${opsOf("noopUp")} | 0: ${ok(noopCalls === 0)} |`,
  `| preview | ${perSecret("preview").toFixed(2)} | ${opsOf("preview")} | 0 |`,
  `| refresh | ${refreshCalls.toFixed(2)} | ${opsOf("refresh")} | ≤ 0.25: ${ok(refreshCalls <= 0.25)} |`,
  `| value change (per changed secret) | ${changeCalls.toFixed(2)} | ${opsOf("change")} | 1.0: ${ok(changeCalls <= 1.0)} |`,
  "",
  `State: one ManagedSecret resource is ${resourceBytes.toLocaleString("en-US")} B of compact JSON in the checkpoint (its \`__provider\` ${runs[0]?.providerBytes} B, stored twice). Goal < 4 KB: ${ok(resourceBytes < 4000)}. The whole pretty-printed \`pulumi stack export\` is ${(stateBytes / 1024).toFixed(2)} KiB per secret, against ${(med((x) => x.floorStateBytes / N) / 1024).toFixed(2)} KiB per resource for the engine floor (its \`__provider\` ${runs[0]?.floorProviderBytes} B): the engine's URNs, property dependencies and indentation.`,
  `Provider process peak RSS (VmHWM): ${(peak / 1024).toFixed(0)} MiB (engine floor's no-op provider: ${(floorPeak / 1024).toFixed(0)} MiB).`,
];
console.log(lines.join("\n"));
if (opt.json) writeFileSync(opt.json, JSON.stringify({ machine, N, P, runs }, null, 2));
