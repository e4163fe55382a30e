/** The two dynamic resources: one secret per manifest document, and the stack's HMAC key. */
import * as pulumi from "@pulumi/pulumi";
import type { ValueDigest } from "../reconcile/digest";
import type { AppliedSecret } from "../reconcile/types";
import type { ManagedSecretInputs } from "./inputs";
import { managedSecretProvider, stackKeyProvider } from "./provider";

export type ManagedSecretArgs = {
  [K in keyof Omit<ManagedSecretInputs, "digest" | "kept">]: pulumi.Input<ManagedSecretInputs[K]>;
};

const MODULE = "secret-manifests";

export class ManagedSecret extends pulumi.dynamic.Resource {
  declare readonly arn: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;
  declare readonly versionId: pulumi.Output<string>;
  declare readonly replicationStatus: pulumi.Output<AppliedSecret["replicationStatus"]>;
  /** Keyed digests of the value (and of each top-level JSON key): safe to show, useless to guess from. */
  declare readonly digest: pulumi.Output<ValueDigest>;

  constructor(name: string, args: ManagedSecretArgs, opts?: pulumi.CustomResourceOptions) {
    const outputs = {
      arn: undefined,
      awsRegion: undefined,
      versionId: undefined,
      replicationStatus: undefined,
      digest: undefined,
    };
    // A secret input, not only a secret output: the key is stored encrypted in the
    // resource's inputs too, whatever form the caller passed it in.
    const hmacKey = pulumi.secret(args.hmacKey);
    super(
      managedSecretProvider(),
      name,
      { ...outputs, ...args, hmacKey },
      { ...opts, additionalSecretOutputs: ["hmacKey", ...(opts?.additionalSecretOutputs ?? [])] },
      MODULE,
      "ManagedSecret",
    );
  }
}

/** A random per-stack HMAC key kept as a secret in state, for stacks without `secret-manifests:hmacKey`. */
export class StackHmacKey extends pulumi.dynamic.Resource {
  declare readonly key: pulumi.Output<string>;

  constructor(name: string, opts?: pulumi.CustomResourceOptions) {
    super(
      stackKeyProvider(),
      name,
      { key: undefined },
      { ...opts, additionalSecretOutputs: ["key"] },
      MODULE,
      "StackHmacKey",
    );
  }
}
