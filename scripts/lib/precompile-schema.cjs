// Writes DIST/manifest/schema-validator.js: the manifest schema's ajv validator as code, so
// no process or worker thread compiles the schema at run time. Called by scripts/build
// (and the CLI tests' build) after tsc; usage: node scripts/lib/precompile-schema.cjs DIST
const { writeFileSync } = require("node:fs");
const path = require("node:path");

const dist = path.resolve(process.argv[2] ?? "dist");
const { precompiledValidatorSource } = require(path.join(dist, "manifest", "validate.js"));
writeFileSync(path.join(dist, "manifest", "schema-validator.js"), precompiledValidatorSource());
