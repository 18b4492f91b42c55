// JSON-Schema validation of desired-state files (ajv, draft 2020-12), with
// ajv's errors turned into located messages that say what was expected.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import type { Problem } from '../errors.js';
import { locate, type YamlSource } from './yaml-source.js';
import { schemaAjv, schemaTextDigest } from './schema-ajv.js';

type Schema = Record<string, unknown>;
export type SchemaName = 'sites' | 'profile' | 'notifications' | 'rollout' | 'windows';

const schemaDir = fileURLToPath(new URL('../../schemas/', import.meta.url));
const cache = new Map<SchemaName, { schema: Schema; validate: ValidateFunction }>();
const require = createRequire(import.meta.url);

function compiled(name: SchemaName): { schema: Schema; validate: ValidateFunction } {
  let entry = cache.get(name);
  if (!entry) {
    const text = readFileSync(`${schemaDir}${name}.schema.json`, 'utf8');
    const schema = JSON.parse(text) as Schema;
    entry = { schema, validate: built(name, text) ?? compileNow(schema) };
    cache.set(name, entry);
  }
  return entry;
}

/** The validator the build made (scripts/build-validators.mjs), if there is one of this very schema. */
function built(name: SchemaName, text: string): ValidateFunction | undefined {
  let mod: { default?: ValidateFunction; schemaDigest?: string };
  try {
    mod = require(`./validators/${name}.cjs`) as typeof mod;
  } catch {
    return undefined; // run from the sources, or not built
  }
  return mod.schemaDigest === schemaTextDigest(text) ? mod.default : undefined;
}

function compileNow(schema: Schema): ValidateFunction {
  return schemaAjv().compile(schema);
}

export function checkSchema(name: SchemaName, src: YamlSource): Problem[] {
  const { schema, validate } = compiled(name);
  if (validate(src.value)) return [];
  // if/then/else picks the branch for a package entry; its own error adds nothing.
  const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'if');
  const seen = new Set<string>();
  const problems: Problem[] = [];
  for (const e of errors) {
    const problem = toProblem(e, src, schema);
    const key = `${problem.location.line}:${problem.location.column}:${problem.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      problems.push(problem);
    }
  }
  return problems;
}

function toProblem(e: ErrorObject, src: YamlSource, root: Schema): Problem {
  const path = pointerToPath(e.instancePath);
  const parent = (e.parentSchema ?? {}) as Schema;
  const expected = typeof parent['x-expected'] === 'string' ? (parent['x-expected'] as string) : undefined;
  const where = describePath(path);
  switch (e.keyword) {
    case 'additionalProperties':
    case 'unevaluatedProperties': {
      const key = String(
        (e.params as { additionalProperty?: string; unevaluatedProperty?: string }).additionalProperty ??
          (e.params as { unevaluatedProperty?: string }).unevaluatedProperty,
      );
      const known = knownKeys(parent, root);
      const hint = closest(key, known);
      const message =
        `unknown key '${key}'${where ? ` in ${where}` : ''}` +
        (hint ? `; did you mean '${hint}'?` : '') +
        ` (expected one of: ${known.join(', ')})`;
      return { location: locate(src, [...path, key], { key: true }), message };
    }
    case 'required': {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      return {
        location: locate(src, path),
        message: `missing required key '${missing}'${where ? ` in ${where}` : ''}`,
      };
    }
    case 'type':
      return {
        location: locate(src, path),
        message: `${where || 'document'}: expected ${expected ?? article(String((e.params as { type: string }).type))}, got ${describe(e.data)}`,
      };
    case 'minItems': {
      const n = (e.params as { limit: number }).limit;
      return {
        location: locate(src, path),
        message: `${where}: expected at least ${n} item${n === 1 ? '' : 's'}, got none`,
      };
    }
    default:
      return {
        location: locate(src, path),
        message: expected
          ? `${where}: invalid value ${show(e.data)}; expected ${expected}`
          : `${where || 'document'}: ${e.message ?? 'invalid value'}`,
      };
  }
}

function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** `sites[2].profiles[0]`: how the user would name the place. */
function describePath(path: (string | number)[]): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

function knownKeys(schema: Schema, root: Schema): string[] {
  const keys = new Set<string>();
  const visit = (s: Schema | undefined) => {
    if (!s) return;
    if (typeof s.$ref === 'string') visit(resolveRef(root, s.$ref));
    for (const k of Object.keys((s.properties as Schema | undefined) ?? {})) keys.add(k);
    for (const sub of (s.allOf as Schema[] | undefined) ?? []) visit(sub);
  };
  visit(schema);
  return [...keys];
}

function resolveRef(root: Schema, ref: string): Schema | undefined {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = root;
  for (const seg of ref.slice(2).split('/')) node = (node as Schema | undefined)?.[seg];
  return node as Schema | undefined;
}

/** The known key within edit distance 2, to catch typos like `profile:`. */
function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDist = 3;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDist) {
      bestDist = d;
      best = c;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

function article(type: string): string {
  const words: Record<string, string> = {
    object: 'a mapping',
    array: 'a list',
    string: 'a string',
    boolean: 'true or false',
    integer: 'an integer',
    number: 'a number',
  };
  return words[type] ?? type;
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string ${show(v)}`;
  return `${typeof v} ${String(v)}`;
}

/** Quoted for a one-line message: control characters made visible, long values cut. */
export function show(v: unknown): string {
  const s = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
  const cut = s.length > 60 ? `${s.slice(0, 57)}...` : s;
  return JSON.stringify(cut);
}
