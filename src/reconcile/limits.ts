/**
 * Secrets Manager's documented limits on what one secret may hold, checked before any call
 * so a violation fails the preview with the manifest's file and line instead of reaching AWS.
 */
import { MAX_SECRET_BYTES } from "../manifest/schema.js";
import type { ResolvedValue } from "../sources/value.js";

/** Tags per secret (CreateSecret / TagResource), the ownership tag included. */
export const MAX_TAGS = 50;

/** DeleteSecret RecoveryWindowInDays. */
export const RECOVERY_WINDOW_DAYS = { min: 7, max: 30 } as const;

const TAG_KEY_MAX = 128;
const TAG_VALUE_MAX = 256;
/** Tag keys and values: letters, digits, spaces and `_ . : / = + - @` (any script). */
const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+@-]*$/u;

/**
 * Why AWS would refuse to store this value, or undefined. SecretString and SecretBinary
 * both have a minimum length of 1 and a maximum of 65,536 bytes.
 */
export function valueProblem(value: ResolvedValue): string | undefined {
  const bytes = value.kind === "binary" ? value.bytes.length : Buffer.byteLength(value.text, "utf8");
  if (bytes === 0) return "the value is empty, and Secrets Manager cannot store an empty secret";
  if (bytes > MAX_SECRET_BYTES)
    return `the value is ${bytes} bytes, over Secrets Manager's limit of ${MAX_SECRET_BYTES}`;
  return undefined;
}

/** Why AWS would refuse this tag, or undefined. Names the key, never the value. */
export function tagProblem(key: string, value: string): string | undefined {
  if (key.length === 0 || key.length > TAG_KEY_MAX)
    return `tag key "${key}" must be 1-${TAG_KEY_MAX} characters`;
  if (!TAG_CHARS.test(key))
    return `tag key "${key}" may contain only letters, digits, spaces and _ . : / = + - @`;
  if (key.toLowerCase().startsWith("aws:")) return `tag key "${key}" uses the prefix aws:, reserved by AWS`;
  if (value.length > TAG_VALUE_MAX)
    return `the value of tag "${key}" is longer than ${TAG_VALUE_MAX} characters`;
  if (!TAG_CHARS.test(value))
    return `the value of tag "${key}" may contain only letters, digits, spaces and _ . : / = + - @`;
  return undefined;
}

/** Why a recovery window would be refused, or undefined. */
export function recoveryWindowProblem(days: number): string | undefined {
  const { min, max } = RECOVERY_WINDOW_DAYS;
  if (Number.isInteger(days) && days >= min && days <= max) return undefined;
  return `recovery window must be a whole number of days from ${min} to ${max}, not ${days}`;
}
