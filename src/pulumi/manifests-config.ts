/** `secret-manifests:manifests`: where the root program finds the manifests. */
import { UserError } from "../errors";

const DEFAULT_PATHS = ["manifests"];
const HINT =
  'set one path (pulumi config set secret-manifests:manifests manifests) or a JSON list (pulumi config set secret-manifests:manifests \'["manifests","more"]\')';

/**
 * One path as plain text, or a JSON list of paths (what `pulumi config set --path
 * 'secret-manifests:manifests[0]' ...` stores). Absent: "manifests".
 */
export function manifestPaths(raw: string | undefined): string[] {
  if (raw === undefined || raw.trim() === "") return DEFAULT_PATHS;
  if (!raw.trimStart().startsWith("[")) return [raw];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new UserError(`secret-manifests:manifests is not a valid JSON list: ${raw}`, undefined, HINT);
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length === 0 ||
    !parsed.every((p) => typeof p === "string" && p !== "")
  ) {
    throw new UserError(
      `secret-manifests:manifests must list at least one path, as strings: ${raw}`,
      undefined,
      HINT,
    );
  }
  return parsed;
}
