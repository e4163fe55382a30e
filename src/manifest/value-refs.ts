import { joinPointer } from "./document";
import type { JsonFieldSpec, SecretSpec, SecretValueSpec, ValueRef } from "./spec";

/** One reference of a spec's value and the JSON pointer of the reference in its manifest. */
export interface PlacedRef {
  /** e.g. "/spec/value/string", "/spec/value/json/password". */
  pointer: string;
  /** The value kind the reference feeds. */
  kind: SecretValueSpec["kind"];
  ref: ValueRef;
}

/** Every reference of a spec, in manifest order. */
export function valueReferences(spec: Pick<SecretSpec, "value">): PlacedRef[] {
  const value = spec.value;
  // No value (kept as AWS holds it) or a generated one: nothing is read from env or files.
  if (value === undefined || value.kind === "generate") return [];
  if (value.kind !== "json")
    return [{ pointer: `/spec/value/${value.kind}`, kind: value.kind, ref: value.ref }];
  return value.fields.flatMap(([key, field]) =>
    isValueRef(field)
      ? [{ pointer: joinPointer("/spec/value/json", key), kind: "json" as const, ref: field }]
      : [],
  );
}

function isValueRef(field: JsonFieldSpec): field is JsonFieldSpec & ValueRef {
  return field !== null && typeof field === "object" && ("fromEnv" in field || "fromSops" in field);
}

/** The pointers of a reference's own fields, where errors about it point. */
export function refFieldPointers({ pointer, ref }: PlacedRef): string[] {
  if ("fromEnv" in ref) return [`${pointer}/fromEnv`];
  const file = `${pointer}/fromSops/file`;
  return ref.fromSops.path === undefined ? [file] : [file, `${pointer}/fromSops/path`];
}
