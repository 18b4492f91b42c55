// The fleet at a glance, as data: per site its last observation, last
// transaction, hold, lock and vulnerabilities; per package and site the
// installed version against the desired one. Pure; gathering the inputs
// (files, journal, locks) is gather-status.ts's job.
import type { ResolvedSite } from '../desired/types.js';
import type { RolloutSummary } from '../rollout/describe.js';
import type { SitePlan } from '../plan/types.js';
import { packageChanges, type InventoryChanges } from '../observed/inventory-diff.js';
import type { ReportRecord } from '../observed/report-history.js';
import type { AuditFinding, Inventory } from '../observed/types.js';
import { isManual, type Hold } from '../rollback/holds.js';
import type { TagRestorability } from '../rollback/restorability.js';
import type { FleetAudit, ListSummary } from '../vuln/fleet-audit.js';
import { auditDisagreement } from '../vuln/job-list.js';
import { vulnMatrix, type MatrixRow, type SiteAuditStatus } from '../vuln/site-audit.js';
import { isInstalled, isValidated, type Transaction } from '../state/records.js';
import { txTarget } from './history.js';
import type { LockOwner } from '../state/site-lock.js';

/**
 * What the site's plan says of a package: drift, missing and extra are
 * what it would change; unmanaged is what it leaves alone by policy
 * (userpkgs, protect, needed by something that stays); absent is a package
 * declared absent and not installed, as wanted; unplanned is a site whose
 * plan failed as a whole (its catalog could not be read).
 */
export type CellState =
  'in-sync' | 'drift' | 'missing' | 'extra' | 'frozen' | 'absent' | 'unmanaged' | 'unplanned' | 'unobserved';

export interface Cell {
  state: CellState;
  installed?: string;
  desired?: string;
}

/** A transaction as the report names it: which desired state it brought, and when. */
export interface TxRef {
  txid: string;
  at: string;
  revision: string;
  tags: string[];
}

/** A transaction in brief, as the report lists it. */
export interface TxSummary {
  txid: string;
  kind: string;
  status: string;
  at: string;
  revision: string;
  tags: string[];
  reason?: string;
}

export interface SiteStatus {
  name: string;
  backend: string;
  platform: string;
  observed?: { at: string; source: string; packages: number };
  /** For a site that reports itself: its last report, and what changed since the one before. */
  reported?: { at: string; receivedAt: string; reports: number; previousAt?: string; changes?: InventoryChanges };
  last?: TxSummary;
  /** The last transaction that installed its package set, checks aside. */
  installed?: TxRef;
  /** The last one whose package set also passed its checks: what users can rely on. */
  validated?: TxRef;
  /** A rollback hold names its tag and transaction; a manual one its reason. */
  held?: { tag: string; txid: string; at: string } | { manual: true; reason: string; at: string; by?: string };
  busy?: { controller: string; command: string; since: string };
  /** Open findings: the central audit's when the site has a list, else what its last job's audit printed. */
  vulnerabilities: AuditFinding[];
  /**
   * The last job that carried the list: where its `pkg_admin audit` and the
   * controller's audit of the same package set differ (both empty: they agree).
   */
  siteAudit?: { txid: string; at: string; exit: number; onlyCentral: string[]; onlySite: string[] };
  /** The central audit in brief (sites with a vulnerability list). */
  audit?: { status: SiteAuditStatus; vulnerable: number; accepted: number };
  counts: Record<CellState, number>;
  /** The site's plan in brief: drift is a plan with actions or errors, as `plan` itself says. */
  plan?: { status: SitePlan['status']; actions: number; errors: number };
  /** With windows.yaml: whether a job may go there now (windows, GOCDB downtimes), and what changes next. */
  window?: import('../windows/gate.js').SiteGate;
}

/** The one definition of drift: the site's plan would change something, or cannot be made. */
export function planDrifts(p: { status: SitePlan['status']; actions: number }): boolean {
  return p.status === 'error' || p.actions > 0;
}

export interface FleetStatus {
  generatedAt: string;
  revision: string;
  sites: SiteStatus[];
  packages: { name: string; cells: Record<string, Cell> }[];
  /** The latest transactions of the whole fleet (probes aside), newest first. */
  recent: (TxSummary & { site: string })[];
  tags: TagRestorability[];
  /** The lists in use and the advisory × site matrix, when any site has a vulnerability list. */
  vulnerabilities?: { lists: ListSummary[]; matrix: MatrixRow[]; problems: string[] };
  /** Where the current rollout stands (rollout.yaml), halted at which wave and why. */
  rollout?: RolloutSummary;
  /** Where the GOCDB downtimes were read from and how (fresh, the kept copy, none), when windows.yaml names a source. */
  downtimes?: { source: string; from: 'fresh' | 'kept' | 'none'; readAt?: string };
}

export interface StatusInputs {
  revision: string;
  sites: readonly ResolvedSite[];
  inventories: ReadonlyMap<string, Inventory>;
  /** Each observed site's planSite result with kept: 'full': the only source of drift. */
  plans: ReadonlyMap<string, SitePlan>;
  /** Per reporting site: how many reports it sent, and its last two, oldest first. */
  reports?: ReadonlyMap<string, { count: number; last: readonly ReportRecord[] }>;
  transactions: readonly Transaction[];
  holds: readonly Hold[];
  locks: ReadonlyMap<string, LockOwner>;
  tags: TagRestorability[];
  /** The central audit of the same observations. */
  audit?: FleetAudit;
  now: string;
}

export function fleetStatus(inp: StatusInputs): FleetStatus {
  const lastBySite = latest(
    inp.transactions,
    () => true,
    (t) => t.begin.at,
  );
  const installedBySite = latest(inp.transactions, isInstalled, (t) => t.end!.at);
  const siteAudited = latest(
    inp.transactions,
    (t) => t.begin.vulnerabilities?.central !== undefined && t.finished?.auditExit !== undefined,
    (t) => t.finished!.at,
  );
  const validatedBySite = latest(inp.transactions, isValidated, (t) => t.end!.at);
  const holds = new Map(inp.holds.map((h) => [h.site, h]));
  const packages = new Map<string, Record<string, Cell>>();
  const cell = (name: string, site: string, c: Cell) => {
    let row = packages.get(name);
    if (!row) packages.set(name, (row = {}));
    row[site] = c;
  };
  const audits = new Map((inp.audit?.sites ?? []).map((a) => [a.site, a]));
  const sites = inp.sites.map((s): SiteStatus => {
    const inv = inp.inventories.get(s.name);
    const counts: Record<CellState, number> = {
      'in-sync': 0,
      drift: 0,
      missing: 0,
      extra: 0,
      frozen: 0,
      absent: 0,
      unmanaged: 0,
      unplanned: 0,
      unobserved: 0,
    };
    const plan = inv ? inp.plans.get(s.name) : undefined;
    for (const [name, c] of siteCells(s, inv, plan)) {
      counts[c.state]++;
      cell(name, s.name, c);
    }
    const t = lastBySite.get(s.name);
    const installed = installedBySite.get(s.name);
    const validated = validatedBySite.get(s.name);
    const h = holds.get(s.name);
    const lock = inp.locks.get(s.name);
    return {
      name: s.name,
      backend: s.backend,
      platform: s.platform,
      ...(inv ? { observed: { at: inv.observedAt, source: inv.source, packages: inv.packages.length } } : {}),
      ...reportedStatus(inp.reports?.get(s.name)),
      ...(t ? { last: txSummary(t) } : {}),
      ...(installed ? { installed: txRef(installed) } : {}),
      ...(validated ? { validated: txRef(validated) } : {}),
      ...(h ? { held: heldOf(h) } : {}),
      ...(lock ? { busy: { controller: lock.controller, command: lock.command, since: lock.since } } : {}),
      ...vulnStatus(audits.get(s.name), inv),
      ...siteAuditStatus(siteAudited.get(s.name)),
      counts,
      ...(plan ? { plan: { status: plan.status, actions: plan.actions.length, errors: plan.errors.length } } : {}),
    };
  });
  return {
    generatedAt: inp.now,
    revision: inp.revision,
    sites,
    packages: [...packages].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, cells]) => ({ name, cells })),
    recent: recentTransactions(inp.transactions),
    tags: inp.tags,
    ...(inp.audit && inp.audit.lists.length > 0
      ? {
          vulnerabilities: {
            lists: inp.audit.lists,
            matrix: vulnMatrix(inp.audit.sites),
            problems: inp.audit.problems,
          },
        }
      : {}),
  };
}

/** How many transactions the report lists under "Recent". */
export const RECENT = 20;

function recentTransactions(txs: readonly Transaction[]): FleetStatus['recent'] {
  return txs
    .filter((t) => t.begin.kind !== 'probe')
    .sort((a, b) => (a.begin.at < b.begin.at ? 1 : a.begin.at > b.begin.at ? -1 : 0))
    .slice(0, RECENT)
    .map((t) => ({ site: t.site, ...txSummary(t) }));
}

function txSummary(t: Transaction): TxSummary {
  return {
    txid: t.txid,
    kind: t.begin.kind,
    status: t.end?.status ?? 'unfinished',
    at: t.begin.at,
    ...txTarget(t),
    ...(t.end?.reason ? { reason: t.end.reason } : {}),
  };
}

function siteAuditStatus(t: Transaction | undefined): Pick<SiteStatus, 'siteAudit'> {
  if (!t) return {};
  const d = auditDisagreement(t.begin.vulnerabilities!.central!, t.finished!.audit);
  return { siteAudit: { txid: t.txid, at: t.finished!.at, exit: t.finished!.auditExit!, ...d } };
}

/** A site with a list shows the central audit; one without keeps what its job's `pkg_admin audit` said. */
function vulnStatus(
  a: FleetAudit['sites'][number] | undefined,
  inv: Inventory | undefined,
): Pick<SiteStatus, 'vulnerabilities' | 'audit'> {
  if (!a || a.status === 'not-configured') return { vulnerabilities: inv?.audit ?? [] };
  const open = a.findings.filter((f) => !f.accepted || f.accepted.expired);
  return {
    vulnerabilities: open.map((f) => ({ pkgname: f.pkgname, kind: f.kind, url: f.url })),
    audit: { status: a.status, vulnerable: a.vulnerable, accepted: a.accepted },
  };
}

function reportedStatus(r: { count: number; last: readonly ReportRecord[] } | undefined): Pick<SiteStatus, 'reported'> {
  const latest = r?.last.at(-1);
  if (!r || !latest) return {};
  const previous = r.last.length > 1 ? r.last.at(-2) : undefined;
  return {
    reported: {
      at: latest.reportedAt,
      receivedAt: latest.receivedAt,
      reports: r.count,
      ...(previous
        ? { previousAt: previous.reportedAt, changes: packageChanges(previous.packages, latest.packages) }
        : {}),
    },
  };
}

/** Per site, the latest non-probe transaction that passes `keep`. */
function latest(
  txs: readonly Transaction[],
  keep: (t: Transaction) => boolean,
  when: (t: Transaction) => string,
): Map<string, Transaction> {
  const out = new Map<string, Transaction>();
  for (const t of txs) {
    if (t.begin.kind === 'probe' || !keep(t)) continue;
    const prev = out.get(t.site);
    if (!prev || when(t) > when(prev)) out.set(t.site, t);
  }
  return out;
}

/** A rollback brought the site to the tag's commit, not to the HEAD it ran at. */
function txRef(t: Transaction): TxRef {
  return { txid: t.txid, at: t.end?.at ?? t.begin.at, ...txTarget(t) };
}

/**
 * Declared packages and undeclared user-installed ones, each in the state
 * the site's plan gives it (automatic dependencies are not listed).
 */
function siteCells(site: ResolvedSite, inv: Inventory | undefined, plan: SitePlan | undefined): [string, Cell][] {
  const out: [string, Cell][] = [];
  if (!inv || !plan) {
    for (const d of site.packages) out.push([d.name, { state: 'unobserved', desired: d.patterns.join(' ') }]);
    return out;
  }
  const byName = new Map(inv.packages.map((p) => [p.name, p]));
  const declared = new Map(site.packages.map((d) => [d.name, d]));
  const actions = new Map(plan.actions.map((a) => [a.name, a.action]));
  const failed = new Set(plan.errors.flatMap((e) => (e.name ? [e.name] : [])));
  const kept = new Map(plan.kept.map((k) => [k.name, k.reason]));
  const stateOf = (name: string): CellState => {
    const action = actions.get(name);
    if (action === 'install') return 'missing';
    // Whatever the plan removes is extra here, declared absent or not declared at all.
    if (action === 'remove') return 'extra';
    if (action || failed.has(name)) return byName.has(name) ? 'drift' : 'missing';
    const reason = kept.get(name);
    if (reason === 'in-sync' || reason === 'frozen') return reason;
    return reason === undefined && plan.status === 'error' ? 'unplanned' : 'unmanaged';
  };
  for (const d of site.packages) {
    const i = byName.get(d.name);
    const desired = d.state === 'present' ? d.patterns.join(' ') : d.state;
    const state = d.state === 'frozen' ? 'frozen' : stateOf(d.name);
    if (d.state === 'absent' && !i) {
      out.push([d.name, { state: 'absent', desired }]);
      continue;
    }
    out.push([d.name, { state, desired, ...(i ? { installed: i.pkgname } : {}) }]);
  }
  for (const p of inv.packages) {
    if (!declared.has(p.name) && !p.automatic && !site.protect.includes(p.name))
      out.push([p.name, { state: stateOf(p.name), installed: p.pkgname }]);
  }
  return out;
}

function heldOf(h: Hold): NonNullable<SiteStatus['held']> {
  return isManual(h)
    ? { manual: true, reason: h.reason, at: h.at, ...(h.by ? { by: h.by } : {}) }
    : { tag: h.tag, txid: h.txid, at: h.at };
}

/** What a report says in the HELD badge: the rollback's tag or the manual hold's reason. */
export function heldLabel(held: NonNullable<SiteStatus['held']>): string {
  return 'manual' in held ? `by hand: ${held.reason}` : `rollback to ${held.tag}`;
}
