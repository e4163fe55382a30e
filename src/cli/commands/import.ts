import { mkdir, stat, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { GONE } from "../../aws/errors";
import type { SecretInventory, SecretMetadata, SecretSelection, TagFilter } from "../../aws/inventory";
import { type CliIO, type Command, EXIT, parseCommandArgs, UsageError } from "../command";
import {
  type Decision,
  decide,
  type Extras,
  type ImportContext,
  type Layout,
  needsDescribe,
  type PlannedFile,
  planFiles,
  refusalFromListing,
  renderFile,
} from "../import/documents";
import { Progress } from "../import/progress";
import { count } from "../report";

const usage = `Usage: secret-manifests import [options] (--prefix <p> | --tag <k[=v]> | --all | <name>...)

Writes manifests for secrets that already exist in AWS Secrets Manager, so that a stack
adopts them. Each manifest has the secret's name, description, tags (without aws:* and
secret-manifests:* tags), KMS key, replicas with their keys and rotation, with
"adopt: true" and "updatePolicy: IfNotExists" and no spec.value: the value stays what AWS
holds, so the first "pulumi up" only adds the ownership tag.

Reads metadata only: ListSecrets (100 a page), DescribeSecret for replicated secrets
(the listing lacks replica regions and keys), GetResourcePolicy with --with-policies.
No value is read unless --json-keys is given, and no value is ever written.

Refused, with the reason, while the others are imported: secrets owned by another stack
(tag secret-manifests:stack), scheduled for deletion, managed by an AWS service, replicas
of a primary in another Region, and secrets whose manifest validate would reject.

Selection (a secret is imported when it matches a name or prefix, and every --tag):
  <name>...               Exact secret names.
  --prefix <prefix>       Names starting with <prefix> (repeatable), e.g. prod/payments/.
  --tag <key>[=<value>]   Secrets carrying the tag (with that value); repeatable, all must match.
  --all                   Every secret of the Region (with --tag: every tagged one).

Options:
  --out <dir>             Folder to write into (default: manifests).
  --layout <secret|prefix>
                          One file per secret (prod/db -> <dir>/prod/db.yaml, the default)
                          or one file per name prefix (prod/db -> <dir>/prod.yaml).
  --region <region>       Region to read (default: the AWS SDK's, e.g. AWS_REGION).
  --stack <owner>         The importing stack, "<project>/<stack>": its own secrets are
                          imported, other stacks' are refused.
  --with-policies         Also read each secret's resource policy into spec.resourcePolicy.
  --json-keys             Read each value (BatchGetSecretValue) only to list a JSON
                          secret's key names, written as a commented-out spec.value.json
                          template. Needs secretsmanager:GetSecretValue and kms:Decrypt.
  --dry-run               Print the files that would be written; write nothing.
  --force                 Overwrite existing files (default: an existing file is skipped).
  --format <text|json>    Report format (default: text). json prints one object on stdout.
  -h, --help              Show this help.

Exit codes: 0 every selected secret written, 1 some were refused or their file exists
(all reasons printed; the rest was written) or nothing matched, 2 usage error,
70 internal error.

Examples:
  secret-manifests import --prefix prod/payments/ --out manifests
  secret-manifests import --tag team=payments --stack payments/prod --dry-run
  secret-manifests import --all --layout prefix --with-policies --format json
  secret-manifests iam-policy --import     # the read-only policy import needs`;

/** Calls in flight at once for the per-secret reads (describe, policy). */
const CONCURRENCY = 8;

interface ImportOptions {
  selection: SecretSelection;
  outDir: string;
  layout: Layout;
  region?: string;
  stack?: string;
  withPolicies: boolean;
  jsonKeys: boolean;
  dryRun: boolean;
  force: boolean;
  format: "text" | "json";
}

type FileOutcome = { file: string; secrets: string[] } & (
  | { action: "created" | "overwritten" | "would create" | "would overwrite" }
  | { action: "skipped"; reason: string }
);

export const importCommand: Command = {
  name: "import",
  summary: "write manifests that adopt secrets already in AWS (metadata only)",
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const opts = parseOptions(argv);
    if (opts === "help") {
      io.stdout(`${usage}\n`);
      return EXIT.ok;
    }
    const progress = new Progress(io);
    // The SDK loads here, not with the CLI: `validate` never needs it.
    const [{ createSecretsManagerClient }, { SecretInventory }] = await Promise.all([
      import("../../aws/client.js"),
      import("../../aws/inventory.js"),
    ]);
    const inventory = new SecretInventory(
      createSecretsManagerClient(opts.region === undefined ? {} : { region: opts.region }),
    );
    const decisions = await readSecrets(inventory, opts, progress);
    progress.done();
    const manifests = decisions.filter(
      (d): d is Extract<Decision, { kind: "manifest" }> => d.kind === "manifest",
    );
    const refused = decisions.filter(
      (d): d is Extract<Decision, { kind: "refused" }> => d.kind === "refused",
    );
    const files = planFiles(manifests, opts.layout);
    const outcomes = await writeFiles(files, opts, io);
    report(io, opts, { decisions, refused, outcomes, calls: inventory.calls() });
    const skipped = outcomes.some((o) => o.action === "skipped");
    return decisions.length > 0 && refused.length === 0 && !skipped ? EXIT.ok : EXIT.failed;
  },
};

function parseOptions(argv: string[]): ImportOptions | "help" {
  const { values, positionals } = parseCommandArgs(argv, {
    prefix: { type: "string", multiple: true, default: [] },
    tag: { type: "string", multiple: true, default: [] },
    all: { type: "boolean", default: false },
    out: { type: "string", default: "manifests" },
    layout: { type: "string", default: "secret" },
    region: { type: "string" },
    stack: { type: "string" },
    "with-policies": { type: "boolean", default: false },
    "json-keys": { type: "boolean", default: false },
    "dry-run": { type: "boolean", default: false },
    force: { type: "boolean", default: false },
    format: { type: "string", default: "text" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) return "help";
  const { layout, format } = values;
  if (layout !== "secret" && layout !== "prefix")
    throw new UsageError(`--layout must be secret or prefix, not "${layout}"`);
  if (format !== "text" && format !== "json")
    throw new UsageError(`--format must be text or json, not "${format}"`);
  const selection: SecretSelection = {
    names: positionals,
    prefixes: values.prefix.filter((p) => p !== ""),
    tags: values.tag.map(parseTag),
    all: values.all,
  };
  if (values.prefix.some((p) => p === "")) throw new UsageError("--prefix must not be empty (use --all)");
  if (!selection.all && selection.names.length + selection.prefixes.length + selection.tags.length === 0)
    throw new UsageError("select secrets: give names, --prefix, --tag or --all");
  if (selection.all && selection.names.length + selection.prefixes.length > 0)
    throw new UsageError("--all selects every secret: leave out names and --prefix, or --all");
  if (values.stack !== undefined && values.stack.trim() === "")
    throw new UsageError('--stack must be the owner tag value, "<project>/<stack>"');
  return {
    selection,
    outDir: values.out,
    layout,
    ...(values.region === undefined ? {} : { region: values.region }),
    ...(values.stack === undefined ? {} : { stack: values.stack }),
    withPolicies: values["with-policies"],
    jsonKeys: values["json-keys"],
    dryRun: values["dry-run"],
    force: values.force,
    format,
  };
}

function parseTag(text: string): TagFilter {
  const eq = text.indexOf("=");
  const key = eq === -1 ? text : text.slice(0, eq);
  if (key === "") throw new UsageError(`--tag needs a key: "<key>" or "<key>=<value>", not "${text}"`);
  return eq === -1 ? { key } : { key, value: text.slice(eq + 1) };
}

/**
 * Lists, then spends further calls only on secrets that can be imported: DescribeSecret
 * where the listing lacks replicas, GetResourcePolicy and the key-name read when asked.
 */
async function readSecrets(
  inventory: SecretInventory,
  opts: ImportOptions,
  progress: Progress,
): Promise<Decision[]> {
  const ctx: ImportContext = {
    region: await inventory.region(),
    ...(opts.stack === undefined ? {} : { stack: opts.stack }),
  };
  const listed = await inventory.list(opts.selection, (n) => progress.update(`listed ${n} secrets`));
  const listedNames = new Set(listed.map((s) => s.Name));
  const missing = opts.selection.names.filter((name) => !listedNames.has(name));
  const full = new Map<string, SecretMetadata>(listed.map((s) => [s.ARN as string, s]));
  const gone = new Set<string>();
  const importable = listed.filter((s) => refusalFromListing(s, ctx) === undefined);
  const toDescribe = importable.filter(needsDescribe);
  await mapLimited(toDescribe, async (s, done) => {
    progress.update(`described ${done}/${toDescribe.length} replicated secrets`);
    const described = await inventory.describe(s.ARN as string, s.Name as string);
    if (described === GONE) gone.add(s.ARN as string);
    else full.set(s.ARN as string, described);
  });
  const extras = await readExtras(inventory, importable, opts, progress, gone);
  const decisions = [...full.values()].map((s) =>
    gone.has(s.ARN as string)
      ? { kind: "refused" as const, name: s.Name as string, reason: "deleted while the import ran" }
      : decide(s, ctx, extras.get(s.ARN as string)),
  );
  return [
    ...decisions,
    ...missing.map((name): Decision => ({ kind: "refused", name, reason: "not found in this Region" })),
  ];
}

async function readExtras(
  inventory: SecretInventory,
  secrets: SecretMetadata[],
  opts: ImportOptions,
  progress: Progress,
  gone: Set<string>,
): Promise<Map<string, Extras>> {
  const extras = new Map<string, Extras>(secrets.map((s) => [s.ARN as string, {}]));
  if (opts.withPolicies) {
    await mapLimited(secrets, async (s, done) => {
      progress.update(`read ${done}/${secrets.length} resource policies`);
      const policy = await inventory.resourcePolicy(s.ARN as string, s.Name as string);
      if (policy === GONE) gone.add(s.ARN as string);
      else if (policy !== undefined) (extras.get(s.ARN as string) as Extras).policy = policy;
    });
  }
  if (opts.jsonKeys) {
    progress.update(`reading JSON key names of ${secrets.length} secrets`);
    const keys = await inventory.jsonKeyNames(secrets.map((s) => s.ARN as string));
    for (const [arn, names] of keys) {
      if (names !== undefined) (extras.get(arn) as Extras).jsonKeys = names;
    }
  }
  return extras;
}

/** Runs `fn` over `items` with at most CONCURRENCY in flight; results in input order. */
async function mapLimited<T, R>(items: T[], fn: (item: T, done: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T, done);
      done++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
  return results;
}

/**
 * Writes (or, with --dry-run, prints) each file; an existing file is left alone without
 * --force. Files are written several at a time (a large import is bound by file system
 * latency); dry-run output is printed in file order.
 */
async function writeFiles(files: PlannedFile[], opts: ImportOptions, io: CliIO): Promise<FileOutcome[]> {
  const folders = new Map<string, Promise<unknown>>();
  const ensureFolder = (folder: string) => {
    let made = folders.get(folder);
    if (!made) {
      made = mkdir(folder, { recursive: true });
      folders.set(folder, made);
    }
    return made;
  };
  const results = await mapLimited(files, (planned) => writeOne(planned, opts, io.cwd, ensureFolder));
  for (const { outcome, text } of results) {
    if (opts.dryRun && opts.format === "text" && outcome.action !== "skipped")
      io.stdout(`# ${outcome.action} ${outcome.file}\n${text}`);
  }
  return results.map((r) => r.outcome);
}

async function writeOne(
  planned: PlannedFile,
  opts: ImportOptions,
  cwd: string,
  ensureFolder: (folder: string) => Promise<unknown>,
): Promise<{ outcome: FileOutcome; text: string }> {
  const file = path.posix.join(opts.outDir.split(path.sep).join("/"), planned.file.split(path.sep).join("/"));
  const absolute = path.resolve(cwd, opts.outDir, planned.file);
  const secrets = planned.documents.map((d) => d.name);
  const text = renderFile(planned);
  const exists = await fileExists(absolute);
  if (exists && !opts.force) {
    return {
      outcome: { file, secrets, action: "skipped", reason: "the file exists (use --force to overwrite)" },
      text,
    };
  }
  if (opts.dryRun)
    return { outcome: { file, secrets, action: exists ? "would overwrite" : "would create" }, text };
  await ensureFolder(path.dirname(absolute));
  // "wx" fails if the file appeared since the check: never overwrite without --force.
  await writeFile(absolute, text, { flag: opts.force ? "w" : "wx" });
  return { outcome: { file, secrets, action: exists ? "overwritten" : "created" }, text };
}

async function fileExists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

interface Outcome {
  decisions: Decision[];
  refused: Extract<Decision, { kind: "refused" }>[];
  outcomes: FileOutcome[];
  calls: Record<string, number>;
}

function report(io: CliIO, opts: ImportOptions, outcome: Outcome): void {
  const { decisions, refused, outcomes, calls } = outcome;
  if (opts.format === "json") {
    io.stdout(
      `${JSON.stringify(
        {
          dryRun: opts.dryRun,
          selected: decisions.length,
          files: outcomes,
          refused: refused.map(({ name, reason }) => ({ name, reason })),
          calls,
        },
        null,
        2,
      )}\n`,
    );
    return;
  }
  const lines = [
    ...refused.map((r) => `refused ${r.name}: ${r.reason}`),
    ...outcomes.flatMap((o) => (o.action === "skipped" ? [`skipped ${o.file}: ${o.reason}`] : [])),
    summaryLine(opts, outcome),
  ];
  io.stderr(`${lines.join("\n")}\n`);
}

function summaryLine(opts: ImportOptions, { decisions, refused, outcomes, calls }: Outcome): string {
  if (decisions.length === 0) return "no secret matched the selection";
  const written = outcomes.filter((o) => o.action !== "skipped");
  const secrets = written.reduce((n, o) => n + o.secrets.length, 0);
  const verb = opts.dryRun ? "would write" : "wrote";
  const callList = Object.entries(calls)
    .filter(([, n]) => n > 0)
    .map(([op, n]) => `${op} ${n}`)
    .join(", ");
  return `${count(decisions.length, "secret")} selected: ${verb} ${count(secrets, "manifest")} in ${count(written.length, "file")}, ${refused.length} refused, ${count(outcomes.length - written.length, "file")} skipped (AWS calls: ${callList})`;
}
