/**
 * Go's readings of scalar text, for values whose bytes enter the MAC after a Go round trip:
 * an unencrypted YAML scalar (yaml.v3 `resolve`) or a decrypted `int`/`float`/`bool`/`time`
 * plaintext (`aes/cipher.go`), both hashed as `ToBytes` renders the Go value. Each returns
 * undefined where Go reports an error.
 */
import { goFormatFloat } from "./tree.js";

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;
const DIGITS: Record<number, RegExp> = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^[0-9]+$/, 16: /^[0-9a-fA-F]+$/ };
const PREFIX_BASES: Record<string, number> = { x: 16, o: 8, b: 2 };

/** An integer as strconv.ParseInt(s, base, 64) / ParseUint read it; base 0 takes a 0x/0o/0b/0 prefix. */
export function goParseInt(text: string, base: number, unsigned = false): bigint | undefined {
  const sign = /^[-+]/.test(text) ? text.slice(0, 1) : "";
  if (sign && unsigned) return undefined;
  let digits = text.slice(sign.length);
  let radix = base;
  if (base === 0) {
    const prefix = PREFIX_BASES[(digits[1] ?? "").toLowerCase()];
    if (digits[0] === "0" && prefix) [radix, digits] = [prefix, digits.slice(2)];
    else if (digits[0] === "0" && digits.length > 1) [radix, digits] = [8, digits.slice(1)];
    else radix = 10;
  }
  const pattern = DIGITS[radix];
  if (!pattern?.test(digits)) return undefined;
  const magnitude = [...digits].reduce((n, d) => n * BigInt(radix) + BigInt(Number.parseInt(d, 16)), 0n);
  const value = sign === "-" ? -magnitude : magnitude;
  const [low, high] = unsigned ? [0n, UINT64_MAX] : [INT64_MIN, INT64_MAX];
  return value >= low && value <= high ? value : undefined;
}

export function isInt64(value: bigint): boolean {
  return value >= INT64_MIN && value <= INT64_MAX;
}

const DECIMAL_FLOAT = /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/;
const SPECIAL_FLOAT = /^([-+]?)(inf|infinity|nan)$/i;

/** strconv.ParseFloat(s, 64) for decimal and inf/nan spellings; an overflow is Go's range error. */
export function goParseFloat(text: string): number | undefined {
  const special = SPECIAL_FLOAT.exec(text);
  if (special) {
    if (special[2]?.toLowerCase() === "nan") return special[1] ? undefined : Number.NaN;
    return special[1] === "-" ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  if (!DECIMAL_FLOAT.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

const DATE_ONLY = /^(\d{4})-(\d{1,2})-(\d{1,2})$/;
/** yaml.v3's layouts: `T`/`t` with a zone, or a space and no zone (always UTC). */
const WITH_ZONE =
  /^(\d{4})-(\d{1,2})-(\d{1,2})[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.,](\d+))?(Z|[-+]\d{2}:\d{2})$/;
/** A space in a Go layout matches any run of spaces. */
const NO_ZONE = /^(\d{4})-(\d{1,2})-(\d{1,2}) +(\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.,](\d+))?$/;
/** time.Parse(time.RFC3339, …), which sops applies to `lastmodified`: a one-digit hour and a fraction are accepted. */
const RFC3339_LAYOUT = /^(\d{4})-(\d{2})-(\d{2})T(\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d+))?(Z|[-+]\d{2}:\d{2})$/;

export function isGoRfc3339(text: string): boolean {
  const parts = RFC3339_LAYOUT.exec(text);
  return parts !== null && marshalTime(parts.slice(1, 9)) !== undefined;
}

/** time.Time.UnmarshalText: RFC 3339 exactly (two-digit fields, `T`, a zone). */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[-+]\d{2}:\d{2})$/;

/** A plain YAML timestamp as yaml.v3 parses it, rendered by time.MarshalText (RFC 3339 with nanoseconds). */
export function goYamlTimestamp(text: string): string | undefined {
  const date = DATE_ONLY.exec(text);
  if (date) return marshalTime([...date.slice(1, 4), "0", "0", "0", undefined, "Z"]);
  const parts = WITH_ZONE.exec(text) ?? NO_ZONE.exec(text);
  if (!parts) return undefined;
  const time = marshalTime(parts.slice(1, 9));
  // Go parses an offset of +24:00 but cannot write it back: sops fails on such a value.
  if (time && /^[-+]24:/.test(parts[8] ?? "")) throw new UnwritableTime();
  return time;
}

/** A timestamp Go reads but time.MarshalText refuses to write (a 24-hour zone offset). */
export class UnwritableTime extends Error {
  override readonly name = "UnwritableTime";
  constructor() {
    super(
      "a timestamp with a zone offset of 24 hours cannot be written by Go's time package, so sops refuses it",
    );
  }
}

/** A decrypted `time` plaintext as time.UnmarshalText reads it and MarshalText writes it back. */
export function goRfc3339(text: string): string | undefined {
  const parts = RFC3339.exec(text);
  return parts ? marshalTime(parts.slice(1, 9)) : undefined;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function marshalTime(fields: Array<string | undefined>): string | undefined {
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = fields.slice(0, 6).map(Number);
  const [fraction = "", zone = "Z"] = fields.slice(6) as [string | undefined, string | undefined];
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const monthDays = month === 2 && leap ? 29 : (MONTH_DAYS[month - 1] ?? 0);
  if (month < 1 || day < 1 || day > monthDays || hour > 23 || minute > 59 || second > 59) return undefined;
  const offset = /^[-+](\d{2}):(\d{2})$/.exec(zone);
  if (offset && (Number(offset[1]) > 24 || Number(offset[2]) > 60)) return undefined;
  const pad = (n: number) => String(n).padStart(2, "0");
  // Nanosecond precision, trailing zeros dropped; a zero offset is written "Z".
  const nanos = fraction.slice(0, 9).replace(/0+$/, "");
  const zeroOffset = zone === "Z" || /^[-+]00:00$/.test(zone);
  return `${String(year).padStart(4, "0")}-${pad(month)}-${pad(day)}T${pad(hour)}:${pad(minute)}:${pad(second)}${
    nanos ? `.${nanos}` : ""
  }${zeroOffset ? "Z" : zone}`;
}

/** The text `ToBytes` writes for a float64 parsed from `text`, or undefined when Go's parse fails. */
export function goFloatText(text: string): string | undefined {
  const value = goParseFloat(text);
  return value === undefined ? undefined : goFormatFloat(value);
}

const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

/**
 * sops' check of the file's `version` before decrypting (`version.AIsNewerThanB`, blang/semver):
 * a leading "v" is dropped, "1.…" passes as sops 1, anything else must be semantic versioning.
 */
export function isSopsVersion(version: string): boolean {
  if (version.startsWith("1.")) return true;
  return SEMVER.test(version.replace(/^v/, ""));
}
