import { UserError } from "../errors.js";

export type SecretsManagerErrorReason =
  | "exists"
  | "scheduledForDeletion"
  | "accessDenied"
  | "limitExceeded"
  | "notFound"
  | "rejected"
  | "unavailable";

/**
 * An AWS failure the user can act on, in plain words. It carries the AWS error code and
 * request id for support, never the SDK error itself: that object holds the raw HTTP
 * exchange, and a request can carry a secret value.
 */
export class SecretsManagerError extends UserError {
  override readonly name = "SecretsManagerError";
  constructor(
    readonly reason: SecretsManagerErrorReason,
    readonly operation: string,
    readonly secretName: string | undefined,
    readonly code: string,
    message: string,
    hint: string,
    readonly requestId?: string,
  ) {
    super(message, undefined, hint);
  }
}

/** Operations whose request or response carries a secret value. */
const VALUE_OPERATIONS = new Set(["CreateSecret", "PutSecretValue", "GetSecretValue", "BatchGetSecretValue"]);

interface AwsErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $fault?: "client" | "server";
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

/**
 * Maps an SDK failure (after its retries) to a SecretsManagerError; anything that is not
 * an AWS or network failure is a bug and is returned unchanged.
 */
export function toSecretsManagerError(error: unknown, operation: string, secretName?: string): unknown {
  if (!isAwsFailure(error)) return error;
  const code = error.name ?? error.code ?? "Unknown";
  const reason = reasonFor(code, error);
  const subject = secretName === undefined ? "" : ` on secret "${secretName}"`;
  // AWS validation messages can echo request fields; for calls that carry a value, only
  // the code is kept.
  const detail = VALUE_OPERATIONS.has(operation) || !error.message ? code : `${code}: ${error.message}`;
  return new SecretsManagerError(
    reason,
    operation,
    secretName,
    code,
    `${headline(reason, operation)}${subject} (${detail})`,
    hintFor(reason, operation),
    error.$metadata?.requestId,
  );
}

/** A failure that came from AWS or from the network, as opposed to a bug in this process. */
function isAwsFailure(error: unknown): error is AwsErrorShape {
  if (typeof error !== "object" || error === null) return false;
  const e = error as AwsErrorShape;
  return e.$fault !== undefined || e.$metadata !== undefined || NETWORK_CODES.has(e.code ?? "");
}

const NETWORK_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN"]);

function reasonFor(code: string, error: AwsErrorShape): SecretsManagerErrorReason {
  switch (code) {
    case "ResourceExistsException":
      return "exists";
    case "ResourceNotFoundException":
      return "notFound";
    case "AccessDeniedException":
    case "AccessDenied":
      return "accessDenied";
    case "LimitExceededException":
      return "limitExceeded";
    case "InvalidRequestException":
      return /deletion|deleted/i.test(error.message ?? "") ? "scheduledForDeletion" : "rejected";
  }
  return error.$fault === "client" ? "rejected" : "unavailable";
}

function headline(reason: SecretsManagerErrorReason, operation: string): string {
  switch (reason) {
    case "exists":
      return `Secrets Manager ${operation} failed: the secret already exists`;
    case "notFound":
      return `Secrets Manager ${operation} failed: the secret does not exist`;
    case "scheduledForDeletion":
      return `Secrets Manager ${operation} failed: the secret is scheduled for deletion`;
    case "accessDenied":
      return `Not allowed to call secretsmanager:${operation}`;
    case "limitExceeded":
      return `Secrets Manager ${operation} failed: a Secrets Manager quota is exhausted`;
    case "rejected":
      return `Secrets Manager rejected ${operation}`;
    case "unavailable":
      return `Secrets Manager ${operation} failed after retries`;
  }
}

function hintFor(reason: SecretsManagerErrorReason, operation: string): string {
  switch (reason) {
    case "exists":
      return "Another process created it concurrently; run the deployment again to adopt or report it.";
    case "notFound":
      return "It was deleted outside this stack; run `pulumi refresh`, then deploy again to recreate it.";
    case "scheduledForDeletion":
      return "Restore it (`aws secretsmanager restore-secret`) or run the deployment again, which restores it.";
    case "accessDenied":
      return `Grant ${permissionsFor(operation)} on this secret to the AWS identity that runs the deployment (and kms:Decrypt/kms:GenerateDataKey on its KMS key, if customer-managed).`;
    case "limitExceeded":
      return "Delete unused secrets or versions, or ask AWS for a higher Secrets Manager quota, then deploy again.";
    case "rejected":
      return "Check the manifest's settings for this secret (KMS key, region names, tags) against the error code.";
    case "unavailable":
      return "Secrets Manager kept failing or throttling; deploy again later.";
  }
}

/** The IAM actions an operation needs: BatchGetSecretValue also checks GetSecretValue per secret. */
function permissionsFor(operation: string): string {
  if (operation === "BatchGetSecretValue") {
    return "secretsmanager:BatchGetSecretValue and secretsmanager:GetSecretValue";
  }
  if (operation === "ReplicateSecretToRegions") {
    return "secretsmanager:ReplicateSecretToRegions (and secretsmanager:CreateSecret in the replica regions)";
  }
  return `secretsmanager:${operation}`;
}
