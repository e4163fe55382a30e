/**
 * A manifest's value as the provider resolves it: an enforced value, or the parts of one
 * whose seed-once and generated parts AWS keeps (see src/reconcile/parts.ts).
 */
import type { JsonFieldSpec, SecretValueSpec, UpdatePolicy } from "../manifest/spec";
import type { FieldPart, ValueParts } from "../reconcile/types";
import { type ResolveContext, resolveValue } from "../sources";
import { COMPACT, jsonString } from "../sources/emit";
import type { ResolvedValue } from "../sources/value";

/** ValueParts before the provider adds what depends on the last deployment. */
export type DeclaredParts = Pick<ValueParts, "kind" | "stored" | "whole" | "fields">;

/** Every reference resolved (seeds included: they must resolve on every run); no password generated. */
export async function resolveDeclared(
  value: SecretValueSpec | undefined,
  updatePolicy: UpdatePolicy,
  ctx: ResolveContext,
): Promise<ResolvedValue | DeclaredParts> {
  if (!value) return { kind: "parts", stored: "string" };
  if (value.kind === "generate")
    return { kind: "parts", stored: "string", whole: { generate: value.generate } };
  if (updatePolicy === "IfNotExists") {
    const seed = await resolveValue(value, ctx);
    return { kind: "parts", stored: seed.kind, whole: { seed } };
  }
  if (value.kind !== "json" || !value.fields.some(([, field]) => isKeptField(field)))
    return resolveValue(value, ctx);
  const fields = await Promise.all(value.fields.map(([key, field]) => fieldPart(key, field, ctx)));
  return { kind: "parts", stored: "json", fields };
}

function isKeptField(field: JsonFieldSpec): boolean {
  if (field === null || typeof field !== "object") return false;
  return "generate" in field || ("updatePolicy" in field && field.updatePolicy === "IfNotExists");
}

/** One key resolved alone, its JSON text exactly as the whole value would carry it. */
async function fieldPart(key: string, field: JsonFieldSpec, ctx: ResolveContext): Promise<FieldPart> {
  if (field !== null && typeof field === "object" && "generate" in field) {
    return { key, policy: "generate", generate: field.generate };
  }
  const alone = await resolveValue({ kind: "json", fields: [[key, field]] }, ctx);
  const text = (alone as { text: string }).text.slice(`{${jsonString(key, COMPACT)}:`.length, -1);
  return { key, policy: isKeptField(field) ? "IfNotExists" : "Replace", text };
}
