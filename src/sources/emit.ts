/**
 * Decrypted tree → JSON. Compact for SecretString (no HTML escaping, exact integers), or
 * exactly as sops' JSON store prints it (Go encoding/json: tab indent, `<>&` escaped),
 * which is what a `kind: string` reference to a non-string value yields. Both write what
 * Go writes where JS would differ: `-0`, one `\ufffd` per byte that is not UTF-8, and a
 * refusal (UnsupportedJsonValue) for NaN and infinities, which sops refuses too.
 */
import { goJsonEscapes } from "./sops/bytes.js";
import { goParseBool, type ScalarNode, type TreeNode } from "./sops/tree.js";

export interface JsonStyle {
  indent: "" | "\t";
  goEscaping: boolean;
}

export const COMPACT: JsonStyle = { indent: "", goEscaping: false };
export const SOPS_JSON: JsonStyle = { indent: "\t", goEscaping: true };

export function emitJson(node: TreeNode, style: JsonStyle, depth = 0): string {
  const pad = style.indent ? `\n${style.indent.repeat(depth + 1)}` : "";
  const close = style.indent ? `\n${style.indent.repeat(depth)}` : "";
  const colon = style.indent ? ": " : ":";
  switch (node.kind) {
    case "null":
      return "null";
    case "scalar":
      return emitScalar(node, style);
    case "seq":
      if (node.items.length === 0) return "[]";
      return `[${node.items.map((item) => pad + emitJson(item, style, depth + 1)).join(",")}${close}]`;
    case "map":
      if (node.entries.length === 0) return "{}";
      return `{${node.entries
        .map(([key, value]) => pad + jsonString(key, style) + colon + emitJson(value, style, depth + 1))
        .join(",")}${close}}`;
  }
}

function emitScalar(node: ScalarNode, style: JsonStyle): string {
  switch (node.type) {
    case "int":
      return node.text;
    case "float":
      return goJsonFloat(node.text);
    case "bool":
      return String(goParseBool(node.text) ?? false);
    default:
      return jsonString(node.text, style);
  }
}

/** Go's encoding/json refuses these, and `sops decrypt` with it (`json: unsupported value: +Inf`). */
export class UnsupportedJsonValue extends Error {
  override readonly name = "UnsupportedJsonValue";
  constructor(readonly value: "NaN" | "+Inf" | "-Inf") {
    super(`JSON cannot hold ${value}`);
  }
}

/**
 * Go's float encoder: the shortest digits, an exponent below 1e-6 or from 1e21 on, which is
 * what JS prints too, except that Go keeps the sign of -0.
 */
function goJsonFloat(text: string): string {
  if (text === "NaN" || text === "+Inf" || text === "-Inf") throw new UnsupportedJsonValue(text);
  const value = Number(text);
  return Object.is(value, -0) ? "-0" : JSON.stringify(value);
}

const GO_HTML_ESCAPES = /[<>&\u2028\u2029]/g;

export function jsonString(text: string, style: JsonStyle): string {
  const json = goJsonEscapes(JSON.stringify(text));
  if (!style.goEscaping) return json;
  return json.replace(GO_HTML_ESCAPES, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** A JS value for `ResolvedValue.fields`; integers beyond 2^53 stay exact as JSON.rawJSON. */
export function toJsValue(node: TreeNode): unknown {
  switch (node.kind) {
    case "null":
      return null;
    case "seq":
      return node.items.map(toJsValue);
    case "map":
      return Object.fromEntries(node.entries.map(([key, value]) => [key, toJsValue(value)]));
    case "scalar":
      return scalarJsValue(node);
  }
}

function scalarJsValue(node: ScalarNode): unknown {
  switch (node.type) {
    case "int":
      return Number.isSafeInteger(Number(node.text)) ? Number(node.text) : rawJson(node.text);
    case "float":
      return Number(node.text);
    case "bool":
      return goParseBool(node.text) ?? false;
    default:
      return node.text;
  }
}

/** Node ≥ 21 has JSON.rawJSON; TypeScript's es2023 lib does not declare it yet. */
function rawJson(text: string): unknown {
  return (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON(text);
}
