// What a job script is made from: one site's plan plus the identity of the
// transaction and controller. Plain data, stored with the transaction.
import type { PlanAction } from '../plan/types.js';

export interface JobSpec {
  txid: string;
  /** Random per job: marks the controller's framing lines so package output cannot forge them. */
  nonce: string;
  site: string;
  swArea: string;
  prefix: string;
  pkgPath: string;
  bootstrap?: string;
  /** Seconds after which another job may break this job's site lock. */
  lease: number;
  /** Who holds the lock: host and pid of the controller. */
  controller: string;
  actions: PlanAction[];
  /**
   * The pkgnames the plan was made from. The job refuses to act (status
   * "stale") if the site has changed since; undefined for a probe.
   */
  expected?: string[];
  /**
   * Run after the actions when they all succeeded, before the final listing
   * and the unlock. Absent or empty: the script is exactly as without checks.
   */
  checks?: JobCheck[];
  /**
   * The controller's verified pkg-vulnerabilities text: the job writes it
   * beside its lock and points `pkg_admin audit` at it (PKGVULNDIR, which
   * pkg_admin reads only from a config file). Absent: the site's own list.
   */
  vulnerabilities?: string;
  /** A probe only reports what the site has: no bootstrap, no actions. */
  probe?: boolean;
}

/** One check as the job runs it: `run` reaches `sh -c` byte for byte. */
export interface JobCheck {
  name: string;
  run: string;
  /** Seconds. */
  timeout: number;
}

/** Job exit codes; the framing lines say the same in words. */
export const JOB_EXIT = { ok: 0, failed: 1, unusable: 2, stale: 3, busy: 75 } as const;
export type JobStatus = keyof typeof JOB_EXIT;
