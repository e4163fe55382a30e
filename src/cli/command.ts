import * as path from "node:path";
import { type ParseArgsConfig, parseArgs } from "node:util";

/** Exit codes of every subcommand (sysexits.h style for the last one). */
export const EXIT = {
  ok: 0,
  /** The input is wrong: invalid manifests, or what the command checked failed. */
  failed: 1,
  /** The command line is wrong: unknown option, missing argument. */
  usage: 2,
  /** A bug: an unexpected exception. Its stack is printed. */
  internal: 70,
} as const;

/** Where a command writes. The real process streams in main.ts; buffers in tests. */
export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Paths are resolved from, and reported relative to, this folder. */
  cwd: string;
  /** stderr is a terminal: commands may show an updating progress line there. */
  stderrIsTTY?: boolean;
}

/** One subcommand. Adding a subcommand = one file exporting this + one line in main.ts. */
export interface Command {
  name: string;
  /** One line for the main help. */
  summary: string;
  /** Full help: synopsis, options and examples. */
  usage: string;
  run(argv: string[], io: CliIO): Promise<number>;
}

/** A command-line mistake: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** node:util parseArgs with its errors turned into UsageErrors. */
export function parseCommandArgs<O extends Options>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    if (e instanceof TypeError && "code" in e && String(e.code).startsWith("ERR_PARSE_ARGS")) {
      throw new UsageError(e.message);
    }
    throw e;
  }
}

/**
 * The project root (`--root`, default the current folder) and the manifest paths given on
 * the command line, which stay relative to where the user runs the command.
 */
export function rootAndPaths(
  root: string | undefined,
  positionals: string[],
  cwd: string,
): { rootDir: string; paths: string[] } {
  const rootDir = path.resolve(cwd, root ?? ".");
  if (root === undefined) return { rootDir, paths: positionals };
  const fromRoot = (p: string) =>
    path.relative(rootDir, path.resolve(cwd, p)).split(path.sep).join("/") || ".";
  return { rootDir, paths: positionals.map(fromRoot) };
}
