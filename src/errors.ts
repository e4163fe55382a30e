/**
 * Two kinds of failure, kept apart on purpose: a UserError is something the user
 * can fix (bad manifest, missing env var, wrong key, AWS permission) and is printed
 * as one plain message without a stack trace; anything else is a bug and keeps its
 * stack. No error message may ever contain a secret value.
 */

/** Where in a user's file a problem is. `file` is relative to the project root. */
export interface SourceLocation {
  file: string;
  line?: number;
  col?: number;
  /** JSON pointer of the offending field, e.g. "/spec/value/json/password". */
  field?: string;
}

export class UserError extends Error {
  override readonly name: string = "UserError";
  constructor(
    message: string,
    readonly location?: SourceLocation,
    /** What the user should do about it, one sentence. */
    readonly hint?: string,
  ) {
    super(message);
  }

  /** "file:line:col: message (at /json/path)" plus the hint on its own line. */
  format(): string {
    const where = this.location ? formatLocation(this.location) : "";
    const at = this.location?.field ? ` (at ${this.location.field})` : "";
    const head = where ? `${where}: ${this.message}${at}` : `${this.message}${at}`;
    return this.hint ? `${head}\n  hint: ${this.hint}` : head;
  }
}

/** Several user errors found in one pass (e.g. every bad manifest), reported together. */
export class UserErrors extends UserError {
  override readonly name = "UserErrors";
  constructor(readonly errors: UserError[]) {
    super(`${errors.length} error${errors.length === 1 ? "" : "s"}`);
  }
  override format(): string {
    return this.errors.map((e) => e.format()).join("\n");
  }
}

export function formatLocation(loc: SourceLocation): string {
  if (loc.line === undefined) return loc.file;
  return loc.col === undefined ? `${loc.file}:${loc.line}` : `${loc.file}:${loc.line}:${loc.col}`;
}

export function isUserError(e: unknown): e is UserError {
  return (
    e instanceof UserError || (e instanceof Error && (e.name === "UserError" || e.name === "UserErrors"))
  );
}
