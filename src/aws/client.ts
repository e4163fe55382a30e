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
  const client = new SecretsManagerClient(config);
  keepRetryQuotaFull(client);
  return client;
}

/**
 * Secrets Manager's LimitExceededException is a quota (too many versions of a secret, too
 * many secrets), not throttling, although the SDK lists the code among its throttling
 * errors: retrying cannot succeed, it only delays the error by a minute of backoff.
 */
function isQuotaError(errorInfo: unknown): boolean {
  const error = (errorInfo as { error?: { name?: unknown } } | undefined)?.error;
  return error?.name === "LimitExceededException";
}

/** The SDK's shared retry quota: 500 tokens, 5 per retry, 10 per timeout or reset. */
const RETRY_QUOTA = 500;
type WithQuota = { capacity?: number; standardRetryStrategy?: { capacity?: number } };

/**
 * The SDK keeps one retry quota per client, a circuit breaker meant for outages: each retry
 * spends tokens and only successes earn them back. A deployment of hundreds of secrets under
 * throttling drained it, and calls then failed on their first error although maxAttempts
 * allowed more (300 secrets at 30% faults needed a second `pulumi up`; see
 * docs/reliability.md). Every call here is safe to retry (writes carry deterministic tokens)
 * and stays bounded by maxAttempts, backoff and the adaptive rate limiter, so the quota is
 * topped up before each retry decision. Without the SDK internals this expects, the SDK's
 * behaviour is left as it is.
 */
function keepRetryQuotaFull(client: SecretsManagerClient): void {
  const config = client.config as { retryStrategy?: () => Promise<unknown> };
  const sdkStrategy = config.retryStrategy;
  if (typeof sdkStrategy !== "function") return;
  const wrapped = new WeakSet<object>();
  config.retryStrategy = async () => {
    const strategy = (await sdkStrategy()) as WithQuota & {
      refreshRetryTokenForRetry?: (...args: unknown[]) => Promise<unknown>;
    };
    const refresh = strategy.refreshRetryTokenForRetry;
    if (typeof refresh === "function" && !wrapped.has(strategy)) {
      wrapped.add(strategy);
      strategy.refreshRetryTokenForRetry = (...args: unknown[]) => {
        // Refusing the retry token makes the SDK throw the call's own error at once.
        if (isQuotaError(args[1])) return Promise.reject(new Error("not retried: a quota"));
        const quota = strategy.standardRetryStrategy ?? strategy;
        if (typeof quota.capacity === "number") quota.capacity = Math.max(quota.capacity, RETRY_QUOTA);
        return refresh.apply(strategy, args);
      };
    }
    return strategy;
  };
}
