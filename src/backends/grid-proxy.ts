// The grid proxy a submission will carry. A job outlives neither its proxy
// nor the CE's delegation of it, so a site whose job may run longer than
// the proxy has left is refused before anything is submitted. Only the
// certificates' end dates are read: nothing of the proxy (least of all its
// key) is ever copied, logged or reported.
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import os from 'node:os';

/** Time a proxy must have left beyond the job's own limit: output retrieval, clock skew. */
export const PROXY_MARGIN_SECONDS = 600;

export type ProxyCheck = { ok: true; secondsLeft: number; path: string } | { ok: false; message: string };

/** Where the grid clients look: $X509_USER_PROXY, else /tmp/x509up_u<uid>. */
export function proxyPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.X509_USER_PROXY || `/tmp/x509up_u${os.userInfo().uid}`;
}

/** Seconds until the first certificate in the proxy file's chain expires (negative when expired). */
export function secondsLeft(pem: string, now: Date): number | Error {
  const end = chainEnd(pem);
  return end instanceof Error ? end : Math.floor((end - now.getTime()) / 1000);
}

/** The last proxy read, and when its chain ends: 2,000 submissions read one proxy, parsed once. */
let lastChain: { pem: string; end: number | Error } | undefined;

function chainEnd(pem: string): number | Error {
  if (lastChain?.pem === pem) return lastChain.end;
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  let end: number | Error = blocks.length === 0 ? new Error('it holds no certificate') : Infinity;
  for (const b of blocks) {
    try {
      end = Math.min(end as number, Date.parse(new X509Certificate(b).validTo));
    } catch {
      end = new Error('a certificate in it cannot be read');
      break;
    }
  }
  lastChain = { pem, end };
  return end;
}

export async function checkProxy(path: string, jobSeconds: number, now = new Date()): Promise<ProxyCheck> {
  const text = await readFile(path, 'utf8').catch(
    (e: NodeJS.ErrnoException) => new Error(e.code === 'ENOENT' ? 'there is no such file' : (e.code ?? e.message)),
  );
  if (text instanceof Error)
    return {
      ok: false,
      message: `no usable grid proxy at ${path} (${text.message}); create one with 'arcproxy' (or set X509_USER_PROXY)`,
    };
  const left = secondsLeft(text, now);
  if (left instanceof Error)
    return {
      ok: false,
      message: `the grid proxy at ${path} is not usable: ${left.message}; create a new one with 'arcproxy'`,
    };
  const needed = jobSeconds + PROXY_MARGIN_SECONDS;
  if (left <= 0)
    return {
      ok: false,
      message: `the grid proxy at ${path} has expired; renew it with 'arcproxy' — nothing was submitted`,
    };
  if (left < needed) {
    return {
      ok: false,
      message: `the grid proxy at ${path} has ${duration(left)} left, less than the site's job time limit (${duration(jobSeconds)}) plus a ${duration(PROXY_MARGIN_SECONDS)} margin; renew it (arcproxy -c validityPeriod=...) — nothing was submitted`,
    };
  }
  return { ok: true, secondsLeft: left, path };
}

export function duration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s).padStart(2, '0')}s` : `${s}s`;
}
