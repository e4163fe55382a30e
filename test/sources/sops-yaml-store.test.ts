// The sops YAML store's tree, beyond what the sops-made fixtures exercise: anchors and
// aliases, explicit string tags, key order, Go typing of plain scalars, malformed input.
import { describe, expect, it } from "vitest";
import { parseYaml } from "../../src/sources/sops/formats/yaml";

const SOPS = "sops:\n  version: 3.13.2\n";

describe("sops YAML store", () => {
  it("keeps key order, resolves aliases and types plain scalars as yaml.v3 does", () => {
    const { branches } = parseYaml(
      `b: &v 0x1F\na: *v\nm: &m {x: 1}\nn: *m\nq: "1"\nt: !!str true\nu: !<tag:yaml.org,2002:str> 2\nz: ~\n${SOPS}`,
    );
    expect(branches[0]?.entries).toEqual([
      ["b", { kind: "scalar", type: "int", text: "31" }],
      ["a", { kind: "scalar", type: "int", text: "31" }],
      ["m", { kind: "map", entries: [["x", { kind: "scalar", type: "int", text: "1" }]] }],
      ["n", { kind: "map", entries: [["x", { kind: "scalar", type: "int", text: "1" }]] }],
      ["q", { kind: "scalar", type: "str", text: "1" }],
      ["t", { kind: "scalar", type: "str", text: "true" }],
      ["u", { kind: "scalar", type: "str", text: "2" }],
      ["z", { kind: "null" }],
    ]);
  });

  it("reads every document, the metadata from the first", () => {
    const { branches, metadata } = parseYaml(`a: 1\n${SOPS}---\nb: [x, "y"]\n${SOPS}`);
    expect(branches).toHaveLength(2);
    expect(branches[1]?.entries[0]).toEqual([
      "b",
      {
        kind: "seq",
        items: [
          { kind: "scalar", type: "str", text: "x" },
          { kind: "scalar", type: "str", text: "y" },
        ],
      },
    ]);
    expect(metadata.entries[0]?.[0]).toBe("version");
  });

  it.each([
    ["a syntax error, by line", `a: 1\nb: c: d\n${SOPS}`, "invalid YAML at line 2"],
    ["an empty file", "", "the file is empty"],
    ["a document that is not a mapping", `- a\n`, "a YAML document is not a mapping"],
    ["a collection as a key", `? [a]\n: b\n${SOPS}`, "a mapping key is not a scalar"],
    ["no metadata", "a: 1\n", "the file has no sops metadata"],
  ])("refuses %s", (_, text, message) => {
    expect(() => parseYaml(text)).toThrow(message);
  });
});
