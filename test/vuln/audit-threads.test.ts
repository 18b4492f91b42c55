// The fleet audit reads observations on worker threads once a fleet is big
// enough (src/vuln/audit-input.ts): the built binary then audits a 240-site
// fleet on threads, the in-process run (TypeScript sources, no built
// worker) in this thread. Both must print the same report, and each site's
// findings must be what a brute-force match of every list entry gives —
// for raw listings (one declined by the byte reader, one missing, some in
// the directory but not in the desired state) and for stored observations.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { matchPattern } from '../../src/pkgsrc/pattern.js';
import { checkVulnerabilityList } from '../../src/vuln/list-file.js';
import type { FleetAudit } from '../../src/vuln/fleet-audit.js';
import { bin, cli, repoRoot } from '../helpers/cli.js';
import { desiredRepo, tempDir } from '../helpers/tmp.js';

const LIST = new URL('../fixtures/pkgsrc/pkg-vulnerabilities.example', import.meta.url);
const MARKED = [
  'vuln-1.0',
  'vuln-1.1',
  'foo-1.2',
  'foo-1.4nb1',
  'py311-requests-2.31.0',
  'py312-requests-2.32.0',
  'tiny-1.0',
  'p5-Foo-Bar-1.0.5',
];
const FILLER = Array.from({ length: 400 }, (_, k) => `lib${k}-tool-1.${k % 7}`);
const SITES = Array.from({ length: 240 }, (_, i) => `S${String(i).padStart(3, '0')}`);
const DESIRED_SITES = SITES.slice(0, 230); // the last ten listings are in the directory only
const UNOBSERVED = 'S007';
const DECLINED = 'S011'; // a line without a comment: the byte reader declines, the text reader reads it

function packagesOf(i: number): string[] {
  const marked = MARKED.filter((_, k) => (i >> k) & 1 || (i + k) % 5 === 0);
  // Two versions of one base at one site never happen; foo and vuln: one each.
  const one = (base: string) => marked.filter((p) => p.startsWith(`${base}-`)).slice(0, 1);
  const picked = [...marked.filter((p) => !/^(foo|vuln)-/.test(p)), ...one('foo'), ...one('vuln')];
  // A name of its own per site, and some marked ones only late: every task of a thread brings new names.
  const late = i < 150 ? picked.filter((p) => !p.startsWith('tiny-')) : picked;
  return [`own${i}-1.${i}`, ...late, ...FILLER.filter((_, k) => (k * 7 + i) % 11 < 6)];
}

function listing(names: string[], site: string): string {
  return names.map((n, k) => (site === DECLINED && k === 0 ? `${n}\n` : `${n.padEnd(19)} ${n} comment\n`)).join('');
}

function normalised(stdout: string): FleetAudit {
  const r = JSON.parse(stdout) as FleetAudit;
  return { ...r, generatedAt: 'X', lists: r.lists.map((l) => ({ ...l, fetchedAt: 'X', checkedAt: 'X', ageDays: 0 })) };
}

describe('the fleet audit on worker threads', () => {
  it('prints what the in-thread audit prints, and each site what brute force finds', async () => {
    expect(existsSync(path.join(repoRoot, 'dist/vuln/audit-worker.js')), 'npm run build first').toBe(true);
    const list = path.join(tempDir(), 'pkg-vulnerabilities');
    writeFileSync(list, readFileSync(LIST));
    const repo = desiredRepo({
      'sites.yaml': `defaults:
  backend: local
  vulnerabilities:
    list: ${list}
    ignore:
      - { url: https://example.org/advisory/VULN-2, reason: "offline only", expires: "2999-12-31" }
sites:
${DESIRED_SITES.map((s) => `  - { name: ${s}, sw_area: /srv/${s}, platform: x86_64-el9, pkg_path: /nonexistent/All }`).join('\n')}
`,
    });
    const desired = path.join(repo, 'desired-state');
    const observed = tempDir();
    const stored = tempDir();
    mkdirSync(path.join(stored, 'observed'));
    SITES.forEach((site, i) => {
      if (site === UNOBSERVED) return;
      writeFileSync(path.join(observed, `${site}.pkg_info`), listing(packagesOf(i), site));
      const packages = packagesOf(i).map((pkgname) => ({ pkgname, comment: '', automatic: false }));
      const inv = { site, observedAt: '2026-01-02T03:04:05.000Z', source: 'observed-dir', packages };
      writeFileSync(path.join(stored, 'observed', `${site}.json`), JSON.stringify(inv));
    });
    const args = ['audit', '--desired', desired, '--format', 'json'];

    const threads = await bin([...args, '--observed', observed, '--state', tempDir()]);
    const here = await cli([...args, '--observed', observed, '--state', tempDir()]);
    expect(threads.code, threads.stderr).toBe(1);
    expect(here.code, here.stderr).toBe(1);
    const report = normalised(threads.stdout);
    expect(report).toEqual(normalised(here.stdout));

    const entries = checkVulnerabilityList(readFileSync(list));
    if (!entries.ok) throw new Error('the example list is refused');
    expect(report.sites.map((s) => s.site)).toEqual(DESIRED_SITES);
    for (const [i, a] of report.sites.entries()) {
      if (a.site === UNOBSERVED) {
        expect(a.status).toBe('unobserved');
        continue;
      }
      const brute = packagesOf(i).flatMap((p) =>
        entries.entries.filter((e) => matchPattern(e.pattern, p)).map((e) => `${p} ${e.line}`),
      );
      expect(a.status).toBe('audited');
      expect(a.packages).toBe(packagesOf(i).length);
      expect(a.findings.map((f) => `${f.pkgname} ${f.line}`).sort()).toEqual(brute.sort());
      expect(a.findings.filter((f) => f.accepted).every((f) => f.url.endsWith('VULN-2'))).toBe(true);
    }

    // Stored observations, on threads too: the same findings.
    const fromState = await bin([...args, '--state', stored]);
    expect(fromState.code, fromState.stderr).toBe(1);
    const storedReport = normalised(fromState.stdout);
    expect(storedReport.sites.map((s) => ({ ...s, observedAt: undefined }))).toEqual(
      report.sites.map((s) => ({ ...s, observedAt: undefined })),
    );
  }, 60_000);
});
