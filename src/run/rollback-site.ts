// Rolling one site back to what a tag produced, under its lock: the exact
// package set of the transaction that applied the tag's commit, or — for a
// site the tag never reached — a plan from the desired state at that
// commit. Nothing is touched unless every package needed is on offer.
import type { Catalog } from '../catalog/catalog.js';
import { withVulnFlags } from '../vuln/job-list.js';
import type { ResolvedSite } from '../desired/types.js';
import type { Inventory } from '../observed/types.js';
import { planSite } from '../plan/plan-site.js';
import type { SitePlan } from '../plan/types.js';
import { desiredFingerprint } from '../rollback/fingerprint.js';
import { planRestore } from '../rollback/plan-rollback.js';
import { restorePoint } from '../rollback/restore-point.js';
import type { RunContext } from './context.js';
import {
  deferredNow,
  describe,
  emptyPlan,
  failedWith,
  slotIfOpen,
  underLock,
  type SiteResult,
} from './reconcile-site.js';
import { describeHold, isManual } from '../rollback/holds.js';
import { jobChecks, recordWithoutJob, startTransaction } from './transaction.js';

export interface RollbackTarget {
  tag: string;
  commit: string;
  /** The site as the desired state at the tag's commit resolves it (undefined if it did not exist then). */
  siteAtTag: ResolvedSite | undefined;
}

const MAX_PLANS = 3;

export async function rollbackSite(
  ctx: RunContext,
  site: ResolvedSite,
  catalog: Catalog | Error,
  target: RollbackTarget,
): Promise<SiteResult> {
  return underLock(ctx, site, 'rollback', async () => {
    // Held by hand (a downtime, say): no job goes there, a rollback's neither.
    const hold = await ctx.holds.read(site.name);
    if (hold && isManual(hold))
      return {
        site: site.name,
        status: 'held',
        detail: `${describeHold(hold)}; not rolled back: 'reconcile release ${site.name}' first`,
      };
    const closed = deferredNow(ctx, site);
    if (closed) return { ...closed, detail: `${closed.detail}; not rolled back yet` };
    if (catalog instanceof Error) return { site: site.name, status: 'failed', detail: catalog.message };
    const point = restorePoint(await ctx.journal.transactions(), site.name, target.commit);
    if (!point && !target.siteAtTag)
      return {
        site: site.name,
        status: 'failed',
        detail: `${site.name} is not in the desired state at ${target.tag}; nothing to roll back to`,
      };
    const how = point
      ? `restoring the package set of ${point.txid}${point.validated ? '' : `, which was never validated: no transaction that applied ${target.tag} here passed its checks`}`
      : `${target.tag} never reached this site: planned from the desired state at ${target.tag}`;
    const current = await currentInventory(ctx, site);
    if (current && 'closed' in current)
      return { ...current.closed, detail: `${current.closed.detail}; not rolled back yet` };
    let inventory = current;
    for (let attempt = 1; attempt <= MAX_PLANS && inventory; attempt++) {
      const unflagged = point
        ? planRestore(site, point, inventory, catalog)
        : planFromTag(target.siteAtTag!, inventory, catalog);
      // A rollback to a vulnerable version is flagged (or refused) as any install is, by today's policy.
      const planned = unflagged.ok ? vulnChecked(await withVulnFlags(ctx.vulnLists, site, unflagged.plan)) : unflagged;
      if (!planned.ok)
        return {
          site: site.name,
          status: 'failed',
          detail: `cannot roll back to ${target.tag} (${how}); nothing was changed here: ${planned.reason}`,
        };
      const { plan } = planned;
      const desired = target.siteAtTag ? desiredFingerprint(target.siteAtTag) : '';
      // The tag's package set is checked by the tag's checks.
      const checks = target.siteAtTag ? { checks: jobChecks(target.siteAtTag.checks) } : {};
      const extra = {
        rollback: { tag: target.tag, commit: target.commit, restores: point ? [point.txid] : [], desired },
        ...checks,
      };
      ctx.emit({
        site: site.name,
        kind: 'planned',
        detail: `rollback to ${target.tag}: ${how}; ${describe(plan) || 'nothing to change'}`,
      });
      // Like apply, a rollback that installs nothing still runs a job when there are checks: the restored set is live only once they pass.
      const needsJob = plan.actions.length > 0 || (extra.checks ?? site.checks).length > 0;
      const go = needsJob ? await slotIfOpen(ctx, site, false) : {};
      if (go.closed) return { ...go.closed, detail: `${go.closed.detail}; not rolled back yet` };
      const outcome = needsJob
        ? await startTransaction(
            ctx,
            site,
            plan,
            'rollback',
            inventory.packages.map((p) => p.pkgname),
            extra,
            go.slot,
          )
        : await recordWithoutJob(ctx, site, plan, 'rollback', inventory, extra);
      if (outcome.kind === 'recorded')
        return {
          site: site.name,
          status: 'dry-run',
          detail: `${how}; ${describe(plan) || 'nothing to change'}; job script written to ${outcome.file}`,
        };
      if (outcome.status === 'succeeded') {
        // The transaction held the site before it journalled its end (tx/machine.ts).
        const held = outcome.kind === 'ended' && outcome.held === true;
        return {
          site: site.name,
          // Nothing is kept by a dry run that needed no job: it changed nothing.
          status: held ? 'changed' : 'dry-run',
          detail: `rolled back to ${target.tag} (${how}); ${describe(plan) || 'nothing needed changing'}${held ? '; held' : ''}`,
          txid: outcome.txid,
        };
      }
      if (outcome.kind !== 'ended' || outcome.status !== 'stale') return failedWith(site, outcome);
      inventory = outcome.inventory;
    }
    return {
      site: site.name,
      status: 'failed',
      detail: inventory ? 'the site kept changing under the rollback' : 'could not observe the site',
    };
  });
}

type Planned = { ok: true; plan: SitePlan } | { ok: false; reason: string };

function vulnChecked(plan: SitePlan): Planned {
  return plan.status === 'ok'
    ? { ok: true, plan }
    : { ok: false, reason: plan.errors.map((e) => e.message).join('; ') };
}

function planFromTag(siteAtTag: ResolvedSite, inventory: Inventory, catalog: Catalog): Planned {
  const plan = planSite(siteAtTag, inventory, catalog);
  if (plan.status !== 'ok') return { ok: false, reason: plan.errors.map((e) => e.message).join('; ') };
  return { ok: true, plan };
}

async function currentInventory(
  ctx: RunContext,
  site: ResolvedSite,
): Promise<Inventory | { closed: SiteResult } | undefined> {
  const known = await ctx.observations.read(site.name);
  if (known) return known;
  ctx.emit({ site: site.name, kind: 'probing', detail: 'no observation yet: probing the site' });
  const go = await slotIfOpen(ctx, site, false);
  // A window that closed while the site waited for its slot: no probe, and so no rollback now.
  if (go.closed) return { closed: go.closed };
  const probe = await startTransaction(ctx, site, emptyPlan(site.name), 'probe', undefined, {}, go.slot);
  return probe.kind === 'ended' ? probe.inventory : undefined;
}
