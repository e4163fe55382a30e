// The engine floor's no-op providers (see floor-program.cjs), installed by bench/pulumi.mjs
// as node_modules/bench-floor/{noop,key}.js in the floor's program directory.
const { createHash, randomBytes } = require("node:crypto");

const digestOf = (s) => createHash("sha256").update(s).digest("hex");

exports.noop = {
  async check(_olds, news) {
    // Like the product, only the secrets whose value is BENCH_VALUE_A change when it does.
    const source = news.value.kind === "string" ? `${news.name}:${process.env.BENCH_VALUE_A}` : news.name;
    const digest = { kind: news.value.kind, value: digestOf(source) };
    return { inputs: { ...news, digest } };
  },
  async diff(_id, olds, news) {
    return { changes: JSON.stringify(olds.digest) !== JSON.stringify(news.digest) };
  },
  async create(inputs) {
    const arn = `arn:aws:secretsmanager:us-east-1:123456789012:secret:${inputs.name}-AbCdEf`;
    const outs = { ...inputs, arn, versionId: digestOf(arn).slice(0, 36), replicationStatus: [] };
    return { id: arn, outs };
  },
  async update(_id, olds, news) {
    return { outs: { ...news, arn: olds.arn, versionId: olds.versionId, replicationStatus: [] } };
  },
  async read(id, props) {
    return { id, props };
  },
  async delete() {},
};

exports.key = {
  async create() {
    return { id: "stack-hmac-key", outs: { key: randomBytes(32).toString("hex") } };
  },
};
