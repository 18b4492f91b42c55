// The status report as one self-contained HTML page, the one a VO manager
// keeps open: what needs attention first (failures, holds, unvalidated and
// vulnerable sites), recent history, then every site and the packages ×
// sites grid. No external assets; every value from sites and desired state
// is escaped. Each state has a symbol as well as a colour, so the page reads
// without colour. The grid is drawn by the page's script from compact JSON
// (300 sites × 500 packages as HTML cells was ~9 MB).
import { heldLabel, type CellState, type FleetStatus, type SiteStatus, type TxSummary } from './fleet-status.js';
import { grid, type GridData } from './html-grid.js';
import { GRID_SCRIPT } from './html-script.js';
import { liveness, vulnFlag } from './render-text.js';
import { rolloutLines } from '../rollout/describe.js';
import { describeGate } from '../windows/gate.js';
import { listLine, matrixTable } from '../vuln/render-audit.js';

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function esc(v: unknown): string {
  return String(v ?? '').replace(/[&<>"']/g, (c) => ESC[c]!);
}

/** Per cell state: its symbol and what it means, in the order the legend lists them. */
export const LEGEND: readonly { state: CellState; symbol: string; meaning: string }[] = [
  { state: 'in-sync', symbol: '✓', meaning: 'installed as wanted' },
  { state: 'drift', symbol: '≠', meaning: 'installed version not as wanted: apply changes it' },
  { state: 'missing', symbol: '+', meaning: 'wanted, not installed: apply installs it' },
  { state: 'extra', symbol: '−', meaning: 'installed, not wanted: apply removes it' },
  { state: 'absent', symbol: '∅', meaning: 'declared absent and not installed, as wanted' },
  { state: 'frozen', symbol: '❄', meaning: 'frozen: never touched' },
  { state: 'unmanaged', symbol: '·', meaning: 'left alone (user-installed, protected or needed)' },
  { state: 'unplanned', symbol: '?', meaning: "the site's plan failed" },
  { state: 'unobserved', symbol: '?', meaning: 'the site was never observed' },
];

export interface HtmlOptions {
  /** Served pages reload themselves this often (seconds); a file written by `status` does not. */
  refreshSeconds?: number;
}

export function renderStatusHtml(s: FleetStatus, opts: HtmlOptions = {}): string {
  const refresh = opts.refreshSeconds ? `; refreshes every ${opts.refreshSeconds} s` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>vo-reconcile status</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<style>${STYLE}</style></head><body${opts.refreshSeconds ? ` data-refresh="${opts.refreshSeconds}"` : ''}>
<h1>vo-reconcile status</h1>
<p>Generated ${time(s.generatedAt)} from desired state ${commit(s.revision)}${refresh}.</p>
<p class="summary">${esc(fleetSummary(s))}</p>
${rolloutBlock(s)}${attention(s)}
${recent(s)}
<h2>Sites</h2>
${s.sites.map(siteBlock).join('\n')}
${vulnSection(s)}<h2>Packages × sites</h2>
${legend()}
<p><label>Filter: <input id="filter" type="search" placeholder="package, version or state"></label> <span id="count"></span></p>
<table id="grid"><thead></thead><tbody></tbody></table>
<script type="application/json" id="grid-data">${jsonForScript(grid(s, LEGEND))}</script>
<script>${GRID_SCRIPT}</script>
</body></html>
`;
}

const STYLE = `body{font:13px/1.4 system-ui,sans-serif;margin:1em}
table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:2px 6px;white-space:nowrap}
#grid thead th{position:sticky;top:0;background:#eef;cursor:pointer}#grid tbody th{position:sticky;left:0;background:#fafafa;text-align:left}
.in-sync{background:#e6f4e6}.drift{background:#fde2c4}.missing{background:#f8c6c6}.extra{background:#e4d4f4}.absent{background:#f2f8f2;color:#696}
.frozen{background:#ddd}.unmanaged{background:#fff;color:#666}.unplanned,.unobserved{color:#999}
.sym{display:inline-block;width:1.1em;font-weight:bold}
.legend td{border:none;padding:1px 6px}.legend td:first-child{border:1px solid #ccc;text-align:center}
.vulns td.vuln{background:#f8c6c6;font-weight:normal;color:inherit}.vulns td.accepted{background:#eee}
.site{margin:.3em 0}.held,.busy,.vuln,.unvalidated,.failed,.deferred{font-weight:bold;color:#a40}
.attention li{margin:.2em 0}.ok{color:#363}.summary{font-weight:bold}
#recent td.failed{background:#f8c6c6}#recent td.succeeded{background:#e6f4e6}`;

/** JSON inside a <script> element: no '<' may close it early (a package name is untrusted). */
function jsonForScript(data: GridData): string {
  return JSON.stringify(data).replace(/</g, '\\u003c');
}

/** An instant; the page's script shows it as "5 min ago" and keeps that current, the exact time on hover. */
function time(iso: string): string {
  return `<time datetime="${esc(iso)}" title="${esc(iso)}">${esc(iso)}</time>`;
}

function commit(rev: string): string {
  if (!/^[0-9a-f]{13,}$/.test(rev)) return `<code>${esc(rev)}</code>`;
  return `<code title="${esc(rev)}">${esc(rev.slice(0, 12))}</code>`;
}

function fleetSummary(s: FleetStatus): string {
  const n = (pred: (x: SiteStatus) => boolean) => s.sites.filter(pred).length;
  const parts = [
    `${n((x) => x.observed !== undefined && x.plan !== undefined && x.plan.status === 'ok' && x.plan.actions === 0)} in sync`,
    `${n((x) => x.plan !== undefined && (x.plan.actions > 0 || x.plan.status === 'error'))} to change`,
    `${n((x) => x.last?.status === 'failed')} failed`,
    `${n((x) => x.held !== undefined)} held`,
    `${n((x) => x.observed === undefined)} not observed`,
  ];
  return `${s.sites.length} sites: ${parts.join(', ')}`;
}

/** The rollout's headline, and for a halted one its failing sites and reasons. */
function rolloutBlock(s: FleetStatus): string {
  if (!s.rollout) return '';
  const [head, ...rest] = rolloutLines(s.rollout);
  const cls = s.rollout.status === 'halted' ? 'failed' : s.rollout.status === 'completed' ? 'ok' : '';
  const more = rest.length ? `<ul class="attention">${rest.map((l) => `<li>${esc(l.trim())}</li>`).join('')}</ul>` : '';
  return `<p class="rollout ${cls}">${s.rollout.status === 'halted' ? '✗ ' : ''}${esc(head)}</p>${more}\n`;
}

/** One line per site and reason to look at it, worst first; never collapsed. */
function attention(s: FleetStatus): string {
  const items: string[] = [];
  for (const site of s.sites) {
    const name = `<a href="#site-${esc(site.name)}">${esc(site.name)}</a>`;
    if (site.last && site.last.status !== 'succeeded')
      items.push(
        `<li class="failed">✗ ${name}: last ${esc(site.last.kind)} ${esc(site.last.status)} ${time(site.last.at)}${site.last.reason ? `: ${esc(site.last.reason)}` : ''}</li>`,
      );
    if (site.plan?.status === 'error')
      items.push(`<li class="failed">✗ ${name}: its plan has errors; nothing will be done there</li>`);
    if (site.held)
      items.push(`<li class="held">‖ ${name}: held (${esc(heldLabel(site.held))}) ${time(site.held.at)}</li>`);
    if (site.installed && site.validated?.txid !== site.installed.txid)
      items.push(`<li class="unvalidated">⚠ ${name}: installed but not validated (its checks did not pass)</li>`);
    const v = vulnFlag(site);
    if (v) items.push(`<li class="vuln">⚠ ${name}: ${esc(v)}</li>`);
    if (site.busy)
      items.push(`<li class="busy">↻ ${name}: busy (${esc(site.busy.command)} by ${esc(site.busy.controller)})</li>`);
    if (!site.observed) items.push(`<li>? ${name}: not observed yet</li>`);
    if (site.window && !site.window.open)
      items.push(`<li class="deferred">⏸ ${name}: ${esc(describeGate(site.window))}</li>`);
  }
  if (items.length === 0)
    return `<h2>Needs attention</h2>\n<p class="attention ok">✓ Nothing: no failure, hold or finding.</p>`;
  return `<h2>Needs attention</h2>\n<ul class="attention">${items.join('\n')}</ul>`;
}

function recent(s: FleetStatus): string {
  if (s.recent.length === 0) return '<h2>Recent transactions</h2>\n<p>None yet.</p>';
  const rows = s.recent.map(
    (t) =>
      `<tr><td>${time(t.at)}</td><td>${esc(t.site)}</td><td>${esc(t.kind)}</td><td class="${esc(t.status)}">${esc(t.status)}</td><td>${commit(t.revision)}${tags(t)}</td><td>${esc(t.reason ?? '')}</td></tr>`,
  );
  return `<h2>Recent transactions</h2>
<table id="recent"><thead><tr><th>when</th><th>site</th><th>kind</th><th>outcome</th><th>desired state</th><th>reason</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table>`;
}

const tags = (t: Pick<TxSummary, 'tags'>): string => (t.tags.length ? ` [${esc(t.tags.join(', '))}]` : '');

function legend(): string {
  const rows = LEGEND.map(
    (l) =>
      `<tr><td class="${l.state}"><span class="sym">${l.symbol}</span></td><td><b>${l.state}</b>: ${esc(l.meaning)}</td></tr>`,
  );
  return `<table class="legend" id="legend">${rows.join('')}<tr><td></td><td>blank: not declared for that site</td></tr></table>`;
}

function siteBlock(site: SiteStatus): string {
  const c = site.counts;
  const last = site.last
    ? `last ${esc(site.last.kind)} <b>${esc(site.last.status)}</b> ${time(site.last.at)} (${commit(site.last.revision)}${tags(site.last)})${site.last.reason ? `: ${esc(site.last.reason)}` : ''}`
    : 'no transaction yet';
  const badges = [
    site.last?.status === 'failed' ? '<span class="failed">✗ failed</span>' : '',
    site.held ? `<span class="held">‖ held (${esc(heldLabel(site.held))})</span>` : '',
    site.busy ? '<span class="busy">↻ busy</span>' : '',
    site.window && !site.window.open ? '<span class="deferred">⏸ deferred</span>' : '',
    vulnFlag(site) ? `<span class="vuln">⚠ ${esc(vulnFlag(site))}</span>` : '',
    site.installed && site.validated?.txid !== site.installed.txid
      ? '<span class="unvalidated">⚠ not validated</span>'
      : '',
  ].join('');
  return `<details class="site" id="site-${esc(site.name)}"><summary>${esc(site.name)} — ${c['in-sync']} in sync, ${c.drift} drift, ${c.missing} missing, ${c.extra} extra ${badges}</summary>
<ul><li>${esc(site.backend)}, ${esc(site.platform)}; ${site.observed ? `observed ${time(site.observed.at)} (${esc(site.observed.source)}, ${site.observed.packages} packages)` : 'not observed'}</li>
<li>${last}</li>
${site.installed ? `<li>${esc(liveness(site).slice(2))}</li>` : ''}
${site.window ? `<li>windows and downtimes: ${esc(describeGate(site.window))}</li>` : ''}
${reportedItem(site)}${site.busy ? `<li>busy: ${esc(site.busy.command)} by ${esc(site.busy.controller)} since ${time(site.busy.since)}</li>` : ''}
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
