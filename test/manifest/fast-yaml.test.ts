// The fast parser must give exactly what `yaml` gives (data, document index, content start),
// or decline. Compared on the examples, the bad corpus and a generated matrix of scalars in
// every position; the constructs it must decline are listed explicitly.
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { isMap, isScalar, isSeq, type Node, parseAllDocuments } from "yaml";
import { joinPointer } from "../../src/manifest/document";
import { type FastYaml, loadFastYaml } from "../../src/manifest/fast-yaml";
import { REPO_ROOT } from "./support";

let parseFast: FastYaml;
beforeAll(async () => {
  parseFast = await loadFastYaml();
});

function byYaml(text: string) {
  return parseAllDocuments(text, { prettyErrors: false }).map((doc, index) => ({
    index,
    contentStart: doc.contents?.range[0],
    data: doc.contents === null ? null : doc.toJS(),
    errors: doc.errors.length,
    valueKeyOffsets: valueKeyOffsets(doc.contents as Node | null),
  }));
}

/** What the fast parser records, from `yaml`'s tree: the offset of every key (or list item) under /spec/value. */
function valueKeyOffsets(root: Node | null): Map<string, number> {
  const found = new Map<string, number>();
  const visit = (node: unknown, pointer: string) => {
    const children: Array<[string, Node | undefined, Node]> = isMap(node)
      ? node.items.flatMap((pair) =>
          isScalar(pair.key)
            ? [[String(pair.key.value), pair.value as Node | undefined, pair.key as Node]]
            : [],
        )
      : isSeq(node)
        ? node.items.map((item, i) => [String(i), item as Node, item as Node])
        : [];
    for (const [segment, value, anchor] of children) {
      const child = joinPointer(pointer, segment);
      if (child.startsWith("/spec/value/")) found.set(child, anchor.range?.[0] ?? -1);
      if ("/spec/value".startsWith(child) || child.startsWith("/spec/value/")) visit(value, child);
    }
  };
  visit(root, "");
  return found;
}

/** Asserts agreement when the fast parser takes the text; returns whether it did. */
function agrees(text: string): boolean {
  const fast = parseFast(text);
  if (fast === undefined) return false;
  const reference = byYaml(text);
  expect(
    reference.every((doc) => doc.errors === 0),
    `yaml rejects what the fast path took: ${text}`,
  ).toBe(true);
  const nonEmpty = <T extends { data: unknown }>(docs: T[]) => docs.filter((doc) => doc.data !== null);
  expect(
    nonEmpty(fast).map(({ index, data }) => ({ index, data })),
    text,
  ).toEqual(nonEmpty(reference).map(({ index, data }) => ({ index, data })));
  const line = (offset: number | undefined) => text.slice(0, offset).split("\n").length;
  const lines = (offsets: Map<string, number> | undefined) =>
    Object.fromEntries([...(offsets ?? [])].map(([pointer, offset]) => [pointer, line(offset)]));
  for (const doc of nonEmpty(fast)) {
    expect(line(doc.contentStart), text).toBe(line(reference[doc.index]?.contentStart));
    expect(lines(doc.valueKeyOffsets), text).toEqual(lines(reference[doc.index]?.valueKeyOffsets));
  }
  return true;
}

const yamlFiles = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => path.join(dir, f));

const SCALARS = [
  ...["1", "-1", "+1", "01", "007", "0o17", "0O17", "0x1F", "0X1F", "0xg", "0b101", "1_000", "0x_1F"],
  ...["1.5", "1.", "-.5", ".5", "+.5", "1e3", "1E3", "1e+3", "1.0e-3", "1e", "e3", "1e400", "-1e400", "0.1"],
  ...["1.0", "1.10", "-0", "-0.0", "+0", "0.", "9007199254740993", "123456789012345678901234567890"],
  ...[".inf", "+.inf", ".Inf", "-.INF", ".nan", ".NaN", ".NAN", "NaN", "inf", "Infinity"],
  ...["true", "True", "TRUE", "tRUE", "false", "False", "FALSE", "yes", "no", "on", "off", "y", "n"],
  ...["~", "null", "Null", "NULL", "nULL", "2024-01-01", "2024-01-01T10:00:00Z", "12:30:00", "1:30"],
  ...["'1'", '"1"', "'true'", '"null"', '"\\x41\\u00e9\\U0001F600"', "'it''s'", '"\\/"', '"\\N\\_\\L\\P\\t"'],
  ...["a b", "é", "日本", "a#b", "a #b", "http://x:1/y", "@@", "%x", "<<", "=", "-x", "?x", ":x", "x:"],
];

const STRUCTURES = [
  "a:\n  b: 1\n  c: [x, y]\n",
  "a:\nb: ~\nc:\n",
  "a: |\n  x\n  y\n",
  "a: |-\n  x\n",
  "a: |+\n  x\n\n",
  "a: >\n  x\n  y\n\n  z\n",
  "a: >2\n   x\n",
  "a: 'x\n  y'\n",
  'a: "x\\\n  y"\n',
  "a: x\n  y\n",
  "<<: {a: 1}\nb: 2\n",
  "a: [1, 2,]\n",
  "a: {b: }\n",
  "- a\n- b\n",
  "a:\n- b\n",
  "a: b #c\n",
  "a:\t1\n",
  '"a": 1\n',
  "__proto__: 1\n",
  "constructor: 1\n",
  "? a\n: b\n",
  "1: a\n2.0: b\n0x1F: c\ntrue: d\n",
  "a: &x 1\nb: 2\n",
  "# only a comment\n",
  "",
  "---\n",
  "---\n---\na: 1\n",
  "a: 1\n---\n",
  "a: 1\n...\n---\nb: 2\n",
  "# head\n---\n# doc\na: 1\n--- \nb: 2\n",
  "--- |\n  text\n",
  "--- 1\n--- a: b\n",
  "\ufeffa: 1\n",
  "a: 1\r\nb: 2\r\n",
];

describe("fast YAML path", () => {
  it("agrees with yaml on every example and takes all of them", () => {
    for (const file of yamlFiles(path.join(REPO_ROOT, "examples"))) {
      expect(agrees(readFileSync(file, "utf8")), file).toBe(true);
    }
  });

  it("records the line of every key under spec.value, in flow and block style", () => {
    const text =
      "apiVersion: secret-manifests/v1\nkind: Secret\nmetadata: { name: a }\nspec:\n  value:\n    json:\n" +
      '      "a/b": { fromEnv: A }\n      c:\n        fromSops:\n          file: f.enc.yaml\n          path: x\n      d: [1, 2]\n';
    expect(agrees(text)).toBe(true);
    const offsets = parseFast(text)?.[0]?.valueKeyOffsets ?? new Map();
    const lineOf = (pointer: string) => text.slice(0, offsets.get(pointer)).split("\n").length;
    expect(
      [
        "/spec/value/json/a~1b/fromEnv",
        "/spec/value/json/c",
        "/spec/value/json/c/fromSops/path",
        "/spec/value/json/d/1",
      ].map(lineOf),
    ).toEqual([7, 8, 11, 12]);
  });

  it("agrees with yaml on the bad-manifest corpus wherever it takes a file", () => {
    const files = yamlFiles(path.join(REPO_ROOT, "test/manifest/bad"));
    const taken = files.filter((file) => agrees(readFileSync(file, "utf8")));
    // Most bad manifests are schema errors in well-formed YAML: the fast path reads them.
    expect(taken.length).toBeGreaterThan(files.length / 2);
  });

  it("agrees with yaml on every scalar as a value, a key, a list item and in flow collections", () => {
    let taken = 0;
    for (const scalar of SCALARS) {
      for (const text of [
        `v: ${scalar}\n`,
        `${scalar}: v\n`,
        `- ${scalar}\n`,
        `v: [${scalar}]\n`,
        `v: {k: ${scalar}}\n`,
      ]) {
        if (agrees(text)) taken++;
      }
    }
    expect(taken).toBeGreaterThan(SCALARS.length * 3);
  });

  it("agrees with yaml on block, flow, quoted, multi-line and multi-document structures", () => {
    for (const text of STRUCTURES) agrees(text);
  });

  it.each([
    ["an explicit tag", "a: !!str 1\n"],
    ["a float tag yaml reads as a string", "a: !!float 1\n"],
    ["a local tag", "a: !secret x\n"],
    ["an alias", "a: &x {b: 1}\nc: *x\n"],
    ["a YAML 1.1 directive (yes would be true)", "%YAML 1.1\n---\na: yes\n"],
    ["a null plain key (yaml: '', js-yaml: 'null')", "~: a\n"],
    ["an empty key", ": a\n"],
    ["a null key after an empty value", "a:\n~: x\n"],
    ["a null key in a flow mapping", "v: {a, null: x}\n"],
    ["a complex key", "? [a, b]\n: c\n"],
    ["a duplicate key", "a: 1\na: 2\n"],
    ["a syntax error", "a: b: c\n"],
  ])("declines %s, leaving it to yaml", (_, text) => {
    expect(parseFast(text)).toBeUndefined();
  });
});
