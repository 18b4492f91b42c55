// How a site proves a report is its own: HMAC-SHA256, keyed with the
// site's secret, over a version tag, the timestamp, a nonce, the site name
// and the body, each on its own line (the body last, verbatim). None of the
// first four can contain a newline, so no two requests sign the same
// string. Pure: the caller supplies the clock and the secret.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const HEADER = {
  timestamp: 'x-reconcile-timestamp',
  nonce: 'x-reconcile-nonce',
  signature: 'x-reconcile-signature',
} as const;

/** How far a report's clock may be from the collector's, either way. */
export const WINDOW_SECONDS = 300;

const TIMESTAMP = /^[0-9]{1,12}$/;
const NONCE = /^[A-Za-z0-9_-]{16,64}$/;
const SIGNATURE = /^sha256=[0-9a-f]{64}$/;

export interface SignedHeaders {
  timestamp: string;
  nonce: string;
  signature: string;
}

function mac(secret: string, site: string, timestamp: string, nonce: string, body: Buffer): Buffer {
  return createHmac('sha256', secret)
    .update(`reconcile-report-v1\n${timestamp}\n${nonce}\n${site}\n`)
    .update(body)
    .digest();
}

export function sign(secret: string, site: string, body: Buffer, timestamp: number, nonce: string): SignedHeaders {
  const ts = String(timestamp);
  return { timestamp: ts, nonce, signature: `sha256=${mac(secret, site, ts, nonce, body).toString('hex')}` };
}

export type SignatureVerdict = { ok: true; timestamp: number } | { ok: false; code: 400 | 401; reason: string };

/**
 * Whether the headers are a valid signature of this body for this site,
 * made within the window around `nowSeconds`. Replays are the caller's
 * concern: it alone knows which nonces were seen.
 */
export function verify(
  secret: string,
  site: string,
  body: Buffer,
  h: Partial<SignedHeaders>,
  nowSeconds: number,
): SignatureVerdict {
  if (h.timestamp === undefined || h.nonce === undefined || h.signature === undefined) {
    return { ok: false, code: 401, reason: `unsigned report: expected headers ${Object.values(HEADER).join(', ')}` };
  }
  if (!TIMESTAMP.test(h.timestamp))
    return {
      ok: false,
      code: 400,
      reason: `${HEADER.timestamp} must be Unix seconds, got ${JSON.stringify(h.timestamp.slice(0, 40))}`,
    };
  if (!NONCE.test(h.nonce))
    return { ok: false, code: 400, reason: `${HEADER.nonce} must be 16-64 characters of A-Z a-z 0-9 _ -` };
  if (!SIGNATURE.test(h.signature))
    return { ok: false, code: 400, reason: `${HEADER.signature} must be sha256= and 64 lowercase hex digits` };
  const expected = mac(secret, site, h.timestamp, h.nonce, body);
  const given = Buffer.from(h.signature.slice('sha256='.length), 'hex');
  if (!timingSafeEqual(expected, given))
    return {
      ok: false,
      code: 401,
      reason: `bad signature: not signed with the secret the collector holds for site '${site}'`,
    };
  // The clock is checked after the signature, so only the site learns that its clock is off.
  const timestamp = Number(h.timestamp);
  const skew = timestamp - nowSeconds;
  if (Math.abs(skew) > WINDOW_SECONDS) {
    return {
      ok: false,
      code: 401,
      reason: `stale report: its timestamp is ${Math.abs(skew)}s ${skew < 0 ? 'behind' : 'ahead of'} the collector's clock (at most ${WINDOW_SECONDS}s allowed); check the site's clock (NTP)`,
    };
  }
  return { ok: true, timestamp };
}
