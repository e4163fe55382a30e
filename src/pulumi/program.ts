/**
 * The root Pulumi program, for users who write no code: Pulumi.yaml says
 * `main: node_modules/secret-manifests/dist/pulumi/program.js`, and every manifest under
 * the paths in `secret-manifests:manifests` (one path, or a JSON list; default
 * "manifests") is managed, paths resolving from the project folder.
 */
import * as pulumi from "@pulumi/pulumi";
import { isUserError } from "../errors";
import { CONFIG_NAMESPACE, plainRunError, SecretManifests } from "./component";
import { manifestPaths } from "./manifests-config";
import { projectRoot } from "./root";

// Pulumi runs this program in its own folder, inside the package. It names a captured
// module by its path from the working directory, and from here the provider module
// (./crud.js) would look like a file of the program and be serialized by value. From the
// project folder it is node_modules/secret-manifests/..., captured as require("secret-manifests/crud").
process.chdir(projectRoot());

function configuredPaths(): string[] {
  try {
    return manifestPaths(new pulumi.Config(CONFIG_NAMESPACE).get("manifests"));
  } catch (e) {
    if (isUserError(e)) throw plainRunError(e.format());
    throw e;
  }
}

const manifests = new SecretManifests("secret-manifests", { paths: configuredPaths() });

export const arns = manifests.arns;
