// `reconcile audit`: every selected site's latest observation audited by the
// controller against its verified vulnerability list, with pkgsrc's pattern
// semantics; no job runs. Exit 1 when a site has an open finding or could
// not be audited for want of a verified list, as `pkg_admin audit` exits 1.
import writeFileAtomic from 'write-file-atomic';
import { checkObservedDir } from '../../observed/observed-dir.js';
import { AuditReads, type AuditSource } from '../../vuln/audit-input.js';
import { auditFleet, type FleetAudit } from '../../vuln/fleet-audit.js';
import { ListCache } from '../../vuln/list-store.js';
import { renderAuditHtml, renderAuditJson, renderAuditText } from '../../vuln/render-audit.js';
import { formatOpt, listOpt, noPositionals, stringOpt, type ParsedArgs } from '../args.js';
import { desiredWithMemoFromArgs, selectSites, stateDirFromArgs } from '../common.js';
import type { CommandResult, Io } from '../io.js';

export async function auditCommand(args: ParsedArgs, io: Io): Promise<CommandResult> {
  noPositionals(args);
  const format = formatOpt(args);
  const stateDir = stateDirFromArgs(args);
  const observedDir = stringOpt(args, 'observed');
  const source: AuditSource = observedDir
    ? { kind: 'observed-dir', dir: observedDir }
    : { kind: 'state', dir: stateDir };
  // Without --site every observation the source holds is read, on the other cores, while the desired state loads.
  let reads = listOpt(args, 'site').length === 0 ? AuditReads.prefetch(source) : undefined;
  let report: FleetAudit;
  try {
    // Memoized: cron audits often, the desired state rarely changes, and the audit needs no site's packages.
    const loaded = await desiredWithMemoFromArgs(args, io, stateDir);
    const desired = loaded.state;
    const sites = selectSites(desired, args);
    if (observedDir) await checkObservedDir(observedDir);
    reads ??= AuditReads.start(
      source,
      sites.map((s) => s.name),
    );
    reads.want(sites.map((s) => s.name));
    const r = reads;
    report = await auditFleet(sites, (s) => r.input(s.name), new ListCache(stateDir, { refresh: true }), new Date());
    await loaded.keepParsed();
  } finally {
    await reads?.close();
  }
  for (const p of report.problems) io.err(p);
  // A thousand sites' findings make a large report: it goes out in pieces, never as one string.
  const chunks: Iterable<string> =
    format === 'json'
      ? renderAuditJson(report)
      : format === 'html'
        ? [renderAuditHtml(report).replace(/\n$/, '')]
        : renderAuditText(report);
  const output = stringOpt(args, 'output');
  if (output) {
    await writeFileAtomic(output, Array.from(chunks, (c) => `${c}\n`).join(''));
    io.out(`wrote ${output}`);
  } else for (const c of chunks) io.out(c);
  const bad = report.sites.some((a) => a.vulnerable > 0 || a.status === 'no-list');
  return { exitCode: bad ? 1 : 0 };
}
