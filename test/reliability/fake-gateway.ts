/**
 * An in-memory Secrets Manager with the semantics the planner relies on (tokens as version
 * ids, a reused token is a no-op, AWSCURRENT/AWSPREVIOUS moves, restore, tags, replicas).
 * Only for the plan/apply property: it tests plan semantics, not the AWS layer.
 */
import type { CreatedSecret, CreateSecretInput, CurrentValue, SecretsGateway } from "../../src/aws/gateway";
import type { DeletionSpec, ReplicaSpec } from "../../src/manifest/spec";
import { type ObservedSecret, OWNER_TAG, type ReplicationStatus } from "../../src/reconcile/types";
import type { ResolvedValue } from "../../src/sources/value";

export interface FakeSecret {
  arn: string;
  name: string;
  description?: string;
  kmsKeyId?: string;
  tags: Record<string, string>;
  deleted: boolean;
  /** version id -> stages (possibly none) and value. */
  versions: Map<string, { stages: string[]; value: ResolvedValue }>;
  replicas: ReplicaSpec[];
}

export class FakeGateway implements SecretsGateway {
  readonly secrets = new Map<string, FakeSecret>();
  readonly calls: string[] = [];

  private byId(id: string): FakeSecret {
    const s = [...this.secrets.values()].find((x) => x.arn === id || x.name === id);
    if (!s) throw new Error(`fake: no secret ${id}`);
    return s;
  }

  private writable(id: string): FakeSecret {
    const s = this.byId(id);
    if (s.deleted) throw new Error(`fake: ${id} is scheduled for deletion`);
    return s;
  }

  observe(name: string): ObservedSecret | undefined {
    const s = this.secrets.get(name);
    if (!s) return undefined;
    const versionStages: Record<string, string[]> = {};
    for (const [id, v] of s.versions) if (v.stages.length > 0) versionStages[id] = [...v.stages];
    return {
      arn: s.arn,
      name: s.name,
      ...(s.description !== undefined ? { description: s.description } : {}),
      ...(s.kmsKeyId !== undefined ? { kmsKeyId: s.kmsKeyId } : {}),
      tags: { ...s.tags },
      ...(s.deleted ? { deletedDate: new Date(0) } : {}),
      versionStages,
      replicas: s.replicas.map((r) => ({ ...r, status: "InSync" })),
      replicasObserved: true,
    };
  }

  async describe(name: string): Promise<ObservedSecret | undefined> {
    this.calls.push("describe");
    return this.observe(name);
  }
  async describeSecret(id: string): Promise<ObservedSecret | undefined> {
    this.calls.push("describeSecret");
    const s = [...this.secrets.values()].find((x) => x.arn === id || x.name === id);
    return s && this.observe(s.name);
  }
  async lookUpOwned(name: string, owner: string): Promise<ObservedSecret | undefined> {
    this.calls.push("describe");
    const found = this.observe(name);
    return found?.tags[OWNER_TAG] === owner ? found : undefined;
  }
  async getCurrentValue(name: string): Promise<CurrentValue | undefined> {
    const s = this.secrets.get(name);
    const current = s && [...s.versions].find(([, v]) => v.stages.includes("AWSCURRENT"));
    if (!current) return undefined;
    const value = current[1].value;
    return {
      versionId: current[0],
      payload:
        value.kind === "binary"
          ? { type: "binary", bytes: value.bytes }
          : { type: "string", text: value.text },
    };
  }
  async createSecret(input: CreateSecretInput): Promise<CreatedSecret> {
    this.calls.push("createSecret");
    if (this.secrets.has(input.name)) throw new Error(`fake: ${input.name} exists`);
    const arn = `arn:aws:secretsmanager:us-east-1:1:secret:${input.name}-Fake01`;
    this.secrets.set(input.name, {
      arn,
      name: input.name,
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.kmsKeyId !== undefined ? { kmsKeyId: input.kmsKeyId } : {}),
      tags: { ...input.tags },
      deleted: false,
      versions: new Map([[input.token, { stages: ["AWSCURRENT"], value: input.value }]]),
      replicas: input.replicas.map((r) => ({ ...r })),
    });
    return {
      arn,
      name: input.name,
      versionId: input.token,
      replicationStatus: input.replicas.map((r) => ({ region: r.region, status: "InSync" })),
    };
  }
  async restoreSecret(id: string): Promise<void> {
    this.calls.push("restore");
    this.byId(id).deleted = false;
  }
  async putSecretValue(
    id: string,
    token: string,
    value: ResolvedValue,
  ): Promise<{ versionStages: string[] }> {
    this.calls.push("putSecretValue");
    const s = this.writable(id);
    const existing = s.versions.get(token);
    // AWS: a token it already has is accepted and changes nothing.
    if (existing) return { versionStages: [...existing.stages] };
    for (const v of s.versions.values()) {
      v.stages = v.stages.filter((st) => st !== "AWSPREVIOUS");
      if (v.stages.includes("AWSCURRENT"))
        v.stages = [...v.stages.filter((st) => st !== "AWSCURRENT"), "AWSPREVIOUS"];
    }
    s.versions.set(token, { stages: ["AWSCURRENT"], value });
    return { versionStages: ["AWSCURRENT"] };
  }
  async moveCurrent(id: string, to: string, from: string | undefined): Promise<void> {
    this.calls.push("moveCurrent");
    const s = this.writable(id);
    const current = [...s.versions].find(([, v]) => v.stages.includes("AWSCURRENT"))?.[0];
    // AWS refuses a move whose RemoveFromVersionId is not the version holding the stage.
    if (current !== from) throw new Error(`fake: AWSCURRENT is on ${current}, not ${from}`);
    const target = s.versions.get(to);
    if (!target) throw new Error(`fake: no version ${to}`);
    for (const v of s.versions.values()) v.stages = v.stages.filter((st) => st !== "AWSPREVIOUS");
    if (from !== undefined) {
      const old = s.versions.get(from);
      if (old) old.stages = [...old.stages.filter((st) => st !== "AWSCURRENT"), "AWSPREVIOUS"];
    }
    target.stages = [...target.stages.filter((st) => st !== "AWSPREVIOUS"), "AWSCURRENT"];
  }
  async updateMetadata(id: string, changes: { description?: string; kmsKeyId?: string }): Promise<void> {
    this.calls.push("updateMetadata");
    const s = this.writable(id);
    if (changes.description !== undefined) s.description = changes.description;
    if (changes.kmsKeyId !== undefined) s.kmsKeyId = changes.kmsKeyId;
  }
  async tag(id: string, tags: Record<string, string>): Promise<void> {
    this.calls.push("tag");
    Object.assign(this.writable(id).tags, tags);
  }
  async untag(id: string, keys: string[]): Promise<void> {
    this.calls.push("untag");
    const s = this.writable(id);
    for (const k of keys) delete s.tags[k];
  }
  async replicate(id: string, replicas: ReplicaSpec[]): Promise<ReplicationStatus[]> {
    this.calls.push("replicate");
    const s = this.writable(id);
    for (const r of replicas) {
      if (s.replicas.some((x) => x.region === r.region)) throw new Error(`fake: replica ${r.region} exists`);
      s.replicas.push({ ...r });
    }
    return replicas.map((r) => ({ region: r.region, status: "InSync" }));
  }
  async removeReplicas(id: string, regions: string[]): Promise<ReplicationStatus[]> {
    this.calls.push("removeReplicas");
    const s = this.byId(id);
    s.replicas = s.replicas.filter((r) => !regions.includes(r.region));
    return [];
  }
  async deleteSecret(id: string, _deletion: DeletionSpec): Promise<void> {
    this.calls.push("deleteSecret");
    const s = this.byId(id);
    if (s.replicas.length > 0) throw new Error("fake: delete replicas first");
    s.deleted = true;
  }

  // Seed-once, generated, rotation and policy calls are tested against moto
  // (test/reconcile/value-policies.integration.test.ts), not modelled here.
  generatePassword(): Promise<string> {
    throw new Error("fake: generatePassword is not modelled");
  }
  readCurrentValue(): Promise<CurrentValue | undefined> {
    throw new Error("fake: readCurrentValue is not modelled");
  }
  rotate(): Promise<void> {
    throw new Error("fake: rotate is not modelled");
  }
  cancelRotation(): Promise<void> {
    throw new Error("fake: cancelRotation is not modelled");
  }
  putResourcePolicy(): Promise<void> {
    throw new Error("fake: putResourcePolicy is not modelled");
  }
  getResourcePolicy(): Promise<string | undefined> {
    throw new Error("fake: getResourcePolicy is not modelled");
  }
  deleteResourcePolicy(): Promise<void> {
    throw new Error("fake: deleteResourcePolicy is not modelled");
  }
}
