/** Public API for Pulumi programs: `import { SecretManifests } from "secret-manifests"`. */

export { UserError, UserErrors } from "./errors";
export { checkManifests, loadManifests } from "./manifest";
export type { SecretSpec, SecretValueSpec, ValueRef } from "./manifest/spec";
export * from "./pulumi";
