/**
 * The one tree walker: decrypts every value that the crypt rules say is encrypted, and feeds
 * the MAC with each leaf's plaintext in file order (`sops.go` `Tree.Decrypt`). Array elements
 * share their parent's path (sops puts no index in the AAD); nulls and comments are skipped.
 */
import type { Hash, KeyObject } from "node:crypto";
import { decodeBytes, encodeText } from "./bytes.js";
import { additionalData, CipherError, decryptValue, isEncryptedValue } from "./cipher.js";
import { goFloatText, goParseInt, goRfc3339 } from "./go-scalars.js";
import type { EncryptionRule } from "./rules.js";
import { type Branch, goParseBool, type ScalarNode, type TreeNode } from "./tree.js";

export type LeafProblem = "not-encrypted" | "malformed" | "authentication" | "bad-plaintext";

/** A leaf that could not be decrypted; carries the key path (never the value). */
export class LeafError extends Error {
  override readonly name = "LeafError";
  constructor(
    readonly problem: LeafProblem,
    readonly path: readonly string[],
  ) {
    super(`${problem} at ${path.join(".")}`);
  }
}

export interface WalkContext {
  dataKey: KeyObject;
  shouldBeEncrypted: EncryptionRule;
  macOnlyEncrypted: boolean;
  mac: Hash;
}

export function decryptBranches(branches: Branch[], ctx: WalkContext): Branch[] {
  return branches.map((branch) => walk(branch, [], ctx) as Branch);
}

function walk(node: TreeNode, path: string[], ctx: WalkContext): TreeNode {
  switch (node.kind) {
    case "map":
      return {
        kind: "map",
        entries: node.entries.map(([key, value]) => [key, walk(value, [...path, key], ctx)]),
      };
    case "seq":
      return { kind: "seq", items: node.items.map((item) => walk(item, path, ctx)) };
    case "null":
      return node;
    case "scalar":
      return leaf(node, path, ctx);
  }
}

function leaf(node: ScalarNode, path: string[], ctx: WalkContext): ScalarNode {
  const encrypted = ctx.shouldBeEncrypted(path);
  const plain = encrypted ? decryptLeaf(node, path, ctx.dataKey) : node;
  if (encrypted || !ctx.macOnlyEncrypted) ctx.mac.update(plain.raw ?? encodeText(plain.text));
  return plain;
}

function decryptLeaf(node: ScalarNode, path: string[], dataKey: KeyObject): ScalarNode {
  // sops never encrypts an empty string.
  if (node.type === "str" && node.text === "") return node;
  if (node.type !== "str" || !isEncryptedValue(node.text)) throw new LeafError("not-encrypted", path);
  try {
    const { type, bytes } = decryptValue(node.text, dataKey, additionalData(path));
    if (type === "comment") throw new LeafError("malformed", path);
    // Keep the exact bytes: a binary file's `str` plaintext need not be valid UTF-8.
    if (type === "str" || type === "bytes")
      return { kind: "scalar", type, text: decodeBytes(bytes), raw: bytes };
    const text = goValueText(type, bytes.toString("utf8"));
    if (text === undefined) throw new LeafError("bad-plaintext", path);
    return { kind: "scalar", type, text };
  } catch (error) {
    if (error instanceof CipherError) throw new LeafError(error.reason, path);
    throw error;
  }
}

/**
 * sops parses a typed plaintext into a Go value (Atoi, ParseFloat, ParseBool, UnmarshalText),
 * refuses it when that fails, and hashes the value as `ToBytes` writes it back.
 */
function goValueText(type: "int" | "float" | "bool" | "time", plaintext: string): string | undefined {
  switch (type) {
    case "int":
      return goParseInt(plaintext, 10)?.toString();
    case "float":
      return goFloatText(plaintext);
    case "bool": {
      const value = goParseBool(plaintext);
      return value === undefined ? undefined : value ? "True" : "False";
    }
    case "time":
      return goRfc3339(plaintext);
  }
}
