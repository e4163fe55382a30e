/**
 * age data keys (`age/keysource.go`): `enc` is an armored age file holding the 32-byte data key.
 * Identities are loaded from ALL of sops' sources together, not the first one found.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { AgeKey } from "../metadata.js";

const run = promisify(execFile);

export interface AgeIdentities {
  identities: string[];
  /** Where we looked, for the "no key" error (paths and variable names only). */
  searched: string[];
}

const IDENTITY = /^AGE-SECRET-KEY-(PQ-)?1[0-9A-Z]+$/;

export async function loadAgeIdentities(
  env: NodeJS.ProcessEnv,
  recipients: string[],
): Promise<AgeIdentities> {
  const searched: string[] = [];
  const texts: string[] = [];
  if (env.SOPS_AGE_KEY) {
    searched.push("SOPS_AGE_KEY");
    texts.push(env.SOPS_AGE_KEY);
  }
  if (env.SOPS_AGE_KEY_FILE) {
    searched.push(`SOPS_AGE_KEY_FILE (${env.SOPS_AGE_KEY_FILE})`);
    texts.push(await readOptional(env.SOPS_AGE_KEY_FILE));
  }
  if (env.SOPS_AGE_KEY_CMD) {
    searched.push("SOPS_AGE_KEY_CMD");
    texts.push(await runKeyCommand(env.SOPS_AGE_KEY_CMD, env, recipients));
  }
  const defaultFile = defaultKeysFile(env);
  searched.push(defaultFile);
  texts.push(await readOptional(defaultFile));
  return { identities: texts.flatMap(parseIdentities), searched };
}

/** `<UserConfigDir>/sops/age/keys.txt`, as Go's os.UserConfigDir resolves it. */
export function defaultKeysFile(env: NodeJS.ProcessEnv): string {
  const home = env.HOME ?? homedir();
  const configDir =
    env.XDG_CONFIG_HOME ||
    (process.platform === "darwin"
      ? join(home, "Library", "Application Support")
      : process.platform === "win32"
        ? (env.AppData ?? join(home, "AppData", "Roaming"))
        : join(home, ".config"));
  return join(configDir, "sops", "age", "keys.txt");
}

/** Identities separated by whitespace or lines; `#` comment lines and non-native identities are skipped. */
function parseIdentities(text: string): string[] {
  return text
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("#"))
    .flatMap((line) => line.trim().split(/\s+/))
    .filter((word) => IDENTITY.test(word));
}

async function readOptional(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch {
    return "";
  }
}

async function runKeyCommand(command: string, env: NodeJS.ProcessEnv, recipients: string[]): Promise<string> {
  const { stdout } = await run("/bin/sh", ["-c", command], {
    env: { ...env, SOPS_AGE_RECIPIENT: recipients.join(",") },
    maxBuffer: 1024 * 1024,
  });
  return stdout;
}

/** The data key, or undefined when none of the identities is a recipient of this stanza. */
export async function decryptAgeKey(key: AgeKey, identities: string[]): Promise<Buffer | undefined> {
  if (identities.length === 0) return undefined;
  const age = await import("age-encryption");
  const decrypter = new age.Decrypter();
  for (const identity of identities) decrypter.addIdentity(identity);
  try {
    return Buffer.from(await decrypter.decrypt(age.armor.decode(key.enc), "uint8array"));
  } catch {
    return undefined;
  }
}
