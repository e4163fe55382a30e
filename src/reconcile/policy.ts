/**
 * Resource policies compared by meaning, not by text: key order and whitespace do not
 * count, and IAM reads a one-element list the same as its element (`"Action": ["x"]` is
 * `"Action": "x"`), so neither counts as drift.
 */
import { canonicalJson } from "./digest.js";

export function samePolicy(a: string, b: string): boolean {
  const left = canonicalPolicy(a);
  return left !== undefined && left === canonicalPolicy(b);
}

/** The canonical form of a policy text; undefined when it is not JSON. */
export function canonicalPolicy(text: string): string | undefined {
  try {
    return canonicalJson(unwrapSingletons(JSON.parse(text)));
  } catch {
    return undefined;
  }
}

function unwrapSingletons(value: unknown): unknown {
  if (Array.isArray(value))
    return value.length === 1 ? unwrapSingletons(value[0]) : value.map(unwrapSingletons);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSingletons(v)]));
  }
  return value;
}
