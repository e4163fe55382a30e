// Benchmark of `secret-manifests import`: N existing secrets (a tenth replicated, a mix of
// tags, KMS keys and JSON or string values) imported by the CLI in a fresh process, against
// moto behind the ListSecrets contract layer, which counts every call. The bound to meet:
// ceil(N / 100) ListSecrets plus one DescribeSecret per secret whose listing lacks fields
// (the replicated ones), and nothing else without --with-policies / --json-keys.
// The floor, measured in the same run: a bare SDK script in a fresh process making the same
// ListSecrets and DescribeSecret calls (same filter, same concurrency) and nothing else.
// Usage: scripts/with-tools npm run build && scripts/with-tools node bench/import.mjs [--n 1000] [--runs 3]
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  ListSecretsCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { startListingContract } from "../scripts/lib/listing-contract.mjs";
import { awsEnvFor, startMoto } from "../scripts/lib/moto.mjs";

const REGION = "us-east-1";
const root = path.resolve(import.meta.dirname, "..");
const { values } = parseArgs({
  options: {
    n: { type: "string", default: "1000" },
    runs: { type: "string", default: "3" },
    floor: { type: "boolean", default: false },
  },
});
const N = Number(values.n);
const RUNS = Number(values.runs);

function secretRequest(i) {
  return {
    Name: `bench/app${i % 20}/s${String(i).padStart(5, "0")}`,
    SecretString: i % 2 === 0 ? JSON.stringify({ username: `u${i}`, password: `p${i}` }) : `value-${i}`,
    ...(i % 3 === 0 ? { Description: `bench secret ${i}` } : {}),
    ...(i % 4 === 0 ? { KmsKeyId: "alias/bench" } : {}),
    ...(i % 10 === 0 ? { AddReplicaRegions: [{ Region: "eu-west-1" }] } : {}),
    Tags: [{ Key: "team", Value: `t${i % 7}` }, ...(i % 5 === 0 ? [{ Key: "env", Value: "prod" }] : [])],
  };
}

async function createAll(endpoint) {
  const client = new SecretsManagerClient({ endpoint, region: REGION });
  const requests = Array.from({ length: N }, (_, i) => secretRequest(i));
  let next = 0;
  const worker = async () => {
    while (next < requests.length) await client.send(new CreateSecretCommand(requests[next++]));
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return requests.filter((r) => r.AddReplicaRegions).length;
}

function runNode(args, env) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, args, {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr, ms: performance.now() - start }));
  });
}

/** The floor: the import's listing and describes with the bare SDK, no manifests, no files. */
async function floor() {
  const client = new SecretsManagerClient({});
  const request = {
    Filters: [{ Key: "name", Values: ["bench/"] }],
    MaxResults: 100,
    IncludePlannedDeletion: true,
  };
  const replicated = [];
  do {
    const page = await client.send(new ListSecretsCommand(request));
    for (const s of page.SecretList ?? []) if (s.PrimaryRegion) replicated.push(s.ARN);
    request.NextToken = page.NextToken;
  } while (request.NextToken);
  let next = 0;
  const worker = async () => {
    while (next < replicated.length)
      await client.send(new DescribeSecretCommand({ SecretId: replicated[next++] }));
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

if (values.floor) {
  await floor();
  process.exit(0);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const moto = await startMoto();
Object.assign(process.env, awsEnvFor(moto.endpoint));
const proxy = await startListingContract({ target: moto.endpoint, region: REGION });
try {
  const replicated = await createAll(moto.endpoint);
  const env = { ...process.env, ...awsEnvFor(proxy.endpoint) };
  const cases = [
    { label: "import (metadata only)", flags: [], extra: {} },
    {
      label: "import --json-keys",
      flags: ["--json-keys"],
      extra: { BatchGetSecretValue: Math.ceil(N / 20) },
    },
    { label: "import --with-policies", flags: ["--with-policies"], extra: { GetResourcePolicy: N } },
  ];
  const bound = { ListSecrets: Math.ceil(N / 100), DescribeSecret: replicated };
  const rows = [];
  const floorTimes = [];
  let floorCounts;
  for (let run = 0; run < RUNS; run++) {
    proxy.reset();
    const res = await runNode([import.meta.filename, "--floor"], env);
    if (res.code !== 0) throw new Error(`floor exited ${res.code}: ${res.stderr}`);
    floorTimes.push(res.ms);
    floorCounts = proxy.counts();
  }
  rows.push({
    label: "floor: bare SDK, the same ListSecrets + DescribeSecret",
    times: floorTimes,
    counts: floorCounts,
  });
  for (const c of cases) {
    const times = [];
    let counts;
    for (let run = 0; run < RUNS; run++) {
      const out = mkdtempSync(path.join(os.tmpdir(), "sm-bench-import-"));
      proxy.reset();
      const cli = [path.join(root, "dist/cli/main.js"), "import", "--prefix", "bench/", "--out", out];
      const res = await runNode([...cli, "--format", "json", ...c.flags], env);
      rmSync(out, { recursive: true, force: true });
      if (res.code !== 0) throw new Error(`import exited ${res.code}: ${res.stderr}`);
      const report = JSON.parse(res.stdout);
      if (report.files.length !== N) throw new Error(`expected ${N} files, got ${report.files.length}`);
      times.push(res.ms);
      counts = proxy.counts();
    }
    const expected = { ...bound, ...c.extra };
    const met = Object.keys({ ...expected, ...counts }).every(
      (op) => (counts[op] ?? 0) <= (expected[op] ?? 0),
    );
    rows.push({ ...c, times, counts, expected, met });
  }
  const cpu = os.cpus()[0]?.model.replace(/\s+/g, " ").trim();
  console.log(
    `Machine: ${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, moto on loopback behind the ListSecrets contract layer; load average ${os.loadavg()[0].toFixed(1)} at the end.`,
  );
  console.log(
    `N = ${N} secrets (${replicated} replicated), a fresh process per run (CLI or floor script), ${RUNS} runs per case; wall time includes process start.\n`,
  );
  console.log("| case | AWS calls | bound | met | median wall | ratio to floor | all runs (ms) |");
  console.log("|---|---|---|---|---|---|---|");
  const fmt = (o) =>
    Object.entries(o)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
  const floorMedian = median(floorTimes);
  for (const r of rows) {
    const bounds = r.expected ? [fmt(r.expected), r.met ? "yes" : "NO"] : ["", ""];
    console.log(
      `| ${r.label} | ${fmt(r.counts)} | ${bounds.join(" | ")} | ${median(r.times).toFixed(0)} ms | ${(median(r.times) / floorMedian).toFixed(2)}x | ${r.times.map((t) => t.toFixed(0)).join(", ")} |`,
    );
  }
} finally {
  await proxy.stop();
  await moto.stop();
}
