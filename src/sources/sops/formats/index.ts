/** Picks the store by file extension, exactly like sops (`cmd/sops/formats/formats.go`). */
import { extname } from "node:path";
import { parseBinary } from "./binary.js";
import { parseDotenv } from "./dotenv.js";
import { parseIni } from "./ini.js";
import { parseJson } from "./json.js";
import type { ParsedFile } from "./parsed.js";
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

export function parseSopsFile(format: SopsFormat, text: string): ParsedFile {
  return PARSERS[format](text);
}

export { FormatError, type ParsedFile } from "./parsed.js";
