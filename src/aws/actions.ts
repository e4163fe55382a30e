/**
 * Every Secrets Manager API operation the gateway calls, with the IAM actions AWS checks for
 * it. One source of truth: `SecretsManagerGateway` can only call an operation named here (its
 * `call` takes a `SecretsManagerOperation`), and `secret-manifests iam-policy` builds the
 * least-privilege policy from this table.
 *
 * - `account`: actions authorized on `*` (the API has no resource to scope them to).
 * - `secret`: actions authorized on each secret's ARN the call touches.
 */
export interface OperationPermissions {
  readonly account: readonly string[];
  readonly secret: readonly string[];
}

export const SECRETS_MANAGER_OPERATIONS = {
  /** Batched lookup by name (observe, refresh). */
  ListSecrets: { account: ["secretsmanager:ListSecrets"], secret: [] },
  /** Batched value read (refresh of a changed version); AWS also checks GetSecretValue per secret. */
  BatchGetSecretValue: {
    account: ["secretsmanager:BatchGetSecretValue"],
    secret: ["secretsmanager:GetSecretValue"],
  },
  DescribeSecret: { account: [], secret: ["secretsmanager:DescribeSecret"] },
  /** Tags (the ownership tag is always sent) need TagResource; AddReplicaRegions needs ReplicateSecretToRegions. */
  CreateSecret: {
    account: [],
    secret: [
      "secretsmanager:CreateSecret",
      "secretsmanager:TagResource",
      "secretsmanager:ReplicateSecretToRegions",
    ],
  },
  RestoreSecret: { account: [], secret: ["secretsmanager:RestoreSecret"] },
  PutSecretValue: { account: [], secret: ["secretsmanager:PutSecretValue"] },
  UpdateSecretVersionStage: { account: [], secret: ["secretsmanager:UpdateSecretVersionStage"] },
  UpdateSecret: { account: [], secret: ["secretsmanager:UpdateSecret"] },
  TagResource: { account: [], secret: ["secretsmanager:TagResource"] },
  UntagResource: { account: [], secret: ["secretsmanager:UntagResource"] },
  ReplicateSecretToRegions: { account: [], secret: ["secretsmanager:ReplicateSecretToRegions"] },
  RemoveRegionsFromReplication: { account: [], secret: ["secretsmanager:RemoveRegionsFromReplication"] },
  DeleteSecret: { account: [], secret: ["secretsmanager:DeleteSecret"] },
  /** Generated values: the API has no resource, so it is granted on `*`. */
  GetRandomPassword: { account: ["secretsmanager:GetRandomPassword"], secret: [] },
  /** The current value of a JSON secret with seed-once or generated keys, read to merge an update into. */
  GetSecretValue: { account: [], secret: ["secretsmanager:GetSecretValue"] },
  /**
   * spec.rotation. AWS also checks lambda:InvokeFunction on the rotation function, as the
   * caller: granted on the Lambda ARNs the manifests name (see iam-policy).
   */
  RotateSecret: { account: [], secret: ["secretsmanager:RotateSecret"] },
  CancelRotateSecret: { account: [], secret: ["secretsmanager:CancelRotateSecret"] },
  PutResourcePolicy: { account: [], secret: ["secretsmanager:PutResourcePolicy"] },
  GetResourcePolicy: { account: [], secret: ["secretsmanager:GetResourcePolicy"] },
  DeleteResourcePolicy: { account: [], secret: ["secretsmanager:DeleteResourcePolicy"] },
} as const satisfies Record<string, OperationPermissions>;

export type SecretsManagerOperation = keyof typeof SECRETS_MANAGER_OPERATIONS;

/** KMS actions a caller needs on a secret's customer managed key (Secrets Manager calls KMS for it). */
export const SECRET_KMS_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey"] as const;
/** KMS actions the provider itself calls: the data key of a sops file encrypted with AWS KMS. */
export const SOPS_KMS_ACTIONS = ["kms:Decrypt"] as const;
/** A sops KMS key with a `role` is used through STS AssumeRole, as sops does. */
export const SOPS_ROLE_ACTIONS = ["sts:AssumeRole"] as const;
