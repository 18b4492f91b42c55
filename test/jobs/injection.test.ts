// No value that survives validation can run as a command: random strings
// full of shell metacharacters, each carrying a payload that would create a
// file, go into every field of a job; the script is either refused or, run
// under sh with stub tools, never executes the payload.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JobSpec } from '../../src/jobs/job-spec.js';
import { renderJobScript } from '../../src/jobs/render-script.js';
import { UnsafeValueError } from '../../src/jobs/shell.js';
import { tempDir } from '../helpers/tmp.js';

describe('job script injection', () => {
  it('never executes a payload from any field', () => {
    const root = tempDir();
    const sw = path.join(root, 'sw');
    mkdirSync(path.join(sw, 'pkg', 'sbin'), { recursive: true });
    for (const t of ['pkg_add', 'pkg_delete', 'pkg_info', 'pkg_admin']) writeFileSync(path.join(sw, 'pkg', 'sbin', t), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const pwned = path.join(root, 'pwned');
    const payload = fc.constantFrom(`$(touch ${pwned})`, `\`touch ${pwned}\``, `;touch ${pwned};`, `'; touch ${pwned}; '`, `\ntouch ${pwned}\n`, `|touch ${pwned}`, `&& touch ${pwned}`, `"$(touch ${pwned})"`);
    const hostile = fc.tuple(fc.string({ maxLength: 8 }), payload, fc.string({ maxLength: 8 })).map(([a, p, b]) => a + p + b);
    const field = fc.constantFrom('pkgname', 'expected', 'swArea', 'prefix', 'pkgPath', 'bootstrap', 'site', 'txid', 'nonce', 'controller');
    let refused = 0;
    let ran = 0;
    fc.assert(
      fc.property(field, hostile, (which, value) => {
        const spec: JobSpec = {
          txid: 'tx-1', nonce: 'abcdef12', site: 'S', swArea: sw, prefix: path.join(sw, 'pkg'), pkgPath: '/srv/packages/All',
          lease: 60, controller: 'c:1', expected: [], actions: [{ action: 'install', name: 'foo', pkgname: 'foo-1.0', reason: 'r' }],
        };
        if (which === 'pkgname') spec.actions = [{ action: 'install', name: 'x', pkgname: value, reason: 'r' }];
        else if (which === 'expected') spec.expected = [value];
        else (spec as unknown as Record<string, string>)[which] = value;
        let script: string;
        try {
          script = renderJobScript(spec);
        } catch (e) {
          expect(e).toBeInstanceOf(UnsafeValueError);
          refused++;
          return;
        }
        const file = path.join(root, 'job.sh');
        writeFileSync(file, script);
        spawnSync('sh', [file], { cwd: root, timeout: 10_000 });
        ran++;
        expect(existsSync(pwned), `payload ran via ${which}: ${JSON.stringify(value)}`).toBe(false);
        expect(readdirSync(root).filter((n) => n.includes('touch'))).toEqual([]);
      }),
      { numRuns: 300 },
    );
    expect(refused + ran).toBe(300);
  });
});
