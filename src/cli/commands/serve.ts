// `reconcile serve`: the HTML report, a read-only JSON API and Prometheus
// metrics over HTTP (127.0.0.1 unless told otherwise), and with --interval
// a reconcile loop that never overlaps itself (held sites are skipped by
// the loop itself, as by apply). With --report-secrets it also takes the
// inventories sites report themselves (the one endpoint that writes).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { UsageError } from '../../errors.js';
import type { GatheredStatus } from '../../report/gather-status.js';
import { StatusMemo } from '../../report/status-memo.js';
import { vulnMetrics } from '../../report/vuln-metrics.js';
import { rolloutMetrics } from '../../report/rollout-metrics.js';
import { planDrifts } from '../../report/fleet-status.js';
import { renderStatusHtml } from '../../report/render-html.js';
import { historyEntry, newestFirst } from '../../report/history.js';
import { applySites, closeRemovedSiteTransactions, removedSitesSummary, type ApplyOptions } from '../../run/apply.js';
import type { StateStore } from '../../state/store.js';
import { foldTransactions } from '../../state/records.js';
import { loadDesiredState } from '../../desired/load.js';
import { REPORT_PATH, ReportReceiver } from '../../site-report/collector-http.js';
import { readSecretsFile } from '../../site-report/secrets.js';
import { flag, stringOpt, type ParsedArgs } from '../args.js';
import { desiredOptions, loggerFromArgs, stateDirFromArgs, stateFromArgs, tagsFromArgs } from '../common.js';
import type { Logger } from 'pino';
import { parseConcurrency, queueNotifications } from './apply.js';
import { rolloutRun } from './apply-rollout.js';
import { runGate } from '../gate.js';
import { rolloutLines } from '../../rollout/describe.js';
import type { CommandResult, Io } from '../io.js';

/** How often the served HTML report reloads itself: the cache makes a reload cheap. */
const PAGE_REFRESH_SECONDS = 60;

interface RunStats {
  lastDurationSeconds?: number;
  lastRunAt?: string;
  runs: number;
}

export async function serveCommand(args: ParsedArgs, io: Io): Promise<CommandResult> {
  const host = stringOpt(args, 'host') ?? '127.0.0.1';
  const port = Number(stringOpt(args, 'port') ?? '8080');
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be 0-65535, got '${stringOpt(args, 'port')}'`);
  const interval = stringOpt(args, 'interval') !== undefined ? parseDuration(stringOpt(args, 'interval')!) : undefined;
  parseConcurrency(stringOpt(args, 'concurrency')); // a bad value is a usage error now, not at the first run
  const stateDir = stateDirFromArgs(args);
  // A long-running server is watched through its log: --log-file (and --log-level) mean what they mean for apply.
  const log = loggerFromArgs(args);
  const desired = await loadDesiredState(desiredOptions(args)); // refuse to start on invalid desired state (exit 2)
  const secretsFile = stringOpt(args, 'report-secrets');
  const secrets = secretsFile ? await readSecretsFile(secretsFile) : new Map<string, string>();
  const unknown = [...secrets.keys()].filter((s) => !desired.sites.some((d) => d.name === s));
  if (unknown.length > 0)
    io.err(
      `note: ${secretsFile} has secrets for sites not in sites.yaml (their reports are refused): ${unknown.join(', ')}`,
    );
  const state = await stateFromArgs(args);
  const reports = new ReportReceiver(
    async () => ({
      stateDir,
      secrets,
      knownSites: new Set((await loadDesiredState(desiredOptions(args))).sites.map((s) => s.name)),
    }),
    state,
    secrets,
  );
  const stats: RunStats = { runs: 0 };
  const memo = new StatusMemo(desiredOptions(args), state, stringOpt(args, 'catalog'));

  const server = createServer((req, res) => {
    handle(req, res, memo, state, stats, reports, log).catch((e: Error) => {
      log.error({ path: req.url, err: e.message }, 'request failed');
      send(res, 500, 'text/plain', `error: ${e.message}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(listenError(e, host, port)));
    server.listen(port, host, resolve);
  });
  const addr = server.address() as { port: number };
  log.info({ host, port: addr.port, reportSites: secrets.size, intervalMs: interval }, 'serving');
  const url = `http://${host}:${addr.port}/`;
  if (flag(args, 'json'))
    io.out(
      JSON.stringify({
        serving: url,
        reportSites: secrets.size,
        ...(interval ? { intervalSeconds: interval / 1000 } : {}),
      }),
    );
  else
    io.out(
      `serving ${url} (status, /api/status, /api/history, /metrics, /healthz)${secrets.size > 0 ? `; taking reports from ${secrets.size} site${secrets.size === 1 ? '' : 's'}` : ''}${interval ? `; reconciling every ${interval / 1000}s` : ''}`,
    );

  let stopping = false;
  const loop = interval ? reconcileLoop(args, io, log, state, stats, interval, () => stopping) : Promise.resolve();
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  stopping = true;
  server.close();
  await loop;
  await state.close();
  log.info('stopped');
  return { exitCode: 0 };
}

async function reconcileLoop(
  args: ParsedArgs,
  io: Io,
  log: Logger,
  state: StateStore,
  stats: RunStats,
  everyMs: number,
  stopping: () => boolean,
): Promise<void> {
  while (!stopping()) {
    const started = Date.now();
    try {
      const desired = await loadDesiredState(desiredOptions(args));
      const options: ApplyOptions = {
        state,
        stateDir: state.localDir,
        revision: desired.revision,
        tags: await tagsFromArgs(args, desired),
        // The same run as `apply` with these options: --concurrency and --catalog mean what they mean there.
        concurrency: parseConcurrency(stringOpt(args, 'concurrency')),
        ...(stringOpt(args, 'catalog') ? { catalogOverride: stringOpt(args, 'catalog')! } : {}),
        dryRun: false,
        emit: (e) => {
          log[e.kind === 'done' && e.status === 'failed' ? 'warn' : 'info']({ site: e.site, event: e.kind }, e.detail);
          io.out(`${e.site}: ${e.kind === 'done' ? '' : `${e.kind}: `}${e.detail}`);
        },
      };
      // The run `apply --yes` makes: a rollout policy decides which sites run now; the run's events are queued.
      const say = (line: string) => (log.info(line), io.out(line));
      const rollout = desired.rollout
        ? await rolloutRun(args, io, state, desired, desired.rollout, { emit: options.emit, say, started })
        : undefined;
      if (rollout?.summary) rolloutLines(rollout.summary).forEach(say);
      // Maintenance windows and downtimes, as for apply (the rollout's run reads them itself).
      const gate = rollout
        ? undefined
        : await runGate(desired, io, { stateDir: state.localDir, dryRun: false, now: Date.now() });
      const results = rollout
        ? rollout.results
        : await applySites(desired.sites, { ...options, ...(gate ? { gate: gate.gate } : {}) });
      // As apply does: what the journal left open at sites sites.yaml no longer has is closed.
      const removed =
        state.failure() || desired.rollout ? [] : await closeRemovedSiteTransactions(desired.sites, options);
      if (removed.length > 0) {
        log.info({ removed }, removedSitesSummary(removed));
        io.out(removedSitesSummary(removed));
      }
      if (!desired.rollout) await queueNotifications(io, desired, state.journal, state.localDir, results, started);
      const changed = results.filter((r) => r.status === 'changed').length;
      const failed = results.filter((r) => r.status === 'failed').length;
      log.info({ changed, failed, sites: results.length }, 'run finished');
      io.out(`run: ${changed} changed, ${failed} failed of ${results.length}`);
    } catch (e) {
      const first = (e as Error).message.split('\n')[0];
      log.error({ err: (e as Error).message }, 'run failed');
      io.err(`run failed: ${first}`);
    }
    stats.runs++;
    stats.lastDurationSeconds = (Date.now() - started) / 1000;
    stats.lastRunAt = new Date().toISOString();
    for (let waited = 0; waited < everyMs && !stopping(); waited += 200) await new Promise((r) => setTimeout(r, 200));
  }
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  memo: StatusMemo,
  state: StateStore,
  stats: RunStats,
  reports: ReportReceiver,
  log: Logger,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const report = REPORT_PATH.exec(url.pathname);
  if (report) {
    if (req.method !== 'POST')
      return send(res, 405, 'text/plain', 'reports are sent with POST (reconcile report)\n', { allow: 'POST' });
    const outcome = await reports.receive(req, report[1]!);
    // The first line only: a malformed report's reasons can run to twenty lines of the sender's text.
    log[outcome.code === 200 ? 'info' : 'warn'](
      { site: report[1], code: outcome.code, remote: req.socket.remoteAddress },
      `report: ${outcome.message.split('\n')[0]}`,
    );
    return send(res, outcome.code, 'text/plain; charset=utf-8', `${outcome.message}\n`);
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'read-only: only GET\n');
  if (url.pathname === '/healthz') return send(res, 200, 'text/plain', 'ok\n');
  if (url.pathname === '/api/history') {
    // The shape `history --json` prints: one documented shape of a transaction.
    const { records } = await state.journal.readAll();
    return send(res, 200, 'application/json', JSON.stringify(newestFirst(foldTransactions(records)).map(historyEntry)));
  }
  if (url.pathname !== '/' && url.pathname !== '/api/status' && url.pathname !== '/metrics')
    return send(res, 404, 'text/plain', 'not found\n');
  const { status, transactions } = await memo.status();
  if (url.pathname === '/')
    return send(
      res,
      200,
      'text/html; charset=utf-8',
      renderStatusHtml(status, { refreshSeconds: PAGE_REFRESH_SECONDS }),
    );
  if (url.pathname === '/api/status') return send(res, 200, 'application/json', JSON.stringify(status));
  if (url.pathname === '/metrics')
    return send(res, 200, 'text/plain; version=0.0.4', metrics(status, transactions, stats));
  return send(res, 404, 'text/plain', 'not found\n');
}

function metrics(status: GatheredStatus['status'], txs: GatheredStatus['transactions'], stats: RunStats): string {
  const siteState = (s: (typeof status.sites)[number]) =>
    s.busy ? 'busy' : s.held ? 'held' : !s.observed ? 'unobserved' : s.plan && planDrifts(s.plan) ? 'drift' : 'in_sync';
  const bySiteState = new Map<string, number>([
    ['in_sync', 0],
    ['drift', 0],
    ['held', 0],
    ['busy', 0],
    ['unobserved', 0],
  ]);
  for (const s of status.sites) bySiteState.set(siteState(s), (bySiteState.get(siteState(s)) ?? 0) + 1);
  const outcomes = new Map<string, number>();
  for (const t of txs)
    if (t.submitted)
      outcomes.set(t.end?.status ?? 'unfinished', (outcomes.get(t.end?.status ?? 'unfinished') ?? 0) + 1);
  const lines = [
    '# HELP vo_reconcile_sites Sites by state.',
    '# TYPE vo_reconcile_sites gauge',
    ...[...bySiteState].map(([k, v]) => `vo_reconcile_sites{state="${k}"} ${v}`),
    '# HELP vo_reconcile_sites_unvalidated Sites whose installed package set has not passed its checks.',
    '# TYPE vo_reconcile_sites_unvalidated gauge',
    `vo_reconcile_sites_unvalidated ${status.sites.filter((s) => s.installed && s.validated?.txid !== s.installed.txid).length}`,
    '# HELP vo_reconcile_jobs_total Jobs by outcome, from the journal.',
    '# TYPE vo_reconcile_jobs_total counter',
    ...[...outcomes].map(([k, v]) => `vo_reconcile_jobs_total{outcome="${k.replace(/-/g, '_')}"} ${v}`),
    '# HELP vo_reconcile_last_run_duration_seconds Duration of the last scheduled run.',
    '# TYPE vo_reconcile_last_run_duration_seconds gauge',
    `vo_reconcile_last_run_duration_seconds ${stats.lastDurationSeconds ?? 0}`,
    '# HELP vo_reconcile_runs_total Scheduled runs since the server started.',
    '# TYPE vo_reconcile_runs_total counter',
    `vo_reconcile_runs_total ${stats.runs}`,
    ...vulnMetrics(status),
    ...rolloutMetrics(status.rollout),
  ];
  return `${lines.join('\n')}\n`;
}

function send(res: ServerResponse, code: number, type: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(code, {
    'content-type': type,
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
    ...extra,
  });
  res.end(body);
}

export function parseDuration(v: string): number {
  const m = /^([1-9][0-9]*)(s|m|h)$/.exec(v);
  if (!m) throw new UsageError(`--interval must look like 30s, 5m or 6h, got '${v}'`);
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 's' | 'm' | 'h'];
}

/** Why serve could not listen, as a usage error when the user can fix it with an option. */
function listenError(e: NodeJS.ErrnoException, host: string, port: number): Error {
  if (e.code === 'EADDRINUSE') return new UsageError(`port ${port} is in use on ${host}; pick another with --port`);
  if (e.code === 'EACCES')
    return new UsageError(`port ${port} on ${host} needs privileges; pick one above 1023 with --port`);
  if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND')
    return new UsageError(`cannot listen on ${host}: no such local address; pick another with --host`);
  return e;
}
