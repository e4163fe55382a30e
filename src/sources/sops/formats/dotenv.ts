/**
 * dotenv store (`stores/dotenv/store.go`): lines split on "\n"; `#` starts a comment;
 * key = text before the first "=" untrimmed, value = the rest with `\n` un-escaped. No quote
 * or `export` handling, so this is deliberately not the `dotenv` package. Metadata lines are
 * the flattened `sops_*` keys.
 */
import { unflattenMetadata } from "../metadata.js";
import { type Branch, str } from "../tree.js";
import { FormatError, type ParsedFile } from "./parsed.js";

const METADATA_PREFIX = "sops_";

export function parseDotenv(text: string): ParsedFile {
  const data: Branch = { kind: "map", entries: [] };
  const metadata: Array<[string, string]> = [];
  text.split("\n").forEach((line, index) => {
    if (line === "" || line.startsWith("#")) return;
    const equals = line.indexOf("=");
    if (equals < 0) throw new FormatError(`invalid dotenv line ${index + 1}: no "="`);
    const key = line.slice(0, equals);
    const value = line.slice(equals + 1);
    if (key.startsWith(METADATA_PREFIX)) metadata.push([key.slice(METADATA_PREFIX.length), value]);
    else data.entries.push([key, str(value.replaceAll("\\n", "\n"))]);
  });
  if (metadata.length === 0) throw new FormatError("the file has no sops metadata");
  return { branches: [data], metadata: unflattenMetadata(metadata) };
}
