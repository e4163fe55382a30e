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

/**
 * The path could not be followed; `at` is the prefix up to the failing segment (names only)
 * and `depth` that segment's index, so a caller can look at what is there instead.
 */
export class PathLookupError extends Error {
  override readonly name = "PathLookupError";
  constructor(
    readonly problem: "missing" | "not-a-container" | "not-an-array",
    readonly at: string,
    readonly depth: number,
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
  segments.forEach((segment, depth) => {
    node = step(node, segment, segments, depth);
  });
  return node;
}

function step(node: TreeNode, segment: PathSegment, segments: PathSegment[], depth: number): TreeNode {
  const fail = (problem: PathLookupError["problem"]) =>
    new PathLookupError(problem, formatSegments(segments.slice(0, depth + 1)), depth);
  if (node.kind === "map") {
    if ("index" in segment) throw fail("not-an-array");
    const found = mapGet(node, "key" in segment ? segment.key : segment.keyOrIndex);
    if (!found) throw fail("missing");
    return found;
  }
  if (node.kind === "seq") {
    if ("key" in segment) throw fail("not-a-container");
    const index = "index" in segment ? segment.index : Number(segment.keyOrIndex);
    const found = node.items[index];
    if (!found) throw fail("missing");
    return found;
  }
  throw fail("not-a-container");
}
