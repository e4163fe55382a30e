import { createRequire } from "node:module";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../support/pulumi";

// The package as a program sees it: installed in node_modules, loaded natively (not via vite).
const requireInstalled = createRequire(path.join(REPO_ROOT, "package.json"));
const installed = path.join(REPO_ROOT, "node_modules/secret-manifests/dist/pulumi/provider.js");
const { managedSecretProvider, stackKeyProvider } = requireInstalled(installed);
const requireFromString = requireInstalled("require-from-string");

async function serialize(provider: unknown): Promise<string> {
  return (await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true })).text;
}

describe("serialized dynamic providers", () => {
  it("the ManagedSecret provider serializes to a package require, far under 2 KB", async () => {
    const text = await serialize(managedSecretProvider());
    expect(text.length).toBeLessThan(2048);
    expect(text).toContain('require("secret-manifests/crud")');
    // Nothing captured by value: no client, no SDK, no Pulumi.
    expect(text).not.toMatch(/@pulumi\/pulumi|client-secrets-manager|__awaiter|function __f1/);
  });

  it("round-trips: the deserialized provider is the implementation module", async () => {
    const handler = requireFromString(await serialize(stackKeyProvider())).handler();
    const result = await handler.create({});
    expect(result.id).toBe("stack-hmac-key");
    expect(result.outs.key).toMatch(/^[0-9a-f]{64}$/);
    const crud = requireFromString(await serialize(managedSecretProvider())).handler();
    for (const method of ["configure", "check", "diff", "create", "read", "update", "delete"]) {
      expect(typeof crud[method]).toBe("function");
    }
  });
});
