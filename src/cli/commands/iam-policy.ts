import {
  SECRET_KMS_ACTIONS,
  SECRETS_MANAGER_OPERATIONS,
  type SecretsManagerOperation,
  SOPS_KMS_ACTIONS,
  SOPS_ROLE_ACTIONS,
} from "../../aws/actions";
import { INVENTORY_OPERATIONS, type InventoryOperation } from "../../aws/inventory";
import { loadManifests, type SopsFileInfo } from "../../manifest/index";
import type { SecretSpec } from "../../manifest/spec";
import { OWNER_TAG } from "../../reconcile/types";
import { type CliIO, type Command, EXIT, parseCommandArgs, rootAndPaths, UsageError } from "../command";

/** IAM's limit on a managed policy, whitespace excluded. */
const MANAGED_POLICY_MAX_CHARS = 6144;

const usage = `Usage: secret-manifests iam-policy [options] <path>...
       secret-manifests iam-policy --import [--prefix <p>]... [--with-policies] [--json-keys] [options]

Prints the least-privilege IAM policy (JSON) that the identity running "pulumi up",
"preview", "refresh" and "destroy" needs for these manifests. Offline: reads the
manifests and the sops files' metadata (never decrypts, needs no keys or credentials).

The policy allows:
  - secretsmanager:ListSecrets and BatchGetSecretValue on "*" (these APIs have no
    resource to scope to);
  - the Secrets Manager actions the provider calls (create, describe, read for refresh,
    put value, move stage, update, tag, untag, restore, replicate, delete) on each
    declared secret's ARN pattern arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME-??????
    (and on its replica Regions' ARNs);
  - kms:Decrypt and kms:GenerateDataKey via Secrets Manager on each spec.kmsKeyId and
    replica kmsKeyId (aliases through the kms:ResourceAliases condition);
  - kms:Decrypt on the AWS KMS keys of the referenced sops files (sops.kms[].arn),
    and sts:AssumeRole on their roles;
  - with --stack: describe, read and delete on any secret tagged
    secret-manifests:stack=<stack>, so removing a manifest can still delete its secret.

With --import it prints instead the read-only policy "secret-manifests import" needs:
secretsmanager:ListSecrets on "*" and DescribeSecret on the secrets (under each
--prefix, else all); GetResourcePolicy with --with-policies; BatchGetSecretValue,
GetSecretValue and kms:Decrypt via Secrets Manager with --json-keys. No manifests needed.

Options:
  --import                 Print the policy of "secret-manifests import" (see above).
  --prefix <prefix>        With --import: only secrets whose name starts with it (repeatable).
  --with-policies          With --import: also allow reading resource policies.
  --json-keys              With --import: also allow reading values (key names only).
  --region <region>        Region of the secrets (default "*"; the secrets' Region in
                           the stack config secret-manifests:region or AWS_REGION).
  --account <id>           AWS account id (default "*").
  --partition <partition>  aws, aws-cn or aws-us-gov (default "aws").
  --stack <owner>          The owner tag value, "<project>/<stack>" as pulumi names it,
                           e.g. "payments/prod". Recommended: without it, secrets whose
                           manifest was removed can only be deleted while they are still
                           listed in the policy.
  --root <dir>             Project root (default: the current directory); sops files
                           referenced by the manifests must stay inside it.
  --allow-outside-root     Let references read files outside the root.
  --format <json>          Output format (default: json, the policy document).
  -h, --help               Show this help.

Exit codes: 0 policy printed, 1 invalid manifests or unreadable sops file, 2 usage
error, 70 internal error.

Examples:
  secret-manifests iam-policy manifests/
  secret-manifests iam-policy --import --prefix prod/payments/ --region eu-west-1
  secret-manifests iam-policy --region eu-west-1 --account 111122223333 \\
      --stack payments/prod manifests/ > policy.json
  aws iam put-role-policy --role-name deploy-secrets --policy-name secret-manifests \\
      --policy-document file://policy.json`;

export interface IamPolicyOptions {
  partition: string;
  region: string;
  account: string;
  /** The ownership tag value ("project/stack"); adds the statement for secrets removed from manifests. */
  stack?: string;
}

/** A sops file's AWS KMS master key, read from its metadata. */
export interface SopsKmsKey {
  arn: string;
  role?: string;
}

export interface PolicyStatement {
  Sid: string;
  Effect: "Allow";
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/** Operations allowed on a secret only known by its ownership tag (its manifest was removed). */
const OWNED_SECRET_OPERATIONS: SecretsManagerOperation[] = [
  "DescribeSecret",
  "BatchGetSecretValue",
  "RemoveRegionsFromReplication",
  "DeleteSecret",
];

const sorted = (values: Iterable<string>) => [...new Set(values)].sort();

function actionsOf(operations: SecretsManagerOperation[], scope: "account" | "secret"): string[] {
  return sorted(operations.flatMap((op) => SECRETS_MANAGER_OPERATIONS[op][scope]));
}

const ALL_OPERATIONS = Object.keys(SECRETS_MANAGER_OPERATIONS) as SecretsManagerOperation[];

/** Needed only by manifests that generate a value; every other operation by any manifest. */
const GENERATE_OPERATIONS: SecretsManagerOperation[] = ["GetRandomPassword"];

function generates(spec: SecretSpec): boolean {
  const { value } = spec;
  if (value?.kind === "generate") return true;
  return (
    value?.kind === "json" &&
    value.fields.some(([, f]) => f !== null && typeof f === "object" && "generate" in f)
  );
}

/** AWS checks lambda:InvokeFunction on the rotation function as the caller of RotateSecret. */
const ROTATION_LAMBDA_ACTIONS = ["lambda:InvokeFunction"];

/** Builds the policy document. Pure: the specs and the sops keys are already read. */
export function buildIamPolicy(
  specs: SecretSpec[],
  sopsKeys: SopsKmsKey[],
  opts: IamPolicyOptions,
): PolicyDocument {
  const { partition, account } = opts;
  const secretArn = (region: string, name: string) =>
    `arn:${partition}:secretsmanager:${region}:${account}:secret:${name}-??????`;
  const accountOperations = specs.some(generates)
    ? ALL_OPERATIONS
    : ALL_OPERATIONS.filter((op) => !GENERATE_OPERATIONS.includes(op));
  const statements: PolicyStatement[] = [
    {
      Sid: "ListAndBatchRead",
      Effect: "Allow",
      Action: actionsOf(accountOperations, "account"),
      Resource: "*",
    },
  ];
  if (specs.length > 0) {
    const arns = specs.flatMap((s) => [
      secretArn(opts.region, s.name),
      // A replica lives in its own Region under the same name; "*" already covers it.
      ...(opts.region === "*" ? [] : s.replicas.map((r) => secretArn(r.region, s.name))),
    ]);
    statements.push({
      Sid: "ManageDeclaredSecrets",
      Effect: "Allow",
      Action: actionsOf(ALL_OPERATIONS, "secret"),
      Resource: sorted(arns),
    });
  }
  const lambdas = sorted(specs.flatMap((s) => (s.rotation?.lambdaArn ? [s.rotation.lambdaArn] : [])));
  if (lambdas.length > 0) {
    statements.push({
      Sid: "InvokeRotationFunctions",
      Effect: "Allow",
      Action: ROTATION_LAMBDA_ACTIONS,
      Resource: lambdas,
    });
  }
  if (opts.stack !== undefined) {
    statements.push({
      Sid: "DeleteSecretsOwnedByThisStack",
      Effect: "Allow",
      Action: actionsOf(OWNED_SECRET_OPERATIONS, "secret"),
      Resource: `arn:${partition}:secretsmanager:${opts.region}:${account}:secret:*`,
      Condition: { StringEquals: { [`aws:ResourceTag/${OWNER_TAG}`]: opts.stack } },
    });
  }
  const secretKeys = specs.flatMap((s) => [
    ...(s.kmsKeyId ? [{ key: s.kmsKeyId, region: opts.region }] : []),
    ...s.replicas.flatMap((r) => (r.kmsKeyId ? [{ key: r.kmsKeyId, region: r.region }] : [])),
  ]);
  // Only Secrets Manager may use these keys for the caller, in the secrets' Regions.
  const domain = partition === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com";
  const viaRegions = opts.region === "*" ? ["*"] : sorted([opts.region, ...secretKeys.map((k) => k.region)]);
  const viaService = viaRegions.map((r) => `secretsmanager.${r}.${domain}`);
  statements.push(
    ...kmsStatements("SecretKmsKeys", SECRET_KMS_ACTIONS, secretKeys, opts, {
      StringLike: { "kms:ViaService": viaService.length === 1 ? (viaService[0] as string) : viaService },
    }),
  );
  statements.push(
    ...kmsStatements(
      "SopsKmsKeys",
      SOPS_KMS_ACTIONS,
      sopsKeys.map((k) => ({ key: k.arn, region: opts.region })),
      opts,
    ),
  );
  const roles = sorted(sopsKeys.flatMap((k) => (k.role ? [k.role] : [])));
  if (roles.length > 0) {
    statements.push({
      Sid: "SopsKmsRoles",
      Effect: "Allow",
      Action: [...SOPS_ROLE_ACTIONS],
      Resource: roles,
    });
  }
  return { Version: "2012-10-17", Statement: statements };
}

/**
 * KMS authorizes against the key ARN, never the alias: keys named by id or ARN become key ARNs,
 * keys named by alias become "key/*" limited by the kms:ResourceAliases condition.
 */
function kmsStatements(
  sid: string,
  actions: readonly string[],
  keys: { key: string; region: string }[],
  opts: IamPolicyOptions,
  condition: Record<string, Record<string, string | string[]>> = {},
): PolicyStatement[] {
  const keyArns: string[] = [];
  const aliasScopes: string[] = [];
  const aliases: string[] = [];
  for (const { key, region } of keys) {
    const arn = /^arn:([\w-]+):kms:([\w-]*):(\d*|\*):(.+)$/.exec(key);
    const [partition, keyRegion, account, resource] = arn
      ? [arn[1], arn[2], arn[3], arn[4] ?? ""]
      : [opts.partition, region, opts.account, key.startsWith("alias/") ? key : `key/${key}`];
    if (resource.startsWith("alias/")) {
      aliases.push(resource);
      aliasScopes.push(`arn:${partition}:kms:${keyRegion}:${account}:key/*`);
    } else {
      keyArns.push(`arn:${partition}:kms:${keyRegion}:${account}:${resource}`);
    }
  }
  const out: PolicyStatement[] = [];
  const withCondition = (extra: Record<string, Record<string, string | string[]>>) => {
    const merged = { ...condition, ...extra };
    return Object.keys(merged).length > 0 ? { Condition: merged } : {};
  };
  if (keyArns.length > 0) {
    out.push({
      Sid: sid,
      Effect: "Allow",
      Action: [...actions],
      Resource: sorted(keyArns),
      ...withCondition({}),
    });
  }
  if (aliases.length > 0) {
    out.push({
      Sid: `${sid}ByAlias`,
      Effect: "Allow",
      Action: [...actions],
      Resource: sorted(aliasScopes),
      ...withCondition({ "ForAnyValue:StringEquals": { "kms:ResourceAliases": sorted(aliases) } }),
    });
  }
  return out;
}

/** The AWS KMS master keys of the sops files, once each (the loader read them from the clear-text metadata). */
export function sopsKmsKeys(sopsFiles: SopsFileInfo[]): SopsKmsKey[] {
  const keys = new Map<string, SopsKmsKey>();
  for (const key of sopsFiles.flatMap((f) => f.kmsKeys)) {
    if (key.arn) keys.set(`${key.arn}\0${key.role ?? ""}`, key);
  }
  return [...keys.values()];
}

export interface ImportPolicyOptions extends Omit<IamPolicyOptions, "stack"> {
  /** Name prefixes the import reads; empty: every secret. */
  prefixes: string[];
  withPolicies: boolean;
  jsonKeys: boolean;
}

/** The read-only policy of `secret-manifests import`, from the operations it can call. */
export function buildImportPolicy(opts: ImportPolicyOptions): PolicyDocument {
  const { partition, region, account } = opts;
  const operations: InventoryOperation[] = [
    "ListSecrets",
    "DescribeSecret",
    ...(opts.withPolicies ? (["GetResourcePolicy"] as const) : []),
    ...(opts.jsonKeys ? (["BatchGetSecretValue"] as const) : []),
  ];
  const of = (scope: "account" | "secret") =>
    sorted(operations.flatMap((op) => INVENTORY_OPERATIONS[op][scope]));
  const secretArn = (prefix: string) =>
    `arn:${partition}:secretsmanager:${region}:${account}:secret:${prefix}*`;
  const statements: PolicyStatement[] = [
    { Sid: "ImportList", Effect: "Allow", Action: of("account"), Resource: "*" },
    {
      Sid: "ImportReadMetadata",
      Effect: "Allow",
      Action: of("secret"),
      Resource: opts.prefixes.length > 0 ? sorted(opts.prefixes.map(secretArn)) : secretArn(""),
    },
  ];
  if (opts.jsonKeys) {
    // Reading a value encrypted with a customer managed key also needs the key, via Secrets Manager only.
    const domain = partition === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com";
    statements.push({
      Sid: "ImportDecryptValues",
      Effect: "Allow",
      Action: ["kms:Decrypt"],
      Resource: `arn:${partition}:kms:${region}:${account}:key/*`,
      Condition: { StringLike: { "kms:ViaService": `secretsmanager.${region}.${domain}` } },
    });
  }
  return { Version: "2012-10-17", Statement: statements };
}

export const iamPolicyCommand: Command = {
  name: "iam-policy",
  summary: "print the least-privilege IAM policy the manifests need",
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseCommandArgs(argv, {
      region: { type: "string", default: "*" },
      account: { type: "string", default: "*" },
      partition: { type: "string", default: "aws" },
      stack: { type: "string" },
      root: { type: "string" },
      "allow-outside-root": { type: "boolean", default: false },
      import: { type: "boolean", default: false },
      prefix: { type: "string", multiple: true, default: [] },
      "with-policies": { type: "boolean", default: false },
      "json-keys": { type: "boolean", default: false },
      format: { type: "string", default: "json" },
      help: { type: "boolean", short: "h" },
    });
    if (values.help) {
      io.stdout(`${usage}\n`);
      return EXIT.ok;
    }
    if (values.format !== "json") throw new UsageError(`--format must be json, not "${values.format}"`);
    if (!values.import && positionals.length === 0)
      throw new UsageError("give at least one manifest file, folder or glob (or --import)");
    if (!values.import && (values.prefix.length > 0 || values["with-policies"] || values["json-keys"]))
      throw new UsageError("--prefix, --with-policies and --json-keys go with --import");
    if (values.import && (positionals.length > 0 || values.stack !== undefined))
      throw new UsageError("--import reads no manifests and takes no --stack");
    if (!/^(\d{12}|\*)$/.test(values.account))
      throw new UsageError(`--account must be a 12-digit account id or "*", not "${values.account}"`);
    if (!/^([a-z]{2}(-[a-z]+)+-\d+|\*)$/.test(values.region))
      throw new UsageError(`--region must be a Region code like eu-west-1 or "*", not "${values.region}"`);
    if (!/^aws(-[a-z]+)*$/.test(values.partition))
      throw new UsageError(`--partition must be aws, aws-cn or aws-us-gov, not "${values.partition}"`);
    if (values.stack !== undefined && values.stack.trim() === "")
      throw new UsageError('--stack must be the owner tag value, "<project>/<stack>"');

    if (values.import) {
      const policy = buildImportPolicy({
        partition: values.partition,
        region: values.region,
        account: values.account,
        prefixes: values.prefix,
        withPolicies: values["with-policies"],
        jsonKeys: values["json-keys"],
      });
      io.stdout(`${JSON.stringify(policy, null, 2)}\n`);
      return EXIT.ok;
    }
    const { rootDir, paths } = rootAndPaths(values.root, positionals, io.cwd);
    const { specs, sopsFiles } = await loadManifests(paths, {
      rootDir,
      allowReadsOutsideRoot: values["allow-outside-root"],
    });
    const policy = buildIamPolicy(specs, sopsKmsKeys(sopsFiles), {
      partition: values.partition,
      region: values.region,
      account: values.account,
      ...(values.stack !== undefined ? { stack: values.stack } : {}),
    });
    io.stdout(`${JSON.stringify(policy, null, 2)}\n`);
    if (values.stack === undefined) {
      io.stderr(
        "note: without --stack, removing a manifest deletes its secret only while the policy still lists it; pass --stack <project>/<stack> to allow deleting secrets this stack owns.\n",
      );
    }
    const size = JSON.stringify(policy).length;
    if (size > MANAGED_POLICY_MAX_CHARS) {
      io.stderr(
        `note: the policy is ${size} characters; an IAM managed policy holds at most ${MANAGED_POLICY_MAX_CHARS}: split the manifests into several policies or use a name prefix pattern.\n`,
      );
    }
    return EXIT.ok;
  },
};
