// The standalone validators `npm run build` makes (scripts/build-validators.mjs)
// answer as the run-time compiled ones do: same verdict and the same errors
// over the whole malformed corpus and the example, so `validate` says the
// same whether it runs from dist/ or from the sources.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { schemaAjv, schemaTextDigest, SCHEMA_NAMES } from '../../src/desired/schema-ajv.js';
import { BAD_CASES, BASE_PROFILE, BASE_SITES } from './bad-input-cases.js';

const root = path.resolve(import.meta.dirname, '../..');
const require = createRequire(import.meta.url);

function schemaFor(file: string): (typeof SCHEMA_NAMES)[number] | undefined {
  if (file === 'sites.yaml') return 'sites';
  if (file.startsWith('profiles/')) return 'profile';
  const base = file.replace(/\.yaml$/, '');
  return (SCHEMA_NAMES as readonly string[]).includes(base) ? (base as (typeof SCHEMA_NAMES)[number]) : undefined;
}

describe('built schema validators', () => {
  const validators = SCHEMA_NAMES.map((name) => {
    const text = readFileSync(path.join(root, 'schemas', `${name}.schema.json`), 'utf8');
    const built = require(path.join(root, 'dist/desired/validators', `${name}.cjs`)) as {
      default: ValidateFunction;
      schemaDigest: string;
    };
    return { name, text, built, runtime: schemaAjv().compile(JSON.parse(text) as object) };
  });

  it('are of the schemas as they are now (npm run build made them)', () => {
    for (const v of validators) expect(v.built.schemaDigest, v.name).toBe(schemaTextDigest(v.text));
  });

  it('give the run-time validator errors for every file of the malformed corpus', () => {
    let compared = 0;
    const docs = [
      ['sites.yaml', BASE_SITES],
      ['profiles/base.yaml', BASE_PROFILE],
      ...BAD_CASES.flatMap((c) => Object.entries(c.files)),
    ];
    for (const [file, text] of docs) {
      const name = schemaFor(file!);
      if (!name) continue;
      let value: unknown;
      try {
        value = parse(text!);
      } catch {
        continue; // not YAML: never reaches a schema
      }
      const v = validators.find((x) => x.name === name)!;
      const a = v.built.default(value);
      const b = v.runtime(value);
      expect(a, `${file}: ${text}`).toBe(b);
      expect(JSON.stringify(v.built.default.errors), file).toBe(JSON.stringify(v.runtime.errors));
      compared++;
    }
    expect(compared).toBeGreaterThan(100);
  });
});
