import { formatLocation, type UserError } from "../errors";

/** Output formats shared by the commands that report problems in files. */
export const FORMATS = ["text", "json", "github"] as const;
export type Format = (typeof FORMATS)[number];

export function isFormat(value: string): value is Format {
  return (FORMATS as readonly string[]).includes(value);
}

/** The plain-data form of an error, for --format json. */
export function errorRecord(error: UserError) {
  const { file, line, col, field } = error.location ?? {};
  return { file, line, col, path: field, message: error.message, hint: error.hint };
}

/** A warning as text: "file:line:col: warning: message (at /json/path)" plus its hint. */
export function warningText(warning: UserError): string {
  const where = warning.location ? `${formatLocation(warning.location)}: ` : "";
  return `${where}warning: ${warning.format().slice(where.length)}`;
}

/**
 * A GitHub Actions workflow command that annotates the file in the pull request.
 * https://docs.github.com/actions/reference/workflow-commands-for-github-actions#setting-an-error-message
 */
export function githubAnnotation(error: UserError, level: "error" | "warning" = "error"): string {
  const { file, line, col, field } = error.location ?? {};
  const properties = [
    file === undefined ? undefined : `file=${escapeProperty(file)}`,
    line === undefined ? undefined : `line=${line}`,
    col === undefined ? undefined : `col=${col}`,
    "title=secret-manifests",
  ].filter(Boolean);
  const at = field ? ` (at ${field})` : "";
  const hint = error.hint ? `\nhint: ${error.hint}` : "";
  return `::${level} ${properties.join(",")}::${escapeData(`${error.message}${at}${hint}`)}`;
}

function escapeData(text: string): string {
  return text.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A");
}

function escapeProperty(text: string): string {
  return escapeData(text).replaceAll(":", "%3A").replaceAll(",", "%2C");
}

/** "1 file", "2 files". */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
