import { describe, expect, it } from "vitest";
import { isUserError } from "../../src/errors.js";
import { plan, planDeletion } from "../../src/reconcile/plan.js";
import {
  CLAIM_TAG,
  type DesiredSecret,
  type ObservedSecret,
  type Operation,
  OWNER_TAG,
} from "../../src/reconcile/types.js";
import { binary, desired, OWNER, observed, text } from "./helpers.js";

const NAME = "app/db";
const V1 = desired(NAME, text("one"));
const V2 = desired(NAME, text("two"));
const ARN = observed(NAME).arn;
/** AWS holding V1 as current, owned by this stack, nothing else set. */
const HOLDS_V1 = observed(NAME, { versionStages: { [V1.token]: ["AWSCURRENT"] } });
const putV2: Operation = {
  type: "putValue",
  secretId: ARN,
  token: V2.token,
  rewriteToken: V2.rewriteToken,
  fromVersionId: V1.token,
};

interface Case {
  name: string;
  desired: DesiredSecret;
  observed: ObservedSecret | undefined;
  ops: Operation[];
}

const cases: Case[] = [
  {
    name: "a new secret is one create with every parameter inline",
    desired: desired(NAME, text("one"), {
      description: "db",
      kmsKeyId: "alias/app",
      tags: { team: "a" },
      replicas: [{ region: "eu-west-1", kmsKeyId: "alias/eu" }],
      forceOverwriteReplicaSecret: true,
    }),
    observed: undefined,
    ops: [
      {
        type: "create",
        name: NAME,
        token: V1.token,
        description: "db",
        kmsKeyId: "alias/app",
        tags: { team: "a", [OWNER_TAG]: OWNER },
        replicas: [{ region: "eu-west-1", kmsKeyId: "alias/eu" }],
        forceOverwriteReplicaSecret: true,
      },
    ],
  },
  { name: "an unchanged secret needs nothing", desired: V1, observed: HOLDS_V1, ops: [] },
  {
    name: "a new value is a put with its token",
    desired: V2,
    observed: HOLDS_V1,
    ops: [putV2],
  },
  {
    name: "going back to a value AWS still holds is a stage move (rollback)",
    desired: V1,
    observed: observed(NAME, { versionStages: { [V1.token]: ["AWSPREVIOUS"], [V2.token]: ["AWSCURRENT"] } }),
    ops: [{ type: "moveCurrent", secretId: ARN, toVersionId: V1.token, fromVersionId: V2.token }],
  },
  {
    name: "a value set in the console converges to the manifest's",
    desired: V1,
    observed: observed(NAME, {
      versionStages: { [V1.token]: ["AWSPREVIOUS"], "console-version": ["AWSCURRENT"] },
    }),
    ops: [{ type: "moveCurrent", secretId: ARN, toVersionId: V1.token, fromVersionId: "console-version" }],
  },
  {
    name: "string -> binary is a new version",
    desired: desired(NAME, binary(Buffer.from("one"))),
    observed: HOLDS_V1,
    ops: [
      {
        type: "putValue",
        secretId: ARN,
        token: desired(NAME, binary(Buffer.from("one"))).token,
        rewriteToken: desired(NAME, binary(Buffer.from("one"))).rewriteToken,
        fromVersionId: V1.token,
      },
    ],
  },
  {
    name: "description and KMS key changes are one UpdateSecret",
    desired: desired(NAME, text("one"), { description: "new", kmsKeyId: "alias/new" }),
    observed: { ...HOLDS_V1, description: "old", kmsKeyId: "arn:aws:kms:us-east-1:1:alias/old" },
    ops: [{ type: "updateMetadata", secretId: ARN, description: "new", kmsKeyId: "alias/new" }],
  },
  {
    name: "removing description and KMS key from the manifest resets them",
    desired: V1,
    observed: { ...HOLDS_V1, description: "old", kmsKeyId: "key/1234" },
    ops: [{ type: "updateMetadata", secretId: ARN, description: "", kmsKeyId: "alias/aws/secretsmanager" }],
  },
  {
    name: "the same KMS key in another notation is no change",
    desired: desired(NAME, text("one"), { kmsKeyId: "1234abcd-12ab" }),
    observed: { ...HOLDS_V1, kmsKeyId: "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab" },
    ops: [],
  },
  {
    name: "tags: only changed and added keys are set, only removed keys are removed, aws: tags kept",
    desired: desired(NAME, text("one"), { tags: { same: "1", changed: "new", added: "x" } }),
    observed: {
      ...HOLDS_V1,
      tags: { [OWNER_TAG]: OWNER, same: "1", changed: "old", removed: "r", "aws:cloudformation:stack": "s" },
    },
    ops: [
      { type: "tag", secretId: ARN, tags: { changed: "new", added: "x" } },
      { type: "untag", secretId: ARN, keys: ["removed"] },
    ],
  },
  {
    name: "replicas: added, removed, and re-created when their KMS key changes",
    desired: desired(NAME, text("one"), {
      replicas: [
        { region: "eu-west-1" },
        { region: "eu-west-2", kmsKeyId: "alias/new" },
        { region: "ap-south-1" },
      ],
      forceOverwriteReplicaSecret: true,
    }),
    observed: {
      ...HOLDS_V1,
      replicas: [
        { region: "eu-west-1", kmsKeyId: "alias/aws/secretsmanager", status: "InSync" },
        { region: "eu-west-2", kmsKeyId: "alias/old" },
        { region: "us-west-2" },
      ],
    },
    ops: [
      { type: "removeReplicas", secretId: ARN, regions: ["eu-west-2", "us-west-2"] },
      {
        type: "replicate",
        secretId: ARN,
        replicas: [{ region: "eu-west-2", kmsKeyId: "alias/new" }, { region: "ap-south-1" }],
        forceOverwriteReplicaSecret: true,
      },
    ],
  },
  {
    name: "a secret pending deletion is restored first, then converged",
    desired: V2,
    observed: { ...HOLDS_V1, deletedDate: new Date(0) },
    ops: [{ type: "restore", secretId: ARN }, putV2],
  },
  {
    name: "adopt: true takes over an untagged secret, ownership tag first",
    desired: { ...V2, adopt: true },
    observed: { ...HOLDS_V1, tags: { team: "a" }, description: "by hand" },
    ops: [
      { type: "tag", secretId: ARN, tags: { [OWNER_TAG]: OWNER } },
      { type: "untag", secretId: ARN, keys: ["team"] },
      { type: "updateMetadata", secretId: ARN, description: "" },
      putV2,
    ],
  },
  {
    name: "a secret with no current version gets a put without a version to move from",
    desired: V1,
    observed: observed(NAME),
    ops: [{ type: "putValue", secretId: ARN, token: V1.token, rewriteToken: V1.rewriteToken }],
  },
  {
    name: "a value whose version AWS already removed is written again under its token",
    desired: V1,
    observed: observed(NAME, { versionStages: { [V2.token]: ["AWSCURRENT"] } }),
    ops: [
      {
        type: "putValue",
        secretId: ARN,
        token: V1.token,
        rewriteToken: V1.rewriteToken,
        fromVersionId: V2.token,
      },
    ],
  },
  {
    name: "a version kept without a stage is written again, not moved to (it may be under an old KMS key)",
    desired: V1,
    observed: observed(NAME, { versionStages: { [V1.token]: [], [V2.token]: ["AWSCURRENT"] } }),
    ops: [
      {
        type: "putValue",
        secretId: ARN,
        token: V1.token,
        rewriteToken: V1.rewriteToken,
        fromVersionId: V2.token,
      },
    ],
  },
  {
    name: "a value rewritten under its rewrite token is current: nothing to do",
    desired: V1,
    observed: observed(NAME, { versionStages: { [V1.token]: [], [V1.rewriteToken]: ["AWSCURRENT"] } }),
    ops: [],
  },
  {
    name: "a staged rewrite is moved back to like any staged version",
    desired: V1,
    observed: observed(NAME, {
      versionStages: { [V1.rewriteToken]: ["AWSPREVIOUS"], [V2.token]: ["AWSCURRENT"] },
    }),
    ops: [{ type: "moveCurrent", secretId: ARN, toVersionId: V1.rewriteToken, fromVersionId: V2.token }],
  },
  {
    name: "a replica whose replication failed is removed and added again",
    desired: desired(NAME, text("one"), { replicas: [{ region: "eu-west-1" }, { region: "eu-west-2" }] }),
    observed: {
      ...HOLDS_V1,
      replicas: [
        { region: "eu-west-1", status: "Failed", statusMessage: "KMS key not found" },
        { region: "eu-west-2", status: "InSync" },
      ],
    },
    ops: [
      { type: "removeReplicas", secretId: ARN, regions: ["eu-west-1"] },
      {
        type: "replicate",
        secretId: ARN,
        replicas: [{ region: "eu-west-1" }],
        forceOverwriteReplicaSecret: false,
      },
    ],
  },
];

describe("plan", () => {
  it.each(cases)("$name", (c) => {
    const ops = plan(c.desired, c.observed, OWNER);
    expect(ops).toEqual(c.ops);
    // Plans are data: they survive JSON and never carry the value.
    expect(JSON.parse(JSON.stringify(ops))).toEqual(ops);
    expect(JSON.stringify(ops)).not.toMatch(/"one"|"two"/);
  });

  it("refuses an existing untagged secret without adopt, saying how to adopt", () => {
    const error = catchError(() => plan(V1, { ...HOLDS_V1, tags: {} }, OWNER));
    expect(isUserError(error)).toBe(true);
    expect(error.message).toContain('"app/db" already exists in AWS and is not managed by this stack');
    expect((error as { hint?: string }).hint).toContain("spec.adopt: true");
  });

  it("refuses a secret owned by another stack, even with adopt: true", () => {
    const foreign = { ...HOLDS_V1, tags: { [OWNER_TAG]: "org/other/prod" } };
    for (const adopt of [false, true]) {
      const error = catchError(() => plan({ ...V1, adopt }, foreign, OWNER));
      expect(isUserError(error)).toBe(true);
      expect(error.message).toContain('managed by another stack ("org/other/prod")');
    }
  });

  it("treats a desired secret without this stack's ownership tag as a bug", () => {
    expect(() => plan({ ...V1, tags: {} }, undefined, OWNER)).toThrow(/must carry/);
  });

  it("re-tags the recorded secret after a stack rename (recorded ARN and owner prove it is ours)", () => {
    const renamed = "org/project/renamed";
    const asBefore = { ...HOLDS_V1, tags: { [OWNER_TAG]: OWNER } };
    const next = { ...V1, tags: { [OWNER_TAG]: renamed } };
    expect(plan(next, asBefore, renamed, { arn: ARN, owner: OWNER })).toEqual([
      { type: "tag", secretId: ARN, tags: { [OWNER_TAG]: renamed } },
    ]);
    // Without the record, or with another secret's ARN, the old tag is another stack's.
    for (const recorded of [undefined, { arn: `${ARN}x`, owner: OWNER }]) {
      const error = catchError(() => plan(next, asBefore, renamed, recorded));
      expect(error.message).toContain("managed by another stack");
    }
  });

  it("needs replication in the observation of an existing secret", () => {
    expect(() => plan(V1, { ...HOLDS_V1, replicasObserved: false }, OWNER)).toThrow(/replication/);
  });
});

describe("planDeletion", () => {
  it.each([
    { name: "nothing to delete", observed: undefined, ops: [] },
    { name: "already scheduled for deletion", observed: { ...HOLDS_V1, deletedDate: new Date(0) }, ops: [] },
    {
      name: "without replicas: one DeleteSecret with the recovery window",
      observed: HOLDS_V1,
      ops: [{ type: "delete", secretId: ARN, deletion: { recoveryWindowInDays: 7 } }],
    },
    {
      name: "replicas are removed first",
      observed: { ...HOLDS_V1, replicas: [{ region: "eu-west-1" }, { region: "eu-west-2" }] },
      ops: [
        { type: "removeReplicas", secretId: ARN, regions: ["eu-west-1", "eu-west-2"] },
        { type: "delete", secretId: ARN, deletion: { recoveryWindowInDays: 7 } },
      ],
    },
  ])("$name", (c) => {
    expect(planDeletion(c.observed, { recoveryWindowInDays: 7 }, OWNER)).toEqual(c.ops);
  });

  it("refuses a secret tagged for another stack, or untagged, deleting nothing", () => {
    for (const tags of [{ [OWNER_TAG]: "org/other/prod" }, {}] as Record<string, string>[]) {
      const error = catchError(() => planDeletion({ ...HOLDS_V1, tags }, { recoveryWindowInDays: 7 }, OWNER));
      expect(isUserError(error)).toBe(true);
      expect(error.message).toContain('Refusing to delete secret "app/db"');
    }
  });

  it("leaves a secret another resource of the stack has claimed since (a replacement on the same secret)", () => {
    const claimed = { ...HOLDS_V1, tags: { ...HOLDS_V1.tags, [CLAIM_TAG]: "new-resource" } };
    expect(planDeletion(claimed, { recoveryWindowInDays: 7 }, OWNER, "old-resource")).toEqual([]);
    expect(planDeletion(claimed, { recoveryWindowInDays: 7 }, OWNER)).toEqual([]);
    expect(planDeletion(claimed, { recoveryWindowInDays: 7 }, OWNER, "new-resource")).toHaveLength(1);
    // No claim on the secret (state from before claims, or the tag removed): deleted.
    expect(planDeletion(HOLDS_V1, { recoveryWindowInDays: 7 }, OWNER, "old-resource")).toHaveLength(1);
  });

  it("passes force deletion through", () => {
    expect(planDeletion(HOLDS_V1, { forceDeleteWithoutRecovery: true }, OWNER)).toEqual([
      { type: "delete", secretId: ARN, deletion: { forceDeleteWithoutRecovery: true } },
    ]);
  });
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected an error");
}
