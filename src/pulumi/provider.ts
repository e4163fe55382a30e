/**
 * The dynamic provider objects Pulumi serializes into every resource's state.
 *
 * Pulumi serializes these methods by closure capture, so they stay tiny and stateless:
 * each one `require()`s the real implementation at run time, resolved from the program's
 * node_modules (the provider process runs in the program directory). Capturing a local
 * module or a client here would serialize it by value, which breaks on native functions
 * and bloats every resource's state. The module name is a literal in each method, not a
 * shared constant, because every captured variable costs bytes in every resource's state
 * (test/pulumi/provider-size.test.ts keeps the total under 2 KB).
 */
import type * as pulumi from "@pulumi/pulumi";

export const managedSecretProvider: pulumi.dynamic.ResourceProvider = {
  configure: (r) => require("secret-manifests/crud").configure(r),
  check: (o, n) => require("secret-manifests/crud").check(o, n),
  diff: (i, o, n) => require("secret-manifests/crud").diff(i, o, n),
  create: (n) => require("secret-manifests/crud").create(n),
  read: (i, p) => require("secret-manifests/crud").read(i, p),
  update: (i, o, n) => require("secret-manifests/crud").update(i, o, n),
  delete: (i, p) => require("secret-manifests/crud").delete(i, p),
};

export const stackKeyProvider: pulumi.dynamic.ResourceProvider = {
  create: () => require("secret-manifests/crud").createStackKey(),
};
