import { checkManifests, type ManifestCheck } from "../../manifest/index";
import { type CliIO, type Command, EXIT, parseCommandArgs, UsageError } from "../command";
import { count, errorRecord, FORMATS, githubAnnotation, isFormat } from "../report";

const usage = `Usage: secret-manifests validate [options] <path>...

Checks secret manifests offline: YAML syntax, the JSON Schema
(schemas/secret-manifest.schema.json), duplicate names across files, SecretString size
and that every referenced sops file exists. Needs no AWS credentials, no Pulumi login
and no secret values. Prints every problem, then one summary line.

A <path> is a manifest file, a folder (searched recursively for *.yaml and *.yml,
skipping dot-folders and node_modules; sops-encrypted YAML files are ignored) or a
quoted glob. At least one path is required.

Options:
  --format <text|json|github>  Output format (default: text). "github" prints
                               GitHub Actions error annotations.
  -h, --help                   Show this help.

Exit codes: 0 valid, 1 invalid manifests, 2 usage error, 70 internal error.

Examples:
  secret-manifests validate manifests/
  secret-manifests validate 'manifests/**/*.yaml' extra/legacy.yaml
  secret-manifests validate --format github manifests/
  secret-manifests validate --format json manifests/ | jq '.errors[].message'`;

export const validateCommand: Command = {
  name: "validate",
  summary: "check manifests offline (syntax, schema, duplicates, sops files)",
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseCommandArgs(argv, {
      format: { type: "string", default: "text" },
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
    const check = await checkManifests(positionals, { rootDir: io.cwd });
    io.stdout(
      format === "json" ? `${JSON.stringify(jsonReport(check), null, 2)}\n` : textReport(check, format),
    );
    return check.errors.length === 0 ? EXIT.ok : EXIT.failed;
  },
};

function summary(check: ManifestCheck): string {
  return `${count(check.files, "file")}, ${count(check.documents, "manifest")}, ${count(check.specs.length, "secret")}, ${count(check.errors.length, "error")}`;
}

function textReport(check: ManifestCheck, format: "text" | "github"): string {
  const lines = check.errors.map((e) => (format === "github" ? githubAnnotation(e) : e.format()));
  return `${[...lines, summary(check)].join("\n")}\n`;
}

function jsonReport(check: ManifestCheck) {
  return {
    valid: check.errors.length === 0,
    files: check.files,
    manifests: check.documents,
    secrets: check.specs.map((s) => ({ name: s.name, file: s.source.file, line: s.source.line })),
    errors: check.errors.map(errorRecord),
  };
}
