/**
 * The `sops` metadata block, read from the format-neutral tree (`stores/stores.go` `metadata`).
 * Flat formats (dotenv, INI) store it flattened; `unflattenMetadata` rebuilds the tree first.
 */
import { isGoRfc3339, isSopsVersion } from "./go-scalars.js";
import { type MapNode, mapGet, NULL, str, type TreeNode } from "./tree.js";

export interface CryptRules {
  unencryptedSuffix?: string;
  encryptedSuffix?: string;
  unencryptedRegex?: string;
  encryptedRegex?: string;
  unencryptedCommentRegex?: string;
  encryptedCommentRegex?: string;
}

export interface AgeKey {
  type: "age";
  recipient: string;
  enc: string;
}
export interface KmsKey {
  type: "kms";
  arn: string;
  enc: string;
  role?: string;
  awsProfile?: string;
  context: Record<string, string>;
}
/** Key types decrypted only by the sops binary. */
export interface ForeignKey {
  type: "pgp" | "gcp_kms" | "azure_kv" | "hc_vault" | "hckms";
}
export type MasterKey = AgeKey | KmsKey | ForeignKey;

export interface SopsMetadata {
  lastModified: string;
  mac: string;
  version?: string;
  macOnlyEncrypted: boolean;
  rules: CryptRules;
  keyGroups: MasterKey[][];
}

/** A metadata block that cannot be used; the message names the problem, never a value. */
export class MetadataError extends Error {
  override readonly name = "MetadataError";
}

const FOREIGN_KEY_TYPES = ["pgp", "gcp_kms", "azure_kv", "hc_vault", "hckms"] as const;
const RULE_FIELDS: Array<[keyof CryptRules, string]> = [
  ["unencryptedSuffix", "unencrypted_suffix"],
  ["encryptedSuffix", "encrypted_suffix"],
  ["unencryptedRegex", "unencrypted_regex"],
  ["encryptedRegex", "encrypted_regex"],
  ["unencryptedCommentRegex", "unencrypted_comment_regex"],
  ["encryptedCommentRegex", "encrypted_comment_regex"],
];
const DEFAULT_UNENCRYPTED_SUFFIX = "_unencrypted";

export function parseMetadata(block: MapNode): SopsMetadata {
  const lastModified = text(block, "lastmodified");
  if (!lastModified) throw new MetadataError("the sops metadata has no lastmodified");
  // sops parses both before it decrypts anything, and refuses the file if either fails.
  if (!isGoRfc3339(lastModified))
    throw new MetadataError("the sops metadata's lastmodified is not an RFC 3339 time");
  const version = text(block, "version") ?? "";
  if (!isSopsVersion(version)) throw new MetadataError("the sops metadata's version is not a version number");
  const keyGroupsNode = mapGet(block, "key_groups");
  const keyGroups = keyGroupsNode?.kind === "seq" ? keyGroupsNode.items.map(keyGroup) : [keyGroup(block)];
  return {
    lastModified,
    mac: text(block, "mac") ?? "",
    version,
    macOnlyEncrypted:
      text(block, "mac_only_encrypted") === "True" || text(block, "mac_only_encrypted") === "true",
    rules: cryptRules(block),
    keyGroups,
  };
}

function cryptRules(block: MapNode): CryptRules {
  const rules: CryptRules = {};
  for (const [field, key] of RULE_FIELDS) {
    const value = text(block, key);
    if (value) rules[field] = value;
  }
  if (Object.keys(rules).length > 1) {
    throw new MetadataError("the sops metadata sets more than one of the *_suffix/*_regex rules");
  }
  if (Object.keys(rules).length === 0) rules.unencryptedSuffix = DEFAULT_UNENCRYPTED_SUFFIX;
  return rules;
}

function keyGroup(node: TreeNode): MasterKey[] {
  if (node.kind !== "map") throw new MetadataError("a sops key group is not a map");
  const keys: MasterKey[] = [];
  for (const entry of list(node, "age")) {
    keys.push({ type: "age", recipient: text(entry, "recipient") ?? "", enc: text(entry, "enc") ?? "" });
  }
  for (const entry of list(node, "kms")) keys.push(kmsKey(entry));
  for (const type of FOREIGN_KEY_TYPES) {
    for (const _ of list(node, type)) keys.push({ type });
  }
  return keys;
}

function kmsKey(entry: MapNode): KmsKey {
  const context: Record<string, string> = {};
  const contextNode = mapGet(entry, "context");
  if (contextNode?.kind === "map") {
    for (const [key, value] of contextNode.entries) context[key] = value.kind === "scalar" ? value.text : "";
  }
  return {
    type: "kms",
    arn: text(entry, "arn") ?? "",
    enc: text(entry, "enc") ?? "",
    role: text(entry, "role") || undefined,
    awsProfile: text(entry, "aws_profile") || undefined,
    context,
  };
}

/** Older sops writes `kms: []` or `null` for unused key types: empty, null and missing are alike. */
function list(map: MapNode, key: string): MapNode[] {
  const node = mapGet(map, key);
  if (node?.kind !== "seq") return [];
  return node.items.filter((item): item is MapNode => item.kind === "map");
}

function text(map: MapNode, key: string): string | undefined {
  const node = mapGet(map, key);
  return node?.kind === "scalar" ? node.text : undefined;
}

/**
 * Rebuilds the metadata tree from flat `key__list_0__map_sub` keys (`stores/flatten.go`);
 * dotenv additionally prefixes every key with `sops_`, which the caller strips first.
 */
export function unflattenMetadata(flat: Array<[string, string]>): MapNode {
  const root: MapNode = { kind: "map", entries: [] };
  for (const [flatKey, value] of flat) {
    const [first = "", ...rest] = flatKey.split(/(__list_|__map_)/);
    const steps: Array<{ list: boolean; name: string }> = [{ list: false, name: first }];
    for (let i = 0; i < rest.length; i += 2)
      steps.push({ list: rest[i] === "__list_", name: rest[i + 1] ?? "" });
    insertFlat(root, steps, value.replaceAll("\\n", "\n"));
  }
  return root;
}

function insertFlat(root: MapNode, steps: Array<{ list: boolean; name: string }>, value: string): void {
  let container: TreeNode = root;
  steps.forEach((step, i) => {
    const next = steps[i + 1];
    const leaf = !next;
    const fresh = (): TreeNode =>
      leaf ? str(value) : next.list ? { kind: "seq", items: [] } : { kind: "map", entries: [] };
    if (container.kind === "seq") {
      const index = Number(step.name);
      while (container.items.length <= index) container.items.push(NULL);
      if (container.items[index]?.kind === "null") container.items[index] = fresh();
      container = container.items[index] ?? NULL;
    } else if (container.kind === "map") {
      let child = mapGet(container, step.name);
      if (!child) {
        child = fresh();
        container.entries.push([step.name, child]);
      }
      container = child;
    }
  });
}
