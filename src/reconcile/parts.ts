/**
 * Values with parts the manifest does not enforce: seed-once values and keys
 * (`updatePolicy: IfNotExists`) and generated passwords. Composed inside the provider
 * only; the composed value is never recorded (its version id is a keyed token).
 */
import type { CurrentValue, SecretsGateway } from "../aws/gateway.js";
import type { ResolvedValue } from "../sources/value.js";
import { digestParts, type PartDigestInput, type ValueDigest } from "./digest.js";
import type { FieldPart, KeptValue, ValueParts } from "./types.js";
import { WHOLE_VALUE } from "./types.js";

/**
 * The value a secret gets when AWS holds none of it: seeds and enforced keys as resolved,
 * a password generated for each generated part. Undefined when the manifest has nothing
 * to write (`IfNotExists` without a value: whatever AWS holds).
 */
export async function initialValue(
  gateway: SecretsGateway,
  parts: ValueParts,
): Promise<ResolvedValue | undefined> {
  if (parts.whole) {
    if ("seed" in parts.whole) return parts.whole.seed;
    return { kind: "string", text: await gateway.generatePassword(parts.whole.generate) };
  }
  if (!parts.fields) return undefined;
  return jsonValue(
    await Promise.all(parts.fields.map(async (f) => [f.key, await freshText(gateway, f)] as const)),
  );
}

/**
 * The value to write over AWS's current one, or undefined when AWS already holds it. The
 * enforced keys come from the manifest, in its order; a kept key keeps AWS's value. A kept
 * key missing from AWS's value is written as for a new secret: the seed again, or a new
 * password (so `IfNotExists` means "if this key does not exist"). Keys AWS holds that the
 * manifest does not declare are dropped: the manifest declares the whole value.
 */
export async function updatedValue(
  gateway: SecretsGateway,
  parts: ValueParts,
  current: CurrentValue | undefined,
): Promise<ResolvedValue | undefined> {
  if (!current) return initialValue(gateway, parts);
  if (parts.whole) {
    const renew = parts.regenerate.includes(WHOLE_VALUE) && "generate" in parts.whole;
    return renew ? initialValue(gateway, parts) : undefined;
  }
  if (!parts.fields) return undefined;
  const held = current.payload.type === "string" ? parseObject(current.payload.text) : undefined;
  const entries = await Promise.all(
    parts.fields.map(async (f) => [f.key, await mergedText(gateway, f, held, parts.regenerate)] as const),
  );
  const merged = jsonValue(entries);
  const same = current.payload.type === "string" && current.payload.text === merged.text;
  return same ? undefined : merged;
}

async function mergedText(
  gateway: SecretsGateway,
  field: FieldPart,
  held: Record<string, unknown> | undefined,
  regenerate: string[],
): Promise<string> {
  if (field.policy === "Replace") return field.text;
  const kept = held && Object.hasOwn(held, field.key) && !regenerate.includes(field.key);
  return kept ? JSON.stringify(held[field.key]) : freshText(gateway, field);
}

async function freshText(gateway: SecretsGateway, field: FieldPart): Promise<string> {
  if (field.policy !== "generate") return field.text;
  return JSON.stringify(await gateway.generatePassword(field.generate));
}

function jsonValue(
  entries: readonly (readonly [string, string])[],
): Extract<ResolvedValue, { kind: "json" }> {
  const text = `{${entries.map(([key, fieldText]) => `${JSON.stringify(key)}:${fieldText}`).join(",")}}`;
  return { kind: "json", text, fields: JSON.parse(text) as Record<string, unknown> };
}

export function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The kept marks of a declaration, as recorded in state. */
export function keptOf(parts: Pick<ValueParts, "whole" | "fields">): KeptValue {
  if (parts.whole) {
    return {
      whole: "generate" in parts.whole ? `generation:${parts.whole.generate.generation}` : "IfNotExists",
    };
  }
  if (!parts.fields) return { whole: "IfNotExists" };
  const keys: KeptValue["keys"] = {};
  for (const f of parts.fields) {
    if (f.policy === "IfNotExists") keys[f.key] = "IfNotExists";
    if (f.policy === "generate") keys[f.key] = `generation:${f.generate.generation}`;
  }
  return { keys };
}

/** The digest `check` records for a declaration with kept parts. */
export function declaredDigest(name: string, parts: ValueParts, hmacKey: Buffer): ValueDigest {
  const kept = keptOf(parts);
  const fields = (parts.fields ?? []).map((part): [string, PartDigestInput] =>
    part.policy === "Replace"
      ? [part.key, { value: JSON.parse(part.text) }]
      : [part.key, { mark: kept.keys?.[part.key] ?? "IfNotExists" }],
  );
  return digestParts(name, parts.stored, kept, fields, hmacKey);
}

/**
 * The digest of what AWS holds, for refresh: equal to the declared one while the enforced
 * keys hold the manifest's values and every kept key exists, whatever its value.
 */
export function observedDigest(name: string, kept: KeptValue, text: string, hmacKey: Buffer): ValueDigest {
  const held = parseObject(text) ?? {};
  const keys = new Set([...Object.keys(held), ...Object.keys(kept.keys ?? {})]);
  const fields = [...keys].map((key): [string, PartDigestInput] => {
    const mark = kept.keys?.[key];
    if (!Object.hasOwn(held, key)) return [key, { missing: true }];
    return [key, mark ? { mark } : { value: held[key] }];
  });
  return digestParts(name, "json", kept, fields, hmacKey);
}
