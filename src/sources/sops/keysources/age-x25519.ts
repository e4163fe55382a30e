/**
 * age's native X25519 recipient type (age-encryption.org/v1) on node:crypto alone: X25519,
 * HKDF-SHA-256, HMAC-SHA-256 and ChaCha20-Poly1305. Loading the age-encryption package costs
 * a fresh process more than a whole `sops decrypt` (an ES module graph and curve
 * precomputation); this covers what sops files hold in practice, and age.ts falls back to
 * the package for everything else (post-quantum identities, other stanza types, files this
 * stricter-than-needed reader does not accept).
 */
import {
  createDecipheriv,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  hkdfSync,
  type KeyObject,
  timingSafeEqual,
} from "node:crypto";

export interface X25519Identity {
  privateKey: KeyObject;
  /** The identity's public key, part of the HKDF salt. */
  recipient: Buffer;
}

/** Not an age file this reader handles; the caller tries the age-encryption package instead. */
export class AgeFormatError extends Error {
  override readonly name = "AgeFormatError";
}

// DER prefixes of an X25519 PKCS#8 private key and SPKI public key (RFC 8410), followed by the 32 raw bytes.
const PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");
const SPKI_PREFIX = Buffer.from("302a300506032b656e032100", "hex");
const IDENTITY_HRP = "age-secret-key-";

/** An `AGE-SECRET-KEY-1…` identity, or undefined for any other kind (post-quantum, plugins). */
export function x25519Identity(encoded: string): X25519Identity | undefined {
  const scalar = bech32Decode(encoded.toLowerCase(), IDENTITY_HRP);
  if (scalar?.length !== 32) return undefined;
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX, scalar]),
    format: "der",
    type: "pkcs8",
  });
  const spki = createPublicKey(privateKey).export({ format: "der", type: "spki" });
  return { privateKey, recipient: spki.subarray(SPKI_PREFIX.length) };
}

const ARMOR_BEGIN = "-----BEGIN AGE ENCRYPTED FILE-----";
const ARMOR_END = "-----END AGE ENCRYPTED FILE-----";

/** The payload of an armored age file, or undefined when no identity opens an X25519 stanza. */
export function decryptArmored(armored: string, identities: X25519Identity[]): Buffer | undefined {
  const file = dearmor(armored);
  const header = parseHeader(file);
  for (const stanza of header.stanzas) {
    if (stanza.args[0] !== "X25519") continue;
    for (const identity of identities) {
      const fileKey = unwrapX25519(stanza, identity);
      if (!fileKey) continue;
      verifyHeaderMac(fileKey, header);
      return decryptPayload(fileKey, file.subarray(header.size));
    }
  }
  return undefined;
}

/**
 * age's armor as Go's age reads it (sops uses it): blank lines before the header, then lines of
 * at most 64 characters, each strict padded base64 on its own, the first short one last, the
 * footer, and nothing but whitespace after it.
 */
function dearmor(armored: string): Buffer {
  const lines = armored.split("\n").map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line));
  let at = 0;
  while (at < lines.length && (lines[at] ?? "").trim() === "") at++;
  if (lines[at++] !== ARMOR_BEGIN) throw new AgeFormatError("not armored");
  const chunks: Buffer[] = [];
  for (;;) {
    const line = lines[at++];
    if (line === undefined) throw new AgeFormatError("armor not closed");
    if (line === ARMOR_END) break;
    const bytes = line.length <= 64 ? strictBase64(line) : undefined;
    if (!bytes || bytes.length === 0) throw new AgeFormatError("invalid armor line");
    chunks.push(bytes);
    if (bytes.length < 48) {
      if (lines[at++] !== ARMOR_END) throw new AgeFormatError("armor not closed");
      break;
    }
  }
  if (lines.slice(at).join("\n").trim() !== "") throw new AgeFormatError("data after the armor");
  return Buffer.concat(chunks);
}

/** base64.StdEncoding.Strict(): padded, and the unused bits of the last character zero. */
function strictBase64(text: string): Buffer | undefined {
  const bytes = Buffer.from(text, "base64");
  return bytes.toString("base64") === text ? bytes : undefined;
}

interface Stanza {
  args: string[];
  body: Buffer;
}

interface Header {
  stanzas: Stanza[];
  /** The header up to and including the `---` of the MAC line: what the MAC covers. */
  withoutMac: Buffer;
  mac: Buffer;
  /** Bytes up to the payload. */
  size: number;
}

const BODY_LINE_CHARS = 64;

function parseHeader(file: Buffer): Header {
  const macLine = file.indexOf("\n--- ") + 1;
  const macEnd = file.indexOf("\n", macLine);
  if (macLine === 0 || macEnd < 0) throw new AgeFormatError("no header MAC");
  const [version, ...lines] = file.toString("latin1", 0, macLine - 1).split("\n");
  if (version !== "age-encryption.org/v1") throw new AgeFormatError("unknown age version");
  const stanzas: Stanza[] = [];
  for (let i = 0; i < lines.length; ) {
    const argsLine = lines[i++] ?? "";
    if (!argsLine.startsWith("-> ")) throw new AgeFormatError("invalid stanza");
    const body: Buffer[] = [];
    for (;;) {
      const line = lines[i++];
      const bytes = line !== undefined && line.length <= BODY_LINE_CHARS ? strictRawBase64(line) : undefined;
      if (line === undefined || !bytes) throw new AgeFormatError("invalid stanza body");
      body.push(bytes);
      if (line.length < BODY_LINE_CHARS) break;
    }
    const args = argsLine.slice(3).split(" ");
    if (args.some((arg) => arg === "")) throw new AgeFormatError("invalid stanza");
    stanzas.push({ args, body: Buffer.concat(body) });
  }
  const mac = strictRawBase64(file.toString("latin1", macLine + 4, macEnd));
  if (!mac) throw new AgeFormatError("invalid header MAC");
  return { stanzas, withoutMac: file.subarray(0, macLine + 3), mac, size: macEnd + 1 };
}

/** age's base64 in headers: unpadded (RawStdEncoding), strict. */
function strictRawBase64(text: string): Buffer | undefined {
  const bytes = Buffer.from(text, "base64");
  return !text.includes("=") && bytes.toString("base64").replace(/=+$/, "") === text ? bytes : undefined;
}

const X25519_LABEL = "age-encryption.org/v1/X25519";
const ZERO_NONCE = Buffer.alloc(12);
const TAG_BYTES = 16;

/** The 16-byte file key if this identity is the stanza's recipient. */
function unwrapX25519(stanza: Stanza, identity: X25519Identity): Buffer | undefined {
  const share = strictRawBase64(stanza.args[1] ?? "") ?? Buffer.alloc(0);
  if (stanza.args.length !== 2 || share.length !== 32 || stanza.body.length !== 16 + TAG_BYTES) {
    throw new AgeFormatError("invalid X25519 stanza");
  }
  let shared: Buffer;
  try {
    const publicKey = createPublicKey({
      key: Buffer.concat([SPKI_PREFIX, share]),
      format: "der",
      type: "spki",
    });
    shared = diffieHellman({ privateKey: identity.privateKey, publicKey });
  } catch {
    return undefined; // a low-order share gives an all-zero secret, which OpenSSL refuses
  }
  const wrapKey = hkdf(shared, Buffer.concat([share, identity.recipient]), X25519_LABEL);
  return openChaCha(wrapKey, ZERO_NONCE, stanza.body);
}

function verifyHeaderMac(fileKey: Buffer, header: Header): void {
  const mac = createHmac("sha256", hkdf(fileKey, Buffer.alloc(0), "header"))
    .update(header.withoutMac)
    .digest();
  if (header.mac.length !== mac.length || !timingSafeEqual(header.mac, mac)) {
    throw new AgeFormatError("the age header MAC does not match");
  }
}

const CHUNK_BYTES = 64 * 1024 + TAG_BYTES;

/** age's STREAM: a 16-byte nonce, then 64 KiB chunks, each nonce an 11-byte counter and a last-chunk flag. */
function decryptPayload(fileKey: Buffer, payload: Buffer): Buffer {
  const streamKey = hkdf(fileKey, payload.subarray(0, 16), "payload");
  const chunks: Buffer[] = [];
  for (let at = 16, counter = 0; at < payload.length || counter === 0; at += CHUNK_BYTES, counter++) {
    const chunk = payload.subarray(at, at + CHUNK_BYTES);
    const nonce = Buffer.alloc(12);
    nonce.writeUIntBE(counter, 5, 6);
    nonce[11] = at + CHUNK_BYTES >= payload.length ? 1 : 0;
    const plain = openChaCha(streamKey, nonce, chunk);
    if (!plain) throw new AgeFormatError("the age payload failed authentication");
    chunks.push(plain);
  }
  return Buffer.concat(chunks);
}

function openChaCha(key: Buffer, nonce: Buffer, sealed: Buffer): Buffer | undefined {
  if (sealed.length < TAG_BYTES) return undefined;
  try {
    const decipher = createDecipheriv("chacha20-poly1305", key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch {
    return undefined;
  }
}

function hkdf(secret: Buffer, salt: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync("sha256", secret, salt, info, 32));
}

const BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const BECH32_GENERATORS = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

/** BIP 173 Bech32 (lowercase input, any length, as age uses it): the data bytes, or undefined. */
function bech32Decode(text: string, hrp: string): Buffer | undefined {
  const separator = text.lastIndexOf("1");
  if (text.slice(0, separator) !== hrp) return undefined;
  const values = [...text.slice(separator + 1)].map((c) => BECH32_CHARSET.indexOf(c));
  if (values.length < 6 || values.includes(-1)) return undefined;
  const expandedHrp = [...hrp].map((c) => c.charCodeAt(0) >> 5);
  expandedHrp.push(0, ...[...hrp].map((c) => c.charCodeAt(0) & 31));
  if (polymod([...expandedHrp, ...values]) !== 1) return undefined;
  return fromFiveBits(values.slice(0, -6));
}

function polymod(values: number[]): number {
  let checksum = 1;
  for (const value of values) {
    const top = checksum >>> 25;
    checksum = ((checksum & 0x1ffffff) << 5) ^ value;
    for (const [i, generator] of BECH32_GENERATORS.entries()) if ((top >>> i) & 1) checksum ^= generator;
  }
  return checksum >>> 0;
}

function fromFiveBits(values: number[]): Buffer | undefined {
  const bytes: number[] = [];
  let accumulator = 0;
  let bits = 0;
  for (const value of values) {
    accumulator = (accumulator << 5) | value;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((accumulator >>> bits) & 0xff);
    }
  }
  // At most 4 bits of zero padding may remain.
  if (bits >= 5 || (accumulator & ((1 << bits) - 1)) !== 0) return undefined;
  return Buffer.from(bytes);
}
