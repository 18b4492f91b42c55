// pkg_summary(5) / pkg_info -X: captured outputs, compressed round-trips made
// with the real gzip/bzip2/xz tools, malformed records, and properties.

import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { InputError } from '../../src/errors.js';
import {
  PKG_SUMMARY_NAMES,
  decodePkgSummary,
  formatPkgSummary,
  parsePkgSummary,
  type SummaryEntry,
} from '../../src/pkgsrc/pkg-summary.js';

interface Capture {
  name: string;
  cmdline: string;
  argv: string[];
  stdout: string;
}

const dir = new URL('../fixtures/pkgsrc/commands/', import.meta.url);
const capture = (prefix: string): Capture => {
  const f = readdirSync(dir).find((n) => n.startsWith(prefix));
  if (!f) throw new Error(`no capture ${prefix}`);
  return JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as Capture;
};
const ODD =
  'Odd "quoted" \'single\' $HOME `tick` \\back\\slash & <tag> | pipe; 100% ü é 日本 -- plus a long tail that goes well beyond eighty columns of text';

function problemsOf(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as InputError).problems.map((p) => ({ ...p.location, message: p.message }));
  }
  throw new Error('expected an InputError');
}

async function rejection(p: Promise<unknown>) {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InputError);
  return (err as InputError).problems;
}

describe('captured pkg_info -X output', () => {
  it('140: one installed package', () => {
    const [foo, ...rest] = parsePkgSummary(capture('140-').stdout, { file: '140.json' });
    expect(rest).toEqual([]);
    expect(foo).toMatchObject({
      pkgname: 'foo-1.2',
      comment: 'Foo utility, old release',
      depends: [],
      conflicts: [],
      line: 1,
    });
    expect(foo!.vars).toEqual({
      PKGNAME: ['foo-1.2'],
      COMMENT: ['Foo utility, old release'],
      SIZE_PKG: ['31'],
      OPSYS: ['Linux'],
      OS_VERSION: ['6.1.0-amd64'],
      MACHINE_ARCH: ['x86_64'],
      PKGTOOLS_VERSION: ['20130131'],
      DESCRIPTION: ['Description of foo-1.2.', 'Second line of the description.'],
    });
  });

  it('141: every installed package with its DEPENDS', () => {
    const all = parsePkgSummary(capture('141-').stdout);
    const deps = Object.fromEntries(all.map((e) => [e.pkgname, e.depends]));
    expect(deps).toEqual({
      'py311-requests-2.31.0': ['py311-urllib3>=1.21<3'],
      'baz-3.1': ['bar>=1.0', 'foo-[0-9]*'],
      'vuln-1.0': [],
      'p5-Foo-Bar-1.0': ['perl>=5.0'],
      'bar-1.0': ['foo>=1.2'],
      'alt-1.0': ['{foo,bar}>=1.0'],
      'foo-1.2': [],
      'perl-5.38.2': [],
      'py311-urllib3-2.0.7': [],
      'odd-comment-1.0': [],
      'tiny-0.9b': [],
    });
    const odd = all.find((e) => e.pkgname === 'odd-comment-1.0')!;
    expect(odd.comment).toBe(ODD);
    const pkgnameLines = capture('141-')
      .stdout.split('\n')
      .flatMap((l, i) => (l.startsWith('PKGNAME=') ? [i + 1] : []));
    expect(all.map((e) => e.line)).toEqual(pkgnameLines);
    expect(pkgnameLines.slice(0, 3)).toEqual([1, 12, 24]); // baz has two DEPENDS lines
    expect(all.every((e) => e.conflicts.length === 0)).toBe(true);
  });

  it('142: a binary package file adds FILE_NAME and FILE_SIZE', () => {
    const [bar] = parsePkgSummary(capture('142-').stdout);
    expect(bar).toMatchObject({ pkgname: 'bar-1.0', comment: 'Bar needs foo', depends: ['foo>=1.2'] });
    expect(bar!.vars['FILE_NAME']).toEqual(['bar-1.0.tgz']);
    expect(bar!.vars['FILE_SIZE']).toEqual(['574']);
  });

  it('168: two named packages in argument order', () => {
    const two = parsePkgSummary(capture('168-').stdout);
    expect(two.map((e) => [e.pkgname, e.depends, e.comment])).toEqual([
      ['odd-comment-1.0', [], ODD],
      ['p5-Foo-Bar-1.0', ['perl>=5.0'], 'Perl module Foo::Bar'],
    ]);
  });

  for (const id of ['140-', '141-', '142-', '168-']) {
    it(`${id} prints back byte for byte`, () => {
      const text = capture(id).stdout;
      expect(formatPkgSummary(parsePkgSummary(text))).toBe(text);
    });
  }
});

describe('tolerated variations', () => {
  const want = ['a-1', 'b-2'];
  const names = (t: string) => parsePkgSummary(t).map((e) => e.pkgname);
  it('accepts CRLF, runs of blank lines, leading blank lines and no final blank line', () => {
    expect(names('PKGNAME=a-1\nCOMMENT=x\n\nPKGNAME=b-2\n')).toEqual(want);
    expect(names('PKGNAME=a-1\r\nCOMMENT=x\r\n\r\nPKGNAME=b-2\r\n\r\n')).toEqual(want);
    expect(names('\n\nPKGNAME=a-1\n\n\n\nPKGNAME=b-2')).toEqual(want);
    expect(parsePkgSummary('')).toEqual([]);
    expect(parsePkgSummary('\n\n')).toEqual([]);
  });
  it('splits at the first = only and keeps values verbatim', () => {
    const [e] = parsePkgSummary('PKGNAME=a-1\nCOMMENT=x=y == z \nHOMEPAGE=\nCONFLICTS=a<1\nCONFLICTS=b-[0-9]*\n');
    expect(e).toMatchObject({ comment: 'x=y == z ', conflicts: ['a<1', 'b-[0-9]*'] });
    expect(e!.vars['HOMEPAGE']).toEqual(['']);
  });
  it('a record without COMMENT has an empty comment', () => {
    expect(parsePkgSummary('PKGNAME=a-1\n')[0]!.comment).toBe('');
  });
  it('does not let a __proto__ variable touch the prototype', () => {
    const [e] = parsePkgSummary('PKGNAME=a-1\n__proto__=x\n');
    expect(e!.vars['__proto__']).toEqual(['x']);
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });
});

describe('malformed summaries', () => {
  const cases: [string, string, { line: number; column: number; message: RegExp }[]][] = [
    [
      'a line without =',
      'PKGNAME=a-1\nCOMMENT x\n',
      [{ line: 2, column: 1, message: /expected VAR=value or a blank line/ }],
    ],
    [
      'an empty VAR name',
      'PKGNAME=a-1\n=value\n',
      [{ line: 2, column: 1, message: /expected a variable name before '='/ }],
    ],
    [
      'a VAR name starting with a digit',
      'PKGNAME=a-1\n1VAR=x\n',
      [{ line: 2, column: 1, message: /variable name .* got "1"/ }],
    ],
    ['a VAR name with a dash', 'PKGNAME=a-1\nPKG-PATH=x\n', [{ line: 2, column: 4, message: /got "-"/ }]],
    ['a VAR name with a leading space', 'PKGNAME=a-1\n COMMENT=x\n', [{ line: 2, column: 1, message: /got " "/ }]],
    [
      'a record without PKGNAME',
      'PKGNAME=a-1\n\n\nCOMMENT=x\nDEPENDS=a>=1\n',
      [{ line: 4, column: 1, message: /no PKGNAME line/ }],
    ],
    ['a PKGNAME without version', 'PKGNAME=foo\n', [{ line: 1, column: 9, message: /'foo' has no '-'/ }]],
    [
      'a PKGNAME with a bad version',
      'COMMENT=x\nPKGNAME=foo-x1\n',
      [{ line: 2, column: 13, message: /start with a digit/ }],
    ],
    ['a PKGNAME with trailing space', 'PKGNAME=foo-1.0 \n', [{ line: 1, column: 16, message: /got a space/ }]],
    [
      'two PKGNAMEs in one record',
      'PKGNAME=a-1\nCOMMENT=x\nPKGNAME=b-1\n',
      [{ line: 3, column: 1, message: /second PKGNAME .*line 1.*expected a blank line/ }],
    ],
    [
      'every problem, across records',
      'PKGNAME=a\n\nX\n\nPKGNAME=ok-1\n',
      [
        { line: 1, column: 9, message: /no '-'/ },
        { line: 3, column: 1, message: /without '='/ },
        { line: 3, column: 1, message: /no PKGNAME/ },
      ],
    ],
  ];
  for (const [title, text, want] of cases) {
    it(`rejects ${title}`, () => {
      const got = problemsOf(() => parsePkgSummary(text, { file: 'pkg_summary' }));
      expect(got).toHaveLength(want.length);
      got.forEach((p, i) => {
        const w = want[i]!;
        expect(p).toMatchObject({ file: 'pkg_summary', line: w.line, column: w.column });
        expect(p.message).toMatch(w.message);
      });
    });
  }
});

describe('compressed summaries', () => {
  let tmp = '';
  const text = capture('141-').stdout;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'pkg-summary-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  function compressWith(tool: string, args: string[], name: string, data: string): Buffer {
    const plain = join(tmp, name);
    writeFileSync(plain, data);
    execFileSync(tool, [...args, plain]);
    return readFileSync(plain + { gzip: '.gz', bzip2: '.bz2', xz: '.xz' }[tool]);
  }

  it('names the candidates in the order to look for them', () => {
    expect(PKG_SUMMARY_NAMES).toEqual(['pkg_summary.gz', 'pkg_summary.bz2', 'pkg_summary.xz', 'pkg_summary']);
  });

  for (const [tool, name] of [
    ['gzip', 'pkg_summary.gz'],
    ['bzip2', 'pkg_summary.bz2'],
    ['xz', 'pkg_summary.xz'],
  ] as const) {
    it(`decodes ${name} made by the ${tool} tool`, async () => {
      const data = compressWith(tool, ['-f'], `a-${tool}`, text);
      expect(await decodePkgSummary(data, name)).toBe(text);
      // Magic bytes win over a wrong or missing suffix.
      expect(await decodePkgSummary(new Uint8Array(data), 'pkg_summary')).toBe(text);
    });

    it(`rejects a truncated ${name}, naming the file and the compression`, async () => {
      const data = compressWith(tool, ['-f'], `t-${tool}`, text);
      const problems = await rejection(
        decodePkgSummary(data.subarray(0, Math.floor(data.length / 2)), `/repo/All/${name}`),
      );
      expect(problems[0]!.location).toEqual({ file: `/repo/All/${name}` });
      expect(problems[0]!.message).toMatch(new RegExp(`^${tool} decompression failed`));
    });
  }

  it('decodes gzip from node:zlib, multi-member gzip and multi-stream bzip2', async () => {
    expect(await decodePkgSummary(gzipSync(text), 'pkg_summary.gz')).toBe(text);
    const half = text.indexOf('\n\nPKGNAME=', 1000) + 2;
    const [a, b] = [text.slice(0, half), text.slice(half)];
    expect(await decodePkgSummary(Buffer.concat([gzipSync(a), gzipSync(b)]), 'pkg_summary.gz')).toBe(text);
    const bz = Buffer.concat([compressWith('bzip2', ['-f'], 'm1', a), compressWith('bzip2', ['-f'], 'm2', b)]);
    expect(await decodePkgSummary(bz, 'pkg_summary.bz2')).toBe(text);
  });

  it('decodes a large summary and keeps UTF-8 intact', async () => {
    const big = text.repeat(200);
    const xz = compressWith('xz', ['-f', '-T1'], 'big', big);
    const decoded = await decodePkgSummary(xz, 'pkg_summary.xz');
    expect(decoded).toBe(big);
    expect(parsePkgSummary(decoded)).toHaveLength(11 * 200);
  });

  it('passes plain text through, even under a .gz name (transparently decompressed download)', async () => {
    expect(await decodePkgSummary(Buffer.from(text), 'pkg_summary')).toBe(text);
    expect(await decodePkgSummary(Buffer.from(text), 'pkg_summary.gz')).toBe(text);
    expect(await decodePkgSummary(Buffer.from('\ufeff' + text), 'pkg_summary')).toBe(text);
  });

  it('rejects binary data whose name promises compression but has no magic', async () => {
    const problems = await rejection(decodePkgSummary(Buffer.from([0, 1, 2, 3, 0xff]), 'x/pkg_summary.bz2'));
    expect(problems[0]).toEqual({
      location: { file: 'x/pkg_summary.bz2' },
      message: expect.stringMatching(/expected bzip2 data .* magic bytes/),
    });
    await rejection(decodePkgSummary(Buffer.alloc(0), 'pkg_summary.xz'));
  });

  it('rejects garbage after valid magic bytes', async () => {
    const junk = (magic: number[]) => Buffer.from([...magic, ...Array.from({ length: 64 }, (_, i) => (i * 37) & 0xff)]);
    expect((await rejection(decodePkgSummary(junk([0x1f, 0x8b]), 'p.gz')))[0]!.message).toMatch(
      /^gzip decompression failed/,
    );
    expect((await rejection(decodePkgSummary(junk([0x42, 0x5a, 0x68, 0x39]), 'p.bz2')))[0]!.message).toMatch(
      /^bzip2 decompression failed/,
    );
    expect((await rejection(decodePkgSummary(junk([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), 'p.xz')))[0]!.message).toMatch(
      /^xz decompression failed/,
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
    fc.string({ unit: nameChar, maxLength: 19 }),
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
);
const valueArb = fc
  .oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: oddChar, maxLength: 20 }))
  .map((s) => s.replace(/[\n\r]/g, ''));
const varNameArb = fc
  .stringMatching(/^[A-Z_][A-Z0-9_]{0,12}$/)
  .filter((n) => !['PKGNAME', 'DEPENDS', 'CONFLICTS', 'COMMENT'].includes(n));

const recordArb = fc
  .record({
    pkgname: pkgnameArb,
    comment: valueArb,
    depends: fc.array(valueArb, { maxLength: 4 }),
    conflicts: fc.array(valueArb, { maxLength: 2 }),
    extra: fc.dictionary(varNameArb, fc.array(valueArb, { minLength: 1, maxLength: 4 }), { maxKeys: 6 }),
  })
  .map(({ extra, ...e }): Omit<SummaryEntry, 'line'> => {
    const vars: Record<string, string[]> = { PKGNAME: [e.pkgname] };
    if (e.depends.length) vars['DEPENDS'] = e.depends;
    if (e.conflicts.length) vars['CONFLICTS'] = e.conflicts;
    vars['COMMENT'] = [e.comment];
    return { ...e, vars: { ...vars, ...extra } };
  });

describe('round-trip properties', () => {
  it('parse(format(x)) gives back x with the right record lines', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { maxLength: 15 }), (records) => {
        const text = formatPkgSummary(records);
        let line = 1;
        const want = records.map((r) => {
          const e = { ...r, line };
          line += Object.values(r.vars).reduce((n, v) => n + v.length, 0) + 1;
          return e;
        });
        expect(parsePkgSummary(text)).toEqual(want);
        expect(parsePkgSummary(text.replace(/\n/g, '\r\n'))).toEqual(want);
        expect(formatPkgSummary(parsePkgSummary(text))).toBe(text);
      }),
      { numRuns: 200 },
    );
  });
});

describe('speed', () => {
  it('parses a 24,000-package summary in reasonable time', () => {
    const entries = Array.from({ length: 24000 }, (_, i) => ({
      pkgname: `pkg-number-${i}-1.${i}`,
      comment: `Comment ${i}`,
      depends: [`dep>=1.${i}`],
      conflicts: [],
      vars: { PKGPATH: [`cat/pkg${i}`], SIZE_PKG: ['12345'], DESCRIPTION: ['One line.', 'Another line of it.'] },
    }));
    const text = formatPkgSummary(entries);
    const t0 = performance.now();
    expect(parsePkgSummary(text)).toHaveLength(24000);
    expect(performance.now() - t0).toBeLessThan(3000); // ~100 ms on a laptop; generous for CI
  });
});
