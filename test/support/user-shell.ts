/**
 * Runs commands the way a user of the published package does: in a fresh folder outside
 * the repository, with the package installed from the tarball `npm pack` makes, the
 * real `pulumi` CLI and its Node.js language host, and a HOME and PULUMI_HOME of its own
 * (so `pulumi login --local` and its state stay in the test's folder).
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import path from "node:path";
import { REPO_ROOT, type RunResult, run } from "./pulumi";

/** Every folder made here, removed by removeFolders (an installed one holds ~150 MB). */
const made: string[] = [];

export function removeFolders(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Packs the built repository once per test file; returns the tarball's path. */
export function packPackage(): string {
  const dest = mkdtempSync(path.join(tmpdir(), "sm-pack-"));
  made.push(dest);
  const out = execFileSync("npm", ["pack", "--silent", "--pack-destination", dest], {
    cwd: REPO_ROOT,
    encoding: "utf8",
  });
  return path.join(dest, out.trim().split("\n").pop() ?? "");
}

export interface UserFolder {
  dir: string;
  env: NodeJS.ProcessEnv;
}

/** An empty folder (holding only the tarball, if given), and the environment a user's shell would have. */
export function userFolder(tarball?: string): UserFolder {
  const dir = mkdtempSync(path.join(tmpdir(), "sm-user-"));
  made.push(dir);
  const home = path.join(dir, ".home");
  mkdirSync(home);
  if (tarball) copyFileSync(tarball, path.join(dir, path.basename(tarball)));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    // The repository's npm cache, preferred over the registry: installs stay fast and local.
    npm_config_cache: process.env.npm_config_cache ?? path.join(homedir(), ".npm"),
    npm_config_prefer_offline: "true",
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_update_notifier: "false",
    PULUMI_CONFIG_PASSPHRASE: "user-passphrase",
  };
  // Where the state goes is the commands' business (`pulumi login`), not the test's. The
  // CLI finds `~/.pulumi` (also what `login --local` means) from the password database, not
  // from HOME: PULUMI_HOME keeps it in the test's folder.
  delete env.PULUMI_BACKEND_URL;
  env.PULUMI_HOME = path.join(home, ".pulumi");
  return { dir, env };
}

/** Runs a shell script (commands as a user types them) with bash, stopping at the first failure. */
export function runScript(
  script: string,
  folder: UserFolder,
  env: NodeJS.ProcessEnv = {},
): Promise<RunResult> {
  return run("bash", ["-e", "-o", "pipefail", "-c", script], {
    cwd: folder.dir,
    env: { ...folder.env, ...env },
  });
}
