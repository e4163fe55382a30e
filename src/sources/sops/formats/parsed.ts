import type { Branch, MapNode } from "../tree.js";

/** A sops file split into its data branches and its `sops` metadata block. */
export interface ParsedFile {
  branches: Branch[];
  metadata: MapNode;
}

/** The file is not a well-formed sops file of its format; the message never holds a value. */
export class FormatError extends Error {
  override readonly name = "FormatError";
}

export const METADATA_KEY = "sops";

/** Tree formats keep metadata under a top-level `sops` key: read the first, strip it from all. */
export function splitMetadata(documents: Branch[]): ParsedFile {
  const metadata = documents[0]?.entries.find(([key]) => key === METADATA_KEY)?.[1];
  if (metadata?.kind !== "map") throw new FormatError("the file has no sops metadata");
  const branches = documents.map((doc) => ({
    kind: "map" as const,
    entries: doc.entries.filter(([key]) => key !== METADATA_KEY),
  }));
  return { branches, metadata };
}
