import { describe, expect, it } from 'vitest';
import { inCI } from './ci.js';

describe('inCI', () => {
  it('treats every value a CI system sets as CI', () => {
    for (const v of ['true', '1', 'yes', 'TRUE', 'on', 'github']) expect(inCI({ CI: v })).toBe(true);
  });
  it('treats unset, empty, 0 and false as a developer machine', () => {
    for (const env of [{}, { CI: '' }, { CI: '0' }, { CI: 'false' }, { CI: ' False ' }]) expect(inCI(env)).toBe(false);
  });
});
