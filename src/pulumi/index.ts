export { CONFIG_NAMESPACE, SecretManifests, type SecretManifestsArgs } from "./component";
export { ManagedSecret, type ManagedSecretArgs, StackHmacKey } from "./resources";
