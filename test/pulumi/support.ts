/** Shared set-up for the end-to-end suites: a program dir with manifests, an age key and a sops file. */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { createProject, type PulumiProject, writeProjectFile } from "../support/pulumi";

export const sm = () => new SecretsManagerClient({});

/** A fresh age key (test-only, made per run) and the env that lets sops and the provider find it. */
export function ageKey(project: PulumiProject): { recipient: string; env: NodeJS.ProcessEnv } {
  const file = path.join(project.dir, "age-key.txt");
  execFileSync("age-keygen", ["-o", file], { stdio: "ignore" });
  const recipient = /public key: (age1\w+)/.exec(readFileSync(file, "utf8"))?.[1];
  if (!recipient) throw new Error("age-keygen wrote no public key");
  return { recipient, env: { SOPS_AGE_KEY_FILE: file } };
}

/** Encrypts `plain` (YAML) with the real sops binary into the project. */
export function sopsEncrypt(project: PulumiProject, rel: string, plain: string, recipient: string) {
  const plainFile = path.join(project.dir, `${rel}.plain.yaml`);
  writeProjectFile(project, `${rel}.plain.yaml`, plain);
  const out = execFileSync("sops", ["encrypt", "--age", recipient, plainFile], { encoding: "utf8" });
  writeProjectFile(project, rel, out);
  execFileSync("rm", [plainFile]);
}

export function manifest(name: string, spec: string, metadata = ""): string {
  return [
    "apiVersion: secret-manifests/v1",
    "kind: Secret",
    "metadata:",
    `  name: ${name}`,
    ...(metadata ? [metadata] : []),
    "spec:",
    spec,
  ].join("\n");
}

export async function currentValue(name: string): Promise<string | undefined> {
  // Ask for the stage explicitly: moto keeps answering an unstaged read with the old value.
  return (await sm().send(new GetSecretValueCommand({ SecretId: name, VersionStage: "AWSCURRENT" })))
    .SecretString;
}

export async function versionCount(name: string): Promise<number> {
  const res = await sm().send(new ListSecretVersionIdsCommand({ SecretId: name, IncludeDeprecated: true }));
  return res.Versions?.length ?? 0;
}

export async function describe(name: string) {
  return sm().send(new DescribeSecretCommand({ SecretId: name }));
}

export function unique(prefix: string): string {
  return `${prefix}/r${process.pid}x${Date.now().toString(36)}`;
}

export { createProject, writeFileSync };
