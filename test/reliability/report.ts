/** Figures the suite measured, printed and kept in node_modules/.cache/reliability for docs/reliability.md. */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { FULL, REPO_ROOT } from "./support";

export function report(name: string, figures: unknown): void {
  const dir = path.join(REPO_ROOT, "node_modules", ".cache", "reliability");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}${FULL ? "-full" : ""}.json`);
  writeFileSync(file, `${JSON.stringify(figures, null, 2)}\n`);
  console.log(`[reliability] ${name}${FULL ? " (full)" : ""}: ${JSON.stringify(figures)}`);
}
