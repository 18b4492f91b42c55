// The Plan: per site, the ordered actions that bring it to its desired state
// and why, plus what is left alone and why. Plain data, JSON-serialisable;
// apply carries out a Plan and decides nothing itself.

export type ActionKind = 'install' | 'upgrade' | 'downgrade' | 'remove';

export interface PlanAction {
  action: ActionKind;
  name: string;
  /** The package installed (install/upgrade/downgrade) or removed (remove). */
  pkgname: string;
  /** The package replaced by an upgrade or downgrade. */
  from?: string;
  reason: string;
  /** Where the desired state asks for it (file:line:col). */
  sources?: string[];
  /**
   * Install it marked automatic (pkg_add -A): a rollback restoring a
   * dependency, or a dependency upgraded because what needs it is.
   */
  automatic?: boolean;
  /**
   * After the actions, set its automatic flag so: the tools would leave it
   * otherwise (a replacement keeps the old version's flag; a dependency
   * pulled in by an earlier action is marked automatic).
   */
  flag?: 'automatic' | 'user';
  /**
   * For an upgrade/downgrade whose replaced version the catalog still
   * offers: pkg_add -U deletes the old version before the new one's
   * dependencies and install script, so if it fails the job reinstalls
   * exactly this (marked automatic as it was). Absent: not offered, and a
   * loss is reported instead.
   */
  undo?: { pkgname: string; automatic: boolean };
  /** Advisories of the run's vulnerability list that mark the package installed (not set by the planner itself). */
  vulnerable?: { kind: string; url: string }[];
  /** The advisories of the replaced version this upgrade fixes (fix_vulnerable). */
  fixes?: Advisory[];
}

export interface Advisory {
  kind: string;
  url: string;
}

/**
 * An installed version to replace although it matches what is wanted: the
 * list marks it vulnerable and the catalog offers a newer, clean version
 * that still matches (fix_vulnerable). Decided outside the planner, which
 * knows no vulnerability list; keyed by the installed PKGNAME.
 */
export interface Replacement {
  pkgname: string;
  advisories: Advisory[];
}

export type KeepReason = 'in-sync' | 'frozen' | 'unmanaged' | 'automatic' | 'protected' | 'required';

export interface KeptPackage {
  name: string;
  /** Absent for a frozen package that is not installed. */
  pkgname?: string;
  reason: KeepReason;
  detail: string;
}

/**
 * What kind of problem stops a site's plan: no catalog match, a package
 * declared absent that others need, an installed dependant an upgrade would
 * break, packages that conflict, or actions pkg_add cannot carry out in any
 * order. Absent on problems planned before kinds were recorded.
 */
export type PlanProblemKind =
  'no-match' | 'required' | 'dependant' | 'conflict' | 'unorderable' | 'vulnerable' | 'bootstrap';

export interface PlanProblem {
  kind?: PlanProblemKind;
  name?: string;
  message: string;
  /** Where the desired state asks for what is involved (file:line:col). */
  sources?: string[];
  /** The exact packages involved (the dependant and what it depends on, the two that conflict). */
  packages?: string[];
}

export type SitePlanStatus = 'ok' | 'error' | 'unobserved';

export interface SitePlan {
  site: string;
  status: SitePlanStatus;
  /**
   * Installs and upgrades/downgrades first (dependencies first), removals
   * last (dependants first), except where pkg_add and pkg_delete need
   * another order (see sequence.ts).
   */
  actions: PlanAction[];
  kept: KeptPackage[];
  /** How many packages were left alone, by reason (always set when planned). */
  keptCounts?: Partial<Record<KeepReason, number>>;
  errors: PlanProblem[];
  /** What the plan rests on that the reader should know (absent when nothing). */
  notes?: string[];
  /** The prefix has no pkg_install: the site's job first bootstraps pkgsrc from this kit. */
  bootstrap?: string;
  /** When the inventory planned from was taken, and how. */
  observed?: { at: string; source: string };
}

export interface Plan {
  format: 'vo-reconcile-plan/1';
  /** The desired-state revision planned from: a commit id or "worktree". */
  revision: string;
  sites: SitePlan[];
}

export interface PlanSummary {
  sites: number;
  /** Sites where apply carries out actions. */
  changed: number;
  inSync: number;
  /** Sites with nothing to change whose job only runs the checks (the revision is not validated there yet). */
  checksOnly: number;
  /** Held sites: apply leaves them alone, so their actions are not counted. */
  held: number;
  /** Sites that cannot be planned: nothing is done there, so their actions are not counted. */
  failed: number;
  install: number;
  upgrade: number;
  downgrade: number;
  remove: number;
}

export function emptySummary(): PlanSummary {
  return {
    sites: 0,
    changed: 0,
    inSync: 0,
    checksOnly: 0,
    held: 0,
    failed: 0,
    install: 0,
    upgrade: 0,
    downgrade: 0,
    remove: 0,
  };
}
