// Observed state: what a site really has, and how we know.

export interface InstalledPackage {
  pkgname: string;
  /** Package base name (PKGBASE). */
  name: string;
  version: string;
  comment: string;
  /** Installed as a dependency (absent from `pkg_info -u`). */
  automatic: boolean;
  /**
   * Its own DEPENDS as the site's package database records them (`pkg_info
   * -n`); absent when the observation did not record them (observations
   * older than this field, or listings imported without `pkg_info -n`).
   */
  depends?: string[];
}

export interface AuditFinding {
  pkgname: string;
  /** e.g. "remote-code-execution", or "eol". */
  kind: string;
  url: string;
}

export type ObservationSource = 'import' | 'observed-dir' | 'probe' | 'job' | 'reported';

export interface Inventory {
  site: string;
  /** In the order pkg_info listed them (stored observations are sorted by pkgname). */
  packages: InstalledPackage[];
  /**
   * Whether the user-installed list (`pkg_info -u`) was known. Without it
   * no package is taken to be automatic, which is the safe reading: an
   * automatic package is never removed, so unknown ones must not be called so.
   */
  userListKnown: boolean;
  pkgToolsVersion?: string;
  audit?: AuditFinding[];
  observedAt: string;
  source: ObservationSource;
  /** Where it came from: a file, a job id, a URL. */
  origin: string;
}
