import { UserError } from "../errors.js";

export type SecretsManagerErrorReason =
  | "exists"
  | "scheduledForDeletion"
  | "accessDenied"
  | "limitExceeded"
  | "notFound"
  | "rejected"
  | "unavailable"
  | "noCredentials"
  | "noRegion"
  | "badRegion"
  | "unreachable"
  | "kms";

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
const VALUE_OPERATIONS = new Set([
  "CreateSecret",
  "PutSecretValue",
  "GetSecretValue",
  "BatchGetSecretValue",
  "GetRandomPassword",
]);

/** What to check when AWS rejects a call that carries a manifest's rotation or policy. */
const REJECTED_HINTS: Record<string, string> = {
  PutResourcePolicy:
    "Check spec.resourcePolicy: a MalformedPolicyDocumentException names a grammar problem; a PublicPolicyException means the policy grants broad access (narrow its Principal, or set blockPublicPolicy: false to allow that on purpose). A replica secret accepts no policy of its own.",
  RotateSecret:
    "Check spec.rotation: the Lambda must exist in the secret's region and allow secretsmanager.amazonaws.com to invoke it; a message about a previous rotation means a version still carries AWSPENDING (see docs/reconcile.md, Rotation).",
  GetRandomPassword:
    "Check spec.value.generate: the length must leave room for one character of every included type, and the exclusions must leave some characters.",
};

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
  const code = (NETWORK_CODES.has(error.code ?? "") ? error.code : error.name) ?? error.code ?? "Unknown";
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
    hintFor(reason, operation, error),
    error.$metadata?.requestId,
  );
}

/**
 * A failure that came from AWS, the network or the SDK's setup (no credentials, no
 * region), as opposed to a bug in this process.
 */
function isAwsFailure(error: unknown): error is AwsErrorShape {
  if (typeof error !== "object" || error === null) return false;
  const e = error as AwsErrorShape;
  return (
    e.$fault !== undefined ||
    e.$metadata !== undefined ||
    NETWORK_CODES.has(e.code ?? "") ||
    e.name === "CredentialsProviderError" ||
    (e.name === "Error" && e.message === "Region is missing") ||
    (e.name === "Error" && e.message?.startsWith("Region not accepted") === true)
  );
}

/** The SDK's "no such host" failures: almost always a misspelt region or endpoint. */
const DNS_CODES = new Set(["ENOTFOUND", "EAI_AGAIN"]);

const NETWORK_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN"]);

function reasonFor(code: string, error: AwsErrorShape): SecretsManagerErrorReason {
  if (error.name === "CredentialsProviderError") return "noCredentials";
  if (error.message === "Region is missing") return "noRegion";
  if (error.message?.startsWith("Region not accepted")) return "badRegion";
  if (DNS_CODES.has(error.code ?? "")) return "unreachable";
  if (/^(EncryptionFailure|DecryptionFailure|KMS)/.test(code)) return "kms";
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
    case "noCredentials":
      return `No AWS credentials found to call secretsmanager:${operation}`;
    case "noRegion":
      return `No AWS region is set, so secretsmanager:${operation} has nowhere to go`;
    case "badRegion":
      return `The AWS region is not a valid region name, so secretsmanager:${operation} has nowhere to go`;
    case "unreachable":
      return `Cannot reach Secrets Manager for ${operation}: the endpoint's host name does not resolve`;
    case "kms":
      return `Secrets Manager ${operation} failed: the secret's KMS key cannot be used`;
  }
}

function hintFor(reason: SecretsManagerErrorReason, operation: string, error: AwsErrorShape): string {
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
      return (
        REJECTED_HINTS[operation] ??
        "Check the manifest's settings for this secret (KMS key, region names, tags) against the error code."
      );
    case "unavailable":
      return "Secrets Manager kept failing or throttling; deploy again later.";
    case "noCredentials":
      return "The provider uses the AWS SDK's default credential chain: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (plus AWS_SESSION_TOKEN for temporary keys), or AWS_PROFILE naming a profile in ~/.aws/config (run `aws sso login` first for SSO), or run where an IAM role is available (CI OIDC role, instance or task role); then run pulumi again.";
    case "noRegion":
    case "badRegion":
      return "Set the region for this stack (`pulumi config set secret-manifests:region us-east-1`), or AWS_REGION / the AWS profile's region in the environment that runs pulumi; a region is a code such as us-east-1 or eu-west-1.";
    case "unreachable":
      return `Check the region (config secret-manifests:region, else AWS_REGION or the profile's region): it must be an AWS region code such as us-east-1 or eu-west-1, spelled exactly${hostOf(error)}. If it is right, check DNS and network access from this machine, or AWS_ENDPOINT_URL_SECRETS_MANAGER if you set one.`;
    case "kms":
      return "Check that spec.kmsKeyId (and each replica's kmsKeyId) names a KMS key that exists and is enabled in the secret's region (a key id, key ARN, alias/NAME or alias ARN), and that the identity running the deployment may use it (kms:GenerateDataKey and kms:Decrypt); or remove kmsKeyId to use the AWS managed key aws/secretsmanager.";
  }
}

/** " (the SDK looked up HOST)" from a DNS failure message, to show which region was used. */
function hostOf(error: AwsErrorShape): string {
  const host = /(?:ENOTFOUND|EAI_AGAIN)\s+(\S+)/.exec(error.message ?? "")?.[1];
  return host ? ` (the SDK looked up ${host})` : "";
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

/** A secret deleted between the listing and a later read of it. */
export const GONE = Symbol("gone");
