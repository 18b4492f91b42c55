// `plan --observed DIR`: a site's listing, its -u listing and its pkg_info -n
// listing, read from files as a site or an admin collected them.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { readObservedSite } from '../../src/observed/observed-dir.js';
import { tempDir } from '../helpers/tmp.js';

describe('readObservedSite', () => {
  it('records the DEPENDS of <SITE>.pkg_info-n with each package, none without the file', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'S.pkg_info'), 'app-1.0             App\nlib-1.0             Lib\n');
    const without = await readObservedSite(dir, 'S');
    expect(without!.packages.map((p) => p.depends)).toEqual([undefined, undefined]);
    writeFileSync(
      path.join(dir, 'S.pkg_info-n'),
      'Information for app-1.0:\n\nRequires:\nlib>=1.0<2\n\n\nInformation for lib-1.0:\n\n\n',
    );
    const inv = await readObservedSite(dir, 'S');
    expect(inv!.packages.map((p) => [p.pkgname, p.depends])).toEqual([
      ['app-1.0', ['lib>=1.0<2']],
      ['lib-1.0', []],
    ]);
  });

  it('refuses a malformed pkg_info -n file with its location', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'S.pkg_info'), 'app-1.0             App\n');
    writeFileSync(path.join(dir, 'S.pkg_info-n'), 'Information for app-1.0:\nRequires:\nbad one\n');
    const err = await readObservedSite(dir, 'S').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain(`${path.join(dir, 'S.pkg_info-n')}:3:1: expected a DEPENDS pattern`);
  });
});
