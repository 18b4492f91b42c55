// `reconcile audit` and `status` end to end on a test site built from the
// captures (100-pkg_info, 102-pkg_info-u): the list is served over real HTTP
// with validators, fetched once per run, a tampered copy is refused with one
// line while the verified one stays in use, accepted risks hide findings
// until they expire, and the report shows what the real tool printed (231).
import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetStatus } from '../../src/report/fleet-status.js';
import { vulnMetrics } from '../../src/report/vuln-metrics.js';
import { vulnMatrix, type SiteAudit } from '../../src/vuln/site-audit.js';
import { cli } from '../helpers/cli.js';
import { desiredRepo, tempDir } from '../helpers/tmp.js';

const FIXTURES = new URL('../fixtures/pkgsrc/', import.meta.url);
const capture = (n: string) =>
  JSON.parse(readFileSync(new URL(`commands/${n}`, FIXTURES), 'utf8')) as { stdout: string };
const LIST = readFileSync(new URL('pkg-vulnerabilities.example', FIXTURES), 'utf8');
const REAL_TOOL = capture('231-pkg_admin-audit.json').stdout.trim().split('\n').sort();

let body = gzipSync(LIST);
let etag = '"v1"';
const requests: { inm?: string }[] = [];
const server = http.createServer((req, res) => {
  requests.push({ ...(req.headers['if-none-match'] ? { inm: req.headers['if-none-match'] } : {}) });
  if (req.headers['if-none-match'] === etag) return res.writeHead(304).end();
  res.writeHead(200, { etag, 'last-modified': new Date().toUTCString() }).end(body);
});
let url = '';
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/pkg-vulnerabilities.gz`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function sitesYaml(list: string, extra = ''): string {
  return `defaults:
  backend: local
  vulnerabilities:
    list: ${list}
    ignore:
      - { url: https://example.org/advisory/VULN-2, reason: "vuln only runs offline here", expires: "2999-12-31" }
      - { pattern: "tiny-[0-9]*", reason: "replacement scheduled", expires: "2020-01-01" }
${extra}sites:
  - { name: CAPTURED, sw_area: /srv/vo_sw, platform: x86_64-el9, pkg_path: /nonexistent/All }
  - { name: CLEAN, sw_area: /srv/vo_sw2, platform: x86_64-el9, pkg_path: /nonexistent/All }
`;
}

async function observed(state: string, repo: string): Promise<void> {
  const dir = tempDir();
  writeFileSync(path.join(dir, 'a'), capture('100-pkg_info.json').stdout);
  writeFileSync(path.join(dir, 'u'), capture('102-pkg_info-u.json').stdout);
  writeFileSync(path.join(dir, 'clean'), 'bar-1.0 Bar needs foo\nvuln-1.1 Fixed\n');
  const d = path.join(repo, 'desired-state');
  for (const [site, file, u] of [
    ['CAPTURED', 'a', 'u'],
    ['CLEAN', 'clean', 'clean'],
  ] as const) {
    const r = await cli([
      'observe',
      '--desired',
      d,
      '--state',
      state,
      '--site',
      site,
      '--import',
      path.join(dir, file),
      '--import-u',
      path.join(dir, u),
    ]);
    expect(r.code, r.stderr).toBe(0);
  }
}

interface AuditJson {
  sites: {
    site: string;
    status: string;
    vulnerable: number;
    accepted: number;
    findings: { pkgname: string; kind: string; url: string; accepted?: { expired: boolean } }[];
  }[];
  lists: { entries?: number; verified: string[]; refused?: string; stale: boolean }[];
}

const line = (f: { pkgname: string; kind: string; url: string }) =>
  f.kind === 'eol'
    ? `Package ${f.pkgname} has reached end-of-life (eol), see http://ftp.NetBSD.org/pub/NetBSD/packages/vulns/eol-packages`
    : `Package ${f.pkgname} has a ${f.kind} vulnerability, see ${f.url}`;

describe('reconcile audit over HTTP', () => {
  it('finds what the real tool found, fetches once per run, refuses a tampered copy and keeps the last good one', async () => {
    const repo = desiredRepo({ 'sites.yaml': sitesYaml(url) });
    const state = tempDir();
    const d = path.join(repo, 'desired-state');
    await observed(state, repo);

    const first = await cli(['audit', '--desired', d, '--state', state, '--format', 'json']);
    expect(first.code).toBe(1);
    const r1 = JSON.parse(first.stdout) as AuditJson;
    expect(requests).toHaveLength(1); // two sites, one list, one fetch
    const captured = r1.sites.find((s) => s.site === 'CAPTURED')!;
    expect(captured.status).toBe('audited');
    expect(captured.findings.map(line).sort()).toEqual(REAL_TOOL);
    // VULN-2 is accepted; the tiny acceptance expired, so its finding is open again.
    const accepted = captured.findings.filter((f) => f.accepted && !f.accepted.expired).map((f) => f.url);
    expect(accepted).toEqual(['https://example.org/advisory/VULN-2']);
    expect(captured.findings.find((f) => f.pkgname === 'tiny-0.9b')!.accepted!.expired).toBe(true);
    expect(captured.vulnerable).toBe(5);
    expect(r1.sites.find((s) => s.site === 'CLEAN')!.findings).toEqual([]);
    expect(r1.lists[0]!.verified).toEqual(['SHA512']);
    expect(vulnMatrix(r1.sites as SiteAudit[]).find((m) => m.url.endsWith('VULN-2'))!.sites.CAPTURED).toEqual({
      open: [],
      accepted: ['vuln-1.0'],
    });

    // The next run asks with the validator and is told nothing changed.
    const again = await cli(['audit', '--desired', d, '--state', state]);
    expect(requests).toHaveLength(2);
    expect(requests[1]!.inm).toBe('"v1"');
    expect(again.stdout).toContain('CAPTURED: 5 vulnerable packages, 1 accepted finding');

    // A copy whose entries no longer match its #CHECKSUM: one line, the old copy stays.
    body = gzipSync(LIST.replace('foo<1.4nb1', 'foo<1.0'));
    etag = '"v2"';
    const tampered = await cli(['audit', '--desired', d, '--state', state, '--format', 'json']);
    const refusals = tampered.stderr.split('\n').filter((l) => l.includes('refused'));
    expect(refusals).toEqual([
      expect.stringMatching(
        /^http:\/\/127\.0\.0\.1:\d+\/pkg-vulnerabilities\.gz:5: SHA512 hash doesn't match; refused, still using the copy verified /,
      ),
    ]);
    const r3 = JSON.parse(tampered.stdout) as AuditJson;
    expect(
      r3.sites
        .find((s) => s.site === 'CAPTURED')!
        .findings.map(line)
        .sort(),
    ).toEqual(REAL_TOOL);

    // status shows the same audit, the matrix, and the refusal.
    const status = await cli(['status', '--desired', d, '--state', state, '--format', 'json']);
    expect(status.code).toBe(0);
    const s = JSON.parse(status.stdout) as {
      sites: { name: string; audit?: { vulnerable: number; accepted: number }; vulnerabilities: unknown[] }[];
      vulnerabilities: { matrix: unknown[]; problems: string[] };
    };
    expect(s.sites.find((x) => x.name === 'CAPTURED')!.audit).toEqual({
      status: 'audited',
      vulnerable: 5,
      accepted: 1,
    });
    expect(s.sites.find((x) => x.name === 'CAPTURED')!.vulnerabilities).toHaveLength(5);
    expect(s.vulnerabilities.matrix.length).toBe(6);
    expect(s.vulnerabilities.problems.join('\n')).toMatch(/SHA512 hash doesn't match; refused/);
    // /metrics: vulnerable packages per site, the list's age, the refusal.
    const m = vulnMetrics(JSON.parse(status.stdout) as FleetStatus).join('\n');
    expect(m).toContain('vo_reconcile_vulnerable_packages{site="CAPTURED"} 5');
    expect(m).toContain('vo_reconcile_vulnerable_packages{site="CLEAN"} 0');
    expect(m).toContain('vo_reconcile_accepted_vulnerabilities{site="CAPTURED"} 1');
    expect(m).toMatch(/vo_reconcile_vulnerability_list_age_seconds\{list="http:[^"]+"\} \d+/);
    expect(m).toMatch(/vo_reconcile_vulnerability_list_stale\{list="http:[^"]+"\} 0/);
    expect(m).toMatch(/vo_reconcile_vulnerability_list_refused\{list="http:[^"]+"\} 1/);
    const text = await cli(['status', '--desired', d, '--state', state]);
    expect(text.stdout).toMatch(/CAPTURED: .*5 vulnerable \(5 findings, 1 accepted\)/);
    expect(text.stdout).toMatch(/Advisories × sites/);
    const html = await cli(['status', '--desired', d, '--state', state, '--format', 'html']);
    expect(html.stdout).toContain('<h2>Vulnerabilities × sites</h2>');
    body = gzipSync(LIST);
    etag = '"v1"';
  });
});

describe('reconcile audit from a path', () => {
  it('reports a malformed line with file:line and audits nothing without a verified copy', async () => {
    const dir = tempDir();
    const list = path.join(dir, 'pkg-vulnerabilities');
    // Without a #CHECKSUM (the hash would fail first, at line 5), as the tool reads on to the bad line.
    const unsummed = LIST.replace(/#CHECKSUM.*\n/, '');
    writeFileSync(list, unsummed.replace('tiny-[0-9]*\teol\thttps://example.org/eol/tiny', 'tiny-[0-9]*\teol'));
    const repo = desiredRepo({ 'sites.yaml': sitesYaml(list) });
    const state = tempDir();
    await observed(state, repo);
    const r = await cli(['audit', '--desired', path.join(repo, 'desired-state'), '--state', state]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${list}:11: Input error: missing URL; refused, no verified copy yet: sites are not audited`,
    );
    expect(r.stdout).toContain('CAPTURED: not audited (no verified list)');
  });

  it('audits raw listings with --observed as it audits stored observations', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'CAPTURED.pkg_info'), capture('100-pkg_info.json').stdout);
    const list = path.join(dir, 'pkg-vulnerabilities');
    writeFileSync(list, LIST);
    const repo = desiredRepo({ 'sites.yaml': sitesYaml(list) });
    const r = await cli([
      'audit',
      '--desired',
      path.join(repo, 'desired-state'),
      '--state',
      tempDir(),
      '--observed',
      dir,
      '--format',
      'json',
    ]);
    const sites = (JSON.parse(r.stdout) as AuditJson).sites;
    expect(
      sites
        .find((s) => s.site === 'CAPTURED')!
        .findings.map(line)
        .sort(),
    ).toEqual(REAL_TOOL);
    expect(sites.find((s) => s.site === 'CLEAN')!.status).toBe('unobserved');
  });

  it('warns when the list is older than max_age_days', async () => {
    const dir = tempDir();
    const list = path.join(dir, 'pkg-vulnerabilities');
    writeFileSync(list, LIST);
    const old = new Date(Date.now() - 10 * 86_400_000);
    utimesSync(list, old, old);
    const repo = desiredRepo({
      'sites.yaml': sitesYaml(list).replace(`list: ${list}`, `list: ${list}\n    max_age_days: 3`),
    });
    const state = tempDir();
    await observed(state, repo);
    const r = await cli(['audit', '--desired', path.join(repo, 'desired-state'), '--state', state]);
    expect(r.stderr).toContain(`${list}: the list is 10 days old (limit 3); update it`);
    expect(r.stdout).toMatch(/OUT OF DATE: limit 3/);
  });

  it('refuses an acceptance without url or pattern, with its place', async () => {
    const repo = desiredRepo({
      'sites.yaml': sitesYaml('/x').replace(
        '      - { pattern: "tiny',
        '      - { reason: r, expires: "2030-01-01" }\n      - { pattern: "tiny',
      ),
    });
    const r = await cli(['audit', '--desired', path.join(repo, 'desired-state'), '--state', tempDir()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/sites\.yaml:7:\d+: an accepted risk needs 'url'/);
  });
});
