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
  /** Install it marked automatic (pkg_add -A): a rollback restoring a dependency. */
  automatic?: boolean;
}

export type KeepReason = 'in-sync' | 'frozen' | 'unmanaged' | 'automatic' | 'protected' | 'required';

export interface KeptPackage {
  name: string;
  /** Absent for a frozen package that is not installed. */
  pkgname?: string;
  reason: KeepReason;
  detail: string;
}

export interface PlanProblem {
  name?: string;
  message: string;
  sources?: string[];
}

export type SitePlanStatus = 'ok' | 'error' | 'unobserved';

export interface SitePlan {
  site: string;
  status: SitePlanStatus;
  /** Installs and upgrades/downgrades first (dependencies first), removals last (dependants first). */
  actions: PlanAction[];
  kept: KeptPackage[];
  /** How many packages were left alone, by reason (always set when planned). */
  keptCounts?: Partial<Record<KeepReason, number>>;
  errors: PlanProblem[];
  /** What the plan rests on that the reader should know (absent when nothing). */
  notes?: string[];
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
  changed: number;
  inSync: number;
  failed: number;
  install: number;
  upgrade: number;
  downgrade: number;
  remove: number;
}

export function emptySummary(): PlanSummary {
  return { sites: 0, changed: 0, inSync: 0, failed: 0, install: 0, upgrade: 0, downgrade: 0, remove: 0 };
}

/** Count one more site's plan into a summary (so plans need not be kept). */
export function addToSummary(s: PlanSummary, p: SitePlan): PlanSummary {
  s.sites++;
  if (p.status !== 'ok') s.failed++;
  else if (p.actions.length > 0) s.changed++;
  else s.inSync++;
  for (const a of p.actions) s[a.action]++;
  return s;
}
