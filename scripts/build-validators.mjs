// Part of `npm run build`: each desired-state schema compiled by ajv into a
// standalone validator (dist/desired/validators/NAME.cjs), so `validate` in
// a pre-receive hook loads neither ajv's compiler nor compiles a schema.
// Each file names the digest of the schema text it was made from; at run
// time a validator whose schema changed since is not used (schema-check.ts).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { SCHEMA_NAMES, schemaAjv, schemaTextDigest } from '../dist/desired/schema-ajv.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}dist/desired/validators/`;
mkdirSync(out, { recursive: true });
for (const name of SCHEMA_NAMES) {
  const text = readFileSync(`${root}schemas/${name}.schema.json`, 'utf8');
  const ajv = schemaAjv(true);
  const code = standaloneCode.default(ajv, ajv.compile(JSON.parse(text)));
  writeFileSync(
    `${out}${name}.cjs`,
    `${code}\nmodule.exports.schemaDigest = ${JSON.stringify(schemaTextDigest(text))};\n`,
  );
}
