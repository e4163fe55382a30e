import { parseAllDocuments } from "yaml";
import type { UserError } from "../errors";
import { ManifestDocument, type SourceFile } from "./document";
import type { FastYaml } from "./fast-yaml";

export interface ParsedFile {
  documents: { document: ManifestDocument; data: unknown }[];
  errors: UserError[];
  /** The file is a sops-encrypted YAML file that sits among the manifests, not a manifest. */
  isSopsFile: boolean;
}

/**
 * Splits a file into its non-empty YAML documents. A document with a syntax error is
 * reported at its file:line:col and left out; the others are still validated.
 */
export function parseManifestFile(source: SourceFile, fastYaml: FastYaml): ParsedFile {
  const fast = fastYaml(source.text);
  if (fast) {
    // A null document is `---` alone or only comments: nothing to validate.
    const documents = fast
      .filter(({ data }) => data !== null)
      .map(({ index, contentStart, valueKeyOffsets, data }) => ({
        document: new ManifestDocument(source, index, contentStart, undefined, valueKeyOffsets),
        data,
      }));
    return { documents, errors: [], isSopsFile: isSopsEncrypted(documents[0]?.data) };
  }
  return parseWithYaml(source);
}

/** The reference parser: keeps the syntax tree and reports every syntax error with its position. */
function parseWithYaml(source: SourceFile): ParsedFile {
  // prettyErrors would compute line positions and code frames for every document up front;
  // positions are computed lazily, only for the documents that have an error.
  const parsed = parseAllDocuments(source.text, { prettyErrors: false });
  const documents: ParsedFile["documents"] = [];
  const errors: UserError[] = [];
  for (const [index, node] of parsed.entries()) {
    if (node.errors.length > 0) {
      for (const e of node.errors) errors.push(source.errorAt(e.pos[0], `YAML syntax error: ${e.message}`));
      continue;
    }
    if (node.contents === null) continue;
    try {
      const data = node.toJS();
      // `---` alone, or a document of only comments, holds null: nothing to validate.
      if (data !== null) {
        const document = new ManifestDocument(source, index, node.contents.range[0], node);
        documents.push({ document, data });
      }
    } catch (e) {
      // toJS refuses alias bombs ("Excessive alias count") and similar abuse.
      errors.push(source.errorAt(node.contents.range[0], `YAML error: ${(e as Error).message}`));
    }
  }
  return { documents, errors, isSopsFile: isSopsEncrypted(documents[0]?.data) };
}

/** sops keeps its metadata under a top-level `sops` key; a manifest has no such field. */
function isSopsEncrypted(data: unknown): boolean {
  return typeof data === "object" && data !== null && "sops" in data && !("apiVersion" in data);
}
