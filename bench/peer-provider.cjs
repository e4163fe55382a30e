// The peer-idiom floor's providers (see peer-program.cjs), installed by bench/pulumi.mjs as
// node_modules/bench-floor/peer-{secret,version}.js in the peer program's directory.
// They make the calls the AWS provider makes for `aws.secretsmanager.Secret` and
// `SecretVersion` (Terraform's aws_secretsmanager_secret and _secret_version) and nothing
// else: no validation, no digests, no plan. Every other write path of those resources
// (replace on a name change, tag and policy reads) is left out, which flatters the floor.
const {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} = require("@aws-sdk/client-secrets-manager");

let client;
const sm = () => {
  client ??= new SecretsManagerClient({});
  return client;
};
const metadata = ({ name, description, tags }) => JSON.stringify({ name, description, tags });

/** aws.secretsmanager.Secret: CreateSecret without a value; refresh reads DescribeSecret. */
exports.secret = {
  async diff(_id, olds, news) {
    return { changes: metadata(olds) !== metadata(news) };
  },
  async create(inputs) {
    const out = await sm().send(
      new CreateSecretCommand({
        Name: inputs.name,
        Description: inputs.description,
        Tags: Object.entries(inputs.tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    );
    return { id: out.ARN, outs: { ...inputs, arn: out.ARN } };
  },
  async read(id, props) {
    await sm().send(new DescribeSecretCommand({ SecretId: id }));
    return { id, props };
  },
  async delete() {},
};

/**
 * aws.secretsmanager.SecretVersion: PutSecretValue of the value held in the state (as a
 * Pulumi secret); a changed value is an in-place update here (one PutSecretValue), the
 * cheapest form; refresh reads GetSecretValue.
 */
exports.version = {
  async diff(_id, olds, news) {
    return { changes: olds.secretString !== news.secretString || olds.secretId !== news.secretId };
  },
  async create(inputs) {
    const versionId = await put(inputs);
    return { id: `${inputs.secretId}|${versionId}`, outs: { ...inputs, versionId } };
  },
  async update(_id, _olds, news) {
    return { outs: { ...news, versionId: await put(news) } };
  },
  async read(id, props) {
    await sm().send(new GetSecretValueCommand({ SecretId: props.secretId, VersionId: props.versionId }));
    return { id, props };
  },
  async delete() {},
};

async function put({ secretId, secretString }) {
  const out = await sm().send(new PutSecretValueCommand({ SecretId: secretId, SecretString: secretString }));
  return out.VersionId;
}
