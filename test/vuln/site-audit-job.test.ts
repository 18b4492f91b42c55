// Issue 17 part 4 end to end: the job carries the verified list, so the
// site-side `pkg_admin audit` (the emulator's, pointed at it with -C and
// PKGVULNDIR, as the real tool needs) finds what the controller finds for
// the same package set; both are journalled and status compares them.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bin } from '../helpers/cli.js';
import { makeFleet } from '../helpers/fleet.js';
import { auditDisagreement } from '../../src/vuln/job-list.js';
import { renderJobScript } from '../../src/jobs/render-script.js';
import { expectShellcheckClean } from '../helpers/shellcheck.js';

const BODY =
  'foo<1.4\tinformation-leak\thttps://example.org/advisory/FOO\ntool-[0-9]*\teol\thttps://example.org/eol/tool\n';
const LIST = `# $NetBSD: pkg-vulnerabilities,v 1.1 2026/12/01 $\n#\n#FORMAT 1.1.0\n#\n#CHECKSUM SHA512 ${createHash('sha512').update(`#\n#FORMAT 1.1.0\n#\n${BODY}`).digest('hex')}\n${BODY}`;

describe('the job carries the verified list', () => {
  it('runs the site-side audit against it and agrees with the central audit', async () => {
    const f = makeFleet(['A'], 'packages:\n  - foo-1.2\n  - tool\n');
    const list = path.join(f.root, 'pkg-vulnerabilities');
    writeFileSync(list, LIST);
    const site = `  - { name: A, sw_area: ${f.sites.A!.swArea}, platform: x86_64-el9, pkg_path: ${f.pkgPath}, profiles: [p] }`;
    f.commit(
      'packages:\n  - foo-1.2\n  - tool\n',
      'a list',
      `defaults:\n  vulnerabilities: { list: ${list} }\nsites:\n${site}\n`,
    );
    const env = { env: { VO_EMULATOR_LOG: f.log } };
    expect((await bin(['apply', '--desired', f.desired, '--state', f.state], env)).code).toBe(0);
    // Now foo-1.2 and tool-2.0 are installed; the next job audits them before it adds bar.
    f.commit(
      'packages:\n  - foo-1.2\n  - tool\n  - bar\n',
      'bar',
      `defaults:\n  vulnerabilities: { list: ${list} }\nsites:\n${site}\n`,
    );
    const r = await bin(['apply', '--desired', f.desired, '--state', f.state], env);
    expect(r.code, r.stdout + r.stderr).toBe(0);

    const records = readFileSync(path.join(f.state, 'journal.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const begin = records.filter((x) => x.type === 'begin').at(-1) as {
      txid: string;
      vulnerabilities?: { central: unknown[] };
    };
    const finished = records.find((x) => x.type === 'finished' && x.txid === begin.txid) as {
      audit: unknown[];
      auditExit?: number;
    };
    const expected = [
      { pkgname: 'foo-1.2', kind: 'information-leak', url: 'https://example.org/advisory/FOO' },
      { pkgname: 'tool-2.0', kind: 'eol', url: 'http://ftp.NetBSD.org/pub/NetBSD/packages/vulns/eol-packages' },
    ];
    expect(begin.vulnerabilities!.central).toEqual(expected);
    // Without the carried list the emulated pkg_admin finds no file and reports nothing.
    expect(finished.audit).toEqual(expected);
    expect(finished.auditExit).toBe(1);

    const status = JSON.parse(
      (await bin(['status', '--desired', f.desired, '--state', f.state, '--format', 'json'])).stdout,
    ) as {
      sites: { siteAudit?: { onlyCentral: string[]; onlySite: string[] } }[];
    };
    expect(status.sites[0]!.siteAudit).toMatchObject({ onlyCentral: [], onlySite: [] });
  });

  it('renders a shellcheck-clean job that a list cannot break out of', () => {
    const spec = {
      txid: 'tx-1',
      nonce: '0123456789abcdef',
      site: 'S',
      swArea: '/srv/vo_sw',
      prefix: '/srv/vo_sw/pkg',
      pkgPath: '/srv/packages/All',
      lease: 3600,
      controller: 'ctl',
      actions: [],
      vulnerabilities: `${LIST}$(touch /tmp/pwned) \`x\` '\n`,
    };
    const script = renderJobScript(spec);
    expect(script).toContain(`<<'VO_VULNS_0123456789abcdef'`);
    expect(script).toContain('-C "$LOCK_DIR/vulns/pkg_install.conf" audit');
    expectShellcheckClean(script);
    expect(() => renderJobScript({ ...spec, vulnerabilities: `${LIST}VO_VULNS_0123456789abcdef\nrm -rf /\n` })).toThrow(
      /end marker/,
    );
  });

  it('names what only one side found', () => {
    const f = { pkgname: 'foo-1.2', kind: 'information-leak', url: 'u' };
    expect(auditDisagreement([f], [])).toEqual({ onlyCentral: ['foo-1.2 information-leak u'], onlySite: [] });
    expect(auditDisagreement([], [f])).toEqual({ onlyCentral: [], onlySite: ['foo-1.2 information-leak u'] });
  });
});
