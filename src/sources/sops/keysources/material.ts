/**
 * The key material a decryption may use, and its digest, which is part of the decryption
 * cache's key: a file decrypted with one set of keys is never handed to a caller whose keys
 * are different (or wrong). The digest covers sops' age variables, the identities they
 * yield (loaded only for a file with age recipients), and for a file with KMS keys the
 * process's AWS_* variables, which the KMS client reads (not the caller's env). Loading is remembered per set of key options
 * and the key files' mtime and size, so SOPS_AGE_KEY_CMD runs once, not once per reference.
 */
import { createHash } from "node:crypto";
import { statSync } from "node:fs";
import { remembered } from "../memo.js";
import type { SopsMetadata } from "../metadata.js";
import { type AgeIdentities, defaultKeysFile, loadAgeIdentities } from "./age.js";

export interface KeyMaterial {
  /** Loaded only when the file has age recipients. */
  age?: AgeIdentities;
  /** sha256 over every key the decryption may use; never leaves the process. */
  digest: string;
}

const AGE_VARIABLES = ["SOPS_AGE_KEY", "SOPS_AGE_KEY_FILE", "SOPS_AGE_KEY_CMD"] as const;
const loads = new Map<string, Promise<KeyMaterial>>();

/** The caller's key options (no I/O), so that concurrent lookups with the same options can share one. */
export function keyOptionsId(env: NodeJS.ProcessEnv): string {
  const hash = createHash("sha256");
  for (const name of AGE_VARIABLES) hash.update(`${name}=${env[name] ?? ""}\0`);
  hash.update(`${defaultKeysFile(env)}\0`);
  return hash.digest("hex");
}

export function loadKeyMaterial(metadata: SopsMetadata, env: NodeJS.ProcessEnv): Promise<KeyMaterial> {
  const keys = metadata.keyGroups.flat();
  const recipients = keys.flatMap((k) => (k.type === "age" ? [k.recipient] : []));
  const files = [env.SOPS_AGE_KEY_FILE, defaultKeysFile(env)].filter((f): f is string => Boolean(f));
  const stamps = recipients.length > 0 ? files.map(fileStamp) : [];
  const aws = keys.some((k) => k.type === "kms") ? awsVariables() : "";
  // The key command sees the recipients (SOPS_AGE_RECIPIENT), so its output may depend on them.
  const id = JSON.stringify([keyOptionsId(env), stamps, env.SOPS_AGE_KEY_CMD ? recipients : [], aws]);
  return remembered(loads, id, () => load(recipients, env, id));
}

/** Forgets loaded key material (with the decryption cache). */
export function clearKeyMaterial(): void {
  loads.clear();
}

async function load(recipients: string[], env: NodeJS.ProcessEnv, id: string): Promise<KeyMaterial> {
  const hash = createHash("sha256").update(id);
  const age = recipients.length > 0 ? await loadAgeIdentities(env, recipients) : undefined;
  for (const identity of age?.identities ?? []) hash.update(`${identity}\n`);
  return { ...(age ? { age } : {}), digest: hash.digest("hex") };
}

function awsVariables(): string {
  return Object.keys(process.env)
    .filter((name) => name.startsWith("AWS_"))
    .sort()
    .map((name) => `${name}=${process.env[name]}\0`)
    .join("");
}

function fileStamp(path: string): string {
  try {
    const info = statSync(path);
    return `${path}:${info.mtimeMs}:${info.size}`;
  } catch {
    return `${path}:missing`;
  }
}
