/**
 * Pure part of `secret-manifests import`: an existing secret's metadata -> a manifest that
 * adopts it and keeps its value, or the reason it cannot be imported; manifests -> files
 * with stable bytes.
 */
import * as path from "node:path";
import { Document, parse, visit } from "yaml";
import type { SecretMetadata } from "../../aws/inventory";
import type { RawManifest, RawReplica, RawRotation } from "../../manifest/raw";
import { API_VERSION } from "../../manifest/schema";
import { schemaIssues } from "../../manifest/validate";
import { OWNER_TAG } from "../../reconcile/types";

/** Tag keys never copied into a manifest: AWS's own and this tool's (ownership, claims). */
const RESERVED_TAG = /^(aws:|secret-manifests:)/i;
/** How AWS names its managed key; a manifest without kmsKeyId means the same key. */
const AWS_MANAGED_KEY = /(^|:)alias\/aws\/secretsmanager$/;

export interface ImportContext {
  /** Region of the listing: a secret whose primary is elsewhere is a replica. */
  region: string;
  /** The stack the manifests are for ("project/stack"); its own secrets are not refused. */
  stack?: string;
}

/** What --with-policies and --json-keys found for one secret. */
export interface Extras {
  /** The resource policy JSON text, when asked for and present. */
  policy?: string;
  /** Top-level JSON key names of the value, when asked for and the value is a JSON object. */
  jsonKeys?: string[];
}

export type Decision =
  | { kind: "manifest"; name: string; manifest: RawManifest; jsonKeys?: string[] }
  | { kind: "refused"; name: string; reason: string };

/** Reasons known from the listing alone, checked before any further call is spent on the secret. */
export function refusalFromListing(secret: SecretMetadata, ctx: ImportContext): string | undefined {
  if (secret.DeletedDate) {
    return `scheduled for deletion (deleted on ${secret.DeletedDate.toISOString()}); restore it first (aws secretsmanager restore-secret) to import it`;
  }
  if (secret.OwningService) {
    return `managed by the AWS service "${secret.OwningService}", which owns its value and rotation`;
  }
  const owner = secret.Tags?.find((t) => t.Key === OWNER_TAG)?.Value;
  if (owner !== undefined && owner !== ctx.stack) {
    return `owned by the stack "${owner}" (tag ${OWNER_TAG}); import it into that stack (--stack ${owner}) or remove it from there first`;
  }
  if (secret.PrimaryRegion && secret.PrimaryRegion !== ctx.region) {
    return `a replica of the secret in ${secret.PrimaryRegion}; import the primary there (--region ${secret.PrimaryRegion})`;
  }
  return undefined;
}

/** Whether the listing entry lacks fields the manifest needs: a replicated primary's replicas. */
export function needsDescribe(secret: SecretMetadata): boolean {
  return secret.PrimaryRegion !== undefined && secret.ReplicationStatus === undefined;
}

/** The manifest for one secret, or why `validate` would reject it. */
export function decide(secret: SecretMetadata, ctx: ImportContext, extras: Extras = {}): Decision {
  const name = secret.Name ?? "";
  const refusal = refusalFromListing(secret, ctx);
  if (refusal) return { kind: "refused", name, reason: refusal };
  let manifest: RawManifest;
  try {
    manifest = manifestFor(secret, extras);
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    return { kind: "refused", name, reason: "its resource policy is not a JSON document" };
  }
  const issues = schemaIssues(manifest);
  if (issues.length > 0) {
    const reasons = issues.map((i) => i.message).join("; ");
    return { kind: "refused", name, reason: `validate would reject its manifest: ${reasons}` };
  }
  return { kind: "manifest", name, manifest, ...(extras.jsonKeys ? { jsonKeys: extras.jsonKeys } : {}) };
}

function manifestFor(secret: SecretMetadata, extras: Extras): RawManifest {
  const tags = userTags(secret);
  const replicas = (secret.ReplicationStatus ?? [])
    .map(replicaOf)
    .sort((a, b) => compare(a.region, b.region));
  const rotation = rotationOf(secret);
  const kmsKeyId = customerKey(secret.KmsKeyId);
  return {
    apiVersion: API_VERSION,
    kind: "Secret",
    metadata: {
      name: secret.Name ?? "",
      ...(secret.Description ? { description: secret.Description } : {}),
      ...(Object.keys(tags).length > 0 ? { tags } : {}),
    },
    spec: {
      adopt: true,
      updatePolicy: "IfNotExists",
      ...(kmsKeyId ? { kmsKeyId } : {}),
      ...(replicas.length > 0 ? { replicas } : {}),
      ...(rotation ? { rotation } : {}),
      ...(extras.policy ? { resourcePolicy: { document: JSON.parse(extras.policy) } } : {}),
    },
  } as RawManifest;
}

/** User tags sorted by key (stable output), without AWS's and this tool's own. */
function userTags(secret: SecretMetadata): Record<string, string> {
  const tags = (secret.Tags ?? [])
    .filter((t) => t.Key !== undefined && !RESERVED_TAG.test(t.Key))
    .sort((a, b) => compare(a.Key ?? "", b.Key ?? ""));
  return Object.fromEntries(tags.map((t) => [t.Key, t.Value ?? ""]));
}

function replicaOf(status: NonNullable<SecretMetadata["ReplicationStatus"]>[number]): RawReplica {
  const kmsKeyId = customerKey(status.KmsKeyId);
  return { region: status.Region ?? "", ...(kmsKeyId ? { kmsKeyId } : {}) };
}

function customerKey(kmsKeyId: string | undefined): string | undefined {
  return kmsKeyId && !AWS_MANAGED_KEY.test(kmsKeyId) ? kmsKeyId : undefined;
}

/**
 * Rotation as configured, never started by the import: rotateImmediately stays at its
 * default (false). A schedule expression is kept as written; AWS may report both forms.
 */
function rotationOf(secret: SecretMetadata): RawRotation | undefined {
  if (!secret.RotationEnabled) return undefined;
  const rules = secret.RotationRules ?? {};
  return {
    ...(secret.RotationLambdaARN ? { lambdaArn: secret.RotationLambdaARN } : { managed: true }),
    ...(rules.ScheduleExpression
      ? { scheduleExpression: rules.ScheduleExpression }
      : { automaticallyAfterDays: rules.AutomaticallyAfterDays }),
    ...(rules.Duration ? { duration: rules.Duration } : {}),
  } as RawRotation;
}

/** Code-point order, the same on every machine and locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export type Layout = "secret" | "prefix";

/** A file to write: its path relative to the output folder and its manifests in name order. */
export interface PlannedFile {
  file: string;
  documents: Extract<Decision, { kind: "manifest" }>[];
}

/**
 * Groups manifests into files: one per secret (`prod/db` -> `prod/db.yaml`) or one per name
 * prefix (`prod/db` -> `prod.yaml`; names without `/` -> `secrets.yaml`). Secrets that land
 * on the same path share the file.
 */
export function planFiles(
  manifests: Extract<Decision, { kind: "manifest" }>[],
  layout: Layout,
): PlannedFile[] {
  const byFile = new Map<string, PlannedFile["documents"]>();
  for (const doc of [...manifests].sort((a, b) => compare(a.name, b.name))) {
    const file = `${fileStem(doc.name, layout)}.yaml`;
    byFile.set(file, [...(byFile.get(file) ?? []), doc]);
  }
  return [...byFile.entries()]
    .sort(([a], [b]) => compare(a, b))
    .map(([file, documents]) => ({ file, documents }));
}

function fileStem(name: string, layout: Layout): string {
  if (layout === "secret") return safeRelativePath(name);
  const slash = name.lastIndexOf("/");
  return slash <= 0 ? "secrets" : safeRelativePath(name.slice(0, slash));
}

/**
 * Secret names may hold `//`, `.` and `..` segments, and `validate` skips dot-folders and
 * node_modules: such a name becomes one flat file name with `/` written as `%2F` (`%`
 * cannot occur in a secret name, so no two names meet), which stays inside the output folder.
 */
function safeRelativePath(name: string): string {
  const segments = name.split("/");
  const plain = segments.every((s) => s !== "" && !s.startsWith(".") && s !== "node_modules");
  if (plain) return segments.join(path.sep === "/" ? "/" : path.sep);
  return name.replaceAll("/", "%2F").replace(/^\./, "%2E");
}

const FILE_HEADER =
  "# Imported by `secret-manifests import`: adopts existing secrets and keeps the values AWS holds.\n";

/** The file's bytes: one header line, then the documents separated by `---`. */
export function renderFile(planned: PlannedFile): string {
  return FILE_HEADER + planned.documents.map(renderDocument).join("---\n");
}

function renderDocument(doc: PlannedFile["documents"][number]): string {
  const yaml = yamlText(doc.manifest);
  return doc.jsonKeys ? yaml + jsonKeysComment(doc.name, doc.jsonKeys) : yaml;
}

/**
 * YAML 1.2 text (what the loader reads) in which a string is also a string to YAML 1.1
 * readers: `2012-10-17`, `yes` or `on` are quoted although YAML 1.2 reads them as strings.
 */
function yamlText(value: unknown): string {
  const doc = new Document(value);
  visit(doc, {
    Scalar(_, node) {
      if (typeof node.value === "string" && !isYaml11String(node.value)) node.type = "QUOTE_DOUBLE";
    },
  });
  return doc.toString({ lineWidth: 0, indent: 2 });
}

/**
 * What a YAML 1.1 reader may take for something other than a string (numbers, dates, booleans,
 * null, indicators, `: ` and ` #`, edge spaces); anything else is a string to any reader, and
 * skips the parse below.
 */
const MAYBE_NOT_A_STRING =
  /^$|^[\s\d+\-.~[\]{}!&*|>'"%@`,?:#]|[:#\n]|\s$|^(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL)$/;

/** Whether a YAML 1.1 reader takes the text, written plain, for this same string. */
function isYaml11String(text: string): boolean {
  if (!MAYBE_NOT_A_STRING.test(text)) return true;
  try {
    return parse(text, { version: "1.1", logLevel: "silent" }) === text;
  } catch {
    return false;
  }
}

/**
 * The key names as a commented-out value the user can take over key by key. Live
 * references would make every `pulumi up` resolve them (an unset variable is an error before
 * any write), so an import that should change nothing writes them as a comment.
 */
function jsonKeysComment(name: string, keys: string[]): string {
  const template = yamlText({
    value: { json: Object.fromEntries(keys.map((key) => [key, { fromEnv: envNameFor(name, key) }])) },
  });
  const header = [
    `JSON keys of the value in AWS, read with --json-keys (no value was read into this file).`,
    `To declare the value, replace "updatePolicy: IfNotExists" with references such as:`,
  ];
  const lines = [...header, ...template.trimEnd().split("\n")];
  return lines
    .map((line) => `  # ${line}`.trimEnd())
    .join("\n")
    .concat("\n");
}

/** `prod/db` + `password` -> `PROD_DB_PASSWORD`: letters, digits and `_`, not starting with a digit. */
export function envNameFor(secretName: string, key: string): string {
  const raw = `${secretName}_${key}`
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  return /^[0-9]/.test(raw) || raw === "" ? `_${raw}` : raw;
}
