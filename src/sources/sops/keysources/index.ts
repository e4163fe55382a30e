/**
 * Recovers the file's 32-byte data key from the first master key we can use natively:
 * age first, then AWS KMS (sops' default decryption order puts age first too). Key types
 * only the sops binary can use, and Shamir key groups, raise NeedsSopsBinary.
 */
import type { AgeKey, KmsKey, MasterKey, SopsMetadata } from "../metadata.js";
import { type AgeIdentities, decryptAgeKey } from "./age.js";
import type { KeyMaterial } from "./material.js";

/** The file needs a key type (or key groups) that only the sops binary handles. */
export class NeedsSopsBinary extends Error {
  override readonly name = "NeedsSopsBinary";
  constructor(readonly keyTypes: string[]) {
    super(`needs the sops binary for ${keyTypes.join(", ")}`);
  }
}

/** No master key could be used; `attempts` say what was tried (never a key or value). */
export class NoUsableKey extends Error {
  override readonly name = "NoUsableKey";
  constructor(readonly attempts: string[]) {
    super(attempts.join("; "));
  }
}

export async function getDataKey(metadata: SopsMetadata, material: KeyMaterial): Promise<Buffer> {
  if (metadata.keyGroups.length > 1) throw new NeedsSopsBinary(["Shamir key groups"]);
  const keys = metadata.keyGroups[0] ?? [];
  const attempts: string[] = [];
  const ageKeys = keys.filter((k): k is AgeKey => k.type === "age");
  if (ageKeys.length > 0) {
    const fromAge = await tryAge(ageKeys, material.age, attempts);
    if (fromAge) return fromAge;
  }
  for (const key of keys.filter((k): k is KmsKey => k.type === "kms")) {
    try {
      // Loaded on demand: the KMS client costs ~20 ms to load, and most files use age.
      const { decryptKmsKey } = await import("./kms.js");
      return await decryptKmsKey(key);
    } catch (error) {
      attempts.push(`AWS KMS key ${key.arn}: ${(error as Error).name}: ${(error as Error).message}`);
    }
  }
  const foreign = foreignTypes(keys);
  if (foreign.length > 0) throw new NeedsSopsBinary(foreign);
  if (keys.length === 0) attempts.push("the file lists no master keys");
  throw new NoUsableKey(attempts);
}

async function tryAge(
  keys: AgeKey[],
  loaded: AgeIdentities | undefined,
  attempts: string[],
): Promise<Buffer | undefined> {
  const recipients = keys.map((k) => k.recipient);
  const { identities, searched } = loaded ?? { identities: [], searched: [] };
  for (const key of keys) {
    const dataKey = await decryptAgeKey(key, identities);
    if (dataKey) return dataKey;
  }
  const found =
    identities.length === 0 ? "no age identity found" : `${identities.length} age identities, none matching`;
  attempts.push(`age recipients ${recipients.join(", ")}: ${found} (looked in ${searched.join(", ")})`);
  return undefined;
}

function foreignTypes(keys: MasterKey[]): string[] {
  const names: Record<string, string> = {
    pgp: "PGP",
    gcp_kms: "GCP KMS",
    azure_kv: "Azure Key Vault",
    hc_vault: "HashiCorp Vault",
    hckms: "Huawei Cloud KMS",
  };
  return [
    ...new Set(keys.filter((k) => k.type !== "age" && k.type !== "kms").map((k) => names[k.type] ?? k.type)),
  ];
}
