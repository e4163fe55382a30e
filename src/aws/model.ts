/**
 * What Secrets Manager holds, as both layers see it: the gateway builds these from API
 * responses, the planner reads them. They live in the AWS layer, which depends on nothing
 * above it, so the reconciler can import them without the gateway importing the reconciler.
 * Nothing here ever holds a secret value.
 */

/** The tag that says which stack manages a secret; its value is the owner string. */
export const OWNER_TAG = "secret-manifests:stack";

/**
 * The tag naming which resource of the stack holds a secret: a random id set by the
 * resource's create and recorded in its state. A replacement that lands on the same
 * secret sets a new one, so the replaced resource's delete can tell the secret is no
 * longer its own.
 */
export const CLAIM_TAG = "secret-manifests:claim";

/** Version stage Secrets Manager serves by default. */
export const AWSCURRENT = "AWSCURRENT";

/** The version that holds AWSCURRENT, if any (VersionIdsToStages / SecretVersionsToStages). */
export function currentVersionId(versionStages: Record<string, string[]>): string | undefined {
  return Object.keys(versionStages).find((id) => versionStages[id]?.includes(AWSCURRENT));
}

/** Version stage a rotation puts on the version it is creating, until it finishes. */
export const AWSPENDING = "AWSPENDING";

/** Rotation as ListSecrets and DescribeSecret report it (no extra call). */
export interface ObservedRotation {
  enabled: boolean;
  lambdaArn?: string;
  automaticallyAfterDays?: number;
  scheduleExpression?: string;
  duration?: string;
}

export interface ObservedReplica {
  region: string;
  kmsKeyId?: string;
  status?: string;
  statusMessage?: string;
}

/** What AWS holds for one name. Never contains a value. */
export interface ObservedSecret {
  arn: string;
  name: string;
  description?: string;
  kmsKeyId?: string;
  tags: Record<string, string>;
  /** Set when the secret is scheduled for deletion. */
  deletedDate?: Date;
  /**
   * VersionIdsToStages. AWS lists only versions that carry at least one stage; moto also
   * lists the others with no stages, so "staged" is always checked on the stage list.
   */
  versionStages: Record<string, string[]>;
  replicas: ObservedReplica[];
  /** Absent when rotation was never configured. */
  rotation?: ObservedRotation;
  /**
   * The resource policy text (GetResourcePolicy), null when there is none; undefined when it
   * was not read (only secrets that declare or had a policy are asked).
   */
  resourcePolicy?: string | null;
  /**
   * False when the observation came from ListSecrets, which does not report replication:
   * `replicas` is then empty for lack of data, not because there are none.
   */
  replicasObserved: boolean;
}

export interface ReplicationStatus {
  region: string;
  status: string;
  message?: string;
}

/** The region a secret lives in, from its ARN (`arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME`). */
export function regionOfArn(arn: string): string | undefined {
  const region = arn.split(":")[3];
  return region ? region : undefined;
}
