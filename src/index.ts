/** Public API for Pulumi programs: `import { SecretManifests } from "secret-manifests"`. */
export * from "./pulumi";
export type { SecretSpec, SecretValueSpec, ValueRef } from "./manifest/spec";
export { UserError, UserErrors } from "./errors";
