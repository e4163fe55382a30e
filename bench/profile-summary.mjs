// Summarizes the V8 CPU profiles `bench/pulumi.mjs --profile DIR` writes: for each step and
// each Node process (the program or the dynamic provider), where its CPU time went, by
// package (node_modules), by our own module (dist/...), and by V8/Node internals.
// Usage: node bench/profile-summary.mjs DIR [top=12]
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const [dir, topArg = "12"] = process.argv.slice(2);
if (!dir) {
  console.error("usage: node bench/profile-summary.mjs DIR [top]");
  process.exit(2);
}
const top = Number(topArg);

/** "@aws-sdk/client-secrets-manager", "secret-manifests/dist/sources", "node:internal", "(garbage collector)". */
function bucketOf(url, functionName) {
  if (!url) return functionName.startsWith("(") ? functionName : "(v8)";
  if (url.startsWith("node:")) return "node internals";
  const inModules = url.split("node_modules/").pop() ?? url;
  if (inModules === url) return path.basename(url);
  const parts = inModules.split("/");
  const pkg = parts[0]?.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? url);
  if (pkg === "secret-manifests") return `secret-manifests/${parts.slice(1, 3).join("/")}`;
  return pkg;
}

function summarize(file) {
  const profile = JSON.parse(readFileSync(file, "utf8"));
  const selfUs = new Map();
  for (const [i, id] of profile.samples.entries()) {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const buckets = new Map();
  let busy = 0;
  let idle = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    const bucket = bucketOf(node.callFrame.url, node.callFrame.functionName);
    if (bucket === "(idle)") {
      idle += us;
      continue;
    }
    busy += us;
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + us);
  }
  const isProvider = profile.nodes.some((n) => n.callFrame.url.includes("dynamic-provider"));
  return { isProvider, busy, idle, buckets };
}

for (const step of readdirSync(dir).sort()) {
  const files = readdirSync(path.join(dir, step)).filter((f) => f.endsWith(".cpuprofile"));
  for (const file of files) {
    const { isProvider, busy, idle, buckets } = summarize(path.join(dir, step, file));
    if (busy < 200_000) continue; // helper processes that did nothing worth showing
    const role = isProvider ? "dynamic provider" : "program / driver";
    console.log(
      `\n${step} ${role} (${file}): ${(busy / 1e3).toFixed(0)} ms busy, ${(idle / 1e3).toFixed(0)} ms idle`,
    );
    for (const [bucket, us] of [...buckets].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.log(
        `  ${(us / 1e3).toFixed(0).padStart(7)} ms ${((100 * us) / busy).toFixed(1).padStart(5)}%  ${bucket}`,
      );
    }
  }
}
