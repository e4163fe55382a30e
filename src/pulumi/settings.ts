/** Provider-process settings, read once from the stack config the engine hands to `configure`. */
import type * as pulumi from "@pulumi/pulumi";

export interface ProviderSettings {
  /** `secret-manifests:region`; absent means the SDK's own chain (AWS_REGION, profile). */
  region?: string;
  /** `secret-manifests:endpoint`; absent means the SDK's own (AWS_ENDPOINT_URL_SECRETS_MANAGER). */
  endpoint?: string;
}

export function readProviderSettings(config: pulumi.dynamic.Config): ProviderSettings {
  return {
    region: config.get("secret-manifests:region") || undefined,
    endpoint: config.get("secret-manifests:endpoint") || undefined,
  };
}
