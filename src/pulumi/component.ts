/** SecretManifests: every manifest under some paths, as one ManagedSecret each. */
import * as pulumi from "@pulumi/pulumi";
import { isUserError, UserError } from "../errors";
import { loadManifests } from "../manifest";
import type { SecretSpec } from "../manifest/spec";
import { OWNER_TAG } from "../reconcile/types";
import { ManagedSecret, type ManagedSecretArgs, StackHmacKey } from "./resources";

export interface SecretManifestsArgs {
  /** Files, folders (searched for *.yaml / *.yml) or globs, relative to the program directory. */
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
    this.arns = pulumi.output(this.registerSecrets(args));
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

/** All manifests are validated before any resource is registered: one bad file applies nothing. */
async function loadAll(paths: string[]): Promise<SecretSpec[]> {
  try {
    return (await loadManifests(paths)).specs;
  } catch (e) {
    if (isUserError(e)) throw new pulumi.RunError(e.format());
    throw e;
  }
}

interface SharedArgs {
  region?: string;
  defaultTags: Record<string, string>;
  recoveryWindowInDays: number;
  owner: string;
  hmacKey: pulumi.Input<string>;
}

export function managedSecretArgs(spec: SecretSpec, shared: SharedArgs): ManagedSecretArgs {
  if (spec.value === undefined) {
    throw new UserError(
      "spec.value is omitted (keep the value AWS holds), which this provider version cannot apply yet",
      { ...spec.source, field: "/spec" },
      "declare spec.value, or upgrade to a version that applies updatePolicy: IfNotExists",
    );
  }
  return {
    name: spec.name,
    region: shared.region,
    description: spec.description,
    kmsKeyId: spec.kmsKeyId,
    tags: { ...shared.defaultTags, ...spec.tags, [OWNER_TAG]: shared.owner },
    value: spec.value,
    replicas: spec.replicas,
    forceOverwriteReplicaSecret: spec.forceOverwriteReplicaSecret,
    deletion: spec.deletion ?? { recoveryWindowInDays: shared.recoveryWindowInDays },
    adopt: spec.adopt,
    owner: shared.owner,
    source: spec.source,
    hmacKey: shared.hmacKey,
  };
}
