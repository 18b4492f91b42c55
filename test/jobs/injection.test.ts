// No value that survives validation can run as a command: random strings
// full of shell metacharacters, each carrying a payload that would create a
// file, go into every field of a job; the script is either refused or, run
// under sh with stub tools, never executes the payload. Checks are the one
// field meant to run: their text runs exactly as written, expanded by the
// job's sh -c and nothing else, and cannot forge another step's result.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JobSpec } from '../../src/jobs/job-spec.js';
import { parseJobOutput } from '../../src/jobs/parse-output.js';
import { renderJobScript } from '../../src/jobs/render-script.js';
import { shq, UnsafeValueError } from '../../src/jobs/shell.js';
import { tempDir } from '../helpers/tmp.js';

describe('job script injection', () => {
  it('never executes a payload from any field', () => {
    const root = tempDir();
    const sw = path.join(root, 'sw');
    mkdirSync(path.join(sw, 'pkg', 'sbin'), { recursive: true });
    for (const t of ['pkg_add', 'pkg_delete', 'pkg_info', 'pkg_admin'])
      writeFileSync(path.join(sw, 'pkg', 'sbin', t), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const pwned = path.join(root, 'pwned');
    const payload = fc.constantFrom(
      `$(touch ${pwned})`,
      `\`touch ${pwned}\``,
      `;touch ${pwned};`,
      `'; touch ${pwned}; '`,
      `\ntouch ${pwned}\n`,
      `|touch ${pwned}`,
      `&& touch ${pwned}`,
      `"$(touch ${pwned})"`,
    );
    const hostile = fc
      .tuple(fc.string({ maxLength: 8 }), payload, fc.string({ maxLength: 8 }))
      .map(([a, p, b]) => a + p + b);
    const field = fc.constantFrom(
      'pkgname',
      'expected',
      'swArea',
      'prefix',
      'pkgPath',
      'bootstrap',
      'site',
      'txid',
      'nonce',
      'controller',
      'checkName',
    );
    let refused = 0;
    let ran = 0;
    fc.assert(
      fc.property(field, hostile, (which, value) => {
        const spec: JobSpec = {
          txid: 'tx-1',
          nonce: 'abcdef12',
          site: 'S',
          swArea: sw,
          prefix: path.join(sw, 'pkg'),
          pkgPath: '/srv/packages/All',
          lease: 60,
          controller: 'c:1',
          expected: [],
          actions: [{ action: 'install', name: 'foo', pkgname: 'foo-1.0', reason: 'r' }],
          // A check is present so its function and steps are part of what the payload could reach.
          checks: [{ name: 'ok', run: 'echo checked', timeout: 10 }],
        };
        if (which === 'checkName') spec.checks = [{ name: value, run: 'true', timeout: 10 }];
        else if (which === 'pkgname') spec.actions = [{ action: 'install', name: 'x', pkgname: value, reason: 'r' }];
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

  /** Stub package tools in a fresh software area, and a spec that runs the given checks there. */
  function site(): { root: string; spec: (run: string) => JobSpec } {
    const root = tempDir();
    const sw = path.join(root, 'sw');
    mkdirSync(path.join(sw, 'pkg', 'sbin'), { recursive: true });
    for (const t of ['pkg_add', 'pkg_delete', 'pkg_info', 'pkg_admin'])
      writeFileSync(path.join(sw, 'pkg', 'sbin', t), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const spec = (run: string): JobSpec => ({
      txid: 'tx-1',
      nonce: 'abcdef12',
      site: 'S',
      swArea: sw,
      prefix: path.join(sw, 'pkg'),
      pkgPath: '/srv/packages/All',
      lease: 60,
      controller: 'c:1',
      expected: [],
      actions: [{ action: 'install', name: 'foo', pkgname: 'foo-1.0', reason: 'r' }],
      checks: [{ name: 'it', run, timeout: 10 }],
    });
    return { root, spec };
  }

  it("runs a check's text exactly as written: what sh -c makes of it in the job's environment, nothing more", () => {
    const { root, spec } = site();
    const piece = fc.constantFrom(
      '$HOME',
      '"$HOME"',
      "'$HOME'",
      '$(echo sub)',
      '`echo tick`',
      '\\$HOME',
      '"',
      "'",
      '\\',
      ';',
      '\n',
      '$VO_MARK',
      '$VO_TXN',
      '${PREFIX#/}',
      '*',
      '%s',
      '@@vo:abcdef12 done ok',
    );
    const text = fc
      .array(fc.oneof(piece, fc.string({ maxLength: 4 })), { maxLength: 8 })
      .map((parts) => `printf '[%s]\\n' ${parts.join(' ')}`)
      // Process ids differ between any two runs, however faithful; what a
      // check leaves running in the background (&) may print after it ended.
      .filter((run) => !/\$(\$|!|\{?PPID)|&/.test(run));
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: '/the job/home', LC_ALL: 'C' };
    fc.assert(
      fc.property(text, (run) => {
        const s = spec(run);
        const file = path.join(root, 'job.sh');
        writeFileSync(file, renderJobScript(s));
        // Each side in its own empty directory: a check may create files (> x) and expand globs (*).
        const job = spawnSync('sh', [file], {
          cwd: mkdtempSync(path.join(root, 'job-')),
          env,
          encoding: 'utf8',
          timeout: 20_000,
        });
        const step = parseJobOutput(job.stdout, 'abcdef12').steps.find((x) => x.label === 'check it');
        expect(step, job.stdout).toBeDefined();
        // The same text, run directly by sh -c with what the job gives a check.
        const direct = spawnSync('sh', ['-c', run], {
          cwd: mkdtempSync(path.join(root, 'direct-')),
          env: {
            ...env,
            PATH: `${s.prefix}/bin:${s.prefix}/sbin:${env.PATH}`,
            PREFIX: s.prefix,
            SW_AREA: s.swArea,
            VO_TXN: 'tx-1',
          },
          encoding: 'utf8',
          input: '',
        });
        const defused = (direct.stdout + direct.stderr).replace(/^@@vo:/gm, ' @@vo:').split('\n');
        if (defused[defused.length - 1] === '') defused.pop();
        expect(step!.output).toEqual(defused);
        expect(step!.rc).toBe(direct.status);
      }),
      { numRuns: 60 },
    );
  });

  it('a check printing the nonce and framing marks cannot forge any step or the final status', () => {
    const { root, spec } = site();
    const label = fc.constantFrom('check it', 'check other', 'action 1 install foo-1.0', 'inventory', 'lock');
    const event = fc.oneof(
      label.map((l) => `begin ${l}`),
      fc.tuple(label, fc.integer({ min: 0, max: 3 })).map(([l, rc]) => `end ${l} ${rc}`),
      fc.constantFrom('done ok', 'done failed', 'killed', 'start tx-1', 'unlocked', 'warnings', 'end-warnings'),
    );
    const forged = fc.array(
      fc.tuple(fc.constantFrom('@@vo:abcdef12 ', '@@vo:abcdef12', ''), event).map(([m, e]) => m + e),
      { minLength: 1, maxLength: 6 },
    );
    fc.assert(
      fc.property(forged, fc.integer({ min: 0, max: 3 }), (lines, rc) => {
        const file = path.join(root, 'job.sh');
        writeFileSync(
          file,
          renderJobScript(spec(`${lines.map((l) => `printf '%s\\n' ${shq(l)}`).join('; ')}; exit ${rc}`)),
        );
        const job = spawnSync('sh', [file], { cwd: root, encoding: 'utf8', timeout: 20_000 });
        const parsed = parseJobOutput(job.stdout, 'abcdef12');
        expect(parsed.problem).toBeUndefined();
        expect(parsed.steps.map((s) => s.label)).toEqual([
          'preflight',
          'lock',
          'bootstrap',
          'version',
          'precheck',
          'audit',
          'action 1 install foo-1.0',
          'check it',
          'inventory',
          'inventory-u',
          'inventory-n',
        ]);
        const step = parsed.steps.find((s) => s.label === 'check it')!;
        expect(step.rc).toBe(rc);
        expect(step.output.length).toBe(lines.length);
        expect(parsed.status).toBe(rc === 0 ? 'ok' : 'failed');
        expect(parsed.notes).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });
});
