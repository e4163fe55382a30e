/**
 * AWS KMS: a key created in moto, a file encrypted by the REAL sops with `--kms <arn>` and an
 * encryption context (sops' Go SDK honours AWS_ENDPOINT_URL_KMS), decrypted natively.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { describe, expect, it } from "vitest";
import { emitJson, SOPS_JSON } from "../../src/sources/emit.js";
import { clearDecryptCache, decryptFile, resolveValue } from "../../src/sources/index.js";
import { realSops } from "./sops-helpers.js";

function awsEnv(): NodeJS.ProcessEnv {
  const pick = Object.entries(process.env).filter(([key]) => key.startsWith("AWS_") || key === "PATH");
  return { ...Object.fromEntries(pick), HOME: "/nonexistent" };
}

describe("AWS KMS data keys", () => {
  it("decrypts a file the real sops encrypted with a moto KMS key and an encryption context", async () => {
    const kms = new KMSClient({});
    const { KeyMetadata } = await kms.send(
      new CreateKeyCommand({ Description: "secret-manifests sops test" }),
    );
    kms.destroy();
    const arn = KeyMetadata?.Arn ?? "";
    expect(arn).toMatch(/^arn:aws:kms:/);

    const dir = mkdtempSync(join(tmpdir(), "sm-kms-"));
    const plain = join(dir, "kms.yaml");
    writeFileSync(plain, "db:\n    password: kms-s3cret\n    port: 5432\n");
    const encrypted = join(dir, "kms.enc.yaml");
    const env = awsEnv();
    const args = ["encrypt", "--kms", arn, "--encryption-context", "app:secret-manifests,env:test", plain];
    const sopsOutput = realSops(args, env).toString("utf8");
    expect(sopsOutput).toContain(arn);
    expect(sopsOutput).toContain("app: secret-manifests");
    writeFileSync(encrypted, sopsOutput);

    clearDecryptCache();
    const native = await decryptFile(encrypted, { env });
    expect(native.format).toBe("yaml");
    if (native.format === "binary") return;
    expect(`${emitJson(native.document, SOPS_JSON)}\n`).toBe(
      realSops(["decrypt", "--output-type", "json", encrypted], env).toString("utf8"),
    );
    const value = await resolveValue(
      { kind: "string", ref: { fromSops: { file: "kms.enc.yaml", path: "db.password" } } },
      { rootDir: dir, env, manifest: { file: "m.yaml", line: 1 } },
    );
    expect(value).toEqual({ kind: "string", text: "kms-s3cret" });
  });
});
