/**
 * The normalized, validated form of one manifest document: what every later stage
 * (sources, reconcile, pulumi) consumes. It carries references to values, never values.
 * The raw document shape is defined by schemas/secret-manifest.schema.json.
 */

/** A reference to a secret value held outside the manifest. */
export type ValueRef = EnvRef | SopsRef;

export interface EnvRef {
  fromEnv: string;
  /** An empty variable is an error unless this is true. */
  allowEmpty?: boolean;
}

export interface SopsRef {
  fromSops: {
    /**
     * Path of the sops file relative to the project root (normalized by the loader), or
     * absolute as the manifest gave it (refused unless reads outside the root are allowed).
     */
    file: string;
    /** Dotted (`db.password`, `hosts.0`) or sops --extract form (`["db"]["password"]`). */
    path?: string;
  };
}

/** A JSON field is a non-sensitive literal or a reference. */
export type JsonFieldSpec = string | number | boolean | null | ValueRef;

export type SecretValueSpec =
  | { kind: "string"; ref: ValueRef }
  | { kind: "json"; fields: Record<string, JsonFieldSpec> }
  | { kind: "binary"; ref: SopsRef };

export interface ReplicaSpec {
  region: string;
  kmsKeyId?: string;
}

export type DeletionSpec = { recoveryWindowInDays: number } | { forceDeleteWithoutRecovery: true };

export interface SecretSpec {
  name: string;
  description?: string;
  /** User tags from metadata.tags, in manifest order. */
  tags: Record<string, string>;
  kmsKeyId?: string;
  value: SecretValueSpec;
  replicas: ReplicaSpec[];
  forceOverwriteReplicaSecret: boolean;
  /** Absent means: use the provider default recovery window. */
  deletion?: DeletionSpec;
  adopt: boolean;
  /** Where the document came from, for error messages. */
  source: SpecSource;
}

export interface SpecSource {
  /** Relative to the project root. */
  file: string;
  /** Line where the document starts. */
  line: number;
  /**
   * Line of each reference by JSON pointer ("/spec/value/json/password"), and of its fields
   * (".../fromEnv", ".../fromSops/path") where they are on another line, so that an error
   * found when a reference is resolved points at the reference rather than at the document.
   * A field without an entry is on its reference's line.
   */
  lines?: Record<string, number>;
}
