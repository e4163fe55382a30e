/**
 * INI store (`stores/ini/store.go`): gopkg.in/ini.v1 with sops' options (non-unique sections,
 * everything else default), read line by line as its parser reads them. Sections become
 * top-level keys (an implicit, possibly empty `DEFAULT` section first), every value is a
 * string, and the `[sops]` section holds the flattened metadata.
 */
import { unflattenMetadata } from "../metadata.js";
import { type Branch, type MapNode, str } from "../tree.js";
import { FormatError, METADATA_KEY, type ParsedFile } from "./parsed.js";

const DEFAULT_SECTION = "DEFAULT";

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

/** Go's unicode.IsSpace. */
const SPACE = "\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const LEADING_SPACE = new RegExp(`^[${SPACE}]+`);
const TRAILING_SPACE = new RegExp(`[${SPACE}]+$`);
const trimLeft = (s: string) => s.replace(LEADING_SPACE, "");
const trim = (s: string) => trimLeft(s).replace(TRAILING_SPACE, "");
/** A byte-order mark that go-ini skips: UTF-8, or either UTF-16 mark (seen here as two escaped bytes). */
const BOM = /^(\ufeff|\udcfe\udcff|\udcff\udcfe)/;

/** Lines as go-ini reads them: each keeps its "\n", so a quoted value can span lines. */
class Lines {
  private at = 0;
  private readonly lines: string[];
  constructor(text: string) {
    this.lines = text.replace(BOM, "").split(/(?<=\n)/);
  }
  next(): string | undefined {
    return this.lines[this.at++];
  }
  get number(): number {
    return this.at;
  }
}

function readSections(text: string): MapNode {
  const root: MapNode = { kind: "map", entries: [[DEFAULT_SECTION, { kind: "map", entries: [] }]] };
  let section = root.entries[0]?.[1] as MapNode;
  let autoKey = 1;
  const lines = new Lines(text);
  for (let raw = lines.next(); raw !== undefined; raw = lines.next()) {
    const line = trimLeft(raw);
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    if (line.startsWith("[")) {
      const close = line.lastIndexOf("]");
      if (close < 0) throw new FormatError(`unclosed section at INI line ${lines.number}`);
      if (close === 1) throw new FormatError(`empty section name at INI line ${lines.number}`);
      // sops reads INI with non-unique sections: a repeated name is a new section.
      section = { kind: "map", entries: [] };
      root.entries.push([line.slice(1, close), section]);
      autoKey = 1;
      continue;
    }
    const [name, valueAt] = readKeyName(line, lines.number);
    const key = name === "-" ? `#${autoKey++}` : name;
    if (key === "") throw new FormatError(`empty key name at INI line ${lines.number}`);
    setKey(section, key, readValue(line.slice(valueAt), lines));
  }
  return root;
}

/** A repeated key keeps its first position and takes the last value (go-ini without shadows). */
function setKey(section: MapNode, key: string, value: string): void {
  const existing = section.entries.find(([k]) => k === key);
  if (existing) existing[1] = str(value);
  else section.entries.push([key, str(value)]);
}

/** go-ini's readKeyName: a key may be quoted with `"`, `"""` or a backquote; returns the name and where the value starts. */
function readKeyName(line: string, lineNumber: number): [string, number] {
  const quote =
    line.startsWith('"""') && line.length > 6 ? '"""' : line[0] === '"' || line[0] === "`" ? line[0] : "";
  if (quote) {
    const close = line.indexOf(quote, quote.length);
    if (close < 0) throw new FormatError(`missing closing key quote at INI line ${lineNumber}`);
    const delimiter = line.slice(close + quote.length).search(/[=:]/);
    if (delimiter < 0) throw new FormatError(`no "=" or ":" at INI line ${lineNumber}`);
    return [trim(line.slice(quote.length, close)), close + quote.length + delimiter + 1];
  }
  const delimiter = line.search(/[=:]/);
  if (delimiter < 0) throw new FormatError(`no "=" or ":" at INI line ${lineNumber}`);
  if (delimiter === 0) throw new FormatError(`empty key name at INI line ${lineNumber}`);
  return [trim(line.slice(0, delimiter)), delimiter + 1];
}

/** go-ini's readValue with default options: `"""`/backquoted values (possibly multi-line), `\` continuations, inline comments, surrounding quotes. */
function readValue(rest: string, lines: Lines): string {
  const line = trimLeft(rest);
  if (line === "") return "";
  const quote = line.length > 3 && line.startsWith('"""') ? '"""' : line.startsWith("`") ? "`" : "";
  if (quote) {
    const body = line.slice(quote.length);
    const close = body.lastIndexOf(quote);
    return close >= 0 ? body.slice(0, close) : readMultiline(body, quote, lines);
  }
  let value = trim(line);
  if (value.endsWith("\\")) return readContinuation(value.slice(0, -1), lines);
  const comment = value.search(/[#;]/);
  if (comment >= 0) value = trim(value.slice(0, comment));
  return hasSurroundingQuote(value, "'") || hasSurroundingQuote(value, '"') ? value.slice(1, -1) : value;
}

function readMultiline(first: string, quote: string, lines: Lines): string {
  let value = first;
  const start = lines.number;
  for (let next = lines.next(); next !== undefined; next = lines.next()) {
    const close = next.lastIndexOf(quote);
    if (close >= 0) return value + next.slice(0, close);
    value += next;
  }
  throw new FormatError(`unterminated ${quote} value at INI line ${start}`);
}

function readContinuation(first: string, lines: Lines): string {
  let value = first;
  for (let next = lines.next(); next !== undefined; next = lines.next()) {
    const part = trim(next);
    if (part === "") break;
    value += part;
    if (!value.endsWith("\\")) break;
    value = value.slice(0, -1);
  }
  return value;
}

/** The first and last characters are the quote, and it appears nowhere else. */
function hasSurroundingQuote(value: string, quote: string): boolean {
  return value.length >= 2 && value.startsWith(quote) && value.indexOf(quote, 1) === value.length - 1;
}
