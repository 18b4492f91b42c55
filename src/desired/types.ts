// The resolved desired state: what every site must have, with the place in
// the desired-state repository each requirement came from.
import type { SourceLocation } from '../errors.js';
import type { RolloutPolicy } from '../rollout/types.js';
import type { SiteVulnConfig } from './vulnerabilities.js';

export type PackageState = 'present' | 'absent' | 'frozen';
export type BackendName = 'local' | 'slurm' | 'arc';

/** One package requirement of one site, after profiles are merged. */
export interface DesiredPackage {
  /** The package base name (PKGBASE), the key everything pairs on. */
  name: string;
  /**
   * pkgsrc patterns an installed or offered package must all match. Usually
   * one; two profiles of a site that both constrain a package contribute one
   * each (their intersection is what the site needs).
   */
  patterns: string[];
  state: PackageState;
  /** Where each contributing declaration is (file:line:col). */
  sources: SourceLocation[];
  /** The profile chain it came through, outermost first (e.g. analysis → base). */
  via: string[];
  /**
   * Profiles that declare or inherit it and are stricter about
   * vulnerabilities than the site may be: `refuse` a vulnerable target,
   * `fix` an installed vulnerable version. Absent when none is.
   */
  vulnPolicy?: ProfileVulnPolicy;
}

/** Which profiles (sorted names) ask for each stricter treatment. */
export interface ProfileVulnPolicy {
  refuse?: string[];
  fix?: string[];
}

/**
 * A command run at the site after the actions; the package set counts as
 * validated only when every check exits 0 within its time limit.
 */
export interface DesiredCheck {
  /** Unique per site after profiles are merged; names the job step. */
  name: string;
  /** Shell text as the VO manager wrote it, run by `sh -c` unchanged. */
  run: string;
  /** Seconds. */
  timeout: number;
  source: SourceLocation;
  /** The profile chain it came through, outermost first. */
  via: string[];
}

export interface ResolvedSite {
  name: string;
  backend: BackendName;
  endpoint?: string;
  sw_area: string;
  prefix: string;
  platform: string;
  pkg_path: string;
  bootstrap?: string;
  tags: string[];
  profiles: string[];
  userpkgs: boolean;
  autoremove: boolean;
  /** Package bases no plan may remove; always includes pkg_install. */
  protect: string[];
  job_time_limit: number;
  account?: string;
  qos?: string;
  /** The site's name in EGI GOCDB, when it differs from `name` (downtimes are matched by it, or by the CE's host). */
  gocdb_name?: string;
  /** The vulnerability list the site is audited against, its age limit and accepted risks. */
  vulnerabilities?: SiteVulnConfig;
  /** Desired packages by base name, sorted by name. */
  packages: DesiredPackage[];
  /** Checks run after the actions, in order: inherited ones first. */
  checks: DesiredCheck[];
  /** Declarations dropped for this site by hosts_supported / hosts_not_supported. */
  filtered: { name: string; source: SourceLocation; reason: string }[];
  source: SourceLocation;
}

export interface DesiredState {
  /** What was read: a commit id, or "worktree". */
  revision: string;
  /** The full commit id when read from git. */
  commit?: string;
  /** The directory the state was read from, as given by the user. */
  dir: string;
  sites: ResolvedSite[];
  profiles: string[];
  /** Webhook receivers (notifications.yaml), when there is one. */
  notifications?: import('../notify/config.js').NotifyConfig;
  /** rollout.yaml: how a new revision reaches the sites in waves (absent: all at once). */
  rollout?: RolloutPolicy;
  /** windows.yaml: maintenance windows and where GOCDB downtimes are read (absent: sites may be touched any time). */
  windows?: import('../windows/types.js').WindowsConfig;
}

/** Seconds a check may take unless it says otherwise. */
export const DEFAULT_CHECK_TIMEOUT = 300;

/** Seconds a job may take, queue time included, unless a site says otherwise. */
export const DEFAULT_JOB_TIME_LIMIT = 3600;
