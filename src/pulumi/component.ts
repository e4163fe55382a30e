/** SecretManifests: every manifest under some paths, as one ManagedSecret each. */
import * as pulumi from "@pulumi/pulumi";
import { isUserError } from "../errors";
import { loadManifests } from "../manifest";
import type { SecretSpec } from "../manifest/spec";
import { OWNER_TAG } from "../reconcile/types";
import { ManagedSecret, type ManagedSecretArgs, StackHmacKey } from "./resources";
import { projectRoot } from "./root";

export interface SecretManifestsArgs {
  /** Files, folders (searched for *.yaml / *.yml) or globs, relative to the project folder (where Pulumi.yaml is). */
  paths: string[];
  /** Tags on every secret; a manifest's own tags win, like Terraform's default_tags. Default: config `defaultTags`. */
  defaultTags?: Record<string, string>;
  /** Recovery window for manifests without `spec.deletion`. Default: config `recoveryWindowInDays`, else 30. */
  recoveryWindowInDays?: number;
  /** Region for every secret. Default: config `region`, else the AWS SDK's chain. */
  region?: string;
  /** HMAC key (hex, ≥32 bytes). Default: secret config `hmacKey`, else an auto-created key kept secret in state. */
  hmacKey?: pulumi.Input<string>;
  /** Options for every ManagedSecret (e.g. protect, retainOnDelete, ignoreChanges). */
  secretOptions?: pulumi.CustomResourceOptions;
}

export const CONFIG_NAMESPACE = "secret-manifests";
const DEFAULT_RECOVERY_WINDOW_DAYS = 30;

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
    const specs = await loadAll(a.paths);
    const config = new pulumi.Config(CONFIG_NAMESPACE);
    const hmacKey =
      a.hmacKey ?? config.getSecret("hmacKey") ?? new StackHmacKey("hmac-key", { parent: this }).key;
    const shared = {
      region: a.region ?? config.get("region"),
      defaultTags: a.defaultTags ?? config.getObject<Record<string, string>>("defaultTags") ?? {},
      recoveryWindowInDays:
        a.recoveryWindowInDays ?? config.getNumber("recoveryWindowInDays") ?? DEFAULT_RECOVERY_WINDOW_DAYS,
      owner: `${pulumi.getProject()}/${pulumi.getStack()}`,
      hmacKey,
    };
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

/** All manifests are validated before any resource is registered: one bad file applies nothing. */
async function loadAll(paths: string[]): Promise<SecretSpec[]> {
  try {
    return (await loadManifests(paths, { rootDir: projectRoot() })).specs;
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

interface SharedArgs {
  region?: string;
  defaultTags: Record<string, string>;
  recoveryWindowInDays: number;
  owner: string;
  hmacKey: pulumi.Input<string>;
}

export function managedSecretArgs(spec: SecretSpec, shared: SharedArgs): ManagedSecretArgs {
  return {
    name: spec.name,
    region: shared.region,
    description: spec.description,
    kmsKeyId: spec.kmsKeyId,
    tags: { ...shared.defaultTags, ...spec.tags, [OWNER_TAG]: shared.owner },
    value:
      spec.value.kind === "json" ? { ...spec.value, keyOrder: Object.keys(spec.value.fields) } : spec.value,
    replicas: spec.replicas,
    forceOverwriteReplicaSecret: spec.forceOverwriteReplicaSecret,
    deletion: spec.deletion ?? { recoveryWindowInDays: shared.recoveryWindowInDays },
    adopt: spec.adopt,
    owner: shared.owner,
    source: spec.source,
    hmacKey: shared.hmacKey,
  };
}
