/**
 * The cold-start guarantee: files for X25519 recipients decrypt without loading the
 * age-encryption package (which costs a fresh process more than a whole `sops decrypt`);
 * only other stanza types (here post-quantum) load it.
 */
import { beforeEach, describe, expect, it, vi } from "vitest";
import { clearDecryptCache, decryptFile } from "../../src/sources/index.js";
import { FIXTURES, TEST_ENV } from "./sops-helpers.js";

const loads = vi.hoisted(() => ({ count: 0 }));
vi.mock("age-encryption", async (importOriginal) => {
  loads.count++;
  return importOriginal();
});

beforeEach(() => clearDecryptCache());

describe("age-encryption is loaded only when needed", () => {
  it("an X25519 file decrypts without it; a post-quantum file loads it", async () => {
    await decryptFile(`${FIXTURES}/basic.enc.yaml`, { env: TEST_ENV });
    await decryptFile(`${FIXTURES}/sops-3.8.1/basic.enc.json`, { env: TEST_ENV });
    expect(loads.count).toBe(0);
    const pq = await decryptFile(`${FIXTURES}/pq.enc.yaml`, { env: TEST_ENV });
    expect(pq.format).toBe("yaml");
    expect(loads.count).toBe(1);
  });
});
