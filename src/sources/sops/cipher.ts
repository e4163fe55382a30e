/**
 * sops' value cipher: `ENC[AES256_GCM,data:<b64>,iv:<b64>,tag:<b64>,type:<t>]`, AES-256-GCM
 * with the 32-byte data key, a 32-byte IV and the value's tree path as additional data.
 */
import { createDecipheriv, createSecretKey, type KeyObject } from "node:crypto";
import { encodeText } from "./bytes.js";

export type EncryptedType = "str" | "int" | "float" | "bool" | "bytes" | "time" | "comment";

const ENCRYPTED_TYPES: ReadonlySet<string> = new Set([
  "str",
  "int",
  "float",
  "bool",
  "bytes",
  "time",
  "comment",
]);
/** One pattern, base64 checks included: this runs once per value, thousands of times in a cold process. */
const ENC_PATTERN =
  /^ENC\[AES256_GCM,data:([A-Za-z0-9+/]*={0,2}),iv:([A-Za-z0-9+/]+={0,2}),tag:([A-Za-z0-9+/]+={0,2}),type:([a-z]+)\]$/;
const TAG_BYTES = 16;

export interface DecryptedPlaintext {
  type: EncryptedType;
  /** Raw plaintext bytes; `bytes` values in particular need not be UTF-8. */
  bytes: Buffer;
}

/** Why a value could not be decrypted; never carries any part of the value. */
export class CipherError extends Error {
  override readonly name = "CipherError";
  constructor(readonly reason: "malformed" | "authentication") {
    super(reason === "malformed" ? "value is not a valid sops ENC[] string" : "value failed authentication");
  }
}

export function isEncryptedValue(text: string): boolean {
  return text.startsWith("ENC[") && text.endsWith("]");
}

/** The AAD sops binds to a value: its map-key path joined by ":" plus a trailing ":". */
export function additionalData(path: readonly string[]): string {
  return `${path.join(":")}:`;
}

/** Wrap the data key once per file: building a KeyObject from raw bytes on every value is the bulk of the cost. */
export function cipherKey(dataKey: Uint8Array): KeyObject {
  return createSecretKey(dataKey);
}

export function decryptValue(encrypted: string, dataKey: KeyObject, aad: string): DecryptedPlaintext {
  const parts = ENC_PATTERN.exec(encrypted);
  if (!parts) throw new CipherError("malformed");
  const [, data = "", iv = "", tag = "", type = ""] = parts;
  if (!ENCRYPTED_TYPES.has(type)) throw new CipherError("malformed");
  const tagBytes = Buffer.from(tag, "base64");
  const ivBytes = Buffer.from(iv, "base64");
  if (tagBytes.length !== TAG_BYTES || ivBytes.length === 0) throw new CipherError("malformed");
  try {
    const decipher = createDecipheriv("aes-256-gcm", dataKey, ivBytes, { authTagLength: TAG_BYTES });
    decipher.setAAD(encodeText(aad));
    decipher.setAuthTag(tagBytes);
    const bytes = Buffer.concat([decipher.update(Buffer.from(data, "base64")), decipher.final()]);
    return { type: type as EncryptedType, bytes };
  } catch {
    throw new CipherError("authentication");
  }
}
