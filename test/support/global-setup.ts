import type { TestProject } from "vitest/node";
import { awsEnvFor, startMoto } from "../../scripts/lib/moto.mjs";

declare module "vitest" {
  export interface ProvidedContext {
    motoEndpoint: string;
  }
}

/** One moto server for the whole run; stopped even when tests fail. */
export default async function setup(project: TestProject) {
  const moto = await startMoto();
  project.provide("motoEndpoint", moto.endpoint);
  Object.assign(process.env, awsEnvFor(moto.endpoint));
  return () => moto.stop();
}
