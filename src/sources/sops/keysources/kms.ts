/**
 * AWS KMS data keys (`kms/keysource.go`): `enc` is the base64 CiphertextBlob, decrypted with
 * KeyId = arn and the file's encryption context, in the ARN's region, optionally via the
 * key's `aws_profile` and an assumed `role` (session name `sops@<hostname>`, like sops).
 */
import { hostname } from "node:os";
import type { KmsKey } from "../metadata.js";

/** Loaded when a file actually needs KMS: age-only projects never pay for the KMS SDK. */
export async function decryptKmsKey(key: KmsKey): Promise<Buffer> {
  const [{ DecryptCommand, KMSClient }, { fromIni, fromTemporaryCredentials }] = await Promise.all([
    import("@aws-sdk/client-kms"),
    import("@aws-sdk/credential-providers"),
  ]);
  const region = regionOf(key.arn);
  const baseCredentials = key.awsProfile ? fromIni({ profile: key.awsProfile }) : undefined;
  const credentials = key.role
    ? fromTemporaryCredentials({
        params: { RoleArn: key.role, RoleSessionName: sessionName() },
        masterCredentials: baseCredentials,
        clientConfig: { region },
      })
    : baseCredentials;
  const client = new KMSClient({ region, ...(credentials ? { credentials } : {}) });
  try {
    const out = await client.send(
      new DecryptCommand({
        KeyId: key.arn,
        CiphertextBlob: Buffer.from(key.enc, "base64"),
        EncryptionContext: Object.keys(key.context).length > 0 ? key.context : undefined,
      }),
    );
    if (!out.Plaintext) throw new Error("KMS returned no plaintext");
    return Buffer.from(out.Plaintext);
  } finally {
    client.destroy();
  }
}

function regionOf(arn: string): string | undefined {
  return /^arn:aws[\w-]*:kms:([a-z0-9-]+):/.exec(arn)?.[1];
}

/** sops' role session name: "sops@" + hostname, cut to STS' 64-character limit. */
function sessionName(): string {
  return `sops@${hostname()}`.replace(/[^\w+=,.@-]/g, "").slice(0, 64);
}
