// The central audit against the real tool: every captured `pkg_admin audit`
// (commands 231-249) is replayed from the captured package set (100-pkg_info,
// in its readdir order, which is the order the tool audits in) and the list
// and config the captures used, and must print the same lines and exit alike.
// The list checks agree with the captured check-pkg-vulnerabilities runs.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatFinding, VulnIndex, type AuditOptions } from '../../src/vuln/audit.js';
import { checkVulnerabilityList } from '../../src/vuln/list-file.js';
import { matchPattern } from '../../src/pkgsrc/pattern.js';

const FIXTURES = new URL('../fixtures/pkgsrc/', import.meta.url);
const fixture = (name: string): string => readFileSync(new URL(name, FIXTURES), 'utf8');
interface Capture {
  name: string;
  argv: string[];
  exit: number;
  stdout: string;
  stderr: string;
}
const capture = (file: string): Capture => JSON.parse(fixture(`commands/${file}`)) as Capture;

const installed = capture('100-pkg_info.json')
  .stdout.split('\n')
  .filter(Boolean)
  .map((l) => l.split(/\s+/)[0]!);
const listBytes = readFileSync(new URL('pkg-vulnerabilities.example', FIXTURES));
const checked = checkVulnerabilityList(listBytes);
if (!checked.ok) throw new Error(`the example list must pass: ${checked.error.message}`);
const index = new VulnIndex(checked.entries);

/** pkg_install.conf as the tool reads it: VAR=value, a repeated variable joined with newlines. */
function readConf(file: string): Map<string, string[]> {
  const conf = new Map<string, string[]>();
  // The captures' conf paths, mapped to the files beside them (the vulndir one only moves the list).
  const text = file.endsWith('pkg_install-ignore.conf') ? fixture('pkg_install-ignore.conf.example') : '';
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line);
    if (m) conf.set(m[1]!, [...(conf.get(m[1]!) ?? []), m[2]!]);
  }
  return conf;
}

/** What `pkg_admin ARGV` prints on this site, with the audit under test doing the matching. */
function replay(argv: string[]): { exit: number; stdout: string; stderr: string } {
  let i = 1;
  let verbose = false;
  let quiet = false;
  let conf = new Map<string, string[]>();
  for (; argv[i]?.startsWith('-'); i++) {
    if (argv[i] === '-v') verbose = true;
    else if (argv[i] === '-q') quiet = true;
    else if (argv[i] === '-C') conf = readConf(argv[++i]!);
    else throw new Error(`unexpected option ${argv[i]}`);
  }
  const command = argv[i++]!;
  const opts: AuditOptions = {
    eol: (conf.get('CHECK_END_OF_LIFE')?.at(-1) ?? 'yes').toLowerCase() === 'yes',
    ignoreUrls: conf.get('IGNORE_URL') ?? [],
  };
  for (; argv[i]?.startsWith('-'); i++) {
    if (argv[i] === '-e') opts.eol = true;
    else if (argv[i] === '-t') opts.kind = argv[++i]!;
    else throw new Error(`unexpected audit option ${argv[i]}`);
  }
  const args = argv.slice(i);
  // audit: installed packages matching each argument ("*" without); audit-pkg: the names as given.
  const names =
    command === 'audit-pkg'
      ? args
      : (args.length ? args : ['*']).flatMap((a) => installed.filter((p) => a === '*' || matchPattern(a, p)));
  const lines = names.flatMap((p) => index.audit(p, opts)).map((f) => (quiet ? f.pkgname : formatFinding(f)));
  const stdout = lines.map((l) => `${l}\n`).join('');
  return {
    exit: lines.length ? 1 : 0,
    stdout,
    stderr: !lines.length && verbose ? 'No vulnerabilities found\n' : '',
  };
}

// 230 has no list at all; 239 and 247 ask for a signature check with no key
// configured (the tool refuses, and the controller has no key either); 240
// audits a batch file that was not captured.
const AUDITS = [
  '231-pkg_admin-audit.json',
  '232-pkg_admin-v-audit.json',
  '233-pkg_admin-audit-pattern.json',
  '234-pkg_admin-audit-clean-pkg.json',
  '235-pkg_admin-audit-pkg.json',
  '236-pkg_admin-audit-t-type.json',
  '237-pkg_admin-q-audit.json',
  '241-pkg_admin-C-ignore-url.json',
  '242-pkg_admin-audit-e-forces-eol.json',
  '248-pkg_admin-audit-stale-file.json',
  '249-pkg_admin-C-PKGVULNDIR-audit.json',
];

describe('agreement with the captured pkg_admin audit runs', () => {
  it('replays the site the captures ran on', () => {
    expect(installed).toHaveLength(11);
    expect(checked.verified).toEqual(['SHA512']);
  });
  for (const file of AUDITS) {
    it(file, () => {
      const c = capture(file);
      const got = replay(c.argv);
      expect(got.stdout).toBe(c.stdout);
      expect(got.exit).toBe(c.exit);
      // -v warnings about the list's age go to stderr as well; only the verdict is compared.
      if (c.stderr === 'No vulnerabilities found\n' || got.stderr) expect(got.stderr).toBe(c.stderr);
    });
  }
});

describe('agreement with the captured check-pkg-vulnerabilities runs', () => {
  const text = listBytes.toString('latin1');
  const stderrOf = (file: string) =>
    capture(file)
      .stderr.replace(/^pkg_admin: /, '')
      .trim();
  it('243: a SHA1 #CHECKSUM that matches passes', () => {
    const r = checkVulnerabilityList(readFileSync(new URL('pkg-vulnerabilities.sha1.example', FIXTURES)));
    expect(capture('243-check-pkg-vulnerabilities-sha1.json').exit).toBe(0);
    expect(r.ok && r.verified).toEqual(['SHA1']);
  });
  it('244: an entry changed after hashing is refused with the tool message', () => {
    const r = checkVulnerabilityList(Buffer.from(text.replace('vuln-1.0\t', 'vuln-1.1\t'), 'latin1'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toEqual({ line: 5, message: stderrOf('244-check-pkg-vulnerabilities-badhash.json') });
  });
  it('245: no #CHECKSUM line passes (and is a warning here)', () => {
    const r = checkVulnerabilityList(Buffer.from(text.replace(/#CHECKSUM.*\n/, ''), 'latin1'));
    expect(capture('245-check-pkg-vulnerabilities-nochecksum.json').exit).toBe(0);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.warnings.map((w) => w.message).join()).toMatch(/no #CHECKSUM/);
  });
  it('246: an unknown #FORMAT is refused with the tool message', () => {
    const r = checkVulnerabilityList(Buffer.from(text.replace('#FORMAT 1.1.0', '#FORMAT 1.2.0'), 'latin1'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toEqual({ line: 3, message: stderrOf('246-check-pkg-vulnerabilities-badformat.json') });
  });
});
