// `reconcile audit` as text and as one self-contained HTML page; JSON is the
// FleetAudit itself (JSON.stringify's text, made faster). Findings read as
// `pkg_admin audit` prints them.
import { esc } from '../report/render-html.js';
import { formatFinding, type Finding } from './audit.js';
import type { FleetAudit, ListSummary } from './fleet-audit.js';
import { vulnMatrix, type MatrixRow, type SiteAudit } from './site-audit.js';

export function listLine(l: ListSummary): string {
  const what =
    l.entries === undefined
      ? 'no verified copy'
      : `${l.entries} entries, ${l.verified.length ? `verified ${l.verified.join('+')}` : 'NOT VERIFIED (no #CHECKSUM)'}, ${l.ageDays!.toFixed(1)} days old${l.stale ? ` (OUT OF DATE: limit ${l.maxAgeDays})` : ''}`;
  return `list ${l.location}: ${what}; sites: ${l.sites.join(', ')}`;
}

function siteHead(a: SiteAudit): string {
  switch (a.status) {
    case 'not-configured':
      return `${a.site}: no vulnerability list configured`;
    case 'unobserved':
      return `${a.site}: not observed yet`;
    case 'no-list':
      return `${a.site}: not audited (no verified list)`;
    case 'audited':
      return `${a.site}: ${a.vulnerable} vulnerable package${a.vulnerable === 1 ? '' : 's'}${a.accepted ? `, ${a.accepted} accepted finding${a.accepted === 1 ? '' : 's'}` : ''} (${a.packages} installed, observed ${a.observedAt})`;
  }
}

export function renderAuditText(r: FleetAudit): string[] {
  const lines = [`Vulnerability audit at ${r.generatedAt}`];
  for (const l of r.lists) lines.push(listLine(l));
  for (const a of r.sites) {
    lines.push(siteHead(a));
    for (const f of a.findings) {
      const acc = f.accepted;
      const note = !acc
        ? ''
        : acc.expired
          ? ` (acceptance EXPIRED ${acc.expires}, ${acc.source})`
          : ` (accepted until ${acc.expires}: ${acc.reason})`;
      lines.push(`  ${acc && !acc.expired ? 'accepted: ' : ''}${formatFinding(f)}${note}`);
    }
  }
  return [...lines, ...matrixText(vulnMatrix(r.sites))];
}

/** The advisory × site matrix as text lines (none when nothing was found). */
export function matrixText(matrix: readonly MatrixRow[]): string[] {
  if (matrix.length === 0) return [];
  const lines = ['', 'Advisories × sites (open; accepted in brackets):'];
  for (const row of matrix) {
    const cells = Object.entries(row.sites).map(
      ([site, c]) => `${site} ${[...c.open, ...c.accepted.map((p) => `[${p}]`)].join(' ')}`,
    );
    lines.push(`  ${row.kind} ${row.url}: ${cells.join('; ')}`);
  }
  return lines;
}

/** The advisory × site table, shared by the audit page and the status page. */
export function matrixTable(matrix: readonly MatrixRow[], sites: readonly string[]): string {
  if (matrix.length === 0) return '<p>No vulnerable package at any audited site.</p>';
  const head = `<tr><th>advisory</th>${sites.map((s) => `<th>${esc(s)}</th>`).join('')}</tr>`;
  const body = matrix
    .map((row) => {
      const cells = sites.map((s) => {
        const c = row.sites[s];
        if (!c) return '<td></td>';
        const cls = c.open.length ? 'vuln' : 'accepted';
        return `<td class="${cls}">${esc([...c.open, ...c.accepted.map((p) => `${p} (accepted)`)].join(', '))}</td>`;
      });
      return `<tr><th scope="row"><a href="${esc(row.url)}">${esc(row.kind)}</a><br><small>${esc(row.url)}</small></th>${cells.join('')}</tr>`;
    })
    .join('\n');
  return `<table class="vulns"><thead>${head}</thead><tbody>\n${body}\n</tbody></table>`;
}

export function renderAuditHtml(r: FleetAudit): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>vo-reconcile vulnerability audit</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>
body{font:13px/1.4 system-ui,sans-serif;margin:1em}
table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:2px 6px;vertical-align:top}
.vuln{background:#f8c6c6}.accepted{background:#eee}.problem{color:#a40;font-weight:bold}
</style></head><body>
<h1>Vulnerability audit</h1>
<p>Generated ${esc(r.generatedAt)}.</p>
<ul>${r.lists.map((l) => `<li>${esc(listLine(l))}</li>`).join('')}</ul>
${r.problems.length ? `<ul>${r.problems.map((p) => `<li class="problem">${esc(p)}</li>`).join('')}</ul>` : ''}
<h2>Sites</h2>
<ul>${r.sites.map((a) => `<li>${esc(siteHead(a))}</li>`).join('')}</ul>
<h2>Advisories × sites</h2>
${matrixTable(
  vulnMatrix(r.sites),
  r.sites.filter((s) => s.status === 'audited').map((s) => s.site),
)}
</body></html>
`;
}

/**
 * The FleetAudit as JSON, one line per site, made as it is written: a JSON document once joined,
 * byte for byte what JSON.stringify would give with the sites first. A
 * fleet's sites share their findings' objects (VulnIndex answers each
 * PKGNAME once), so each object's text is made once, not once per site.
 */
export function* renderAuditJson(r: FleetAudit): Generator<string> {
  const { sites, ...rest } = r;
  const texts = new Map<Finding, string>();
  yield '{"sites":[';
  // One at a time: a line written before the next is made dies young, instead of 60 MB surviving collections.
  for (const [i, s] of sites.entries()) yield `${i > 0 ? ',' : ''}${siteAuditJson(s, texts)}`;
  yield `],${JSON.stringify(rest).slice(1)}`;
}

// In JSON.stringify's text this can only be the key: within a string a quote is escaped.
const NO_FINDINGS = '"findings":[]';

function siteAuditJson(s: SiteAudit, texts: Map<Finding, string>): string {
  const frame = JSON.stringify({ ...s, findings: [] });
  if (s.findings.length === 0) return frame;
  const at = frame.indexOf(NO_FINDINGS) + NO_FINDINGS.length - 1;
  const parts = s.findings.map((f) => {
    let t = texts.get(f);
    if (t === undefined) texts.set(f, (t = JSON.stringify(f)));
    return t;
  });
  return `${frame.slice(0, at)}${parts.join(',')}${frame.slice(at)}`;
}
