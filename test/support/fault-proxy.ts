/**
 * An HTTP proxy on loopback between an AWS SDK client and moto. It injects failures by
 * rule (throttling, 5xx, connection resets, latency), counts requests per operation and
 * keeps a log of what each request asked for (names, ids, ClientRequestToken, never a
 * value), so tests assert on exactly what a client sent.
 */
import { createServer, type IncomingMessage, request, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type FaultAction =
  | { type: "throttle" }
  | { type: "status"; status: 500 | 502 | 503 | 504 }
  | { type: "reset" }
  | { type: "latency"; ms: number }
  /**
   * Keep the request for up to `ms`, then forward it; if the client goes away first (its
   * process was killed), drop it: the call never reaches AWS. Lets a test kill a process
   * while its later calls are still in flight, however fast the earlier ones ran.
   */
  | { type: "hold"; ms: number }
  /** Any AWS error, e.g. { status: 400, code: "AccessDeniedException" }. */
  | { type: "error"; status: number; code: string; message?: string };

export interface FaultRule {
  /** Operation names ("CreateSecret") the rule applies to; absent: every operation. */
  targets?: string[];
  /** Chance per matching request, drawn from the seeded generator; default 1. */
  probability?: number;
  /** Stop after this many injections. */
  times?: number;
  /** Let this many matching requests through untouched before the rule applies. */
  skipFirst?: number;
  /**
   * Forward to moto first, then fail: the request took effect but the client never
   * hears it (the case retries must make harmless). Not used by latency.
   */
  afterForward?: boolean;
  action: FaultAction;
}

export interface LoggedRequest {
  /** Operation name, from X-Amz-Target ("secretsmanager.CreateSecret" -> "CreateSecret"). */
  target: string;
  /** Name / SecretId / SecretIdList entries of the request. */
  secretIds: string[];
  /** The region the request was signed for. */
  region?: string;
  clientRequestToken?: string;
  /** The request's JSON parameters, SecretString and SecretBinary replaced by "<value>". */
  params: Record<string, unknown>;
  /** The failure injected into this request, if any. */
  fault?: FaultAction["type"];
}

export interface FaultProxy {
  endpoint: string;
  /** Requests received per operation, failed ones included. */
  counts(): Record<string, number>;
  log(): LoggedRequest[];
  setRules(rules: FaultRule[]): void;
  /** Clears counts and the log. */
  resetCounts(): void;
  stop(): Promise<void>;
}

export async function startFaultProxy(opts: { target: string; seed?: number }): Promise<FaultProxy> {
  const upstream = new URL(opts.target);
  const random = seeded(opts.seed ?? 1);
  let rules: (FaultRule & { used: number; seen: number })[] = [];
  let entries: LoggedRequest[] = [];

  const pickFault = (target: string): FaultRule | undefined => {
    for (const rule of rules) {
      if (rule.targets && !rule.targets.includes(target)) continue;
      if (rule.times !== undefined && rule.used >= rule.times) continue;
      if (++rule.seen <= (rule.skipFirst ?? 0)) continue;
      if (random() >= (rule.probability ?? 1)) continue;
      rule.used++;
      return rule;
    }
    return undefined;
  };

  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const target = String(req.headers["x-amz-target"] ?? "").replace(/^secretsmanager\./, "") || "(none)";
    const rule = pickFault(target);
    const region = /Credential=[^/]+\/\d+\/([^/]+)\//.exec(String(req.headers.authorization ?? ""))?.[1];
    entries.push({
      target,
      ...describeBody(body),
      ...(region ? { region } : {}),
      ...(rule ? { fault: rule.action.type } : {}),
    });
    if (rule?.action.type === "latency") await sleep(rule.action.ms);
    if (rule?.action.type === "hold" && !(await heldUntilTimeout(req, rule.action.ms))) return;
    if (!rule || rule.action.type === "latency" || rule.action.type === "hold") {
      return forward(upstream, req, body, res);
    }
    if (rule.afterForward) await forward(upstream, req, body, undefined);
    fail(rule.action, req, res);
  });
  // Keep-alive sockets from the SDK must not keep the proxy alive after stop().
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts: () => {
      const out: Record<string, number> = {};
      for (const e of entries) out[e.target] = (out[e.target] ?? 0) + 1;
      return out;
    },
    log: () => [...entries],
    setRules: (next) => {
      rules = next.map((r) => ({ ...r, used: 0, seen: 0 }));
    },
    resetCounts: () => {
      entries = [];
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Waits `ms`; false when the client closed its connection first. */
function heldUntilTimeout(req: IncomingMessage, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const dropped = () => {
      clearTimeout(timer);
      resolve(false);
    };
    // Removed on timeout: a kept-alive socket carries later requests, held or not.
    const timer = setTimeout(() => {
      req.socket.off("close", dropped);
      resolve(true);
    }, ms);
    req.socket.once("close", dropped);
  });
}

function fail(
  action: Exclude<FaultAction, { type: "latency" | "hold" }>,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  if (action.type === "reset") {
    req.socket.destroy();
    return;
  }
  const [status, code, message] =
    action.type === "throttle"
      ? [400, "ThrottlingException", "Rate exceeded"]
      : action.type === "status"
        ? [action.status, "InternalServiceError", "injected failure"]
        : [action.status, action.code, action.message ?? "injected error"];
  sendJson(res, status, { __type: code, message });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
  res.end(JSON.stringify(body));
}

/** Sends the request to moto; with no `res`, the answer is dropped. */
function forward(
  upstream: URL,
  req: IncomingMessage,
  body: Buffer,
  res: ServerResponse | undefined,
): Promise<void> {
  return new Promise((resolve) => {
    const out = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      },
      (upstreamRes) => {
        const chunks: Buffer[] = [];
        upstreamRes.on("data", (c: Buffer) => chunks.push(c));
        upstreamRes.on("end", () => {
          if (res && !res.destroyed) {
            res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
            res.end(Buffer.concat(chunks));
          }
          resolve();
        });
      },
    );
    out.on("error", () => {
      if (res && !res.headersSent) sendJson(res, 502, { __type: "ProxyError", message: "moto unreachable" });
      resolve();
    });
    out.end(body);
  });
}

const VALUE_PARAMS = ["SecretString", "SecretBinary"];

function describeBody(body: Buffer): Pick<LoggedRequest, "secretIds" | "clientRequestToken" | "params"> {
  let params: Record<string, unknown> = {};
  try {
    params = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
  } catch {
    // not a JSON API call (e.g. moto's own API): nothing to log
  }
  for (const key of VALUE_PARAMS) if (key in params) params[key] = "<value>";
  const ids = [
    params.Name,
    params.SecretId,
    ...asArray(params.SecretIdList),
    ...nameFilterValues(params.Filters),
  ];
  const token = params.ClientRequestToken;
  return {
    secretIds: ids.filter((id): id is string => typeof id === "string"),
    ...(typeof token === "string" ? { clientRequestToken: token } : {}),
    params,
  };
}

/** ListSecrets asks for names through its `name` filter. */
function nameFilterValues(filters: unknown): unknown[] {
  return asArray(filters).flatMap((f) => {
    const filter = f as { Key?: unknown; Values?: unknown };
    return filter.Key === "name" ? asArray(filter.Values) : [];
  });
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** A request's whole body. */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Small seeded generator (mulberry32): the same seed injects the same faults in the same order. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
