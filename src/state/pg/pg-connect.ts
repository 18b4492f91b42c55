// Connecting to the state database, and saying in one line why it failed.
// Every message names the URL without its password and is scrubbed of the
// password, whatever the server or the socket said.
import pg from 'pg';
import { redactUrl, scrub, urlPassword } from '../redact-url.js';
import { StateFailure } from '../store.js';

export interface PgTarget {
  url: string;
  /** The URL as it may be shown. */
  where: string;
  password: string | undefined;
}

export function pgTarget(url: string): PgTarget {
  return { url, where: redactUrl(url), password: urlPassword(url) };
}

/** How long connecting may take before the database counts as unreachable. */
const CONNECT_TIMEOUT_MS = Math.max(500, Number(process.env.VO_RECONCILE_PG_CONNECT_TIMEOUT_MS) || 5000);

export function clientConfig(t: PgTarget): pg.ClientConfig {
  return {
    connectionString: t.url,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    keepAlive: true,
    application_name: 'vo-reconcile',
  };
}

export function newPool(t: PgTarget): pg.Pool {
  return new pg.Pool({ ...clientConfig(t), max: 4, idleTimeoutMillis: 10_000 });
}

/** The one line for a database error: what kind of failure, where, and what the driver said (scrubbed). */
export function describePgError(t: PgTarget, e: unknown, doing = 'use'): StateFailure {
  const err = e as Error & { code?: string };
  const said = scrub(err?.message ?? String(e), t.password).split('\n')[0]!;
  const code = err?.code ?? '';
  let what: string;
  if (code === '28P01' || code === '28000') what = `the state database ${t.where} refused the login`;
  else if (code === '3D000') what = `the state database ${t.where} does not exist`;
  else if (isConnectionError(e)) what = `cannot reach the state database ${t.where}`;
  else what = `cannot ${doing} the state database ${t.where}`;
  return new StateFailure(`${what}: ${said}`);
}

/** A failure of the connection itself (server gone, refused, timed out), not of a statement. */
export function isConnectionError(e: unknown): boolean {
  const err = e as Error & { code?: string };
  const code = err?.code ?? '';
  if (/^(08|57P)/.test(code)) return true;
  if (/^E[A-Z]+$/.test(code)) return true; // ECONNREFUSED, ECONNRESET, ENOTFOUND, ETIMEDOUT, EPIPE …
  return /connection|terminat|timeout|timed out|ECONN|socket/i.test(err?.message ?? '');
}
