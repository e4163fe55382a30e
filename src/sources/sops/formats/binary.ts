/**
 * Binary store: the whole plaintext is one value, stored as JSON `{"data": "ENC[…]", "sops": {…}}`
 * (AAD `data:`). Its plaintext may be any bytes, so callers read it as a Buffer.
 */
import { parseJson } from "./json.js";
import { FormatError, type ParsedFile } from "./parsed.js";

export const BINARY_DATA_KEY = "data";

export function parseBinary(text: string): ParsedFile {
  const parsed = parseJson(text);
  const data = parsed.branches[0]?.entries.find(([key]) => key === BINARY_DATA_KEY)?.[1];
  if (data?.kind !== "scalar") throw new FormatError('a sops binary file needs a "data" string');
  return parsed;
}
