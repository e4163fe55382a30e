/**
 * Every reference checked offline, before any decryption and without any key. sops keeps
 * keys, structure and the metadata in clear text, so a typo in `path`, a file that is not
 * sops at all or a value kind the selected node cannot give fails here, in `validate` and in
 * the loader that `pulumi preview`/`up` run, instead of after the keys were fetched.
 * An environment variable can only be checked for its name (the schema does that).
 */
import { readFile, stat } from "node:fs/promises";
import { confinedPath, OUTSIDE_ROOT_HINT, OutsideRootError } from "../sources/confine";
import {
  formatSegments,
  PathLookupError,
  type PathSegment,
  PathSyntaxError,
  parsePath,
  selectPath,
} from "../sources/path";
import { FormatError, formatOf, parseSopsFile, type SopsFormat } from "../sources/sops/formats/index";
import { MetadataError, parseMetadata } from "../sources/sops/metadata";
import type { MapNode, TreeNode } from "../sources/sops/tree";
import { displayPath, type Issue } from "./document";
import type { SemanticError, ValidManifest } from "./semantic";
import type { SopsRef } from "./spec";
import { editDistance } from "./validate";
import { type PlacedRef, valueReferences } from "./value-refs";

export interface ReferenceOptions {
  /** Absolute project root. */
  rootDir: string;
  /** The user's explicit opt-out of the project-root confinement. */
  allowOutsideRoot: boolean;
}

/** What is known about a sops file without its key. */
export interface SopsFileInfo {
  /** Root-relative (absolute only when reads outside the root are allowed and the manifest says so). */
  file: string;
  format: SopsFormat;
  /** sops' names of the master key types the file is encrypted to (`age`, `kms`, `pgp`, `gcp_kms`, `azure_kv`, `hc_vault`, `hckms`). */
  keyTypes: string[];
  /** Number of key groups; more than one is Shamir secret sharing, which only the sops binary decrypts. */
  keyGroups: number;
  /** The AWS KMS master keys (and the role sops assumes for each), e.g. for an IAM policy. */
  kmsKeys: Array<{ arn: string; role?: string }>;
}

type OpenedFile =
  | { info: SopsFileInfo; document: MapNode | undefined }
  | { problem: Omit<Issue, "pointer" | "at"> };

/**
 * Checks every sops reference of the valid documents against its file, read once however
 * many references use it; returns the errors and what each file needs to be decrypted.
 */
export async function referenceErrors(
  manifests: ValidManifest[],
  opts: ReferenceOptions,
): Promise<{ errors: SemanticError[]; sopsFiles: SopsFileInfo[] }> {
  const sopsRefs = manifests.flatMap(({ document, spec }) =>
    valueReferences(spec).flatMap((placed) =>
      "fromSops" in placed.ref ? [{ document, placed, ref: placed.ref }] : [],
    ),
  );
  const fileNames = [...new Set(sopsRefs.map(({ ref }) => ref.fromSops.file))];
  const opened = new Map(
    await Promise.all(fileNames.map(async (file) => [file, await openSopsFile(file, opts)] as const)),
  );
  // Thousands of manifests often name the same few paths of the same few files.
  const pathIssues = new Map<string, Issue | undefined>();
  const errors: SemanticError[] = [];
  for (const { document, placed, ref } of sopsRefs) {
    const key = `${placed.kind}\0${placed.pointer}\0${ref.fromSops.file}\0${ref.fromSops.path ?? ""}`;
    if (!pathIssues.has(key)) {
      pathIssues.set(key, checkSopsRef(placed, ref, opened.get(ref.fromSops.file) as OpenedFile));
    }
    const issue = pathIssues.get(key);
    if (issue) errors.push({ document, error: document.error(issue) });
  }
  const sopsFiles = [...opened.values()]
    .flatMap((f) => ("info" in f ? [f.info] : []))
    .sort((a, b) => (a.file < b.file ? -1 : 1));
  return { errors, sopsFiles };
}

async function openSopsFile(file: string, opts: ReferenceOptions): Promise<OpenedFile> {
  let absolute: string;
  try {
    absolute = await confinedPath(file, { rootDir: opts.rootDir, allowOutsideRoot: opts.allowOutsideRoot });
  } catch (error) {
    if (error instanceof OutsideRootError)
      return { problem: { message: error.message, hint: OUTSIDE_ROOT_HINT } };
    throw error;
  }
  const stats = await stat(absolute).catch(() => undefined);
  if (!stats)
    return {
      problem: {
        message: "names a sops file that does not exist",
        hint: "the path is relative to the manifest's own directory",
      },
    };
  if (!stats.isFile())
    return {
      problem: {
        message: stats.isDirectory()
          ? "names a folder, not a sops file"
          : "names a special file, not a sops file",
      },
    };
  const format = formatOf(absolute);
  const text = await readFile(absolute, "utf8").catch((error: NodeJS.ErrnoException) => error);
  if (text instanceof Error)
    return { problem: { message: `names a file that cannot be read (${text.code ?? text.name})` } };
  try {
    const parsed = parseSopsFile(format, text);
    const metadata = parseMetadata(parsed.metadata);
    const keys = metadata.keyGroups.flat();
    if (keys.length === 0) throw new MetadataError("the sops metadata lists no master keys");
    if (!metadata.mac) throw new MetadataError("the sops metadata has no MAC");
    const info = {
      file,
      format,
      keyTypes: [...new Set(keys.map((k) => k.type))].sort(),
      keyGroups: metadata.keyGroups.length,
      kmsKeys: keys.flatMap((k) =>
        k.type === "kms" ? [{ arn: k.arn, ...(k.role ? { role: k.role } : {}) }] : [],
      ),
    };
    return {
      info,
      document: format === "binary" ? undefined : (parsed.branches[0] ?? { kind: "map", entries: [] }),
    };
  } catch (error) {
    if (error instanceof FormatError || error instanceof MetadataError) {
      return {
        problem: {
          message: `names a file that is not a usable sops ${format} file: ${error.message}`,
          hint: "encrypt it with `sops encrypt`; sops picks the format from the extension (.yaml/.yml, .json, .env, .ini, anything else is binary)",
        },
      };
    }
    throw error;
  }
}

/** The first problem of one sops reference, or undefined. */
function checkSopsRef(placed: PlacedRef, ref: SopsRef, opened: OpenedFile): Issue | undefined {
  const filePointer = `${placed.pointer}/fromSops/file`;
  const pathPointer = `${placed.pointer}/fromSops/path`;
  const at = "value" as const;
  if ("problem" in opened)
    return {
      pointer: filePointer,
      at,
      ...opened.problem,
      message: `${displayPath(filePointer)} ${opened.problem.message}`,
    };
  const { info, document } = opened;
  const keyPath = ref.fromSops.path;
  if (placed.kind === "binary" && info.format !== "binary") {
    return {
      pointer: filePointer,
      at,
      message: `${displayPath(filePointer)} names a sops ${info.format} file; a binary value needs a sops binary file`,
      hint: "encrypt the raw file with sops under a name that does not end in .yaml, .yml, .json, .env or .ini, or use a string value with a path",
    };
  }
  if (keyPath === undefined) return undefined;
  if (!document) {
    return {
      pointer: pathPointer,
      at,
      message: `${displayPath(pathPointer)} selects a key, but a sops binary file has no keys`,
      hint: "remove path to use the whole file",
    };
  }
  return pathIssue(pathPointer, keyPath, document);
}

/** A path that is malformed or finds nothing in the file's first document (sops' own `--extract` reads that one too). */
function pathIssue(pointer: string, keyPath: string, document: MapNode): Issue | undefined {
  const subject = displayPath(pointer);
  let segments: PathSegment[];
  try {
    segments = parsePath(keyPath);
  } catch (error) {
    if (!(error instanceof PathSyntaxError)) throw error;
    return { pointer, at: "value", message: `${subject} is not a valid path: ${error.message}` };
  }
  try {
    selectPath(document, segments);
    return undefined;
  } catch (error) {
    if (!(error instanceof PathLookupError)) throw error;
    const reached = segments.slice(0, error.depth);
    const parent = selectPath(document, reached);
    const where =
      reached.length === 0
        ? "at the top level of the sops file"
        : `under ${formatSegments(reached)} in the sops file`;
    return {
      pointer,
      at: "value",
      message: `${subject}: segment ${error.depth + 1} finds nothing ${where}${lookupReason(error, parent)}`,
      ...hintFor(parent, segments[error.depth] as PathSegment),
    };
  }
}

function lookupReason(error: PathLookupError, parent: TreeNode): string {
  if (error.problem === "not-an-array") return " (it is a map, not a list)";
  if (error.problem === "not-a-container")
    return parent.kind === "seq" ? " (it is a list, not a map)" : " (it is a single value)";
  return "";
}

const MAX_LISTED_KEYS = 10;

/**
 * "Did you mean": the keys and list bounds are clear text in a sops file, so they can be
 * shown; the user's own segment is not repeated (any field of a manifest may hold a pasted secret).
 */
function hintFor(parent: TreeNode, failing: PathSegment): { hint?: string } {
  if (parent.kind === "seq")
    return { hint: `the list there has ${parent.items.length} item(s), indexed from 0` };
  if (parent.kind !== "map") return {};
  const keys = parent.entries.map(([key]) => key);
  if (keys.length === 0) return { hint: "the map there is empty" };
  const wanted =
    "key" in failing ? failing.key : "keyOrIndex" in failing ? failing.keyOrIndex : String(failing.index);
  const tolerance = Math.max(1, Math.min(2, Math.floor(wanted.length / 3)));
  const nearest = keys.reduce(
    (best, key) => {
      const distance = editDistance(key.toLowerCase(), wanted.toLowerCase());
      return distance < best.distance ? { key, distance } : best;
    },
    { key: "", distance: Number.POSITIVE_INFINITY },
  );
  const close = nearest.distance <= tolerance ? nearest.key : undefined;
  const listed = keys
    .slice(0, MAX_LISTED_KEYS)
    .map((k) => `\`${k}\``)
    .join(", ");
  const more = keys.length > MAX_LISTED_KEYS ? `, and ${keys.length - MAX_LISTED_KEYS} more` : "";
  return { hint: `${close === undefined ? "" : `did you mean \`${close}\`? `}keys there: ${listed}${more}` };
}
