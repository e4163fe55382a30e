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
/**
 * sops' own pattern (`aes/cipher.go`): anchored at the start only, so text after the closing
 * bracket is ignored, and each field runs as far as the pattern allows, as in Go.
 */
const ENC_PATTERN = /^ENC\[AES256_GCM,data:([^\n]+),iv:([^\n]+),tag:([^\n]+),type:([^\n]+)\]/;
/** Go's base64.StdEncoding: padded, standard alphabet; line breaks are skipped. */
const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
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

/** Looks like an ENC[] value (whether it is a valid one, decryptValue finds out). */
export function isEncryptedValue(text: string): boolean {
  return text.startsWith("ENC[");
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
  const [data, ivBytes, tag] = parts.slice(1, 4).map(goBase64);
  const type = parts[4] ?? "";
  if (!data || !ivBytes || !tag || ivBytes.length === 0 || !ENCRYPTED_TYPES.has(type)) {
    throw new CipherError("malformed");
  }
  // Go's GCM takes data and tag as one sealed text whose last 16 bytes are the tag.
  const sealed = Buffer.concat([data, tag]);
  if (sealed.length < TAG_BYTES) throw new CipherError("authentication");
  try {
    const decipher = createDecipheriv("aes-256-gcm", dataKey, ivBytes, { authTagLength: TAG_BYTES });
    decipher.setAAD(encodeText(aad));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    const bytes = Buffer.concat([
      decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)),
      decipher.final(),
    ]);
    return { type: type as EncryptedType, bytes };
  } catch {
    throw new CipherError("authentication");
  }
}

function goBase64(text: string): Buffer | undefined {
  const clean = text.includes("\r") ? text.replaceAll("\r", "") : text;
  return STD_BASE64.test(clean) ? Buffer.from(clean, "base64") : undefined;
}
