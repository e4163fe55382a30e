/**
 * Go strings are byte strings: a dotenv or INI value, or any decrypted plaintext, may hold
 * bytes that are not UTF-8, and sops hands them on untouched (`--extract` prints them raw,
 * its JSON output writes one `\ufffd` per bad byte). JS strings cannot hold such bytes, so
 * each one is kept as a lone surrogate U+DC80–U+DCFF (Python's "surrogateescape"): valid
 * UTF-8 never decodes to a lone surrogate, so the mapping is lossless both ways.
 */
import { isUtf8 } from "node:buffer";

const ESCAPED_BYTE = /[\u{dc80}-\u{dcff}]/u;
const ESCAPED_BYTES = /([\u{dc80}-\u{dcff}])/u;
const ESCAPE_BASE = 0xdc00;

/** Bytes → text, each byte of an invalid UTF-8 sequence (as Go's utf8.DecodeRune sees it) escaped. */
export function decodeBytes(bytes: Uint8Array): string {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isUtf8(buffer)) return buffer.toString("utf8");
  let text = "";
  let runStart = 0;
  let at = 0;
  while (at < buffer.length) {
    const length = sequenceLength(buffer, at);
    if (length > 0) {
      at += length;
      continue;
    }
    text += buffer.toString("utf8", runStart, at) + String.fromCharCode(ESCAPE_BASE + (buffer[at] ?? 0));
    at += 1;
    runStart = at;
  }
  return text + buffer.toString("utf8", runStart);
}

/** Text → the exact bytes it was decoded from. */
export function encodeText(text: string): Buffer {
  if (!ESCAPED_BYTE.test(text)) return Buffer.from(text, "utf8");
  const parts = text.split(ESCAPED_BYTES);
  return Buffer.concat(
    parts.map((part, i) =>
      i % 2 === 1 ? Buffer.of(part.charCodeAt(0) - ESCAPE_BASE) : Buffer.from(part, "utf8"),
    ),
  );
}

/** True when the text holds bytes that are not UTF-8 (it cannot be a SecretString as it is). */
export function hasRawBytes(text: string): boolean {
  return ESCAPED_BYTE.test(text);
}

/** Every escaped byte as U+FFFD: what Go's JSON decoder makes of invalid UTF-8 inside a string. */
export function replaceRawBytes(text: string): string {
  return hasRawBytes(text) ? text.replace(/[\u{dc80}-\u{dcff}]/gu, "\ufffd") : text;
}

/** A JSON.stringify result with each escaped byte as `\ufffd`, as Go's encoding/json writes it. */
export function goJsonEscapes(json: string): string {
  // JSON.stringify writes a lone surrogate as `\udcXX`; an even run of backslashes before it is literal text.
  if (!json.includes("\\udc")) return json;
  return json.replace(/(?<!\\)((?:\\\\)*)\\udc[89a-f][0-9a-f]/g, "$1\\ufffd");
}

/** Length of the valid UTF-8 sequence at `at` (Go's rules: no overlongs, surrogates or > U+10FFFF), else 0. */
function sequenceLength(bytes: Buffer, at: number): number {
  const lead = bytes[at] ?? 0;
  if (lead < 0x80) return 1;
  const cont = (offset: number, low = 0x80, high = 0xbf) => {
    const b = bytes[at + offset];
    return b !== undefined && b >= low && b <= high;
  };
  if (lead >= 0xc2 && lead <= 0xdf) return cont(1) ? 2 : 0;
  if (lead >= 0xe0 && lead <= 0xef) {
    const low = lead === 0xe0 ? 0xa0 : 0x80;
    const high = lead === 0xed ? 0x9f : 0xbf;
    return cont(1, low, high) && cont(2) ? 3 : 0;
  }
  if (lead >= 0xf0 && lead <= 0xf4) {
    const low = lead === 0xf0 ? 0x90 : 0x80;
    const high = lead === 0xf4 ? 0x8f : 0xbf;
    return cont(1, low, high) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

/** Lone UTF-16 surrogates (from a `\uD800`-style JSON escape) as U+FFFD, as Go's JSON decoder reads them. */
export function replaceLoneSurrogates(text: string): string {
  return /[\u{d800}-\u{dfff}]/u.test(text) ? text.replace(/[\u{d800}-\u{dfff}]/gu, "\ufffd") : text;
}
