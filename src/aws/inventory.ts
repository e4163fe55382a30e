/**
 * Read-only views of the secrets that already exist, for `secret-manifests import`. Metadata
 * only: ListSecrets 100 a page, DescribeSecret only for what a listing lacks, GetResourcePolicy
 * on request. The one value read (JSON key names, on request) keeps the key names and drops
 * the value before returning.
 */
import {
  BatchGetSecretValueCommand,
  DescribeSecretCommand,
  type Filter,
  GetResourcePolicyCommand,
  ListSecretsCommand,
  type ListSecretsRequest,
  type ReplicationStatusType,
  type SecretListEntry,
  type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import type { OperationPermissions } from "./actions.js";
import { GONE, SecretsManagerError, toSecretsManagerError } from "./errors.js";

/** The operations an import calls, with the IAM actions AWS checks (for `iam-policy --import`). */
export const INVENTORY_OPERATIONS = {
  ListSecrets: { account: ["secretsmanager:ListSecrets"], secret: [] },
  /** Only for secrets whose listing entry lacks fields (replication status and replica keys). */
  DescribeSecret: { account: [], secret: ["secretsmanager:DescribeSecret"] },
  /** Only with --with-policies. */
  GetResourcePolicy: { account: [], secret: ["secretsmanager:GetResourcePolicy"] },
  /** Only with --json-keys; AWS also checks GetSecretValue per secret. */
  BatchGetSecretValue: {
    account: ["secretsmanager:BatchGetSecretValue"],
    secret: ["secretsmanager:GetSecretValue"],
  },
} as const satisfies Record<string, OperationPermissions>;

export type InventoryOperation = keyof typeof INVENTORY_OPERATIONS;

/** AWS limits: ListSecrets returns at most 100 a page; a filter holds at most 10 values. */
const PAGE_SIZE = 100;
const FILTER_VALUES_MAX = 10;
/** BatchGetSecretValue takes at most 20 secret ids. */
const BATCH_GET_MAX = 20;

export interface TagFilter {
  key: string;
  /** Absent: any value. */
  value?: string;
}

/** Which secrets to list. A secret is selected when it matches any name or prefix (or `all`) and every tag filter. */
export interface SecretSelection {
  names: string[];
  prefixes: string[];
  tags: TagFilter[];
  all: boolean;
}

/** A listing entry; after DescribeSecret also the replication status ListSecrets does not report. */
export type SecretMetadata = SecretListEntry & { ReplicationStatus?: ReplicationStatusType[] };

export class SecretInventory {
  private readonly counts: Record<InventoryOperation, number> = {
    ListSecrets: 0,
    DescribeSecret: 0,
    GetResourcePolicy: 0,
    BatchGetSecretValue: 0,
  };

  constructor(private readonly client: SecretsManagerClient) {}

  /** Calls made so far, per operation. */
  calls(): Record<InventoryOperation, number> {
    return { ...this.counts };
  }

  /** The client's region: a listing entry whose PrimaryRegion differs is a replica. */
  region(): Promise<string> {
    return this.client.config.region();
  }

  /**
   * Every selected secret, secrets scheduled for deletion included (so that they can be
   * named), once each. The server filters are prefix matches and only narrow the listing;
   * the exact selection is applied here. `onPage` reports progress.
   */
  async list(selection: SecretSelection, onPage?: (listed: number) => void): Promise<SecretMetadata[]> {
    const found = new Map<string, SecretListEntry>();
    let listed = 0;
    for (const filters of serverFilters(selection)) {
      const request: ListSecretsRequest = {
        IncludePlannedDeletion: true,
        MaxResults: PAGE_SIZE,
        ...(filters.length > 0 ? { Filters: filters } : {}),
      };
      do {
        const page = await this.call("ListSecrets", undefined, () =>
          this.client.send(new ListSecretsCommand(request)),
        );
        for (const entry of page.SecretList ?? []) {
          if (entry.ARN && entry.Name && isSelected(entry, selection)) found.set(entry.ARN, entry);
        }
        listed += page.SecretList?.length ?? 0;
        onPage?.(listed);
        request.NextToken = page.NextToken;
      } while (request.NextToken);
    }
    return [...found.values()];
  }

  /**
   * DescribeSecret: the listing's fields plus ReplicationStatus (replica regions, their KMS
   * keys); `gone` when the secret was deleted since it was listed.
   */
  async describe(arn: string, name: string): Promise<SecretMetadata | typeof GONE> {
    return unlessGone(
      this.call("DescribeSecret", name, () => this.client.send(new DescribeSecretCommand({ SecretId: arn }))),
    );
  }

  /** The resource policy document as stored (JSON text), undefined when it has none, `gone` as above. */
  async resourcePolicy(arn: string, name: string): Promise<string | undefined | typeof GONE> {
    const res = await unlessGone(
      this.call("GetResourcePolicy", name, () =>
        this.client.send(new GetResourcePolicyCommand({ SecretId: arn })),
      ),
    );
    return res === GONE ? GONE : res.ResourcePolicy;
  }

  /**
   * The top-level key names of each secret whose current value is a JSON object, in stored
   * order; undefined for a binary, non-JSON or non-object value, or one AWS would not return.
   * Reads values 20 secrets per call, keeps only the names: no value leaves this function.
   */
  async jsonKeyNames(arns: string[]): Promise<Map<string, string[] | undefined>> {
    const keys = new Map<string, string[] | undefined>();
    for (let i = 0; i < arns.length; i += BATCH_GET_MAX) {
      const batch = arns.slice(i, i + BATCH_GET_MAX);
      const res = await this.call("BatchGetSecretValue", undefined, () =>
        this.client.send(new BatchGetSecretValueCommand({ SecretIdList: batch })),
      );
      for (const entry of res.SecretValues ?? []) {
        if (entry.ARN) keys.set(entry.ARN, objectKeys(entry.SecretString));
      }
    }
    return keys;
  }

  private async call<O>(
    operation: InventoryOperation,
    secretName: string | undefined,
    send: () => Promise<O>,
  ) {
    this.counts[operation]++;
    try {
      return await send();
    } catch (error) {
      throw toSecretsManagerError(error, operation, secretName);
    }
  }
}

async function unlessGone<T>(read: Promise<T>): Promise<T | typeof GONE> {
  try {
    return await read;
  } catch (e) {
    if (e instanceof SecretsManagerError && e.reason === "notFound") return GONE;
    throw e;
  }
}

/** Key names of a JSON object text, in order; the parsed value is dropped at once. */
function objectKeys(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)
      ? Object.keys(parsed)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One ListSecrets query per group of 10 names and prefixes (AWS's limit per filter), each
 * narrowed by the first tag's key; one query with the tag key alone when only tags select.
 * Filters are ANDed by AWS and match prefixes, so each query returns a superset of its share.
 */
export function serverFilters(selection: SecretSelection): Filter[][] {
  const firstTag = selection.tags[0];
  const tagFilter: Filter[] = firstTag ? [{ Key: "tag-key", Values: [firstTag.key] }] : [];
  const namePrefixes = [...new Set([...selection.names, ...selection.prefixes])];
  if (selection.all || namePrefixes.length === 0) return [tagFilter];
  const queries: Filter[][] = [];
  for (let i = 0; i < namePrefixes.length; i += FILTER_VALUES_MAX) {
    queries.push([{ Key: "name", Values: namePrefixes.slice(i, i + FILTER_VALUES_MAX) }, ...tagFilter]);
  }
  return queries;
}

/** The exact selection: case-sensitive names and prefixes, tag keys and values compared whole. */
export function isSelected(entry: SecretListEntry, selection: SecretSelection): boolean {
  const name = entry.Name ?? "";
  const byName =
    selection.all ||
    (selection.names.length === 0 && selection.prefixes.length === 0) ||
    selection.names.includes(name) ||
    selection.prefixes.some((prefix) => name.startsWith(prefix));
  if (!byName) return false;
  const tags = entry.Tags ?? [];
  return selection.tags.every((filter) =>
    tags.some((t) => t.Key === filter.key && (filter.value === undefined || t.Value === filter.value)),
  );
}
