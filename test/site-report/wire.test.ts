// The report body carries pkg_info -n -a (issue 20, case 4 needs installed
// packages' DEPENDS from the site): a body with it records each package's
// DEPENDS, one without it (older reporters) records none, and a bad one is
// refused with the listing and line, as the other two listings are.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeReport, encodeReport } from '../../src/site-report/wire.js';

const CAPTURES = fileURLToPath(new URL('../fixtures/pkgsrc/commands/', import.meta.url));
const captured = (name: string): string => JSON.parse(readFileSync(path.join(CAPTURES, `${name}.json`), 'utf8')).stdout;

const META = { observedAt: '2026-01-01T00:00:00.000Z', origin: 'test' };
const LISTING =
  'alt-1.0             Alt\nbaz-3.1             Baz\npy311-requests-2.31.0 Requests\nfoo-1.4             Foo\n';

describe('report body', () => {
  it("records each package's DEPENDS from the real pkg_info -n output (capture 155)", () => {
    const body = encodeReport(LISTING, 'baz-3.1             Baz\n', captured('155-pkg_info-n-multi'));
    const inv = decodeReport(body, 'S', META);
    expect(Object.fromEntries(inv.packages.map((p) => [p.pkgname, p.depends]))).toEqual({
      'alt-1.0': ['{foo,bar}>=1.0'],
      'baz-3.1': ['bar>=1.0', 'foo-[0-9]*'],
      'py311-requests-2.31.0': ['py311-urllib3>=1.21<3'],
      // not in that -n listing: unknown, so the planner asks the catalog
      'foo-1.4': undefined,
    });
  });

  it('without pkg_info_n (a reporter older than it) records no DEPENDS', () => {
    const body = Buffer.from(JSON.stringify({ format: 'reconcile-report-v1', pkg_info: LISTING, pkg_info_u: '' }));
    expect(decodeReport(body, 'S', META).packages.every((p) => p.depends === undefined)).toBe(true);
  });

  it('refuses a pkg_info_n that is not the listing, naming the listing and line', () => {
    const bad = encodeReport(LISTING, '', 'Information for baz-3.1:\n\nRequires:\nbar >= 1.0\n');
    expect(() => decodeReport(bad, 'S', META)).toThrow(/^pkg_info -n:4:1: expected a DEPENDS pattern without spaces/);
    const wrongType = Buffer.from(
      JSON.stringify({ format: 'reconcile-report-v1', pkg_info: LISTING, pkg_info_u: '', pkg_info_n: 3 }),
    );
    expect(() => decodeReport(wrongType, 'S', META)).toThrow(/^body: expected "pkg_info_n", when present/);
  });
});
