import { createHmac } from "node:crypto";
import type { ResolvedValue } from "../sources/value.js";
import { normalizeKmsKey } from "./kms.js";
import type { KeptMark, KeptValue } from "./types.js";

/**
 * What the state keeps instead of a value: keyed digests only, never the value nor an
 * unkeyed hash of it. Without the per-stack key nothing here can be checked against a
 * guessed value, so even a low-entropy password cannot be brute-forced from the state.
 */
export interface ValueDigest {
  kind: ResolvedValue["kind"];
  /** Hex HMAC-SHA256 of the whole value, bound to its kind. */
  value: string;
  /** JSON values only: one hex HMAC per top-level key, so a diff can say which key changed. */
  keys?: Record<string, string>;
}

/**
 * Every HMAC input starts with its own label, so a digest of one sort can never equal a
 * digest of another sort (a whole value vs. one JSON field vs. a token) for any input.
 * The v2 digests bind the secret's name (two secrets sharing a password show unrelated
 * digests); the token still derives from the v1 content digest, so version ids, and with
 * them the values AWS holds, stay the same across that change.
 */
const DOMAIN = {
  content: "secret-manifests/v1/value",
  value: "secret-manifests/v2/value",
  jsonKey: "secret-manifests/v2/json-key",
  token: "secret-manifests/v1/token",
  rewrite: "secret-manifests/v1/rewrite",
  kept: "secret-manifests/v2/kept",
  keptKey: "secret-manifests/v2/kept-key",
  parts: "secret-manifests/v2/parts",
  declarationToken: "secret-manifests/v2/declaration-token",
} as const;

/** One key of a JSON value with kept parts: its value (enforced), its mark (kept), or missing. */
export type PartDigestInput = { value: unknown } | { mark: KeptMark } | { missing: true };

/**
 * The digest of a value with parts AWS keeps. A kept part counts by its mark only
 * (`IfNotExists`, `generation:N`), never by its value: a seed or a generated password is
 * in no digest, a rotation changes no digest, and only a new generation changes one. The
 * whole digest covers the keys sorted, so a rotation function that reorders keys is no drift.
 */
export function digestParts(
  name: string,
  kind: ResolvedValue["kind"],
  kept: KeptValue,
  fields: [string, PartDigestInput][],
  hmacKey: Buffer,
): ValueDigest {
  if (kept.whole) return { kind, value: hmacHex(hmacKey, [DOMAIN.kept, name, kind, kept.whole]) };
  const keys: Record<string, string> = {};
  for (const [key, part] of [...fields].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    keys[key] =
      "value" in part
        ? hmacHex(hmacKey, [DOMAIN.jsonKey, name, key, canonicalJson(part.value)])
        : hmacHex(hmacKey, [DOMAIN.keptKey, name, key, "mark" in part ? part.mark : "missing"]);
  }
  const value = hmacHex(hmacKey, [DOMAIN.parts, name, kind, ...Object.entries(keys).flat()]);
  return { kind, value, keys };
}

/**
 * CreateSecret's token for a value with kept parts: derived from the declaration, since
 * the value (a generated password) is known only in apply.
 */
export function declarationToken(name: string, digest: ValueDigest, hmacKey: Buffer): string {
  return asUuid(hmac(hmacKey, [DOMAIN.declarationToken, name, digest.value]));
}

/** The digest recorded in state: keyed, bound to the secret's name and the value's kind. */
export function digestValue(name: string, value: ResolvedValue, hmacKey: Buffer): ValueDigest {
  const whole = hmacHex(hmacKey, [DOMAIN.value, name, value.kind, valueBytes(value)]);
  if (value.kind !== "json") return { kind: value.kind, value: whole };
  return { kind: "json", value: whole, keys: digestFields(name, value.fields, hmacKey) };
}

/**
 * The ClientRequestToken, which Secrets Manager also uses as the VersionId.
 * It depends on the secret name (the same value in two secrets gets unrelated version ids,
 * so equal values are not visible across secrets) and on the keyed content digest, kind
 * included (string "x" and binary "x" are different versions).
 */
export function requestToken(name: string, value: ResolvedValue, hmacKey: Buffer): string {
  return asUuid(hmac(hmacKey, [DOMAIN.token, name, value.kind, contentDigest(value, hmacKey)]));
}

/**
 * A second version id for the same value, used only when the `requestToken` version exists
 * without a stage: AWS re-encrypts only staged versions when the KMS key changes, so that
 * version may be under a key the secret no longer uses. The KMS key is part of it, so a
 * rewrite made under one key is never mistaken for one made under another.
 */
export function rewriteToken(
  name: string,
  value: ResolvedValue,
  kmsKeyId: string | undefined,
  hmacKey: Buffer,
): string {
  const content = contentDigest(value, hmacKey);
  return asUuid(hmac(hmacKey, [DOMAIN.rewrite, name, value.kind, content, normalizeKmsKey(kmsKeyId)]));
}

/** The name-free digest the tokens derive from (it was the recorded digest before v2). Never recorded. */
function contentDigest(value: ResolvedValue, hmacKey: Buffer): string {
  return hmacHex(hmacKey, [DOMAIN.content, value.kind, valueBytes(value)]);
}

/** An RFC 9562 UUIDv8 (custom data): 36 characters, inside the API's 32–64. */
function asUuid(mac: Buffer): string {
  const bytes = mac.subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x80; // version 8
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80; // RFC variant
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The bytes Secrets Manager stores: SecretString as UTF-8, SecretBinary as is. */
function valueBytes(value: ResolvedValue): Buffer {
  return value.kind === "binary" ? value.bytes : Buffer.from(value.text, "utf8");
}

function digestFields(
  name: string,
  fields: Record<string, unknown>,
  hmacKey: Buffer,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, field] of Object.entries(fields)) {
    // Secret and key name are part of the input: equal fields get different digests.
    out[key] = hmacHex(hmacKey, [DOMAIN.jsonKey, name, key, canonicalJson(field)]);
  }
  return out;
}

/**
 * JSON with object keys sorted at every depth, so a field's digest does not depend on key
 * order or whitespace, and a value read back from AWS digests like the one sent.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * Parts are length-prefixed, so ("ab","c") and ("a","bc") never collide.
 */
function hmac(hmacKey: Buffer, parts: (string | Buffer)[]): Buffer {
  if (hmacKey.length < 16) throw new Error("HMAC key must be at least 16 bytes");
  const mac = createHmac("sha256", hmacKey);
  for (const part of parts) {
    const bytes = typeof part === "string" ? Buffer.from(part, "utf8") : part;
    const length = Buffer.alloc(8);
    length.writeBigUInt64BE(BigInt(bytes.length));
    mac.update(length).update(bytes);
  }
  return mac.digest();
}

/**
 * Digests are HMAC-SHA256 truncated to 128 bits (RFC 2104 section 5 allows truncation to half
 * the output): as strong against guessing without the key, and half the bytes in every
 * checkpoint, twice per resource and once per JSON key.
 */
function hmacHex(hmacKey: Buffer, parts: (string | Buffer)[]): string {
  return hmac(hmacKey, parts).subarray(0, 16).toString("hex");
}
