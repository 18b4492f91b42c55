// The desired-state schemas are valid JSON Schema 2020-12. The loader skips
// this check at run time (it costs more than a whole `validate` of a small
// repository), so it is made here.
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';

describe('schemas/', () => {
  it.each(['sites', 'profile', 'rollout'])(
    '%s.schema.json is a valid 2020-12 schema that compiles in strict mode',
    (name) => {
      const schema = JSON.parse(
        readFileSync(new URL(`../../schemas/${name}.schema.json`, import.meta.url), 'utf8'),
      ) as object;
      const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
      ajv.addKeyword({ keyword: 'x-expected', schemaType: 'string' });
      expect(ajv.validateSchema(schema), JSON.stringify(ajv.errors)).toBe(true);
      expect(() => ajv.compile(schema)).not.toThrow();
    },
  );

  it('a broken schema is caught by that check', () => {
    const ajv = new Ajv2020({ strict: true });
    expect(ajv.validateSchema({ type: 'strnig' })).toBe(false);
  });
});
