import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";

/**
 * Absolute path of the manifest JSON Schema. It ships next to dist/ (package.json "files"),
 * so the same relative hop works from src/manifest and dist/manifest.
 */
export const SCHEMA_PATH = path.resolve(__dirname, "..", "..", "schemas", "secret-manifest.schema.json");

/** The `apiVersion` every manifest declares. */
export const API_VERSION = "secret-manifests/v1";

/** Largest SecretString or SecretBinary Secrets Manager accepts, in bytes. */
export const MAX_SECRET_BYTES = 65536;

export type JsonSchema = { [keyword: string]: unknown };

let cached: { text: string; schema: JsonSchema } | undefined;

function schemaFile(): { text: string; schema: JsonSchema } {
  if (!cached) {
    const text = readFileSync(SCHEMA_PATH, "utf8");
    cached = { text, schema: JSON.parse(text) as JsonSchema };
  }
  return cached;
}

export function manifestSchema(): JsonSchema {
  return schemaFile().schema;
}

/** Identifies the schema file's content (the precompiled validator records which it was made from). */
export function manifestSchemaSha256(): string {
  return createHash("sha256").update(schemaFile().text).digest("hex");
}
