/**
 * examples/gitops as CI runs it, without GitHub (act is not available either): the jobs'
 * commands are read from the workflow file itself, so the example cannot drift from what is
 * tested. A repository laid out as examples/gitops/README.md says, with the package installed
 * from its packed tarball, goes through a pull request (validate, then preview), a push to
 * main (validate, then up), and a second pull request that changes one value.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { manifest } from "../pulumi/support";
import { REPO_ROOT, type RunResult } from "../support/pulumi";
import { packPackage, removeFolders, runScript, type UserFolder, userFolder } from "../support/user-shell";

interface Step {
  run?: string;
  uses?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  if?: string;
  needs?: string;
  steps: Step[];
}
interface Workflow {
  env: Record<string, string>;
  jobs: Record<string, Job>;
}

const WORKFLOW = path.join(REPO_ROOT, "examples/gitops/.github/workflows/secrets.yml");
/** Actions whose work the test environment already did: the checkout, Node, AWS credentials (moto's). */
const PROVIDED_BY_THE_TEST = [
  "actions/checkout@",
  "actions/setup-node@",
  "aws-actions/configure-aws-credentials@",
];

/**
 * The CLI command pulumi/actions runs for its `command`, `stack-name` and `diff` inputs
 * (through the Automation API: `stack.preview({ diff })`, `stack.up({ diff })`).
 */
function pulumiActionCommand(inputs: Record<string, unknown>): string {
  const known = new Set(["command", "stack-name", "diff", "comment-on-pr"]);
  const unknown = Object.keys(inputs).filter((k) => !known.has(k));
  if (unknown.length > 0) throw new Error(`pulumi/actions inputs this test does not translate: ${unknown}`);
  const args = [String(inputs.command), "--stack", String(inputs["stack-name"]), "--non-interactive"];
  if (inputs.command === "up") args.push("--yes", "--skip-preview");
  if (inputs.diff === true) args.push("--diff");
  return `pulumi ${args.join(" ")}`;
}

/** Replaces `${{ secrets.X }}`, `${{ vars.X }}` and `${{ env.X }}` from the given stores; anything else is an error. */
function expand(value: string, stores: Record<string, Record<string, string>>): string {
  return value.replace(/\$\{\{\s*(\w+)\.(\w+)\s*\}\}/g, (_, store: string, key: string) => {
    const v = stores[store]?.[key];
    if (v === undefined) throw new Error(`no test value for \${{ ${store}.${key} }}`);
    return v;
  });
}

interface Repo {
  folder: UserFolder;
  secrets: Record<string, string>;
  vars: Record<string, string>;
}

/** Runs one job's steps in order, as the runner would; returns each command's result. */
async function runJob(workflow: Workflow, job: string, repo: Repo): Promise<RunResult[]> {
  const results: RunResult[] = [];
  for (const step of workflow.jobs[job]?.steps ?? []) {
    const stores = { secrets: repo.secrets, vars: repo.vars, env: workflow.env };
    const env = Object.fromEntries(
      Object.entries({ ...workflow.env, ...step.env }).map(([k, v]) => [k, expand(String(v), stores)]),
    );
    let command: string;
    if (step.run) command = step.run;
    else if (step.uses?.startsWith("pulumi/actions@"))
      command = pulumiActionCommand(
        Object.fromEntries(
          Object.entries(step.with ?? {}).map(([k, v]) => [k, typeof v === "string" ? expand(v, stores) : v]),
        ),
      );
    else if (PROVIDED_BY_THE_TEST.some((a) => step.uses?.startsWith(a))) continue;
    else throw new Error(`step ${step.uses} is not known to this test`);
    const res = await runScript(command, repo.folder, env);
    results.push(res);
    expect(res.code, `${job}: ${command}\n${res.stdout}${res.stderr}`).toBe(0);
  }
  return results;
}

/** The jobs an event runs, from the workflow's own `if:` conditions. */
function jobsFor(workflow: Workflow, event: "pull_request" | "push to main"): string[] {
  return Object.entries(workflow.jobs)
    .filter(([, job]) => {
      if (!job.if) return true;
      if (event === "pull_request") return job.if.includes("github.event_name == 'pull_request'");
      return job.if.includes("github.event_name != 'pull_request'") && job.if.includes("refs/heads/main");
    })
    .map(([name]) => name);
}

const value = async (name: string) =>
  (
    await new SecretsManagerClient({ region: "eu-west-1" }).send(
      new GetSecretValueCommand({ SecretId: name }),
    )
  ).SecretString;

let workflow: Workflow;
let repo: Repo;
const names = { db: `gitops/r${process.pid}/db`, api: `gitops/r${process.pid}/api` };

afterAll(removeFolders);
beforeAll(async () => {
  workflow = parse(readFileSync(WORKFLOW, "utf8"));
  const tarball = packPackage();
  const folder = userFolder(tarball);
  const dir = folder.dir;
  // The layout examples/gitops/README.md describes, and its one-time setup.
  const key = path.join(dir, "ci.agekey");
  execFileSync("age-keygen", ["-o", key], { stdio: "ignore" });
  const keyText = readFileSync(key, "utf8");
  const recipient = /public key: (age1\w+)/.exec(keyText)?.[1] ?? "";
  mkdirSync(path.join(dir, "manifests"));
  mkdirSync(path.join(dir, "secrets"));
  writeFileSync(path.join(dir, "secrets/prod.yaml"), "db:\n  password: gitops-db-password-1\n");
  writeFileSync(
    path.join(dir, "secrets/prod.enc.yaml"),
    execFileSync("sops", ["encrypt", "--age", recipient, path.join(dir, "secrets/prod.yaml")], {
      encoding: "utf8",
    }),
  );
  execFileSync("rm", [key, path.join(dir, "secrets/prod.yaml")]);
  writeFileSync(
    path.join(dir, "manifests/app.yaml"),
    [
      manifest(
        names.db,
        "  value:\n    json:\n      host: { fromEnv: DB_HOST }\n      password: { fromSops: { file: ../secrets/prod.enc.yaml, path: db.password } }",
      ),
      manifest(names.api, "  value:\n    string: { fromEnv: API_TOKEN }"),
    ].join("\n---\n"),
  );
  mkdirSync(path.join(dir, "state"));
  repo = {
    folder,
    secrets: {
      PULUMI_CONFIG_PASSPHRASE: "gitops-passphrase",
      SOPS_AGE_KEY: keyText.split("\n").find((l) => l.startsWith("AGE-SECRET-KEY-")) ?? "",
      DB_HOST: "db1.internal",
      API_TOKEN: "gitops-api-token-1",
    },
    vars: { PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}` },
  };
  const setup = await runScript(
    [
      `npm install ./${path.basename(tarball)} @pulumi/pulumi@3.276.0`,
      "cat > Pulumi.yaml <<'EOF'",
      "name: secrets",
      "runtime: nodejs",
      "main: node_modules/secret-manifests/dist/pulumi/program.js",
      "EOF",
      "pulumi stack init prod",
      "pulumi config set secret-manifests:manifests manifests",
      'pulumi config set --secret secret-manifests:hmacKey "$(openssl rand -hex 32)"',
    ].join("\n"),
    folder,
    {
      PULUMI_BACKEND_URL: repo.vars.PULUMI_BACKEND_URL,
      PULUMI_CONFIG_PASSPHRASE: repo.secrets.PULUMI_CONFIG_PASSPHRASE,
    },
  );
  expect(setup.code, setup.stdout + setup.stderr).toBe(0);
}, 300_000);

describe("examples/gitops, the workflow's own commands", () => {
  it("runs validate then preview on a pull request, and writes nothing", async () => {
    expect(jobsFor(workflow, "pull_request")).toEqual(["validate", "preview"]);
    await runJob(workflow, "validate", repo);
    const preview = (await runJob(workflow, "preview", repo)).at(-1);
    expect(preview?.stdout).toMatch(/\+ 4 to create/); // stack, component, two secrets (the HMAC key is config)
    await expect(value(names.db)).rejects.toThrow();
  }, 300_000);

  it("runs validate then up on a push to main, creating the secrets", async () => {
    // validate ran on this same tree in the pull request above.
    expect(jobsFor(workflow, "push to main")).toEqual(["validate", "up"]);
    const up = (await runJob(workflow, "up", repo)).at(-1);
    expect(up?.stdout).toMatch(/\+ 4 created/);
    expect(await value(names.db)).toBe('{"host":"db1.internal","password":"gitops-db-password-1"}');
    expect(await value(names.api)).toBe("gitops-api-token-1");
  }, 300_000);

  it("previews a changed value on the next pull request by its key's digest, never the value", async () => {
    repo.secrets.DB_HOST = "db2.internal";
    const preview = (await runJob(workflow, "preview", repo)).at(-1);
    const out = `${preview?.stdout}${preview?.stderr}`;
    expect(out).toMatch(/~ 1 to update/);
    expect(out).toMatch(/~ host\s*: "[0-9a-f]+…?" => "[0-9a-f]+…?"/);
    for (const v of ["db1.internal", "db2.internal", "gitops-db-password-1", "gitops-api-token-1"])
      expect(out).not.toContain(v);
    expect(await value(names.db)).toBe('{"host":"db1.internal","password":"gitops-db-password-1"}');
  }, 300_000);
});
