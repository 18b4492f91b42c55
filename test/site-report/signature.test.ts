// The report signature: what it accepts, and that no single-byte change to
// what it covers gets through.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sign, verify, WINDOW_SECONDS } from '../../src/site-report/signature.js';
import { repoRoot } from '../helpers/cli.js';

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
  it("matches the README's known-answer vector (made with openssl, not with this code)", () => {
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const block = /```text\n(secret: .*?)```/s.exec(readme)?.[1];
    expect(block, 'the test vector in README.md').toBeDefined();
    const v = Object.fromEntries(
      block!
        .trimEnd()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf(':')), l.slice(11)]),
    );
    // The figures as published, so an edit of the README alone cannot pass.
    expect(v).toEqual({
      secret: 'example-secret-do-not-use',
      site: 'DESY-HH',
      timestamp: '1767225600',
      nonce: 'kat-nonce-0123456789',
      body: '{"format":"reconcile-report-v1","pkg_info":"foo-1.0             Foo\\n","pkg_info_u":""}',
      signature: 'sha256=bab5e79edd6ff37dfd1d8cc2b4598cabc5c49d9dbe199802bf327ccfacb37bf9',
    });
    const body = Buffer.from(v.body!);
    expect(body.length).toBe(87);
    expect(sign(v.secret!, v.site!, body, Number(v.timestamp), v.nonce!)).toEqual({
      timestamp: v.timestamp,
      nonce: v.nonce,
      signature: v.signature,
    });
    const headers = { timestamp: v.timestamp!, nonce: v.nonce!, signature: v.signature! };
    expect(verify(v.secret!, v.site!, body, headers, Number(v.timestamp))).toEqual({ ok: true, timestamp: 1767225600 });
  });

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
