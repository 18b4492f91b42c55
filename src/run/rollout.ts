// Driving a rollout (src/rollout/ decides, this carries out): under the
// rollout's own lock, read its progress, take the next step — run a wave's
// sites, restore a halted wave's failed sites — record the outcome
// atomically, and go on until the rollout soaks, waits at a gate, halts or
// completes. A soak or gate ends the run: the next scheduled one (cron,
// serve --interval, a hook) carries on, so no controller sleeps for hours.
import type { DesiredState, ResolvedSite } from '../desired/types.js';
import { summarizeRollout, type RolloutSummary } from '../rollout/describe.js';
import { failures, nextStep, recordRollback, recordSite, startRollout, startWave } from '../rollout/progress.js';
import { restoreTarget } from '../rollout/restore-target.js';
import { decideRevision } from '../rollout/revision.js';
import type { Rollout, RolloutPolicy, SiteRecord } from '../rollout/types.js';
import { overBudget, planWaves } from '../rollout/waves.js';
import { Journal } from '../state/journal.js';
import { foldTransactions } from '../state/records.js';
import { readRollout, rolloutDir, writeRollout } from '../state/rollout-file.js';
import { LOCK_LEASE_MS, lockSite } from '../state/site-lock.js';
import { applySites, rollbackSites, type ApplyOptions } from './apply.js';
import { systemClock, type Clock } from './ports.js';
import type { ReviewedSitePlan, SiteResult } from './reconcile-site.js';

export interface RolloutOptions extends Omit<ApplyOptions, 'revision' | 'tags'> {
  /** The desired state at HEAD (or --rev), whose rollout.yaml this is. */
  head: DesiredState;
  policy: RolloutPolicy;
  /** The desired state at another commit: the rollout's own revision, a restore target's. */
  desiredAt(commit: string): Promise<DesiredState>;
  tagsAt(commit: string): Promise<string[]>;
  /**
   * Shown what the run would touch first (at `desired`, the rollout's revision), before anything is recorded:
   * false cancels the run; a map is the reviewed plans to carry out (the run
   * then stops before another wave starts); undefined goes on unreviewed.
   */
  review?(work: RolloutWork, desired: DesiredState): Promise<ReadonlyMap<string, ReviewedSitePlan> | false | undefined>;
  /** A line about the rollout for the person watching. */
  say(line: string): void;
  clock?: Clock;
}

/** The sites a rollout's next step applies the desired state to, or restores (on_failure: rollback). */
export interface RolloutWork {
  kind: 'apply' | 'restore';
  sites: ResolvedSite[];
  /** 0-based; absent for the drift repair of a completed rollout. */
  wave?: number;
}

export interface RolloutRun {
  results: SiteResult[];
  /** The person asked said no: nothing was done or recorded. */
  cancelled?: boolean;
  /** Undefined when another controller is driving the rollout. */
  summary?: RolloutSummary;
  /** The rollout as this run found it and left it (not for a dry run): what its events are made from. */
  transition?: { before?: Rollout; after: Rollout; tags: string[] };
}

export async function driveRollout(opts: RolloutOptions): Promise<RolloutRun> {
  const clock = opts.clock ?? systemClock;
  // The rollout's own lock, like a site's: a killed driver's is taken over once its lease runs out.
  const release = await lockSite(
    rolloutDir(opts.stateDir),
    'controller',
    { command: 'rollout' },
    {
      timeoutMs: 2 * LOCK_LEASE_MS,
      onBusy: (h) =>
        opts.say(
          `waiting for ${h ? `${h.controller}, which drives the rollout since ${h.since}` : 'another controller driving the rollout'}`,
        ),
    },
  );
  if (!release) {
    opts.say('another controller drives the rollout; nothing done here');
    return { results: [] };
  }
  try {
    return await steps(opts, clock);
  } finally {
    await release();
  }
}

async function steps(opts: RolloutOptions, clock: Clock): Promise<RolloutRun> {
  const current = await readRollout(opts.stateDir);
  const decision = decideRevision(current, opts.head.revision, clock.now());
  let r: Rollout;
  if (decision.action === 'start') {
    r = startRollout(opts.head.revision, planWaves(opts.policy, opts.head.sites), clock.now());
    opts.say(
      `Rollout of ${short(r.revision)} starts: ${r.waves.map((w, i) => `wave ${i + 1} ${w.name} (${w.sites.length})`).join(', ')}`,
    );
  } else r = current!;
  const desired = r.revision === opts.head.revision ? opts.head : await opts.desiredAt(r.revision);
  const waiting = decision.action === 'continue' ? decision.waiting : undefined;
  // A rollout that had completed before this run: its revision is everywhere, so drift is repaired at once, as without a policy.
  const repair = nextStep(r, clock.now()).kind === 'completed' && decision.action === 'continue' && !waiting;
  // Asked before anything is recorded: a "no" leaves no trace, not even a started rollout.
  const firstWork = repair ? { kind: 'apply' as const, sites: desired.sites } : work(r, desired, clock);
  const reviewed = firstWork && opts.review ? await opts.review(firstWork, desired) : undefined;
  if (reviewed === false)
    return { results: [], cancelled: true, ...(current ? { summary: summarizeRollout(current, clock.now()) } : {}) };
  const store = new Store(opts, r);
  if (decision.action === 'start') await store.save(r);
  const results: SiteResult[] = [];
  const withReview = async () => ({
    ...(await runOptions(opts, desired)),
    ...(reviewed instanceof Map ? { reviewed } : {}),
  });
  if (repair) results.push(...(await applySites(desired.sites, await withReview())));
  for (let waves = 0; ;) {
    const step = nextStep(store.rollout, clock.now());
    // What was shown is what runs: after a reviewed wave, the next one waits for the next run.
    if (step.kind === 'run-wave' && reviewed !== undefined && waves > 0) break;
    if (step.kind === 'run-wave') {
      waves++;
      await store.save(startWave(store.rollout, step.wave, clock.now()));
      const wave = store.rollout.waves[step.wave]!;
      opts.say(`Wave ${step.wave + 1} (${wave.name}): ${step.sites.length} of ${wave.sites.length} sites to run`);
      const sites = pick(desired, step.sites);
      // Counted as sites end, before their slots are given again: once over budget no further site starts.
      let failed = failures(store.rollout, step.wave).length;
      const ran = await applySites(sites.present, {
        ...(await withReview()),
        ...(opts.dryRun
          ? {}
          : {
              mayStart: () => !overBudget(wave, failed),
              // Each site's outcome is kept as it ends: a controller killed mid-wave resumes with the rest.
              settled: (res: SiteResult) => {
                // A deferred site is no outcome: the wave waits for it.
                if (res.status === 'deferred') return;
                const rec = record(res.status, res.detail, clock);
                if (rec.outcome === 'failed') failed++;
                store.queue((r) => recordSite(r, step.wave, res.site, rec, clock.now()));
              },
            }),
      });
      results.push(...ran);
      if (opts.dryRun) break;
      for (const res of sites.gone)
        store.queue((r) => recordSite(r, step.wave, res.site, record(res.status, res.detail, clock), clock.now()));
      await store.flush();
      // A deferred site is no outcome: the wave waits for it (README "Maintenance windows and downtimes").
      const deferred = ran.filter((res) => res.status === 'deferred').map((res) => res.site);
      if (deferred.length > 0) {
        opts.say(
          `Wave ${step.wave + 1} (${wave.name}) waits for ${deferred.length} deferred site${deferred.length === 1 ? '' : 's'} (${deferred.join(', ')}): a later run reaches them once their windows or downtimes allow`,
        );
        break;
      }
      continue;
    }
    if (step.kind === 'rollback' && !opts.dryRun) {
      const restored = await restoreSites(opts, desired, store.rollout.revision, step.sites);
      results.push(...restored);
      for (const res of restored)
        if (res.status !== 'deferred')
          store.queue((r) => recordRollback(r, step.wave, res.site, record(res.status, res.detail, clock)));
      await store.flush();
      // A restore a window or downtime put off is tried again by a later run, not recorded as done.
      if (restored.some((res) => res.status === 'deferred')) break;
      continue;
    }
    break;
  }
  const summary = summarizeRollout(store.rollout, clock.now(), waiting);
  if (opts.dryRun) return { results, summary };
  const tags = desired.commit ? await opts.tagsAt(desired.commit) : [];
  return { results, summary, transition: { ...(current ? { before: current } : {}), after: store.rollout, tags } };
}

/** What the rollout's next step would touch first (a review shows it); undefined when it waits or rests. */
function work(r: Rollout, desired: DesiredState, clock: Clock): RolloutWork | undefined {
  const step = nextStep(r, clock.now());
  if (step.kind === 'run-wave') return { kind: 'apply', sites: pick(desired, step.sites).present, wave: step.wave };
  if (step.kind === 'rollback') return { kind: 'restore', sites: pick(desired, step.sites).present, wave: step.wave };
  return undefined;
}

/**
 * The failed sites of a halted wave back to their last validated package
 * sets, through the rollback machinery (which journals the restores and
 * holds the sites), all at once under the run's concurrency.
 */
async function restoreSites(
  opts: RolloutOptions,
  desired: DesiredState,
  revision: string,
  names: string[],
): Promise<SiteResult[]> {
  const txs = opts.state
    ? await opts.state.journal.transactions()
    : foldTransactions((await new Journal(opts.stateDir).read()).records);
  const byCommit = new Map<string, { label: string; sites: ResolvedSite[] }>();
  const results: SiteResult[] = [];
  for (const name of names) {
    const site = desired.sites.find((s) => s.name === name);
    const target = restoreTarget(txs, name, revision);
    if (!site || !target) {
      const detail = site
        ? 'no earlier validated package set to restore; left as it is'
        : 'no longer in the desired state';
      results.push({ site: name, status: 'failed', detail });
      continue;
    }
    const group = byCommit.get(target.commit) ?? { label: target.label, sites: [] };
    group.sites.push(site);
    byCommit.set(target.commit, group);
  }
  const runs = [...byCommit].map(async ([commit, { label, sites }]) => {
    const atTarget = await opts.desiredAt(commit);
    const bySite = new Map(atTarget.sites.map((s) => [s.name, s]));
    return rollbackSites(sites, bySite, { tag: label, commit }, await runOptions(opts, desired));
  });
  return [...results, ...(await Promise.all(runs)).flat()];
}

async function runOptions(opts: RolloutOptions, desired: DesiredState): Promise<ApplyOptions> {
  const { head: _h, policy: _p, desiredAt: _d, tagsAt, say: _s, review: _r, ...rest } = opts;
  return { ...rest, revision: desired.revision, tags: desired.commit ? await tagsAt(desired.commit) : [] };
}

/** The wave's sites the desired state still has, and those it no longer has (they count as done). */
function pick(desired: DesiredState, names: string[]): { present: ResolvedSite[]; gone: SiteResult[] } {
  const want = new Set(names);
  const present = desired.sites.filter((s) => want.has(s.name));
  const have = new Set(present.map((s) => s.name));
  const gone = names
    .filter((n) => !have.has(n))
    .map((site): SiteResult => ({ site, status: 'in-sync', detail: 'no longer in the desired state; skipped' }));
  return { present, gone };
}

function record(status: SiteResult['status'], detail: string, clock: Clock): SiteRecord {
  const outcome = status === 'failed' ? 'failed' : status === 'held' ? 'held' : 'ok';
  return { outcome, detail: detail.replace(/^FAILED: /, ''), at: new Date(clock.now()).toISOString() };
}

/** The rollout as last written, and writes of it one at a time, in order. */
class Store {
  private chain: Promise<void> = Promise.resolve();
  constructor(
    private readonly opts: { stateDir: string; dryRun: boolean },
    public rollout: Rollout,
  ) {}
  async save(r: Rollout): Promise<void> {
    this.queue(() => r);
    await this.flush();
  }
  queue(change: (r: Rollout) => Rollout): void {
    this.chain = this.chain.then(async () => {
      const next = change(this.rollout);
      if (next === this.rollout) return;
      this.rollout = next;
      if (!this.opts.dryRun) await writeRollout(this.opts.stateDir, next);
    });
  }
  flush(): Promise<void> {
    return this.chain;
  }
}

const short = (rev: string) => (rev === 'worktree' ? 'the work tree' : rev.slice(0, 12));
