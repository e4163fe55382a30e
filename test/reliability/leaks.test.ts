/**
 * Leak sweep: the end-to-end scenarios (create, preview --diff of a change, update,
 * refresh of console drift, restore, a failing write whose AWS error echoes the value,
 * a missing reference, destroy) run with distinctive canary values, every engine op with
 * the gRPC debug log (PULUMI_DEBUG_GRPC) and verbose logging (-v 9). Then every canary, in
 * every encoding, is searched for in: stdout, stderr, the gRPC log, state exports with
 * --show-secrets, every file of the backend (history, backups) and PULUMI_HOME, the CLI's
 * JSON output, and errors thrown in-process. Goal and assertion: 0 hits.
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { inspect } from "node:util";
import { PutSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { isUserError } from "../../src/errors";
import { loadManifests } from "../../src/manifest";
import { resolveValue } from "../../src/sources";
import { ageKey, createProject, currentValue, manifest, sm, sopsEncrypt } from "../pulumi/support";
import { type FaultProxy, startFaultProxy } from "../support/fault-proxy";
import {
  exportState,
  type OpOptions,
  type PulumiProject,
  pulumiOp,
  type RunResult,
  writeProjectFile,
} from "../support/pulumi";
import { report } from "./report";
import { REPO_ROOT } from "./support";

const id = randomUUID().slice(0, 8);
/** Quotes, backslashes, non-ASCII and a newline make the JSON-escaped form differ from the raw one. */
const CANARY = {
  sops: `canary-sops-${id}-"q"\\b-ü`,
  env: `canary-env-${id}-ä"x"`,
  env2: `canary-env2-${id}\nline2`,
  env3: `canary-env3-${id}`,
  field: `canary-field-${id}-é\\`,
  console: `canary-console-${id}`,
};

/** Every form in which a value could show up in a log, a state file or a gRPC dump. */
function forms(value: string): string[] {
  const b = Buffer.from(value, "utf8");
  return [
    value,
    JSON.stringify(value).slice(1, -1),
    JSON.stringify(JSON.stringify(value)).slice(1, -1),
    b.toString("base64"),
    b.toString("base64url"),
    b.toString("hex"),
    encodeURIComponent(value),
    // The distinctive prefix alone, so a re-encoded special character cannot hide a hit.
    /^canary-[a-z0-9]+-[0-9a-f]{8}/.exec(value)?.[0] ?? value,
  ];
}

let project: PulumiProject;
let proxy: FaultProxy;
let baseEnv: NodeJS.ProcessEnv;
const haystacks = new Map<string, string>();
let grpcCalls = 0;
let opN = 0;
const name = { json: `rel-leak/${id}/json`, str: `rel-leak/${id}/string`, env: `rel-leak/${id}/env` };

async function op(kind: "up" | "preview" | "refresh" | "destroy", extra: OpOptions = {}): Promise<RunResult> {
  const grpcLog = path.join(project.dir, `grpc-${opN++}-${kind}.log`);
  const res = await pulumiOp(project, kind, {
    manifests: ["manifests"],
    logVerbosity: 9,
    ...extra,
    env: { ...baseEnv, PULUMI_DEBUG_GRPC: grpcLog, ...extra.env },
  });
  const label = `${opN - 1}:${kind}`;
  haystacks.set(`${label} stdout`, res.stdout);
  haystacks.set(`${label} stderr`, res.stderr);
  if (existsSync(grpcLog)) {
    const log = readFileSync(grpcLog, "utf8");
    grpcCalls += (log.match(/pulumirpc\.ResourceProvider\//g) ?? []).length;
    haystacks.set(`${label} grpc`, log);
  }
  haystacks.set(`${label} state`, await exportState(project, true));
  return res;
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

beforeAll(async () => {
  proxy = await startFaultProxy({ target: inject("awsEndpoint") });
  project = createProject();
  project.stack = `leaks-${id}`;
  const key = ageKey(project);
  sopsEncrypt(
    project,
    "secrets/app.enc.yaml",
    `db:\n  password: ${JSON.stringify(CANARY.sops)}\napi: {key: ${JSON.stringify(CANARY.field)}}\n`,
    key.recipient,
  );
  baseEnv = { ...key.env, AWS_ENDPOINT_URL_SECRETS_MANAGER: proxy.endpoint, LEAK_ENV: CANARY.env };
  writeProjectFile(
    project,
    "manifests/leak.yaml",
    [
      manifest(
        name.json,
        [
          "  value:",
          "    json:",
          "      user: app",
          "      password: { fromSops: { file: ../secrets/app.enc.yaml, path: db.password } }",
          "      key: { fromSops: { file: ../secrets/app.enc.yaml, path: api.key } }",
          "      fromEnv: { fromEnv: LEAK_ENV }",
        ].join("\n"),
      ),
      manifest(
        name.str,
        "  value:\n    string: { fromSops: { file: ../secrets/app.enc.yaml, path: db.password } }",
      ),
      manifest(
        name.env,
        "  value:\n    string: { fromEnv: LEAK_ENV }\n  deletion: { forceDeleteWithoutRecovery: true }",
      ),
    ].join("\n---\n"),
  );
});
afterAll(() => proxy?.stop());

describe("leak sweep with canary values", () => {
  it("runs the end-to-end scenarios, each with gRPC and verbose logs", async () => {
    const up = await op("up");
    expect(up.code, up.stdout.slice(-3000) + up.stderr.slice(-3000)).toBe(0);
    expect(JSON.parse((await currentValue(name.json)) ?? "{}").password).toBe(CANARY.sops);
    expect(await currentValue(name.env)).toBe(CANARY.env);
    // The exact text AWS holds, whose base64 is another form to look for.
    haystacksExtra.push((await currentValue(name.json)) ?? "");

    const preview = await op("preview", { diff: true, env: { LEAK_ENV: CANARY.env2 } });
    expect(preview.code).toBe(0);
    expect(preview.summary?.changes.update).toBe(2);

    const change = await op("up", { env: { LEAK_ENV: CANARY.env2 } });
    expect(change.code).toBe(0);
    expect(await currentValue(name.env)).toBe(CANARY.env2);

    await sm().send(new PutSecretValueCommand({ SecretId: name.env, SecretString: CANARY.console }));
    const refresh = await op("refresh", { diff: true, env: { LEAK_ENV: CANARY.env2 } });
    expect(refresh.code).toBe(0);
    expect(refresh.summary?.changes.update).toBe(1);
    const restore = await op("up", { env: { LEAK_ENV: CANARY.env2 } });
    expect(restore.code).toBe(0);
    expect(await currentValue(name.env)).toBe(CANARY.env2);

    // AWS answering a write with an error that echoes what was sent.
    proxy.setRules([
      {
        targets: ["PutSecretValue"],
        action: {
          type: "error",
          status: 400,
          code: "ValidationException",
          message: `bad value ${CANARY.env3}`,
        },
      },
    ]);
    const failing = await op("up", { env: { LEAK_ENV: CANARY.env3 } });
    proxy.setRules([]);
    expect(failing.code).not.toBe(0);
    expect(failing.stdout + failing.stderr).toMatch(/Secrets Manager rejected PutSecretValue/);

    const missing = await op("preview", { env: { LEAK_ENV: undefined } });
    expect(missing.code).not.toBe(0);
    expect(missing.stdout + missing.stderr).toMatch(/LEAK_ENV/);

    const destroy = await op("destroy", { env: { LEAK_ENV: CANARY.env2 } });
    expect(destroy.code, destroy.stdout.slice(-2000)).toBe(0);
  }, 400_000);

  it("the CLI's JSON output and in-process errors", async () => {
    const cli = path.join(REPO_ROOT, "dist/cli/main.js");
    writeProjectFile(
      project,
      "bad/broken.yaml",
      manifest("rel-leak/bad", "  value:\n    string: { fromEnv: 7 }"),
    );
    for (const target of ["manifests", "bad"]) {
      let out: string;
      try {
        out = execFileSync(process.execPath, [cli, "validate", "--format", "json", target], {
          cwd: project.dir,
          env: { ...process.env, ...baseEnv },
          encoding: "utf8",
        });
      } catch (e) {
        const err = e as { stdout?: string; stderr?: string };
        out = `${err.stdout ?? ""}${err.stderr ?? ""}`;
      }
      expect(() => JSON.parse(out), out).not.toThrow();
      haystacks.set(`cli validate ${target}`, out);
    }
    // Errors thrown on the paths that handle values: a missing key next to real ones, a
    // missing variable in a JSON value, and a bad manifest.
    const ctx = { rootDir: project.dir, env: baseEnv, manifest: { file: "manifests/leak.yaml", line: 1 } };
    const thrown: unknown[] = [];
    for (const attempt of [
      () =>
        resolveValue(
          { kind: "string", ref: { fromSops: { file: "secrets/app.enc.yaml", path: "db.nope" } } },
          ctx,
        ),
      () =>
        resolveValue(
          { kind: "string", ref: { fromSops: { file: "secrets/app.enc.yaml", path: "db.password.x" } } },
          ctx,
        ),
      () =>
        resolveValue(
          { kind: "binary", ref: { fromSops: { file: "secrets/app.enc.yaml", path: "db" } } },
          ctx,
        ),
      () =>
        resolveValue(
          {
            kind: "json",
            fields: Object.entries({ a: { fromEnv: "LEAK_ENV" }, b: { fromEnv: "NOPE_VAR" } }),
          },
          ctx,
        ),
      () => loadManifests(["bad"], { rootDir: project.dir }),
    ]) {
      await attempt().then(
        () => thrown.push(new Error("expected a failure")),
        (e: unknown) => thrown.push(e),
      );
    }
    for (const e of thrown) expect(isUserError(e), inspect(e)).toBe(true);
    haystacks.set(
      "thrown errors",
      thrown
        .map((e) =>
          [
            inspect(e, { depth: null, showHidden: true }),
            (e as Error).stack,
            isUserError(e) ? e.format() : "",
          ].join("\n"),
        )
        .join("\n"),
    );
  });

  it("no canary in any output, log, state or backend file: 0 hits", () => {
    for (const file of [
      ...filesUnder(project.backend),
      ...filesUnder(path.join(project.dir, ".pulumi-home")),
    ]) {
      const content = readFileSync(file);
      if (content.length < 50_000_000)
        haystacks.set(
          `file ${path.relative(project.dir, file)}`,
          content.toString("latin1") + content.toString("utf8"),
        );
    }
    // The sweep looked at real material: gRPC calls to the provider, verbose engine logs, history.
    expect(grpcCalls).toBeGreaterThan(20);
    const sizes = [...haystacks].map(([k, v]) => `${k}: ${v.length}`).join("\n");
    expect(
      [...haystacks.keys()].some((k) => k.includes("history")),
      sizes,
    ).toBe(true);
    expect(
      [...haystacks].some(([k, v]) => k.endsWith("stderr") && v.length > 20_000),
      sizes,
    ).toBe(true);

    const needles = [...Object.values(CANARY), ...haystacksExtra].flatMap((c) =>
      forms(c).map((f) => [c, f] as const),
    );
    // The matcher itself finds a value hidden in JSON, base64 or a Go-quoted log line.
    const planted = [
      JSON.stringify({ v: CANARY.sops }),
      Buffer.from(CANARY.env).toString("base64"),
      `"${CANARY.env2.replace("\n", "\\n")}"`,
    ];
    for (const p of planted) expect(needles.some(([, f]) => p.includes(f))).toBe(true);
    const hits: string[] = [];
    for (const [where, text] of haystacks)
      for (const [canary, form] of needles)
        if (form.length >= 8 && text.includes(form))
          hits.push(`${where}: ${JSON.stringify(canary)} as ${JSON.stringify(form)}`);
    const bytes = [...haystacks.values()].reduce((n, t) => n + t.length, 0);
    report("leaks", {
      canaries: Object.keys(CANARY).length,
      forms: needles.length,
      places: haystacks.size,
      bytesSearched: bytes,
      grpcCalls,
      hits: hits.length,
    });
    expect(hits).toEqual([]);
  });
});

const haystacksExtra: string[] = [];
