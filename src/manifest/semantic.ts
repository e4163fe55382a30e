import type { UserError } from "../errors";
import type { Issue, ManifestDocument } from "./document";
import { referenceErrors, type SopsFileInfo } from "./references";
import { MAX_SECRET_BYTES } from "./schema";
import type { SecretSpec } from "./spec";
import { valuePolicyIssues } from "./value-policies";

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

export interface SemanticOptions {
  /** Absolute project root. */
  rootDir: string;
  /** The user's explicit opt-out of the project-root confinement. */
  allowOutsideRoot: boolean;
}

export interface SemanticResult {
  errors: SemanticError[];
  /** Advice that does not make a document invalid (`--strict` makes them errors). */
  warnings: SemanticError[];
  /** The sops files the references read, with the key types they need. */
  sopsFiles: SopsFileInfo[];
}

/** The rules a JSON Schema cannot express: they span documents, the file system or the encoded value. */
export async function semanticChecks(
  manifests: ValidManifest[],
  opts: SemanticOptions,
): Promise<SemanticResult> {
  const perDocument = manifests.flatMap(({ document, spec }) =>
    [...oversizedJson(spec), ...duplicateReplicaRegions(spec)].map((issue) => ({
      document,
      error: document.error(issue),
    })),
  );
  const references = await referenceErrors(manifests, opts);
  const policies = await Promise.all(
    manifests.map(({ document, spec }) => {
      const located = (issues: Issue[]) =>
        issues.map((issue) => ({ document, error: document.error(issue) }));
      const issues = valuePolicyIssues(spec, opts);
      return Array.isArray(issues) ? located(issues) : issues.then(located);
    }),
  );
  return {
    errors: [...duplicateNames(manifests), ...perDocument, ...policies.flat(), ...references.errors],
    warnings: manifests.flatMap(({ document, spec }) =>
      nameWarnings(spec).map((issue) => ({ document, error: document.error(issue) })),
    ),
    sopsFiles: references.sopsFiles,
  };
}

/** The end of every secret's ARN: a hyphen and six random characters. */
const ARN_SUFFIX_LIKE = /-[A-Za-z0-9]{6}$/;

/**
 * AWS advises against names ending like an ARN suffix ("Do not end your secret name with a
 * hyphen followed by six characters"): a lookup by partial ARN could then match another
 * secret. Advice, not an API rule: such names exist and must stay adoptable.
 */
function nameWarnings(spec: SecretSpec): Issue[] {
  if (!ARN_SUFFIX_LIKE.test(spec.name)) return [];
  return [
    {
      pointer: "/metadata/name",
      at: "value",
      message:
        "metadata.name ends with a hyphen followed by six letters or digits, like the random suffix AWS appends to every secret ARN",
      hint: "AWS advises against such names: a lookup by partial ARN could match another secret; keep the name if the secret already exists or is only looked up by full name or ARN",
    },
  ];
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
      message: `duplicate secret name: also declared at ${first.source.file}:${first.source.line}`,
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
  const fields = spec.value.fields;
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
  const seen = new Map<string, number>();
  const issues: Issue[] = [];
  spec.replicas.forEach((replica, index) => {
    const firstIndex = seen.get(replica.region);
    if (firstIndex !== undefined) {
      issues.push({
        pointer: `/spec/replicas/${index}/region`,
        at: "value",
        message: `spec.replicas lists this region more than once (also spec.replicas[${firstIndex}])`,
        hint: "keep one replica per region",
      });
      return;
    }
    seen.set(replica.region, index);
  });
  return issues;
}
