// pkg_info listings and -Q values: the captured real outputs, hand-made
// malformed inputs (exact locations), and round-trip properties.

import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { InputError } from '../../src/errors.js';
import { formatPkgInfo, parsePkgInfo, parsePkgInfoDepends, parsePkgInfoQuery } from '../../src/pkgsrc/pkg-info.js';
import type { JobSpec } from '../../src/jobs/job-spec.js';
import { renderJobScript } from '../../src/jobs/render-script.js';
import { isValidPkgName, splitPkgName } from '../../src/pkgsrc/pkgname.js';

interface Capture {
  name: string;
  cmdline: string;
  argv: string[];
  exit: number;
  stdout: string;
  stderr: string;
}

const dir = new URL('../fixtures/pkgsrc/commands/', import.meta.url);
const captures: Capture[] = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as Capture);

const ODD =
  'Odd "quoted" \'single\' $HOME `tick` \\back\\slash & <tag> | pipe; 100% ü é 日本 -- plus a long tail that goes well beyond eighty columns of text';
const ALL = [
  'py311-requests-2.31.0',
  'baz-3.1',
  'vuln-1.0',
  'p5-Foo-Bar-1.0',
  'bar-1.0',
  'alt-1.0',
  'foo-1.2',
  'perl-5.38.2',
  'py311-urllib3-2.0.7',
  'odd-comment-1.0',
  'tiny-0.9b',
];
const AUTO = ['p5-Foo-Bar-1.0', 'perl-5.38.2', 'py311-urllib3-2.0.7'];
const without = (...drop: string[]) => ALL.filter((n) => !drop.includes(n));

// Readdir order is unsorted and varies between runs, so listings compare as sets.
const LISTINGS: Record<string, string[]> = {
  '005-pkg_info-empty-db': [],
  '006-pkg_info-a-empty-db': [],
  '100-pkg_info': ALL,
  '101-pkg_info-a': ALL,
  '102-pkg_info-u': without(...AUTO),
  '210-pkg_info-u-after-set': without(...AUTO, 'odd-comment-1.0'),
  '307-pkg_info-u-after-delete': ['bar-1.0', 'alt-1.0', 'foo-1.2', 'odd-comment-1.0', 'tiny-0.9b'],
  '311-pkg_info-a-after-R': ['vuln-1.0', 'bar-1.0', 'alt-1.0', 'foo-1.2', 'odd-comment-1.0', 'tiny-0.9b'],
  '315-pkg_info-final': ['odd-comment-1.0', 'tiny-0.9b'],
};

const byName = (n: string): Capture => {
  const c = captures.find((x) => x.name === n);
  if (!c) throw new Error(`no capture ${n}`);
  return c;
};

function problemsOf(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as InputError).problems.map((p) => ({ ...p.location, message: p.message }));
  }
  throw new Error('expected an InputError');
}

describe('captured pkg_info listings', () => {
  const listingCmds = new Set(['pkg_info', 'pkg_info -a', 'pkg_info -u']);
  const listings = captures.filter((c) => listingCmds.has(c.cmdline));

  it('covers every captured listing command', () => {
    expect(listings.map((c) => c.name).sort()).toEqual(Object.keys(LISTINGS).sort());
  });

  for (const [name, expected] of Object.entries(LISTINGS)) {
    it(`${name} parses to the exact package set and prints back byte for byte`, () => {
      const cap = byName(name);
      const entries = parsePkgInfo(cap.stdout, { file: `${name}.json` });
      expect(new Set(entries.map((e) => e.pkgname))).toEqual(new Set(expected));
      expect(entries).toHaveLength(expected.length);
      expect(entries.map((e) => e.line)).toEqual(entries.map((_, i) => i + 1));
      expect(formatPkgInfo(entries)).toBe(cap.stdout);
    });
  }

  it('keeps exact comments, including the odd one and names of 19+ characters', () => {
    const entries = parsePkgInfo(byName('100-pkg_info').stdout);
    const comment = new Map(entries.map((e) => [e.pkgname, e.comment]));
    expect(comment.get('odd-comment-1.0')).toBe(ODD);
    expect(comment.get('py311-requests-2.31.0')).toBe('Elegant and simple HTTP library for Python');
    expect(comment.get('py311-urllib3-2.0.7')).toBe('HTTP library with thread-safe connection pooling');
    expect(comment.get('tiny-0.9b')).toBe('Version with a letter');
    expect(comment.get('p5-Foo-Bar-1.0')).toBe('Perl module Foo::Bar');
  });

  it('parses `pkg_info -I` (same layout, argument order rearranged)', () => {
    const entries = parsePkgInfo(byName('148-pkg_info-I').stdout);
    expect(entries.map((e) => e.pkgname)).toEqual(['odd-comment-1.0', 'tiny-0.9b', 'py311-requests-2.31.0', 'foo-1.2']);
  });

  it('treats a missing -K dbdir listing (empty output) as an empty inventory', () => {
    expect(parsePkgInfo(byName('169-pkg_info-K-missing-db').stdout)).toEqual([]);
  });
});

describe('captured pkg_info -Q values', () => {
  const cases: [string, string][] = [
    ['103-pkg_info-Q-automatic-auto-dep', 'yes'],
    ['104-pkg_info-Q-automatic-manual-by-basename', ''],
    ['105-pkg_info-Q-automatic-A-installed', 'yes'],
    ['106-pkg_info-Q-PKGTOOLS_VERSION', '20130131'],
    ['107-pkg_info-Q-OPSYS', 'Linux'],
    ['108-pkg_info-Q-unknown-var', ''],
    ['109-pkg_info-Q-missing-pkg', ''],
    ['209-pkg_info-Q-automatic-after-set', 'YES'],
  ];
  it('covers every captured -Q command', () => {
    const q = captures
      .filter((c) => c.argv[1] === '-Q')
      .map((c) => c.name)
      .sort();
    expect(q).toEqual(cases.map(([n]) => n).sort());
  });
  for (const [name, value] of cases) {
    it(`${name} → ${JSON.stringify(value)}`, () => {
      expect(parsePkgInfoQuery(byName(name).stdout)).toBe(value);
    });
  }
  it('strips only one trailing newline and tolerates CRLF', () => {
    expect(parsePkgInfoQuery('yes\r\n')).toBe('yes');
    expect(parsePkgInfoQuery('a b\n\n')).toBe('a b\n');
    expect(parsePkgInfoQuery('no-newline')).toBe('no-newline');
  });
});

describe('tolerated variations', () => {
  const std = 'foo-1.0             A foo\nbar-2.0             \n';
  it('accepts CRLF, trailing blank lines and a missing final newline', () => {
    const want = [
      { pkgname: 'foo-1.0', comment: 'A foo', line: 1 },
      { pkgname: 'bar-2.0', comment: '', line: 2 },
    ];
    expect(parsePkgInfo(std)).toEqual(want);
    expect(parsePkgInfo(std.replace(/\n/g, '\r\n'))).toEqual(want);
    expect(parsePkgInfo(std + '\n')).toEqual(want);
    expect(parsePkgInfo(std + '\r\n  \n')).toEqual(want);
    expect(parsePkgInfo(std.slice(0, -1))).toEqual(want);
  });
  it('treats empty and blank input as an empty inventory', () => {
    expect(parsePkgInfo('')).toEqual([]);
    expect(parsePkgInfo('\n')).toEqual([]);
    expect(parsePkgInfo('\r\n\n')).toEqual([]);
  });
  it('accepts less padding than pkg_info prints, and no comment at all', () => {
    expect(parsePkgInfo('foo-1.0 short pad\nlong-name-19-chars-1.0\n')).toEqual([
      { pkgname: 'foo-1.0', comment: 'short pad', line: 1 },
      { pkgname: 'long-name-19-chars-1.0', comment: '', line: 2 },
    ]);
  });
  it('keeps leading and trailing spaces of a comment when the layout is exact', () => {
    const entries = [
      { pkgname: 'foo-1.0', comment: '  indented  ' },
      { pkgname: 'py311-requests-2.31.0', comment: ' x' },
    ];
    expect(parsePkgInfo(formatPkgInfo(entries)).map(({ pkgname, comment }) => ({ pkgname, comment }))).toEqual(entries);
  });
});

describe('malformed listings', () => {
  const cases: [string, string, { line: number; column: number; message: RegExp }[]][] = [
    [
      'name without a dash',
      'foo                 comment\n',
      [{ line: 1, column: 1, message: /BASE-VERSION.*'foo' has no '-'/ }],
    ],
    [
      'version not starting with a digit',
      'ok-1.0 fine\nfoo-bar comment\n',
      [{ line: 2, column: 5, message: /start with a digit/ }],
    ],
    ['empty version', 'foo- comment\n', [{ line: 1, column: 5, message: /expected a version after the last '-'/ }]],
    ['empty base', '-1.0 comment\n', [{ line: 1, column: 1, message: /empty base/ }]],
    [
      'leading space',
      'ok-1.0 x\n foo-1.0 comment\n',
      [{ line: 2, column: 1, message: /expected a package name .* got a space/ }],
    ],
    ['blank line between packages', 'a-1 x\n\nb-2 y\n', [{ line: 2, column: 1, message: /got an empty line/ }]],
    [
      'duplicate package',
      'a-1 x\nb-2 y\na-1 z\n',
      [{ line: 3, column: 1, message: /duplicate package a-1, already listed on line 1/ }],
    ],
    ['NUL byte', 'a-1 x\nfoo-1.0 co\0mment\n', [{ line: 2, column: 11, message: /NUL byte/ }]],
    ['tab instead of spaces', 'foo-1.0\tcomment\n', [{ line: 1, column: 8, message: /without whitespace.*got a tab/ }]],
    [
      'continuation of a multi-line comment',
      'foo-1.0 first line\nsecond line of it\n',
      [{ line: 2, column: 1, message: /'second' has no '-'/ }],
    ],
    ['control character in a name', 'foo\u00071-1.0 x\n', [{ line: 1, column: 4, message: /U\+0007/ }]],
    [
      'every problem is collected, CRLF lines counted',
      'x y\r\nok-1 fine\r\nfoo-v z\r\nok-1 again\r\n',
      [
        { line: 1, column: 1, message: /'x' has no '-'/ },
        { line: 3, column: 5, message: /digit/ },
        { line: 4, column: 1, message: /line 2/ },
      ],
    ],
  ];
  for (const [title, text, want] of cases) {
    it(`rejects ${title}`, () => {
      const got = problemsOf(() => parsePkgInfo(text, { file: 'site.txt' }));
      expect(got).toHaveLength(want.length);
      got.forEach((p, i) => {
        const w = want[i]!;
        expect(p).toMatchObject({ file: 'site.txt', line: w.line, column: w.column });
        expect(p.message).toMatch(w.message);
      });
    });
  }
  it('names file:line:column in the error message', () => {
    expect(() => parsePkgInfo('ok-1 a\nnope b\n', { file: 'inv/site.txt' })).toThrow(/^inv\/site\.txt:2:1: expected/);
  });
});

describe('pkgname helpers', () => {
  it('splits at the last dash', () => {
    expect(splitPkgName('py311-requests-2.31.0')).toEqual({ base: 'py311-requests', version: '2.31.0' });
    expect(splitPkgName('gtk2+-2.24.33')).toEqual({ base: 'gtk2+', version: '2.24.33' });
    expect(splitPkgName('foo')).toBeNull();
    expect(splitPkgName('foo-bar')).toBeNull();
  });
  it('validates', () => {
    for (const ok of ['foo-1.2', 'font-adobe-100dpi-1.0.4', 'tiny-0.9b', 'foo-1.4nb1', 'foo-2.0rc1'])
      expect(isValidPkgName(ok)).toBe(true);
    for (const bad of ['', 'foo', '-1', 'foo-', 'foo-x1', 'foo-1 2', 'foo-1\u0000', 'fo o-1', 'foo-1.0-'])
      expect(isValidPkgName(bad)).toBe(false);
  });

  // Issue 19 item 10: a name no job could carry is refused where a listing is read, not at every later run.
  it('refuses, at the offending character, names a job script would refuse to carry', () => {
    const at = (text: string) => {
      try {
        parsePkgInfo(text, { file: 'inv' });
      } catch (e) {
        return (e as InputError).problems.map((p) => `${p.location.line}:${p.location.column} ${p.message}`);
      }
      return [];
    };
    expect(at('ok-1.0 fine\nfoo;rm-1.0 x\n$(reboot)-1.0 y\n`id`-2 z\n')).toEqual([
      "2:4 expected a package name of letters, digits and '.', '_', '+', '-', got ';' in 'foo;rm-1.0'",
      "3:1 expected a package name of letters, digits and '.', '_', '+', '-', got '$' in '$(reboot)-1.0'",
      "4:1 expected a package name of letters, digits and '.', '_', '+', '-', got '`' in '`id`-2'",
    ]);
    expect(at('.hidden-1.0 x\n')).toEqual([
      "1:1 expected a package name that starts with a letter or digit, got '.hidden-1.0'",
    ]);
    expect(() => parsePkgInfoDepends('Information for a|b-1.0:\n\n')).toThrow(/:1:18: .*got '\|'/);
  });

  it('accepts exactly the names the job renderer carries', () => {
    // The renderer's rule written out independently: the listing readers and the renderer must agree with it.
    const carried = /^[A-Za-z0-9][A-Za-z0-9._+-]*-[0-9][A-Za-z0-9._+]*$/;
    const spec = (pkgname: string): JobSpec => ({
      txid: 'tx-1',
      nonce: 'abcdef12',
      site: 'S',
      swArea: '/sw',
      prefix: '/sw/pkg',
      pkgPath: '/srv/All',
      lease: 60,
      controller: 'c:1',
      expected: [],
      actions: [{ action: 'install', name: 'x', pkgname, reason: 'r' }],
    });
    const renders = (n: string) => {
      try {
        renderJobScript(spec(n));
        return true;
      } catch {
        return false;
      }
    };
    const odd = fc.constantFrom(...'aZ09-._+;$`|&()\'" \\/*?~@:,=<>!#%'.split(''), 'ü', '\t');
    fc.assert(
      fc.property(fc.oneof(pkgnameArb, fc.string({ unit: odd, maxLength: 12 })), (n) => {
        const expected = carried.test(n);
        expect({ n, valid: isValidPkgName(n) }).toEqual({ n, valid: expected });
        expect({ n, renders: renders(n) }).toEqual({ n, renders: expected });
        const read = (() => {
          try {
            return parsePkgInfo(`${n} comment\n`).length === 1;
          } catch {
            return false;
          }
        })();
        // A name with a space is read as a shorter name; the rest of it is the comment.
        if (!/[ \t]/.test(n)) expect({ n, read }).toEqual({ n, read: expected });
      }),
      { numRuns: 2000 },
    );
  });
});

// What a name may be made of (pkgsrc/pkgname.ts); a name starts with a letter or digit.
const nameStart = fc.constantFrom(...'abcxyzABZ0189'.split(''));
const nameChar = fc.constantFrom(...'abcxyzABZ0189_+.-'.split(''));
const verChar = fc.constantFrom(...'0123456789.abcnbrc_+'.split(''));
const pkgnameArb = fc
  .tuple(
    nameStart,
    fc.string({ unit: nameChar, maxLength: 24 }),
    fc.integer({ min: 0, max: 9 }),
    fc.string({ unit: verChar, maxLength: 8 }),
  )
  .map(([first, base, d, rest]) => `${first}${base}-${d}${rest}`);
const oddChar = fc.constantFrom(
  ' ',
  '"',
  "'",
  '$',
  '`',
  '\\',
  '<',
  '>',
  '&',
  '|',
  ';',
  '%',
  '=',
  '\t',
  'ü',
  '日本',
  '😀',
  '\u2028',
  '\u00a0',
);
const commentArb = fc
  .oneof(
    fc.string({ unit: 'binary', maxLength: 60 }),
    fc.string({ unit: oddChar, maxLength: 30 }),
    fc.string({ unit: 'grapheme', maxLength: 30 }),
  )
  .map((s) => s.replace(/[\n\r\0]/g, ''));

describe('round-trip properties', () => {
  const listing = fc.uniqueArray(fc.record({ pkgname: pkgnameArb, comment: commentArb }), {
    selector: (e) => e.pkgname,
    maxLength: 40,
  });
  it('parse(format(x)) gives back x, with LF or CRLF', () => {
    fc.assert(
      fc.property(listing, (entries) => {
        const text = formatPkgInfo(entries);
        const want = entries.map((e, i) => ({ ...e, line: i + 1 }));
        expect(parsePkgInfo(text)).toEqual(want);
        expect(parsePkgInfo(text.replace(/\n/g, '\r\n'))).toEqual(want);
      }),
      { numRuns: 300 },
    );
  });
  it('generated names are valid and split back into base and version', () => {
    fc.assert(
      fc.property(pkgnameArb, (n) => {
        const parts = splitPkgName(n);
        expect(parts && `${parts.base}-${parts.version}`).toBe(n);
        expect(parts?.version.includes('-')).toBe(false);
      }),
    );
  });
});

describe('speed', () => {
  it('parses a 3,000-line listing quickly', () => {
    const entries = Array.from({ length: 3000 }, (_, i) => ({
      pkgname: `pkg-number-${i}-1.${i}nb2`,
      comment: `Comment ${i} with some words in it`,
    }));
    const text = formatPkgInfo(entries);
    const t0 = performance.now();
    for (let i = 0; i < 100; i++) parsePkgInfo(text);
    const perFile = (performance.now() - t0) / 100;
    expect(perFile).toBeLessThan(20); // ~0.5 ms on a laptop; generous for CI
  });
});

describe('parsePkgInfoDepends (pkg_info -n)', () => {
  const capture = (name: string) => captures.find((c) => c.name === name)!;

  it('reads the captured pkg_info -n of one and of several packages', () => {
    expect([...parsePkgInfoDepends(capture('130-pkg_info-n').stdout)]).toEqual([['bar-1.0', ['foo>=1.2']]]);
    expect(Object.fromEntries(parsePkgInfoDepends(capture('155-pkg_info-n-multi').stdout))).toEqual({
      'alt-1.0': ['{foo,bar}>=1.0'],
      'baz-3.1': ['bar>=1.0', 'foo-[0-9]*'],
      'py311-requests-2.31.0': ['py311-urllib3>=1.21<3'],
    });
  });

  it('takes a package without dependencies (no Requires: section) as depending on nothing', () => {
    const text = 'Information for foo-1.2:\n\n\nInformation for bar-1.0:\n\nRequires:\nfoo>=1.2\n\n\n';
    expect(Object.fromEntries(parsePkgInfoDepends(text))).toEqual({ 'foo-1.2': [], 'bar-1.0': ['foo>=1.2'] });
    expect(parsePkgInfoDepends('').size).toBe(0);
  });

  it('reports each line that is not pkg_info -n output, with its location', () => {
    const text = 'Information for foo-1.2:\n\nRequires:\nbad pattern\n\nstray line\nInformation for $(x):\n';
    try {
      parsePkgInfoDepends(text, { file: 'S.pkg_info-n' });
      expect.unreachable();
    } catch (e) {
      const lines = (e as InputError).problems.map((p) => `${p.location.line}:${p.location.column}`);
      expect(lines).toEqual(['4:1', '6:1', '7:17']);
      expect((e as InputError).message).toMatch(/S\.pkg_info-n:4:1: expected a DEPENDS pattern/);
    }
  });
});
