// The report signature: what it accepts, and that no single-byte change to
// what it covers gets through.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sign, verify, WINDOW_SECONDS } from '../../src/site-report/signature.js';

const SECRET = 'k'.repeat(16) + '0123456789abcdef0123456789abcdef';
const NOW = 1_800_000_000;

const report = fc.record({
  body: fc.uint8Array({ minLength: 0, maxLength: 300 }).map((a) => Buffer.from(a)),
  site: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/),
  skew: fc.integer({ min: -WINDOW_SECONDS, max: WINDOW_SECONDS }),
  nonce: fc.stringMatching(/^[A-Za-z0-9_-]{16,40}$/),
});

/** One byte of s changed to another byte (kept a one-byte character, so strings stay the same length). */
function mutate(s: string, at: number, to: number): string {
  const i = at % s.length;
  const c = String.fromCharCode(0x20 + ((s.charCodeAt(i) - 0x20 + 1 + (to % 94)) % 95));
  return s.slice(0, i) + c + s.slice(i + 1);
}

describe('report signature', () => {
  it('accepts what was signed with the same secret within the window', () => {
    fc.assert(
      fc.property(report, (r) => {
        const h = sign(SECRET, r.site, r.body, NOW + r.skew, r.nonce);
        expect(verify(SECRET, r.site, r.body, h, NOW)).toEqual({ ok: true, timestamp: NOW + r.skew });
      }),
    );
  });

  it('refuses any single-byte change to the body, the site or any header', () => {
    fc.assert(
      fc.property(
        report,
        fc.nat(),
        fc.nat(93),
        fc.constantFrom('body', 'site', 'timestamp', 'nonce', 'signature'),
        (r, at, to, what) => {
          const h = sign(SECRET, r.site, r.body, NOW + r.skew, r.nonce);
          let { body, site } = r;
          const headers = { ...h };
          if (what === 'body') {
            if (body.length === 0) body = Buffer.from([to]);
            else {
              body = Buffer.from(body);
              body[at % body.length] = (body[at % body.length]! + 1 + to) % 256;
            }
          } else if (what === 'site') site = mutate(site, at, to);
          else headers[what] = mutate(headers[what], at, to);
          expect(verify(SECRET, site, body, headers, NOW).ok).toBe(false);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('refuses another secret, a timestamp outside the window, and missing headers', () => {
    const body = Buffer.from('{}');
    const h = sign(SECRET, 'A', body, NOW, 'abcdefghijklmnop');
    expect(verify(`${SECRET}x`, 'A', body, h, NOW)).toMatchObject({
      ok: false,
      code: 401,
      reason: expect.stringMatching(/^bad signature/),
    });
    expect(verify(SECRET, 'A', body, h, NOW + WINDOW_SECONDS + 1)).toMatchObject({
      ok: false,
      code: 401,
      reason: expect.stringMatching(/^stale report: its timestamp is 301s behind/),
    });
    expect(verify(SECRET, 'A', body, h, NOW - WINDOW_SECONDS - 1)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/301s ahead of/),
    });
    expect(verify(SECRET, 'A', body, { timestamp: h.timestamp, nonce: h.nonce }, NOW)).toMatchObject({
      ok: false,
      code: 401,
      reason: expect.stringMatching(/^unsigned report/),
    });
  });
});
