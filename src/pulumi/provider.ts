/**
 * The dynamic provider objects Pulumi serializes into every resource's state.
 *
 * Each provider object *is* the exports of an implementation module loaded by package
 * name from node_modules. Pulumi's closure serializer recognizes a module under
 * node_modules and stores only `require("secret-manifests/crud")` (about 260 bytes),
 * instead of serializing methods by value: nothing captured, no client, no SDK, and the
 * provider process loads the implementation once and keeps its caches there.
 * (Changed from the design's "methods that require() inside": seven such methods cost
 * 2 KB, stored twice in every resource.)
 */
import type * as pulumi from "@pulumi/pulumi";
import { UserError } from "../errors";

/** Resolved from the program directory, exactly as the provider process (started there) will. */
function installedModule(specifier: string): pulumi.dynamic.ResourceProvider {
  const file = require.resolve(specifier, { paths: [process.cwd()] });
  // By value, the implementation would drag the AWS SDK into the state and fail to serialize.
  if (!file.split(/[\\/]/).includes("node_modules")) {
    throw new UserError(
      `${specifier} resolved to ${file}, outside node_modules`,
      undefined,
      "install secret-manifests as a package (npm install secret-manifests); in its own repo, run `npm run build`",
    );
  }
  return require(file);
}

export const managedSecretProvider = () => installedModule("secret-manifests/crud");
export const stackKeyProvider = () => installedModule("secret-manifests/stack-key");
