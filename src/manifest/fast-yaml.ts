/**
 * The fast path of manifest parsing. js-yaml's event parser reads a typical manifest about ten
 * times faster than `yaml` builds its document model (bench/validate.mjs), which is what lets
 * 10,000 manifests validate in under two seconds. It is taken only where it yields exactly what
 * `yaml` would:
 *   - plain scalars are typed by the `yaml` package's own YAML 1.2 core-schema tags, not by
 *     js-yaml's, so numbers, booleans and nulls cannot drift between the two paths;
 *   - a file with a tag, an alias, a directive or a null-like plain key, or one js-yaml
 *     rejects, is declined (undefined), and `yaml` decides, reports positions and errors.
 * `yaml` also re-parses, lazily, the documents that need an error position.
 */
import type * as JsYaml from "js-yaml";
import type { Event, Schema as JsYamlSchema, ScalarTagDefinition } from "js-yaml";
import { isScalar, type ScalarTag, Schema } from "yaml";
import { joinPointer } from "./document";

type JsYamlModule = typeof JsYaml;

/** The file's documents, or undefined when only `yaml` can be trusted to read it. */
export type FastYaml = (text: string) => FastDocument[] | undefined;

export interface FastDocument {
  /** Position in the file's YAML stream, counting empty documents (as `yaml` counts them). */
  index: number;
  /** Character offset where the document's content starts. */
  contentStart: number;
  /** Offset of the key of every node under /spec/value, by JSON pointer (see documentLayout). */
  valueKeyOffsets: Map<string, number>;
  data: unknown;
}

const CORE_SCALARS = new Schema({ schema: "core" }).tags.filter(
  (tag): tag is ScalarTag & { test: RegExp } =>
    "test" in tag && tag.test instanceof RegExp && tag.default === true,
);
const YAML_NULL = coreTest("tag:yaml.org,2002:null");

function coreTest(name: string): RegExp {
  const tag = CORE_SCALARS.find((t) => t.tag === name);
  if (!tag) throw new Error(`the yaml package's core schema has no ${name} tag`);
  return tag.test;
}

/**
 * One js-yaml implicit tag per core type name, resolving with `yaml`'s variants in `yaml`'s
 * order. js-yaml's own tag of that name only says which first characters can match (its
 * documented contract is a superset), so most plain strings skip every resolver.
 */
function coreTagsResolvedByYaml(jsYaml: JsYamlModule): ScalarTagDefinition[] {
  const { CORE_SCHEMA, NOT_RESOLVED, defineScalarTag } = jsYaml;
  const names = [...new Set(CORE_SCALARS.map((tag) => tag.tag))];
  return names.map((name) => {
    const variants = CORE_SCALARS.filter((tag) => tag.tag === name);
    const jsYamlTag = CORE_SCHEMA.tags.find((tag) => tag.tagName === name && tag.nodeKind === "scalar");
    return defineScalarTag(name, {
      implicit: true,
      implicitFirstChars: jsYamlTag?.nodeKind === "scalar" ? jsYamlTag.implicitFirstChars : null,
      resolve: (source) => {
        const variant = variants.find((tag) => tag.test.test(source));
        if (!variant) return NOT_RESOLVED;
        const value = variant.resolve(source, failResolve, {});
        return isScalar(value) ? value.value : value;
      },
      identify: () => false,
    });
  });
}

function failResolve(message: string): never {
  throw new Error(message);
}

let loading: Promise<FastYaml> | undefined;

/**
 * Loads js-yaml once per thread. Its ES module build, on purpose: the CommonJS build merges
 * options through a transpiled object-spread helper that costs ~20 µs per call, a third of
 * the time a manifest takes to parse.
 */
export function loadFastYaml(): Promise<FastYaml> {
  loading ??= import("js-yaml").then((jsYaml) => {
    const schema = jsYaml.FAILSAFE_SCHEMA.withTags(coreTagsResolvedByYaml(jsYaml));
    return (text) => parseFast(jsYaml, schema, text);
  });
  return loading;
}

function parseFast(jsYaml: JsYamlModule, schema: JsYamlSchema, text: string): FastDocument[] | undefined {
  try {
    const events = jsYaml.parseEvents(text, {});
    const layouts = documentLayouts(jsYaml, events, text);
    if (!layouts) return undefined;
    const values = jsYaml.constructFromEvents(events, { source: text, schema });
    if (values.length !== layouts.length) return undefined;
    return values.map((data, index) => {
      const layout = layouts[index] ?? { start: 0, valueKeyOffsets: new Map() };
      return { index, contentStart: layout.start, valueKeyOffsets: layout.valueKeyOffsets, data };
    });
  } catch {
    return undefined;
  }
}

/**
 * The nodes under this pointer are where references live: their key offsets give each
 * reference its own line. Only the path down to it is followed, so the rest costs nothing.
 */
const VALUE_POINTER = "/spec/value";
const isTracked = (pointer: string) =>
  VALUE_POINTER.startsWith(pointer) || pointer.startsWith(`${VALUE_POINTER}/`);

type Frame =
  | { kind: "mapping"; nodes: number; pointer?: string; key?: string; keyOffset: number }
  | { kind: "sequence"; items: number; pointer?: string }
  | { kind: "other" };

interface DocumentLayout {
  start: number;
  valueKeyOffsets: Map<string, number>;
}

/** Where each document's content starts and its value's keys are; undefined when the file uses what only `yaml` reads faithfully. */
function documentLayouts(jsYaml: JsYamlModule, events: Event[], text: string): DocumentLayout[] | undefined {
  const { EVENT_ID, SCALAR_STYLE } = jsYaml;
  const layouts: DocumentLayout[] = [];
  const stack: Frame[] = [];
  let awaitingContent = false;
  for (const event of events) {
    if (event.type === EVENT_ID.POP) {
      stack.pop();
      continue;
    }
    if (event.type === EVENT_ID.DOCUMENT) {
      if (event.directives.length > 0) return undefined;
      layouts.push({ start: 0, valueKeyOffsets: new Map() });
      awaitingContent = true;
      stack.push({ kind: "other" });
      continue;
    }
    if (event.type === EVENT_ID.ALIAS || event.tagStart !== -1) return undefined;
    const layout = layouts[layouts.length - 1] as DocumentLayout;
    const start = event.type === EVENT_ID.SCALAR ? event.valueStart : event.start;
    let pointer: string | undefined;
    if (awaitingContent) {
      // A scalar document is never a manifest; `yaml` reports it at its indicator, not its text.
      if (event.type === EVENT_ID.SCALAR && event.valueEnd > event.valueStart) return undefined;
      layout.start = start;
      awaitingContent = false;
      pointer = "";
    }
    const parent = stack[stack.length - 1];
    if (parent?.kind === "mapping" && parent.nodes++ % 2 === 0) {
      const plain = event.type === EVENT_ID.SCALAR && event.style === SCALAR_STYLE.PLAIN;
      const plainText = plain ? text.slice(event.valueStart, event.valueEnd) : undefined;
      // `yaml` turns a null key into "", js-yaml into "null".
      if (plainText !== undefined && YAML_NULL.test(plainText)) return undefined;
      if (parent.pointer !== undefined)
        parent.key =
          event.type === EVENT_ID.SCALAR ? (plainText ?? jsYaml.getScalarValue(text, event)) : undefined;
      parent.keyOffset = start;
    } else if (parent?.kind === "mapping") {
      if (parent.pointer !== undefined && parent.key !== undefined) {
        pointer = joinPointer(parent.pointer, parent.key);
        record(layout, pointer, parent.keyOffset);
      }
    } else if (parent?.kind === "sequence") {
      if (parent.pointer !== undefined) {
        pointer = `${parent.pointer}/${parent.items}`;
        record(layout, pointer, start);
      }
      parent.items++;
    }
    const tracked = pointer !== undefined && isTracked(pointer) ? pointer : undefined;
    if (event.type === EVENT_ID.MAPPING)
      stack.push({ kind: "mapping", nodes: 0, pointer: tracked, keyOffset: 0 });
    else if (event.type === EVENT_ID.SEQUENCE) stack.push({ kind: "sequence", items: 0, pointer: tracked });
    else if (event.type !== EVENT_ID.SCALAR) stack.push({ kind: "other" });
  }
  return layouts;
}

function record(layout: DocumentLayout, pointer: string, offset: number): void {
  if (pointer.startsWith(`${VALUE_POINTER}/`)) layout.valueKeyOffsets.set(pointer, offset);
}
