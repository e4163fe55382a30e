/**
 * sops' MAC: SHA-512 over every hashed leaf's plaintext in file order, uppercase hex, stored
 * encrypted with the data key and AAD = lastmodified in RFC3339 (`sops.go`, `decrypt.go`).
 */
import { createHash, type Hash, type KeyObject } from "node:crypto";
import { CipherError, decryptValue } from "./cipher.js";

/** sha256("sops"): the seed that makes a mac_only_encrypted MAC differ from a full one. */
const MAC_ONLY_ENCRYPTED_SEED = Buffer.from(
  "8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69",
  "hex",
);

export function createMacHash(macOnlyEncrypted: boolean): Hash {
  const hash = createHash("sha512");
  if (macOnlyEncrypted) hash.update(MAC_ONLY_ENCRYPTED_SEED);
  return hash;
}

export type MacProblem = "missing" | "mismatch" | "undecryptable";

export class MacError extends Error {
  override readonly name = "MacError";
  constructor(readonly problem: MacProblem) {
    super(`MAC ${problem}`);
  }
}

export function verifyMac(computed: Hash, storedMac: string, dataKey: KeyObject, lastModified: string): void {
  if (storedMac === "") throw new MacError("missing");
  let stored: string;
  try {
    stored = decryptValue(storedMac, dataKey, rfc3339(lastModified)).bytes.toString("utf8");
  } catch (error) {
    if (error instanceof CipherError) throw new MacError("undecryptable");
    throw error;
  }
  if (stored !== computed.digest("hex").toUpperCase()) throw new MacError("mismatch");
}

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[-+]\d{2}:\d{2})$/;

/** Go's time.Format(time.RFC3339): fractional seconds dropped, a zero offset written as "Z". */
export function rfc3339(timestamp: string): string {
  const parts = TIMESTAMP.exec(timestamp.trim());
  if (!parts) return timestamp;
  const offset = parts[4] ?? "Z";
  const zone = /^[Zz]$|^[-+]00:00$/.test(offset) ? "Z" : offset;
  return `${parts[1]}T${parts[2]}${zone}`;
}
