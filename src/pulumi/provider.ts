/**
 * The dynamic provider objects Pulumi serializes into every resource's state.
 *
 * Pulumi serializes these objects' methods by closure capture, so they must stay
 * tiny and stateless: each method `require()`s the real implementation at run time,
 * from the program's node_modules (the provider process runs with the program's
 * cwd). Capturing a local module or a client here would serialize it by value,
 * which breaks on native functions and bloats every resource's state.
 * See shared notes "Dynamic provider mechanics" and test/pulumi/provider-size.test.ts.
 */
import type * as pulumi from "@pulumi/pulumi";

/** Resolved from the program's cwd inside the provider process; see package.json "exports". */
const IMPLEMENTATION = "secret-manifests/provider";

export const managedSecretProvider: pulumi.dynamic.ResourceProvider = {
  configure: (req) => require(IMPLEMENTATION).managedSecret.configure(req),
  check: (olds, news) => require(IMPLEMENTATION).managedSecret.check(olds, news),
  diff: (id, olds, news) => require(IMPLEMENTATION).managedSecret.diff(id, olds, news),
  create: (inputs) => require(IMPLEMENTATION).managedSecret.create(inputs),
  read: (id, props) => require(IMPLEMENTATION).managedSecret.read(id, props),
  update: (id, olds, news) => require(IMPLEMENTATION).managedSecret.update(id, olds, news),
  delete: (id, props) => require(IMPLEMENTATION).managedSecret.delete(id, props),
};

export const stackKeyProvider: pulumi.dynamic.ResourceProvider = {
  create: (inputs) => require(IMPLEMENTATION).stackKey.create(inputs),
};
