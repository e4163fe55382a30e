import { inject } from "vitest";
import { awsEnvFor } from "../../scripts/lib/moto.mjs";

// Every worker talks to the run's moto server through the AWS-contract layer, by the SDK's
// standard variables.
Object.assign(process.env, awsEnvFor(inject("awsEndpoint")));
