// One transaction of a site: begun here (its begin record), then driven by
// the state machine (tx/machine.ts, tx/driver.ts) to its end — the same way
// whether it starts now or was left open by a controller that died. The
// parts a newcomer looks for: the journal protocol is tx/machine.ts, the
// retry and poll policy tx/policy.ts, the verdicts tx/verdict.ts, the job
// spec mapping tx/job-request.ts.
import type { ResolvedSite } from '../desired/types.js';
import type { Inventory } from '../observed/types.js';
import type { SitePlan } from '../plan/types.js';
import type { BeginRecord, Transaction, TransactionKind } from '../state/records.js';
import { holdAfterRollback } from '../rollback/holds.js';
import type { RunContext } from './context.js';
import type { SlotRelease } from './job-slots.js';
import { driveTransaction } from './tx/driver.js';
import { jobChecks } from './tx/job-request.js';
import { foldTx, newTx, rollbackHold, step, type TxOutcome } from './tx/machine.js';
import { isoAt } from './ports.js';
import { packageSets } from './tx/verdict.js';
import { newNonce, newTxid } from './txid.js';
import { jobVulnList } from '../vuln/job-list.js';

export type { TxOutcome } from './tx/machine.js';
export { jobChecks } from './tx/job-request.js';

export async function startTransaction(
  ctx: RunContext,
  site: ResolvedSite,
  plan: SitePlan,
  kind: TransactionKind,
  expected?: string[],
  extra: Partial<BeginRecord> = {},
  /** The job slot the caller holds for this transaction's job (reconcile-site.ts slotIfOpen), handed on. */
  slot?: SlotRelease,
): Promise<TxOutcome> {
  // A slot handed in is given back on every way out, this one included.
  const vulns = await jobVulnList(ctx.vulnLists, site, expected).catch((e: unknown) => {
    slot?.();
    throw e;
  });
  const begin: BeginRecord = {
    ...beginRecord(ctx, site, plan, kind),
    nonce: newNonce(),
    ...(expected ? { expected } : {}),
    ...(kind !== 'probe' && site.checks.length > 0 ? { checks: jobChecks(site.checks) } : {}),
    ...(vulns ? { vulnerabilities: vulns.record } : {}),
    ...extra,
  };
  return driveTransaction(ctx, site, newTx(begin), {
    ...(vulns ? { vulnerabilities: vulns.text } : {}),
    ...(slot ? { slot } : {}),
  });
}

/** Carry a transaction the journal left open to its end: wait for its job rather than submit again. */
export function resumeTransaction(ctx: RunContext, site: ResolvedSite, tx: Transaction): Promise<TxOutcome> {
  return driveTransaction(ctx, site, foldTx(tx));
}

/**
 * Close a transaction the journal left open whose site is gone from
 * sites.yaml: no site configuration is left to follow its job with, and
 * nobody means to manage the site. Its end is journalled (failed, with the
 * reason); the job, if one exists, is not cancelled — it may be changing
 * the site and runs out under its own time limit and site lock.
 */
export async function closeTransaction(ctx: RunContext, tx: Transaction, why: string): Promise<TxOutcome> {
  const r = step(foldTx(tx), { type: 'site-removed', reason: why, at: isoAt(ctx.clock) });
  if (r.records.length > 0) await ctx.journal.append(...r.records);
  if (r.command.do !== 'stop') throw new Error(`closing ${tx.txid} left it ${r.state.phase}`);
  return r.command.outcome;
}

/**
 * A transaction that needed no job (the site was already as wanted):
 * journalled so the journal knows which commit the site is at, which is
 * what a later rollback to that commit restores. A rollback's hold is
 * written before its records: a crash between leaves the site held with
 * its rollback unjournalled (nothing was changed there), never a rollback
 * in the journal with no hold.
 */
export async function recordWithoutJob(
  ctx: RunContext,
  site: ResolvedSite,
  plan: SitePlan,
  kind: TransactionKind,
  inventory: Inventory,
  extra: Partial<BeginRecord> = {},
): Promise<TxOutcome> {
  const begin: BeginRecord = { ...beginRecord(ctx, site, plan, kind), nonce: '', ...extra };
  const { txid, at } = begin;
  // No job, so no check ran: the package set is installed but, if the site has checks, not validated.
  const unchecked = (extra.checks ?? site.checks).length > 0;
  const notes = ['nothing to do: no job was run', ...(unchecked ? ['checks not run: no job'] : [])];
  const held =
    kind === 'rollback' && begin.rollback ? await holdAfterRollback(ctx.holds, rollbackHold(begin, at)) : false;
  await ctx.journal.append(
    begin,
    { type: 'finished', txid, at, results: [], observedAfter: packageSets(inventory), audit: [], notes },
    {
      type: 'end',
      txid,
      at,
      site: site.name,
      status: 'succeeded',
      reason: 'already as wanted',
      installed: true,
      validated: !unchecked,
    },
  );
  return { kind: 'ended', txid, status: 'succeeded', cause: 'verdict', inventory, ...(held ? { held } : {}) };
}

function beginRecord(
  ctx: RunContext,
  site: ResolvedSite,
  plan: SitePlan,
  kind: TransactionKind,
): Omit<BeginRecord, 'nonce'> {
  const now = ctx.clock.now();
  return {
    type: 'begin',
    txid: newTxid(site.name, new Date(now)),
    at: new Date(now).toISOString(),
    site: site.name,
    kind,
    revision: ctx.revision,
    tags: ctx.tags,
    plan,
    controller: ctx.controller,
    timeLimit: site.job_time_limit,
  };
}
