// The audit's names-only reader of pkg_info listings agrees with the
// inventory reader `plan` uses: the same PKGNAMEs in the same order, or it
// declines (undefined) and the inventory reader decides.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inventoryFromBytes, pkgnamesFromBytes } from '../../src/observed/inventory-bytes.js';
import { inventoryFromPkgInfo } from '../../src/observed/inventory.js';

const name = fc.stringMatching(/^[a-z][a-z0-9+_.-]{0,12}-[0-9][0-9a-z.]{0,6}$/);
const comment = fc.oneof(fc.constant(''), fc.stringMatching(/^[ -~]{0,30}$/), fc.constant('ü é 日本'));
const line = fc
  .tuple(name, comment, fc.constantFrom(' ', '  ', '\t', ''))
  .map(([n, c, sep]) => `${n.padEnd(19)}${sep}${c}`);

describe('pkgnamesFromBytes', () => {
  it("gives the inventory reader's names, or declines", () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), fc.constantFrom('\n', '\r\n'), (lines, nl) => {
        const bytes = Buffer.from(lines.map((l) => `${l}${nl}`).join(''), 'utf8');
        const names = pkgnamesFromBytes(bytes);
        if (names === undefined) return;
        const raw = { site: 'S', observedAt: 'x', source: 'observed-dir' as const };
        expect(names).toEqual(
          inventoryFromBytes({ ...raw, pkgInfo: { bytes, file: 'f' } }).packages.map((p) => p.pkgname),
        );
        expect(names).toEqual(
          inventoryFromPkgInfo({ ...raw, pkgInfo: { text: bytes.toString('utf8'), file: 'f' } }).packages.map(
            (p) => p.pkgname,
          ),
        );
      }),
      { numRuns: 300 },
    );
  });
});
