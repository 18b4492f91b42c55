// Accepting a site's report: who may send it (the site's secret), whether
// it is fresh and new (timestamp window, nonce), whether it is an
// inventory at all, and only then storing it: the history record first
// (it is the replay guard), then the site's observed state — between the
// site's transactions only (state/between-transactions.ts): a report that
// arrives while one runs, or is left open, is kept as history only. Any
// refusal stores nothing.
import { InputError } from '../errors.js';
import { reportExists, reportFile, reportRecord, storeReport } from '../observed/report-history.js';
import { readInventory, writeInventory } from '../observed/store.js';
import { verify, type SignedHeaders } from './signature.js';
import { decodeReport } from './wire.js';
import { SITE_NAME } from '../state/site-paths.js';
import { betweenTransactions } from '../state/between-transactions.js';
import type { StateStore } from '../state/store.js';

export interface IncomingReport {
  site: string;
  headers: Partial<SignedHeaders>;
  body: Buffer;
  remote: string;
}

export interface CollectorContext {
  /** Where observations and the report history are (the local state directory). */
  stateDir: string;
  /** The site locks and journal the site's transactions run under. */
  state: Pick<StateStore, 'locks' | 'journal'>;
  secrets: ReadonlyMap<string, string>;
  /** The sites of the desired state at HEAD. */
  knownSites: ReadonlySet<string>;
  now: Date;
}

export interface Outcome {
  code: 200 | 400 | 401;
  message: string;
}

export async function acceptReport(ctx: CollectorContext, r: IncomingReport): Promise<Outcome> {
  if (!SITE_NAME.test(r.site))
    return { code: 400, message: `invalid site name ${JSON.stringify(r.site.slice(0, 80))}` };
  const secret = ctx.secrets.get(r.site);
  if (!secret || !ctx.knownSites.has(r.site)) {
    return {
      code: 401,
      message: `unknown site '${r.site}': the collector takes reports only from sites in sites.yaml with a secret in its --report-secrets file`,
    };
  }
  const verdict = verify(secret, r.site, r.body, r.headers, Math.floor(ctx.now.getTime() / 1000));
  if (!verdict.ok) return { code: verdict.code, message: verdict.reason };
  const reportedAt = new Date(verdict.timestamp * 1000).toISOString();
  const nonce = r.headers.nonce!;
  const file = reportFile(ctx.stateDir, r.site, reportedAt, nonce);
  const replayed: Outcome = {
    code: 401,
    message: `replayed report: timestamp ${verdict.timestamp} with nonce ${nonce} was accepted before; each report needs a new nonce`,
  };
  if (await reportExists(file)) return replayed;
  let inventory;
  try {
    inventory = decodeReport(r.body, r.site, { observedAt: reportedAt, origin: file });
  } catch (e) {
    if (e instanceof InputError)
      return { code: 400, message: `malformed report:\n${e.message.split('\n').slice(0, 20).join('\n')}` };
    throw e;
  }
  const stored = await storeReport(
    ctx.stateDir,
    reportRecord(inventory, { reportedAt, receivedAt: ctx.now.toISOString(), nonce, remote: r.remote }),
  );
  if (!stored.stored) return replayed;
  const written = await betweenTransactions(ctx.state, r.site, 'report', async () => {
    // A report that arrives after a newer observation (a probe, a later report) stays history only.
    const current = await readInventory(ctx.stateDir, r.site).catch(() => undefined);
    const newest = !current || current.observedAt <= reportedAt;
    if (newest) await writeInventory(ctx.stateDir, inventory);
    return newest;
  });
  const automatic = inventory.packages.filter((p) => p.automatic).length;
  const historyOnly = !written.ran
    ? ` as history only (a transaction is running at the site: ${written.busy}; it observes the site itself when it ends)`
    : written.value
      ? ''
      : ' as history only (a newer observation exists)';
  return {
    code: 200,
    message: `${r.site}: stored ${inventory.packages.length} packages (${automatic} automatic) reported at ${reportedAt}${historyOnly}`,
  };
}
