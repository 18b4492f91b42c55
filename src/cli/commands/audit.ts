// `reconcile audit`: every selected site's latest observation audited by the
// controller against its verified vulnerability list, with pkgsrc's pattern
// semantics; no job runs. Exit 1 when a site has an open finding or could
// not be audited for want of a verified list, as `pkg_admin audit` exits 1.
import writeFileAtomic from 'write-file-atomic';
import { checkObservedDir } from '../../observed/observed-dir.js';
import { listingAuditInput, storedAuditInput } from '../../vuln/audit-input.js';
import { auditFleet, type FleetAudit } from '../../vuln/fleet-audit.js';
import { ListCache } from '../../vuln/list-store.js';
import { renderAuditHtml, renderAuditText } from '../../vuln/render-audit.js';
import { formatOpt, noPositionals, stringOpt, type ParsedArgs } from '../args.js';
import { desiredFromArgs, selectSites, stateDirFromArgs } from '../common.js';
import type { CommandResult, Io } from '../io.js';

export async function auditCommand(args: ParsedArgs, io: Io): Promise<CommandResult> {
  noPositionals(args);
  const format = formatOpt(args);
  const desired = await desiredFromArgs(args, io);
  const sites = selectSites(desired, args);
  const stateDir = stateDirFromArgs(args);
  const observedDir = stringOpt(args, 'observed');
  if (observedDir) await checkObservedDir(observedDir);
  const report = await auditFleet(
    sites,
    (s) => (observedDir ? listingAuditInput(observedDir, s.name) : storedAuditInput(stateDir, s.name)),
    new ListCache(stateDir, { refresh: true }),
    new Date(),
  );
  for (const p of report.problems) io.err(p);
  // A thousand sites' findings make a large report: it goes out in pieces, never as one string.
  const chunks =
    format === 'json'
      ? auditJsonChunks(report)
      : format === 'html'
        ? [renderAuditHtml(report).replace(/\n$/, '')]
        : renderAuditText(report);
  const output = stringOpt(args, 'output');
  if (output) {
    await writeFileAtomic(output, chunks.map((c) => `${c}\n`).join(''));
    io.out(`wrote ${output}`);
  } else for (const c of chunks) io.out(c);
  const bad = report.sites.some((a) => a.vulnerable > 0 || a.status === 'no-list');
  return { exitCode: bad ? 1 : 0 };
}

/** The FleetAudit as JSON, one line per site (a JSON document once joined; sites first). */
function auditJsonChunks(r: FleetAudit): string[] {
  const { sites, ...rest } = r;
  return [
    '{"sites":[',
    ...sites.map((s, i) => `${i > 0 ? ',' : ''}${JSON.stringify(s)}`),
    `],${JSON.stringify(rest).slice(1)}`,
  ];
}
