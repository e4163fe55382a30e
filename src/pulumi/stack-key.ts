/** The StackHmacKey provider (see provider.ts): a random per-stack HMAC key, kept as a secret in state. */
import { randomBytes } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";

export async function create(): Promise<pulumi.dynamic.CreateResult> {
  return { id: "stack-hmac-key", outs: { key: randomBytes(32).toString("hex") } };
}
