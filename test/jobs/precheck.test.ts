// The job's precheck against a real shell and a stand-in pkg_info: the site
// is as observed exactly when the listing's names are the expected ones, in
// whatever order; otherwise the job does nothing (exit 3) and shows what
// differs. The comparison is one awk over two files, not sorted lists, so
// orders, duplicates and empty sets are what these cases pin down.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JobSpec } from '../../src/jobs/job-spec.js';
import { renderJobScript } from '../../src/jobs/render-script.js';
import { tempDir } from '../helpers/tmp.js';

/** Run a job expecting `expected` at a site whose pkg_info -a lists `listing`; its exit code and the precheck's lines. */
function precheck(expected: string[], listing: string[]): { rc: number | null; lines: string[] } {
  const root = tempDir();
  const sw = path.join(root, 'sw');
  const sbin = path.join(sw, 'pkg', 'sbin');
  mkdirSync(sbin, { recursive: true });
  writeFileSync(path.join(root, 'listing'), listing.map((n) => `${n}  some comment\n`).join(''));
  const info = `#!/bin/sh\n[ "$1" = -a ] && cat ${JSON.stringify(path.join(root, 'listing'))}\nexit 0\n`;
  for (const [tool, text] of [
    ['pkg_info', info],
    ['pkg_admin', '#!/bin/sh\nexit 0\n'],
    ['pkg_add', '#!/bin/sh\nexit 0\n'],
  ] as const)
    writeFileSync(path.join(sbin, tool), text, { mode: 0o755 });
  const spec: JobSpec = {
    txid: 'tx-1',
    nonce: 'n0nce0',
    site: 'S',
    swArea: sw,
    prefix: path.join(sw, 'pkg'),
    pkgPath: '/srv/packages/All',
    lease: 60,
    controller: 'test:1',
    expected,
    actions: [],
  };
  const file = path.join(root, 'job.sh');
  writeFileSync(file, renderJobScript(spec));
  const r = spawnSync('sh', [file], { encoding: 'utf8', timeout: 20_000 });
  const all = r.stdout.split('\n');
  const from = all.indexOf('@@vo:n0nce0 begin precheck') + 1;
  const to = all.findIndex((l, i) => i >= from && l.startsWith('@@vo:n0nce0 end precheck'));
  return { rc: r.status, lines: all.slice(from, to).filter((l) => l !== '') };
}

describe('the job precheck', () => {
  it('finds the site as observed when the names agree, whatever the order', () => {
    expect(precheck(['a-1', 'b-2', 'c-3'], ['c-3', 'a-1', 'b-2'])).toEqual({
      rc: 0,
      lines: ['site is as observed (3 packages)'],
    });
    expect(precheck([], [])).toEqual({ rc: 0, lines: ['site is as observed (0 packages)'] });
  });

  it('does nothing and says what differs when a package is missing, extra or listed twice', () => {
    const head = 'site changed since it was observed; only there (>) or only expected (<):';
    expect(precheck(['a-1', 'b-2'], ['a-1'])).toEqual({ rc: 3, lines: [head, '< b-2'] });
    expect(precheck(['a-1'], ['a-1', 'z-9'])).toEqual({ rc: 3, lines: [head, '> z-9'] });
    expect(precheck([], ['z-9'])).toEqual({ rc: 3, lines: [head, '> z-9'] });
    expect(precheck(['a-1', 'b-2'], ['a-1', 'b-3'])).toEqual({ rc: 3, lines: [head, '< b-2', '> b-3'] });
    // As many names as expected, but one twice and one not at all.
    expect(precheck(['a-1', 'b-2'], ['a-1', 'a-1'])).toEqual({ rc: 3, lines: [head, '> a-1', '< b-2'] });
  });
});
