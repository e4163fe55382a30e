// Benchmark: resolve N=1,000 references into one 1,000-key sops file natively (fresh
// process-level decryption cache per run, as a new provider process would have) against ONE
// `sops decrypt` process on the same file, measured in the same run. Medians of RUNS runs.
// Usage: scripts/with-tools node bench/sops.mjs   (writes the "## sops resolution" section of bench/RESULTS.md)
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, loadavg, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";

const root = resolve(import.meta.dirname, "..");
const fixtures = join(root, "test/fixtures/sops");
const file = "big.enc.yaml";
const N = 1000;
const RUNS = 7;
const env = {
  PATH: process.env.PATH,
  HOME: "/nonexistent",
  SOPS_AGE_KEY_FILE: join(fixtures, "TEST-ONLY-age-key.txt"),
};

// The sources use NodeNext ".js" specifiers, which Node's type stripping cannot map to .ts: compile them.
// Inside the clone so that the compiled files resolve node_modules and the CommonJS package.json.
const out = join(root, "node_modules/.cache/bench-sops");
execFileSync(
  "npx",
  [
    "tsc",
    "--ignoreConfig",
    "--outDir",
    out,
    "--rootDir",
    root,
    "--module",
    "nodenext",
    "--moduleResolution",
    "nodenext",
    "--target",
    "es2023",
    "--types",
    "node",
    "--skipLibCheck",
    "--strict",
    join(root, "src/sources/index.ts"),
  ],
  { cwd: root, stdio: "inherit" },
);
const sources = createRequire(import.meta.url)(join(out, "src/sources/index.js"));

const specs = Array.from({ length: N }, (_, i) => ({
  kind: "string",
  ref: { fromSops: { file, path: `key${String(i).padStart(4, "0")}` } },
}));
const ctx = { rootDir: fixtures, env, manifest: { file: "bench.yaml", line: 1 } };

async function nativeRun() {
  sources.clearDecryptCache();
  const start = performance.now();
  const values = await Promise.all(specs.map((spec) => sources.resolveValue(spec, ctx)));
  const ms = performance.now() - start;
  if (values[N - 1].text !== "value-0999-xxxxxxxxxxxxxxxx") throw new Error("wrong value resolved");
  return ms;
}

function sopsRun() {
  const start = performance.now();
  const result = spawnSync("sops", ["decrypt", join(fixtures, file)], { env, maxBuffer: 1 << 26 });
  const ms = performance.now() - start;
  if (result.status !== 0) throw new Error(`sops failed: ${result.stderr}`);
  return ms;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const native = [];
const binary = [];
for (let run = 0; run < RUNS; run++) {
  native.push(await nativeRun());
  binary.push(sopsRun());
}
const sopsVersion = execFileSync("sops", ["--version", "--disable-version-check"], { env })
  .toString()
  .split("\n")[0];
const machine = `${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, ${sopsVersion}, load average ${loadavg()[0].toFixed(1)}`;
const fmt = (ms) => `${ms.toFixed(1)} ms`;
// The first run also loads age-encryption and warms the JIT: what a provider process pays
// once, on its first sops file. The others are what every later file costs.
const [first, ...warm] = native;
const ratio = median(binary) / median(warm);
const lines = [
  "## sops resolution",
  "",
  `Machine: ${machine}. N = ${N} references into one ${N}-key sops YAML file (age), ${RUNS} runs, each with an empty decryption cache, in one process.`,
  "",
  "| case | median | all runs |",
  "|---|---|---|",
  `| native: resolve ${N} references (parse, age unwrap, ${N} AES-GCM values, MAC), runs 2-${RUNS} | ${fmt(median(warm))} | ${warm.map(fmt).join(", ")} |`,
  `| native, run 1 (the process's first decryption: also loads age-encryption, cold JIT) | ${fmt(first)} | |`,
  `| one \`sops decrypt\` process on the same file | ${fmt(median(binary))} | ${binary.map(fmt).join(", ")} |`,
  "",
  `Native is **${ratio.toFixed(1)}x** ${ratio >= 1 ? "faster than" : "slower than"} one \`sops decrypt\` process (medians); the first decryption of a process costs ${(first / median(binary)).toFixed(1)}x one \`sops decrypt\`.`,
  "Run: `scripts/with-tools node bench/sops.mjs`.",
  "",
];
const section = lines.join("\n");
console.log(section);

const resultsPath = join(root, "bench/RESULTS.md");
let results = "";
try {
  results = readFileSync(resultsPath, "utf8");
} catch {
  results = "# Benchmark results\n\n";
}
// Replace our own earlier section, leave every other section alone.
const pattern = /## sops resolution\n[\s\S]*?(?=\n## |$)/;
const updated = pattern.test(results)
  ? results.replace(pattern, `${section.trimEnd()}\n`)
  : `${results.trimEnd()}\n\n${section}`;
writeFileSync(resultsPath, updated.endsWith("\n") ? updated : `${updated}\n`);
