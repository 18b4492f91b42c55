// The vocabulary of maintenance windows (windows.yaml, as read and checked by
// src/desired/windows-file.ts) and of scheduled downtimes (EGI GOCDB
// get_downtime XML, gocdb.ts). Plain data, so the decisions of this folder
// are pure functions of (windows, downtimes, site, instant).
import type { SourceLocation } from '../errors.js';

export type WindowKind = 'deny' | 'allow';

/** One window of windows.yaml: from each time the schedule fires, for `durationSeconds`. */
export interface MaintenanceWindow {
  name: string;
  kind: WindowKind;
  /** A cron expression (5 or 6 fields), read in `timezone`. */
  schedule: string;
  durationSeconds: number;
  /** An IANA time zone (Europe/Berlin), UTC unless given. */
  timezone: string;
  /** Site names or globs over names; with `tags`, the sites the window applies to (every site when both are empty). */
  sites: string[];
  tags: string[];
  location: SourceLocation;
}

export interface WindowsConfig {
  file: string;
  windows: MaintenanceWindow[];
  /** Where the GOCDB downtimes are read from once per run: a file path or an http(s) URL. */
  downtimes?: { source: string; location: SourceLocation };
}

export type Severity = 'OUTAGE' | 'WARNING';

/** One DOWNTIME element of a GOCDB get_downtime answer (one per affected service endpoint). */
export interface Downtime {
  /** The downtime's ID attribute: one ID spans every endpoint it affects. */
  id: string;
  primaryKey: string;
  classification: string;
  severity: Severity;
  description: string;
  /** Milliseconds since the epoch (GOCDB gives unix seconds). */
  start: number;
  end: number;
  /** The GOCDB site: SITENAME for a site-level downtime, HOSTED_BY for an endpoint's. */
  site?: string;
  hostname?: string;
  serviceType?: string;
  endpoint?: string;
}

/** The site fields the decisions read. */
export interface GatedSite {
  name: string;
  tags: readonly string[];
  /** The site's name in GOCDB, when it differs from its name here. */
  gocdb_name?: string;
  backend: string;
  endpoint?: string;
}
