/**
 * The root Pulumi program (Pulumi.yaml `main`): manages every manifest under the
 * paths in `secret-manifests:manifests` (a list, or one path; default "manifests").
 */
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE, SecretManifests } from "./component";

const config = new pulumi.Config(CONFIG_NAMESPACE);
const paths = config.getObject<string[] | string>("manifests") ?? "manifests";
const manifests = new SecretManifests("secret-manifests", { paths: Array.isArray(paths) ? paths : [paths] });

export const arns = manifests.arns;
