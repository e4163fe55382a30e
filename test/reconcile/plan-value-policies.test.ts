/** The planner's decisions for kept parts, rotation and resource policies, as data. */
import { describe, expect, it } from "vitest";
import { isUserError } from "../../src/errors.js";
import type { RotationSpec } from "../../src/manifest/spec.js";
import { plan } from "../../src/reconcile/plan.js";
import { samePolicy } from "../../src/reconcile/policy.js";
import {
  AWSCURRENT,
  AWSPENDING,
  type DesiredSecret,
  type ObservedSecret,
  type ValueParts,
  WHOLE_VALUE,
} from "../../src/reconcile/types.js";
import { desired, HMAC_KEY, OWNER, observed, text } from "./helpers.js";

const NAME = "app/db";
const ARN = observed(NAME).arn;
const GENERATE = {
  length: 32,
  excludeNumbers: false,
  excludePunctuation: false,
  excludeUppercase: false,
  excludeLowercase: false,
  includeSpace: false,
  requireEachIncludedType: true,
  generation: 1,
};

function withParts(parts: Partial<ValueParts>, extra: Partial<DesiredSecret> = {}): DesiredSecret {
  const value: ValueParts = {
    kind: "parts",
    stored: "json",
    verify: false,
    regenerate: [],
    hmacKey: HMAC_KEY,
    ...parts,
  };
  return { ...desired(NAME, text("unused"), extra), value };
}

const current = (extra: Partial<ObservedSecret> = {}) =>
  observed(NAME, { versionStages: { v1: [AWSCURRENT] }, ...extra });
const fields = [{ key: "host", policy: "Replace" as const, text: '"h"' }];
const ops = (d: DesiredSecret, o: ObservedSecret | undefined) => plan(d, o, OWNER);

describe("values with kept parts", () => {
  it("an existing whole generated or seed-once value gets no value call", () => {
    expect(ops(withParts({ whole: { generate: GENERATE } }), current())).toEqual([]);
    expect(ops(withParts({ whole: { seed: text("s") }, verify: true }), current())).toEqual([]);
  });

  it("a due generation is one write without a read", () => {
    expect(ops(withParts({ whole: { generate: GENERATE }, regenerate: [WHOLE_VALUE] }), current())).toEqual([
      { type: "writeParts", secretId: ARN, read: false, fromVersionId: "v1" },
    ]);
  });

  it("JSON keys are read and merged only when the declaration changed", () => {
    expect(ops(withParts({ fields }), current())).toEqual([]);
    expect(ops(withParts({ fields, verify: true }), current())).toEqual([
      { type: "writeParts", secretId: ARN, read: true, fromVersionId: "v1" },
    ]);
  });

  it("a secret without a current version is seeded, whatever was recorded", () => {
    expect(ops(withParts({ fields }), observed(NAME))).toEqual([
      { type: "writeParts", secretId: ARN, read: false },
    ]);
    expect(ops(withParts({}, { adopt: true }), observed(NAME, { tags: {} })).map((o) => o.type)).toEqual([
      "tag",
    ]);
  });

  it("a secret that does not exist and has nothing to seed it is a user error", () => {
    let error: unknown;
    try {
      ops(withParts({}), undefined);
    } catch (e) {
      error = e;
    }
    expect(isUserError(error)).toBe(true);
  });
});

describe("rotation", () => {
  const rotation: RotationSpec = {
    lambdaArn: "arn:aws:lambda:us-east-1:123456789012:function:r",
    automaticallyAfterDays: 30,
    rotateImmediately: false,
  };
  const held = { enabled: true, lambdaArn: rotation.lambdaArn, automaticallyAfterDays: 30 };
  const rotated = withParts({ whole: { generate: GENERATE } }, { rotation });

  it("follows a new secret's create, with its name as the id", () => {
    expect(ops(rotated, undefined).map((o) => o.type)).toEqual(["create", "rotate"]);
    expect(ops(rotated, undefined)[1]).toEqual({ type: "rotate", secretId: NAME, rotation });
  });

  it("is read from the observation: the same rotation is no call, a different schedule is one RotateSecret", () => {
    expect(ops(rotated, current({ rotation: held }))).toEqual([]);
    expect(ops(rotated, current({ rotation: { ...held, automaticallyAfterDays: 7 } }))).toEqual([
      { type: "rotate", secretId: ARN, rotation },
    ]);
    expect(ops(rotated, current({ rotation: { ...held, enabled: false } })).map((o) => o.type)).toEqual([
      "rotate",
    ]);
  });

  it("a schedule AWS reports in its other form, or a window the manifest leaves to AWS, is no change", () => {
    const asRate = {
      enabled: true,
      lambdaArn: rotation.lambdaArn,
      scheduleExpression: "rate(30 days)",
      duration: "2h",
    };
    expect(ops(rotated, current({ rotation: asRate }))).toEqual([]);
    const withWindow = withParts(
      { whole: { generate: GENERATE } },
      { rotation: { ...rotation, duration: "3h" } },
    );
    expect(ops(withWindow, current({ rotation: asRate })).map((o) => o.type)).toEqual(["rotate"]);
  });

  it("a dropped rotation is cancelled only while enabled; one never declared is left alone", () => {
    const dropped = withParts({ whole: { generate: GENERATE } }, { hadRotation: true });
    expect(ops(dropped, current({ rotation: held }))).toEqual([{ type: "cancelRotation", secretId: ARN }]);
    expect(ops(dropped, current({ rotation: { ...held, enabled: false } }))).toEqual([]);
    expect(ops(withParts({ whole: { generate: GENERATE } }), current({ rotation: held }))).toEqual([]);
  });

  it("an unfinished rotation (AWSPENDING off the current version) blocks a RotateSecret; one on it does not", () => {
    const stages = { v1: [AWSCURRENT], v2: [AWSPENDING] };
    expect(() => ops(rotated, current({ versionStages: stages }))).toThrow(/AWSPENDING/);
    expect(
      ops(rotated, current({ versionStages: { v1: [AWSCURRENT, AWSPENDING] } })).map((o) => o.type),
    ).toEqual(["rotate"]);
    expect(ops(rotated, current({ versionStages: stages, rotation: held }))).toEqual([]);
  });
});

describe("resource policies", () => {
  const doc = JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: ["x"], Principal: "*" }],
  });
  const withPolicy = (force = false) =>
    desired(NAME, text("v"), { resourcePolicy: { document: doc, blockPublicPolicy: true, force } });
  const token = withPolicy().token;
  const at = (resourcePolicy: string | null | undefined) =>
    observed(NAME, {
      versionStages: { [token]: [AWSCURRENT] },
      ...(resourcePolicy !== undefined ? { resourcePolicy } : {}),
    });

  it("compares by meaning: key order, whitespace and one-element lists do not count", () => {
    const same = '{"Statement":{"Principal":"*","Action":"x","Effect":"Allow"},\n "Version":"2012-10-17"}';
    expect(samePolicy(doc, same)).toBe(true);
    expect(ops(withPolicy(), at(same))).toEqual([]);
    expect(samePolicy(doc, doc.replace('"x"', '"y"'))).toBe(false);
  });

  it("puts a missing or different policy, and again when blockPublicPolicy changed", () => {
    const put = { type: "putPolicy", secretId: ARN, document: doc, blockPublicPolicy: true };
    expect(ops(withPolicy(), at(null))).toEqual([put]);
    expect(ops(withPolicy(true), at(doc))).toEqual([put]);
  });

  it("deletes a policy the manifest dropped, and leaves an unread one alone", () => {
    const plain = desired(NAME, text("v"));
    expect(ops(plain, at(doc))).toEqual([{ type: "deletePolicy", secretId: ARN }]);
    expect(ops(plain, at(undefined))).toEqual([]);
  });
});
