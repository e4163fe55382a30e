// Benchmark: `pulumi up/preview/refresh` of N ManagedSecrets on the real engine against
// moto on loopback, compared with floors measured in the same run:
//   engine floor: the same program shape (component, HMAC-key resource, N dynamic resources
//                 with the same inputs, same --parallel) with a provider that does nothing;
//   API floor:    a bare SDK script creating the same N secrets at the same concurrency;
//   peer idiom:   what Pulumi AWS and Terraform users write, a Secret and a SecretVersion per
//                 secret making CreateSecret (no value) + PutSecretValue, and only those
//                 calls (peer-program.cjs, peer-provider.cjs).
// API calls are counted per operation by the fault proxy (no faults injected) between the
// provider and moto. Peak RSS is VmHWM of the dynamic-provider process, sampled from /proc.
//
// --owned M --add K runs the large-stack scenario instead: M secrets carrying this stack's
// ownership tag are seeded straight into moto with the SDK (uncounted), then `pulumi up`
// creates K new ones; it reports the calls per created secret. The M secrets are not in
// the Pulumi state, so it measures the provider's calls against an account where the stack
// owns M + K secrets, not the engine's time for a state of M + K resources.
//
// Usage: scripts/with-tools node bench/pulumi.mjs [--n 200] [--runs 5] [--parallel P] [--json FILE]
//        scripts/with-tools node bench/pulumi.mjs --owned 2000 --add 100 [--runs 3]
// (npm run bench builds first and runs this; build yourself with scripts/build otherwise).
import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs, promisify } from "node:util";
import { awsEnvFor } from "../scripts/lib/moto.mjs";
import {
  callsIn,
  machineInfo,
  machineLine,
  median,
  project,
  resetMoto,
  root,
  pulumiOp as runPulumi,
  STACK,
  startCountedMoto,
  stateOf,
} from "./lib/pulumi-bench.mjs";

const execFileAsync = promisify(execFile);
const { values: opt } = parseArgs({
  options: {
    n: { type: "string", default: "200" },
    runs: { type: "string", default: "5" },
    owned: { type: "string" },
    add: { type: "string", default: "100" },
    parallel: { type: "string", default: String(cpus().length * 4) },
    json: { type: "string" },
    keep: { type: "boolean", default: false },
    // The file backend rewrites the whole checkpoint twice per step (O(N^2) per operation);
    // PULUMI_SKIP_CHECKPOINTS writes it once at the end, for the product and every floor alike.
    "skip-checkpoints": { type: "boolean", default: false },
    // Writes V8 CPU profiles of every Node process of every step (the program and the
    // dynamic-provider process) under DIR/<run>-<step>/, for `node bench/profile-summary.mjs`.
    profile: { type: "string" },
  },
});
const LARGE = opt.owned !== undefined;
const N = Number(LARGE ? opt.add : opt.n);
const RUNS = Number(opt.runs);
const P = Number(opt.parallel);
const FILES = Math.max(1, Math.min(10, Math.ceil(N / 20)));
const pulumiOp = (proj, op, opts) => runPulumi(proj, op, { ...opts, parallel: P });

// ---------- inputs ----------
const ENV_VALUE_A = "env-value-a-0123456789";
const ENV_VALUE_B = "env-value-b-9876543210";
const OWNER_TAG = { "secret-manifests:stack": `secret-manifests-inline/${STACK}` };
const FLOOR_OWNER_TAG = { "secret-manifests:stack": "secret-manifests-inline/floor" };
const sopsValue = (i) => `sops-value-${i}-${"x".repeat(24)}`;

function sopsFile(dir, keyFile, recipient, count) {
  const plain = path.join(dir, "bench.plain.yaml");
  const lines = [];
  for (let i = 0; i < count; i++) lines.push(`k${i}: ${sopsValue(i)}`);
  writeFileSync(plain, `${lines.join("\n")}\n`);
  const enc = execFileSync("sops", ["encrypt", "--age", recipient, plain], {
    encoding: "utf8",
    env: { ...process.env, SOPS_AGE_KEY_FILE: keyFile },
  });
  rmSync(plain);
  return enc;
}

/**
 * Even secrets: a string from an env var; odd: a JSON value with a literal and a sops key.
 * `api` holds the same secrets as plain requests, for the API floor and the peer idiom.
 */
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
      tags: { team: "bench", tier: "backend", ...OWNER_TAG },
      ...(i % 2 === 0
        ? { value: ENV_VALUE_A, fromEnv: "BENCH_VALUE_A" }
        : { value: JSON.stringify({ username: "app", password: sopsValue(i) }) }),
    });
  }
  return { files: files.map((docs) => `${docs.join("\n---\n")}\n`), api };
}

/** M secrets tagged as this stack's, as api-floor.mjs requests (the large-stack scenario's seed). */
function ownedSecrets(prefix, m) {
  return Array.from({ length: m }, (_, i) => ({
    name: `${prefix}/owned-${String(i).padStart(5, "0")}`,
    description: `owned secret ${i}`,
    tags: { team: "bench", ...OWNER_TAG },
    value: ENV_VALUE_A,
  }));
}

/** The same secrets under other names and another owner, for a floor sharing moto with the product. */
function renamed(requests, prefix, mark) {
  return requests.map((x) => ({
    ...x,
    name: x.name.replace(prefix, `${prefix}${mark}`),
    tags: { ...x.tags, ...FLOOR_OWNER_TAG },
  }));
}

/** Sends requests (api-floor.mjs's format) at concurrency P through `endpoint`. */
async function sendCreates(requestsFile, endpoint) {
  // Asynchronously: the counting proxy runs in this process.
  const { stdout } = await execFileAsync(
    process.execPath,
    [path.join(root, "bench/api-floor.mjs"), requestsFile, String(P)],
    { cwd: root, env: { ...process.env, ...awsEnvFor(endpoint) } },
  );
  return JSON.parse(stdout);
}

// ---------- main ----------
const { moto, proxy, stop } = await startCountedMoto();
const work = mkdtempSync(path.join(tmpdir(), "sm-bench-"));
const keyFile = path.join(work, "age-key.txt");
execFileSync("age-keygen", ["-o", keyFile], { stdio: "ignore" });
const recipient = /public key: (age1\w+)/.exec(readFileSync(keyFile, "utf8"))[1];
const sopsText = sopsFile(work, keyFile, recipient, N);
const { loadManifests } = createRequire(path.join(root, "package.json"))("secret-manifests");
const checkpoints = opt["skip-checkpoints"] ? { PULUMI_SKIP_CHECKPOINTS: "true" } : {};
const aws = { ...awsEnvFor(proxy.endpoint), ...checkpoints };
const runs = [];

const machine = machineInfo();
console.error(
  `bench: ${LARGE ? `${opt.owned} owned + ` : ""}N=${N}, runs=${RUNS}, --parallel ${P}, work dir ${work}`,
);

/** Writes the product's manifests and sops file, the floors' inputs; returns the projects. */
async function prepare(r) {
  const prefix = `bench${process.pid}r${r}`;
  const { files, api } = manifests(prefix);
  const prod = project(path.join(work, `product-${r}`));
  mkdirSync(path.join(prod.dir, "manifests"));
  mkdirSync(path.join(prod.dir, "secrets"));
  for (const [i, text] of files.entries())
    writeFileSync(path.join(prod.dir, `manifests/part-${i}.yaml`), text);
  writeFileSync(path.join(prod.dir, "secrets/bench.enc.yaml"), sopsText);
  const floor = project(path.join(work, `floor-${r}`), { floor: true });
  const { specs } = await loadManifests(["manifests"], { rootDir: prod.dir });
  writeFileSync(path.join(floor.dir, "floor-specs.json"), JSON.stringify({ specs }));
  writeFileSync(
    path.join(floor.dir, "program.cjs"),
    readFileSync(path.join(root, "bench/floor-program.cjs")),
  );
  const peer = project(path.join(work, `peer-${r}`), { floor: true });
  writeFileSync(path.join(peer.dir, "peer-secrets.json"), JSON.stringify(renamed(api, prefix, "q")));
  writeFileSync(path.join(peer.dir, "program.cjs"), readFileSync(path.join(root, "bench/peer-program.cjs")));
  const apiFile = path.join(work, `api-${r}.json`);
  writeFileSync(apiFile, JSON.stringify(renamed(api, prefix, "a")));
  return { prefix, prod, floor, peer, apiFile };
}

/**
 * One run of the product, the engine floor, the API floor and the peer idiom. Each operation
 * is measured for all three back to back, in an order that rotates from operation to
 * operation and from run to run: on a machine whose load drifts, whoever always went first
 * would be favoured. They share one moto; the floors' secrets have other names and another
 * owner tag, so the product's listings never see them.
 */
async function standardRun({ prod, floor, peer, apiFile }, step, r) {
  const env = { ...aws, SOPS_AGE_KEY_FILE: keyFile, BENCH_VALUE_A: ENV_VALUE_A };
  const changed = { ...env, BENCH_VALUE_A: ENV_VALUE_B };
  const program = "program.cjs";
  const steps = (...pairs) => pairs;
  const phases = [
    [
      steps(["create", () => pulumiOp(prod, "up", { env })]),
      steps(
        ["apiFloor", () => sendCreates(apiFile, proxy.endpoint)],
        ["floorCreate", () => pulumiOp(floor, "up", { env, program })],
      ),
      steps(["peerCreate", () => pulumiOp(peer, "up", { env, program })]),
    ],
    [
      steps(["noopUp", () => pulumiOp(prod, "up", { env, expectNoChanges: true })]),
      steps(["floorNoopUp", () => pulumiOp(floor, "up", { env, program, expectNoChanges: true })]),
      steps(["peerNoopUp", () => pulumiOp(peer, "up", { env, program, expectNoChanges: true })]),
    ],
    [
      steps(["preview", () => pulumiOp(prod, "preview", { env })]),
      steps(["floorPreview", () => pulumiOp(floor, "preview", { env, program })]),
      steps(),
    ],
    [
      steps(["refresh", () => pulumiOp(prod, "refresh", { env, expectNoChanges: true })]),
      steps(["floorRefresh", () => pulumiOp(floor, "refresh", { env, program })]),
      steps(["peerRefresh", () => pulumiOp(peer, "refresh", { env, program, expectNoChanges: true })]),
    ],
    [
      steps(["change", () => pulumiOp(prod, "up", { env: changed })]),
      steps(["floorChange", () => pulumiOp(floor, "up", { env: changed, program })]),
      steps(["peerChange", () => pulumiOp(peer, "up", { env: changed, program })]),
    ],
  ];
  await resetMoto(moto.endpoint);
  const results = {};
  for (const [i, groups] of phases.entries())
    for (let k = 0; k < groups.length; k++)
      for (const [label, fn] of groups[(k + i + r) % groups.length]) results[label] = await step(label, fn);

  const state = stateOf(prod);
  const managed = JSON.parse(state).deployment.resources.filter((x) => x.type.endsWith(":ManagedSecret"));
  const floorState = stateOf(floor);
  return {
    changed: results.change.changes.update ?? 0,
    stateBytes: Buffer.byteLength(state),
    resourceBytes: median(managed.map((x) => Buffer.byteLength(JSON.stringify(x)))),
    providerBytes: managed[0]?.inputs?.__provider?.length ?? 0,
    floorStateBytes: Buffer.byteLength(floorState),
    floorProviderBytes:
      JSON.parse(floorState).deployment.resources.find((x) => x.type.endsWith(":Noop"))?.inputs?.__provider
        ?.length ?? 0,
    peerStateBytes: Buffer.byteLength(stateOf(peer)),
  };
}

/** The large-stack scenario: opt.owned tagged secrets seeded uncounted, then `up` of N new ones. */
async function largeRun({ prefix, prod }, step) {
  const env = { ...aws, SOPS_AGE_KEY_FILE: keyFile, BENCH_VALUE_A: ENV_VALUE_A };
  await resetMoto(moto.endpoint);
  const seedFile = path.join(work, `${prefix}-owned.json`);
  writeFileSync(seedFile, JSON.stringify(ownedSecrets(prefix, Number(opt.owned))));
  const seeded = await sendCreates(seedFile, moto.endpoint);
  console.error(`  seeded ${seeded.calls} owned secrets straight into moto in ${seeded.ms.toFixed(0)} ms`);
  await step("create", () => pulumiOp(prod, "up", { env }));
  return {};
}

try {
  for (let r = 0; r < RUNS; r++) {
    const run = { load: [loadavg()[0]] };
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
      return res;
    };
    const inputs = await prepare(r);
    Object.assign(run, await (LARGE ? largeRun : standardRun)(inputs, step, r));
    run.load.push(loadavg()[0]);
    runs.push(run);
  }
} finally {
  await stop();
  if (!opt.keep) rmSync(work, { recursive: true, force: true });
}

// ---------- report ----------
const med = (f) => median(runs.map(f));
const ms = (x) => `${(x / 1000).toFixed(2)} s`;
const all = (f) => runs.map((x) => (f(x) / 1000).toFixed(2)).join(", ");
/** A ratio's median over the runs, and its spread: min–max and (max − min) / median. */
function ratio(f) {
  const values = runs.map(f);
  const m = median(values);
  const [lo, hi] = [Math.min(...values), Math.max(...values)];
  return {
    median: m,
    text: `${m.toFixed(2)} (${lo.toFixed(2)}–${hi.toFixed(2)}, ±${((50 * (hi - lo)) / m).toFixed(0)} %)`,
  };
}
const ok = (cond) => (cond ? "met" : "**missed**");
const opsOf = (label) => {
  const keys = new Set(runs.flatMap((x) => Object.keys(x[label].counts)));
  return (
    [...keys].map((k) => `${k} ${median(runs.map((x) => x[label].counts[k] ?? 0))}`).join(", ") || "none"
  );
};
const perSecret = (label, per = N) => med((x) => x[label].calls / (typeof per === "function" ? per(x) : per));
const loads = runs.map((x) => x.load.map((l) => l.toFixed(1)).join("→")).join(", ");
const machineText = machineLine(machine);

function standardReport() {
  const createToBoth = ratio((x) => x.create.ms / (x.floorCreate.ms + x.apiFloor.ms));
  const createToEngine = ratio((x) => x.create.ms / x.floorCreate.ms);
  const noop = ratio((x) => x.noopUp.ms / x.floorNoopUp.ms);
  const preview = ratio((x) => x.preview.ms / x.floorPreview.ms);
  const refresh = ratio((x) => x.refresh.ms / x.floorRefresh.ms);
  const change = ratio((x) => x.change.ms / x.floorChange.ms);
  const peerCreate = ratio((x) => x.create.ms / x.peerCreate.ms);
  const peerNoop = ratio((x) => x.noopUp.ms / x.peerNoopUp.ms);
  const peerRefresh = ratio((x) => x.refresh.ms / x.peerRefresh.ms);
  const peerChange = ratio((x) => x.change.ms / x.peerChange.ms);
  // What a provider with one resource per secret and no cost of its own would reach.
  const floorToPeer = ratio((x) => x.floorCreate.ms / x.peerCreate.ms);
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
  const peerPeak = Math.max(...runs.flatMap((x) => [x.peerCreate, x.peerNoopUp].map((s) => s.peakKb)));
  const row = (label, key, floorText, r, goal) =>
    `| ${label} | ${ms(med((x) => x[key].ms))} | ${all((x) => x[key].ms)} | ${floorText} | ${r.text} | ${goal} |`;
  const peerRow = (label, key, peerKey, r, goal) =>
    `| ${label} | ${ms(med((x) => x[key].ms))} | ${ms(med((x) => x[peerKey].ms))} | ${all((x) => x[peerKey].ms)} | ${r.text} | ${goal} |`;
  const goal115 = (r) => `≤ 1.15: ${ok(r.median <= 1.15)}`;
  return [
    machineText,
    `N = ${N} secrets (half env strings, half JSON with a sops key, ${FILES} manifest files), --parallel ${P}${opt["skip-checkpoints"] ? ", PULUMI_SKIP_CHECKPOINTS=true" : ""}, ${RUNS} runs; load average (1 min) at the start→end of each run: ${loads}.`,
    "Each operation is measured for the product, the engine floor (with the API floor) and the peer idiom back to back, in an order rotating by operation and run. Ratios are the median of the per-run ratios, then min–max over the runs and ± half that range relative to the median.",
    "",
    "| measure | median | runs | floor (median) | ratio (spread) | goal |",
    "|---|---|---|---|---|---|",
    row(
      "create: `pulumi up` of N new secrets, against engine + API floors",
      "create",
      `engine ${ms(med((x) => x.floorCreate.ms))} + API ${ms(med((x) => x.apiFloor.ms))}`,
      createToBoth,
      goal115(createToBoth),
    ),
    row(
      "create, against the engine floor alone",
      "create",
      `engine ${ms(med((x) => x.floorCreate.ms))}`,
      createToEngine,
      "(reported)",
    ),
    row("no-op `pulumi up`", "noopUp", `engine ${ms(med((x) => x.floorNoopUp.ms))}`, noop, goal115(noop)),
    row(
      "no-op `pulumi preview`",
      "preview",
      `engine ${ms(med((x) => x.floorPreview.ms))}`,
      preview,
      goal115(preview),
    ),
    row("`pulumi refresh`", "refresh", `engine ${ms(med((x) => x.floorRefresh.ms))}`, refresh, "(reported)"),
    row(
      `value change \`pulumi up\` (${runs[0]?.changed} of N changed)`,
      "change",
      `engine ${ms(med((x) => x.floorChange.ms))} (${runs[0]?.floorChange.changes.update ?? 0} updated)`,
      change,
      "(reported)",
    ),
    "",
    `Peer idiom (a Secret + a SecretVersion per secret, ${2 * N} resources, CreateSecret + PutSecretValue per new secret), same run:`,
    "",
    "| measure | product (median) | peer idiom (median) | peer runs | product / peer (spread) | goal |",
    "|---|---|---|---|---|---|",
    peerRow("create", "create", "peerCreate", peerCreate, `≤ 0.6: ${ok(peerCreate.median <= 0.6)}`),
    peerRow("no-op `pulumi up`", "noopUp", "peerNoopUp", peerNoop, "(reported)"),
    peerRow("`pulumi refresh`", "refresh", "peerRefresh", peerRefresh, "(reported)"),
    peerRow("value change", "change", "peerChange", peerChange, "(reported)"),
    "",
    `Bound: the engine floor's create (N no-op resources, no AWS call) is ${floorToPeer.text} of the peer idiom's: no provider with one resource per secret gets much below that at N = ${N}.`,
    "",
    "| API calls per secret | median | calls by operation (median) | peer idiom | goal |",
    "|---|---|---|---|---|",
    `| create | ${createCalls.toFixed(3)} | ${opsOf("create")} | ${perSecret("peerCreate").toFixed(2)}: ${opsOf("peerCreate")} | 2.0 (one CreateSecret and one DescribeSecret confirming it took effect, each; one listing of the stack's secrets per 100): ${ok(med((x) => (x.create.counts.CreateSecret ?? 0) / N) <= 1 && createCalls <= 2 + Math.ceil(N / 100) / N)} |`,
    `| no-op up | ${noopCalls.toFixed(2)} | ${opsOf("noopUp")} | ${perSecret("peerNoopUp").toFixed(2)} | 0: ${ok(noopCalls === 0)} |`,
    `| preview | ${perSecret("preview").toFixed(2)} | ${opsOf("preview")} | | 0 |`,
    `| refresh | ${refreshCalls.toFixed(2)} | ${opsOf("refresh")} | ${perSecret("peerRefresh").toFixed(2)}: ${opsOf("peerRefresh")} | ≤ 0.25: ${ok(refreshCalls <= 0.25)} |`,
    `| value change (per changed secret) | ${changeCalls.toFixed(2)} | ${opsOf("change")} | ${perSecret("peerChange", (x) => x.changed).toFixed(2)}: ${opsOf("peerChange")} | 2.0 (a fresh ownership check, then the write): ${ok(changeCalls <= 2.0)} |`,
    "",
    `State: one ManagedSecret resource is ${resourceBytes.toLocaleString("en-US")} B of compact JSON in the checkpoint (its \`__provider\` ${runs[0]?.providerBytes} B, stored twice). Goal < 4 KB: ${ok(resourceBytes < 4000)}. The whole pretty-printed \`pulumi stack export\` is ${(stateBytes / 1024).toFixed(2)} KiB per secret, against ${(med((x) => x.floorStateBytes / N) / 1024).toFixed(2)} KiB per resource for the engine floor (its \`__provider\` ${runs[0]?.floorProviderBytes} B) and ${(med((x) => x.peerStateBytes / N) / 1024).toFixed(2)} KiB per secret (two resources) for the peer idiom.`,
    `Provider process peak RSS (VmHWM): ${(peak / 1024).toFixed(0)} MiB (engine floor's no-op provider: ${(floorPeak / 1024).toFixed(0)} MiB; peer idiom's: ${(peerPeak / 1024).toFixed(0)} MiB).`,
  ];
}

function largeReport() {
  const owned = Number(opt.owned);
  const pages = Math.ceil(owned / 100);
  const calls = perSecret("create");
  // A CreateSecret the SDK sent twice (it saw a timeout or reset under load) is not a listing's cost.
  const retries = med((x) => Math.max(0, (x.create.counts.CreateSecret ?? 0) - N));
  // Per new secret: CreateSecret and the DescribeSecret that confirms it took effect.
  const goal = 2 + pages / N;
  return [
    machineText,
    `Large stack: ${owned.toLocaleString("en-US")} secrets tagged as the stack's seeded straight into moto (uncounted, not in the Pulumi state), then \`pulumi up\` creates N = ${N} new ones (half env strings, half JSON with a sops key), --parallel ${P}${opt["skip-checkpoints"] ? ", PULUMI_SKIP_CHECKPOINTS=true" : ""}, ${RUNS} runs; load average (1 min) at the start→end of each run: ${loads}.`,
    "",
    "| measure | median | runs | calls by operation (median) | goal |",
    "|---|---|---|---|---|",
    `| API calls per created secret | ${calls.toFixed(3)} | ${runs.map((x) => (x.create.calls / N).toFixed(3)).join(", ")} | ${opsOf("create")} (SDK retries: ${retries}) | ≤ 2 + ${pages} listing pages / ${N} = ${goal.toFixed(2)}, SDK retries aside: ${ok(calls - retries / N <= goal + 1 / N)} |`,
    `| \`pulumi up\` time | ${ms(med((x) => x.create.ms))} | ${all((x) => x.create.ms)} | | (reported; the engine holds only the N new resources) |`,
  ];
}

const lines = LARGE ? largeReport() : standardReport();
console.log(lines.join("\n"));
if (opt.json) writeFileSync(opt.json, JSON.stringify({ machine, N, P, owned: opt.owned, runs }, null, 2));
