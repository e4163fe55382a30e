/**
 * KMS keys in moto for the tests that name one: the AWS-contract layer refuses a key that
 * does not exist, as AWS does.
 */
import {
  AlreadyExistsException,
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  KMSClient,
} from "@aws-sdk/client-kms";

/**
 * Makes `alias` (`alias/NAME`, or an alias ARN, which carries its own region) name an
 * enabled key in `region`. Idempotent. (moto cannot create a key with a chosen id, so
 * tests that need a bare key id use the one `createKmsKey` returns.)
 */
export async function ensureKmsAlias(alias: string, region = "us-east-1"): Promise<void> {
  const arn = /^arn:[^:]+:kms:([^:]+):[^:]*:(alias\/.+)$/.exec(alias);
  const kms = new KMSClient({ region: arn?.[1] ?? region });
  try {
    await kms.send(new DescribeKeyCommand({ KeyId: alias }));
    return;
  } catch {
    // not there yet
  }
  const keyId = await createKmsKey(arn?.[1] ?? region);
  try {
    await kms.send(new CreateAliasCommand({ AliasName: arn?.[2] ?? alias, TargetKeyId: keyId }));
  } catch (error) {
    if (!(error instanceof AlreadyExistsException)) throw error;
  }
}

/** A new key in `region`; returns its id. */
export async function createKmsKey(region = "us-east-1"): Promise<string> {
  const key = await new KMSClient({ region }).send(new CreateKeyCommand({ Description: "test key" }));
  const id = key.KeyMetadata?.KeyId;
  if (!id) throw new Error("moto's CreateKey returned no key id");
  return id;
}
