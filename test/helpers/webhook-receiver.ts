// Webhook receivers on 127.0.0.1 for the notification tests: each checks the
// X-Signature of every POST as a Flux generic-hmac receiver does (its own
// HMAC, not the sender's code); `hold` leaves every request unanswered
// until released. closeReceivers() after each test.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: IncomingMessage['headers'];
  body: string;
  signed: boolean;
}

const servers: Server[] = [];

export async function receiver(secret: string, opts: { hold?: boolean } = {}) {
  const got: Received[] = [];
  const held: ServerResponse[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const want = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
      const sig = Buffer.from(String(req.headers['x-signature'] ?? ''));
      const signed = sig.length === want.length && timingSafeEqual(sig, want);
      got.push({ headers: req.headers, body, signed });
      if (opts.hold) held.push(res);
      else res.writeHead(signed ? 200 : 401).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    got,
    held,
    /** The parsed bodies received so far. */
    events: () => got.map((g) => JSON.parse(g.body) as Record<string, unknown> & { type: string }),
    release: () => held.forEach((r) => r.writeHead(200).end()),
  };
}

export function closeReceivers(): void {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
}

/** A port nothing listens on. */
export async function deadUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return `http://127.0.0.1:${port}/hook`;
}

/** Poll until `what` gives a value (or fail after `ms`). */
export async function until<T>(what: () => T | undefined, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = what();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}
