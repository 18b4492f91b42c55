// `reconcile plan`: what apply would do, per site, and why. Sites are planned
// on every core, answered from the plan cache in state/ when nothing that
// decides their plan changed, and printed in order as they are done, so a
// thousand sites with thousands of packages each never sit in memory together.
import path from 'node:path';
import { checkObservedDir } from '../../observed/observed-dir.js';
import { planFleet } from '../../fleet-plan/plan-fleet.js';
import { addCounts, type SiteCounts } from '../../plan-cache/site-counts.js';
import type { ResolvedSite } from '../../desired/types.js';
import type { InventoryOrigin } from '../../fleet-plan/inventory-input.js';
import type { Hold } from '../../rollback/holds.js';
import type { SitePlan } from '../../plan/types.js';
import { emptySummary } from '../../plan/types.js';
import { colourOn, planPaint } from '../colour.js';
import { flag, noPositionals, stringOpt, type ParsedArgs } from '../args.js';
import { desiredWithMemoFromArgs, selectSites, stateDirFromArgs, tagsFromArgs, withState } from '../common.js';
import type { DesiredState } from '../../desired/types.js';
import { appliedKey, idleWork } from '../../plan/site-work.js';
import type { JournalStore } from '../../run/ports.js';
import type { StateStore } from '../../state/store.js';
import type { CommandResult, Io } from '../io.js';
import { parseConcurrency } from '../concurrency.js';
import { UsageError } from '../../errors.js';
import type { PlanFileRecorder } from '../../plan-file/make.js';
import { rolloutLines, summarizeRollout, type RolloutSummary } from '../../rollout/describe.js';
import { readRollout } from '../../state/rollout-file.js';
import { siteGate } from '../../windows/gate.js';
import { runGate } from '../gate.js';
import type { PlannedSite } from '../../fleet-plan/plan-fleet.js';

async function rolloutSummary(stateDir: string, head: string): Promise<RolloutSummary | undefined> {
  const r = await readRollout(stateDir);
  if (!r) return undefined;
  return summarizeRollout(r, Date.now(), r.status === 'running' && r.revision !== head ? head : undefined);
}

export async function planCommand(args: ParsedArgs, io: Io): Promise<CommandResult> {
  noPositionals(args);
  return withState(args, (state) => plan(args, io, state));
}

async function plan(args: ParsedArgs, io: Io, state: StateStore): Promise<CommandResult> {
  const workers =
    stringOpt(args, 'concurrency') !== undefined ? parseConcurrency(stringOpt(args, 'concurrency')) : undefined;
  const stateDir = stateDirFromArgs(args);
  const loaded = await desiredWithMemoFromArgs(args, io, stateDir);
  const { state: desired } = loaded;
  const sites = selectSites(desired, args);
  const observedDir = stringOpt(args, 'observed');
  if (observedDir) await checkObservedDir(observedDir);
  const json = flag(args, 'json');
  const verbose = flag(args, 'verbose');
  const catalogOverride = stringOpt(args, 'catalog');
  const out = stringOpt(args, 'out');
  const recorder = out
    ? await reviewRecorder(
        args,
        desired.commit,
        observedDir,
        catalogOverride,
        stateDir,
        await tagsFromArgs(args, desired),
      )
    : undefined;
  // A reviewed plan records, and the vulnerability pass reads, every site's packages.
  if (out || sites.some((s) => s.vulnerabilities)) await loaded.loadPackages(sites);
  await recorder?.start(sites);
  const origin: InventoryOrigin = observedDir
    ? { kind: 'observed-dir', dir: observedDir }
    : { kind: 'state', dir: stateDir };
  const kept = verbose ? 'full' : 'counts';
  const planned = planFleet({
    sites,
    origin,
    ...(catalogOverride ? { catalogOverride } : {}),
    kept,
    cacheDir: path.join(stateDir, 'plan-cache'),
    ...(workers !== undefined ? { workers } : {}),
    digestOf: loaded.digestOf,
    loadPackages: loaded.loadPackages,
  });

  // One listing of the holds rather than a look-up per site.
  const holds = new Map((await state.holds.list()).map((h) => [h.site, h]));
  const now = Date.now();
  const gate = await runGate(desired, io, { stateDir, dryRun: false, now });
  const closedNow = (s: ResolvedSite) => {
    const g = gate && siteGate(gate.gate, s, now);
    return g && !g.open ? { reason: g.reason, ...(g.until ? { until: g.until } : {}) } : undefined;
  };
  let deferredSites = 0;
  const summary = emptySummary();
  // Where a rollout stands decides which of these plans the next apply carries out.
  const rollout = await rolloutSummary(stateDir, desired.revision);
  if (rollout && !json) for (const line of rolloutLines(rollout)) io.out(line);
  if (json) io.out(`{"format":"vo-reconcile-plan/1","revision":${JSON.stringify(desired.revision)},"sites":[`);
  const withVulns = sites.some((s) => s.vulnerabilities)
    ? (await import('../vuln-pass.js')).vulnPass(sites, {
        stateDir,
        origin,
        ...(catalogOverride ? { catalogOverride } : {}),
        kept,
      })
    : (raw: PlannedSite) => Promise.resolve(raw);
  const holdWords = holds.size > 0 ? await import('../../rollback/holds.js') : undefined;
  const paint = planPaint(colourOn(io, args));
  const { renderSitePlan, renderSummary } = json ? noRender : await import('../../plan/render.js');
  const checksOnly = checksOnlyJobs(args, desired, state.journal);
  let i = 0;
  for await (const raw of planned) {
    const p = await withVulns(raw);
    const hold = holds.get(p.site.name);
    const checks = !hold && (await checksOnly(p.site, p.counts));
    addCounts(summary, p.counts, { held: !!hold, checksOnly: checks });
    recorder?.add(p.site, p.json, p.catalogDigest, hold !== undefined);
    const deferred = closedNow(p.site);
    if (deferred) deferredSites++;
    const extra = {
      ...(hold ? { held: heldJson(hold, holdWords!) } : {}),
      ...(checks ? { checksOnly: true } : {}),
      ...(deferred ? { deferred } : {}),
    };
    if (json) io.out(`${i > 0 ? ',' : ''}${withFields(p.json, extra)}`);
    else {
      const plan = parsePlan(p.json);
      for (const line of renderSitePlan(plan, verbose)) io.out(paint(line));
      if (hold) io.out(`  (${heldLine(hold, p.site.name, holdWords!)})`);
      if (checks) io.out(`  * ${checksOnlyLine(p.site, plan)}`);
      if (deferred) io.out(`  (deferred: ${deferred.reason}; an apply now submits nothing there)`);
    }
    i++;
  }
  if (json) io.out(`],"summary":${JSON.stringify(summary)}${rollout ? `,"rollout":${JSON.stringify(rollout)}` : ''}}`);
  else {
    io.out(renderSummary(summary));
    if (deferredSites > 0)
      io.out(
        `${deferredSites} site${deferredSites === 1 ? '' : 's'} deferred now by windows or downtimes (windows.yaml): apply reaches ${deferredSites === 1 ? 'it' : 'them'} once open.`,
      );
  }
  if (recorder && out) {
    const made = await recorder.finish(summary);
    if ('observedMeanwhile' in made) {
      io.err(
        `reconcile: no plan written to ${out}: ${made.observedMeanwhile.join(', ')} observed while planning; plan again`,
      );
      return { exitCode: 1 };
    }
    await (await import('../../plan-file/plan-file.js')).writePlanFile(out, made.plan);
    (json ? io.err : io.out)(
      `Plan written to ${out}; 'reconcile apply ${out}' carries it out while nothing it was made from changes.`,
    );
  }
  // Only now: a run refused for its inputs (exit 2) writes nothing to state/.
  await loaded.keepParsed();

  if (summary.failed > 0) return { exitCode: 1 };
  if (flag(args, 'detailed-exitcode') && summary.changed + summary.checksOnly > 0) return { exitCode: 3 };
  return { exitCode: 0 };
}

/** A reviewed plan is made from a commit and the observations apply will use. */
async function reviewRecorder(
  args: ParsedArgs,
  commit: string | undefined,
  observedDir: string | undefined,
  catalogOverride: string | undefined,
  stateDir: string,
  tags: string[],
): Promise<PlanFileRecorder> {
  if (!commit)
    throw new UsageError(
      '--out needs the desired state from a commit, not --worktree: apply must be able to read it again',
    );
  if (observedDir)
    throw new UsageError(
      `--out plans from state/observed, what apply uses; --observed ${observedDir} cannot be applied`,
    );
  const { PlanFileRecorder } = await import('../../plan-file/make.js');
  return new PlanFileRecorder(
    { revision: commit, rev: stringOpt(args, 'rev') ?? 'HEAD', tags, ...(catalogOverride ? { catalogOverride } : {}) },
    stateDir,
  );
}

/** A site's plan from its JSON; without -v the JSON has no kept list. */
function parsePlan(json: string): SitePlan {
  const p = JSON.parse(json) as Omit<SitePlan, 'kept'> & { kept?: SitePlan['kept'] };
  return { ...p, kept: p.kept ?? [] };
}

/** `{...plan, ...extra}` as JSON.stringify would print it, from the plan's JSON. */
function withFields(planJson: string, extra: object): string {
  const more = JSON.stringify(extra);
  return more === '{}' ? planJson : `${planJson.slice(0, -1)},${more.slice(1)}`;
}

/**
 * Whether apply would give a site with nothing to change a job that only
 * runs its checks (idleWork's rule, with the journal's last revision there).
 * The journal and the tags are read only when some site can need it.
 */
function checksOnlyJobs(
  args: ParsedArgs,
  desired: DesiredState,
  journal: JournalStore,
): (site: ResolvedSite, counts: SiteCounts) => Promise<boolean> {
  let known: Promise<{ here: string }> | undefined;
  return async (site, counts) => {
    if (site.checks.length === 0 || counts.status !== 'ok' || Object.keys(counts.actions).length > 0) return false;
    known ??= tagsFromArgs(args, desired).then((tags) => ({ here: appliedKey(desired.revision, tags) }));
    const { here } = await known;
    return idleWork(site.checks.length, await journal.lastAppliedRevision(site.name), here) === 'checks-only';
  };
}

function checksOnlyLine(site: ResolvedSite, plan: SitePlan): string {
  const n = site.checks.length;
  return `apply runs a job with no actions for ${n === 1 ? 'its check' : `its ${n} checks`} (${site.checks.map((c) => c.name).join(', ')}): this revision is not validated here yet${plan.bootstrap !== undefined ? `; it bootstraps pkgsrc from ${plan.bootstrap} first` : ''}`;
}

const noRender = {
  renderSitePlan: (): string[] => [],
  renderSummary: (): string => '',
};

type HoldWords = typeof import('../../rollback/holds.js');

/** How --json shows a hold: a rollback's tag and transaction, or a manual hold's reason. */
function heldJson(h: Hold, { isManual }: HoldWords): object {
  return isManual(h)
    ? { manual: true, reason: h.reason, at: h.at, ...(h.by ? { by: h.by } : {}) }
    : { tag: h.tag, txid: h.txid, at: h.at };
}

function heldLine(h: Hold, site: string, { describeHold, isManual }: HoldWords): string {
  return isManual(h)
    ? `${describeHold(h)}; apply leaves it alone until 'reconcile release ${site}'`
    : `held since the rollback to ${h.tag}, ${h.txid}: apply leaves it alone until the desired state equals ${h.tag}'s or 'reconcile release ${site}'`;
}
