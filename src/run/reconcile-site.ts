// One site, start to end, under its controller lock: finish what a dead
// controller left, observe if needed, plan, carry out, and plan again when
// the job finds the site changed since it was observed.
import { mkdir, writeFile } from 'node:fs/promises';
import { withVulnFlags } from '../vuln/job-list.js';
import path from 'node:path';
import type { Catalog } from '../catalog/catalog.js';
import type { ResolvedSite } from '../desired/types.js';
import { readInventory } from '../observed/store.js';
import { planSite } from '../plan/plan-site.js';
import type { SitePlan } from '../plan/types.js';
import type { Transaction } from '../state/records.js';
import { lockSite } from '../state/site-lock.js';
import type { RunContext } from './context.js';
import { finishTransaction, jobChecks, jobScriptFor, recordWithoutJob, startTransaction } from './transaction.js';
import { desiredFingerprint } from '../rollback/fingerprint.js';
import { describeHold, isManual, readHold, releaseHold, writeHold } from '../rollback/holds.js';
import { newNonce, newTxid } from './txid.js';
import { siteStateFile } from '../state/site-paths.js';

export type SiteResult =
  | { site: string; status: 'in-sync' | 'dry-run' | 'held'; detail: string }
  | { site: string; status: 'changed'; detail: string; txid: string }
  | { site: string; status: 'failed'; detail: string; txid?: string; leftOpen?: boolean };

/** Job submitted, but the site kept changing under us: how many fresh plans to try. */
const MAX_PLANS = 3;

/** Probe a site: what does it have now? Same lock and journal as apply. */
export async function observeSite(ctx: RunContext, site: ResolvedSite): Promise<SiteResult> {
  return underLock(ctx, site, 'observe', async () => {
    const probe = await startTransaction(ctx, site, emptyPlan(site.name), 'probe');
    if (!probe.inventory)
      return {
        site: site.name,
        status: 'failed',
        detail: `probe failed: ${probe.reason ?? probe.status}`,
        txid: probe.txid,
      };
    return { site: site.name, status: 'in-sync', detail: `observed ${probe.inventory.packages.length} packages` };
  });
}

export async function reconcileSite(
  ctx: RunContext,
  site: ResolvedSite,
  catalog: Catalog | Error,
): Promise<SiteResult> {
  return underLock(ctx, site, 'apply', () => planAndApply(ctx, site, catalog));
}

export async function underLock(
  ctx: RunContext,
  site: ResolvedSite,
  command: string,
  work: () => Promise<SiteResult>,
): Promise<SiteResult> {
  const release = await lockSite(
    ctx.stateDir,
    site.name,
    { command },
    {
      timeoutMs: site.job_time_limit * 1000,
      onBusy: (holder) =>
        ctx.emit({
          site: site.name,
          kind: 'waiting-lock',
          detail: holder
            ? `held by ${holder.controller} (${holder.command}) since ${holder.since}`
            : 'held by another controller',
        }),
    },
  );
  if (!release)
    return {
      site: site.name,
      status: 'failed',
      detail: `busy: another controller held the site for longer than its job time limit (${site.job_time_limit}s)`,
    };
  ctx.holding(site.name, release.lost);
  try {
    // A dry run touches no site: it neither waits for nor finishes old jobs.
    const resumed = ctx.dryRun ? undefined : await resumeUnfinished(ctx, site);
    // A job that may still be running at the site: nothing new goes there until it is settled.
    if (resumed?.status === 'failed' && resumed.leftOpen) return resumed;
    const result = await work();
    // What a resumed job did is part of this run's report.
    return resumed ? { ...result, detail: `${result.detail} (after ${resumed.detail})` } : result;
  } finally {
    ctx.holding(site.name, undefined);
    await release();
  }
}

async function planAndApply(ctx: RunContext, site: ResolvedSite, catalog: Catalog | Error): Promise<SiteResult> {
  const held = await checkHold(ctx, site);
  if (held) return held;
  let inventory = await readInventory(ctx.stateDir, site.name);
  for (let attempt = 1; attempt <= MAX_PLANS; attempt++) {
    if (!inventory && ctx.dryRun)
      return {
        site: site.name,
        status: 'failed',
        detail: "never observed, and a dry run runs no probe job; run 'reconcile observe' first",
      };
    if (!inventory) {
      ctx.emit({ site: site.name, kind: 'probing', detail: 'no observation yet: probing the site' });
      const probe = await startTransaction(ctx, site, emptyPlan(site.name), 'probe');
      if (!probe.inventory)
        return {
          site: site.name,
          status: 'failed',
          detail: `probe failed: ${probe.reason ?? probe.status}`,
          txid: probe.txid,
        };
      inventory = probe.inventory;
    }
    const plan = await withVulnFlags(ctx.vulnLists, site, planSite(site, inventory, catalog));
    if (plan.status !== 'ok')
      return { site: site.name, status: 'failed', detail: plan.errors.map((e) => e.message).join('; ') };
    const inSync = {
      site: site.name,
      status: 'in-sync',
      detail: `in sync (${inventory.packages.length} packages)`,
    } as const;
    if (plan.actions.length === 0) {
      // Journal that the site is at this revision (once), so a rollback to it knows what it had.
      const here = `${ctx.revision}${ctx.tags.length ? ` ${[...ctx.tags].sort().join(',')}` : ''}`;
      if (ctx.dryRun || (await ctx.lastAppliedRevision(site.name)) === here) return inSync;
      if (site.checks.length === 0) {
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
    const expected = inventory.packages.map((p) => p.pkgname);
    if (ctx.dryRun) return writeDryRun(ctx, site, plan, expected);
    const outcome = await startTransaction(ctx, site, plan, 'apply', expected);
    if (outcome.status === 'succeeded' && plan.actions.length === 0)
      return { ...inSync, detail: `${inSync.detail}; ${site.checks.length} checks passed` };
    if (outcome.status === 'succeeded')
      return { site: site.name, status: 'changed', detail: describe(plan), txid: outcome.txid };
    if (outcome.status !== 'stale')
      return {
        site: site.name,
        status: 'failed',
        detail:
          outcome.status === 'failed' ? (outcome.reason ?? 'failed') : `${outcome.status}: ${outcome.reason ?? ''}`,
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
  const hold = await readHold(ctx.stateDir, site.name);
  if (!hold) return undefined;
  if (isManual(hold))
    return {
      site: site.name,
      status: 'held',
      detail: `${describeHold(hold)}; 'reconcile release ${site.name}' lifts it`,
    };
  if (desiredFingerprint(site) === hold.desired) {
    if (!ctx.dryRun) await releaseHold(ctx.stateDir, site.name);
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

/** Transactions this site's journal left open: wait for their jobs rather than submit again. */
async function resumeUnfinished(ctx: RunContext, site: ResolvedSite): Promise<SiteResult | undefined> {
  const open = await ctx.openTransactions(site.name);
  let last: SiteResult | undefined;
  for (const tx of open) {
    last = await resume(ctx, site, tx);
    if (last.status === 'failed' && last.leftOpen) return last;
  }
  return last;
}

async function resume(ctx: RunContext, site: ResolvedSite, tx: Transaction): Promise<SiteResult> {
  const backend = ctx.backend(tx.submitted?.job.backend ?? site.backend);
  let handle = tx.submitted?.job;
  if (!handle && !(backend instanceof Error)) {
    const found = await backend.find(tx.txid, site).then(
      (h) => ({ h }),
      (e: Error) => ({ error: e.message }),
    );
    if ('error' in found) {
      const detail = `cannot tell whether the job of ${tx.txid} was submitted (${found.error}); it stays open and the next run looks again — nothing new is submitted here until then`;
      return { site: site.name, status: 'failed', detail, txid: tx.txid, leftOpen: true };
    }
    // Its time limit runs from when the transaction began, not from when it was found.
    handle = found.h && { ...found.h, submittedAt: tx.begin.at };
    if (handle)
      await ctx.journal.append({ type: 'submitted', txid: tx.txid, at: new Date().toISOString(), job: handle });
  }
  if (!handle) {
    const reason = 'the controller stopped before the job was submitted';
    await ctx.journal.append({
      type: 'end',
      txid: tx.txid,
      at: new Date().toISOString(),
      site: site.name,
      status: 'failed',
      reason,
    });
    return { site: site.name, status: 'failed', detail: reason, txid: tx.txid };
  }
  ctx.emit({
    site: site.name,
    kind: 'resuming',
    detail: `waiting for job ${handle.id} of ${tx.txid}, left by ${tx.begin.controller}`,
  });
  const outcome = await finishTransaction(ctx, site, tx.begin, handle);
  if (outcome.leftOpen)
    return {
      site: site.name,
      status: 'failed',
      detail: `resumed ${tx.txid}: ${outcome.reason ?? ''}`,
      txid: tx.txid,
      leftOpen: true,
    };
  if (outcome.status === 'succeeded' && tx.begin.kind === 'rollback' && tx.begin.rollback) {
    await writeHold(ctx.stateDir, {
      site: site.name,
      tag: tx.begin.rollback.tag,
      commit: tx.begin.rollback.commit,
      txid: tx.txid,
      at: new Date().toISOString(),
      desired: tx.begin.rollback.desired,
    });
  }
  const detail = `resumed ${tx.txid}: ${outcome.status}${outcome.reason ? ` — ${outcome.reason}` : ''}`;
  return outcome.status === 'succeeded'
    ? { site: site.name, status: 'changed', detail, txid: tx.txid }
    : { site: site.name, status: 'failed', detail, txid: tx.txid };
}

async function writeDryRun(
  ctx: RunContext,
  site: ResolvedSite,
  plan: SitePlan,
  expected: string[],
): Promise<SiteResult> {
  const txid = newTxid(site.name);
  const checks = site.checks.length > 0 ? { checks: jobChecks(site.checks) } : {};
  const script = jobScriptFor(site, {
    txid,
    nonce: newNonce(),
    plan,
    expected,
    kind: 'apply',
    controller: ctx.controller,
    ...checks,
  });
  const file = dryRunScriptFile(ctx.stateDir, site.name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, script, { mode: 0o755 });
  return { site: site.name, status: 'dry-run', detail: `${describe(plan)}; job script written to ${file}` };
}

/** Where --dry-run puts a site's job script. */
export function dryRunScriptFile(stateDir: string, site: string): string {
  return siteStateFile(stateDir, path.join('jobs', 'dry-run'), site, '.sh');
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
