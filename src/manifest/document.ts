import { type Document, isMap, isScalar, isSeq, LineCounter, type Node, parseAllDocuments } from "yaml";
import { UserError } from "../errors";

/** A problem in one document, found before its position is known. */
export interface Issue {
  /** JSON pointer of the offending value, e.g. "/spec/replicas/0/region". */
  pointer: string;
  /** Point at the field's key (`spec:`) or at its value. */
  at: "key" | "value";
  message: string;
  hint?: string;
}

/** One manifest file's text. Line positions are computed only when an error needs one. */
export class SourceFile {
  private lines: LineCounter | undefined;

  constructor(
    /** Path relative to the project root, with `/` separators. */
    readonly file: string,
    readonly absPath: string,
    readonly text: string,
  ) {}

  /** 1-based line and column of a character offset. */
  position(offset: number): { line: number; col: number } {
    return this.lineCounter().linePos(offset);
  }

  errorAt(offset: number, message: string, field?: string, hint?: string): UserError {
    const { line, col } = this.position(offset);
    return new UserError(
      message,
      { file: this.file, line, col, ...(field === undefined ? {} : { field }) },
      hint,
    );
  }

  private lineCounter(): LineCounter {
    if (!this.lines) {
      this.lines = new LineCounter();
      this.lines.addNewLine(0);
      for (let i = this.text.indexOf("\n"); i !== -1; i = this.text.indexOf("\n", i + 1))
        this.lines.addNewLine(i + 1);
    }
    return this.lines;
  }
}

/**
 * One YAML document of a manifest file. Its `yaml` syntax tree gives positions for errors;
 * when the document was read by the fast parser or in another thread, the tree is parsed
 * here only if an error needs it.
 */
export class ManifestDocument {
  constructor(
    readonly source: SourceFile,
    /** Position of the document in the file's YAML stream, counting empty documents. */
    readonly index: number,
    /** Character offset where the document's content starts, when the parser that read it knows. */
    private readonly knownStart?: number,
    private tree?: Document.Parsed,
    /** Key offsets under /spec/value by JSON pointer, when the parser that read it knows. */
    private readonly valueKeyOffsets?: ReadonlyMap<string, number>,
  ) {}

  get node(): Document.Parsed {
    this.tree ??= parseAllDocuments(this.source.text, { prettyErrors: false })[this.index] as Document.Parsed;
    return this.tree;
  }

  /** 1-based line where the document's content starts. */
  get line(): number {
    return this.source.position(this.contentStart()).line;
  }

  /** 1-based line of a field's key (of the deepest existing node on the pointer's path). */
  keyLine(pointer: string): number {
    const offset = this.valueKeyOffsets?.get(pointer) ?? this.offsetOf(pointer, "key");
    return this.source.position(offset).line;
  }

  /** The keys of the map at `pointer`, in the order written; empty when there is no map there. */
  mapKeys(pointer: string): string[] {
    let node: unknown = this.node.contents;
    for (const segment of pointerSegments(pointer)) node = childOf(node, segment)?.value;
    return isMap(node) ? node.items.flatMap((p) => (isScalar(p.key) ? [String(p.key.value)] : [])) : [];
  }

  error(issue: Issue): UserError {
    return this.source.errorAt(
      this.offsetOf(issue.pointer, issue.at),
      issue.message,
      issue.pointer,
      issue.hint,
    );
  }

  private contentStart(): number {
    return this.knownStart ?? this.node.contents?.range[0] ?? 0;
  }

  /** Offset of the deepest existing node on the pointer's path (the path may name a missing field). */
  private offsetOf(pointer: string, at: "key" | "value"): number {
    let value: Node | null | undefined = this.node.contents;
    let key: Node | undefined;
    for (const segment of pointerSegments(pointer)) {
      const step = childOf(value, segment);
      if (!step) break;
      [key, value] = [step.key, step.value];
    }
    const target = at === "key" ? (key ?? value) : (value ?? key);
    return target?.range?.[0] ?? this.contentStart();
  }
}

function childOf(parent: unknown, segment: string): { key: Node; value: Node | undefined } | undefined {
  if (isMap(parent)) {
    const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === segment);
    return pair && { key: pair.key as Node, value: (pair.value ?? undefined) as Node | undefined };
  }
  if (isSeq(parent)) {
    const item = parent.items[Number(segment)] as Node | undefined;
    return item && { key: item, value: item };
  }
  return undefined;
}

export function pointerSegments(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
}

export function joinPointer(pointer: string, segment: string | number): string {
  const text = String(segment);
  const escaped = /[~/]/.test(text) ? text.replaceAll("~", "~0").replaceAll("/", "~1") : text;
  return `${pointer}/${escaped}`;
}

/** "/spec/replicas/0/region" -> "spec.replicas[0].region", the way users read their YAML. */
export function displayPath(pointer: string): string {
  let out = "";
  for (const segment of pointerSegments(pointer)) {
    if (/^\d+$/.test(segment)) out += `[${segment}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}
