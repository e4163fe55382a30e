/**
 * The provider's part of seed-once and generated values, called in-process as the engine
 * calls it, against moto through the counting proxy: what the last deployment recorded
 * decides what an update generates, verifies or leaves alone.
 */
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, beforeEach, expect, inject, it } from "vitest";
import type { SecretValueSpec, UpdatePolicy } from "../../src/manifest/spec";
import { type ManagedSecretInputs, type ManagedSecretOutputs, toValueInput } from "../../src/pulumi/inputs";
import { OWNER_TAG } from "../../src/reconcile/types";
import { uniquePrefix } from "../reconcile/helpers";
import { type FaultProxy, startFaultProxy } from "../support/fault-proxy";
import { type Crud, freshProvider, overTheWire } from "./provider-process";

const OWNER = "proj/crud-vp-test";
let proxy: FaultProxy;
let prefix: string;
let crud: Crud;

beforeAll(async () => {
  proxy = await startFaultProxy({ target: inject("awsEndpoint") });
});
afterAll(() => proxy.stop());
beforeEach(async () => {
  crud = await freshProvider(proxy.endpoint);
  prefix = uniquePrefix("crudvp");
});

async function checked(name: string, value: SecretValueSpec, updatePolicy: UpdatePolicy = "Replace") {
  const news = overTheWire<ManagedSecretInputs>({
    name,
    tags: { [OWNER_TAG]: OWNER },
    value: toValueInput(value),
    updatePolicy,
    replicas: [],
    forceOverwriteReplicaSecret: false,
    deletion: { forceDeleteWithoutRecovery: true },
    adopt: false,
    owner: OWNER,
    source: { file: "manifests/app.yaml", line: 1 },
    hmacKey: "cd".repeat(32),
  });
  const res = await crud.check(news, news);
  expect(res.failures ?? []).toEqual([]);
  return res.inputs as ManagedSecretInputs;
}

async function current(name: string): Promise<string> {
  const res = await new SecretsManagerClient({}).send(
    new GetSecretValueCommand({ SecretId: name, VersionStage: "AWSCURRENT" }),
  );
  return res.SecretString ?? "";
}

const GENERATE = {
  length: 30,
  excludeNumbers: false,
  excludePunctuation: true,
  excludeUppercase: false,
  excludeLowercase: false,
  includeSpace: false,
  requireEachIncludedType: true,
  generation: 1,
};

it("a key switched from a reference to generate gets a password; a later no-op keeps it", async () => {
  process.env.CRUD_VP_KEY = "from-env-value";
  const name = `${prefix}/switch`;
  const first = await checked(name, {
    kind: "json",
    fields: Object.entries({ user: "app", key: { fromEnv: "CRUD_VP_KEY" } }),
  });
  const olds = overTheWire((await crud.create(first)).outs as ManagedSecretOutputs);
  const news = await checked(name, {
    kind: "json",
    fields: Object.entries({ user: "app", key: { generate: GENERATE } }),
  });
  expect((await crud.diff(olds.arn, olds, news)).changes).toBe(true);
  proxy.resetCounts();
  const outs = overTheWire((await crud.update(olds.arn, olds, news)).outs as ManagedSecretOutputs);
  expect(proxy.counts()).toMatchObject({ GetSecretValue: 1, GetRandomPassword: 1, PutSecretValue: 1 });
  const value = JSON.parse(await current(name));
  expect(value.user).toBe("app");
  expect(value.key).toMatch(/^[A-Za-z0-9]{30}$/);
  expect(outs.kept).toEqual({ keys: { key: "generation:1" } });
  expect(JSON.stringify(outs)).not.toContain(value.key);

  const again = await checked(name, {
    kind: "json",
    fields: Object.entries({ user: "app", key: { generate: { ...GENERATE, length: 50 } } }),
  });
  expect((await crud.diff(outs.arn, outs, again)).changes).toBe(false);
});

it("a value switched to IfNotExists is never written again, whatever the variable holds", async () => {
  process.env.CRUD_VP_PW = "first";
  const name = `${prefix}/seed`;
  const spec: SecretValueSpec = { kind: "string", ref: { fromEnv: "CRUD_VP_PW" } };
  const olds = overTheWire((await crud.create(await checked(name, spec))).outs as ManagedSecretOutputs);
  process.env.CRUD_VP_PW = "second";
  const news = await checked(name, spec, "IfNotExists");
  proxy.resetCounts();
  const outs = overTheWire((await crud.update(olds.arn, olds, news)).outs as ManagedSecretOutputs);
  expect(proxy.counts().PutSecretValue).toBeUndefined();
  expect(await current(name)).toBe("first");
  process.env.CRUD_VP_PW = "third";
  expect((await crud.diff(outs.arn, outs, await checked(name, spec, "IfNotExists"))).changes).toBe(false);
});
