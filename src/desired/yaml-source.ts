// Parses one YAML file of desired state while keeping the source positions,
// so every later error (schema, semantics) can name file:line:column.
// Resource limits live here: a size cap, a bounded alias expansion, and one
// document per file.
import { isMap, isSeq, isScalar, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import type { Problem, SourceLocation } from '../errors.js';

/** Desired-state files are small; anything larger is a mistake or an attack. */
export const MAX_YAML_BYTES = 1024 * 1024;
/** yaml's own alias guard, set explicitly so a "billion laughs" file is refused. */
const MAX_ALIAS_COUNT = 100;

export interface YamlSource {
  file: string;
  doc: Document.Parsed;
  lines: LineCounter;
  /** The plain JS value of the document (undefined for an empty file). */
  value: unknown;
}

export type ParseResult = { ok: true; source: YamlSource } | { ok: false; problems: Problem[] };

export function parseYamlSource(file: string, text: string): ParseResult {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_YAML_BYTES) {
    return fail(file, 1, 1, `file is ${bytes} bytes; desired-state files may be at most ${MAX_YAML_BYTES} bytes`);
  }
  if (text.includes('\0')) {
    const { line, column } = positionOf(text, text.indexOf('\0'));
    return fail(file, line, column, 'NUL byte in file; expected UTF-8 text');
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, strict: true });
  const problems: Problem[] = doc.errors.map((e) => {
    const pos = lines.linePos(e.pos[0]);
    return { location: { file, line: pos.line, column: pos.col }, message: yamlMessage(e.code, e.message) };
  });
  visit(doc, {
    Alias(_key, node) {
      if (!node.resolve(doc)) {
        const pos = lines.linePos(node.range?.[0] ?? 0);
        problems.push({
          location: { file, line: pos.line, column: pos.col },
          message: `unresolved alias *${node.source}; an alias must refer to an anchor (&${node.source}) defined before it`,
        });
      }
    },
  });
  if (problems.length > 0) return { ok: false, problems };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    const message = (e as Error).message;
    const aliasBomb = /alias count/i.test(message);
    return fail(
      file,
      1,
      1,
      aliasBomb ? `too many alias expansions: aliases may expand to at most ${MAX_ALIAS_COUNT} nodes` : message,
    );
  }
  if (value === null || value === undefined) {
    return fail(file, 1, 1, 'file is empty; expected a YAML mapping');
  }
  return { ok: true, source: { file, doc, lines, value } };
}

function fail(file: string, line: number, column: number, message: string): ParseResult {
  return { ok: false, problems: [{ location: { file, line, column }, message }] };
}

/** The yaml library's messages carry a code snippet; keep only the sentence. */
function yamlMessage(code: string, message: string): string {
  const first = message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  if (code === 'DUPLICATE_KEY') return `${first}: duplicate key; each key may appear once in a mapping`;
  return `YAML syntax error: ${first}`;
}

function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * The location of the node at a path of keys/indexes. With `key: true` the
 * location is that of the mapping key rather than its value (used for
 * "unknown key" errors). Falls back to the nearest existing ancestor.
 */
export function locate(
  src: YamlSource,
  path: readonly (string | number)[],
  opts: { key?: boolean } = {},
): SourceLocation {
  let node: unknown = src.doc.contents;
  let best: Node | null = isNodeWithRange(node) ? node : null;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      if (last && opts.key && isNodeWithRange(pair.key)) {
        best = pair.key;
        break;
      }
      node = pair.value;
      if (isNodeWithRange(node)) best = node;
      else if (isNodeWithRange(pair.key)) best = pair.key;
    } else if (isSeq(node)) {
      node = node.items[Number(seg)];
      if (!isNodeWithRange(node)) break;
      best = node;
    } else {
      break;
    }
  }
  const offset = best?.range?.[0] ?? 0;
  const pos = src.lines.linePos(offset);
  return { file: src.file, line: pos.line, column: pos.col };
}

function isNodeWithRange(n: unknown): n is Node {
  return typeof n === 'object' && n !== null && 'range' in n && Array.isArray((n as Node).range);
}
