/**
 * YAML store: every document is a branch, the first document's `sops` key is the metadata
 * (each document carries a copy). Plain scalars are typed the way go.yaml.in/yaml/v3 types
 * them, because unencrypted values enter the MAC in Go's formatting.
 */
import {
  type Alias,
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type Node,
  parseAllDocuments,
  Scalar,
} from "yaml";
import { type Branch, goFormatFloat, NULL, type ScalarNode, str, type TreeNode } from "../tree.js";
import { FormatError, type ParsedFile, splitMetadata } from "./parsed.js";

export function parseYaml(text: string): ParsedFile {
  const documents = parseAllDocuments(text, { schema: "failsafe", uniqueKeys: false });
  if (!Array.isArray(documents)) throw new FormatError("the file is empty");
  const branches = documents.map((doc) => {
    if (doc.errors.length > 0)
      throw new FormatError(`invalid YAML at line ${doc.errors[0]?.linePos?.[0].line ?? 1}`);
    const root = toTree(doc.contents, doc);
    if (root.kind !== "map") throw new FormatError("a YAML document is not a mapping");
    return root;
  });
  return splitMetadata(branches);
}

function toTree(node: Node | null | undefined, doc: Document.Parsed): TreeNode {
  if (node === null || node === undefined) return NULL;
  if (isAlias(node)) return toTree((node as Alias).resolve(doc) as Node | undefined, doc);
  if (isMap(node)) {
    const entries: Branch["entries"] = node.items.map((pair) => [
      keyText(pair.key, doc),
      toTree(pair.value as Node, doc),
    ]);
    return { kind: "map", entries };
  }
  if (isSeq(node)) return { kind: "seq", items: node.items.map((item) => toTree(item as Node, doc)) };
  if (isScalar(node)) return scalar(node);
  throw new FormatError("unsupported YAML node");
}

function keyText(key: unknown, doc: Document.Parsed): string {
  const node = isAlias(key) ? (key as Alias).resolve(doc) : key;
  return isScalar(node) ? String(node.value) : String(node);
}

const TAG_STR = "tag:yaml.org,2002:str";

function scalar(node: Scalar): ScalarNode | typeof NULL {
  const value = String(node.value);
  const explicitStr = node.tag === TAG_STR || node.tag === "!!str";
  if (node.type !== Scalar.PLAIN || explicitStr) return str(value);
  return resolvePlain(value);
}

const NULLS = new Set(["", "~", "null", "Null", "NULL"]);
const TRUES = new Set(["true", "True", "TRUE"]);
const FALSES = new Set(["false", "False", "FALSE"]);
const DECIMAL_INT = /^[-+]?[0-9]+$/;
const PREFIXED_INT = /^([-+]?)0([box])([0-9a-fA-F_]+)$/;
const YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/** yaml.v3 `resolve` for a plain scalar, rendered as Go's `ToBytes` would render the result. */
function resolvePlain(plain: string): ScalarNode | typeof NULL {
  if (NULLS.has(plain)) return NULL;
  if (TRUES.has(plain)) return { kind: "scalar", type: "bool", text: "True" };
  if (FALSES.has(plain)) return { kind: "scalar", type: "bool", text: "False" };
  const int = goInt(plain);
  if (int !== undefined) return { kind: "scalar", type: "int", text: int.toString() };
  const special = specialFloat(plain);
  if (special !== undefined) return { kind: "scalar", type: "float", text: goFormatFloat(special) };
  if (YAML_FLOAT.test(plain)) return { kind: "scalar", type: "float", text: goFormatFloat(Number(plain)) };
  const time = goTimestamp(plain);
  if (time) return { kind: "scalar", type: "time", text: time };
  return str(plain);
}

/** Go's ParseInt(s, 0, 64): decimal, 0b/0o/0x (underscores allowed after a prefix), leading-0 octal. */
function goInt(plain: string): bigint | undefined {
  let value: bigint | undefined;
  const prefixed = PREFIXED_INT.exec(plain);
  if (prefixed) {
    const [, sign, base, digits = ""] = prefixed;
    const clean = digits.replaceAll("_", "");
    if (
      clean === "" ||
      !new RegExp(`^[${base === "b" ? "01" : base === "o" ? "0-7" : "0-9a-fA-F"}]+$`).test(clean)
    ) {
      return undefined;
    }
    value = BigInt(`0${base}${clean}`) * (sign === "-" ? -1n : 1n);
  } else if (DECIMAL_INT.test(plain)) {
    const unsigned = plain.replace(/^[-+]/, "");
    const negative = plain.startsWith("-");
    if (unsigned.length > 1 && unsigned.startsWith("0")) {
      if (!/^[0-7]+$/.test(unsigned)) return undefined;
      value = BigInt(`0o${unsigned}`) * (negative ? -1n : 1n);
    } else {
      value = BigInt(unsigned) * (negative ? -1n : 1n);
    }
  }
  if (value === undefined || value > INT64_MAX || value < INT64_MIN) return undefined;
  return value;
}

function specialFloat(plain: string): number | undefined {
  if ([".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"].includes(plain)) return Number.POSITIVE_INFINITY;
  if (["-.inf", "-.Inf", "-.INF"].includes(plain)) return Number.NEGATIVE_INFINITY;
  if ([".nan", ".NaN", ".NAN"].includes(plain)) return Number.NaN;
  return undefined;
}

const DATE_ONLY = /^(\d{4})-(\d{1,2})-(\d{1,2})$/;
const DATE_TIME =
  /^(\d{4})-(\d{1,2})-(\d{1,2})[Tt ](\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d+)?(Z|[-+]\d{2}:\d{2})?$/;

/** A plain timestamp rendered as Go's time.MarshalText (RFC3339Nano); yaml.v3 formats only. */
function goTimestamp(plain: string): string | undefined {
  const pad = (n: string | undefined) => (n ?? "").padStart(2, "0");
  const date = DATE_ONLY.exec(plain);
  if (date) return `${date[1]}-${pad(date[2])}-${pad(date[3])}T00:00:00Z`;
  const dt = DATE_TIME.exec(plain);
  if (!dt) return undefined;
  const fraction = (dt[7] ?? "").slice(0, 10).replace(/0+$/, "").replace(/^\.$/, "");
  return `${dt[1]}-${pad(dt[2])}-${pad(dt[3])}T${pad(dt[4])}:${pad(dt[5])}:${pad(dt[6])}${fraction}${dt[8] ?? "Z"}`;
}
