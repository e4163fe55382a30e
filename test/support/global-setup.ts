import type { TestProject } from "vitest/node";
import { awsEnvFor, startMoto } from "../../scripts/lib/moto.mjs";
import { startAwsContract } from "./aws-contract";

declare module "vitest" {
  export interface ProvidedContext {
    /** moto itself: only for tests about moto or the contract layer. */
    motoEndpoint: string;
    /** The AWS-contract layer in front of moto: what every test talks to by default. */
    awsEndpoint: string;
  }
}

/**
 * One moto server for the whole run, behind the AWS-contract layer, which holds every
 * request to AWS's documented behaviour where moto is looser. Both stop even when tests fail.
 */
export default async function setup(project: TestProject) {
  const moto = await startMoto();
  const contract = await startAwsContract({ target: moto.endpoint });
  project.provide("motoEndpoint", moto.endpoint);
  project.provide("awsEndpoint", contract.endpoint);
  Object.assign(process.env, awsEnvFor(contract.endpoint));
  return async () => {
    await contract.stop();
    await moto.stop();
  };
}
