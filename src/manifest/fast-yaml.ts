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
import {
  CORE_SCHEMA,
  constructFromEvents,
  defineScalarTag,
  EVENT_ID,
  type Event,
  FAILSAFE_SCHEMA,
  NOT_RESOLVED,
  parseEvents,
  SCALAR_STYLE,
  type ScalarTagDefinition,
} from "js-yaml";
import { isScalar, type ScalarTag, Schema } from "yaml";

export interface FastDocument {
  /** Position in the file's YAML stream, counting empty documents (as `yaml` counts them). */
  index: number;
  /** Character offset where the document's content starts. */
  contentStart: number;
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
function coreTagsResolvedByYaml(): ScalarTagDefinition[] {
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

const SCHEMA = FAILSAFE_SCHEMA.withTags(coreTagsResolvedByYaml());

/** The file's documents, or undefined when only `yaml` can be trusted to read it. */
export function parseFast(text: string): FastDocument[] | undefined {
  let events: Event[];
  let values: unknown[];
  try {
    events = parseEvents(text, {});
    const starts = documentStarts(events, text);
    if (!starts) return undefined;
    values = constructFromEvents(events, { source: text, schema: SCHEMA });
    if (values.length !== starts.length) return undefined;
    return values.map((data, index) => ({ index, contentStart: starts[index] ?? 0, data }));
  } catch {
    return undefined;
  }
}

type Frame = { kind: "mapping"; nodes: number } | { kind: "other" };

/** Where each document's content starts; undefined when the file uses what only `yaml` reads faithfully. */
function documentStarts(events: Event[], text: string): number[] | undefined {
  const starts: number[] = [];
  const stack: Frame[] = [];
  let awaitingContent = false;
  for (const event of events) {
    if (event.type === EVENT_ID.POP) {
      stack.pop();
      continue;
    }
    if (event.type === EVENT_ID.DOCUMENT) {
      if (event.directives.length > 0) return undefined;
      starts.push(0);
      awaitingContent = true;
      stack.push({ kind: "other" });
      continue;
    }
    if (event.type === EVENT_ID.ALIAS || event.tagStart !== -1) return undefined;
    if (awaitingContent) {
      // A scalar document is never a manifest; `yaml` reports it at its indicator, not its text.
      if (event.type === EVENT_ID.SCALAR && event.valueEnd > event.valueStart) return undefined;
      starts[starts.length - 1] = event.type === EVENT_ID.SCALAR ? event.valueStart : event.start;
      awaitingContent = false;
    }
    const parent = stack.at(-1);
    if (parent?.kind === "mapping" && parent.nodes++ % 2 === 0 && isNullLikeKey(event, text))
      return undefined;
    if (event.type !== EVENT_ID.SCALAR)
      stack.push(event.type === EVENT_ID.MAPPING ? { kind: "mapping", nodes: 0 } : { kind: "other" });
  }
  return starts;
}

/** `yaml` turns a null key into "", js-yaml into "null". */
function isNullLikeKey(event: Event, text: string): boolean {
  return (
    event.type === EVENT_ID.SCALAR &&
    event.style === SCALAR_STYLE.PLAIN &&
    YAML_NULL.test(text.slice(event.valueStart, event.valueEnd))
  );
}
