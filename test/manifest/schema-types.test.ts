/**
 * Keeps src/manifest/raw.ts and schemas/secret-manifest.schema.json in step. For each object
 * of the schema, a table lists its fields as "required" or "optional". The compiler checks
 * the table against the TypeScript type (a missing, extra or wrongly optional field does not
 * compile); this test checks the same table against the schema.
 */
import { describe, expect, it } from "vitest";
import type {
  RawBinary,
  RawBinaryLocation,
  RawDeletion,
  RawKeepValueCondition,
  RawManifest,
  RawMetadata,
  RawReplica,
  RawResourcePolicy,
  RawRotation,
  RawSopsLocation,
  RawSpec,
  RawValue,
  RawValueRef,
} from "../../src/manifest/raw";
import { manifestSchema } from "../../src/manifest/schema";

type Fields<T> = { [K in keyof T]-?: undefined extends T[K] ? "optional" : "required" };

type Schema = { properties?: Record<string, Schema>; required?: string[]; $ref?: string; items?: Schema };

const tables: [pointer: string, fields: Record<string, "required" | "optional">][] = [
  [
    "",
    {
      apiVersion: "required",
      kind: "required",
      metadata: "required",
      spec: "required",
    } satisfies Fields<RawManifest>,
  ],
  [
    "/properties/metadata",
    { name: "required", description: "optional", tags: "optional" } satisfies Fields<RawMetadata>,
  ],
  [
    "/properties/spec",
    {
      kmsKeyId: "optional",
      value: "optional",
      replicas: "optional",
      forceOverwriteReplicaSecret: "optional",
      deletion: "optional",
      adopt: "optional",
      updatePolicy: "optional",
      rotation: "optional",
      resourcePolicy: "optional",
    } satisfies Fields<RawSpec>,
  ],
  [
    "/properties/spec/if",
    { updatePolicy: "required", adopt: "required" } satisfies Fields<RawKeepValueCondition>,
  ],
  [
    "/properties/spec/properties/rotation",
    {
      lambdaArn: "optional",
      managed: "optional",
      automaticallyAfterDays: "optional",
      scheduleExpression: "optional",
      duration: "optional",
      rotateImmediately: "optional",
    } satisfies Fields<RawRotation>,
  ],
  [
    "/properties/spec/properties/resourcePolicy",
    {
      document: "optional",
      fromFile: "optional",
      blockPublicPolicy: "optional",
    } satisfies Fields<RawResourcePolicy>,
  ],
  [
    "/properties/spec/properties/value",
    { string: "optional", json: "optional", binary: "optional" } satisfies Fields<RawValue>,
  ],
  [
    "/properties/spec/properties/value/properties/binary",
    { fromSops: "required" } satisfies Fields<RawBinary>,
  ],
  [
    "/properties/spec/properties/value/properties/binary/properties/fromSops",
    { file: "required" } satisfies Fields<RawBinaryLocation>,
  ],
  [
    "/properties/spec/properties/replicas/items",
    { region: "required", kmsKeyId: "optional" } satisfies Fields<RawReplica>,
  ],
  [
    "/properties/spec/properties/deletion",
    {
      recoveryWindowInDays: "optional",
      forceDeleteWithoutRecovery: "optional",
    } satisfies Fields<RawDeletion>,
  ],
  [
    "/$defs/valueRef",
    { fromEnv: "optional", allowEmpty: "optional", fromSops: "optional" } satisfies Fields<RawValueRef>,
  ],
  [
    "/$defs/valueRef/properties/fromSops",
    { file: "required", path: "optional" } satisfies Fields<RawSopsLocation>,
  ],
];

function at(pointer: string): Schema {
  let node: unknown = manifestSchema();
  for (const segment of pointer.split("/").slice(1)) node = (node as Record<string, unknown>)[segment];
  return node as Schema;
}

/** Every object schema (one with `properties`) reachable from the root, by JSON pointer. */
function objectSchemas(node: unknown, pointer = ""): string[] {
  if (typeof node !== "object" || node === null) return [];
  const own = "properties" in node ? [pointer] : [];
  return [
    ...own,
    ...Object.entries(node).flatMap(([key, child]) => objectSchemas(child, `${pointer}/${key}`)),
  ];
}

describe("raw manifest types match the JSON Schema", () => {
  it.each(tables)("%s", (pointer, fields) => {
    const schema = at(pointer);
    expect(Object.keys(schema.properties ?? {}).sort()).toEqual(Object.keys(fields).sort());
    const required = Object.entries(fields)
      .filter(([, r]) => r === "required")
      .map(([name]) => name);
    expect([...(schema.required ?? [])].sort()).toEqual(required.sort());
  });

  it("covers every object of the schema", () => {
    expect(objectSchemas(manifestSchema()).sort()).toEqual(tables.map(([pointer]) => pointer).sort());
  });
});
