import { stat } from "node:fs/promises";
import * as path from "node:path";
import type { UserError } from "../errors";
import { type Issue, joinPointer, type ManifestDocument } from "./document";
import { MAX_SECRET_BYTES } from "./schema";
import type { SecretSpec, SopsRef } from "./spec";

/** A schema-valid document and its normalized spec. */
export interface ValidManifest {
  document: ManifestDocument;
  spec: SecretSpec;
}

/** A semantic error and the document it makes invalid. */
export interface SemanticError {
  document: ManifestDocument;
  error: UserError;
}

/** The rules a JSON Schema cannot express: they span documents, the file system or the encoded value. */
export async function semanticErrors(manifests: ValidManifest[], rootDir: string): Promise<SemanticError[]> {
  const perDocument = manifests.flatMap(({ document, spec }) =>
    [...oversizedJson(spec), ...duplicateReplicaRegions(spec)].map((issue) => ({
      document,
      error: document.error(issue),
    })),
  );
  return [...duplicateNames(manifests), ...perDocument, ...(await missingSopsFiles(manifests, rootDir))];
}

function duplicateNames(manifests: ValidManifest[]): SemanticError[] {
  const firstByName = new Map<string, SecretSpec>();
  const errors: SemanticError[] = [];
  for (const { document, spec } of manifests) {
    const first = firstByName.get(spec.name);
    if (!first) {
      firstByName.set(spec.name, spec);
      continue;
    }
    const error = document.error({
      pointer: "/metadata/name",
      at: "value",
      message: `duplicate secret name \`${spec.name}\`: also declared at ${first.source.file}:${first.source.line}`,
      hint: "each secret may be declared by one manifest only; rename or remove one of them",
    });
    errors.push({ document, error });
  }
  return errors;
}

/**
 * The SecretString of a JSON value is at least as long as its literal fields with every
 * reference counted as empty, so that lower bound already proves some values too large.
 */
function oversizedJson(spec: SecretSpec): Issue[] {
  if (spec.value?.kind !== "json") return [];
  const fields = Object.entries(spec.value.fields);
  const literalOnly = fields.map(([key, field]) => [
    key,
    field !== null && typeof field === "object" ? "" : field,
  ]);
  const bytes = Buffer.byteLength(JSON.stringify(Object.fromEntries(literalOnly)));
  if (bytes <= MAX_SECRET_BYTES) return [];
  const allLiteral = fields.every(([, field]) => field === null || typeof field !== "object");
  return [
    {
      pointer: "/spec/value/json",
      at: "key",
      message: `spec.value.json encodes to ${allLiteral ? "" : "at least "}${bytes} bytes of SecretString; AWS allows at most ${MAX_SECRET_BYTES}`,
      hint: "move large content into a separate secret or shorten the literal fields",
    },
  ];
}

function duplicateReplicaRegions(spec: SecretSpec): Issue[] {
  const seen = new Set<string>();
  const issues: Issue[] = [];
  spec.replicas.forEach((replica, index) => {
    if (seen.has(replica.region)) {
      issues.push({
        pointer: `/spec/replicas/${index}/region`,
        at: "value",
        message: `spec.replicas lists the region \`${replica.region}\` more than once`,
        hint: "keep one replica per region",
      });
    }
    seen.add(replica.region);
  });
  return issues;
}

/** Every sops reference of a spec with the JSON pointer of its `file` field. */
function sopsReferences(spec: SecretSpec): { pointer: string; ref: SopsRef }[] {
  const value = spec.value;
  const refs: { pointer: string; ref: SopsRef }[] = [];
  if (value === undefined) return refs;
  if (value.kind === "json") {
    for (const [key, field] of Object.entries(value.fields)) {
      if (field !== null && typeof field === "object" && "fromSops" in field) {
        refs.push({ pointer: joinPointer("/spec/value/json", key), ref: field });
      }
    }
  } else if ("fromSops" in value.ref) {
    refs.push({ pointer: `/spec/value/${value.kind}`, ref: value.ref });
  }
  return refs.map(({ pointer, ref }) => ({ pointer: `${pointer}/fromSops/file`, ref }));
}

async function missingSopsFiles(manifests: ValidManifest[], rootDir: string): Promise<SemanticError[]> {
  const isFile = new Map<string, Promise<boolean>>();
  const checkOnce = (file: string) => {
    let known = isFile.get(file);
    if (!known) {
      known = stat(path.resolve(rootDir, file)).then(
        (s) => s.isFile(),
        () => false,
      );
      isFile.set(file, known);
    }
    return known;
  };
  const checks = manifests.flatMap(({ document, spec }) =>
    sopsReferences(spec).map(async ({ pointer, ref }) =>
      (await checkOnce(ref.fromSops.file))
        ? []
        : [
            {
              document,
              error: document.error({
                pointer,
                at: "value",
                message: `sops file \`${ref.fromSops.file}\` does not exist`,
                hint: "the path is relative to the manifest's own directory",
              }),
            },
          ],
    ),
  );
  return (await Promise.all(checks)).flat();
}
