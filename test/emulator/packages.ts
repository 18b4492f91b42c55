// TEST-ONLY: real binary packages (gzip'd tar with +CONTENTS & co.), their
// pkg_summary.gz, and a bootstrap kit holding the emulated pkg_install.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { TOOLS_SCRIPT, writeToolTree } from './install.js';

export interface PackageSpec {
  pkgname: string;
  /** One line; default "<pkgname> test package". */
  comment?: string;
  /** +DESC; default "Description of <pkgname>.\nSecond line of the description.\n" (as in the captures). */
  description?: string;
  /** DEPENDS patterns (@pkgdep). */
  depends?: string[];
  /** CONFLICTS patterns (@pkgcfl). */
  conflicts?: string[];
  /** Prefix-relative path → content; default bin/<base> and share/<base>/VERSION like the captures. */
  files?: Record<string, string>;
  /** Merged over DEFAULT_BUILD_INFO; null removes a variable. */
  buildInfo?: Record<string, string | null>;
  /**
   * +INSTALL: an executable script pkg_add runs as `+INSTALL <pkgname>
   * PRE-INSTALL` before and `… POST-INSTALL` after extracting the files
   * (see stageScript()).
   */
  installScript?: string;
  /** +DEINSTALL: run by pkg_delete as `+DEINSTALL <pkgname> DEINSTALL` before and `… POST-DEINSTALL` after removal. */
  deinstallScript?: string;
  /** +DISPLAY: printed by pkg_add after a successful install. */
  display?: string;
}

/**
 * A +INSTALL/+DEINSTALL script that exits with the given status at the
 * given stages (0 elsewhere) and appends "<stage> <pkgname>" to
 * $PKG_METADATA_DIR/../../../script.log (the directory that holds the prefix)
 * so tests can see which stages ran.
 */
export function stageScript(
  exitAt: Partial<Record<'PRE-INSTALL' | 'POST-INSTALL' | 'DEINSTALL' | 'POST-DEINSTALL', number>> = {},
): string {
  const cases = Object.entries(exitAt)
    .map(([stage, code]) => `  ${stage}) exit ${code} ;;\n`)
    .join('');
  return `#!/bin/sh\necho "$2 $1" >> "$PKG_METADATA_DIR/../../../script.log"\ncase $2 in\n${cases}esac\nexit 0\n`;
}

export const DEFAULT_BUILD_INFO: Readonly<Record<string, string>> = {
  OPSYS: 'Linux',
  OS_VERSION: '6.1.0-amd64',
  MACHINE_ARCH: 'x86_64',
  PKGTOOLS_VERSION: '20130131',
};

/** The prefix recorded in binary packages; pkg_add installs into the site prefix instead. */
const BUILD_PREFIX = '/usr/pkg';

const baseOf = (pkgname: string): string => pkgname.slice(0, Math.max(0, pkgname.lastIndexOf('-'))) || pkgname;

/** The files the captured packages had (their sizes and MD5s match the captures). */
export function defaultFiles(pkgname: string): Record<string, string> {
  const base = baseOf(pkgname);
  return { [`bin/${base}`]: `#!/bin/sh\necho ${pkgname}\n`, [`share/${base}/VERSION`]: `${pkgname}\n` };
}

function plist(spec: PackageSpec, files: Record<string, string>): string {
  const lines = [`@name ${spec.pkgname}`];
  for (const d of spec.depends ?? []) lines.push(`@pkgdep ${d}`);
  for (const c of spec.conflicts ?? []) lines.push(`@pkgcfl ${c}`);
  lines.push(`@cwd ${BUILD_PREFIX}`, '@comment $NetBSD$');
  const dirs = new Set<string>();
  for (const [rel, text] of Object.entries(files)) {
    lines.push(rel, `@comment MD5:${createHash('md5').update(text).digest('hex')}`);
    // directories below the top level (share/foo) belong to the package
    for (let d = path.posix.dirname(rel); d.includes('/'); d = path.posix.dirname(d)) dirs.add(d);
  }
  for (const d of [...dirs].sort((a, b) => b.length - a.length)) lines.push(`@dirrm ${d}`);
  lines.push(`@cwd ${BUILD_PREFIX}`);
  const metas = ['+COMMENT', '+DESC', '+BUILD_INFO', '+SIZE_PKG'];
  if (spec.installScript !== undefined) metas.push('+INSTALL');
  if (spec.deinstallScript !== undefined) metas.push('+DEINSTALL');
  if (spec.display !== undefined) metas.push('+DISPLAY');
  for (const meta of metas) lines.push('@ignore', meta);
  return `${lines.join('\n')}\n`;
}

/** Create dir/<pkgname>.tgz; returns its path. */
export function makePackage(dir: string, spec: PackageSpec): string {
  const stage = mkdtempSync(path.join(tmpdir(), 'vo-emu-mkpkg-'));
  try {
    const files = spec.files ?? defaultFiles(spec.pkgname);
    for (const [rel, text] of Object.entries(files)) {
      const p = path.join(stage, rel);
      mkdirSync(path.dirname(p), { recursive: true });
      writeFileSync(p, text);
      if (rel.startsWith('bin/') || rel.startsWith('sbin/')) chmodSync(p, 0o755);
    }
    const bi: Record<string, string | null> = { ...DEFAULT_BUILD_INFO, ...spec.buildInfo };
    const biText = Object.entries(bi)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => `${k}=${v}\n`)
      .join('');
    const size = Object.values(files).reduce((n, t) => n + Buffer.byteLength(t), 0);
    writeFileSync(path.join(stage, '+CONTENTS'), plist(spec, files));
    writeFileSync(path.join(stage, '+COMMENT'), `${spec.comment ?? `${spec.pkgname} test package`}\n`);
    writeFileSync(
      path.join(stage, '+DESC'),
      spec.description ?? `Description of ${spec.pkgname}.\nSecond line of the description.\n`,
    );
    writeFileSync(path.join(stage, '+BUILD_INFO'), biText);
    writeFileSync(path.join(stage, '+SIZE_PKG'), `${size}\n`);
    const scripts: [string, string | undefined][] = [
      ['+INSTALL', spec.installScript],
      ['+DEINSTALL', spec.deinstallScript],
      ['+DISPLAY', spec.display],
    ];
    const extra = scripts.filter(([, text]) => text !== undefined).map(([meta]) => meta);
    for (const [meta, text] of scripts) {
      if (text !== undefined)
        writeFileSync(path.join(stage, meta), text, { mode: meta === '+DISPLAY' ? 0o644 : 0o755 });
    }
    mkdirSync(dir, { recursive: true });
    const out = path.resolve(dir, `${spec.pkgname}.tgz`);
    const members = ['+CONTENTS', '+COMMENT', '+DESC', '+BUILD_INFO', '+SIZE_PKG', ...extra, ...Object.keys(files)];
    execFileSync('tar', ['-czf', out, '-C', stage, ...members]);
    return out;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** `pkg_info -X` of each binary package in dir (sorted), as pkg_summary(5) text. */
export function summaryText(dir: string): string {
  const pkgs = readdirSync(dir)
    .filter((f) => /\.t[gb]z$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
  if (pkgs.length === 0) return '';
  return execFileSync(process.execPath, [TOOLS_SCRIPT, 'pkg_info', '-X', ...pkgs], {
    encoding: 'utf8',
  });
}

/** Write dir/pkg_summary.gz for every .tgz in dir; returns its path. */
export function writeSummary(dir: string): string {
  const out = path.join(dir, 'pkg_summary.gz');
  writeFileSync(out, gzipSync(summaryText(dir)));
  return out;
}

/**
 * A bootstrap kit: a tar.gz of prefix-relative entries (sbin/pkg_add, ...,
 * pkgdb/) so that `tar -xzf kit -C "$PREFIX"` gives an empty working site.
 */
export function makeBootstrapKit(file: string): string {
  const stage = mkdtempSync(path.join(tmpdir(), 'vo-emu-kit-'));
  try {
    writeToolTree(stage);
    const out = path.resolve(file);
    mkdirSync(path.dirname(out), { recursive: true });
    execFileSync('tar', ['-czf', out, '-C', stage, 'sbin', 'pkgdb']);
    return out;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
