/**
 * The AWS-contract layer (test/support/aws-contract.ts) against moto itself: for each rule,
 * what moto 5.2.5 does on its own (asserted, so a moto upgrade that changes it is noticed)
 * and what the layer makes of it (what AWS documents).
 */
import { randomUUID } from "node:crypto";
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  RemoveRegionsFromReplicationCommand,
  ReplicateSecretToRegionsCommand,
  SecretsManagerClient,
  TagResourceCommand,
  UpdateSecretCommand,
  UpdateSecretVersionStageCommand,
} from "@aws-sdk/client-secrets-manager";
import { beforeEach, describe, expect, inject, it } from "vitest";
import { setContractRules, versionKeys } from "../support/aws-contract";
import { createKmsKey, ensureKmsAlias } from "../support/kms";

const strict = new SecretsManagerClient({ endpoint: inject("awsEndpoint"), maxAttempts: 1 });
const moto = new SecretsManagerClient({ endpoint: inject("motoEndpoint"), maxAttempts: 1 });
const token = (label: string) => `${label}-${randomUUID()}`;

let prefix: string;
beforeEach(() => {
  prefix = `t-contract-${randomUUID().slice(0, 8)}/`;
});

async function failure(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (error) {
    return (error as Error).name;
  }
}

async function versionIds(client: SecretsManagerClient, name: string): Promise<Record<string, string[]>> {
  const res = await client.send(new ListSecretVersionIdsCommand({ SecretId: name, IncludeDeprecated: true }));
  return Object.fromEntries((res.Versions ?? []).map((v) => [v.VersionId ?? "", v.VersionStages ?? []]));
}

async function listed(client: SecretsManagerClient, name: string) {
  const res = await client.send(
    new ListSecretsCommand({ Filters: [{ Key: "name", Values: [name] }], IncludePlannedDeletion: true }),
  );
  return res.SecretList?.find((s) => s.Name === name);
}

describe("a ClientRequestToken names one content", () => {
  it("moto already refuses a reused token with other content; the layer does too, for Create and Put", async () => {
    for (const client of [moto, strict]) {
      const name = `${prefix}${client === moto ? "moto" : "strict"}`;
      const t = token("v1");
      await client.send(new CreateSecretCommand({ Name: name, SecretString: "one", ClientRequestToken: t }));
      expect(
        await failure(
          client.send(
            new PutSecretValueCommand({ SecretId: name, SecretString: "two", ClientRequestToken: t }),
          ),
        ),
      ).toBe("ResourceExistsException");
      // The same content again is ignored, as documented.
      await client.send(
        new PutSecretValueCommand({ SecretId: name, SecretString: "one", ClientRequestToken: t }),
      );
      expect(Object.keys(await versionIds(client, name))).toEqual([t]);
    }
  });
});

describe("values have a minimum length of 1", () => {
  it("moto stores an empty SecretString as a secret without a version; the layer refuses it", async () => {
    const name = `${prefix}empty`;
    const created = await moto.send(new CreateSecretCommand({ Name: `${name}-moto`, SecretString: "" }));
    expect(created.VersionId).toBeUndefined();
    expect(await failure(strict.send(new CreateSecretCommand({ Name: name, SecretString: "" })))).toBe(
      "InvalidParameterException",
    );
    expect(await failure(strict.send(new DescribeSecretCommand({ SecretId: name })))).toBe(
      "ResourceNotFoundException",
    );
    await strict.send(new CreateSecretCommand({ Name: name, SecretString: "x" }));
    expect(
      await failure(strict.send(new PutSecretValueCommand({ SecretId: name, SecretString: "" }))),
    ).toBeDefined();
    expect(
      await failure(
        strict.send(new PutSecretValueCommand({ SecretId: name, SecretBinary: new Uint8Array(0) })),
      ),
    ).toBe("InvalidParameterException");
  });
});

describe("at most 50 tags per secret", () => {
  const tags = (n: number, key = "k") =>
    Array.from({ length: n }, (_, i) => ({ Key: `${key}${i}`, Value: "v" }));

  it("moto takes 51; the layer refuses them at create and when tagging past 50", async () => {
    await moto.send(new CreateSecretCommand({ Name: `${prefix}moto`, SecretString: "x", Tags: tags(51) }));
    const name = `${prefix}strict`;
    expect(
      await failure(strict.send(new CreateSecretCommand({ Name: name, SecretString: "x", Tags: tags(51) }))),
    ).toBe("InvalidParameterException");
    await strict.send(new CreateSecretCommand({ Name: name, SecretString: "x", Tags: tags(50) }));
    // Re-setting existing keys stays at 50; one new key is one too many.
    await strict.send(new TagResourceCommand({ SecretId: name, Tags: tags(50) }));
    expect(await failure(strict.send(new TagResourceCommand({ SecretId: name, Tags: tags(1, "new") })))).toBe(
      "InvalidParameterException",
    );
  });
});

describe("the version quota", () => {
  async function putAll(client: SecretsManagerClient, name: string, values: string[]): Promise<string[]> {
    const tokens = values.map((v) => token(v));
    await client.send(
      new CreateSecretCommand({ Name: name, SecretString: values[0], ClientRequestToken: tokens[0] }),
    );
    for (const [i, v] of values.entries())
      if (i > 0)
        await client.send(
          new PutSecretValueCommand({ SecretId: name, SecretString: v, ClientRequestToken: tokens[i] }),
        );
    return tokens;
  }

  it("moto keeps every version", async () => {
    const values = Array.from({ length: 8 }, (_, i) => `v${i}`);
    await putAll(moto, `${prefix}moto`, values);
    expect(Object.keys(await versionIds(moto, `${prefix}moto`))).toHaveLength(8);
  });

  it("past the quota the oldest unlabelled versions are dropped: unreadable, no stage, a fresh write again", async () => {
    await setContractRules(inject("awsEndpoint"), prefix, { versionQuota: 3, versionMinAgeMs: 0 });
    const name = `${prefix}drop`;
    const [v0, v1, v2, v3] = await putAll(strict, name, ["v0", "v1", "v2", "v3"]);
    expect(await versionIds(strict, name)).toEqual({
      [v1 ?? ""]: [],
      [v2 ?? ""]: ["AWSPREVIOUS"],
      [v3 ?? ""]: ["AWSCURRENT"],
    });
    expect(await failure(strict.send(new GetSecretValueCommand({ SecretId: name, VersionId: v0 })))).toBe(
      "ResourceNotFoundException",
    );
    expect(
      await failure(
        strict.send(
          new UpdateSecretVersionStageCommand({
            SecretId: name,
            VersionStage: "AWSCURRENT",
            MoveToVersionId: v0,
          }),
        ),
      ),
    ).toBe("ResourceNotFoundException");
    // Writing the dropped token again is a new version holding AWSCURRENT (v1 goes to make room).
    const put = await strict.send(
      new PutSecretValueCommand({ SecretId: name, SecretString: "v0", ClientRequestToken: v0 }),
    );
    expect(put.VersionStages).toEqual(["AWSCURRENT"]);
    expect(Object.keys(await versionIds(strict, name)).sort()).toEqual([v0, v2, v3].sort());
    const current = await strict.send(
      new GetSecretValueCommand({ SecretId: name, VersionStage: "AWSCURRENT" }),
    );
    expect(current.SecretString).toBe("v0");
  });

  it("the version a write leaves unlabelled (the old AWSPREVIOUS) counts as droppable", async () => {
    await setContractRules(inject("awsEndpoint"), prefix, { versionQuota: 2, versionMinAgeMs: 0 });
    const name = `${prefix}previous`;
    const [, v1, v2] = await putAll(strict, name, ["v0", "v1", "v2"]);
    expect(await versionIds(strict, name)).toEqual({
      [v1 ?? ""]: ["AWSPREVIOUS"],
      [v2 ?? ""]: ["AWSCURRENT"],
    });
  });

  it("when no unlabelled version is old enough, a new one fails with LimitExceededException", async () => {
    await setContractRules(inject("awsEndpoint"), prefix, { versionQuota: 3 });
    const name = `${prefix}limit`;
    await putAll(strict, name, ["v0", "v1", "v2"]);
    expect(
      await failure(
        strict.send(
          new PutSecretValueCommand({ SecretId: name, SecretString: "v3", ClientRequestToken: token("v3") }),
        ),
      ),
    ).toBe("LimitExceededException");
    expect(Object.keys(await versionIds(strict, name))).toHaveLength(3);
  });
});

describe("ListSecrets lags behind changes", () => {
  it("moto lists at once; the layer shows the state before the change until the window ends", async () => {
    await setContractRules(inject("awsEndpoint"), prefix, { listLagMs: 1_500 });
    const name = `${prefix}lag`;
    await strict.send(
      new CreateSecretCommand({ Name: name, SecretString: "x", Tags: [{ Key: "a", Value: "1" }] }),
    );
    expect(await listed(moto, name)).toBeDefined();
    expect(await listed(strict, name)).toBeUndefined();
    expect((await strict.send(new DescribeSecretCommand({ SecretId: name }))).Name).toBe(name);
    await new Promise((r) => setTimeout(r, 1_600));
    expect((await listed(strict, name))?.Tags).toEqual([{ Key: "a", Value: "1" }]);
    await strict.send(new TagResourceCommand({ SecretId: name, Tags: [{ Key: "a", Value: "2" }] }));
    expect((await listed(strict, name))?.Tags).toEqual([{ Key: "a", Value: "1" }]);
    // A filter on the old tag still finds it, although moto's own answer no longer would.
    const byOldTag = (client: SecretsManagerClient) =>
      client.send(
        new ListSecretsCommand({
          Filters: [
            { Key: "tag-value", Values: ["1"] },
            { Key: "name", Values: [name] },
          ],
        }),
      );
    expect((await byOldTag(moto)).SecretList ?? []).toEqual([]);
    expect((await byOldTag(strict)).SecretList?.map((e) => e.Name)).toEqual([name]);
    await new Promise((r) => setTimeout(r, 1_600));
    expect((await listed(strict, name))?.Tags).toEqual([{ Key: "a", Value: "2" }]);
  });
});

describe("replicas can fail", () => {
  it("a replica added while the rule is set stays Failed until it is removed", async () => {
    const name = `${prefix}replica`;
    const created = await moto.send(
      new CreateSecretCommand({
        Name: `${name}-moto`,
        SecretString: "x",
        AddReplicaRegions: [{ Region: "eu-west-1" }],
      }),
    );
    expect(created.ReplicationStatus?.[0]?.Status).toBe("InSync");
    await setContractRules(inject("awsEndpoint"), prefix, {
      failReplicas: { "eu-west-1": "injected failure" },
    });
    const res = await strict.send(
      new CreateSecretCommand({
        Name: name,
        SecretString: "x",
        AddReplicaRegions: [{ Region: "eu-west-1" }],
      }),
    );
    expect(res.ReplicationStatus?.[0]).toMatchObject({ Region: "eu-west-1", Status: "Failed" });
    await setContractRules(inject("awsEndpoint"), prefix, {});
    const described = await strict.send(new DescribeSecretCommand({ SecretId: name }));
    expect(described.ReplicationStatus?.[0]).toMatchObject({
      Status: "Failed",
      StatusMessage: "injected failure",
    });
    await strict.send(
      new RemoveRegionsFromReplicationCommand({ SecretId: name, RemoveReplicaRegions: ["eu-west-1"] }),
    );
    await strict.send(
      new ReplicateSecretToRegionsCommand({ SecretId: name, AddReplicaRegions: [{ Region: "eu-west-1" }] }),
    );
    const again = await strict.send(new DescribeSecretCommand({ SecretId: name }));
    expect(again.ReplicationStatus?.[0]?.Status).toBe("InSync");
  });
});

describe("KMS keys must exist", () => {
  it("moto takes any key; the layer refuses a missing one at create, update and replication", async () => {
    const name = `${prefix}kms`;
    const missing = `alias/${prefix}missing`;
    await moto.send(new CreateSecretCommand({ Name: `${name}-moto`, SecretString: "x", KmsKeyId: missing }));
    expect(
      await failure(
        strict.send(new CreateSecretCommand({ Name: name, SecretString: "x", KmsKeyId: missing })),
      ),
    ).toBe("EncryptionFailure");
    await strict.send(new CreateSecretCommand({ Name: name, SecretString: "x" }));
    expect(await failure(strict.send(new UpdateSecretCommand({ SecretId: name, KmsKeyId: missing })))).toBe(
      "EncryptionFailure",
    );
    // An alias is looked up in the replica's own region.
    const alias = `alias/${prefix}here`;
    await ensureKmsAlias(alias);
    await strict.send(new UpdateSecretCommand({ SecretId: name, KmsKeyId: alias }));
    expect(
      await failure(
        strict.send(
          new ReplicateSecretToRegionsCommand({
            SecretId: name,
            AddReplicaRegions: [{ Region: "eu-west-1", KmsKeyId: alias }],
          }),
        ),
      ),
    ).toBe("EncryptionFailure");
    await ensureKmsAlias(alias, "eu-west-1");
    await strict.send(
      new ReplicateSecretToRegionsCommand({
        SecretId: name,
        AddReplicaRegions: [{ Region: "eu-west-1", KmsKeyId: alias }],
      }),
    );
  });

  it("a new key re-encrypts the staged versions only, as AWS does", async () => {
    const name = `${prefix}rekey`;
    const [t0, t1, t2] = [token("a"), token("b"), token("c")];
    await strict.send(new CreateSecretCommand({ Name: name, SecretString: "a", ClientRequestToken: t0 }));
    await strict.send(
      new PutSecretValueCommand({ SecretId: name, SecretString: "b", ClientRequestToken: t1 }),
    );
    await strict.send(
      new PutSecretValueCommand({ SecretId: name, SecretString: "c", ClientRequestToken: t2 }),
    );
    const key = await createKmsKey();
    await strict.send(new UpdateSecretCommand({ SecretId: name, KmsKeyId: key }));
    expect(await versionKeys(inject("awsEndpoint"), name)).toEqual({
      [t0]: "alias/aws/secretsmanager",
      [t1]: key,
      [t2]: key,
    });
  });
});

describe("an empty Description clears it", () => {
  it("moto keeps the old description; the layer clears it, as AWS does", async () => {
    for (const client of [moto, strict]) {
      const name = `${prefix}${client === moto ? "moto" : "strict"}`;
      await client.send(new CreateSecretCommand({ Name: name, SecretString: "x", Description: "old" }));
      await client.send(new UpdateSecretCommand({ SecretId: name, Description: "" }));
      const description = (await client.send(new DescribeSecretCommand({ SecretId: name }))).Description;
      expect(description).toBe(client === moto ? "old" : undefined);
      expect((await listed(client, name))?.Description).toBe(client === moto ? "old" : undefined);
    }
  });
});
