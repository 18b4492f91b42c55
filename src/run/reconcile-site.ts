// One site, start to end, under its controller lock: finish what a dead
// controller left, observe if needed, plan, carry out, and plan again when
// the job finds the site changed since it was observed.
import { planKnowingVulns } from '../vuln/job-list.js';
import type { Catalog } from '../catalog/catalog.js';
import type { ResolvedSite } from '../desired/types.js';
import { appliedKey, idleWork } from '../plan/site-work.js';
import type { SitePlan } from '../plan/types.js';
import type { Transaction } from '../state/records.js';
import { observationDigest } from '../plan-file/digests.js';
import type { LockOwner } from '../state/site-lock.js';
import type { RunContext } from './context.js';
import type { SlotRelease } from './job-slots.js';
import { recordWithoutJob, resumeTransaction, startTransaction, type TxOutcome } from './transaction.js';
import { sameDesired } from '../rollback/fingerprint.js';
import { describeHold, isManual } from '../rollback/holds.js';

/**
 * A plan someone reviewed (`plan --out`, or the terminal's confirmation):
 * carried out as it is, never planned again, and only while the site's
 * observation is the one it was made from (src/plan-file/).
 */
export interface ReviewedSitePlan {
  plan: SitePlan;
  /** The digest of the observation it was made from (observationDigest), or null: the site was not observed. */
  observation: string | null;
}

export type SiteResult =
  | { site: string; status: 'in-sync' | 'dry-run' | 'held'; detail: string }
  /** A window or downtime closed the site when its job was due: nothing was submitted; a later run reaches it. */
  | { site: string; status: 'deferred'; detail: string; until?: string }
  | { site: string; status: 'changed'; detail: string; txid: string }
  /** The run stopped starting sites (a rollout's wave over its budget) before this one got a job: left untouched. */
  | { site: string; status: 'not-started'; detail: string }
  | {
      site: string;
      status: 'failed';
      detail: string;
      txid?: string;
      leftOpen?: boolean;
      /** Another controller held the site's lock: nothing was done there (apply.ts retries it). */
      busy?: boolean;
    };

/** Job submitted, but the site kept changing under us: how many fresh plans to try. */
const MAX_PLANS = 3;

/** Probe a site: what does it have now? Same lock and journal as apply. */
export async function observeSite(ctx: RunContext, site: ResolvedSite): Promise<SiteResult> {
  return underLock(ctx, site, 'observe', async () => {
    const go = await slotIfOpen(ctx, site);
    if (go.closed) return go.closed;
    const probe = await startTransaction(ctx, site, emptyPlan(site.name), 'probe', undefined, {}, go.slot);
    const inventory = probe.kind === 'ended' ? probe.inventory : undefined;
    if (!inventory) return probeFailed(site, probe);
    return { site: site.name, status: 'in-sync', detail: `observed ${inventory.packages.length} packages` };
  });
}

export async function reconcileSite(
  ctx: RunContext,
  site: ResolvedSite,
  catalog: Catalog | Error,
  reviewed?: ReviewedSitePlan,
): Promise<SiteResult> {
  return underLock(ctx, site, 'apply', () => planAndApply(ctx, site, catalog, reviewed));
}

/**
 * Run `work` under the site's lock, tried once: a site another controller
 * holds is answered at once as busy (apply.ts puts it back in the queue and
 * gives its slot to the next site) rather than waited for in a slot.
 */
export async function underLock(
  ctx: RunContext,
  site: ResolvedSite,
  command: string,
  work: () => Promise<SiteResult>,
): Promise<SiteResult> {
  let holder: LockOwner | undefined;
  const release = await ctx.locks.acquire(site.name, command, {
    timeoutMs: 0,
    onBusy: (h) => {
      holder = h;
    },
  });
  if (!release)
    return {
      site: site.name,
      status: 'failed',
      busy: true,
      detail: `busy: ${holder ? `held by ${holder.controller} (${holder.command}) since ${holder.since}` : 'held by another controller'}`,
    };
  try {
    const resumed = await resumeUnfinished(ctx, site);
    // A job that may still be running at the site: nothing new goes there until it is settled.
    if (resumed?.status === 'failed' && resumed.leftOpen) return resumed;
    const result = await work();
    // What a resumed job did is part of this run's report: a site it changed counts as changed.
    if (!resumed) return result;
    const detail = `${result.detail} (after ${resumed.detail})`;
    if (resumed.status === 'changed' && result.status === 'in-sync')
      return { site: result.site, status: 'changed', detail, txid: resumed.txid };
    return { ...result, detail };
  } finally {
    await release();
  }
}

async function planAndApply(
  ctx: RunContext,
  site: ResolvedSite,
  catalog: Catalog | Error,
  reviewed?: ReviewedSitePlan,
): Promise<SiteResult> {
  const held = await checkHold(ctx, site);
  if (held) return held;
  const closed = deferredNow(ctx, site);
  if (closed) return closed;
  let inventory = await ctx.observations.read(site.name);
  // Checked again under the lock: another controller may have run since the plan was checked.
  if (reviewed?.observation === null)
    return {
      site: site.name,
      status: 'failed',
      detail: `not observed when the reviewed plan was made, so it has nothing to carry out here; observe the site and plan again`,
    };
  if (reviewed && observationDigest(inventory) !== reviewed.observation)
    return {
      site: site.name,
      status: 'failed',
      detail: `stale: the site's observation changed since the reviewed plan was made; nothing was done here (plan again)`,
    };
  for (let attempt = 1; attempt <= MAX_PLANS; attempt++) {
    if (!inventory) {
      ctx.emit({ site: site.name, kind: 'probing', detail: 'no observation yet: probing the site' });
      const go = await slotIfOpen(ctx, site, false);
      if (go.closed) return go.closed;
      const probe = await startTransaction(ctx, site, emptyPlan(site.name), 'probe', undefined, {}, go.slot);
      if (probe.kind !== 'ended' || !probe.inventory) return probeFailed(site, probe);
      inventory = probe.inventory;
    }
    const plan = reviewed?.plan ?? (await planKnowingVulns(ctx.vulnLists, site, inventory, catalog));
    if (plan.status !== 'ok')
      return { site: site.name, status: 'failed', detail: plan.errors.map((e) => e.message).join('; ') };
    const inSync = {
      site: site.name,
      status: 'in-sync',
      detail: `in sync (${inventory.packages.length} packages)`,
    } as const;
    if (plan.actions.length === 0) {
      // Journal that the site is at this revision (once), so a rollback to it knows what it had.
      const here = appliedKey(ctx.revision, ctx.tags);
      const work = idleWork(site.checks.length, await ctx.journal.lastAppliedRevision(site.name), here);
      if (work === 'in-sync') return inSync;
      if (work === 'record') {
        await recordWithoutJob(ctx, site, plan, 'apply', inventory);
        return inSync;
      }
      // Nothing to install, but this revision's package set is not live until its checks pass there: a job with no actions runs them.
    }
    ctx.emit({
      site: site.name,
      kind: 'planned',
      detail: describe(plan) || `nothing to change; validating with ${site.checks.length} checks`,
    });
    // Asked again at submission: a probe or the wait for a slot takes time, and a window may have closed meanwhile.
    const go = await slotIfOpen(ctx, site, false);
    if (go.closed) return go.closed;
    const expected = inventory.packages.map((p) => p.pkgname);
    const notes = gateNotes(ctx, site);
    const extra = notes.length > 0 ? { notes } : {};
    const outcome = await startTransaction(ctx, site, plan, 'apply', expected, extra, go.slot);
    if (outcome.kind === 'recorded')
      return { site: site.name, status: 'dry-run', detail: `${describe(plan)}; job script written to ${outcome.file}` };
    if (outcome.status === 'succeeded' && plan.actions.length === 0)
      return { ...inSync, detail: `${inSync.detail}; ${site.checks.length} checks passed` };
    if (outcome.status === 'succeeded')
      return { site: site.name, status: 'changed', detail: describe(plan), txid: outcome.txid };
    if (outcome.kind !== 'ended' || outcome.status !== 'stale') return failedWith(site, outcome);
    // A reviewed plan is never replaced by one nobody reviewed.
    if (reviewed)
      return {
        site: site.name,
        status: 'failed',
        detail: `stale: the job found the site changed since it was observed and did nothing; plan again (${outcome.txid})`,
        txid: outcome.txid,
      };
    inventory = outcome.inventory;
  }
  return {
    site: site.name,
    status: 'failed',
    detail: `the site changed under every one of ${MAX_PLANS} plans; is something else installing packages there?`,
  };
}

/**
 * A rolled-back site stays as it was rolled back to until the desired state
 * at HEAD says the same as the tag did (then the hold goes by itself), or
 * `reconcile release` lifts it.
 */
async function checkHold(ctx: RunContext, site: ResolvedSite): Promise<SiteResult | undefined> {
  const hold = await ctx.holds.read(site.name);
  if (!hold) return undefined;
  if (isManual(hold))
    return {
      site: site.name,
      status: 'held',
      detail: `${describeHold(hold)}; 'reconcile release ${site.name}' lifts it`,
    };
  if (sameDesired(site, hold.desired)) {
    await ctx.holds.release(site.name);
    ctx.emit({
      site: site.name,
      kind: 'released',
      detail: `hold from rollback to ${hold.tag} lifted: the desired state now equals ${hold.tag}'s`,
    });
    return undefined;
  }
  return {
    site: site.name,
    status: 'held',
    detail: `held since the rollback to ${hold.tag} (${hold.txid}, ${hold.at}); left alone until the desired state equals ${hold.tag}'s or 'reconcile release ${site.name}'`,
  };
}

/**
 * The site's windows or downtimes close it now: no job goes there. Asked
 * right before each submission, never while a job runs (a window that opens
 * mid-job does not stop it). Ongoing WARNING downtimes are announced.
 */
export function deferredNow(ctx: RunContext, site: ResolvedSite, announce = true): SiteResult | undefined {
  const g = ctx.gate?.(site);
  if (!g) return undefined;
  if (g.open) {
    if (announce) for (const note of g.notes) ctx.emit({ site: site.name, kind: 'planned', detail: `note: ${note}` });
    return undefined;
  }
  return { site: site.name, status: 'deferred', detail: g.reason, ...(g.until ? { until: g.until } : {}) };
}

/**
 * Wait for one of the run's job slots, then ask the site's gate: the slot to
 * submit the job under, or why no job goes there now (the slot given back).
 * In this order, as a window may close while the site waits for its slot.
 */
export async function slotIfOpen(
  ctx: RunContext,
  site: ResolvedSite,
  announce = true,
): Promise<{ slot?: SlotRelease; closed?: SiteResult }> {
  const slot = await ctx.jobSlots?.acquire();
  // Asked with the slot in hand: a wave's failure that freed it is already counted.
  if (ctx.mayStart && !ctx.mayStart(site.name)) {
    slot?.();
    return {
      closed: { site: site.name, status: 'not-started', detail: 'not started: the run stopped starting sites' },
    };
  }
  const closed = deferredNow(ctx, site, announce);
  if (closed) {
    slot?.();
    return { closed };
  }
  return slot ? { slot } : {};
}

/** What the journal keeps of the site's gate with the transaction: its WARNING downtimes. */
export function gateNotes(ctx: RunContext, site: ResolvedSite): string[] {
  const g = ctx.gate?.(site);
  return g ? g.notes : [];
}

/** Transactions this site's journal left open: wait for their jobs rather than submit again. */
async function resumeUnfinished(ctx: RunContext, site: ResolvedSite): Promise<SiteResult | undefined> {
  const open = await ctx.journal.openTransactions(site.name);
  let last: SiteResult | undefined;
  for (const tx of open) {
    last = await resume(ctx, site, tx);
    if (last.status === 'failed' && last.leftOpen) return last;
  }
  return last;
}

async function resume(ctx: RunContext, site: ResolvedSite, tx: Transaction): Promise<SiteResult> {
  const outcome = await resumeTransaction(ctx, site, tx);
  if (outcome.kind === 'left-open')
    return {
      site: site.name,
      status: 'failed',
      // A job found to be unknowable says so itself; a job that could not be stopped is named with its transaction.
      detail: outcome.cause === 'submission-unknown' ? outcome.reason : `resumed ${tx.txid}: ${outcome.reason}`,
      txid: tx.txid,
      leftOpen: true,
    };
  if (outcome.kind === 'ended' && outcome.cause === 'never-submitted')
    return { site: site.name, status: 'failed', detail: outcome.reason ?? '', txid: tx.txid };
  const reason = outcome.reason ? ` — ${outcome.reason}` : '';
  const detail = `resumed ${tx.txid}: ${outcome.status}${reason}`;
  return outcome.status === 'succeeded'
    ? { site: site.name, status: 'changed', detail, txid: tx.txid }
    : { site: site.name, status: 'failed', detail, txid: tx.txid };
}

/** A site whose probe gave no package listing. */
function probeFailed(site: ResolvedSite, probe: TxOutcome): SiteResult {
  if (probe.kind === 'recorded')
    return {
      site: site.name,
      status: 'failed',
      detail: "never observed, and a dry run runs no probe job; run 'reconcile observe' first",
    };
  const why = probe.reason ?? probe.status;
  return { site: site.name, status: 'failed', detail: `probe failed: ${why}`, txid: probe.txid };
}

/** A transaction that did not bring the site where it was meant to. */
export function failedWith(site: ResolvedSite, outcome: TxOutcome): SiteResult {
  const { reason } = outcome;
  const detail = outcome.status === 'failed' ? (reason ?? 'failed') : `${outcome.status}: ${reason ?? ''}`;
  return {
    site: site.name,
    status: 'failed',
    detail,
    txid: outcome.txid,
    ...(outcome.kind === 'left-open' ? { leftOpen: true } : {}),
  };
}

export function emptyPlan(site: string): SitePlan {
  return { site, status: 'ok', actions: [], kept: [], errors: [] };
}

export function describe(plan: SitePlan): string {
  const count = (k: string) => plan.actions.filter((a) => a.action === k).length;
  return (['install', 'upgrade', 'downgrade', 'remove'] as const)
    .map((k) => [k, count(k)] as const)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} to ${k}`)
    .join(', ');
}
