export {
  type OperationPermissions,
  SECRET_KMS_ACTIONS,
  SECRETS_MANAGER_OPERATIONS,
  type SecretsManagerOperation,
  SOPS_KMS_ACTIONS,
  SOPS_ROLE_ACTIONS,
} from "./actions.js";
export { type ClientOptions, createSecretsManagerClient } from "./client.js";
export { SecretsManagerError, type SecretsManagerErrorReason, toSecretsManagerError } from "./errors.js";
export {
  type CreatedSecret,
  type CreateSecretInput,
  type CurrentValue,
  type DescribeOptions,
  type GatewayOptions,
  type SecretPayload,
  type SecretsGateway,
  SecretsManagerGateway,
} from "./gateway.js";
export {
  AWSCURRENT,
  CLAIM_TAG,
  type ObservedReplica,
  type ObservedSecret,
  OWNER_TAG,
  type ReplicationStatus,
  regionOfArn,
} from "./model.js";
