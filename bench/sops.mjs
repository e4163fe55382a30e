// Benchmark: native sops decryption against the real `sops decrypt`, measured side by side
// in one run.
// - Cold: the first decryption in a fresh Node process (a new provider process pays it
//   once): a child process loads the sources module and resolves one reference, against one
//   `sops decrypt` process of the same file, alternating, COLD_RUNS times each, for the
//   1,000-key file and for a small file.
// - Warm: N = 1,000 references into the 1,000-key file in one process, an empty decryption
//   cache each run, against one `sops decrypt` process, RUNS times each.
// Usage: scripts/with-tools node bench/sops.mjs [--profile DIR]
//   (writes the "## sops resolution" section of bench/RESULTS.md; --profile DIR writes a V8
//   CPU profile of every cold child process into DIR)
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, loadavg, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";

const root = resolve(import.meta.dirname, "..");
const fixtures = join(root, "test/fixtures/sops");
const file = "big.enc.yaml";
const smallFile = join(root, "examples/secrets/demo.enc.yaml");
const N = 1000;
const RUNS = 7;
const COLD_RUNS = 15;
const env = {
  PATH: process.env.PATH,
  HOME: "/nonexistent",
  SOPS_AGE_KEY_FILE: join(fixtures, "TEST-ONLY-age-key.txt"),
};

const out = join(root, "node_modules/.cache/bench-sops");
const compiled = join(out, "src/sources/index.js");

if (process.argv[2] === "--cold") await coldChild(process.argv[3], process.argv[4], process.argv[5]);

/**
 * One fresh process: load the sources module, resolve one reference (which decrypts the whole
 * file and checks its MAC), print the times. performance.now() counts from process start.
 */
async function coldChild(path, keyFile, expected) {
  const started = performance.now();
  const sources = createRequire(import.meta.url)(compiled);
  const loaded = performance.now();
  const [rootDir, file] = [resolve(path, ".."), path.split("/").pop()];
  const value = await sources.resolveValue(
    { kind: "string", ref: { fromSops: { file, path: expected.split("=")[0] } } },
    { rootDir, env: { ...env, SOPS_AGE_KEY_FILE: keyFile }, manifest: { file: "bench.yaml", line: 1 } },
  );
  const done = performance.now();
  if (value.text !== expected.split("=")[1]) throw new Error("wrong value resolved");
  console.log(JSON.stringify({ boot: started, load: loaded - started, decrypt: done - loaded }));
  process.exit(0);
}

// The sources use NodeNext ".js" specifiers, which Node's type stripping cannot map to .ts: compile them.
// Inside the clone so that the compiled files resolve node_modules and the CommonJS package.json.
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
const sources = createRequire(import.meta.url)(compiled);

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

function sopsRun(path = join(fixtures, file), keyFile = env.SOPS_AGE_KEY_FILE) {
  const start = performance.now();
  const result = spawnSync("sops", ["decrypt", path], {
    env: { ...env, SOPS_AGE_KEY_FILE: keyFile },
    maxBuffer: 1 << 26,
  });
  const ms = performance.now() - start;
  if (result.status !== 0) throw new Error(`sops failed: ${result.stderr}`);
  return ms;
}

const profileAt = process.argv.indexOf("--profile");
const profileArgs =
  profileAt > 0 ? ["--cpu-prof", "--cpu-prof-dir", resolve(process.argv[profileAt + 1])] : [];

/** One fresh Node process: its own times, and the wall time of the whole process as spawned. */
function coldRun(path, keyFile, expected) {
  const start = performance.now();
  const result = spawnSync(
    process.execPath,
    [...profileArgs, import.meta.filename, "--cold", path, keyFile, expected],
    { env },
  );
  const wall = performance.now() - start;
  if (result.status !== 0) throw new Error(`cold run failed: ${result.stderr}`);
  const times = JSON.parse(result.stdout.toString());
  return { ...times, first: times.load + times.decrypt, wall };
}

const COLD_CASES = [
  {
    name: `the ${N}-key file (${file})`,
    path: join(fixtures, file),
    keyFile: env.SOPS_AGE_KEY_FILE,
    expected: "key0999=value-0999-xxxxxxxxxxxxxxxx",
  },
  {
    name: "a small file (examples/secrets/demo.enc.yaml, 6 values)",
    path: smallFile,
    keyFile: join(root, "examples/secrets/DEMO-ONLY-age-key.txt"),
    expected: "db.password=demo-db-password-not-real",
  },
];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cold = COLD_CASES.map((c) => ({ ...c, native: [], binary: [] }));
for (let run = 0; run < COLD_RUNS; run++) {
  for (const c of cold) {
    c.native.push(coldRun(c.path, c.keyFile, c.expected));
    c.binary.push(sopsRun(c.path, c.keyFile));
  }
}
const native = [];
const binary = [];
await nativeRun(); // warm-up: the cold case is measured above, in fresh processes
for (let run = 0; run < RUNS; run++) {
  native.push(await nativeRun());
  binary.push(sopsRun());
}
const sopsVersion = execFileSync("sops", ["--version", "--disable-version-check"], { env })
  .toString()
  .split("\n")[0];
const machine = `${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, ${sopsVersion}, load average ${loadavg()[0].toFixed(1)}`;
const fmt = (ms) => `${ms.toFixed(1)} ms`;
const spread = (xs) => `${fmt(Math.min(...xs))} – ${fmt(Math.max(...xs))}`;
const ratio = median(binary) / median(native);
const coldRows = cold.flatMap((c) => {
  const row = (label, xs) =>
    `| ${c.name}: ${label} | ${fmt(median(xs))} | ${spread(xs)} | ${xs.map(fmt).join(", ")} |`;
  return [
    row(
      "**first decryption** in the fresh process",
      c.native.map((r) => r.decrypt),
    ),
    row(
      "loading the sources module (paid when a provider process starts)",
      c.native.map((r) => r.load),
    ),
    row(
      "load + first decryption",
      c.native.map((r) => r.first),
    ),
    row("one `sops decrypt` process", c.binary),
    row(
      "the whole Node process (start, load, decrypt, exit), for comparison",
      c.native.map((r) => r.wall),
    ),
  ];
});
/** Each native run sits next to its own `sops decrypt` run: the median of these paired ratios resists load swings. */
const pairedRatios = (c, pick) => c.native.map((r, i) => pick(r) / c.binary[i]);
const coldVerdicts = cold.map((c) => {
  const first = pairedRatios(c, (r) => r.decrypt);
  const withLoad = pairedRatios(c, (r) => r.first);
  const range = (xs) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
  return `${c.name}: first decryption **${median(first).toFixed(2)}x** one \`sops decrypt\` (paired runs ${range(first)}; goal ≤ 1.00: ${median(first) <= 1 ? "met" : "not met"}), with the module load ${median(withLoad).toFixed(2)}x (${range(withLoad)})`;
});
const lines = [
  "## sops resolution",
  "",
  `Machine: ${machine}. Each native run and each \`sops decrypt\` run alternate, in one bench run.`,
  "",
  `### Cold: the first decryption in a fresh process, ${COLD_RUNS} runs each`,
  "",
  "A new Node process loads the sources module (a provider process does so when it starts: its CRUD module imports it) and resolves one reference, which decrypts the whole file and checks its MAC. The first decryption is timed from the loaded module to the resolved value.",
  "",
  "| case | median | spread (min – max) | all runs |",
  "|---|---|---|---|",
  ...coldRows,
  "",
  `Medians of the paired ratios (each native run against the \`sops decrypt\` run next to it): ${coldVerdicts.join("; ")}.`,
  "",
  `### Warm: ${N} references into one ${N}-key file, ${RUNS} runs each`,
  "",
  "In one process that has decrypted before (modules loaded, JIT warm), each run with an empty decryption cache.",
  "",
  "| case | median | spread (min – max) | all runs |",
  "|---|---|---|---|",
  `| native: resolve ${N} references (parse, age unwrap, ${N} AES-GCM values, MAC) | ${fmt(median(native))} | ${spread(native)} | ${native.map(fmt).join(", ")} |`,
  `| one \`sops decrypt\` process on the same file | ${fmt(median(binary))} | ${spread(binary)} | ${binary.map(fmt).join(", ")} |`,
  "",
  `Warm: native is **${ratio.toFixed(1)}x** ${ratio >= 1 ? "faster than" : "slower than"} one \`sops decrypt\` process (medians).`,
  "Run: `scripts/with-tools node bench/sops.mjs` (`--profile DIR` for CPU profiles of the cold processes).",
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
