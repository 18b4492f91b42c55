// From a transaction's begin record to the job a backend is given: the
// rendered script, the name it is found again by (the txid), its limit.
import type { JobRequest } from '../../backends/types.js';
import type { DesiredCheck, ResolvedSite } from '../../desired/types.js';
import type { JobCheck } from '../../jobs/job-spec.js';
import { renderJobScript } from '../../jobs/render-script.js';
import type { BeginRecord } from '../../state/records.js';

/** The checks a job runs as the job spec carries them (no source locations). */
export function jobChecks(checks: readonly DesiredCheck[]): JobCheck[] {
  return checks.map((c) => ({ name: c.name, run: c.run, timeout: c.timeout }));
}

export function jobScriptFor(
  site: ResolvedSite,
  begin: Pick<BeginRecord, 'txid' | 'nonce' | 'plan' | 'expected' | 'kind' | 'controller' | 'checks'>,
  /** The verified vulnerability list the job hands to pkg_admin audit. */
  vulnerabilities?: string,
): string {
  return renderJobScript({
    txid: begin.txid,
    nonce: begin.nonce,
    site: site.name,
    swArea: site.sw_area,
    prefix: site.prefix,
    pkgPath: site.pkg_path,
    ...(site.bootstrap ? { bootstrap: site.bootstrap } : {}),
    lease: site.job_time_limit,
    controller: begin.controller.replace(/[^A-Za-z0-9._:@-]/g, '_'),
    actions: begin.plan.actions,
    ...(begin.expected ? { expected: begin.expected } : {}),
    ...(begin.checks ? { checks: begin.checks } : {}),
    probe: begin.kind === 'probe',
    ...(vulnerabilities !== undefined ? { vulnerabilities } : {}),
  });
}

/** The job of a transaction; named by its txid so a lost job id can be found again. */
export function jobRequest(site: ResolvedSite, begin: BeginRecord, vulnerabilities?: string): JobRequest {
  return {
    txid: begin.txid,
    jobName: begin.txid,
    site,
    script: jobScriptFor(site, begin, vulnerabilities),
    timeLimit: site.job_time_limit,
  };
}
