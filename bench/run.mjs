// `npm run bench [-- --n 1000] [-- --all]`: builds the package (the provider process loads
// the installed copy), then runs the Pulumi benchmark; `--all` also runs the large-stack
// scenario (2,000 owned secrets, 100 added), the value-policy calls (N = 20), the sops and the
// validation benchmarks.
// Run it through scripts/with-tools (npm run bench does).
import { execFileSync } from "node:child_process";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const args = process.argv.slice(2);
const all = args.includes("--all");
const rest = args.filter((a) => a !== "--all");
const run = (cmd, argv) => execFileSync(cmd, argv, { cwd: root, stdio: "inherit" });
const bench = (file, argv = []) => run(process.execPath, [path.join(root, "bench", file), ...argv]);

run("bash", ["scripts/build"]);
bench("pulumi.mjs", rest);
if (all) {
  bench("pulumi.mjs", ["--owned", "2000", "--add", "100", "--runs", "3"]);
  bench("value-policies.mjs");
  bench("sops.mjs");
  bench("validate.mjs");
}
