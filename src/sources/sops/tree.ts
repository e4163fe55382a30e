/**
 * The order-preserving tree every format parses into and the walker decrypts. Key order
 * matters (the MAC hashes values in file order), so maps are entry lists, never JS objects.
 */

/** Scalar types as sops' Go code sees them (`ToBytes` and the ENC `type:` tag). */
export type ScalarType = "str" | "int" | "float" | "bool" | "bytes" | "time";

export interface ScalarNode {
  kind: "scalar";
  type: ScalarType;
  /**
   * The value exactly as Go's `ToBytes` renders it: what the MAC hashes. Bytes that are not
   * UTF-8 are kept as escapes (bytes.ts), so `encodeText(text)` gives the exact bytes back.
   */
  text: string;
  /** The exact plaintext bytes of a decrypted string (kept to skip re-encoding them). */
  raw?: Buffer;
}
export interface MapNode {
  kind: "map";
  entries: Array<[key: string, value: TreeNode]>;
}
export interface SeqNode {
  kind: "seq";
  items: TreeNode[];
}
export interface NullNode {
  kind: "null";
}
export type TreeNode = ScalarNode | MapNode | SeqNode | NullNode;

/** One document of a file (YAML may hold several; every other format holds one). */
export type Branch = MapNode;

export const NULL: NullNode = { kind: "null" };

export function str(text: string): ScalarNode {
  return { kind: "scalar", type: "str", text };
}

/** Maps larger than this get a hash index on first lookup: 1,000 lookups into a 1,000-key file would otherwise scan 500,000 entries. */
const INDEX_FROM = 32;
const indexes = new WeakMap<MapNode, Map<string, TreeNode>>();

export function mapGet(map: MapNode, key: string): TreeNode | undefined {
  if (map.entries.length < INDEX_FROM) return map.entries.find(([k]) => k === key)?.[1];
  let index = indexes.get(map);
  if (!index) {
    // The first entry of a key wins, as in the scan above.
    index = new Map();
    for (const [k, v] of map.entries) if (!index.has(k)) index.set(k, v);
    indexes.set(map, index);
  }
  return index.get(key);
}

/** Go's `strconv.FormatFloat(f, 'f', -1, 64)`: shortest round-trip digits, never an exponent. */
export function goFormatFloat(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "+Inf" : "-Inf";
  const shortest = Math.abs(value).toString();
  const sign = value < 0 || Object.is(value, -0) ? "-" : "";
  const expAt = shortest.indexOf("e");
  if (expAt < 0) return sign + shortest;
  const exponent = Number(shortest.slice(expAt + 1));
  const digits = shortest.slice(0, expAt).replace(".", "");
  const pointAfter = (shortest.indexOf(".") < 0 ? expAt : shortest.indexOf(".")) + exponent;
  if (pointAfter <= 0) return `${sign}0.${"0".repeat(-pointAfter)}${digits}`;
  if (pointAfter >= digits.length) return sign + digits + "0".repeat(pointAfter - digits.length);
  return `${sign}${digits.slice(0, pointAfter)}.${digits.slice(pointAfter)}`;
}

/** Go's `strconv.ParseBool`, which sops uses for decrypted `bool` plaintexts. */
export function goParseBool(text: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(text)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(text)) return false;
  return undefined;
}
