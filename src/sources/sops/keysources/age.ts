/**
 * age data keys (`age/keysource.go`): `enc` is an armored age file holding the 32-byte data key.
 * Identities are loaded from ALL of sops' sources together, not the first one found. X25519
 * stanzas are opened with node:crypto (age-x25519.ts), anything else with age-encryption.
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { AgeKey } from "../metadata.js";
import { AgeFormatError, decryptArmored, x25519Identity } from "./age-x25519.js";

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
    texts.push(readOptional(env.SOPS_AGE_KEY_FILE));
  }
  if (env.SOPS_AGE_KEY_CMD) {
    searched.push("SOPS_AGE_KEY_CMD");
    texts.push(await runKeyCommand(env.SOPS_AGE_KEY_CMD, env, recipients));
  }
  const defaultFile = defaultKeysFile(env);
  searched.push(defaultFile);
  texts.push(readOptional(defaultFile));
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

/** Key files are a few hundred bytes: read in place, without a thread-pool round trip each. */
function readOptional(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

async function runKeyCommand(command: string, env: NodeJS.ProcessEnv, recipients: string[]): Promise<string> {
  const run = promisify((await import("node:child_process")).execFile);
  const { stdout } = await run("/bin/sh", ["-c", command], {
    env: { ...env, SOPS_AGE_RECIPIENT: recipients.join(",") },
    maxBuffer: 1024 * 1024,
  });
  return stdout;
}

/** The data key, or undefined when none of the identities is a recipient of this stanza. */
export async function decryptAgeKey(key: AgeKey, identities: string[]): Promise<Buffer | undefined> {
  if (identities.length === 0) return undefined;
  const native = identities.map(x25519Identity);
  let dataKey: Buffer | undefined;
  try {
    dataKey = decryptArmored(
      key.enc,
      native.filter((id) => id !== undefined),
    );
  } catch (error) {
    // The key is not valid age as Go's age (and so sops) reads it.
    if (error instanceof AgeFormatError) return undefined;
    throw error;
  }
  // Only identities of other kinds (post-quantum) can still open it: ask the package.
  if (dataKey || native.every((id) => id !== undefined)) return dataKey;
  return decryptWithPackage(key, identities);
}

/** age-encryption: every identity and stanza type age has; loaded only when needed (it is slow to load). */
async function decryptWithPackage(key: AgeKey, identities: string[]): Promise<Buffer | undefined> {
  const age = await import("age-encryption");
  try {
    const decrypter = new age.Decrypter();
    // A malformed identity is one that opens nothing, as in sops.
    for (const identity of identities) decrypter.addIdentity(identity);
    return Buffer.from(await decrypter.decrypt(age.armor.decode(key.enc), "uint8array"));
  } catch {
    return undefined;
  }
}
