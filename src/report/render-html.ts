// The status report as one self-contained HTML page: no external assets,
// every value from sites and desired state escaped, a sticky header, a
// filter box, sortable columns and a drill-down per site.
import { heldLabel, type FleetStatus, type SiteStatus } from './fleet-status.js';
import { liveness, vulnFlag } from './render-text.js';
import { listLine, matrixTable } from '../vuln/render-audit.js';

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function esc(v: unknown): string {
  return String(v ?? '').replace(/[&<>"']/g, (c) => ESC[c]!);
}

export function renderStatusHtml(s: FleetStatus): string {
  const head = `<tr><th data-col="0">package</th>${s.sites.map((site, i) => `<th data-col="${i + 1}" title="${esc(site.platform)}">${esc(site.name)}</th>`).join('')}</tr>`;
  const rows = s.packages
    .map(
      (p) =>
        `<tr><th scope="row">${esc(p.name)}</th>${s.sites
          .map((site) => {
            const c = p.cells[site.name];
            if (!c) return '<td></td>';
            return `<td class="${esc(c.state)}" title="${esc(`desired: ${c.desired ?? 'not declared'}`)}">${esc(c.installed ?? c.state)}</td>`;
          })
          .join('')}</tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>vo-reconcile status</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<style>
body{font:13px/1.4 system-ui,sans-serif;margin:1em}
table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:2px 6px;white-space:nowrap}
thead th{position:sticky;top:0;background:#eef;cursor:pointer}tbody th{position:sticky;left:0;background:#fafafa;text-align:left}
.in-sync{background:#e6f4e6}.drift{background:#fde2c4}.missing{background:#f8c6c6}.extra{background:#e4e4f8}.frozen{background:#ddd}.unmanaged{background:#f4f4f4}.unplanned,.unobserved{color:#999}
.vulns td.vuln{background:#f8c6c6;font-weight:normal;color:inherit}.vulns td.accepted{background:#eee}
.site{margin:.3em 0}.held,.busy,.vuln,.unvalidated{font-weight:bold;color:#a40}
</style></head><body>
<h1>vo-reconcile status</h1>
<p>Generated ${esc(s.generatedAt)} from desired state ${esc(s.revision)}.</p>
<h2>Sites</h2>
${s.sites.map(siteBlock).join('\n')}
${vulnSection(s)}<h2>Packages × sites</h2>
<p><label>Filter: <input id="filter" type="search" placeholder="package, version or state"></label> <span id="count"></span></p>
<table id="grid"><thead>${head}</thead><tbody>
${rows}
</tbody></table>
<script>
(function () {
  var input = document.getElementById('filter'), body = document.querySelector('#grid tbody'), count = document.getElementById('count');
  function filter() {
    var q = input.value.toLowerCase(), shown = 0;
    Array.prototype.forEach.call(body.rows, function (r) { var ok = r.textContent.toLowerCase().indexOf(q) >= 0 || r.innerHTML.toLowerCase().indexOf(q) >= 0; r.hidden = !ok; if (ok) shown++; });
    count.textContent = shown + ' of ' + body.rows.length + ' packages';
  }
  input.addEventListener('input', filter);
  document.querySelectorAll('#grid thead th').forEach(function (th) {
    th.addEventListener('click', function () {
      var col = +th.dataset.col, dir = th.dataset.dir === 'asc' ? -1 : 1; th.dataset.dir = dir > 0 ? 'asc' : 'desc';
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) { return dir * a.cells[col].textContent.localeCompare(b.cells[col].textContent); });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
  filter();
})();
</script>
</body></html>
`;
}

function siteBlock(site: SiteStatus): string {
  const c = site.counts;
  const last = site.last
    ? `last ${esc(site.last.kind)} <b>${esc(site.last.status)}</b> at ${esc(site.last.at)} (${esc(site.last.revision.slice(0, 12))}${site.last.tags.length ? ` [${esc(site.last.tags.join(', '))}]` : ''})${site.last.reason ? `: ${esc(site.last.reason)}` : ''}`
    : 'no transaction yet';
  return `<details class="site" id="site-${esc(site.name)}"><summary>${esc(site.name)} — ${c['in-sync']} in sync, ${c.drift} drift, ${c.missing} missing, ${c.extra} extra${site.held ? ` <span class="held">held (${esc(heldLabel(site.held))})</span>` : ''}${site.busy ? ` <span class="busy">busy</span>` : ''}${vulnFlag(site) ? ` <span class="vuln">${esc(vulnFlag(site))}</span>` : ''}${site.installed && site.validated?.txid !== site.installed.txid ? ' <span class="unvalidated">not validated</span>' : ''}</summary>
<ul><li>${esc(site.backend)}, ${esc(site.platform)}; ${site.observed ? `observed ${esc(site.observed.at)} (${esc(site.observed.source)}, ${site.observed.packages} packages)` : 'not observed'}</li>
<li>${last}</li>
${site.installed ? `<li>${esc(liveness(site).slice(2))}</li>` : ''}
${reportedItem(site)}${site.busy ? `<li>busy: ${esc(site.busy.command)} by ${esc(site.busy.controller)} since ${esc(site.busy.since)}</li>` : ''}
${siteAuditItem(site)}${site.vulnerabilities.map((v) => `<li>${esc(v.pkgname)}: ${esc(v.kind)} — ${esc(v.url)}</li>`).join('')}
</ul></details>`;
}

function siteAuditItem(site: SiteStatus): string {
  const a = site.siteAudit;
  if (!a) return '';
  if (a.onlyCentral.length === 0 && a.onlySite.length === 0)
    return `<li>site-side pkg_admin audit (${esc(a.txid)}) agrees with the controller's</li>`;
  const diff = [
    ...a.onlyCentral.map((k) => `only the controller: ${k}`),
    ...a.onlySite.map((k) => `only the site: ${k}`),
  ];
  return `<li class="vuln">site-side pkg_admin audit (${esc(a.txid)}, exit ${a.exit}) disagrees: ${esc(diff.join('; '))}</li>`;
}

function vulnSection(s: FleetStatus): string {
  const v = s.vulnerabilities;
  if (!v) return '';
  const audited = s.sites.filter((x) => x.audit?.status === 'audited').map((x) => x.name);
  return `<h2>Vulnerabilities × sites</h2>
<ul>${[...v.lists.map(listLine), ...v.problems.map((p) => `warning: ${p}`)].map((l) => `<li>${esc(l)}</li>`).join('')}</ul>
${matrixTable(v.matrix, audited)}
`;
}

function reportedItem(site: SiteStatus): string {
  const r = site.reported;
  if (!r) return '';
  const c = r.changes;
  const changes = c
    ? [
        ...c.added.map((p) => `+${p}`),
        ...c.removed.map((p) => `−${p}`),
        ...c.changed.map((p) => `${p.name} ${p.from} → ${p.to}`),
      ]
    : [];
  const since = c ? `, changes since ${esc(r.previousAt)}: ${changes.length ? esc(changes.join(', ')) : 'none'}` : '';
  return `<li class="reported">reported ${esc(r.at)} (${r.reports} report${r.reports === 1 ? '' : 's'})${since}</li>\n`;
}
