// API floor for bench/pulumi.mjs: a bare AWS SDK script creating the same N secrets
// (same names, descriptions, tags, value sizes, a ClientRequestToken each) at the same
// concurrency as the engine's --parallel. Prints {"ms": <time of the N creates>, "calls": N}.
// The time starts after the SDK is loaded and the client built: the strictest floor.
// Usage: node bench/api-floor.mjs REQUESTS.json CONCURRENCY
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";

const [file, concurrencyArg] = process.argv.slice(2);
const requests = JSON.parse(readFileSync(file, "utf8"));
const concurrency = Number(concurrencyArg);
const client = new SecretsManagerClient({});

const start = performance.now();
let next = 0;
async function worker() {
  while (next < requests.length) {
    const r = requests[next++];
    await client.send(
      new CreateSecretCommand({
        Name: r.name,
        ClientRequestToken: randomUUID(),
        Description: r.description,
        SecretString: r.value,
        Tags: Object.entries(r.tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    );
  }
}
await Promise.all(Array.from({ length: concurrency }, worker));
console.log(JSON.stringify({ ms: performance.now() - start, calls: requests.length }));
