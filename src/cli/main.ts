#!/usr/bin/env node
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { isUserError, type UserError } from "../errors";
import { type CliIO, type Command, EXIT, UsageError } from "./command";
import { iamPolicyCommand } from "./commands/iam-policy";
import { importCommand } from "./commands/import";
import { validateCommand } from "./commands/validate";

/** Every subcommand, in help order. */
const COMMANDS: Command[] = [validateCommand, iamPolicyCommand, importCommand];

function mainUsage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const list = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n");
  return `Usage: secret-manifests <command> [options]

Keeps AWS Secrets Manager in line with declarative YAML manifests. Values come from
environment variables or sops files and never reach the Pulumi state. The secrets are
created and updated by "pulumi up" (the SecretManifests component or this package's
Pulumi.yaml); this CLI holds the helpers around it: offline checks, the IAM policy, and
manifests for secrets that already exist.

Commands:
${list}

Options:
  -h, --help     Show this help, or a command's help with "<command> --help".
  -v, --version  Show the version.

Exit codes: 0 success, 1 the input is wrong (all problems are printed), 2 usage
error, 70 internal error (a bug: please report it with the printed stack).

Examples:
  secret-manifests validate manifests/
  secret-manifests validate --format github manifests/
  secret-manifests iam-policy --region eu-west-1 --stack payments/prod manifests/
  secret-manifests import --prefix prod/payments/ --out manifests
  secret-manifests iam-policy --help

Docs: README.md, docs/manifests.md (format), docs/sources.md (values),
docs/reconcile.md (what "pulumi up" does), docs/operations.md (day 2).`;
}

/** Runs one command line; returns the exit code. Never throws. */
export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === "-h" || name === "--help" || name === "help") {
      io.stdout(`${mainUsage()}\n`);
      return name === undefined ? EXIT.usage : EXIT.ok;
    }
    if (name === "-v" || name === "--version") {
      io.stdout(`${packageVersion()}\n`);
      return EXIT.ok;
    }
    const command = COMMANDS.find((c) => c.name === name);
    if (!command) throw new UsageError(`unknown command "${name}"`);
    return await command.run(rest, io);
  } catch (e) {
    return reportFailure(e, name, io);
  }
}

function reportFailure(e: unknown, commandName: string | undefined, io: CliIO): number {
  if (e instanceof UsageError) {
    const help = COMMANDS.some((c) => c.name === commandName)
      ? `secret-manifests ${commandName} --help`
      : "secret-manifests --help";
    io.stderr(`error: ${e.message}\nSee "${help}".\n`);
    return EXIT.usage;
  }
  if (isUserError(e)) {
    io.stderr(`${(e as UserError).format()}\n`);
    return EXIT.failed;
  }
  io.stderr(
    `internal error (a bug in secret-manifests, please report it):\n${e instanceof Error ? e.stack : String(e)}\n`,
  );
  return EXIT.internal;
}

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(path.resolve(__dirname, "..", "..", "package.json"), "utf8"));
  return String(manifest.version);
}

if (require.main === module) {
  const io: CliIO = {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    cwd: process.cwd(),
    stderrIsTTY: process.stderr.isTTY === true,
  };
  main(process.argv.slice(2), io).then((code) => {
    process.exitCode = code;
  });
}
