// The one write endpoint of `serve`: POST /api/sites/<site>/inventory.
// Reads the body up to a cap, then hands it to acceptReport; reports are
// taken one at a time so two of one site cannot interleave their writes.
import type { IncomingMessage } from 'node:http';
import PQueue from 'p-queue';
import { acceptReport, type CollectorContext, type Outcome } from './collector.js';
import { HEADER } from './signature.js';
import { MAX_BODY_BYTES } from './wire.js';

export const REPORT_PATH = /^\/api\/sites\/([^/]*)\/inventory$/;

export type HttpOutcome = Outcome | { code: 413; message: string };

export class ReportReceiver {
  private readonly queue = new PQueue({ concurrency: 1 });

  constructor(private readonly context: () => Promise<Omit<CollectorContext, 'now'>>) {}

  async receive(req: IncomingMessage, rawSite: string): Promise<HttpOutcome> {
    const body = await readCapped(req, MAX_BODY_BYTES);
    if (!body) return { code: 413, message: `report too large: at most ${MAX_BODY_BYTES} bytes` };
    let site: string;
    try {
      site = decodeURIComponent(rawSite);
    } catch {
      return { code: 400, message: 'invalid site name in the path' };
    }
    const header = (name: string) => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : undefined);
    const headers = { timestamp: header(HEADER.timestamp), nonce: header(HEADER.nonce), signature: header(HEADER.signature) };
    const defined = Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined));
    return (await this.queue.add(async () =>
      acceptReport({ ...(await this.context()), now: new Date() }, { site, headers: defined, body, remote: req.socket.remoteAddress ?? 'unknown' }),
    ))!;
  }
}

/**
 * The body, or undefined when it is larger than `max`. An oversized body
 * is read to its end and dropped rather than cut off, so the sender gets
 * the 413 and its reason instead of a reset connection.
 */
function readCapped(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > max) size = declared;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= max) chunks.push(c);
    });
    req.on('end', () => resolve(size > max ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
