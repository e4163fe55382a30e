/**
 * Every change a user can make between two deployments, on the real engine, against moto
 * behind the AWS-contract layer (with a ListSecrets lag) and the counting proxy. Each
 * test asserts the exact AWS write calls of the change and that no other secret was
 * touched: each stack holds a bystander secret whose versions, tags and deletion state
 * must stay as they were.
 */
import { randomBytes } from "node:crypto";
import { renameSync, rmSync } from "node:fs";
import path from "node:path";
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
  UntagResourceCommand,
} from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { CLAIM_TAG } from "../../src/aws/model";
import { OWNER_TAG } from "../../src/reconcile/types";
import { isWrite } from "../reconcile/helpers";
import { setContractRules, versionKeys } from "../support/aws-contract";
import { type FaultProxy, startFaultProxy } from "../support/fault-proxy";
import { ensureKmsAlias } from "../support/kms";
import {
  createProject,
  exportState,
  type OpOptions,
  type PulumiProject,
  pulumiCli,
  pulumiOp,
  writeProjectFile,
} from "../support/pulumi";
import { describe as describeSecret, manifest, sm, versionCount } from "./support";

/** Long enough to span consecutive operations: each sees the listings of the one before. */
const LIST_LAG_MS = 8_000;

let proxy: FaultProxy;
beforeAll(async () => {
  proxy = await startFaultProxy({ target: inject("awsEndpoint") });
});
afterAll(async () => {
  await proxy?.stop();
});

/** A name from a secret id as sent (a name or an ARN). */
function nameOf(id: string): string {
  return /^arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:(.+)-[A-Za-z0-9]{6}$/.exec(id)?.[1] ?? id;
}

/** The write calls the last operation sent, as "Operation name [region]" lines, sorted. */
function writes(opts: { region?: boolean } = {}): string[] {
  return proxy
    .log()
    .filter((e) => isWrite(e.target))
    .map((e) => {
      const names = [...new Set(e.secretIds.map(nameOf))].join(",");
      return opts.region ? `${e.target} ${names} ${e.region}` : `${e.target} ${names}`;
    })
    .sort();
}

function paramsOf(target: string) {
  return proxy
    .log()
    .filter((e) => e.target === target)
    .map((e) => e.params);
}

async function currentValue(name: string, region = "us-east-1"): Promise<string | undefined> {
  const client = new SecretsManagerClient({ region });
  return (await client.send(new GetSecretValueCommand({ SecretId: name, VersionStage: "AWSCURRENT" })))
    .SecretString;
}

/** What must not change for a secret nobody asked to change. */
async function fingerprint(name: string) {
  const d = await describeSecret(name);
  return {
    versions: d.VersionIdsToStages,
    tags: d.Tags,
    description: d.Description,
    deleted: d.DeletedDate !== undefined,
    value: d.DeletedDate ? undefined : await currentValue(name),
  };
}

interface Stack {
  project: PulumiProject;
  base: string;
  env: NodeJS.ProcessEnv;
  /** The secret created outside this stack, next to its own: it must never be touched. */
  bystander: string;
  bystanderBefore: Awaited<ReturnType<typeof fingerprint>>;
  op(kind: "up" | "preview" | "refresh" | "destroy", extra?: OpOptions): ReturnType<typeof pulumiOp>;
  owner(): Promise<string>;
}

/** A stack over `files` (manifests/NAME.yaml -> text) and its bystander; deploys once. */
async function newStack(
  label: string,
  files: (base: string) => Record<string, string>,
  env: NodeJS.ProcessEnv = {},
  listLagMs = LIST_LAG_MS,
) {
  const base = `lc-${label}-${randomBytes(4).toString("hex")}`;
  await setContractRules(inject("awsEndpoint"), `${base}/`, { listLagMs });
  const project = createProject({}, "dev");
  for (const [file, text] of Object.entries(files(base)))
    writeProjectFile(project, `manifests/${file}`, text);
  const bystander = `${base}/bystander`;
  await sm().send(new CreateSecretCommand({ Name: bystander, SecretString: "bystander-value" }));
  const stackEnv: NodeJS.ProcessEnv = { AWS_ENDPOINT_URL_SECRETS_MANAGER: proxy.endpoint, ...env };
  const stack: Stack = {
    project,
    base,
    env: stackEnv,
    bystander,
    bystanderBefore: await fingerprint(bystander),
    op: (kind, extra = {}) => {
      proxy.resetCounts();
      return pulumiOp(project, kind, {
        manifests: ["manifests"],
        ...extra,
        env: { ...stack.env, ...extra.env },
      });
    },
    owner: async () => {
      const res = JSON.parse(await exportState(project)).deployment.resources ?? [];
      const secret = res.find((r: { type: string }) => r.type.endsWith("ManagedSecret"));
      return secret?.outputs?.owner;
    },
  };
  const up = await stack.op("up");
  expect(up.code, up.stdout + up.stderr).toBe(0);
  return stack;
}

async function expectOk(res: Awaited<ReturnType<typeof pulumiOp>>) {
  expect(res.code, res.stdout + res.stderr).toBe(0);
  return res;
}

async function expectBystanderUntouched(stack: Stack) {
  expect(await fingerprint(stack.bystander)).toEqual(stack.bystanderBefore);
  expect(
    proxy.log().some((e) => isWrite(e.target) && e.secretIds.map(nameOf).includes(stack.bystander)),
  ).toBe(false);
}

const plain = (name: string, envVar: string, extra = "") =>
  manifest(
    name,
    `  value:\n    string: { fromEnv: ${envVar} }\n  deletion: { recoveryWindowInDays: 7 }${extra}`,
  );

describe("region", () => {
  it("unset, then set to the region already in use (nothing happens), then changed (create there, delete here by ARN)", async () => {
    const stack = await newStack("region", (b) => ({ "a.yaml": plain(`${b}/a`, "LC_A") }), {
      LC_A: "value-a",
    });
    const name = `${stack.base}/a`;
    const arnBefore = (await describeSecret(name)).ARN;

    const same = await expectOk(await stack.op("up", { config: { "secret-manifests:region": "us-east-1" } }));
    expect(same.summary?.changes.replace ?? 0).toBe(0);
    expect(writes()).toEqual([]);
    expect((await describeSecret(name)).DeletedDate).toBeUndefined();
    expect(await currentValue(name)).toBe("value-a");

    await expectOk(await stack.op("up", { config: { "secret-manifests:region": "eu-west-1" } }));
    expect(writes({ region: true })).toEqual([
      `CreateSecret ${name} eu-west-1`,
      `DeleteSecret ${name} us-east-1`,
    ]);
    expect(paramsOf("DeleteSecret")).toEqual([{ SecretId: arnBefore, RecoveryWindowInDays: 7 }]);
    expect(await currentValue(name, "eu-west-1")).toBe("value-a");
    expect((await describeSecret(name)).DeletedDate).toBeInstanceOf(Date);
    await expectBystanderUntouched(stack);
  });
});

describe("metadata changes on one stack", () => {
  let stack: Stack;
  let name: string;
  beforeAll(async () => {
    await Promise.all([ensureKmsAlias("alias/lc-one"), ensureKmsAlias("alias/lc-two")]);
    // A second secret keeps the folder non-empty when the first one's manifest is removed.
    stack = await newStack(
      "meta",
      (b) => ({
        "a.yaml": plain(`${b}/a`, "LC_A", "\n  kmsKeyId: alias/lc-one"),
        "keep.yaml": plain(`${b}/keep`, "LC_KEEP"),
      }),
      { LC_A: "v1", LC_KEEP: "kept" },
    );
    name = `${stack.base}/a`;
  }, 120_000);
  const write = (spec: string, metadata = "") =>
    writeProjectFile(
      stack.project,
      "manifests/a.yaml",
      manifest(
        name,
        `  value:\n    string: { fromEnv: LC_A }\n  deletion: { recoveryWindowInDays: 7 }\n${spec}`,
        metadata,
      ),
    );

  it("a description added, then removed: one UpdateSecret each", async () => {
    write("  kmsKeyId: alias/lc-one", "  description: first words");
    await expectOk(await stack.op("up"));
    expect(writes()).toEqual([`UpdateSecret ${name}`]);
    expect(paramsOf("UpdateSecret")[0]).toMatchObject({ Description: "first words" });
    expect((await describeSecret(name)).Description).toBe("first words");

    write("  kmsKeyId: alias/lc-one");
    await expectOk(await stack.op("up"));
    expect(writes()).toEqual([`UpdateSecret ${name}`]);
    expect((await describeSecret(name)).Description).toBeUndefined();
    await expectBystanderUntouched(stack);
  });

  it("tags added, changed and removed: TagResource / UntagResource of those keys only", async () => {
    write("  kmsKeyId: alias/lc-one", "  tags: { team: a, env: prod }");
    await expectOk(await stack.op("up"));
    expect(writes()).toEqual([`TagResource ${name}`]);
    expect(paramsOf("TagResource")[0]?.Tags).toEqual(
      expect.arrayContaining([
        { Key: "team", Value: "a" },
        { Key: "env", Value: "prod" },
      ]),
    );
    expect(paramsOf("TagResource")[0]?.Tags).toHaveLength(2);

    write("  kmsKeyId: alias/lc-one", "  tags: { team: b }");
    await expectOk(await stack.op("up"));
    expect(writes()).toEqual([`TagResource ${name}`, `UntagResource ${name}`]);
    expect(paramsOf("TagResource")[0]?.Tags).toEqual([{ Key: "team", Value: "b" }]);
    expect(paramsOf("UntagResource")[0]?.TagKeys).toEqual(["env"]);
    const tags = Object.fromEntries(((await describeSecret(name)).Tags ?? []).map((t) => [t.Key, t.Value]));
    expect(tags).toMatchObject({ team: "b", [OWNER_TAG]: await stack.owner() });
    expect(Object.keys(tags).filter((k) => !k.startsWith("secret-manifests:"))).toEqual(["team"]);
    await expectBystanderUntouched(stack);
  });

  it("adopt flipped on a secret the stack owns: no AWS write", async () => {
    write("  kmsKeyId: alias/lc-one\n  adopt: true", "  tags: { team: b }");
    await expectOk(await stack.op("up"));
    expect(writes()).toEqual([]);
    write("  kmsKeyId: alias/lc-one", "  tags: { team: b }");
    await expectOk(await stack.op("up"));
    expect(writes()).toEqual([]);
  });

  it("kmsKeyId changed: one UpdateSecret; a rollback then serves a version under the new key", async () => {
    write("  kmsKeyId: alias/lc-one", "  tags: { team: b }");
    await expectOk(await stack.op("up", { env: { LC_A: "v2" } }));
    await expectOk(await stack.op("up", { env: { LC_A: "v3" } }));
    stack.env.LC_A = "v3";
    // v1 is now unlabelled, still under alias/lc-one.
    write("  kmsKeyId: alias/lc-two", "  tags: { team: b }");
    await expectOk(await stack.op("up"));
    expect(writes()).toEqual([`UpdateSecret ${name}`]);
    expect(paramsOf("UpdateSecret")[0]).toMatchObject({ KmsKeyId: "alias/lc-two" });

    stack.env.LC_A = "v1";
    await expectOk(await stack.op("up"));
    expect(writes().every((w) => w.endsWith(` ${name}`))).toBe(true);
    expect(await currentValue(name)).toBe("v1");
    const keys = await versionKeys(inject("awsEndpoint"), name);
    const current = Object.entries((await describeSecret(name)).VersionIdsToStages ?? {}).find(([, s]) =>
      s.includes("AWSCURRENT"),
    )?.[0];
    expect(keys[current ?? ""], "the value AWSCURRENT serves is encrypted under the secret's key").toBe(
      "alias/lc-two",
    );
    await expectBystanderUntouched(stack);
  });

  it("a rollback to a version AWS has dropped (version quota) is a fresh write", async () => {
    write("  kmsKeyId: alias/lc-two", "  tags: { team: b }");
    await setContractRules(inject("awsEndpoint"), `${stack.base}/`, {
      listLagMs: LIST_LAG_MS,
      versionQuota: 2,
      versionMinAgeMs: 0,
    });
    for (const v of ["v4", "v5", "v6"]) {
      stack.env.LC_A = v;
      await expectOk(await stack.op("up"));
    }
    stack.env.LC_A = "v4"; // dropped by now: only AWSCURRENT (v6) and AWSPREVIOUS (v5) are kept
    await expectOk(await stack.op("up"));
    expect(await currentValue(name)).toBe("v4");
    expect(await versionCount(name)).toBeLessThanOrEqual(2);
  });

  it("the deletion policy changed: nothing until the secret is removed, then exactly that policy", async () => {
    const policy = (deletion: string) =>
      writeProjectFile(
        stack.project,
        "manifests/a.yaml",
        manifest(
          name,
          `  value:\n    string: { fromEnv: LC_A }\n  deletion: ${deletion}\n  kmsKeyId: alias/lc-two`,
          "  tags: { team: b }",
        ),
      );
    policy("{ forceDeleteWithoutRecovery: true }");
    await expectOk(await stack.op("up"));
    expect(writes()).toEqual([]);
    rmSync(path.join(stack.project.dir, "manifests/a.yaml"));
    await expectOk(await stack.op("up"));
    expect(writes()).toEqual([`DeleteSecret ${name}`]);
    expect(paramsOf("DeleteSecret")[0]).toMatchObject({ ForceDeleteWithoutRecovery: true });
    expect(paramsOf("DeleteSecret")[0]).not.toHaveProperty("RecoveryWindowInDays");
    await expect(describeSecret(name)).rejects.toThrow();
    await expectBystanderUntouched(stack);
  });
});

describe("replicas", () => {
  let stack: Stack;
  let name: string;
  const write = (regions: string[]) =>
    writeProjectFile(
      stack.project,
      "manifests/a.yaml",
      plain(
        name,
        "LC_A",
        regions.length ? `\n  replicas:\n${regions.map((r) => `    - { region: ${r} }`).join("\n")}` : "",
      ),
    );
  beforeAll(async () => {
    stack = await newStack("replica", (b) => ({ "a.yaml": plain(`${b}/a`, "LC_A") }), { LC_A: "r1" });
    name = `${stack.base}/a`;
  }, 120_000);

  it("a replica added: one ReplicateSecretToRegions; removed: one RemoveRegionsFromReplication", async () => {
    write(["eu-west-1"]);
    await expectOk(await stack.op("up"));
    expect(writes()).toEqual([`ReplicateSecretToRegions ${name}`]);
    expect(paramsOf("ReplicateSecretToRegions")[0]?.AddReplicaRegions).toEqual([{ Region: "eu-west-1" }]);
    write([]);
    await expectOk(await stack.op("up"));
    expect(writes()).toEqual([`RemoveRegionsFromReplication ${name}`]);
    expect((await describeSecret(name)).ReplicationStatus ?? []).toEqual([]);
    await expectBystanderUntouched(stack);
  });

  it("a replica that failed is reported, and the next deployment removes and adds it again", async () => {
    await setContractRules(inject("awsEndpoint"), `${stack.base}/`, {
      listLagMs: LIST_LAG_MS,
      failReplicas: { "us-west-2": "injected: replica region unavailable" },
    });
    write(["us-west-2"]);
    const failed = await stack.op("up");
    expect(failed.stdout + failed.stderr).toMatch(/us-west-2/);
    expect(failed.stdout + failed.stderr).toMatch(/Failed|failed/);
    await setContractRules(inject("awsEndpoint"), `${stack.base}/`, { listLagMs: LIST_LAG_MS });
    await expectOk(await stack.op("up"));
    expect(writes()).toEqual([`RemoveRegionsFromReplication ${name}`, `ReplicateSecretToRegions ${name}`]);
    expect((await describeSecret(name)).ReplicationStatus?.map((r) => [r.Region, r.Status])).toEqual([
      ["us-west-2", "InSync"],
    ]);
    await expectBystanderUntouched(stack);
  });
});

describe("names, files and the stack", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await newStack(
      "names",
      (b) => ({ "a.yaml": plain(`${b}/a`, "LC_A"), "b.yaml": plain(`${b}/b`, "LC_B") }),
      { LC_A: "na", LC_B: "nb" },
    );
  }, 120_000);

  it("a manifest moved to another file: no AWS write, no replacement", async () => {
    renameSync(
      path.join(stack.project.dir, "manifests/a.yaml"),
      path.join(stack.project.dir, "manifests/moved.yaml"),
    );
    const up = await expectOk(await stack.op("up"));
    expect(up.summary?.changes.replace ?? 0).toBe(0);
    expect(writes()).toEqual([]);
  });

  it("a name changed: the new secret created, the old one deleted by ARN with its window", async () => {
    const old = `${stack.base}/a`;
    const renamed = `${stack.base}/a2`;
    const oldArn = (await describeSecret(old)).ARN;
    writeProjectFile(stack.project, "manifests/moved.yaml", plain(renamed, "LC_A"));
    await expectOk(await stack.op("up"));
    expect(writes()).toEqual([`CreateSecret ${renamed}`, `DeleteSecret ${old}`]);
    expect(paramsOf("DeleteSecret")).toEqual([{ SecretId: oldArn, RecoveryWindowInDays: 7 }]);
    expect(await currentValue(renamed)).toBe("na");
    expect((await describeSecret(`${stack.base}/b`)).DeletedDate).toBeUndefined();
    await expectBystanderUntouched(stack);
  });

  it("a manifest removed, then added back within its recovery window: deleted, then restored without a new version", async () => {
    const name = `${stack.base}/b`;
    const versionsBefore = (await describeSecret(name)).VersionIdsToStages;
    rmSync(path.join(stack.project.dir, "manifests/b.yaml"));
    await expectOk(await stack.op("up"));
    expect(writes()).toEqual([`DeleteSecret ${name}`]);
    expect((await describeSecret(name)).DeletedDate).toBeInstanceOf(Date);
    writeProjectFile(stack.project, "manifests/b.yaml", plain(name, "LC_B"));
    await expectOk(await stack.op("up"));
    // The manifest added back is a new resource: its claim tag is the only tag that changes.
    // While ListSecrets lags the delete, the stack's listing may not show the secret: the
    // create is tried first, AWS ignores it (same name, token and value), the provider sees
    // its claim missing, and restores. Either way: restored, never left pending deletion.
    const sent = writes();
    expect(sent.filter((w) => w !== `CreateSecret ${name}`)).toEqual([
      `RestoreSecret ${name}`,
      `TagResource ${name}`,
    ]);
    expect(sent.length).toBeLessThanOrEqual(3);
    expect(paramsOf("TagResource")[0]?.Tags).toEqual([{ Key: CLAIM_TAG, Value: expect.any(String) }]);
    const after = await describeSecret(name);
    expect(after.DeletedDate).toBeUndefined();
    expect(after.VersionIdsToStages).toEqual(versionsBefore);
    expect(await currentValue(name)).toBe("nb");
    await expectBystanderUntouched(stack);
  });

  it("the HMAC key rotated: the values stay byte for byte, no secret is created, deleted or replaced", async () => {
    const names = [`${stack.base}/a2`, `${stack.base}/b`];
    const up = await expectOk(
      await stack.op("up", { secretConfig: { "secret-manifests:hmacKey": randomBytes(32).toString("hex") } }),
    );
    expect(up.summary?.changes.replace ?? 0).toBe(0);
    expect(writes().filter((w) => !w.startsWith("PutSecretValue "))).toEqual([]);
    expect(writes().length).toBeLessThanOrEqual(names.length);
    expect(await Promise.all(names.map((n) => currentValue(n)))).toEqual(["na", "nb"]);
    // The key is a secret in the raw export (no --show-secrets).
    const state = await exportState(stack.project);
    for (const r of JSON.parse(state).deployment.resources.filter((x: { type: string }) =>
      x.type.endsWith("ManagedSecret"),
    ))
      expect(JSON.stringify(r.inputs.hmacKey)).toContain("4dabf18193072939515e22adb298388d");
    await expectBystanderUntouched(stack);
  });

  it("the stack renamed: the ownership tag follows, and the stack deploys again", async () => {
    const before = await stack.owner();
    const renamed = `dev${randomBytes(2).toString("hex")}`;
    const res = await pulumiCli(stack.project, ["stack", "rename", renamed], stack.env);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    stack.project.stack = renamed;
    await expectOk(await stack.op("up"));
    const owner = before.replace(/\/[^/]+$/, `/${renamed}`);
    expect(writes()).toEqual([`TagResource ${stack.base}/a2`, `TagResource ${stack.base}/b`]);
    for (const n of [`${stack.base}/a2`, `${stack.base}/b`])
      expect((await describeSecret(n)).Tags).toContainEqual({ Key: OWNER_TAG, Value: owner });
    await expectOk(await stack.op("up", { expectNoChanges: true }));
    expect(writes()).toEqual([]);
    await expectBystanderUntouched(stack);
  });

  it("the project renamed (`pulumi stack rename` into the new project): only the ownership tag follows", async () => {
    const project = `renamed-${randomBytes(2).toString("hex")}`;
    const res = await pulumiCli(stack.project, [
      "stack",
      "rename",
      `organization/${project}/${stack.project.stack}`,
    ]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    stack.project.name = project;
    const up = await expectOk(await stack.op("up"));
    expect(up.summary?.changes.replace ?? 0).toBe(0);
    expect(writes()).toEqual([`TagResource ${stack.base}/a2`, `TagResource ${stack.base}/b`]);
    for (const n of [`${stack.base}/a2`, `${stack.base}/b`]) {
      expect((await describeSecret(n)).Tags).toContainEqual({
        Key: OWNER_TAG,
        Value: `${project}/${stack.project.stack}`,
      });
      expect((await describeSecret(n)).DeletedDate).toBeUndefined();
    }
    await expectOk(await stack.op("up", { expectNoChanges: true }));
    expect(writes()).toEqual([]);
    await expectBystanderUntouched(stack);
  });
});

describe("two stacks hand a secret over", () => {
  /**
   * Stack A's secret is handed to stack B (the tag removed by hand, B adopts it); then A's
   * value update and A's destroy must neither write nor delete it. `staleListing`: the
   * handover happens inside ListSecrets' lag window, so A's listing of its own secrets still
   * shows the secret tagged as A's (AWS: for up to five minutes).
   */
  async function handover(label: string, staleListing: boolean) {
    const a = await newStack(label, (b) => ({ "s.yaml": plain(`${b}/s`, "LC_S") }), { LC_S: "from-a" }, 0);
    const name = `${a.base}/s`;
    const ownerA = await a.owner();
    if (staleListing) await setContractRules(inject("awsEndpoint"), `${a.base}/`, { listLagMs: 300_000 });
    // The handover as documented: the tag removed, then the other stack adopts it.
    await sm().send(new UntagResourceCommand({ SecretId: name, TagKeys: [OWNER_TAG] }));
    const b = createProject({}, "other");
    writeProjectFile(
      b,
      "manifests/s.yaml",
      manifest(
        name,
        "  adopt: true\n  value:\n    string: { fromEnv: LC_S }\n  deletion: { recoveryWindowInDays: 7 }",
      ),
    );
    proxy.resetCounts();
    const upB = await pulumiOp(b, "up", { manifests: ["manifests"], env: { ...a.env, LC_S: "from-b" } });
    expect(upB.code, upB.stdout + upB.stderr).toBe(0);
    // B's create finds the name taken (CreateSecret refused), observes it, and adopts it.
    expect(writes()).toEqual([`CreateSecret ${name}`, `PutSecretValue ${name}`, `TagResource ${name}`]);
    const ownerB = (await describeSecret(name)).Tags?.find((t) => t.Key === OWNER_TAG)?.Value;
    expect(ownerB).toBeDefined();
    expect(ownerB).not.toBe(ownerA);
    const heldByB = await fingerprint(name);

    const updateA = await a.op("up", { env: { LC_S: "from-a-again" } });
    expect(writes()).toEqual([]);
    expect(updateA.stdout + updateA.stderr).toContain(name);
    expect(await fingerprint(name)).toEqual(heldByB);

    await a.op("destroy");
    expect(writes()).toEqual([]);
    expect(await fingerprint(name)).toEqual(heldByB);
    expect(await currentValue(name)).toBe("from-b");
    await expectBystanderUntouched(a);
  }

  it("after the handover, the old stack's update and destroy neither write nor delete the secret", () =>
    handover("handover", false));

  it("the same while ListSecrets still lists the secret as the old stack's", () =>
    handover("handover-lag", true));
});
