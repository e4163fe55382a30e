/** The node:crypto reader of age X25519 stanzas, on data keys the real sops wrapped (fixtures). */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  AgeFormatError,
  decryptArmored,
  type X25519Identity,
  x25519Identity,
} from "../../src/sources/sops/keysources/age-x25519.js";
import { DEMO_ENV, FIXTURES, TEST_KEY_FILE } from "./sops-helpers.js";

const identityIn = (file: string) => readFileSync(file, "utf8").match(/^AGE-SECRET-KEY-1\S+/m)?.[0] ?? "";
function identityOf(file: string): X25519Identity {
  const identity = x25519Identity(identityIn(file));
  if (!identity) throw new Error(`no X25519 identity in ${file}`);
  return identity;
}
const enc = (() => {
  const yaml = readFileSync(join(FIXTURES, "basic.enc.yaml"), "utf8");
  const block = /enc: \|\n((?: {12}.*\n)+)/.exec(yaml)?.[1] ?? "";
  return block.replace(/^ {12}/gm, "");
})();

describe("age X25519 with node:crypto", () => {
  const right = identityOf(TEST_KEY_FILE);
  const wrong = identityOf(DEMO_ENV.SOPS_AGE_KEY_FILE as string);

  it("reads an identity and opens the stanza addressed to it: a 32-byte data key", () => {
    expect(right.recipient).toHaveLength(32);
    expect(decryptArmored(enc, [right])).toHaveLength(32);
    expect(decryptArmored(enc, [wrong, right])).toHaveLength(32);
  });

  it("another identity opens nothing", () => {
    expect(decryptArmored(enc, [wrong])).toBeUndefined();
  });

  it("refuses identities that are not X25519 or whose checksum is wrong", () => {
    const good = identityIn(TEST_KEY_FILE);
    const flipped = good.slice(0, -1) + (good.endsWith("Q") ? "P" : "Q");
    expect(x25519Identity(flipped)).toBeUndefined();
    expect(
      x25519Identity("AGE-SECRET-KEY-PQ-1D7PSN6CD3SJL4VZG0Z7A6JZ6CGZVQ0F58CFZN93Y6TWLE9MNVFJSPAZGLH"),
    ).toBeUndefined();
  });

  it("a header whose MAC does not match is refused", () => {
    const file = Buffer.from(enc.split("\n").slice(1, -2).join(""), "base64");
    const macAt = file.indexOf("\n--- ") + 5;
    file[macAt] = file[macAt] === 0x41 ? 0x42 : 0x41;
    const lines = file.toString("base64").match(/.{1,64}/g) ?? [];
    const tampered = [
      "-----BEGIN AGE ENCRYPTED FILE-----",
      ...lines,
      "-----END AGE ENCRYPTED FILE-----",
    ].join("\n");
    expect(() => decryptArmored(tampered, [right])).toThrow(AgeFormatError);
  });
});
