// Manifest validation throughput: the full loadManifests (walk, read, parse, schema,
// normalize, sops files exist, cross-file checks) against a floor measured in the same run.
//
// The floor is the part of that work no validator can skip, done the same way: the same
// walk (expandPaths), the same reads, the same parser (the js-yaml fast path, `yaml` where
// it declines), the same precompiled schema validator, on as many threads as loadManifests
// starts for the same files (the rule of src/manifest/parallel.ts), claiming files 100 at a
// time from one shared counter. It leaves out error positions, normalization, the
// sops-file and cross-file checks, and sending the results back.
//
// The manifests are generated varied, from a fixed seed: every value kind (env and sops
// strings, JSON with 1-16 fields of literals and references, binary), 0-50 tags, 0-3
// replicas, KMS keys in every form, deletion policies, descriptions up to 2,048 characters
// (some non-ASCII), block and flow style, comments, 1-5 documents per file, nested folders.
//
// Run: scripts/with-tools bash scripts/build && scripts/with-tools node bench/validate.mjs [N]
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";

const require = createRequire(import.meta.url);
const repo = path.resolve(import.meta.dirname, "..");
const RUNS = 7;
/** What src/manifest/parallel.ts uses: a thread per 500 files beyond the first, at most one per core. */
const FILES_PER_EXTRA_THREAD = 500;
const FILES_PER_CLAIM = 100;

let manifest, load, validate, fastYaml, yaml;
try {
  manifest = require(path.join(repo, "dist/manifest/index.js"));
  load = require(path.join(repo, "dist/manifest/load.js"));
  validate = require(path.join(repo, "dist/manifest/validate.js"));
  fastYaml = require(path.join(repo, "dist/manifest/fast-yaml.js"));
  yaml = require("yaml");
} catch (e) {
  console.error(`Build first: scripts/with-tools bash scripts/build (${e.message})`);
  process.exit(2);
}

// ---------- the floor ----------

/** The floor in one thread: claims files, reads, parses, validates; counts valid documents. */
async function floorClaims({ files, nextFile }) {
  const parse = await fastYaml.loadFastYaml();
  const check = validate.manifestValidator();
  let valid = 0;
  for (;;) {
    const start = Atomics.add(nextFile, 0, FILES_PER_CLAIM);
    if (start >= files.length) return valid;
    for (const file of files.slice(start, start + FILES_PER_CLAIM)) {
      const text = readFileSync(file, "utf8");
      const docs = parse(text)?.map((d) => d.data) ?? yaml.parseAllDocuments(text).map((d) => d.toJS());
      for (const doc of docs) if (check(doc)) valid++;
    }
  }
}

async function floor(dir) {
  const { files } = await load.expandPaths(["."], dir);
  const threads = Math.min(availableParallelism(), Math.floor(files.length / FILES_PER_EXTRA_THREAD) + 1);
  const request = { files, nextFile: new Int32Array(new SharedArrayBuffer(4)) };
  const workers = Array.from({ length: threads - 1 }, () => inWorker(request));
  const counts = [await floorClaims(request), ...(await Promise.all(workers))];
  return counts.reduce((a, b) => a + b, 0);
}

function inWorker(request) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: request });
    worker.once("message", resolve);
    worker.once("error", reject);
  });
}

// ---------- the product ----------

async function full(dir) {
  const { specs } = await manifest.loadManifests(["."], { rootDir: dir });
  return specs.length;
}

// ---------- varied manifests ----------

/** mulberry32: a small seeded generator, so every run and every machine sees the same files. */
function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const REGIONS = ["eu-west-1", "eu-central-1", "us-west-2", "ap-southeast-2", "sa-east-1"];
const WORDS = ["payments", "orders", "search", "auth", "billing", "ledger", "edge", "ml", "etl", "web"];
const UNICODE = ["Zugangsdaten für", "données de", "資格情報", "κωδικός", "пароль для", "🔑 key of"];

function generator(random) {
  const int = (lo, hi) => lo + Math.floor(random() * (hi - lo + 1));
  const pick = (xs) => xs[int(0, xs.length - 1)];
  const chance = (p) => random() < p;
  const hex = (n) => Array.from({ length: n }, () => int(0, 15).toString(16)).join("");
  const uuid = () => `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`;
  const kmsKey = () =>
    pick([
      () => `alias/${pick(WORDS)}-${int(1, 99)}`,
      uuid,
      () => `mrk-${hex(32)}`,
      () => `arn:aws:kms:${pick(REGIONS)}:123456789012:key/${uuid()}`,
      () => `arn:aws:kms:${pick(REGIONS)}:123456789012:alias/${pick(WORDS)}`,
    ])();
  const description = () => {
    const length = pick([8, 40, 120, 600, 2048]);
    const start = `${chance(0.2) ? pick(UNICODE) : "Credentials of"} ${pick(WORDS)}: `;
    return (start + "lorem ipsum dolor sit amet ".repeat(Math.ceil(length / 27))).slice(0, length).trim();
  };
  const tagValue = () =>
    pick(["", pick(WORDS), String(int(1000, 9999)), `${pick(WORDS)}/${pick(WORDS)} v${int(1, 9)}`]);
  return { int, pick, chance, kmsKey, description, tagValue };
}

/** One manifest (a YAML document); sopsDir is the secrets folder relative to the manifest. */
function manifestText(i, g, sopsDir) {
  const flow = g.chance(0.3);
  const q = (s) => JSON.stringify(s);
  const ref = () =>
    g.pick([
      () => `{ fromEnv: ${g.pick(["DB_PASSWORD", "API_TOKEN", "HOST"])}_${g.int(0, 99)} }`,
      () => `{ fromEnv: OPTIONAL_${g.int(0, 9)}, allowEmpty: true }`,
      () => `{ fromSops: { file: ${sopsDir}/app.enc.yaml, path: db.password } }`,
      () => `{ fromSops: { file: ${sopsDir}/app.enc.yaml, path: '["hosts"][0]' } }`,
      () => `{ fromSops: { file: ${sopsDir}/app.enc.json, path: db.username } }`,
      () => `{ fromSops: { file: ${sopsDir}/app.enc.env, path: DB_PASSWORD } }`,
    ])();
  const literal = () =>
    g.pick([
      q(`${g.pick(["app", "readonly"])}-${i}`),
      String(g.int(1, 65535)),
      "true",
      "false",
      "null",
      "0.5",
      "'5432'",
    ]);
  const value = g.pick([
    () => [`    string: ${ref()}`],
    () => {
      const fields = Array.from(
        { length: g.int(1, 16) },
        (_, k) => `field_${k}: ${g.chance(0.5) ? ref() : literal()}`,
      );
      return flow
        ? [`    json: { ${fields.join(", ")} }`]
        : ["    json:", ...fields.map((f) => `      ${f}`)];
    },
    () => [`    binary: { fromSops: { file: ${sopsDir}/cert.enc.bin } }`],
  ])();
  const tags = Array.from({ length: g.pick([0, 1, 3, 8, 20, 50]) }, (_, k) => [
    `${g.pick(["team", "cost-center", "env", "owner", "app:component", "data class"])}-${k}`,
    g.tagValue(),
  ]);
  const lines = [
    ...(g.chance(0.5) ? ["# yaml-language-server: $schema=../schemas/secret-manifest.schema.json"] : []),
    "apiVersion: secret-manifests/v1",
    "kind: Secret",
    "metadata:",
    `  name: ${g.pick(["prod", "staging", "dev"])}/${g.pick(WORDS)}/svc${i}/${g.pick(["db", "api_key", "token", "cert.pem", "user+admin@x"])}`,
  ];
  if (g.chance(0.7)) lines.push(`  description: ${q(g.description())}`);
  if (tags.length > 0) {
    if (flow) lines.push(`  tags: { ${tags.map(([k, v]) => `${q(k)}: ${q(v)}`).join(", ")} }`);
    else lines.push("  tags:", ...tags.map(([k, v]) => `    ${q(k)}: ${q(v)}   # tag ${k}`));
  }
  lines.push("spec:");
  if (g.chance(0.6)) lines.push(`  kmsKeyId: ${g.kmsKey()}`);
  lines.push("  value:", ...value);
  const regions = REGIONS.slice(0, g.pick([0, 0, 1, 2, 3]));
  if (regions.length > 0) {
    lines.push("  replicas:");
    for (const region of regions)
      lines.push(`    - region: ${region}${g.chance(0.5) ? `\n      kmsKeyId: ${g.kmsKey()}` : ""}`);
    if (g.chance(0.3)) lines.push("  forceOverwriteReplicaSecret: true");
  }
  const deletion = g.pick([
    null,
    `{ recoveryWindowInDays: ${g.int(7, 30)} }`,
    "{ forceDeleteWithoutRecovery: true }",
  ]);
  if (deletion) lines.push(`  deletion: ${deletion}`);
  if (g.chance(0.1)) lines.push("  adopt: true");
  return lines.join("\n");
}

/** N manifests in 1-5 documents per file, in team folders 1-3 deep; returns the file count. */
async function generate(dir, n) {
  const g = generator(seeded(20261129));
  mkdirSync(path.join(dir, "secrets"));
  const fixtures = path.join(repo, "test/fixtures/sops");
  for (const [from, to] of [
    ["basic.enc.yaml", "app.enc.yaml"],
    ["basic.enc.json", "app.enc.json"],
    ["basic.enc.env", "app.enc.env"],
    ["blob.enc.bin", "cert.enc.bin"],
  ])
    copyFileSync(path.join(fixtures, from), path.join(dir, "secrets", to));
  const writes = [];
  let files = 0;
  for (let i = 0; i < n; files++) {
    const depth = g.int(1, 3);
    const folder = Array.from({ length: depth }, (_, d) => `${WORDS[(files + d) % WORDS.length]}${d}`).join(
      "/",
    );
    mkdirSync(path.join(dir, folder), { recursive: true });
    const sopsDir = `${"../".repeat(depth)}secrets`;
    const docs = [];
    for (let k = Math.min(n - i, g.int(1, 5)); k > 0; k--) docs.push(manifestText(i++, g, sopsDir));
    writes.push(
      writeFile(
        path.join(dir, folder, `file-${files}.${g.chance(0.2) ? "yml" : "yaml"}`),
        `${docs.join("\n---\n")}\n`,
      ),
    );
    if (writes.length >= 500) await Promise.all(writes.splice(0));
  }
  await Promise.all(writes);
  return files;
}

// ---------- timing and report ----------

async function time(fn, dir, n) {
  const start = performance.now();
  const count = await fn(dir);
  if (count !== n) throw new Error(`${fn.name} saw ${count} valid manifests, expected ${n}`);
  return performance.now() - start;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function cliWallMs(dir, n) {
  const start = performance.now();
  // From the project folder, as a user runs it: references must stay inside the root.
  const out = execFileSync(process.execPath, [path.join(repo, "dist/cli/main.js"), "validate", "."], {
    cwd: dir,
  }).toString();
  if (!out.includes(`${n} secrets, 0 errors`)) throw new Error(`unexpected validate output: ${out}`);
  return performance.now() - start;
}

async function main() {
  const n = Number(process.argv[2] ?? 10_000);
  const dir = await mkdtemp(path.join(tmpdir(), "bench-validate-"));
  try {
    const fileCount = await generate(dir, n);
    const bytes = Number(execFileSync("du", ["-sb", dir]).toString().split("\t")[0]);
    validate.manifestValidator(); // load once, outside both timings
    await time(floor, dir, n); // warm the page cache and the JIT for both paths
    await time(full, dir, n);
    const runs = { floor: [], full: [], cli: [] };
    for (let r = 0; r < RUNS; r++) {
      runs.floor.push(await time(floor, dir, n));
      runs.full.push(await time(full, dir, n));
    }
    // What a user waits for: a fresh `secret-manifests validate` process, cold JIT and all.
    for (let r = 0; r < RUNS; r++) runs.cli.push(cliWallMs(dir, n));
    console.log(report(n, fileCount, bytes, runs));
    if (!process.env.BENCH_NO_RECORD) await record(report(n, fileCount, bytes, runs));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function report(n, fileCount, bytes, runs) {
  const f = median(runs.floor);
  const l = median(runs.full);
  const ratios = runs.full.map((x, i) => x / runs.floor[i]);
  const threads = Math.min(availableParallelism(), Math.floor(fileCount / FILES_PER_EXTRA_THREAD) + 1);
  const machine = `${cpus()[0]?.model.trim()}, ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, load average ${loadavg()[0].toFixed(1)} at the end`;
  const row = (name, ms, all, ratio) =>
    `| ${name} | ${ms.toFixed(0)} ms | ${Math.round((n / ms) * 1000).toLocaleString("en-US")} | ${ratio} | ${all.map((x) => x.toFixed(0)).join(", ")} |`;
  return [
    `Machine: ${machine}. N = ${n.toLocaleString("en-US")} varied manifests (seeded) in ${fileCount.toLocaleString("en-US")} files (${(bytes / 2 ** 20).toFixed(1)} MiB, 1-5 documents each, folders 1-3 deep), ${RUNS} runs after a warm-up, same process, ${threads} threads for both the floor and \`loadManifests\`.`,
    "",
    "| case | median wall | manifests/s | ratio to floor | all runs (ms) |",
    "|---|---|---|---|---|",
    row(
      "floor: the same walk, reads, parser and precompiled schema validator on the same threads, nothing else",
      f,
      runs.floor,
      "1.00x",
    ),
    row(
      "`loadManifests` (walk, read, parse, schema, normalize, sops files exist, cross-file checks)",
      l,
      runs.full,
      `${median(ratios).toFixed(2)}x (runs ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`,
    ),
    row(
      "`secret-manifests validate DIR`, a fresh process each run",
      median(runs.cli),
      runs.cli,
      "(not comparable: cold process)",
    ),
    "",
    `Goals: under 2,000 ms, in-process and as a fresh process: ${l < 2000 && median(runs.cli) < 2000 ? "met" : "NOT met"}; at most 1.3x the floor: ${median(ratios) <= 1.3 ? "met" : "NOT met"}.`,
    "The work above the floor: normalizing each document, the key positions kept for later errors and the line of each reference (on every thread), then the cross-file checks (duplicate names, every sops reference against its file, value policies) on one thread once all files are in.",
    "Run: `scripts/with-tools bash scripts/build && scripts/with-tools node bench/validate.mjs`.",
  ].join("\n");
}

/** Replaces this benchmark's section of bench/RESULTS.md, leaving other sections alone. */
async function record(text) {
  const file = path.join(repo, "bench", "RESULTS.md");
  const current = readFileSync(file, "utf8");
  const section = `## Manifest validation\n\n${text}\n`;
  const pattern = /## Manifest validation\n[\s\S]*?(?=\n## |$)/;
  const next = pattern.test(current)
    ? current.replace(pattern, section)
    : `${current.trimEnd()}\n\n${section}`;
  await writeFile(file, next);
}

// Last: the constants above must be initialized first. A worker runs the floor only.
if (isMainThread) await main();
else parentPort.postMessage(await floorClaims(workerData));
