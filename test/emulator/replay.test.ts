// Replays the real pkg_install captures (test/fixtures/pkgsrc/commands/, run
// in NNN order against one evolving site) against the emulator, on a site
// built from the same packages, and compares stdout, stderr and exit code.
import { copyFileSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/tmp.js';
import { makeCapturedLayout, runTool, type CapturedLayout, type ToolName } from './index.js';

interface Capture {
  name: string;
  cmdline: string;
  argv: string[];
  env: Record<string, string>;
  exit: number;
  stdout: string;
  stderr: string;
}

const FIXTURES = fileURLToPath(new URL('../fixtures/pkgsrc/', import.meta.url));
const CAPTURED_ROOT = '/srv/vo_sw';

/** Captures of features the emulator leaves out. */
/** Captured commands the emulator deliberately does not implement (the product never runs them). */
const NOT_EMULATED: Record<string, string> = {
  '004-pkg_create-V': 'pkg_create is not emulated',
  '238-pkg_admin-audit-history': 'audit-history is not emulated',
  '240-pkg_admin-audit-batch': 'audit-batch is not emulated (and its input file was not captured)',
  '243-check-pkg-vulnerabilities-sha1': 'check-pkg-vulnerabilities is not emulated',
  '244-check-pkg-vulnerabilities-badhash': 'check-pkg-vulnerabilities is not emulated',
  '245-check-pkg-vulnerabilities-nochecksum': 'check-pkg-vulnerabilities is not emulated',
  '246-check-pkg-vulnerabilities-badformat': 'check-pkg-vulnerabilities is not emulated',
  '247-check-pkg-vulnerabilities-s': 'check-pkg-vulnerabilities is not emulated',
};

/**
 * Outputs whose line order follows readdir order of the pkgdb or of
 * PKG_PATH (unsorted in the captures, sorted in the emulator), or
 * +REQUIRED_BY files that `pkg_admin rebuild-tree` rewrote in that order:
 * compared as multisets of lines.
 */
const UNORDERED = new Set([
  '100-pkg_info',
  '101-pkg_info-a',
  '102-pkg_info-u',
  '141-pkg_info-X-all',
  '161-pkg_info-a-c',
  '162-pkg_info-u-q',
  '163-pkg_info-a-s',
  '210-pkg_info-u-after-set',
  '216-pkg_admin-lsall',
  '218-pkg_admin-lsall-dewey',
  '231-pkg_admin-audit',
  '232-pkg_admin-v-audit',
  '236-pkg_admin-audit-t-type',
  '237-pkg_admin-q-audit',
  '241-pkg_admin-C-ignore-url',
  '242-pkg_admin-audit-e-forces-eol',
  '249-pkg_admin-C-PKGVULNDIR-audit',
  '300-pkg_delete-has-dependants',
  '303-pkg_delete-n-r',
  '307-pkg_info-u-after-delete',
  '311-pkg_info-a-after-R',
  '312-pkg_delete-r',
  '315-pkg_info-final',
]);

/** Site changes the capture session made between commands (inferred from the outputs). */
const PREP: Record<string, (l: CapturedLayout) => void> = {
  '202-pkg_admin-check-tampered': (l) => writeFileSync(path.join(l.site.prefix, 'share/bar/VERSION'), 'tampered\n'),
  '203-pkg_admin-check-missing-file': (l) => rmSync(path.join(l.site.prefix, 'share/baz/VERSION')),
  '231-pkg_admin-audit': (l) =>
    copyFileSync(path.join(FIXTURES, 'pkg-vulnerabilities.example'), path.join(l.site.dbdir, 'pkg-vulnerabilities')),
  '241-pkg_admin-C-ignore-url': (l) =>
    copyFileSync(path.join(FIXTURES, 'pkg_install-ignore.conf.example'), path.join(l.root, 'pkg_install-ignore.conf')),
  '249-pkg_admin-C-PKGVULNDIR-audit': (l) => {
    copyFileSync(path.join(FIXTURES, 'pkg-vulnerabilities.example'), path.join(l.root, 'vulns', 'pkg-vulnerabilities'));
    writeFileSync(path.join(l.root, 'pkg_install-vulndir.conf'), `PKGVULNDIR=${path.join(l.root, 'vulns')}\n`);
  },
};

/** Per-capture output normalisation applied to both sides. */
const NORMALISE: Record<string, (s: string) => string> = {
  // the emulator's archives differ in size from the captured ones
  '142-pkg_info-X-binary-file': (s) => s.replace(/^FILE_SIZE=\d+$/m, 'FILE_SIZE=N'),
  // one '.' per package in readdir order, messages in between: compare the dots and the messages
  '204-pkg_admin-check-all-with-errors': (s) => {
    let dots = 0;
    const rest = s.split('\n').map((line) => {
      const lead = /^\.*/.exec(line)?.[0] ?? '';
      dots += lead.length;
      return line.slice(lead.length);
    });
    return `${dots} dots\n${rest
      .filter((x) => x !== '')
      .sort()
      .join('\n')}`;
  },
};

function loadCaptures(): Capture[] {
  const dir = path.join(FIXTURES, 'commands');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Capture);
}

const sortedLines = (s: string): string[] =>
  s
    .split('\n')
    .filter((l) => l !== '')
    .sort();

describe('replay of the captured pkg_install session', () => {
  let layout: CapturedLayout;
  beforeAll(() => {
    layout = makeCapturedLayout(tempDir('vo-emu-replay-'));
  });

  it('leaves out only the commands it does not emulate, each of them captured', () => {
    const names = new Set(loadCaptures().map((c) => c.name));
    for (const name of Object.keys(NOT_EMULATED)) expect(names.has(name), name).toBe(true);
    expect(Object.keys(NOT_EMULATED)).toHaveLength(8);
  });

  for (const cap of loadCaptures()) {
    const title = `${cap.name}: ${cap.cmdline}`;
    if (NOT_EMULATED[cap.name] !== undefined) continue;
    it(title, () => {
      const l = layout;
      PREP[cap.name]?.(l);
      const toSite = (s: string): string => s.split(CAPTURED_ROOT).join(l.root);
      const fromSite = (s: string): string => s.split(l.root).join(CAPTURED_ROOT);
      const [tool, ...args] = cap.argv;
      const r = runTool(l.site.prefix, tool as ToolName, args.map(toSite), { ...l.env });
      const norm = NORMALISE[cap.name] ?? ((s: string) => s);
      const got = { exit: r.exit, stdout: norm(fromSite(r.stdout)), stderr: norm(fromSite(r.stderr)) };
      const want = { exit: cap.exit, stdout: norm(cap.stdout), stderr: norm(cap.stderr) };
      if (UNORDERED.has(cap.name)) {
        expect({ exit: got.exit, stdout: sortedLines(got.stdout), stderr: sortedLines(got.stderr) }).toEqual({
          exit: want.exit,
          stdout: sortedLines(want.stdout),
          stderr: sortedLines(want.stderr),
        });
      } else {
        expect(got).toEqual(want);
      }
    });
  }
});
