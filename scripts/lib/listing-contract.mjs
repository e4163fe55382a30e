// A loopback HTTP layer between an AWS SDK client and moto that gives ListSecrets the
// shape AWS documents (SecretListEntry): a replicated secret's entry names its
// PrimaryRegion and has no ReplicationStatus. moto lists ReplicationStatus (which the SDK
// drops as an unknown field) and never a PrimaryRegion. It also counts requests per
// operation, so tests and benches see exactly which calls a client made.
import { createServer, request } from "node:http";

/**
 * @param {{ target: string, region: string }} opts
 * @returns {Promise<{ endpoint: string, counts: () => Record<string, number>, log: () => { target: string, params: Record<string, unknown> }[], reset: () => void, stop: () => Promise<void> }>}
 */
export async function startListingContract(opts) {
  const upstream = new URL(opts.target);
  let entries = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const target = String(req.headers["x-amz-target"] ?? "").replace(/^secretsmanager\./, "") || "(none)";
      entries.push({ target, params: paramsOf(body) });
      const out = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: upstream.host },
        },
        (upstreamRes) => {
          const parts = [];
          upstreamRes.on("data", (c) => parts.push(c));
          upstreamRes.on("end", () => {
            let answer = Buffer.concat(parts);
            const headers = { ...upstreamRes.headers };
            if (target === "ListSecrets" && upstreamRes.statusCode === 200) {
              answer = Buffer.from(
                JSON.stringify(asDocumented(JSON.parse(answer.toString("utf8")), opts.region)),
              );
              delete headers["content-length"];
              delete headers["x-amz-crc32"];
            }
            res.writeHead(upstreamRes.statusCode ?? 502, headers);
            res.end(answer);
          });
        },
      );
      out.on("error", () => {
        res.writeHead(502, { "content-type": "application/x-amz-json-1.1" });
        res.end(JSON.stringify({ __type: "ProxyError", message: "moto unreachable" }));
      });
      out.end(body);
    });
  });
  server.keepAliveTimeout = 1_000;
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts: () => {
      const out = {};
      for (const e of entries) out[e.target] = (out[e.target] ?? 0) + 1;
      return out;
    },
    log: () => [...entries],
    reset: () => {
      entries = [];
    },
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function asDocumented(page, region) {
  for (const entry of page.SecretList ?? []) {
    if (entry.ReplicationStatus?.length > 0 && entry.PrimaryRegion === undefined)
      entry.PrimaryRegion = region;
    delete entry.ReplicationStatus;
  }
  return page;
}

/** Request parameters without values (SecretString / SecretBinary are never logged). */
function paramsOf(body) {
  try {
    const params = JSON.parse(body.toString("utf8"));
    delete params.SecretString;
    delete params.SecretBinary;
    return params;
  } catch {
    return {};
  }
}
