// Sending one outbox item: an HTTP POST of the event's JSON, signed as
// Flux's generic-hmac provider signs (X-Signature: sha256=<hex HMAC-SHA256
// of the body>), with bounded retries and exponential backoff. The secret
// is read from its file for each attempt and appears in no message.
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fetchFailureCause } from '../util/fetch-cause.js';
import type { OutboxItem } from './outbox.js';

/** Attempts per item before it is given up on and shown as undelivered. */
export const MAX_ATTEMPTS = 5;

export function signature(secret: string | Buffer, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** The URL as messages show it: no user:password, no query (either may hold a token). */
export function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

/** One attempt: undefined when the receiver took it (2xx), else why not. */
export async function attempt(item: OutboxItem): Promise<string | undefined> {
  let secret: Buffer;
  try {
    secret = await readFile(item.receiver.secretFile);
  } catch (e) {
    return `cannot read the secret file ${item.receiver.secretFile}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`;
  }
  // A trailing newline (echo secret > file) is not part of the key.
  const key = secret.toString('utf8').replace(/\r?\n$/, '');
  const body = JSON.stringify(item.event);
  try {
    const res = await fetch(item.receiver.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'vo-reconcile',
        'x-signature': signature(key, body),
        'x-reconcile-event': item.event.type,
        'x-reconcile-delivery': item.event.id,
      },
      body,
      signal: AbortSignal.timeout(item.receiver.timeout * 1000),
    });
    await res.arrayBuffer().catch(() => undefined);
    return res.ok ? undefined : `${shownUrl(item.receiver.url)} answered HTTP ${res.status}`;
  } catch (e) {
    return `${shownUrl(item.receiver.url)}: ${fetchFailureCause(e)}`;
  }
}

/** Attempts until one succeeds or MAX_ATTEMPTS have failed, waiting base, 2×base, 4×base… between them. */
export async function deliverWithRetries(
  item: OutboxItem,
  backoffMs: number,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<OutboxItem & { delivered: boolean }> {
  let current = item;
  while (current.attempts < MAX_ATTEMPTS) {
    if (current.attempts > 0) await sleep(backoffMs * 2 ** (current.attempts - 1));
    const error = await attempt(current);
    current = { ...current, attempts: current.attempts + 1, ...(error ? { lastError: error } : {}) };
    if (!error) return { ...current, delivered: true };
  }
  return { ...current, delivered: false };
}
