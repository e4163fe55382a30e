import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  UntagResourceCommand,
} from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { createSecretsManagerClient } from "../../src/aws/client.js";
import { SecretsManagerGateway } from "../../src/aws/gateway.js";
import { isUserError } from "../../src/errors.js";
import { destroy, readSecret, reconcile, updateValue } from "../../src/reconcile/index.js";
import { type AppliedSecret, type DesiredSecret, OWNER_TAG } from "../../src/reconcile/types.js";
import { ensureKmsAlias } from "../support/kms.js";
import {
  binary,
  desired,
  freshGateway,
  type Harness,
  HMAC_KEY,
  json,
  OWNER,
  ownedBy,
  startHarness,
  text,
  uniquePrefix,
  writeCounts,
} from "./helpers.js";

let h: Harness;
let prefix: string;
beforeAll(async () => {
  h = await startHarness();
  await Promise.all(["alias/app", "alias/other", "alias/new"].map((alias) => ensureKmsAlias(alias)));
});
afterAll(() => h.proxy.stop());
beforeEach(() => {
  prefix = uniquePrefix("rec");
});

/** Reconciles, then clears the proxy's counters so the next step is measured alone. */
async function converge(d: DesiredSecret) {
  const applied = await reconcile(h.gateway, d, OWNER);
  h.proxy.resetCounts();
  return applied;
}

async function versionsOf(name: string) {
  const res = await h.direct.send(
    new ListSecretVersionIdsCommand({ SecretId: name, IncludeDeprecated: true }),
  );
  return Object.fromEntries((res.Versions ?? []).map((v) => [v.VersionId, v.VersionStages ?? []]));
}

/**
 * Asks for the AWSCURRENT stage explicitly: moto 5.2.5's UpdateSecretVersionStage moves
 * the stage but not its internal default version, so a plain GetSecretValue would still
 * serve the old value there (real AWS serves AWSCURRENT).
 */
async function currentValue(name: string) {
  return h.direct.send(new GetSecretValueCommand({ SecretId: name, VersionStage: "AWSCURRENT" }));
}

describe("reconcile against moto", () => {
  it("creates a new secret with tags and replicas in exactly one write call", async () => {
    const name = `${prefix}/db`;
    const d = desired(name, json({ user: "admin", password: "pw-create" }), {
      description: "database",
      kmsKeyId: "alias/app",
      tags: { team: "payments" },
      replicas: [{ region: "eu-west-1" }],
      forceOverwriteReplicaSecret: true,
    });
    h.proxy.resetCounts();
    const applied = await reconcile(h.gateway, d, OWNER);

    expect(writeCounts(h.proxy)).toEqual({ CreateSecret: 1 });
    // The DescribeSecret confirms the create took effect (AWS ignores a repeated one).
    expect(h.proxy.counts()).toEqual({ ListSecrets: 1, CreateSecret: 1, DescribeSecret: 1 });
    const sent = h.proxy.log().find((e) => e.target === "CreateSecret");
    expect(sent?.params).toEqual({
      Name: name,
      ClientRequestToken: d.token,
      Description: "database",
      KmsKeyId: "alias/app",
      SecretString: "<value>",
      Tags: [
        { Key: "team", Value: "payments" },
        { Key: OWNER_TAG, Value: OWNER },
      ],
      AddReplicaRegions: [{ Region: "eu-west-1" }],
      ForceOverwriteReplicaSecret: true,
    });
    expect(applied).toMatchObject({ name, versionId: d.token, replicationStatus: [{ region: "eu-west-1" }] });
    expect(applied.arn).toMatch(/^arn:aws:secretsmanager:/);
    expect((await currentValue(name)).SecretString).toBe(d.value.kind === "json" ? d.value.text : "");
  });

  it("costs zero write calls when nothing changed", async () => {
    const d = desired(`${prefix}/same`, text("unchanged"), {
      tags: { a: "1" },
      replicas: [{ region: "eu-west-1" }],
    });
    await converge(d);
    const applied = await reconcile(h.gateway, d, OWNER);
    expect(writeCounts(h.proxy)).toEqual({});
    expect(h.proxy.counts()).toEqual({ ListSecrets: 1, DescribeSecret: 1 });
    expect(applied.versionId).toBe(d.token);
  });

  it("writes a changed value with one PutSecretValue carrying the derived token", async () => {
    const name = `${prefix}/value`;
    const v1 = desired(name, text("first"));
    const v2 = desired(name, text("second"));
    await converge(v1);
    await reconcile(h.gateway, v2, OWNER);
    expect(writeCounts(h.proxy)).toEqual({ PutSecretValue: 1 });
    expect(h.proxy.log().find((e) => e.target === "PutSecretValue")?.clientRequestToken).toBe(v2.token);
    expect(await versionsOf(name)).toEqual({ [v1.token]: ["AWSPREVIOUS"], [v2.token]: ["AWSCURRENT"] });
  });

  it("rolls back to an earlier value with one UpdateSecretVersionStage", async () => {
    const name = `${prefix}/rollback`;
    const v1 = desired(name, text("first"));
    await converge(v1);
    await converge(desired(name, text("second")));
    await reconcile(h.gateway, v1, OWNER);
    expect(writeCounts(h.proxy)).toEqual({ UpdateSecretVersionStage: 1 });
    expect((await currentValue(name)).VersionId).toBe(v1.token);
    expect(Object.keys(await versionsOf(name))).toHaveLength(2);
  });

  it("brings back a value whose version lost every stage by writing it afresh (it may be under an old KMS key)", async () => {
    const name = `${prefix}/deprecated`;
    const v1 = desired(name, text("first"));
    await converge(v1);
    await converge(desired(name, text("second")));
    await converge(desired(name, text("third")));
    // AWS's DescribeSecret lists only versions that carry a stage; moto also lists the rest.
    const asAws = new SecretsManagerGateway(createSecretsManagerClient({ endpoint: h.proxy.endpoint }));
    const describeSecret = asAws.describeSecret.bind(asAws);
    asAws.describeSecret = async (id) => {
      const seen = await describeSecret(id);
      const staged = Object.entries(seen?.versionStages ?? {}).filter(([, stages]) => stages.length > 0);
      return seen && { ...seen, versionStages: Object.fromEntries(staged) };
    };
    const applied = await reconcile(asAws, v1, OWNER);
    // The put of v1's token is ignored (AWS keeps that version), so the value is written
    // again under the rewrite token, encrypted with the secret's current key.
    const puts = h.proxy.log().filter((e) => e.target === "PutSecretValue");
    expect(puts.map((e) => e.clientRequestToken)).toEqual([v1.token, v1.rewriteToken]);
    expect(writeCounts(h.proxy)).toEqual({ PutSecretValue: 2 });
    expect(applied.versionId).toBe(v1.rewriteToken);
    const current = await currentValue(name);
    expect([current.VersionId, current.SecretString]).toEqual([v1.rewriteToken, "first"]);
    expect(Object.keys(await versionsOf(name))).toHaveLength(4);
    h.proxy.resetCounts();
    await reconcile(asAws, v1, OWNER);
    expect(writeCounts(h.proxy)).toEqual({});
  });

  it("repairs a value changed in the console", async () => {
    const name = `${prefix}/drift`;
    const v1 = desired(name, text("declared"));
    await converge(v1);
    await h.direct.send(new PutSecretValueCommand({ SecretId: name, SecretString: "typed in the console" }));
    await reconcile(h.gateway, v1, OWNER);
    expect(writeCounts(h.proxy)).toEqual({ UpdateSecretVersionStage: 1 });
    expect((await currentValue(name)).SecretString).toBe("declared");
  });

  it("goes from string to binary and back as new versions", async () => {
    const name = `${prefix}/kind`;
    const asText = desired(name, text("raw"));
    const asBytes = desired(name, binary(Buffer.from("raw")));
    await converge(asText);
    await reconcile(h.gateway, asBytes, OWNER);
    expect(writeCounts(h.proxy)).toEqual({ PutSecretValue: 1 });
    const got = await currentValue(name);
    expect(Buffer.from(got.SecretBinary ?? []).toString()).toBe("raw");
    expect(got.VersionId).toBe(asBytes.token);
    h.proxy.resetCounts();
    await reconcile(h.gateway, asText, OWNER);
    expect(writeCounts(h.proxy)).toEqual({ UpdateSecretVersionStage: 1 });
  });

  it("changes tags by touching only the changed keys", async () => {
    const name = `${prefix}/tags`;
    await converge(desired(name, text("v"), { tags: { keep: "1", change: "old", drop: "x" } }));
    await reconcile(
      h.gateway,
      desired(name, text("v"), { tags: { keep: "1", change: "new", add: "y" } }),
      OWNER,
    );
    expect(writeCounts(h.proxy)).toEqual({ TagResource: 1, UntagResource: 1 });
    const log = h.proxy.log();
    expect(log.find((e) => e.target === "TagResource")?.params.Tags).toEqual([
      { Key: "change", Value: "new" },
      { Key: "add", Value: "y" },
    ]);
    expect(log.find((e) => e.target === "UntagResource")?.params.TagKeys).toEqual(["drop"]);
  });

  it("changes description and KMS key with one UpdateSecret, without the value", async () => {
    const name = `${prefix}/meta`;
    await converge(desired(name, text("v"), { description: "old" }));
    await reconcile(
      h.gateway,
      desired(name, text("v"), { description: "new", kmsKeyId: "alias/other" }),
      OWNER,
    );
    expect(writeCounts(h.proxy)).toEqual({ UpdateSecret: 1 });
    const params = h.proxy.log().find((e) => e.target === "UpdateSecret")?.params;
    // The SDK fills UpdateSecret's idempotency token itself; without a value it creates no version.
    expect(params).toEqual({
      SecretId: expect.stringContaining(name),
      Description: "new",
      KmsKeyId: "alias/other",
      ClientRequestToken: expect.any(String),
    });
    expect(Object.keys(await versionsOf(name))).toHaveLength(1);
  });

  it("adds and removes replicas", async () => {
    const name = `${prefix}/replicas`;
    await converge(
      desired(name, text("v"), { replicas: [{ region: "eu-west-1" }, { region: "eu-west-2" }] }),
    );
    const applied = await reconcile(
      h.gateway,
      desired(name, text("v"), { replicas: [{ region: "eu-west-1" }, { region: "ap-south-1" }] }),
      OWNER,
    );
    expect(writeCounts(h.proxy)).toEqual({ RemoveRegionsFromReplication: 1, ReplicateSecretToRegions: 1 });
    expect(applied.replicationStatus.map((r) => r.region).sort()).toEqual(["ap-south-1", "eu-west-1"]);
    const described = await h.direct.send(new DescribeSecretCommand({ SecretId: name }));
    expect(described.ReplicationStatus?.map((r) => r.Region).sort()).toEqual(["ap-south-1", "eu-west-1"]);
  });

  it("restores a secret scheduled for deletion, then converges it", async () => {
    const name = `${prefix}/restore`;
    const v1 = desired(name, text("v"));
    await converge(v1);
    await h.direct.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 7 }));
    await reconcile(h.gateway, v1, OWNER);
    expect(writeCounts(h.proxy)).toEqual({ RestoreSecret: 1 });
    const described = await h.direct.send(new DescribeSecretCommand({ SecretId: name }));
    expect(described.DeletedDate).toBeUndefined();
  });

  describe("an existing secret", () => {
    const createByHand = (name: string, tags: Record<string, string>) =>
      h.direct.send(
        new CreateSecretCommand({
          Name: name,
          SecretString: "made by hand",
          Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      );

    it("is adopted when it carries this stack's ownership tag", async () => {
      const name = `${prefix}/ours`;
      await createByHand(name, { [OWNER_TAG]: OWNER });
      h.proxy.resetCounts();
      await reconcile(h.gateway, desired(name, text("declared")), OWNER);
      expect(writeCounts(h.proxy)).toEqual({ PutSecretValue: 1 });
    });

    it("is adopted with adopt: true, and tagged as this stack's", async () => {
      const name = `${prefix}/adopt`;
      await createByHand(name, { team: "x" });
      h.proxy.resetCounts();
      await reconcile(
        h.gateway,
        desired(name, text("declared"), { adopt: true, tags: { team: "x" } }),
        OWNER,
      );
      expect(writeCounts(h.proxy)).toEqual({ TagResource: 1, PutSecretValue: 1 });
      const described = await h.direct.send(new DescribeSecretCommand({ SecretId: name }));
      expect(described.Tags).toContainEqual({ Key: OWNER_TAG, Value: OWNER });
    });

    it("is refused without adopt: true, changing nothing", async () => {
      const name = `${prefix}/refuse`;
      await createByHand(name, {});
      h.proxy.resetCounts();
      const error = await reconcile(h.gateway, desired(name, text("declared")), OWNER).catch(
        (e: unknown) => e,
      );
      expect(isUserError(error)).toBe(true);
      expect((error as Error).message).toContain("not managed by this stack");
      expect(writeCounts(h.proxy)).toEqual({});
    });

    it("is refused when another stack owns it, even with adopt: true", async () => {
      const name = `${prefix}/foreign`;
      await createByHand(name, { [OWNER_TAG]: "org/other/prod" });
      h.proxy.resetCounts();
      const error = await reconcile(h.gateway, desired(name, text("x"), { adopt: true }), OWNER).catch(
        (e) => e,
      );
      expect((error as Error).message).toContain("managed by another stack");
      expect(writeCounts(h.proxy)).toEqual({});
    });
  });

  describe("a crash", () => {
    it("between CreateSecret and recording converges on rerun, adopting through the ownership tag", async () => {
      const name = `${prefix}/crash`;
      const d = desired(name, text("v"), { replicas: [{ region: "eu-west-1" }] });
      // CreateSecret takes effect but its answer is lost, and the process gives up.
      const oneShot = await startHarness({ maxAttempts: 1 });
      oneShot.proxy.setRules([{ targets: ["CreateSecret"], afterForward: true, action: { type: "reset" } }]);
      await expect(reconcile(oneShot.gateway, d, OWNER)).rejects.toThrow();
      await oneShot.proxy.stop();

      h.proxy.resetCounts();
      const applied = await reconcile(h.gateway, d, OWNER);
      expect(writeCounts(h.proxy)).toEqual({});
      expect(applied.versionId).toBe(d.token);
      expect(Object.keys(await versionsOf(name))).toEqual([d.token]);
    });

    it("hidden by a stale ListSecrets is found when CreateSecret says it exists", async () => {
      const name = `${prefix}/stale`;
      await converge(desired(name, text("v1")));
      const v2 = desired(name, text("v2"));
      // ListSecrets is eventually consistent: model one that has not seen the secret yet.
      const stale = new SecretsManagerGateway(createSecretsManagerClient({ endpoint: h.proxy.endpoint }));
      stale.describe = async () => undefined;
      await reconcile(stale, v2, OWNER);
      expect(writeCounts(h.proxy)).toEqual({ CreateSecret: 1, PutSecretValue: 1 });
      expect((await currentValue(name)).VersionId).toBe(v2.token);
    });
  });

  describe("destroy", () => {
    it("removes replicas first, then deletes with the recovery window", async () => {
      const name = `${prefix}/delete`;
      const { arn } = await converge(desired(name, text("v"), { replicas: [{ region: "eu-west-1" }] }));
      const deleted = { arn, owner: OWNER, deletion: { recoveryWindowInDays: 7 } };
      await destroy(h.gateway, deleted);
      const writes = h.proxy.log().filter((e) => writeCounts(h.proxy)[e.target]);
      expect(writes.map((e) => e.target)).toEqual(["RemoveRegionsFromReplication", "DeleteSecret"]);
      expect(writes[1]?.params).toMatchObject({ RecoveryWindowInDays: 7 });
      const described = await h.direct.send(new DescribeSecretCommand({ SecretId: name }));
      expect(described.DeletedDate).toBeDefined();
      h.proxy.resetCounts();
      await destroy(h.gateway, deleted);
      expect(writeCounts(h.proxy)).toEqual({});
    });

    it("force-deletes without recovery", async () => {
      const name = `${prefix}/force`;
      const { arn } = await converge(desired(name, text("v")));
      await destroy(h.gateway, { arn, owner: OWNER, deletion: { forceDeleteWithoutRecovery: true } });
      expect(h.proxy.log().find((e) => e.target === "DeleteSecret")?.params).toMatchObject({
        ForceDeleteWithoutRecovery: true,
      });
      await expect(h.direct.send(new DescribeSecretCommand({ SecretId: name }))).rejects.toThrow();
    });
  });

  describe("readSecret (refresh)", () => {
    it("reuses the recorded digest without reading the value while the version is current", async () => {
      const d = desired(`${prefix}/read`, json({ a: "1", b: "2" }));
      const applied = await converge(d);
      const read = await readSecret(h.gateway, d.name, Buffer.alloc(32, 7), {
        versionId: applied.versionId,
        digest: d.digest,
      });
      expect(read?.current).toEqual({ versionId: d.token, digest: d.digest });
      expect(h.proxy.counts()).toEqual({ ListSecrets: 1 });
    });

    it("reads and digests the value when it changed, naming the changed JSON key", async () => {
      const d = desired(`${prefix}/read-drift`, json({ a: "1", b: "2" }));
      await converge(d);
      await h.direct.send(new PutSecretValueCommand({ SecretId: d.name, SecretString: '{"a":"1","b":"3"}' }));
      const read = await readSecret(h.gateway, d.name, Buffer.alloc(32, 7), {
        versionId: d.token,
        digest: d.digest,
      });
      expect(h.proxy.counts()).toEqual({ ListSecrets: 1, BatchGetSecretValue: 1 });
      expect(read?.current.versionId).not.toBe(d.token);
      expect(read?.current.digest.kind).toBe("json");
      expect(read?.current.digest.keys?.a).toBe(d.digest.keys?.a);
      expect(read?.current.digest.keys?.b).not.toBe(d.digest.keys?.b);
    });

    it("digests a value read back exactly like the one sent", async () => {
      const d = desired(`${prefix}/read-fresh`, binary(Buffer.from([0, 1, 2, 255])));
      await converge(d);
      const read = await readSecret(h.gateway, d.name, Buffer.alloc(32, 7));
      expect(read?.current).toEqual({ versionId: d.token, digest: d.digest });
    });

    it("asks for a secret the listings miss (ListSecrets lags) by its recorded ARN before reading it as gone", async () => {
      const d = desired(`${prefix}/read-lag`, text("v"));
      const { arn } = await converge(d);
      const lagging = freshGateway(h);
      lagging.describe = async () => undefined;
      const read = await readSecret(lagging, d.name, HMAC_KEY, { arn, versionId: d.token, digest: d.digest });
      expect(read?.current).toEqual({ versionId: d.token, digest: d.digest });
      expect(
        await readSecret(lagging, d.name, HMAC_KEY, { versionId: d.token, digest: d.digest }),
      ).toBeUndefined();
    });

    it("reads a missing or pending-deletion secret as gone", async () => {
      expect(await readSecret(h.gateway, `${prefix}/never`, Buffer.alloc(32, 7))).toBeUndefined();
      const d = desired(`${prefix}/gone`, text("v"));
      const { arn } = await converge(d);
      await destroy(h.gateway, { arn, owner: OWNER, deletion: { recoveryWindowInDays: 7 } });
      expect(await readSecret(h.gateway, d.name, Buffer.alloc(32, 7))).toBeUndefined();
    });

    it("batches a refresh of many secrets into few calls", async () => {
      const secrets = Array.from({ length: 25 }, (_, i) => desired(`${prefix}/many-${i}`, text(`v${i}`)));
      await Promise.all(secrets.map((d) => reconcile(h.gateway, d, OWNER)));
      // A wide batching window: on a loaded machine the three listings return far apart, and
      // the value reads that follow them must still meet in full batches.
      const gateway = new SecretsManagerGateway(createSecretsManagerClient({ endpoint: h.proxy.endpoint }), {
        batchWindowMs: 250,
      });
      h.proxy.resetCounts();
      const reads = await Promise.all(secrets.map((d) => readSecret(gateway, d.name, Buffer.alloc(32, 7))));
      expect(reads.map((r) => r?.current.digest)).toEqual(secrets.map((d) => d.digest));
      // 25 names: 3 ListSecrets (10 names each), 2 BatchGetSecretValue (20 ids each).
      expect(h.proxy.counts()).toEqual({ ListSecrets: 3, BatchGetSecretValue: 2 });
    });

    it("shares one listing by ownership tag among the reads of a stack's secrets", async () => {
      const owner = `${prefix}/stack`;
      const secrets = Array.from({ length: 25 }, (_, i) => {
        const d = desired(`${prefix}/owned-${i}`, text(`v${i}`));
        return { ...d, tags: { ...d.tags, [OWNER_TAG]: owner } };
      });
      await Promise.all(secrets.map((d) => reconcile(h.gateway, d, owner)));
      // One secret lost its ownership tag by hand: still found, by name.
      const untagged = secrets[0] as DesiredSecret;
      await h.direct.send(new UntagResourceCommand({ SecretId: untagged.name, TagKeys: [OWNER_TAG] }));
      h.proxy.resetCounts();
      const reads = await Promise.all(
        secrets.map((d) =>
          readSecret(h.gateway, d.name, HMAC_KEY, { owner, versionId: d.token, digest: d.digest }),
        ),
      );
      expect(reads.map((r) => r?.current.versionId)).toEqual(secrets.map((d) => d.token));
      expect(reads[0]?.observed.tags[OWNER_TAG]).toBeUndefined();
      // 24 found in one listing page of the owner's secrets, the untagged one by name.
      expect(h.proxy.counts()).toEqual({ ListSecrets: 2 });
      // Each listed entry serves one read: a second read of the same secret observes afresh.
      await h.direct.send(new PutSecretValueCommand({ SecretId: secrets[1]?.name, SecretString: "edited" }));
      h.proxy.resetCounts();
      const again = await readSecret(h.gateway, secrets[1]?.name ?? "", HMAC_KEY, {
        owner,
        versionId: secrets[1]?.token,
        digest: secrets[1]?.digest,
      });
      expect(again?.current.versionId).not.toBe(secrets[1]?.token);
    });
  });

  describe("ownership before every write and delete", () => {
    /** Stack A's secret, handed to stack B: A's tag removed, B adopts it. */
    async function handedOver(name: string) {
      const a = `${prefix}/stack-a`;
      const b = `${prefix}/stack-b`;
      const applied = await reconcile(h.gateway, ownedBy(desired(name, text("a1")), a), a);
      await h.direct.send(new UntagResourceCommand({ SecretId: name, TagKeys: [OWNER_TAG] }));
      await reconcile(h.gateway, ownedBy(desired(name, text("b1"), { adopt: true }), b), b);
      h.proxy.resetCounts();
      return { a, b, applied };
    }

    it("a value update of the old stack is refused, writing nothing", async () => {
      const name = `${prefix}/handover-update`;
      const { a, applied } = await handedOver(name);
      const next = ownedBy(desired(name, text("a2")), a);
      const error = await updateValue(freshGateway(h), next, a, {
        arn: applied.arn,
        versionId: applied.versionId,
        owner: a,
        replicationStatus: [],
      }).catch((e: unknown) => e);
      expect(isUserError(error)).toBe(true);
      expect((error as Error).message).toContain("managed by another stack");
      expect(writeCounts(h.proxy)).toEqual({});
      expect((await currentValue(name)).SecretString).toBe("b1");
    });

    it("a destroy of the old stack is refused, deleting nothing", async () => {
      const name = `${prefix}/handover-delete`;
      const { a, b, applied } = await handedOver(name);
      const error = await destroy(h.gateway, {
        arn: applied.arn,
        owner: a,
        deletion: { recoveryWindowInDays: 7 },
      }).catch((e: unknown) => e);
      expect(isUserError(error)).toBe(true);
      expect((error as Error).message).toContain(`now belongs to "${b}"`);
      expect(writeCounts(h.proxy)).toEqual({});
      const described = await h.direct.send(new DescribeSecretCommand({ SecretId: name }));
      expect(described.DeletedDate).toBeUndefined();
    });

    it("a renamed stack re-tags its recorded secret with one TagResource", async () => {
      const before = `${prefix}/old-name`;
      const after = `${prefix}/new-name`;
      const name = `${prefix}/renamed`;
      const applied = await reconcile(h.gateway, ownedBy(desired(name, text("v")), before), before);
      h.proxy.resetCounts();
      const renamed = ownedBy(desired(name, text("v")), after);
      await expect(reconcile(h.gateway, renamed, after)).rejects.toThrow(/managed by another stack/);
      expect(writeCounts(h.proxy)).toEqual({});
      await reconcile(h.gateway, renamed, after, { recorded: { arn: applied.arn, owner: before } });
      expect(writeCounts(h.proxy)).toEqual({ TagResource: 1 });
      const described = await h.direct.send(new DescribeSecretCommand({ SecretId: name }));
      expect(described.Tags).toContainEqual({ Key: OWNER_TAG, Value: after });
    });
  });

  describe("rollback and KMS", () => {
    it("moves back to a staged version after a key change: AWS re-encrypted it", async () => {
      const name = `${prefix}/kms-staged`;
      await converge(desired(name, text("first")));
      await converge(desired(name, text("second"), { kmsKeyId: "alias/new" }));
      const back = desired(name, text("first"), { kmsKeyId: "alias/new" });
      const applied = await reconcile(h.gateway, back, OWNER);
      expect(writeCounts(h.proxy)).toEqual({ UpdateSecretVersionStage: 1 });
      expect(applied.versionId).toBe(back.token);
    });

    it("writes an unstaged version afresh after a key change: it may still be under the old key", async () => {
      const name = `${prefix}/kms-unstaged`;
      await converge(desired(name, text("first")));
      await converge(desired(name, text("second"), { kmsKeyId: "alias/new" }));
      await converge(desired(name, text("third"), { kmsKeyId: "alias/new" }));
      const back = desired(name, text("first"), { kmsKeyId: "alias/new" });
      const applied = await reconcile(h.gateway, back, OWNER);
      const puts = h.proxy.log().filter((e) => e.target === "PutSecretValue");
      expect(puts.map((e) => e.clientRequestToken)).toEqual([back.token, back.rewriteToken]);
      expect(writeCounts(h.proxy)).toEqual({ PutSecretValue: 2 });
      expect(applied.versionId).toBe(back.rewriteToken);
      // The rewrite names the key it was written under.
      expect(back.rewriteToken).not.toBe(desired(name, text("first")).rewriteToken);
      const current = await currentValue(name);
      expect([current.VersionId, current.SecretString]).toEqual([back.rewriteToken, "first"]);
      h.proxy.resetCounts();
      await reconcile(h.gateway, back, OWNER);
      expect(writeCounts(h.proxy)).toEqual({});
    });

    it("does not take a PutSecretValue answer without VersionStages as AWSCURRENT", async () => {
      const name = `${prefix}/no-stages`;
      await converge(desired(name, text("first")));
      const gateway = freshGateway(h);
      gateway.putSecretValue = async (id, token, value) => {
        await h.gateway.putSecretValue(id, token, value);
        return { versionStages: undefined };
      };
      h.proxy.resetCounts();
      const v2 = desired(name, text("second"));
      const applied = await reconcile(gateway, v2, OWNER);
      // Observed, written, then described to learn the stages the answer left out.
      expect(h.proxy.counts()).toEqual({ ListSecrets: 1, DescribeSecret: 2, PutSecretValue: 1 });
      expect(applied.versionId).toBe(v2.token);
      expect((await currentValue(name)).VersionId).toBe(v2.token);
    });
  });

  describe("replicas", () => {
    it("a Failed replica is removed and added again", async () => {
      const name = `${prefix}/replica-failed`;
      const d = desired(name, text("v"), { replicas: [{ region: "eu-west-1" }] });
      await converge(d);
      const gateway = freshGateway(h);
      const describeSecret = gateway.describeSecret.bind(gateway);
      gateway.describeSecret = async (id) => {
        const seen = await describeSecret(id);
        return seen && { ...seen, replicas: seen.replicas.map((r) => ({ ...r, status: "Failed" })) };
      };
      h.proxy.resetCounts();
      const applied = await reconcile(gateway, d, OWNER);
      expect(writeCounts(h.proxy)).toEqual({ RemoveRegionsFromReplication: 1, ReplicateSecretToRegions: 1 });
      expect(applied.replicationStatus).toMatchObject([{ region: "eu-west-1", status: "InSync" }]);
    });
  });

  describe("create", () => {
    it("never records a version AWS does not have: AWS refuses an empty value, moto stores it without one", async () => {
      const d = desired(`${prefix}/empty`, text(""));
      const refused = await reconcile(h.gateway, d, OWNER).catch((e: unknown) => e);
      expect(isUserError(refused)).toBe(true);
      expect((refused as Error).message).toContain("rejected CreateSecret");
      // moto alone (no contract layer) creates the secret without a version: still no record of one.
      const motoOnly = new SecretsManagerGateway(
        createSecretsManagerClient({ endpoint: inject("motoEndpoint") }),
      );
      const error = await reconcile(motoOnly, d, OWNER).catch((e: unknown) => e);
      expect(isUserError(error)).toBe(true);
      expect((error as Error).message).toContain("without a current version");
    });

    it("answers every create of a stack of any size from one listing of its secrets (100 per call)", async () => {
      const owner = `${prefix}/big-stack`;
      const names = Array.from({ length: 305 }, (_, i) => `${prefix}/many/${i}`);
      for (let i = 0; i < names.length; i += 25)
        await Promise.all(
          names.slice(i, i + 25).map((n) =>
            h.direct.send(
              new CreateSecretCommand({
                Name: n,
                SecretString: "v",
                Tags: [{ Key: OWNER_TAG, Value: owner }],
              }),
            ),
          ),
        );
      const gateway = freshGateway(h);
      h.proxy.resetCounts();
      const found = await Promise.all(
        [...names.slice(0, 10), `${prefix}/many/new`].map((n) => gateway.lookUpOwned(n, owner)),
      );
      expect(found.map((o) => o?.name)).toEqual([...names.slice(0, 10), undefined]);
      expect(h.proxy.counts()).toEqual({ ListSecrets: 4 });
    });
  });

  describe("updateValue (a value-only change)", () => {
    const deployedOf = (applied: { arn: string; versionId: string }) => ({
      arn: applied.arn,
      versionId: applied.versionId,
      owner: OWNER,
      replicationStatus: [],
    });

    it("writes the new value with one PutSecretValue, after one fresh ownership check (DescribeSecret)", async () => {
      const owner = `${prefix}/stack`;
      const name = `${prefix}/uv`;
      const applied = await reconcile(h.gateway, ownedBy(desired(name, text("one")), owner), owner);
      const gateway = freshGateway(h);
      h.proxy.resetCounts();
      const next = ownedBy(desired(name, text("two")), owner);
      const res = await updateValue(gateway, next, owner, { ...deployedOf(applied), owner });
      // Not the stack's shared listing: ListSecrets may lag a hand-over by minutes.
      expect(h.proxy.counts()).toEqual({ DescribeSecret: 1, PutSecretValue: 1 });
      expect(res.versionId).toBe(next.token);
      expect((await currentValue(name)).SecretString).toBe("two");
    });

    it("checks each secret's ownership fresh: 20 value updates, 20 DescribeSecret, 20 PutSecretValue, no listing", async () => {
      const owner = `${prefix}/stack`;
      const secrets = Array.from({ length: 20 }, (_, i) =>
        ownedBy(desired(`${prefix}/uv-${i}`, text("one")), owner),
      );
      const applied = await Promise.all(secrets.map((d) => reconcile(h.gateway, d, owner)));
      const gateway = freshGateway(h);
      h.proxy.resetCounts();
      await Promise.all(
        secrets.map((d, i) =>
          updateValue(gateway, ownedBy(desired(d.name, text("two")), owner), owner, {
            ...deployedOf(applied[i] as AppliedSecret),
            owner,
          }),
        ),
      );
      expect(h.proxy.counts()).toEqual({ DescribeSecret: 20, PutSecretValue: 20 });
    });

    it("writes nothing when AWS already holds the value as the recorded version (digest changed only in form)", async () => {
      const name = `${prefix}/uv-same`;
      const d = desired(name, text("one"));
      const applied = await converge(d);
      const res = await updateValue(h.gateway, d, OWNER, deployedOf(applied));
      expect(h.proxy.counts()).toEqual({});
      expect(res.versionId).toBe(d.token);
    });

    it("brings back a value held before with a stage move, without a new version", async () => {
      const owner = `${prefix}/stack`;
      const name = `${prefix}/uv-back`;
      const first = ownedBy(desired(name, text("one")), owner);
      await reconcile(h.gateway, first, owner);
      const applied = await reconcile(h.gateway, ownedBy(desired(name, text("two")), owner), owner);
      const before = Object.keys(await versionsOf(name)).length;
      const gateway = freshGateway(h);
      h.proxy.resetCounts();
      const res = await updateValue(gateway, first, owner, { ...deployedOf(applied), owner });
      expect(writeCounts(h.proxy)).toEqual({ PutSecretValue: 1, UpdateSecretVersionStage: 1 });
      expect(res.versionId).toBe(first.token);
      expect(Object.keys(await versionsOf(name))).toHaveLength(before);
      expect((await currentValue(name)).SecretString).toBe("one");
    });

    it("falls back to observe-plan-apply when the secret was deleted behind its back", async () => {
      const name = `${prefix}/uv-gone`;
      const applied = await converge(desired(name, text("one")));
      await h.direct.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }));
      const next = desired(name, text("two"));
      const res = await updateValue(h.gateway, next, OWNER, deployedOf(applied));
      // Not in the stack's listing any more: observed by its ARN (gone), then created again.
      expect(writeCounts(h.proxy)).toEqual({ CreateSecret: 1 });
      expect(res.versionId).toBe(next.token);
      expect((await currentValue(name)).SecretString).toBe("two");
    });
  });
});
