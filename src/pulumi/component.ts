/** SecretManifests: every manifest under some paths, as one ManagedSecret each. */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { isUserError, UserError, UserErrors } from "../errors";
import { loadManifests } from "../manifest";
import type { SecretSpec } from "../manifest/spec";
import { MAX_TAGS, recoveryWindowProblem, tagProblem, valueProblem } from "../reconcile/limits";
import { CLAIM_TAG, OWNER_TAG } from "../reconcile/types";
import { toValueInput } from "./inputs";
import { ManagedSecret, type ManagedSecretArgs, StackHmacKey } from "./resources";
import { projectRoot } from "./root";
import { resolveDeclared } from "./value-parts";

export interface SecretManifestsArgs {
  /** Files, folders (searched for *.yaml / *.yml) or globs, relative to the project folder (where Pulumi.yaml is). */
  paths: string[];
  /** Tags on every secret; a manifest's own tags win, like Terraform's default_tags. Default: config `defaultTags`. */
  defaultTags?: Record<string, string>;
  /** Recovery window (7-30) for manifests without `spec.deletion`. Default: config `recoveryWindowInDays`, else 30. */
  recoveryWindowInDays?: number;
  /** Region for every secret. Default: config `region`, else the AWS SDK's chain. */
  region?: string;
  /**
   * HMAC key (hex, ≥32 bytes). Default: config `hmacKey`, else an auto-created key kept secret
   * in state. Whatever form it comes in, it is stored only as a Pulumi secret.
   */
  hmacKey?: pulumi.Input<string>;
  /**
   * Let `fromSops` files lie outside the project folder (absolute paths, `..`, symlinks out).
   * Default: config `allowReadsOutsideRoot`, else false.
   */
  allowReadsOutsideRoot?: boolean;
  /** Options for every ManagedSecret (e.g. protect, retainOnDelete, ignoreChanges). */
  secretOptions?: pulumi.CustomResourceOptions;
}

export const CONFIG_NAMESPACE = "secret-manifests";
const DEFAULT_RECOVERY_WINDOW_DAYS = 30;
/** Tag keys under this prefix are the tool's own (the ownership tag). */
const RESERVED_TAG_PREFIX = `${CONFIG_NAMESPACE}:`;

export class SecretManifests extends pulumi.ComponentResource {
  /** Secret name to ARN, for every manifest. */
  readonly arns: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: SecretManifestsArgs, opts?: pulumi.ComponentResourceOptions) {
    // The args stay out of the component's own state: they may hold the HMAC key and
    // resource options, and a change to them is not a change to the component.
    super("secret-manifests:index:SecretManifests", name, {}, opts);
    this.arns = withoutEarlyRejectionWarnings(pulumi.output(this.registerSecrets(args)));
    this.registerOutputs({ arns: this.arns });
  }

  private async registerSecrets(a: SecretManifestsArgs): Promise<pulumi.Output<Record<string, string>>> {
    const config = new pulumi.Config(CONFIG_NAMESPACE);
    const { specs, settings } = await checkedManifests(a, config);
    const hmacKey = pulumi.secret(
      a.hmacKey ?? config.getSecret("hmacKey") ?? new StackHmacKey("hmac-key", { parent: this }).key,
    );
    const shared = { ...settings, hmacKey };
    const secrets = specs.map(
      (spec) =>
        new ManagedSecret(spec.name, managedSecretArgs(spec, shared), { ...a.secretOptions, parent: this }),
    );
    return pulumi
      .all(secrets.map((s) => s.arn))
      .apply((list) => Object.fromEntries(specs.map((spec, i) => [spec.name, list[i] as string])));
  }
}

/**
 * Pulumi derives two promises from an output when it is made (is it known, is it secret) and
 * attaches to them only when it serializes the output. A failure that comes first (a missing
 * manifests path fails at once) leaves them rejected without a handler for a moment, and Node
 * then prints PromiseRejectionHandledWarning twice. Handled here; Pulumi still reports the
 * failure, once, through the outputs that carry it.
 */
function withoutEarlyRejectionWarnings<T>(output: pulumi.Output<T>): pulumi.Output<T> {
  const derived = output as unknown as { isKnown?: Promise<unknown>; isSecret?: Promise<unknown> };
  for (const promise of [derived.isKnown, derived.isSecret]) promise?.catch(() => {});
  return output;
}

/** A user error stops the program as one plain message (no stack trace); anything else is a bug. */
async function orRunError<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (isUserError(e)) throw plainRunError(e.format());
    throw e;
  }
}

/**
 * A RunError (printed without a stack) whose message stays as written. The failure reaches
 * Pulumi through every output that carries it (the component's, the stack's); Pulumi reports
 * the error object once, but each serialization prepends `error serializing property
 * "outputs": ` to its message first.
 */
export function plainRunError(message: string): pulumi.RunError {
  const error = new pulumi.RunError(message);
  Object.defineProperty(error, "message", { get: () => message, set: () => {} });
  return error;
}

type Settings = Omit<SharedArgs, "hmacKey">;

/**
 * Every manifest loaded and checked, with the stack-wide settings, before any resource
 * exists: one bad file, reference or setting means nothing is registered, so nothing is
 * applied. Every reference is resolved here (the values are dropped at once; they never
 * become inputs), so one missing variable or undecryptable file fails the whole operation
 * with zero writes. The engine's per-resource `check` alone cannot promise that: other
 * resources' steps run while one resource's check fails. Throws one RunError listing
 * every problem.
 */
export async function checkedManifests(
  a: SecretManifestsArgs,
  config: pulumi.Config,
): Promise<{ specs: SecretSpec[]; settings: Settings }> {
  const reads: ReadSettings = {
    rootDir: projectRoot(),
    allowReadsOutsideRoot: a.allowReadsOutsideRoot ?? config.getBoolean("allowReadsOutsideRoot") ?? false,
  };
  const specs = await orRunError(async () => {
    const loaded = await loadManifests(a.paths, reads);
    for (const warning of loaded.warnings) pulumi.log.warn(warning.format());
    return loaded.specs;
  });
  const settings = await orRunError(() => sharedSettings(a, config, specs, reads));
  return { specs, settings };
}

async function sharedSettings(
  a: SecretManifestsArgs,
  config: pulumi.Config,
  specs: SecretSpec[],
  reads: ReadSettings,
): Promise<Settings> {
  const settings: Settings = {
    rootDir: reads.rootDir,
    allowReadsOutsideRoot: reads.allowReadsOutsideRoot,
    region: a.region ?? config.get("region"),
    defaultTags: a.defaultTags ?? config.getObject<Record<string, string>>("defaultTags") ?? {},
    recoveryWindowInDays:
      a.recoveryWindowInDays ?? config.getNumber("recoveryWindowInDays") ?? DEFAULT_RECOVERY_WINDOW_DAYS,
    owner: `${pulumi.getProject()}/${pulumi.getStack()}`,
  };
  const problems = [
    ...settingsProblems(settings),
    ...specs.flatMap((spec) => tagCountProblems(spec, settings.defaultTags)),
    ...(await referenceProblems(specs, reads)),
  ];
  if (problems.length > 0) throw new UserErrors(problems);
  return settings;
}

function settingsProblems(settings: Settings): UserError[] {
  const problems: UserError[] = [];
  const window = recoveryWindowProblem(settings.recoveryWindowInDays);
  if (window) problems.push(new UserError(`${CONFIG_NAMESPACE}:recoveryWindowInDays: ${window}`));
  for (const [key, value] of Object.entries(settings.defaultTags)) {
    const problem = key.startsWith(RESERVED_TAG_PREFIX)
      ? `tag key "${key}" uses the prefix ${RESERVED_TAG_PREFIX}, reserved for this tool's ownership tag`
      : typeof value !== "string"
        ? `the value of tag "${key}" must be a string`
        : tagProblem(key, value);
    if (problem) problems.push(new UserError(`${CONFIG_NAMESPACE}:defaultTags: ${problem}`));
  }
  return problems;
}

/**
 * AWS's limit applies to the final set: the manifest's tags, the default tags, and the
 * two tags the provider adds (ownership and claim).
 */
function tagCountProblems(spec: SecretSpec, defaultTags: Record<string, string>): UserError[] {
  const count = Object.keys(finalTags(spec, defaultTags, "")).length + 1;
  if (count <= MAX_TAGS) return [];
  const own = Object.keys(spec.tags).length;
  const added = count - own - 2;
  return [
    new UserError(
      `secret "${spec.name}" would carry ${count} tags (${own} from the manifest, ${added} more from ${CONFIG_NAMESPACE}:defaultTags, 2 tags the provider adds: ${OWNER_TAG} and ${CLAIM_TAG}); AWS allows ${MAX_TAGS} per secret`,
      { ...spec.source, field: "/metadata/tags" },
      `remove tags from the manifest or from ${CONFIG_NAMESPACE}:defaultTags`,
    ),
  ];
}

/** Every reference of every manifest resolved once; each failure is reported, none is fatal alone. */
async function referenceProblems(specs: SecretSpec[], reads: ReadSettings): Promise<UserError[]> {
  const results = await Promise.allSettled(
    specs.map(async (spec) => {
      const value = await resolveDeclared(spec.value, spec.updatePolicy, { ...reads, manifest: spec.source });
      const whole =
        value.kind !== "parts" ? value : value.whole && "seed" in value.whole ? value.whole.seed : undefined;
      const problem = whole && valueProblem(whole);
      if (problem) throw new UserError(problem, { ...spec.source, field: "/spec/value" });
    }),
  );
  return results.flatMap((r) => {
    if (r.status === "fulfilled") return [];
    if (isUserError(r.reason)) return r.reason instanceof UserErrors ? r.reason.errors : [r.reason];
    throw r.reason;
  });
}

/** Where references may be read from: the project folder, unless the user opted out. */
interface ReadSettings {
  rootDir: string;
  allowReadsOutsideRoot: boolean;
}

interface SharedArgs {
  region?: string;
  rootDir: string;
  allowReadsOutsideRoot: boolean;
  defaultTags: Record<string, string>;
  recoveryWindowInDays: number;
  owner: string;
  hmacKey: pulumi.Input<string>;
}

function finalTags(spec: SecretSpec, defaultTags: Record<string, string>, owner: string) {
  return { ...defaultTags, ...spec.tags, [OWNER_TAG]: owner };
}

export function managedSecretArgs(spec: SecretSpec, shared: SharedArgs): ManagedSecretArgs {
  return {
    name: spec.name,
    region: shared.region,
    description: spec.description,
    kmsKeyId: spec.kmsKeyId,
    tags: finalTags(spec, shared.defaultTags, shared.owner),
    ...(spec.value ? { value: toValueInput(spec.value) } : {}),
    updatePolicy: spec.updatePolicy,
    ...(spec.rotation ? { rotation: spec.rotation } : {}),
    ...(spec.resourcePolicy
      ? { resourcePolicy: resourcePolicyInput(spec.resourcePolicy, shared.rootDir) }
      : {}),
    replicas: spec.replicas,
    forceOverwriteReplicaSecret: spec.forceOverwriteReplicaSecret,
    deletion: spec.deletion ?? { recoveryWindowInDays: shared.recoveryWindowInDays },
    adopt: spec.adopt,
    owner: shared.owner,
    source: spec.source,
    ...(shared.allowReadsOutsideRoot ? { allowReadsOutsideRoot: true } : {}),
    hmacKey: shared.hmacKey,
  };
}

/**
 * The policy as the compact JSON text PutResourcePolicy gets. A file is read here, from
 * the project root as the loader resolved it (validate already parsed it).
 */
function resourcePolicyInput(policy: NonNullable<SecretSpec["resourcePolicy"]>, rootDir: string) {
  const document =
    policy.document ?? JSON.parse(readFileSync(path.resolve(rootDir, policy.fromFile as string), "utf8"));
  return { document: JSON.stringify(document), blockPublicPolicy: policy.blockPublicPolicy };
}
