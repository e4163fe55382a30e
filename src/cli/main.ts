#!/usr/bin/env node
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { isUserError, type UserError } from "../errors";
import { type CliIO, type Command, EXIT, UsageError } from "./command";
import { validateCommand } from "./commands/validate";

/** Every subcommand, in help order. */
const COMMANDS: Command[] = [validateCommand];

function mainUsage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const list = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n");
  return `Usage: secret-manifests <command> [options]

Keeps AWS Secrets Manager in line with declarative YAML manifests.

Commands:
${list}

Options:
  -h, --help     Show this help, or a command's help with "<command> --help".
  -v, --version  Show the version.

Examples:
  secret-manifests validate manifests/
  secret-manifests validate --help`;
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
  };
  main(process.argv.slice(2), io).then((code) => {
    process.exitCode = code;
  });
}
