import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, digestValue, requestToken, rewriteToken } from "../../src/reconcile/digest.js";
import type { ResolvedValue } from "../../src/sources/value.js";
import { binary, HMAC_KEY, json, text } from "./helpers.js";

const OTHER_KEY = Buffer.alloc(32, 9);
const tokenOf = (name: string, value: ResolvedValue, key = HMAC_KEY) => requestToken(name, value, key);
const digestOf = (value: ResolvedValue, key = HMAC_KEY) => digestValue("app/db", value, key);

// ClientRequestToken: 32-64 characters; a UUID is what the API documentation recommends.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("requestToken", () => {
  it("is a stable, UUID-shaped ClientRequestToken of 32-64 characters", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string(), (name, value) => {
        const token = tokenOf(name, text(value));
        expect(token).toMatch(UUID);
        expect(token.length).toBeGreaterThanOrEqual(32);
        expect(token.length).toBeLessThanOrEqual(64);
        expect(tokenOf(name, text(value))).toBe(token);
      }),
    );
  });

  it("differs when the value, the name or the key differs", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string(), fc.string(), (name, a, b) => {
        fc.pre(a !== b);
        expect(tokenOf(name, text(a))).not.toBe(tokenOf(name, text(b)));
        expect(tokenOf(name, text(a))).not.toBe(tokenOf(`${name}x`, text(a)));
        expect(tokenOf(name, text(a), OTHER_KEY)).not.toBe(tokenOf(name, text(a)));
      }),
    );
  });

  it("is the same version id as before digests were bound to the name (no rewrite on upgrade)", () => {
    // Pinned from the release before: upgrading must not change any secret's version id.
    expect(tokenOf("app/db", text("hunter2"))).toBe(PINNED.string);
    expect(tokenOf("app/db", json({ user: "admin", password: "pw" }))).toBe(PINNED.json);
  });

  it("has a rewrite variant per KMS key, unrelated to the token", () => {
    const v = text("hunter2");
    const [managed, byAlias, byArn] = [undefined, "alias/app", "arn:aws:kms:us-east-1:1:alias/app"].map((k) =>
      rewriteToken("app/db", v, k, HMAC_KEY),
    );
    expect(managed).toMatch(UUID);
    expect(byAlias).toBe(byArn);
    expect(new Set([managed, byAlias, tokenOf("app/db", v)]).size).toBe(3);
    expect(rewriteToken("app/db", v, undefined, HMAC_KEY)).toBe(rewriteToken("app/db", v, "", HMAC_KEY));
  });

  it("differs when only the kind differs (string -> binary is a new version)", () => {
    const asString = tokenOf("app/x", text("same"));
    expect(tokenOf("app/x", binary(Buffer.from("same")))).not.toBe(asString);
    expect(tokenOf("app/x", { kind: "json", text: "same", fields: {} })).not.toBe(asString);
  });
});

describe("digestValue", () => {
  it("keeps one digest per top-level JSON key, independent of key order", () => {
    const a = digestOf(json({ user: "admin", password: "pw1", port: 5432 }), HMAC_KEY);
    const b = digestOf(json({ port: 5432, user: "admin", password: "pw2" }), HMAC_KEY);
    expect(Object.keys(a.keys ?? {})).toEqual(["user", "password", "port"]);
    expect(a.keys?.user).toBe(b.keys?.user);
    expect(a.keys?.port).toBe(b.keys?.port);
    expect(a.keys?.password).not.toBe(b.keys?.password);
  });

  it("binds the secret's name: a value shared by two secrets shows unrelated digests", () => {
    const a = digestValue("app/a", json({ password: "shared" }), HMAC_KEY);
    const b = digestValue("app/b", json({ password: "shared" }), HMAC_KEY);
    expect(a.value).not.toBe(b.value);
    expect(a.keys?.password).not.toBe(b.keys?.password);
    expect(digestValue("app/a", text("shared"), HMAC_KEY).value).not.toBe(
      digestValue("app/b", text("shared"), HMAC_KEY).value,
    );
  });

  it("gives equal values under different keys different digests", () => {
    const d = digestOf(json({ a: "same", b: "same" }), HMAC_KEY);
    expect(d.keys?.a).not.toBe(d.keys?.b);
  });

  it("canonicalizes nested objects", () => {
    expect(canonicalJson({ b: [1, { y: 2, x: 1 }], a: null })).toBe('{"a":null,"b":[1,{"x":1,"y":2}]}');
  });

  it("reveals nothing without the key: no unkeyed hash, unrelated digests under another key", () => {
    const guesses = ["", "password", "hunter2", "123456"];
    for (const guess of guesses) {
      const digest = digestOf(text(guess), HMAC_KEY);
      const token = tokenOf("app/db", text(guess));
      const published = JSON.stringify(digest) + token;
      for (const algorithm of ["sha256", "sha1", "md5", "sha512"]) {
        const unkeyed = createHash(algorithm).update(guess).digest("hex");
        expect(published).not.toContain(unkeyed.slice(0, 16));
      }
      expect(published).not.toContain(Buffer.from(guess).toString("hex") || "∅");
      expect(digestOf(text(guess), OTHER_KEY).value).not.toBe(digest.value);
    }
    // A dictionary attack needs the key: with a wrong key no guess matches.
    const target = digestOf(text("hunter2"), HMAC_KEY).value;
    expect(guesses.some((g) => digestOf(text(g), OTHER_KEY).value === target)).toBe(false);
  });

  it("refuses a key too short to be secret", () => {
    expect(() => digestOf(text("x"), Buffer.alloc(8))).toThrow(/at least 16 bytes/);
  });
});

/** Computed with the previous release's requestToken(name, digestValue(value, key), key). */
const PINNED = {
  string: "d6fed06d-a680-8f15-8664-b282054b6f02",
  json: "1bf5c6d8-e466-815f-a852-68e609acaea2",
};
