/**
 * A resolved secret value. Lives only inside the provider process, only for as long
 * as one reconcile needs it; never logged, stored or put in an error.
 */
export type ResolvedValue =
  | { kind: "string"; text: string }
  /** `text` is the exact SecretString sent to AWS; `fields` keeps the manifest's key order. */
  | { kind: "json"; text: string; fields: Record<string, unknown> }
  | { kind: "binary"; bytes: Buffer };
