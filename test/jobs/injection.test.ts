// No value that survives validation can run as a command: random strings
// full of shell metacharacters go into every field of a job and are refused;
// values that pass every validator and are still hostile (leading dashes,
// @ + : and dots) go into every field at once, and the job runs: it ends
// 'done ok', calls the stub tools with exactly those values, and leaves
// nothing else behind. Checks are the one
// field meant to run: their text runs exactly as written, expanded by the
// job's sh -c and nothing else, and cannot forge another step's result.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JobSpec } from '../../src/jobs/job-spec.js';
import { parseJobOutput } from '../../src/jobs/parse-output.js';
import { renderJobScript } from '../../src/jobs/render-script.js';
import { shq, UnsafeValueError } from '../../src/jobs/shell.js';
import { tempDir } from '../helpers/tmp.js';

describe('job script injection', () => {
  it('refuses every value that carries shell syntax, in any field', () => {
    const payload = fc.constantFrom(
      '$(touch x)',
      '`touch x`',
      ';touch x;',
      "'; touch x; '",
      '\ntouch x\n',
      '|touch x',
      '&& touch x',
      '"$(touch x)"',
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
    fc.assert(
      fc.property(field, hostile, (which, value) => {
        const spec: JobSpec = {
          txid: 'tx-1',
          nonce: 'abcdef12',
          site: 'S',
          swArea: '/sw',
          prefix: '/sw/pkg',
          pkgPath: '/srv/packages/All',
          lease: 60,
          controller: 'c:1',
          expected: [],
          actions: [{ action: 'install', name: 'foo', pkgname: 'foo-1.0', reason: 'r' }],
          checks: [{ name: 'ok', run: 'echo checked', timeout: 10 }],
        };
        if (which === 'checkName') spec.checks = [{ name: value, run: 'true', timeout: 10 }];
        else if (which === 'pkgname') spec.actions = [{ action: 'install', name: 'x', pkgname: value, reason: 'r' }];
        else if (which === 'expected') spec.expected = [value];
        else (spec as unknown as Record<string, string>)[which] = value;
        expect(() => renderJobScript(spec), `${which}: ${JSON.stringify(value)}`).toThrow(UnsafeValueError);
      }),
      { numRuns: 300 },
    );
  });

  // Values every validator lets through, chosen to trip a quoting slip: leading
  // dashes (options), @ + . _ : and near-'..' segments. Each job must run
  // through to 'done ok', call the package tools with exactly these values as
  // single arguments, and leave nothing at the site it should not.
  it('runs jobs built from hostile but valid values in every field, and they do exactly their work', async () => {
    const seg = fc
      .stringMatching(/^[A-Za-z0-9._+@-]{1,10}$/)
      .filter((x) => x !== '.' && x !== '..')
      .map((x) => (x.startsWith('-') ? x : `-${x}`));
    const pkgname = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,8}-[0-9][A-Za-z0-9._+]{0,5}$/);
    const token = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,12}$/);
    const world = fc.record({
      sw: seg,
      prefix: seg,
      pkgPath: fc.oneof(
        seg.map((x) => `/${x}/All`),
        fc.tuple(fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,8}$/), seg).map(([h, x]) => `https://${h}:8443/${x}/All`),
      ),
      bootstrap: fc.option(seg, { nil: undefined }),
      site: token,
      txid: token,
      nonce: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:@-]{7,15}$/),
      controller: token,
      checkName: token,
      packages: fc.uniqueArray(pkgname, { minLength: 2, maxLength: 4 }),
    });
    let ran = 0;
    await fc.assert(
      fc.asyncProperty(world, async (w) => {
        const root = tempDir();
        const sw = path.join(root, w.sw);
        const prefix = path.join(sw, w.prefix);
        const calls = path.join(root, 'calls.log');
        const [installed, ...rest] = w.packages as [string, ...string[]];
        const toInstall = rest[0]!;
        // Stub tools: record each call's arguments (one per line) and environment.
        const tools: Record<string, string> = {
          pkg_add: `printf '%s\\n' "pkg_add $# $PKG_PATH $PKG_DBDIR" "$@" >> ${shq(calls)}`,
          pkg_delete: `printf '%s\\n' "pkg_delete $# $PKG_PATH $PKG_DBDIR" "$@" >> ${shq(calls)}`,
          pkg_info: `case "$*" in -V) echo 20240101 ;; '' | -a | -u) cat "$PKG_DBDIR/listing" ;; esac`,
          pkg_admin: 'exit 0',
        };
        const stage = w.bootstrap === undefined ? prefix : path.join(root, 'kit');
        mkdirSync(path.join(stage, 'sbin'), { recursive: true });
        mkdirSync(path.join(stage, 'pkgdb'), { recursive: true });
        mkdirSync(sw, { recursive: true });
        for (const [t, body] of Object.entries(tools))
          writeFileSync(path.join(stage, 'sbin', t), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
        writeFileSync(path.join(stage, 'pkgdb', 'listing'), `${installed} the one installed\n`);
        let kit: string | undefined;
        if (w.bootstrap !== undefined) {
          kit = path.join(root, `${w.bootstrap}.tar.gz`);
          expect(spawnSync('tar', ['-czf', kit, '-C', stage, 'sbin', 'pkgdb']).status).toBe(0);
          rmSync(stage, { recursive: true });
        }
        const spec: JobSpec = {
          txid: w.txid,
          nonce: w.nonce,
          site: w.site,
          swArea: sw,
          prefix,
          pkgPath: w.pkgPath,
          ...(kit === undefined ? {} : { bootstrap: kit }),
          lease: 60,
          controller: w.controller,
          expected: [installed],
          actions: [
            { action: 'install', name: 'a', pkgname: toInstall, reason: 'r' },
            { action: 'remove', name: 'b', pkgname: installed, reason: 'r' },
          ],
          checks: [{ name: w.checkName, run: 'printf ran > "$SW_AREA/check-ran"', timeout: 10 }],
        };
        const file = path.join(root, 'job.sh');
        writeFileSync(file, renderJobScript(spec));
        const job = await runSh(file, root);
        ran++;
        const parsed = parseJobOutput(job.stdout, w.nonce);
        expect({ rc: job.status, status: parsed.status, problem: parsed.problem }, job.stdout + job.stderr).toEqual({
          rc: 0,
          status: 'ok',
          problem: undefined,
        });
        expect(parsed.steps.filter((s) => s.rc !== 0).map((s) => s.label)).toEqual([]);
        expect(parsed.steps.map((s) => s.label)).toContain(`check ${w.checkName}`);
        const db = path.join(prefix, 'pkgdb');
        expect(readFileSync(calls, 'utf8')).toBe(
          `pkg_add 1 ${w.pkgPath} ${db}\n${toInstall}\npkg_delete 1 ${w.pkgPath} ${db}\n${installed}\n`,
        );
        expect(readFileSync(path.join(sw, 'check-ran'), 'utf8')).toBe('ran');
        // Nothing else anywhere: no stray file from a word split or an option taken for a name.
        const want = [
          'calls.log',
          'job.sh',
          ...(kit ? [path.basename(kit)] : []),
          w.sw,
          `${w.sw}/check-ran`,
          `${w.sw}/${w.prefix}`,
          `${w.sw}/${w.prefix}/pkgdb`,
          `${w.sw}/${w.prefix}/pkgdb/listing`,
          `${w.sw}/${w.prefix}/sbin`,
          ...Object.keys(tools).map((t) => `${w.sw}/${w.prefix}/sbin/${t}`),
        ];
        expect(tree(root)).toEqual(want.sort());
      }),
      { numRuns: 40 },
    );
    expect(ran).toBe(40);
  }, 120_000);

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
      // check leaves running in the background (&) may print after it ended;
      // the processes of a pipeline (|) write their errors at the same time,
      // and dash writes "sh: 1: " and the message in separate writes, so two
      // of them interleave differently from run to run.
      .filter((run) => !/\$(\$|!|\{?PPID)|[&|]/.test(run));
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

/** Every path under root, relative to it, sorted. */
function tree(root: string, rel = ''): string[] {
  return readdirSync(path.join(root, rel))
    .flatMap((n) => {
      const p = rel ? `${rel}/${n}` : n;
      let sub: string[] = [];
      try {
        sub = tree(root, p);
      } catch {
        // A file.
      }
      return [p, ...sub];
    })
    .sort();
}

/** Run a job script with sh, without blocking the test process meanwhile. */
function runSh(file: string, cwd: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('sh', [file], { cwd, timeout: 20_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
