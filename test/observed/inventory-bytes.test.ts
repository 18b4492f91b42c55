// The byte readers (pkg_info listings, pkg_summary) against the text parsers
// they stand in for: for any input, the same result or the same errors.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { summaryPackages } from '../../src/catalog/summary-packages.js';
import { inventoryFromBytes, pkgnameIdsFromBytes, pkgnamesFromBytes } from '../../src/observed/inventory-bytes.js';
import { inventoryFromPkgInfo } from '../../src/observed/inventory.js';
import { PkgnameTable } from '../../src/observed/pkgname-table.js';
import type { Inventory } from '../../src/observed/types.js';
import { parsePkgSummary } from '../../src/pkgsrc/pkg-summary.js';

const META = { site: 'S', observedAt: '2025-01-01T00:00:00.000Z', source: 'observed-dir' as const };

function outcome<T>(f: () => T): { ok: T } | { error: string } {
  try {
    return { ok: f() };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** Lines that are mostly valid, with every kind of trouble mixed in. */
const piece = fc.constantFrom(
  'foo',
  'py311-bar',
  '-',
  '1.0',
  '2nb3',
  ' ',
  '   ',
  '\t',
  '\r',
  'ü',
  'é',
  '\0',
  '\uFEFF',
  'x',
  'Comment text',
  '\u00a0',
  '\x7f',
  '=',
  'PKGNAME=',
  'DEPENDS=',
  'COMMENT=',
  'lib-z-1.2',
);
const line = fc.array(piece, { maxLength: 6 }).map((p) => p.join(''));
const validLine = fc
  .tuple(
    fc.constantFrom('foo', 'py311-bar', 'lib-z', 'ü-tool'),
    fc.constantFrom('1.0', '2.3nb1', '0.9rc1'),
    fc.string(),
  )
  .map(([b, v, c]) => `${`${b}-${v}`.padEnd(19)} ${c.replace(/[\n\0]/g, '')}`);
const listing = fc
  .tuple(
    fc.array(fc.oneof({ weight: 4, arbitrary: validLine }, { weight: 1, arbitrary: line }), { maxLength: 8 }),
    fc.constantFrom('\n', '\r\n'),
    fc.constantFrom('', 'nl', 'blank'),
  )
  .map(([lines, nl, tail]) => lines.join(nl) + (tail === 'nl' ? nl : tail === 'blank' ? `${nl} ${nl}` : ''));

describe('inventoryFromBytes', () => {
  it('gives what inventoryFromPkgInfo gives for the decoded text, or the same errors', () => {
    fc.assert(
      fc.property(listing, fc.option(fc.subarray([0, 1, 2, 3, 4, 5, 6, 7]), { nil: undefined }), (text, pick) => {
        // The -u listing: a subset of the lines (so mostly consistent), or absent.
        const lines = text.split('\n');
        const user = pick?.map((i) => lines[i] ?? 'stray-1.0').join('\n');
        const bytes = {
          ...META,
          pkgInfo: { bytes: Buffer.from(text), file: 'a' },
          ...(user !== undefined ? { userInstalled: { bytes: Buffer.from(user), file: 'a-u' } } : {}),
        };
        const viaText = {
          ...META,
          pkgInfo: { text, file: 'a' },
          ...(user !== undefined ? { userInstalled: { text: user, file: 'a-u' } } : {}),
        };
        expect(outcome(() => inventoryFromBytes(bytes))).toEqual(outcome(() => inventoryFromPkgInfo(viaText)));
      }),
      { numRuns: 2000 },
    );
  });

  it('without comments gives the same inventory but for the comments', () => {
    fc.assert(
      fc.property(listing, fc.option(fc.subarray([0, 1, 2, 3, 4, 5, 6, 7]), { nil: undefined }), (text, pick) => {
        const lines = text.split('\n');
        const user = pick?.map((i) => lines[i] ?? 'stray-1.0').join('\n');
        const bytes = {
          ...META,
          pkgInfo: { bytes: Buffer.from(text), file: 'a' },
          ...(user !== undefined ? { userInstalled: { bytes: Buffer.from(user), file: 'a-u' } } : {}),
        };
        const blank = (o: ReturnType<typeof outcome<Inventory>>) =>
          'ok' in o ? { ok: { ...o.ok, packages: o.ok.packages.map((p) => ({ ...p, comment: '' })) } } : o;
        const without = outcome(() => inventoryFromBytes(bytes, { comments: false }));
        expect(blank(without)).toEqual(blank(outcome(() => inventoryFromBytes(bytes))));
      }),
      { numRuns: 1000 },
    );
  });

  it("with a names table shared by many listings gives what it gives without, and names each listing's entries", () => {
    // One table for every run, as a worker thread keeps one for all its sites.
    const table = new PkgnameTable();
    fc.assert(
      fc.property(
        listing,
        fc.option(fc.subarray([0, 1, 2, 3, 4, 5, 6, 7]), { nil: undefined }),
        fc.boolean(),
        (text, pick, comments) => {
          const lines = text.split('\n');
          const user = pick?.map((i) => lines[i] ?? 'stray-1.0').join('\n');
          const bytes = {
            ...META,
            pkgInfo: { bytes: Buffer.from(text), file: 'a' },
            ...(user !== undefined ? { userInstalled: { bytes: Buffer.from(user), file: 'a-u' } } : {}),
          };
          const withTable = outcome(() => inventoryFromBytes(bytes, { comments, names: table }));
          expect(withTable).toEqual(outcome(() => inventoryFromBytes(bytes, { comments })));
          if (!('ok' in withTable)) return;
          const entries = table.entriesOf(withTable.ok.packages);
          // Either the table read this listing (then its entries are the packages), or it says nothing.
          if (entries)
            expect(entries.map((e) => table.pkgnames[e])).toEqual(withTable.ok.packages.map((p) => p.pkgname));
          else expect(table.entriesOf([])).toBeUndefined();
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('reads invalid UTF-8 in a comment as the text reader does', () => {
    const b = Buffer.concat([Buffer.from('foo-1.0             a'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('\n')]);
    expect(inventoryFromBytes({ ...META, pkgInfo: { bytes: b, file: 'a' } })).toEqual(
      inventoryFromPkgInfo({ ...META, pkgInfo: { text: b.toString('utf8'), file: 'a' } }),
    );
  });
});

describe('pkgnamesFromBytes', () => {
  it("gives the text reader's names, or declines: never names the inventory readers refuse", () => {
    fc.assert(
      fc.property(listing, (text) => {
        const names = pkgnamesFromBytes(Buffer.from(text));
        if (names === undefined) return;
        const inv = outcome(() => inventoryFromPkgInfo({ ...META, pkgInfo: { text, file: 'a' } }));
        expect(inv).toEqual({ ok: expect.anything() });
        if ('ok' in inv) expect(names).toEqual(inv.ok.packages.map((p) => p.pkgname));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('pkgnameIdsFromBytes', () => {
  it('gives the names pkgnamesFromBytes gives, as ids a table shares across listings, or declines as it does', () => {
    fc.assert(
      fc.property(fc.array(listing, { minLength: 1, maxLength: 6 }), (texts) => {
        const table = new PkgnameTable();
        const idOf = new Map<string, number>();
        for (const text of texts) {
          const bytes = Buffer.from(text);
          const names = pkgnamesFromBytes(bytes);
          const ids = pkgnameIdsFromBytes(bytes, table);
          expect(ids === undefined).toBe(names === undefined);
          if (!ids) continue;
          expect([...ids].map((id) => table.pkgnames[id])).toEqual(names);
          // One id per name, whichever listing it came from.
          ids.forEach((id, i) => {
            expect(idOf.get(names![i]!) ?? id).toBe(id);
            idOf.set(names![i]!, id);
          });
        }
        expect(new Set(table.pkgnames).size).toBe(table.pkgnames.length);
      }),
      { numRuns: 1000 },
    );
  });

  it('tells thousands of names apart as the table grows', () => {
    const table = new PkgnameTable();
    const names = Array.from({ length: 50_000 }, (_, i) => `p${i % 977}-lib${i}-${i % 13}.${i}`);
    const bytes = Buffer.from(names.map((n) => `${n} comment\n`).join(''));
    expect([...pkgnameIdsFromBytes(bytes, table)!].map((id) => table.pkgnames[id])).toEqual(names);
    // Read again: every name is known, nothing is added.
    expect([...pkgnameIdsFromBytes(bytes, table)!]).toEqual(names.map((_, i) => i));
    expect(table.pkgnames.length).toBe(names.length);
  });
});

const record = fc
  .tuple(
    fc.constantFrom('PKGNAME=foo-1.0', 'PKGNAME=lib-z-2nb1', 'PKGNAME=bad', 'PKGNAME=ü-1', '', 'PKGNAME=foo-1.0 '),
    fc.array(
      fc.oneof(
        line.map((l) => `DEPENDS=${l}`),
        line,
        fc.constantFrom('COMMENT=x', 'DESCRIPTION=', '_X9=y'),
      ),
      {
        maxLength: 4,
      },
    ),
  )
  .map(([p, rest]) => [p, ...rest].filter((l) => !l.includes('\n')).join('\n'));
const summary = fc
  .array(record, { maxLength: 5 })
  .chain((rs) => fc.constantFrom('\n\n', '\r\n\r\n', '\n\n\n').map((sep) => rs.join(sep)));

describe('summaryPackages', () => {
  it('gives the PKGNAME and DEPENDS of parsePkgSummary, or the same errors', () => {
    fc.assert(
      fc.property(fc.boolean(), summary, (bom, text) => {
        const bytes = Buffer.from(`${bom ? '\uFEFF' : ''}${text}`);
        const fast = outcome(() =>
          summaryPackages(bytes, 'f').map((e) => ({ pkgname: e.pkgname, depends: e.depends })),
        );
        const slow = outcome(() =>
          parsePkgSummary(text, { file: 'f' }).map((e) => ({ pkgname: e.pkgname, depends: e.depends })),
        );
        expect(fast).toEqual(slow);
      }),
      { numRuns: 2000 },
    );
  });
});
