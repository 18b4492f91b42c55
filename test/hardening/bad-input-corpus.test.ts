// The bad-input corpus (issue 8 §4): malformed desired state, imported
// inventories, pkg_summary files and command lines. Each gives exit 2 and
// one-line errors with their location, and state/ stays byte-for-byte as
// it was (hashed before and after).
import { createHash } from 'node:crypto';
import { cpSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { tempDir, writeTree } from '../helpers/tmp.js';
import { BAD_CASES, BASE_PROFILE, BASE_SITES } from '../desired/bad-input-cases.js';

function hashTree(dir: string): string {
  const h = createHash('sha256');
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      h.update(path.relative(dir, p));
      if (statSync(p).isDirectory()) walk(p);
      else h.update(readFileSync(p));
    }
  };
  walk(dir);
  return h.digest('hex');
}

/** A state/ with a journal and an observation in it; each case gets its own copy. */
let pristine: string;
let pristineHash: string;
let state: string;
beforeAll(async () => {
  pristine = tempDir();
  const r = await cli([
    'observe',
    '--worktree',
    '--site',
    'DESY-HH',
    '--import',
    'desired-state/examples/observed/DESY-HH.pkg_info',
    '--state',
    pristine,
  ]);
  expect(r.code).toBe(0);
  writeFileSync(
    path.join(pristine, 'journal.jsonl'),
    '{"type":"end","txid":"tx-old","at":"2026-01-01T00:00:00.000Z","site":"DESY-HH","status":"succeeded"}\n',
  );
  pristineHash = hashTree(pristine);
});
beforeEach(() => {
  state = path.join(tempDir(), 'state');
  cpSync(pristine, state, { recursive: true });
});

function expectRefused(r: { code: number; stdout: string; stderr: string }, located: RegExp): void {
  expect(r.code, r.stdout + r.stderr).toBe(2);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines.length).toBeGreaterThan(0);
  for (const l of lines) expect(l).toMatch(located);
  expect(hashTree(state)).toBe(pristineHash);
}

const LOCATED = /^[^\s:][^:]*:\d+(:\d+)?: \S|^[^\s:][^:]*: \S/;

describe('bad desired state: apply refuses before touching anything', () => {
  it.each(BAD_CASES.map((c) => [c.name, c] as const))('%s', async (_n, c) => {
    const dir = path.join(tempDir(), 'desired-state');
    const files = { 'sites.yaml': BASE_SITES, 'profiles/base.yaml': BASE_PROFILE, ...c.files };
    writeTree(dir, files);
    for (const [rel, v] of Object.entries(files)) if (v === '\u0000DELETE') rmSync(path.join(dir, rel));
    expectRefused(await cli(['apply', '--worktree', '--desired', dir, '--state', state]), LOCATED);
  });
});

const GOOD_LINE = 'foo-1.0             Foo utility';
const BAD_INVENTORIES: [string, string][] = [
  ['no dash', 'foo Foo\n'],
  ['no version', 'foo- Foo\n'],
  ['version not a digit', 'foo-x1 Foo\n'],
  ['empty base', '-1.0 Foo\n'],
  ['leading space', ' foo-1.0 Foo\n'],
  ['tab in name', 'foo\t-1.0 Foo\n'],
  ['NUL byte', 'foo-1.0 F\u0000oo\n'],
  ['duplicate package', `${GOOD_LINE}\n${GOOD_LINE}\n`],
  ['blank line between', `${GOOD_LINE}\n\nbar-1.0 Bar\n`],
  ['shell in name', 'foo;rm-1.0 x\n'.replace('foo;rm-1.0', 'foo;rm -rf /-1.0')],
  ['only spaces', '   \n foo\n'],
  ['binary junk', '\u0001\u0002\u0003-\u0004\n'],
  ...Array.from({ length: 20 }, (_, i): [string, string] => [
    `bad line at ${i + 2}`,
    `${GOOD_LINE}\n`.repeat(i + 1).replace(/foo-1.0/g, (_m, off: number) => `foo${off}-1.0`) + 'not a package line\n',
  ]),
  // (foo--1, é-1 are valid PKGNAMEs to pkg_install: base "foo-" and "é".)
  ...[
    '\t',
    '\u000b',
    '\u000c',
    '\u0085',
    '\u00a0',
    '\u1680',
    '\u2000',
    '\u2028',
    '\u2029',
    '\u3000',
    '\ufeff',
    '\u007f',
  ].map((c): [string, string] => [
    `control or space U+${c.charCodeAt(0).toString(16).padStart(4, '0')} in a name`,
    `foo${c}bar-1.0 comment\n`,
  ]),
  ...['foo-1.0-', 'foo-1.0--', 'a-', '--', 'foo-bar-', 'x-y-', 'lib-2.0-rc', 'foo-1.0-beta', 'py-', '_-'].map(
    (n): [string, string] => [`ends without a version: ${n}`, `${n} comment\n`],
  ),
  // Names no job could carry (issue 19 item 10): refused here, not at every later run.
  ...['foo;rm-1.0', '$(reboot)-1.0', '`id`-1', 'a|b-1', "it's-1.0", '.dot-1.0', 'caf\u00e9-1.0'].map(
    (n): [string, string] => [`name a job cannot carry: ${n}`, `${GOOD_LINE}\n${n} comment\n`],
  ),
  ...['foo', 'foo-', 'foo-.1', 'foo-a1', '1.0', '-', 'a-b', 'x-y-z', 'foo-\u00a01', 'bar-v2'].map(
    (n): [string, string] => [`name ${JSON.stringify(n)}`, `${n} comment\n`],
  ),
];

describe('bad imported inventories: observe --import stores nothing', () => {
  it.each(BAD_INVENTORIES)('%s', async (_name, text) => {
    const file = path.join(tempDir(), 'inventory.txt');
    writeFileSync(file, text);
    expectRefused(
      await cli(['observe', '--worktree', '--site', 'DESY-HH', '--import', file, '--state', state]),
      /inventory\.txt:\d+:\d+: \S/,
    );
  });

  it.each([
    ['user list names an uninstalled package', `${GOOD_LINE}\n`, 'bar-1.0 Bar\n'],
    ['user list malformed', `${GOOD_LINE}\n`, 'bar Bar\n'],
  ])('%s', async (_n, all, user) => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'inventory.txt'), all);
    writeFileSync(path.join(dir, 'inventory-u.txt'), user);
    expectRefused(
      await cli([
        'observe',
        '--worktree',
        '--site',
        'DESY-HH',
        '--import',
        path.join(dir, 'inventory.txt'),
        '--import-u',
        path.join(dir, 'inventory-u.txt'),
        '--state',
        state,
      ]),
      /inventory-u\.txt:\d+(:\d+)?: \S/,
    );
  });
});

const BAD_SUMMARIES: [string, Buffer | string][] = [
  ['record without PKGNAME', 'COMMENT=x\n\n'],
  ['line without =', 'PKGNAME=foo-1.0\nthis is not a variable\n\n'],
  ['invalid variable name', 'PKGNAME=foo-1.0\nlower case=x\n\n'],
  ['invalid PKGNAME', 'PKGNAME=foo\n\n'],
  ['PKGNAME with space', 'PKGNAME=foo 1.0\n\n'],
  ['empty PKGNAME', 'PKGNAME=\n\n'],
  ['corrupt gzip', Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.from('garbage')])],
  ['gzip of junk lines', gzipSync('PKGNAME=ok-1.0\n\njunk\n\n')],
  ['truncated gzip', gzipSync('PKGNAME=ok-1.0\nCOMMENT=x\n\n'.repeat(50)).subarray(0, 40)],
  ['corrupt bzip2', Buffer.from('BZh9garbage')],
  ['corrupt xz', Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), Buffer.from('garbage')])],
  ...['=value', '1ABC=x', 'A B=x', 'A-B=x', '=', ' PKGNAME=x', 'PKG NAME=x', 'Ü=x', '#comment', 'DEPENDS'].map(
    (l): [string, string] => [`bad line ${JSON.stringify(l)}`, `PKGNAME=foo-1.0\n${l}\n\n`],
  ),
  ...Array.from({ length: 20 }, (_, i): [string, string] => [
    `bad record ${i + 2}`,
    'PKGNAME=ok-1.0\nCOMMENT=x\n\n'.repeat(i + 1) + 'PKGNAME=\n\n',
  ]),
];

describe('bad pkg_summary files: plan --catalog refuses', () => {
  it.each(BAD_SUMMARIES)('%s', async (name, data) => {
    const dir = tempDir();
    const gz = Buffer.isBuffer(data) && (data[0] === 0x1f || data[0] === 0x42 || data[0] === 0xfd);
    writeFileSync(
      path.join(
        dir,
        gz
          ? data[0] === 0x1f
            ? 'pkg_summary.gz'
            : data[0] === 0x42
              ? 'pkg_summary.bz2'
              : 'pkg_summary.xz'
          : 'pkg_summary',
      ),
      data,
    );
    expect(name).toBeTruthy();
    expectRefused(
      await cli([
        'plan',
        '--worktree',
        '--site',
        'DESY-HH',
        '--observed',
        'desired-state/examples/observed',
        '--catalog',
        dir,
        '--state',
        state,
      ]),
      /pkg_summary(\.gz|\.bz2|\.xz)?(:\d+(:\d+)?)?: \S/,
    );
  });
});

const BAD_ARGS: string[][] = [
  ['frobnicate'],
  ['--bogus'],
  ['plan', '--bogus'],
  ['validate', 'extra'],
  ['plan', '--concurrency', '0'],
  ['apply', '--concurrency', '0'],
  ['apply', '--concurrency', 'many'],
  ['apply', '--concurrency', '-3'],
  ['apply', '--concurrency', '1.5'],
  ['apply', '--concurrency'],
  ['plan', '--site'],
  ['plan', '--site', 'NOPE'],
  ['plan', '--site', '../x'],
  ['observe', '--import', 'x'],
  ['observe', '--import-u', 'x'],
  ['observe', '--site', 'A', '--site', 'B', '--import', 'x'],
  ['rollback'],
  ['rollback', 'v1', 'v2'],
  ['apply', '--rollback'],
  ['plan', '--rollback', 'v1'],
  ['release'],
  ['release', 'NOPE'],
  ['status', '--format', 'pdf'],
  ['serve', '--port', '99999'],
  ['serve', '--port', 'http'],
  ['serve', '--interval', '5x'],
  ['cron', '--every', '7m'],
  ['cron', '--every', 'daily'],
  ['hook'],
  ['hook', 'remove'],
  ['hook', 'install'],
  ['history', 'extra'],
  ['validate', '--rev', 'no-such-rev'],
  ['plan', '--observed', '/nonexistent'],
  ['plan', '--desired', '/nonexistent'],
  ['apply', '--log-level', 'loud'],
  ['bogus', '--help'],
  ['validate', '--since', 'x'],
  ['status', '--every', '1h'],
  ['plan', '-x'],
  ['plan', '--dry-run'],
  ['validate', '--site', 'DESY-HH'],
  ['observe', '--dry-run'],
  ['history', '--concurrency', '3'],
  ['status', '--interval', '1m'],
  ['serve', '--format', 'json'],
  ['hook', 'install', '--every', '1h'],
  ['cron', '--repo', 'x'],
  ['rollback', 'v1', '--format', 'text'],
  ['apply', '--tags'],
  ['apply', '--output', 'x'],
  ['plan', '--import', 'x'],
  ['status', '--since', 'x'],
  ['release', '--site', 'DESY-HH'],
  ['validate', '--catalog', 'x'],
  ['history', '--dry-run'],
  ['cron', '--port', '1'],
  ['serve', '--since', 'x'],
  ['observe', '--format', 'json'],
  ['plan', '--every', '1h'],
];

describe('bad command lines', () => {
  it.each(BAD_ARGS.map((a) => [a.join(' '), a] as const))('reconcile %s', async (_s, argv) => {
    expectRefused(await cli([...argv, '--state', state]), /^reconcile: \S|^[^\s:][^:]*(:\d+(:\d+)?)?: \S/);
  });
});

describe('the corpus', () => {
  it('has at least 250 cases', () => {
    expect(
      BAD_CASES.length + BAD_INVENTORIES.length + 2 + BAD_SUMMARIES.length + BAD_ARGS.length,
    ).toBeGreaterThanOrEqual(250);
  });
});
