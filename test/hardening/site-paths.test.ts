// Site names cannot escape state/ (issue 8 §5): every file named after a
// site (observations, locks, holds, job directories, dry-run scripts) lands
// directly in its own directory under state/ for every name the schema
// accepts, and any other string is refused before a path is built.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LocalBackend } from '../../src/backends/local.js';
import type { ResolvedSite } from '../../src/desired/types.js';
import { InputError } from '../../src/errors.js';
import { observedFile } from '../../src/observed/store.js';
import { holdFile } from '../../src/rollback/holds.js';
import { dryRunScriptFile } from '../../src/run/dry-run.js';
import { newTxid } from '../../src/run/txid.js';
import { siteLockPaths } from '../../src/state/site-lock.js';
import { SITE_NAME } from '../../src/state/site-paths.js';
import { repoRoot } from '../helpers/cli.js';

const STATE = '/srv/reconcile/state';

/** Each place a path is built from a site name, and the directory it must stay directly in. */
const BUILDERS: { what: string; dir: string; files: (site: string) => string[] }[] = [
  { what: 'observation', dir: 'observed', files: (s) => [observedFile(STATE, s)] },
  { what: 'hold', dir: 'holds', files: (s) => [holdFile(STATE, s)] },
  { what: 'lock', dir: 'locks', files: (s) => Object.values(siteLockPaths(STATE, s)) },
  { what: 'dry-run script', dir: 'jobs/dry-run', files: (s) => [dryRunScriptFile(STATE, s)] },
];

const schemaPattern = (): string => {
  const schema = JSON.parse(readFileSync(path.join(repoRoot, 'schemas/sites.schema.json'), 'utf8')) as {
    $defs: { siteName: { pattern: string } };
  };
  return schema.$defs.siteName.pattern;
};

const HOSTILE = [
  '..',
  '.',
  '',
  '../x',
  '../../etc/passwd',
  'a/../../b',
  '/etc/passwd',
  'x/y',
  '.hidden',
  'a\0b',
  'a\nb',
  '..\\x',
  ' a',
  `a${'b'.repeat(64)}`,
  'ünïcode',
];

/** Where a built path lands, if it is directly in state/<dir>/. */
const inside = (file: string, dir: string) => path.dirname(path.resolve(file)) === path.resolve(STATE, dir);

describe('site names cannot escape state/', () => {
  it('uses the same site-name pattern as the schema', () => {
    expect(SITE_NAME.source).toBe(schemaPattern());
  });

  it('keeps every path of every schema-valid site name in its own directory', () => {
    fc.assert(
      fc.property(fc.stringMatching(new RegExp(schemaPattern())), (site) => {
        for (const b of BUILDERS)
          for (const f of b.files(site))
            expect({ what: b.what, f, inside: inside(f, b.dir) }).toEqual({ what: b.what, f, inside: true });
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses any other string, or keeps it inside too', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.constantFrom(...HOSTILE),
          fc.string({ unit: 'binary', maxLength: 80 }),
          fc.stringMatching(/^[./a-z]{1,12}$/),
        ),
        (site) => {
          for (const b of BUILDERS) {
            let files: string[];
            try {
              files = b.files(site);
            } catch (e) {
              expect(e).toBeInstanceOf(InputError);
              continue;
            }
            for (const f of files)
              expect({ what: b.what, f, inside: inside(f, b.dir) }).toEqual({ what: b.what, f, inside: true });
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it.each(HOSTILE)('refuses %j everywhere with a message naming it', (site) => {
    for (const b of BUILDERS) expect(() => b.files(site), b.what).toThrow(`invalid site name ${JSON.stringify(site)}`);
  });

  // A job's directory is named by its transaction id, which names the site.
  it('gives a transaction of any site name a job directory directly in state/jobs/, or none', async () => {
    const backend = new LocalBackend(path.join(STATE, 'jobs'));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ unit: 'binary', maxLength: 80 })),
        async (site) => {
          const txid = newTxid(site, new Date());
          const found = backend.find(txid, { name: site } as ResolvedSite);
          if (/^[A-Za-z0-9._-]*$/.test(site)) expect(inside(path.join(STATE, 'jobs', txid), 'jobs')).toBe(true);
          else await expect(found).rejects.toThrow(/invalid local job id/);
          await found.catch(() => undefined);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
