/**
 * Selecting a value inside a decrypted document. Two spellings:
 * - dotted: `db.password`, `hosts.0` (a numeric segment indexes an array, or names a map key);
 * - sops --extract: `["db"]["password"]`, `["hosts"][0]` (quoted = key, bare number = index),
 *   needed for keys that contain dots.
 */
import type { TreeNode } from "./sops/tree.js";
import { mapGet } from "./sops/tree.js";

export type PathSegment = { key: string } | { index: number } | { keyOrIndex: string };

export class PathSyntaxError extends Error {
  override readonly name = "PathSyntaxError";
}

/** The path could not be followed; `at` is the prefix that was reached (names only). */
export class PathLookupError extends Error {
  override readonly name = "PathLookupError";
  constructor(
    readonly problem: "missing" | "not-a-container" | "not-an-array",
    readonly at: string,
  ) {
    super(problem);
  }
}

const EXTRACT_SEGMENT = /\[(?:"([^"]*)"|'([^']*)'|(\d+))\]/y;

export function parsePath(path: string): PathSegment[] {
  if (path.startsWith("[")) return parseExtractPath(path);
  if (path === "" || path.split(".").some((part) => part === "")) {
    throw new PathSyntaxError("a dotted path needs non-empty segments, e.g. db.password");
  }
  return path.split(".").map((part) => (/^\d+$/.test(part) ? { keyOrIndex: part } : { key: part }));
}

function parseExtractPath(path: string): PathSegment[] {
  const segments: PathSegment[] = [];
  EXTRACT_SEGMENT.lastIndex = 0;
  while (EXTRACT_SEGMENT.lastIndex < path.length) {
    const match = EXTRACT_SEGMENT.exec(path);
    if (!match) throw new PathSyntaxError('use the sops --extract form ["key"][0]');
    const key = match[1] ?? match[2];
    segments.push(key === undefined ? { index: Number(match[3]) } : { key });
  }
  return segments;
}

export function formatSegments(segments: PathSegment[]): string {
  return segments
    .map((s) => ("key" in s ? `["${s.key}"]` : "index" in s ? `[${s.index}]` : `[${s.keyOrIndex}]`))
    .join("");
}

export function selectPath(root: TreeNode, segments: PathSegment[]): TreeNode {
  let node = root;
  segments.forEach((segment, i) => {
    const at = formatSegments(segments.slice(0, i + 1));
    node = step(node, segment, at);
  });
  return node;
}

function step(node: TreeNode, segment: PathSegment, at: string): TreeNode {
  if (node.kind === "map") {
    if ("index" in segment) throw new PathLookupError("not-an-array", at);
    const found = mapGet(node, "key" in segment ? segment.key : segment.keyOrIndex);
    if (!found) throw new PathLookupError("missing", at);
    return found;
  }
  if (node.kind === "seq") {
    if ("key" in segment) throw new PathLookupError("not-a-container", at);
    const index = "index" in segment ? segment.index : Number(segment.keyOrIndex);
    const found = node.items[index];
    if (!found) throw new PathLookupError("missing", at);
    return found;
  }
  throw new PathLookupError("not-a-container", at);
}
