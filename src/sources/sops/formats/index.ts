/** Picks the store by file extension, exactly like sops (`cmd/sops/formats/formats.go`). */
import { isUtf8 } from "node:buffer";
import { extname } from "node:path";
import { decodeBytes, replaceRawBytes } from "../bytes.js";
import type { TreeNode } from "../tree.js";
import { parseBinary } from "./binary.js";
import { parseDotenv } from "./dotenv.js";
import { parseIni } from "./ini.js";
import { parseJson } from "./json.js";
import { FormatError, type ParsedFile } from "./parsed.js";
import { parseYaml } from "./yaml.js";

export type SopsFormat = "yaml" | "json" | "dotenv" | "ini" | "binary";

export function formatOf(path: string): SopsFormat {
  switch (extname(path)) {
    case ".yaml":
    case ".yml":
      return "yaml";
    case ".json":
      return "json";
    case ".env":
      return "dotenv";
    case ".ini":
      return "ini";
    default:
      return "binary";
  }
}

const PARSERS: Record<SopsFormat, (text: string) => ParsedFile> = {
  yaml: parseYaml,
  json: parseJson,
  dotenv: parseDotenv,
  ini: parseIni,
  binary: parseBinary,
};

/**
 * A file's bytes as the text its store reads, bad UTF-8 handled as Go's parser does: the
 * YAML parser refuses it, the JSON decoder turns each bad byte in a string into U+FFFD, and
 * dotenv and INI keep the bytes as they are (escaped, see bytes.ts).
 */
export function sopsText(format: SopsFormat, bytes: Buffer): string {
  switch (format) {
    case "yaml":
      if (!isUtf8(bytes)) throw new FormatError("the file is not valid UTF-8, which YAML requires");
      return bytes.toString("utf8");
    case "json":
    case "binary":
      return replaceRawBytes(decodeBytes(bytes));
    case "dotenv":
    case "ini":
      return decodeBytes(bytes);
  }
}

export function parseSopsFile(format: SopsFormat, text: string): ParsedFile {
  const parsed = PARSERS[format](text);
  for (const branch of parsed.branches) rejectDuplicateKeys(branch, "");
  return parsed;
}

/**
 * A key given twice is refused. The MAC hashes values only and skips empty strings and
 * nulls, so `password: ""` added after an encrypted `password` keeps the MAC valid, and a
 * reader taking the last key (JSON.parse, most consumers of the whole document) gets the
 * blank value: a tampered file would decrypt to a wrong value. A file sops wrote from a
 * well-formed document has no duplicates.
 */
function rejectDuplicateKeys(node: TreeNode, at: string): void {
  if (node.kind === "seq") {
    for (const [i, item] of node.items.entries()) rejectDuplicateKeys(item, `${at}[${i}]`);
  }
  if (node.kind !== "map") return;
  const seen = new Set<string>();
  for (const [key, value] of node.entries) {
    const path = at ? `${at}.${key}` : key;
    if (seen.has(key))
      throw new FormatError(`the key "${path}" appears twice; a sops file never repeats a key`);
    seen.add(key);
    rejectDuplicateKeys(value, path);
  }
}

export { FormatError, type ParsedFile } from "./parsed.js";
