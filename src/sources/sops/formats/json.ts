/**
 * JSON store. A small order-preserving parser: JSON.parse would reorder integer-like keys
 * (breaking the MAC) and round integers beyond 2^53. Numbers are typed as sops 3.13.2 does:
 * an integer that fits int64 is `int`, anything else `float`.
 */
import { replaceLoneSurrogates } from "../bytes.js";
import { type Branch, goFormatFloat, NULL, type ScalarNode, str, type TreeNode } from "../tree.js";
import { FormatError, type ParsedFile, splitMetadata } from "./parsed.js";

export function parseJson(text: string): ParsedFile {
  const parser = new JsonParser(text);
  // sops reads the top-level object token by token and never looks past its closing brace.
  const root = parser.leadingValue();
  if (root.kind !== "map") throw new FormatError("the top level of a sops JSON file must be an object");
  return splitMetadata([root]);
}

/**
 * Parses what `sops decrypt --output-type json` printed. The same reader, except that sops
 * prints `-0` only for the float -0 (the integer 0 prints as `0`), so it stays a float.
 */
export function parseSopsJsonOutput(text: string): TreeNode {
  return new JsonParser(text, true).document();
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/y;
const WHITESPACE = /[ \t\r\n]*/y;
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

class JsonParser {
  private at = 0;
  constructor(
    private readonly text: string,
    private readonly negativeZeroIsFloat = false,
  ) {}

  /** The first JSON value of the text; whatever follows it is not read. */
  leadingValue(): TreeNode {
    return this.value();
  }

  document(): TreeNode {
    const value = this.value();
    this.skipWhitespace();
    if (this.at !== this.text.length) this.fail();
    return value;
  }

  private value(): TreeNode {
    this.skipWhitespace();
    const c = this.text[this.at];
    if (c === "{") return this.object();
    if (c === "[") return this.array();
    if (c === '"') return str(this.string());
    if (this.text.startsWith("true", this.at))
      return this.literal(4, { kind: "scalar", type: "bool", text: "True" });
    if (this.text.startsWith("false", this.at))
      return this.literal(5, { kind: "scalar", type: "bool", text: "False" });
    if (this.text.startsWith("null", this.at)) return this.literal(4, NULL);
    return this.number();
  }

  private literal<T extends TreeNode>(length: number, node: T): T {
    this.at += length;
    return node;
  }

  private object(): Branch {
    const entries: Branch["entries"] = [];
    this.at++;
    if (this.peekAfterWhitespace() === "}") return this.close({ kind: "map", entries });
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.at] !== '"') this.fail();
      const key = this.string();
      this.expect(":");
      entries.push([key, this.value()]);
      if (this.peekAfterWhitespace() === "}") return this.close({ kind: "map", entries });
      this.expect(",");
    }
  }

  private array(): TreeNode {
    const items: TreeNode[] = [];
    this.at++;
    if (this.peekAfterWhitespace() === "]") return this.close({ kind: "seq", items });
    for (;;) {
      items.push(this.value());
      if (this.peekAfterWhitespace() === "]") return this.close({ kind: "seq", items });
      this.expect(",");
    }
  }

  private string(): string {
    const start = this.at;
    this.at++;
    while (this.at < this.text.length && this.text[this.at] !== '"') {
      this.at += this.text[this.at] === "\\" ? 2 : 1;
    }
    if (this.at >= this.text.length) this.fail();
    this.at++;
    try {
      // Go's decoder turns an escaped surrogate that is not half of a pair into U+FFFD.
      return replaceLoneSurrogates(JSON.parse(this.text.slice(start, this.at)) as string);
    } catch {
      return this.fail();
    }
  }

  private number(): ScalarNode {
    NUMBER.lastIndex = this.at;
    const match = NUMBER.exec(this.text);
    if (!match) return this.fail();
    this.at += match[0].length;
    const isInteger = match[1] === undefined && match[2] === undefined;
    if (isInteger && !(this.negativeZeroIsFloat && match[0] === "-0")) {
      const value = BigInt(match[0]);
      if (value <= INT64_MAX && value >= INT64_MIN)
        return { kind: "scalar", type: "int", text: value.toString() };
    }
    const value = Number(match[0]);
    // Go's json.Number.Float64 fails on an overflow, and sops with it.
    if (!Number.isFinite(value)) this.fail("a number beyond the float64 range");
    return { kind: "scalar", type: "float", text: goFormatFloat(value) };
  }

  private close<T>(node: T): T {
    this.at++;
    return node;
  }

  private expect(char: string): void {
    if (this.peekAfterWhitespace() !== char) this.fail();
    this.at++;
  }

  private peekAfterWhitespace(): string | undefined {
    this.skipWhitespace();
    return this.text[this.at];
  }

  private skipWhitespace(): void {
    WHITESPACE.lastIndex = this.at;
    WHITESPACE.exec(this.text);
    this.at = WHITESPACE.lastIndex;
  }

  private fail(problem = "invalid JSON"): never {
    const line = this.text.slice(0, this.at).split("\n").length;
    throw new FormatError(`${problem} at line ${line}`);
  }
}
