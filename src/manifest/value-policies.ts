/**
 * Semantic checks of seed-once and generated values, rotation and resource policies: the
 * combinations a JSON Schema cannot rule out, and the policy document's shape and size.
 */
import { readFile } from "node:fs/promises";
import { type ConfineOptions, confinedPath, OUTSIDE_ROOT_HINT, OutsideRootError } from "../sources/confine";
import type { Issue } from "./document";
import type { SecretSpec } from "./spec";

/** PutResourcePolicy's limit on the policy text, in characters. */
export const MAX_RESOURCE_POLICY_CHARS = 20480;

/**
 * Every problem of one spec's value policy, rotation and resource policy. Synchronous
 * unless the resource policy is read from a file: validation calls it once per manifest.
 */
export function valuePolicyIssues(spec: SecretSpec, reads: ConfineOptions): Issue[] | Promise<Issue[]> {
  const issues = [...missingValue(spec), ...rotationIssues(spec)];
  const policy = spec.resourcePolicy;
  if (policy?.document) issues.push(...policyShapeIssues(policy.document, "/spec/resourcePolicy/document"));
  if (!policy?.fromFile) return issues;
  return policyFileIssues(policy.fromFile, reads).then((more) => [...issues, ...more]);
}

/** Whether every part of the value is written back on each deployment. */
export function enforcesWholeValue(spec: Pick<SecretSpec, "updatePolicy" | "value">): boolean {
  const { value } = spec;
  if (spec.updatePolicy === "IfNotExists" || !value || value.kind === "generate") return false;
  if (value.kind !== "json") return true;
  return value.fields.every(
    ([, field]) =>
      field === null ||
      typeof field !== "object" ||
      (!("generate" in field) && !("updatePolicy" in field && field.updatePolicy === "IfNotExists")),
  );
}

function missingValue(spec: SecretSpec): Issue[] {
  if (spec.value || (spec.updatePolicy === "IfNotExists" && spec.adopt)) return [];
  return [
    {
      pointer: "/spec",
      at: "key",
      message:
        spec.updatePolicy === "IfNotExists"
          ? "spec.value is missing: without a value, `updatePolicy: IfNotExists` needs `adopt: true` (the value is then whatever AWS holds)"
          : "spec is missing the required field `value`",
      hint:
        spec.updatePolicy === "IfNotExists"
          ? "add spec.adopt: true to keep an existing secret's value, or add spec.value to seed a new secret"
          : "add spec.value (`string`, `json`, `binary` or `generate`)",
    },
  ];
}

function rotationIssues(spec: SecretSpec): Issue[] {
  const { rotation } = spec;
  if (!rotation) return [];
  const issues: Issue[] = [];
  const schedules = [rotation.automaticallyAfterDays, rotation.scheduleExpression].filter(
    (s) => s !== undefined,
  );
  if (schedules.length !== 1) {
    issues.push({
      pointer: "/spec/rotation",
      at: "key",
      message: `spec.rotation must have exactly one of automaticallyAfterDays, scheduleExpression (it has ${schedules.length})`,
      hint: "rotate on a fixed number of days (`automaticallyAfterDays: 30`) or a schedule (`scheduleExpression: rate(10 days)`)",
    });
  }
  if (enforcesWholeValue(spec)) {
    issues.push({
      pointer: "/spec/rotation",
      at: "key",
      message:
        "spec.rotation rotates a value this manifest enforces: every deployment would write the old value back and undo the rotation",
      hint: "set spec.updatePolicy: IfNotExists, use spec.value.generate, or give the JSON keys the rotation changes `updatePolicy: IfNotExists` or `generate`",
    });
  }
  return issues;
}

async function policyFileIssues(file: string, reads: ConfineOptions): Promise<Issue[]> {
  const pointer = "/spec/resourcePolicy/fromFile";
  let absolute: string;
  try {
    absolute = await confinedPath(file, reads);
  } catch (error) {
    if (!(error instanceof OutsideRootError)) throw error;
    return [{ pointer, at: "value", message: `policy file ${error.message}`, hint: OUTSIDE_ROOT_HINT }];
  }
  const loaded = await readPolicyFile(absolute);
  if (typeof loaded === "string") {
    return [{ pointer, at: "value", message: `policy file \`${file}\` ${loaded}`, hint: POLICY_HINT }];
  }
  return policyShapeIssues(loaded, pointer, `policy file \`${file}\``);
}

const POLICY_HINT =
  'a resource policy is a JSON object such as { "Version": "2012-10-17", "Statement": [{ "Effect": "Allow", "Principal": { "AWS": "arn:aws:iam::123456789012:role/app" }, "Action": "secretsmanager:GetSecretValue", "Resource": "*" }] }';

/** The parsed document, or why it cannot be used. */
export async function readPolicyFile(file: string): Promise<Record<string, unknown> | string> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return "does not exist";
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
    return "must hold a JSON object";
  } catch (error) {
    return `is not valid JSON (${(error as Error).message})`;
  }
}

/**
 * What IAM's policy grammar requires of a resource policy, checked offline: a Statement
 * (one or a list), each with an Effect, an Action or NotAction, and a Principal or
 * NotPrincipal (a resource policy names who it applies to); and AWS's size limit.
 */
export function policyShapeIssues(
  document: Record<string, unknown>,
  pointer: string,
  subject = "spec.resourcePolicy.document",
): Issue[] {
  const problems: string[] = [];
  const size = JSON.stringify(document).length;
  if (size > MAX_RESOURCE_POLICY_CHARS)
    problems.push(`is ${size} characters; AWS allows at most ${MAX_RESOURCE_POLICY_CHARS}`);
  if (
    document.Version !== undefined &&
    document.Version !== "2012-10-17" &&
    document.Version !== "2008-10-17"
  )
    problems.push('has an unknown Version (use "2012-10-17")');
  const statement = document.Statement;
  const statements = Array.isArray(statement) ? statement : statement === undefined ? [] : [statement];
  if (statements.length === 0) problems.push("has no Statement");
  statements.forEach((s, i) => {
    const where = Array.isArray(statement) ? `Statement[${i}]` : "Statement";
    if (s === null || typeof s !== "object" || Array.isArray(s)) {
      problems.push(`${where} must be an object`);
      return;
    }
    const st = s as Record<string, unknown>;
    if (st.Effect !== "Allow" && st.Effect !== "Deny")
      problems.push(`${where} needs Effect "Allow" or "Deny"`);
    if (st.Action === undefined && st.NotAction === undefined)
      problems.push(`${where} needs Action or NotAction`);
    if (st.Principal === undefined && st.NotPrincipal === undefined)
      problems.push(`${where} needs Principal or NotPrincipal (a resource policy names who it applies to)`);
  });
  return problems.map((problem) => ({
    pointer,
    at: "key",
    message: `${subject} ${problem}`,
    hint: POLICY_HINT,
  }));
}
