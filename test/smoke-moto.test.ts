import {
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { describe, expect, it } from "vitest";

describe("moto smoke", () => {
  it("creates and reads a secret through the SDK", async () => {
    const client = new SecretsManagerClient({});
    const name = `smoke/${Date.now()}`;
    await client.send(new CreateSecretCommand({ Name: name, SecretString: "hello-moto" }));
    const got = await client.send(new GetSecretValueCommand({ SecretId: name }));
    expect(got.SecretString).toBe("hello-moto");
    expect(got.VersionStages).toContain("AWSCURRENT");
  });
});
