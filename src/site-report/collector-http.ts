// The one write endpoint of `serve`: POST /api/sites/<site>/inventory.
// Reads the body up to a cap, then hands it to acceptReport; reports are
// taken one at a time so two of one site cannot interleave their writes.
import type { IncomingMessage } from 'node:http';
import PQueue from 'p-queue';
import { acceptReport, type CollectorContext, type Outcome } from './collector.js';
import { HEADER } from './signature.js';
import { MAX_BODY_BYTES } from './wire.js';

export const REPORT_PATH = /^\/api\/sites\/([^/]*)\/inventory$/;

export type HttpOutcome = Outcome | { code: 404 | 413; message: string };

export class ReportReceiver {
  private readonly queue = new PQueue({ concurrency: 1 });

  constructor(
    private readonly context: () => Promise<Omit<CollectorContext, 'now' | 'state'>>,
    /** The site locks and journal of the controllers: an observation is written between a site's transactions. */
    private readonly state: CollectorContext['state'],
    /** The sites with a secret: a report from any other, or unsigned, is refused before its body is kept or the desired state read. */
    private readonly secrets: ReadonlyMap<string, string>,
  ) {}

  async receive(req: IncomingMessage, rawSite: string): Promise<HttpOutcome> {
    if (this.secrets.size === 0) {
      // Not "unknown site": the site may well be in sites.yaml; this server takes no reports at all.
      await discard(req);
      return {
        code: 404,
        message:
          'this server takes no site reports: it was started without --report-secrets (see reconcile serve --help)',
      };
    }
    let site: string;
    try {
      site = decodeURIComponent(rawSite);
    } catch {
      return { code: 400, message: 'invalid site name in the path', ...(await discard(req)) };
    }
    const header = (name: string) =>
      typeof req.headers[name] === 'string' ? (req.headers[name] as string) : undefined;
    const headers = {
      timestamp: header(HEADER.timestamp),
      nonce: header(HEADER.nonce),
      signature: header(HEADER.signature),
    };
    const defined = Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined));
    if (!this.secrets.has(site) || Object.keys(defined).length < 3) {
      // The same verdict acceptReport would give, without holding the body or reading git.
      await discard(req);
      return acceptReport(
        {
          stateDir: '',
          state: this.state,
          secrets: this.secrets,
          knownSites: new Set(this.secrets.keys()),
          now: new Date(),
        },
        { site, headers: defined, body: Buffer.alloc(0), remote: '' },
      );
    }
    const body = await readCapped(req, MAX_BODY_BYTES);
    if (!body) return { code: 413, message: `report too large: at most ${MAX_BODY_BYTES} bytes` };
    return (await this.queue.add(async () =>
      acceptReport(
        { ...(await this.context()), state: this.state, now: new Date() },
        { site, headers: defined, body, remote: req.socket.remoteAddress ?? 'unknown' },
      ),
    ))!;
  }
}

/** Read a refused request's body to its end, keeping nothing, so the sender gets the answer rather than a reset connection. */
async function discard(req: IncomingMessage): Promise<Record<string, never>> {
  await readCapped(req, 0).catch(() => undefined);
  return {};
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
