// Engine floor for bench/pulumi.mjs: the same program shape as SecretManifests (one
// component, one secret HMAC-key resource, N dynamic resources with the same inputs and
// outputs, same parallelism), but a provider that does no work: no AWS, no sops, no
// manifest loading. What is left is the engine, gRPC, the dynamic-provider host and the
// checkpoint: the cost any dynamic provider pays.
const pulumi = require("@pulumi/pulumi");

// The providers are loaded from node_modules (bench/pulumi.mjs installs this file there as
// the package `bench-floor`), so Pulumi serializes them as a require() like the product's
// provider, and the state carries the same small `__provider`.
const noop = require("bench-floor/noop");
const keyProvider = require("bench-floor/key");

class Noop extends pulumi.dynamic.Resource {
  constructor(name, args, opts) {
    super(
      noop,
      name,
      { arn: undefined, versionId: undefined, replicationStatus: undefined, digest: undefined, ...args },
      { ...opts, additionalSecretOutputs: ["hmacKey"] },
      "bench",
      "Noop",
    );
  }
}
class Key extends pulumi.dynamic.Resource {
  constructor(name, opts) {
    super(
      keyProvider,
      name,
      { key: undefined },
      { ...opts, additionalSecretOutputs: ["key"] },
      "bench",
      "Key",
    );
  }
}

module.exports = async () => {
  const { specs } = JSON.parse(require("node:fs").readFileSync("floor-specs.json", "utf8"));
  const component = new pulumi.ComponentResource("bench:index:Floor", "floor");
  const key = new Key("hmac-key", { parent: component }).key;
  const owner = `${pulumi.getProject()}/${pulumi.getStack()}`;
  const secrets = specs.map(
    (s) =>
      new Noop(
        s.name,
        {
          ...s,
          tags: { ...s.tags, "secret-manifests:stack": owner },
          deletion: { recoveryWindowInDays: 30 },
          owner,
          hmacKey: key,
        },
        { parent: component },
      ),
  );
  const arns = pulumi
    .all(secrets.map((r) => r.arn))
    .apply((list) => Object.fromEntries(specs.map((s, i) => [s.name, list[i]])));
  return { arns };
};
