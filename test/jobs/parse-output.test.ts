// Reading job output: complete, failed, truncated, killed, garbled and
// forged outputs each give a result with a reason; none throws.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAudit, parseJobOutput } from '../../src/jobs/parse-output.js';

const N = 'feedfacecafebeef';
const m = (s: string) => `@@vo:${N} ${s}`;
const step = (label: string, rc: number, ...out: string[]) => [
  m(`begin ${label}`),
  ...out,
  '',
  m(`end ${label} ${rc}`),
];

const OK = [
  m('start tx-1'),
  ...step('preflight', 0, 'software area /srv is writable'),
  ...step('lock', 0, 'locked'),
  ...step('version', 0, '20130131'),
  ...step('audit', 1, 'Package foo-1.2 has a information-leak vulnerability, see https://example.org/FOO-1'),
  ...step('action 1 install bar-1.0', 0),
  ...step('inventory', 0, 'bar-1.0             Bar needs foo', 'foo-1.2             Foo utility'),
  ...step('inventory-u', 0, 'bar-1.0             Bar needs foo'),
  m('unlocked'),
  m('done ok'),
  '',
].join('\n');

describe('parseJobOutput', () => {
  it('reads a complete run', () => {
    const r = parseJobOutput(OK, N);
    expect(r.problem).toBeUndefined();
    expect(r.status).toBe('ok');
    expect(r.pkgToolsVersion).toBe('20130131');
    expect(r.inventory!.map((e) => e.pkgname)).toEqual(['bar-1.0', 'foo-1.2']);
    expect(r.userInstalled!.map((e) => e.pkgname)).toEqual(['bar-1.0']);
    expect(r.audit).toEqual([{ pkgname: 'foo-1.2', kind: 'information-leak', url: 'https://example.org/FOO-1' }]);
    expect(r.steps.find((s) => s.label === 'action 1 install bar-1.0')!.rc).toBe(0);
  });

  it('says where truncated output ends', () => {
    const cut = OK.slice(0, OK.indexOf(m('end inventory 0')));
    expect(parseJobOutput(cut, N).problem).toBe(
      "job output ends inside step 'inventory' (killed, timed out or truncated)",
    );
    expect(parseJobOutput(OK.replace(m('done ok'), ''), N).problem).toMatch(/without a final status/);
    expect(parseJobOutput('', N).problem).toMatch(/never started/);
  });

  it('does not read a framing line cut short as one: the step it would begin or end is unknown', () => {
    const at = OK.indexOf(m('begin action 1'));
    for (const keep of [m('begin ').length, m('begin act').length, m('end action 1 install bar-1.0 ').length]) {
      const cut = OK.slice(0, at + keep);
      expect(parseJobOutput(cut, N).problem).toBe(
        "job output ends after step 'audit' without a final status (truncated)",
      );
    }
    // Cut inside a framing line that ends a step: that step stays open.
    const inEnd = OK.slice(0, OK.indexOf(m('end inventory 0')) + m('end inv').length);
    expect(parseJobOutput(inEnd, N).problem).toBe(
      "job output ends inside step 'inventory' (killed, timed out or truncated)",
    );
  });

  it('ignores markers with another nonce (package output cannot forge them)', () => {
    const forged = OK.replace(
      'bar-1.0             Bar needs foo\nfoo',
      `@@vo:0000000000000000 done ok\nbar-1.0             Bar needs foo\nfoo`,
    );
    const r = parseJobOutput(forged, N);
    expect(r.problem).toMatch(/unreadable/);
  });

  it('reports a kill and a mismatched end marker', () => {
    expect(
      parseJobOutput([m('start t'), m('begin action 1 install x-1'), m('killed'), ''].join('\n'), N).problem,
    ).toMatch(/killed during 'action 1 install x-1'/);
    expect(
      parseJobOutput([m('start t'), m('begin lock'), m('end audit 0'), m('done ok'), ''].join('\n'), N).problem,
    ).toMatch(/garbled/);
  });

  it('never throws on arbitrary text, marker-laden or not, and reads its marks as a plain reading of them does', () => {
    const line = fc.oneof(
      fc.string(),
      fc.constantFrom(
        m('start x'),
        m('begin inventory'),
        m('end inventory 0'),
        m('done ok'),
        m('done failed'),
        m('killed'),
        m('end inventory x'),
        m('begin'),
      ),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), (lines) => {
        const r = parseJobOutput(`${lines.join('\n')}\n`, N);
        // The reading of a model: the marks alone decide the steps, the status and whether it started.
        const marks = lines.filter((l) => l.startsWith(m('')));
        const events = marks.map((l) => l.slice(m('').length));
        const words = events.map((e) => e.split(' '));
        const begun = words.filter(([w]) => w === 'begin').map(([, ...arg]) => arg.join(' '));
        let status: string | undefined;
        for (const e of events) {
          if (e === 'killed') status = 'killed';
          else if (e === 'done ok' || e === 'done failed') status = e.slice('done '.length);
        }
        expect(r.steps.map((s) => s.label)).toEqual(begun);
        expect(r.status).toBe(status);
        if (!words.some(([w]) => w === 'start')) expect(r.problem).toMatch(/^no output from the job script/);
        else if (status === undefined) expect(r.problem).toMatch(/^(job output ends|garbled job output)/);
        else if (status === 'killed') expect(r.problem).toMatch(/^(the job was killed|garbled job output)/);
        if (r.inventory !== undefined) expect(r.problem).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });

  it('reads audit lines as pkg_admin prints them (captures 231, eol)', () => {
    expect(
      parseAudit([
        'Package tiny-0.9b has reached end-of-life (eol), see http://ftp.NetBSD.org/pub/NetBSD/packages/vulns/eol-packages',
        'pkg_admin: something else',
      ]),
    ).toEqual([
      { pkgname: 'tiny-0.9b', kind: 'eol', url: 'http://ftp.NetBSD.org/pub/NetBSD/packages/vulns/eol-packages' },
    ]);
  });
});

describe('parseJobOutput: what each installed package depends on', () => {
  it("gives each listed package the DEPENDS of the job's pkg_info -n -a, and none when the job did not list them", () => {
    const withN = OK.replace(
      m('unlocked'),
      [
        ...step(
          'inventory-n',
          0,
          'Information for bar-1.0:',
          '',
          'Requires:',
          'foo>=1.2',
          '',
          '',
          'Information for foo-1.2:',
          '',
          '',
        ),
        m('unlocked'),
      ].join('\n'),
    );
    const r = parseJobOutput(withN, N);
    expect(r.problem).toBeUndefined();
    expect(r.inventory!.map((e) => [e.pkgname, e.depends])).toEqual([
      ['bar-1.0', ['foo>=1.2']],
      ['foo-1.2', []],
    ]);
    expect(parseJobOutput(OK, N).inventory!.every((e) => e.depends === undefined)).toBe(true);
  });

  it('makes an unreadable pkg_info -n listing a problem, not an exception', () => {
    const bad = OK.replace(m('unlocked'), [...step('inventory-n', 0, 'garbage line'), m('unlocked')].join('\n'));
    const r = parseJobOutput(bad, N);
    expect(r.problem).toMatch(/unreadable: job output \(pkg_info -n\):1:1: expected 'Information for PKGNAME:'/);
    expect(r.inventory).toBeUndefined();
  });
});
