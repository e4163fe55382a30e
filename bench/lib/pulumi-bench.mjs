// Shared machinery of the Pulumi benches (bench/pulumi.mjs, bench/value-policies.mjs): moto
// behind the tests' counting proxy, a Pulumi project on the file backend per scenario, one
// CLI operation through scripts/lib/pulumi-run.mjs with the provider process's peak RSS
// sampled from /proc, and the machine's description for the results.
import { execFileSync, spawn } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { stripTypeScriptTypes } from "node:module";
import { cpus, totalmem } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { startMoto } from "../../scripts/lib/moto.mjs";

export const root = path.resolve(import.meta.dirname, "../..");
export const STACK = "bench";
const DRIVER = path.join(root, "scripts/lib/pulumi-run.mjs");

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

/** moto on loopback behind the counting proxy; an interrupted bench stops moto. */
export async function startCountedMoto() {
  const { startFaultProxy } = await loadFaultProxy();
  const moto = await startMoto();
  const proxy = await startFaultProxy({ target: moto.endpoint });
  for (const signal of ["SIGINT", "SIGTERM"])
    process.once(signal, () => {
      moto.stop().finally(() => process.exit(130));
    });
  const stop = async () => {
    await proxy.stop();
    await moto.stop();
  };
  return { moto, proxy, stop };
}

export const median = (xs) => {
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
export function project(dir, { floor = false } = {}) {
  // floor: a program directory with the no-op and peer-idiom providers installed.
  mkdirSync(dir, { recursive: true });
  // The repo's packages, linked; secret-manifests itself a real copy inside the project, as
  // `npm install` leaves it: the engine records the registering stack's file paths in the
  // state, and a link resolved into the repo would lengthen every one of them.
  const modules = path.join(dir, "node_modules");
  mkdirSync(modules);
  for (const e of readdirSync(path.join(root, "node_modules"))) {
    const [from, to] = [path.join(root, "node_modules", e), path.join(modules, e)];
    if (e === "secret-manifests") cpSync(from, to, { recursive: true });
    else symlinkSync(from, to);
  }
  if (floor) {
    // Plus `bench-floor`, the no-op providers, loaded from node_modules.
    const pkg = path.join(modules, "bench-floor");
    mkdirSync(pkg);
    writeFileSync(
      path.join(pkg, "package.json"),
      JSON.stringify({ name: "bench-floor", main: "provider.js" }),
    );
    writeFileSync(path.join(pkg, "provider.js"), readFileSync(path.join(root, "bench/floor-provider.cjs")));
    writeFileSync(path.join(pkg, "peer.js"), readFileSync(path.join(root, "bench/peer-provider.cjs")));
    const reexports = { noop: "provider", key: "provider", "peer-secret": "peer", "peer-version": "peer" };
    for (const [name, file] of Object.entries(reexports)) {
      const member = name.replace(/^peer-/, "");
      writeFileSync(path.join(pkg, `${name}.js`), `module.exports = require("./${file}.js").${member};\n`);
    }
  }
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

/**
 * Runs `pulumi OP` through scripts/lib/pulumi-run.mjs in the project, sampling the provider
 * process's peak RSS; returns its time, that peak and the CLI's change counts.
 */
export async function pulumiOp(proj, op, { env = {}, program, expectNoChanges, parallel } = {}) {
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
  if (parallel) args.push("--parallel", String(parallel));
  args.push("--result", result);
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

export function stateOf(proj) {
  return execFileSync("pulumi", ["stack", "export", "--stack", STACK, "--non-interactive"], {
    cwd: proj.dir,
    env: { ...process.env, ...proj.env },
    maxBuffer: 1 << 30,
    encoding: "utf8",
  });
}

export async function resetMoto(endpoint) {
  const res = await fetch(`${endpoint}/moto-api/reset`, { method: "POST" });
  if (!res.ok) throw new Error(`moto reset: ${res.status}`);
}

export function callsIn(counts) {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/** The machine a result was recorded on, for the results' header. */
export function machineInfo() {
  return {
    cpu: cpus()[0]?.model.trim(),
    cores: cpus().length,
    memGiB: (totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    pulumi: execFileSync("pulumi", ["version"], { encoding: "utf8" }).trim(),
  };
}

export function machineLine(machine) {
  return `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memGiB} GiB, Node ${machine.node}, Pulumi ${machine.pulumi}; moto on loopback behind the counting proxy.`;
}
