import { SecretsManagerClient, type SecretsManagerClientConfig } from "@aws-sdk/client-secrets-manager";

export interface ClientOptions {
  /** Default: the SDK's region chain (AWS_REGION, profile). */
  region?: string;
  /** Default: the SDK's endpoint chain, which honours AWS_ENDPOINT_URL_SECRETS_MANAGER. */
  endpoint?: string;
  /** Attempts per call, first one included. */
  maxAttempts?: number;
}

/**
 * Enough attempts that a burst of throttling, 5xx or connection resets during a large
 * deployment is ridden out: with the adaptive mode the client also slows its own sending
 * rate once AWS throttles, instead of only backing off each call.
 */
const DEFAULT_MAX_ATTEMPTS = 10;

/**
 * The one way this project builds a Secrets Manager client: the default credential chain,
 * adaptive retries (ThrottlingException, 5xx, ECONNRESET/timeouts are all retryable), and
 * timeouts so a stalled connection becomes a retried failure instead of a hang. Retrying
 * a write is safe because every write carries a deterministic ClientRequestToken.
 */
export function createSecretsManagerClient(opts: ClientOptions = {}): SecretsManagerClient {
  const config: SecretsManagerClientConfig = {
    retryMode: "adaptive",
    maxAttempts: opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000 },
  };
  if (opts.region !== undefined) config.region = opts.region;
  if (opts.endpoint !== undefined) config.endpoint = opts.endpoint;
  return new SecretsManagerClient(config);
}
