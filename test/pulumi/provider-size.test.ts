import { createRequire } from "node:module";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../support/pulumi";

// The built providers, loaded natively (not through vite) exactly as a program loads them.
const requireBuilt = createRequire(path.join(REPO_ROOT, "dist/index.js"));
const { managedSecretProvider, stackKeyProvider } = requireBuilt("./pulumi/provider.js");
const requireFromString = requireBuilt("require-from-string");

async function serialize(provider: unknown): Promise<string> {
  return (await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true })).text;
}

describe("serialized dynamic providers", () => {
  it("the ManagedSecret provider serializes to under 2 KB", async () => {
    const text = await serialize(managedSecretProvider);
    expect(text.length).toBeLessThan(2048);
    // Nothing but the lazy require is captured: no client, no local module, no SDK.
    expect(text).not.toMatch(/@pulumi\/pulumi|client-secrets-manager|__awaiter/);
  });

  it("round-trips: the deserialized provider reaches the implementation by package name", async () => {
    const handler = requireFromString(await serialize(stackKeyProvider)).handler();
    const result = await handler.create({});
    expect(result.id).toBe("stack-hmac-key");
    expect(result.outs.key).toMatch(/^[0-9a-f]{64}$/);
    const methods = Object.keys(requireFromString(await serialize(managedSecretProvider)).handler());
    expect(methods.sort()).toEqual(["check", "configure", "create", "delete", "diff", "read", "update"]);
  });
});
