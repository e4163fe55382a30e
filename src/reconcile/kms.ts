/**
 * Whether two KMS key references name the same key, as far as can be told without calling
 * KMS: the manifest may give a key id, a key ARN, an alias or an alias ARN, and AWS reports
 * the key as it chooses. An alias and a key id never compare equal here; a manifest that
 * uses the form AWS reports avoids a needless UpdateSecret. Absent means the AWS managed key.
 */
export function sameKmsKey(a: string | undefined, b: string | undefined): boolean {
  return normalizeKmsKey(a) === normalizeKmsKey(b);
}

/** One spelling per key reference: AWS managed key for none, the resource part of an ARN. */
export function normalizeKmsKey(ref: string | undefined): string {
  if (ref === undefined || ref === "") return "alias/aws/secretsmanager";
  // arn:aws:kms:REGION:ACCOUNT:key/ID or ...:alias/NAME: keep the resource part.
  const resource = ref.startsWith("arn:") ? ref.split(":").slice(5).join(":") : ref;
  return resource.startsWith("alias/") || resource.startsWith("key/") ? resource : `key/${resource}`;
}
