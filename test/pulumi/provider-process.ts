/** The dynamic provider driven in-process, as one provider process of the engine would be. */
import { Struct } from "google-protobuf/google/protobuf/struct_pb.js";
import { vi } from "vitest";

export type Crud = typeof import("../../src/pulumi/crud.js");

/**
 * One provider process (one Pulumi operation): a freshly loaded crud module, so no
 * per-process cache or listing carries over, configured to call AWS at `endpoint`.
 */
export async function freshProvider(endpoint: string): Promise<Crud> {
  vi.resetModules();
  const crud = await import("../../src/pulumi/crud.js");
  const config: Record<string, string> = { "secret-manifests:endpoint": endpoint };
  await crud.configure({ config: { get: (key: string) => config[key] } } as never);
  return crud;
}

/** What the engine hands the provider: the value after a Struct round trip. */
export function overTheWire<T>(value: T): T {
  const struct = Struct.fromJavaScript(value as never);
  return Struct.deserializeBinary(struct.serializeBinary()).toJavaScript() as T;
}
