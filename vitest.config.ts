import { defineConfig } from "vitest/config";

/**
 * Tests of pure logic: no moto, no Pulumi engine, no sops binary. `npm run test:unit`
 * runs only these; `npm test` runs them and the rest, each file once.
 */
const UNIT = [
  "test/manifest/**/*.test.ts",
  "test/reconcile/plan.test.ts",
  "test/reconcile/digest.test.ts",
  "test/sources/sops-yaml-store.test.ts",
  "test/pulumi/manifests-config.test.ts",
];

export default defineConfig({
  test: {
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    reporters: ["default", "json"],
    outputFile: { json: "test-results.json" },
    projects: [
      { extends: true, test: { name: "unit", include: UNIT } },
      {
        extends: true,
        test: {
          // Against the real services: one moto server for the run, the Pulumi engine, sops.
          name: "services",
          include: ["test/**/*.test.ts"],
          exclude: UNIT,
          globalSetup: ["test/support/global-setup.ts"],
          setupFiles: ["test/support/setup-env.ts"],
        },
      },
    ],
  },
});
