// The one ajv set-up desired-state schemas are compiled with: at run time
// (schema-check.ts) and at build time into standalone validators
// (scripts/build-validators.mjs), so both check alike.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Ajv2020 } from 'ajv/dist/2020.js';

// ajv's compiler is loaded only when a schema is compiled: not when the built validators serve.
const require = createRequire(import.meta.url);

export const SCHEMA_NAMES = ['sites', 'profile', 'notifications', 'rollout', 'windows'] as const;

export function schemaAjv(standalone = false): Ajv2020 {
  // Checking our own schemas against the 2020-12 meta-schema costs more than all the rest of
  // a `validate` run (the pre-receive hook runs one per push); test/desired/schemas.test.ts does it.
  const { Ajv2020: Ajv } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  const ajv = new Ajv({
    allErrors: true,
    verbose: true,
    strict: true,
    allowUnionTypes: true,
    validateSchema: false,
    ...(standalone ? { code: { source: true } } : {}),
  });
  // Annotation only: the human wording of what a pattern/enum expects.
  ajv.addKeyword({ keyword: 'x-expected', schemaType: 'string' });
  return ajv;
}

/** What a built validator names as the schema it was made from: the digest of the schema file's text. */
export function schemaTextDigest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
