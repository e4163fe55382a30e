import { randomUUID } from "node:crypto";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { inject } from "vitest";
import { createSecretsManagerClient } from "../../src/aws/client.js";
import { type GatewayOptions, SecretsManagerGateway } from "../../src/aws/gateway.js";
import { digestValue, requestToken, rewriteToken } from "../../src/reconcile/digest.js";
import { type DesiredSecret, type ObservedSecret, OWNER_TAG } from "../../src/reconcile/types.js";
import type { ResolvedValue } from "../../src/sources/value.js";
import { type FaultProxy, startFaultProxy } from "../support/fault-proxy.js";

export const HMAC_KEY = Buffer.alloc(32, 7);
export const OWNER = "org/project/test";

export const text = (t: string): ResolvedValue => ({ kind: "string", text: t });
export const json = (fields: Record<string, unknown>): ResolvedValue => ({
  kind: "json",
  text: JSON.stringify(fields),
  fields,
});
export const binary = (bytes: Buffer): ResolvedValue => ({ kind: "binary", bytes });

/** A desired secret as the provider builds it: digest, token and ownership tag derived. */
export function desired(
  name: string,
  value: ResolvedValue,
  extra: Partial<DesiredSecret> = {},
): DesiredSecret {
  return {
    name,
    value,
    digest: digestValue(name, value, HMAC_KEY),
    token: requestToken(name, value, HMAC_KEY),
    rewriteToken: rewriteToken(name, value, extra.kmsKeyId, HMAC_KEY),
    replicas: [],
    forceOverwriteReplicaSecret: false,
    adopt: false,
    ...extra,
    tags: { ...extra.tags, [OWNER_TAG]: OWNER },
  };
}

export function observed(name: string, extra: Partial<ObservedSecret> = {}): ObservedSecret {
  return {
    arn: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-AbCdEf`,
    name,
    tags: { [OWNER_TAG]: OWNER },
    versionStages: {},
    replicas: [],
    replicasObserved: true,
    ...extra,
  };
}

/** moto is shared by every test file of the run: each test works under its own prefix. */
export const uniquePrefix = (label: string) => `t-${label}-${randomUUID().slice(0, 8)}`;

/** Operations that change something; everything else the reconciler sends is a read. */
const READS = new Set([
  "ListSecrets",
  "DescribeSecret",
  "BatchGetSecretValue",
  "GetSecretValue",
  "ListSecretVersionIds",
]);

/** Whether an operation changes something in AWS (anything not known to be a read). */
export function isWrite(target: string): boolean {
  return !READS.has(target);
}

export function writeCounts(proxy: FaultProxy): Record<string, number> {
  return Object.fromEntries(Object.entries(proxy.counts()).filter(([target]) => isWrite(target)));
}

export interface Harness {
  proxy: FaultProxy;
  gateway: SecretsManagerGateway;
  /** Talks to moto directly, bypassing the proxy: for arranging and inspecting. */
  direct: SecretsManagerClient;
}

export async function startHarness(opts: { seed?: number; maxAttempts?: number } = {}): Promise<Harness> {
  const proxy = await startFaultProxy({ target: inject("awsEndpoint"), seed: opts.seed ?? 1 });
  const client = createSecretsManagerClient({ endpoint: proxy.endpoint, maxAttempts: opts.maxAttempts });
  return { proxy, gateway: new SecretsManagerGateway(client), direct: new SecretsManagerClient({}) };
}

/**
 * A gateway of its own: a new provider process, whose shared listings of a stack's
 * secrets start empty (a test's secrets are missing from a listing taken before them).
 */
export function freshGateway(h: Harness, opts: GatewayOptions = {}): SecretsManagerGateway {
  return new SecretsManagerGateway(createSecretsManagerClient({ endpoint: h.proxy.endpoint }), opts);
}

/** The desired secret as another stack's (`owner`) would have it. */
export function ownedBy(d: DesiredSecret, owner: string): DesiredSecret {
  return { ...d, tags: { ...d.tags, [OWNER_TAG]: owner } };
}
