/**
 * Values as Go writes them, beyond the sops-made fixtures: the bytes escape used for text that
 * is not UTF-8, Go's JSON for -0 and non-finite floats, and yaml.v3's typing of plain scalars.
 */
import { describe, expect, it } from "vitest";
import { COMPACT, emitJson, SOPS_JSON, UnsupportedJsonValue } from "../../src/sources/emit.js";
import { decodeBytes, encodeText, hasRawBytes } from "../../src/sources/sops/bytes.js";
import { parseJson, parseSopsJsonOutput } from "../../src/sources/sops/formats/json.js";
import { parseYaml } from "../../src/sources/sops/formats/yaml.js";
import type { ScalarNode, TreeNode } from "../../src/sources/sops/tree.js";

const SOPS = "sops:\n  version: 3.13.2\n";
const float = (text: string): ScalarNode => ({ kind: "scalar", type: "float", text });
const firstValue = (yaml: string): TreeNode | undefined =>
  parseYaml(`v: ${yaml}\n${SOPS}`).branches[0]?.entries[0]?.[1];

describe("bytes that are not UTF-8", () => {
  it.each([
    ["latin-1", "636166e9", 1],
    ["a truncated sequence", "e282", 2],
    ["an overlong encoding", "c0af", 2],
    ["an encoded surrogate", "eda080", 3],
    ["valid text around bad bytes", "6f6bfffee282ac", 2],
  ])("%s round-trips exactly and prints one \\ufffd per bad byte", (_, hex, bad) => {
    const text = decodeBytes(Buffer.from(hex, "hex"));
    expect(hasRawBytes(text)).toBe(true);
    expect(encodeText(text).toString("hex")).toBe(hex);
    const json = emitJson({ kind: "scalar", type: "str", text }, COMPACT);
    expect(json.match(/\\ufffd/g)).toHaveLength(bad);
  });

  it("valid UTF-8, U+FFFD itself included, is plain text", () => {
    const text = decodeBytes(Buffer.from("efbfbd f09f9491".replace(" ", ""), "hex"));
    expect(hasRawBytes(text)).toBe(false);
    expect(emitJson({ kind: "scalar", type: "str", text }, COMPACT)).toBe('"\ufffd🔑"');
  });

  it("a literal backslash-u in the text is not mistaken for an escaped byte", () => {
    const text = `\\udc80${decodeBytes(Buffer.from("e9", "hex"))}`;
    expect(emitJson({ kind: "scalar", type: "str", text }, COMPACT)).toBe('"\\\\udc80\\ufffd"');
  });
});

describe("Go's JSON for floats", () => {
  it.each([
    ["-0", "-0"],
    ["0.0000001", "1e-7"],
    ["1000000000000000000000", "1e+21"],
    ["0.75", "0.75"],
  ])("%s prints as %s", (text, json) => {
    expect(emitJson(float(text), SOPS_JSON)).toBe(json);
  });

  it.each(["NaN", "+Inf", "-Inf"])("%s is refused, as sops refuses it", (text) => {
    expect(() => emitJson({ kind: "map", entries: [["x", float(text)]] }, COMPACT)).toThrow(
      UnsupportedJsonValue,
    );
  });
});

describe("yaml.v3 typing of plain scalars", () => {
  it.each([
    ["5_432", "int", "5432"],
    ["1_000.5", "float", "1000.5"],
    ["0X1F", "int", "31"],
    ["0B101", "int", "5"],
    ["0o17", "int", "15"],
    ["0777", "int", "511"],
    ["09", "float", "9"],
    ["0b-101", "int", "-5"],
    ["-0", "int", "0"],
    ["-0.0", "float", "-0"],
    [".5", "float", "0.5"],
    ["1e400", "str", "1e400"],
    ["1e-400", "float", "0"],
    ["2024-01-02T03:04:05+00:00", "time", "2024-01-02T03:04:05Z"],
    ["2024-01-02T03:04:05.120-00:00", "time", "2024-01-02T03:04:05.12Z"],
    ["2024-1-2t3:4:5,5+05:30", "time", "2024-01-02T03:04:05.5+05:30"],
    ["2024-01-02 03:04:05", "time", "2024-01-02T03:04:05Z"],
    ["2024-01-02 03:04:05Z", "str", "2024-01-02 03:04:05Z"],
    ["2024-01-02   03:04:05", "time", "2024-01-02T03:04:05Z"],
    ["2024-02-30", "str", "2024-02-30"],
    ["2024-02-29", "time", "2024-02-29T00:00:00Z"],
    ['!!int "12"', "int", "12"],
    ["!!float 3", "float", "3"],
    ["!!binary aGVsbG8=", "str", "hello"],
    ["!custom 5", "str", "5"],
  ])("%s is %s %s", (yaml, type, text) => {
    expect(firstValue(yaml)).toEqual({ kind: "scalar", type, text });
  });

  it("refuses what yaml.v3 refuses: a uint64, a tag the value does not fit", () => {
    expect(() => firstValue("18446744073709551615")).toThrow("above 2^63-1");
    expect(() => firstValue("!!int abc")).toThrow("tagged !!int");
    expect(() => firstValue("2024-01-02T03:04:05+24:00")).toThrow("offset of 24 hours");
  });

  it.each([
    ["2", "int"],
    ["true", "bool"],
    ["~", "null"],
    ["2024-01-02", "time"],
  ])("refuses the unquoted key %s (a %s to Go; sops walks only string keys)", (key, type) => {
    expect(() => parseYaml(`${key}: x\n${SOPS}`)).toThrow(`a mapping key is a ${type}, not a string`);
    expect(parseYaml(`"${key}": x\n${SOPS}`).branches[0]?.entries[0]?.[0]).toBe(key);
  });

  it("refuses an escaped UTF-16 surrogate in a double-quoted string, even half of a pair, as yaml.v3 does", () => {
    expect(() => firstValue('"\\ud83d\\udd11"')).toThrow("surrogate");
    expect(firstValue('"\\\\ud83d"')).toEqual({ kind: "scalar", type: "str", text: "\\ud83d" });
    expect(firstValue('"\\U0001F511"')).toEqual({ kind: "scalar", type: "str", text: "🔑" });
  });

  it("refuses a YAML file that is not UTF-8, as yaml.v3 does", async () => {
    const { sopsText } = await import("../../src/sources/sops/formats/index.js");
    expect(() => sopsText("yaml", Buffer.from("v: caf\xe9\n", "latin1"))).toThrow("not valid UTF-8");
  });
});

describe("Go's JSON decoding of numbers", () => {
  it("reads an escaped lone surrogate as U+FFFD and keeps a pair, as Go's decoder does", () => {
    const values = parseJson(`{"a": "x\\udc80", "b": "\\ud83d\\udd11", "sops": {}}`).branches[0]?.entries;
    expect(values?.map(([, v]) => (v.kind === "scalar" ? v.text : ""))).toEqual(["x\ufffd", "🔑"]);
  });

  it("reads sops' own JSON output with -0 as the float it printed (the sops-binary fallback)", () => {
    expect(parseSopsJsonOutput('{"a": -0, "b": 0}')).toEqual({
      kind: "map",
      entries: [
        ["a", { kind: "scalar", type: "float", text: "-0" }],
        ["b", { kind: "scalar", type: "int", text: "0" }],
      ],
    });
    expect(parseJson('{"a": -0, "sops": {}}').branches[0]?.entries[0]?.[1]).toEqual({
      kind: "scalar",
      type: "int",
      text: "0",
    });
  });

  it("refuses a number beyond float64, as json.Number.Float64 does", () => {
    expect(() => parseJson(`{"v": 1e400, "sops": {}}`)).toThrow("beyond the float64 range at line 1");
  });
});
