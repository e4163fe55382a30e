import { checkManifests, type ManifestCheck, type SopsFileInfo } from "../../manifest/index";
import { type CliIO, type Command, EXIT, parseCommandArgs, rootAndPaths, UsageError } from "../command";
import { count, errorRecord, FORMATS, githubAnnotation, isFormat, warningText } from "../report";

const usage = `Usage: secret-manifests validate [options] <path>...

Checks secret manifests offline: YAML syntax, the JSON Schema
(schemas/secret-manifest.schema.json), duplicate names across files, SecretString size,
and every reference: a referenced sops file must lie inside the project root, be a sops
file of the format its extension says with valid metadata, contain the key \`path\` names
(sops keeps keys in clear text; near misses get a "did you mean") and give the value kind
(a binary value needs a sops binary file). Needs no AWS credentials, no Pulumi login, no
sops key and no secret values, and never prints a value. Prints every problem and
warning, the key types the sops files need, then one summary line.

A <path> is a manifest file, a folder (searched recursively for *.yaml and *.yml,
skipping dot-folders and node_modules; sops-encrypted YAML files are ignored) or a
quoted glob. At least one path is required.

Options:
  --format <text|json|github>  Output format (default: text). "github" prints
                               GitHub Actions error and warning annotations.
  --root <dir>                 Project root (default: the current directory). References
                               must stay inside it; reported paths are relative to it.
  --allow-outside-root         Let references read files outside the root (absolute
                               paths, \`..\`, symlinks leading out), e.g. in a monorepo.
  --strict                     Treat warnings (such as a name ending like an ARN suffix)
                               as errors.
  -h, --help                   Show this help.

Exit codes: 0 valid (warnings allowed unless --strict), 1 invalid manifests, 2 usage
error, 70 internal error.

Examples:
  secret-manifests validate manifests/
  secret-manifests validate 'manifests/**/*.yaml' extra/legacy.yaml
  secret-manifests validate --strict --format github manifests/
  secret-manifests validate --root .. --allow-outside-root services/api/manifests
  secret-manifests validate --format json manifests/ | jq '.errors[].message'`;

export const validateCommand: Command = {
  name: "validate",
  summary: "check manifests and their references offline (syntax, schema, duplicates, sops files and paths)",
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseCommandArgs(argv, {
      format: { type: "string", default: "text" },
      root: { type: "string" },
      "allow-outside-root": { type: "boolean", default: false },
      strict: { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    });
    if (values.help) {
      io.stdout(`${usage}\n`);
      return EXIT.ok;
    }
    const format = values.format;
    if (!isFormat(format))
      throw new UsageError(`--format must be one of ${FORMATS.join(", ")}, not "${format}"`);
    if (positionals.length === 0) throw new UsageError("give at least one manifest file, folder or glob");
    const { rootDir, paths } = rootAndPaths(values.root, positionals, io.cwd);
    const check = await checkManifests(paths, {
      rootDir,
      allowReadsOutsideRoot: values["allow-outside-root"],
      strict: values.strict,
    });
    io.stdout(
      format === "json" ? `${JSON.stringify(jsonReport(check), null, 2)}\n` : textReport(check, format),
    );
    return check.errors.length === 0 ? EXIT.ok : EXIT.failed;
  },
};

/** "3 files, 5 manifests, 4 secrets, 1 error, 1 warning". */
function summary(check: ManifestCheck): string {
  return [
    count(check.files, "file"),
    count(check.documents, "manifest"),
    count(check.specs.length, "secret"),
    count(check.errors.length, "error"),
    count(check.warnings.length, "warning"),
  ].join(", ");
}

/** What a CI job must provide to decrypt: "sops keys needed: age (2 files), kms (1 file)". */
function keysLine(sopsFiles: SopsFileInfo[]): string[] {
  if (sopsFiles.length === 0) return [];
  const filesByType = new Map<string, number>();
  for (const file of sopsFiles)
    for (const type of file.keyTypes) filesByType.set(type, (filesByType.get(type) ?? 0) + 1);
  const types = [...filesByType]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([type, n]) => `${type} (${count(n, "file")})`);
  const shamir = sopsFiles.filter((f) => f.keyGroups > 1).length;
  const groups =
    shamir === 0 ? "" : `; ${count(shamir, "file")} with several key groups (the sops binary decrypts those)`;
  return [`sops keys needed: ${types.join(", ")}${groups}`];
}

function textReport(check: ManifestCheck, format: "text" | "github"): string {
  const problems = [
    ...check.errors.map((e) => (format === "github" ? githubAnnotation(e, "error") : e.format())),
    ...check.warnings.map((w) => (format === "github" ? githubAnnotation(w, "warning") : warningText(w))),
  ];
  return `${[...problems, ...keysLine(check.sopsFiles), summary(check)].join("\n")}\n`;
}

function jsonReport(check: ManifestCheck) {
  return {
    valid: check.errors.length === 0,
    files: check.files,
    manifests: check.documents,
    secrets: check.specs.map((s) => ({ name: s.name, file: s.source.file, line: s.source.line })),
    errors: check.errors.map(errorRecord),
    warnings: check.warnings.map(errorRecord),
    sopsFiles: check.sopsFiles,
    keyTypes: [...new Set(check.sopsFiles.flatMap((f) => f.keyTypes))].sort(),
  };
}
