// The hold's fingerprint: packages and checks, compared as resolved (where
// they were declared does not matter); holds made before checks counted
// are still compared on their packages.
import { describe, expect, it } from 'vitest';
import type { DesiredCheck } from '../../src/desired/types.js';
import { desiredFingerprint, sameDesired } from '../../src/rollback/fingerprint.js';
import { site, want } from '../helpers/builders.js';

const check = (name: string, run: string, timeout = 30, line = 1): DesiredCheck => ({
  name,
  run,
  timeout,
  source: { file: 'profiles/p.yaml', line, column: 5 },
  via: ['p'],
});

describe('the desired-state fingerprint of a hold', () => {
  const atTag = site([want('tool')], { checks: [check('a', 'true'), check('b', 'test -x tool')] });
  const held = desiredFingerprint(atTag);

  it('changes with any check: its command, its time limit, the order, one more or one less', () => {
    const variants = [
      [check('a', 'false'), check('b', 'test -x tool')],
      [check('a', 'true', 31), check('b', 'test -x tool')],
      [check('b', 'test -x tool'), check('a', 'true')],
      [check('a', 'true')],
      [check('a', 'true'), check('b', 'test -x tool'), check('c', 'true')],
      [],
    ];
    for (const checks of variants) expect(sameDesired(site([want('tool')], { checks }), held)).toBe(false);
  });

  it('is the same when only where things were declared moved', () => {
    const moved = site([want('tool', 'present', 9)], {
      checks: [check('a', 'true', 30, 7), check('b', 'test -x tool', 30, 8)],
    });
    expect(sameDesired(moved, held)).toBe(true);
    expect(sameDesired(site([want('tool>=2')], { checks: atTag.checks }), held)).toBe(false);
  });

  it('compares a hold written before checks counted on its packages', () => {
    const legacy = JSON.stringify([['tool', ['tool'], 'present']]);
    expect(sameDesired(site([want('tool')], { checks: [check('x', 'true')] }), legacy)).toBe(true);
    expect(sameDesired(site([want('foo')]), legacy)).toBe(false);
  });
});
