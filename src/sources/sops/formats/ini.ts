/**
 * INI store (`stores/ini/store.go`, gopkg.in/ini.v1 with default options): sections become
 * top-level keys (an implicit, possibly empty `DEFAULT` section first), every value is a
 * string, and the `[sops]` section holds the flattened metadata.
 */
import { unflattenMetadata } from "../metadata.js";
import { type Branch, type MapNode, str } from "../tree.js";
import { FormatError, METADATA_KEY, type ParsedFile } from "./parsed.js";

const DEFAULT_SECTION = "DEFAULT";
const SECTION = /^\[(.*)\]$/;

export function parseIni(text: string): ParsedFile {
  const sections = readSections(text);
  const sopsSection = sections.entries.find(([name]) => name === METADATA_KEY)?.[1] as MapNode | undefined;
  if (!sopsSection) throw new FormatError("the file has no [sops] section");
  const flat = sopsSection.entries.map(([key, value]): [string, string] => [
    key,
    value.kind === "scalar" ? value.text : "",
  ]);
  const data: Branch = { kind: "map", entries: sections.entries.filter(([name]) => name !== METADATA_KEY) };
  return { branches: [data], metadata: unflattenMetadata(flat) };
}

function readSections(text: string): MapNode {
  const root: MapNode = { kind: "map", entries: [[DEFAULT_SECTION, { kind: "map", entries: [] }]] };
  let current = root.entries[0]?.[1] as MapNode;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? "").trim();
    if (line === "" || line.startsWith(";") || line.startsWith("#")) continue;
    const section = SECTION.exec(line);
    if (section) {
      current = sectionNamed(root, (section[1] ?? "").trim());
      continue;
    }
    const separator = line.search(/[=:]/);
    if (separator < 0) throw new FormatError(`invalid INI line ${i + 1}: no "=" or ":"`);
    const key = unquoteKey(line.slice(0, separator).trim());
    const [value, consumed] = readValue(line.slice(separator + 1).trim(), lines, i);
    i = consumed;
    const existing = current.entries.findIndex(([k]) => k === key);
    if (existing >= 0) current.entries.splice(existing, 1);
    current.entries.push([key, str(value)]);
  }
  return root;
}

function sectionNamed(root: MapNode, name: string): MapNode {
  const found = root.entries.find(([key]) => key === name)?.[1];
  if (found?.kind === "map") return found;
  const section: MapNode = { kind: "map", entries: [] };
  root.entries.push([name, section]);
  return section;
}

function unquoteKey(key: string): string {
  const quoted = /^(["`])(.*)\1$/.exec(key);
  return quoted ? (quoted[2] ?? "") : key;
}

/** go-ini's value reading: `"""…"""` may span lines, `"…"`/`` `…` `` are unquoted, else an inline comment ends it. */
function readValue(first: string, lines: string[], index: number): [string, number] {
  if (first.startsWith('"""')) {
    const rest = first.slice(3);
    const closing = rest.indexOf('"""');
    if (closing >= 0) return [rest.slice(0, closing), index];
    const parts = [rest];
    for (let i = index + 1; i < lines.length; i++) {
      const line = lines[i] ?? "";
      const end = line.indexOf('"""');
      if (end >= 0) return [[...parts, line.slice(0, end)].join("\n"), i];
      parts.push(line);
    }
    throw new FormatError(`unterminated """ value at INI line ${index + 1}`);
  }
  const quoted = /^(["`])(.*)\1$/.exec(first);
  if (quoted) return [quoted[2] ?? "", index];
  const comment = first.search(/[#;]/);
  return [comment >= 0 ? first.slice(0, comment).trim() : first, index];
}
