// Manifest validation throughput: the full loadManifests (walk, read, parse, schema,
// normalize, cross-file checks) against its floor measured in the same run: the same
// files read the same way, bare `yaml` parse + one compiled ajv validate per document.
//
// Run: scripts/with-tools npm run build && scripts/with-tools node bench/validate.mjs [N]
import { execFileSync } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";

const require = createRequire(import.meta.url);
const repo = path.resolve(import.meta.dirname, "..");
const N = Number(process.argv[2] ?? 10_000);
const RUNS = 5;

let manifest, load, validate, yaml;
try {
  manifest = require(path.join(repo, "dist/manifest/index.js"));
  load = require(path.join(repo, "dist/manifest/load.js"));
  validate = require(path.join(repo, "dist/manifest/validate.js"));
  yaml = require("yaml");
} catch (e) {
  console.error(`Build first: scripts/with-tools npm run build (${e.message})`);
  process.exit(2);
}

/** A realistic mix: JSON secrets with literals, env and sops references; string and binary secrets. */
function manifestText(i) {
  const head = `# yaml-language-server: $schema=../schemas/secret-manifest.schema.json
apiVersion: secret-manifests/v1
kind: Secret
metadata:
  name: bench/team${i % 50}/service${i}/db
  description: Generated manifest ${i} for the validation benchmark
  tags:
    team: team${i % 50}
    cost-center: "${1000 + (i % 97)}"
    environment: production
spec:
  kmsKeyId: alias/bench-team${i % 50}
`;
  const tail = `  replicas:
    - region: eu-west-1
      kmsKeyId: alias/bench-eu
  deletion: { recoveryWindowInDays: ${7 + (i % 24)} }
`;
  switch (i % 3) {
    case 0:
      return `${head}  value:
    json:
      engine: postgres
      port: 5432
      username: app${i}
      password: { fromSops: { file: secrets/bench.enc.yaml, path: db.password } }
      host: { fromEnv: BENCH_DB_HOST_${i % 10} }
${tail}`;
    case 1:
      return `${head}  value:\n    string: { fromEnv: BENCH_TOKEN_${i % 10}, allowEmpty: false }\n${tail}`;
    default:
      return `${head}  value:\n    binary: { fromSops: { file: secrets/bench.enc.bin } }\n${tail}`;
  }
}

async function generate(dir) {
  // Real sops files: validation checks every reference's file, metadata and path (offline).
  await mkdir(path.join(dir, "secrets"));
  await copyFile(
    path.join(repo, "examples/secrets/demo.enc.yaml"),
    path.join(dir, "secrets", "bench.enc.yaml"),
  );
  await copyFile(
    path.join(repo, "examples/secrets/tls-cert.enc.bin"),
    path.join(dir, "secrets", "bench.enc.bin"),
  );
  for (let i = 0; i < N; i += 500) {
    const batch = [];
    for (let j = i; j < Math.min(N, i + 500); j++) {
      batch.push(writeFile(path.join(dir, `secret-${String(j).padStart(6, "0")}.yaml`), manifestText(j)));
    }
    await Promise.all(batch);
  }
}

async function full(dir) {
  const { specs } = await manifest.loadManifests(["."], { rootDir: dir });
  return specs.length;
}

async function floor(dir) {
  const names = (await readdir(dir)).filter((n) => n.endsWith(".yaml"));
  const { sources } = load.readSourceFiles(
    names.map((n) => path.join(dir, n)),
    dir,
  );
  const check = validate.manifestValidator();
  let valid = 0;
  for (const source of sources) {
    for (const doc of yaml.parseAllDocuments(source.text)) if (check(doc.toJS())) valid++;
  }
  return valid;
}

async function time(fn, dir) {
  const start = performance.now();
  const count = await fn(dir);
  if (count !== N) throw new Error(`${fn.name} saw ${count} valid manifests, expected ${N}`);
  return performance.now() - start;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const dir = await mkdtemp(path.join(tmpdir(), "bench-validate-"));
try {
  await generate(dir);
  validate.manifestValidator(); // compile once, outside both timings
  await time(floor, dir); // warm the page cache and the JIT for both paths
  await time(full, dir);
  const runs = { floor: [], full: [] };
  for (let r = 0; r < RUNS; r++) {
    runs.floor.push(await time(floor, dir));
    runs.full.push(await time(full, dir));
  }
  // What a user waits for: a fresh `secret-manifests validate` process, cold JIT and all.
  runs.cli = [];
  for (let r = 0; r < RUNS; r++) runs.cli.push(cliWallMs(dir));
  const [f, l] = [median(runs.floor), median(runs.full)];
  const machine = `${cpus()[0]?.model.trim()}, ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, load average ${loadavg()[0].toFixed(1)} at the end`;
  const row = (name, ms, all) =>
    `| ${name} | ${ms.toFixed(0)} ms | ${Math.round((N / ms) * 1000).toLocaleString("en-US")} | ${(ms / f).toFixed(2)}x | ${all.map((x) => x.toFixed(0)).join(", ")} |`;
  const report = [
    `Machine: ${machine}. N = ${N.toLocaleString("en-US")} manifests, one file each, median of ${RUNS} runs after a warm-up, same process.`,
    "",
    "| case | median wall | manifests/s | ratio to floor | all runs (ms) |",
    "|---|---|---|---|---|",
    row("floor: read + `yaml` parseAllDocuments + toJS + compiled ajv validate", f, runs.floor),
    row("`loadManifests` (walk, read, parse, schema, normalize, cross-file checks)", l, runs.full),
    row("`secret-manifests validate DIR`, a fresh process each run", median(runs.cli), runs.cli),
    "",
    `Goal: ratio <= 1.3 and < 2000 ms: ${l / f <= 1.3 && l < 2000 && median(runs.cli) < 2000 ? "met" : "NOT met"}.`,
    "Run: `scripts/with-tools npm run build && scripts/with-tools node bench/validate.mjs`.",
  ].join("\n");
  console.log(report);
  if (!process.env.BENCH_NO_RECORD) await record(report);
} finally {
  await rm(dir, { recursive: true, force: true });
}

function cliWallMs(dir) {
  const start = performance.now();
  // Run from the project's folder, as a CI job does: references must stay inside the root.
  const out = execFileSync(process.execPath, [path.join(repo, "dist/cli/main.js"), "validate", "."], {
    cwd: dir,
  }).toString();
  if (!out.includes(`${N} secrets, 0 errors`)) throw new Error(`unexpected validate output: ${out}`);
  return performance.now() - start;
}

/** Replaces this benchmark's section of bench/RESULTS.md, leaving other sections alone. */
async function record(report) {
  const { readFile } = await import("node:fs/promises");
  const file = path.join(repo, "bench", "RESULTS.md");
  const current = await readFile(file, "utf8").catch(() => "# Benchmark results\n");
  const section = `## Manifest validation\n\n${report}\n`;
  const pattern = /## Manifest validation\n[\s\S]*?(?=\n## |$)/;
  const next = pattern.test(current)
    ? current.replace(pattern, section)
    : `${current.trimEnd()}\n\n${section}`;
  await writeFile(file, next);
}
