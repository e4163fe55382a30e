// Peer-idiom floor for bench/pulumi.mjs: the shape Pulumi AWS and Terraform users write,
// two resources per secret (a Secret, then a SecretVersion holding the value as a Pulumi
// secret in the state) and two calls per new secret (CreateSecret without a value, then
// PutSecretValue), with the same names, descriptions, tags and values as the product, the
// same --parallel. Its providers make only those calls (peer-provider.cjs).
const pulumi = require("@pulumi/pulumi");

const secretProvider = require("bench-floor/peer-secret");
const versionProvider = require("bench-floor/peer-version");

class Secret extends pulumi.dynamic.Resource {
  constructor(name, args, opts) {
    super(secretProvider, name, { arn: undefined, ...args }, opts, "bench", "Secret");
  }
}
class SecretVersion extends pulumi.dynamic.Resource {
  constructor(name, args, opts) {
    super(
      versionProvider,
      name,
      { versionId: undefined, ...args },
      { ...opts, additionalSecretOutputs: ["secretString"] },
      "bench",
      "SecretVersion",
    );
  }
}

module.exports = async () => {
  const secrets = JSON.parse(require("node:fs").readFileSync("peer-secrets.json", "utf8"));
  const arns = {};
  for (const s of secrets) {
    const secret = new Secret(s.name, { name: s.name, description: s.description, tags: s.tags });
    // The values that come from BENCH_VALUE_A in the manifests come from it here too.
    const value = s.fromEnv ? process.env[s.fromEnv] : s.value;
    new SecretVersion(`${s.name}-version`, { secretId: secret.arn, secretString: pulumi.secret(value) });
    arns[s.name] = secret.arn;
  }
  return { arns };
};
