/** `fromEnv: NAME`: a value from the provider process' environment. */
import type { EnvRef } from "../manifest/spec.js";

export type EnvProblem = "missing" | "empty";

export class EnvValueError extends Error {
  override readonly name = "EnvValueError";
  constructor(
    readonly problem: EnvProblem,
    readonly variable: string,
  ) {
    super(
      problem === "missing"
        ? `environment variable ${variable} is not set`
        : `environment variable ${variable} is empty`,
    );
  }
}

export function resolveEnv(ref: EnvRef, env: NodeJS.ProcessEnv): string {
  const value = env[ref.fromEnv];
  if (value === undefined) throw new EnvValueError("missing", ref.fromEnv);
  if (value === "" && !ref.allowEmpty) throw new EnvValueError("empty", ref.fromEnv);
  return value;
}
