// pkg_admin emulator (pkg_install 20130131 admin/main.c, admin/audit.c): check,
// set/unset, audit/audit-pkg, pmatch, lsall/lsbest, config-var, rebuild(-tree), dump.
import fs from 'node:fs';
import path from 'node:path';
import {
  best,
  fileMd5,
  getopt,
  installed,
  isInstalled,
  isPkgPattern,
  listed,
  makeWarn,
  match,
  out,
  parsePlist,
  readFaults,
  readMeta,
  setVar,
  siteContext,
  writeLines,
} from './common.mjs';

const USAGE = `usage: pkg_admin [-bqSVv] [-C config] [-d lsdir] [-K pkg_dbdir] [-s sfx] command [args ...]
Where 'commands' and 'args' are:
 rebuild                     - rebuild pkgdb from +CONTENTS files
 rebuild-tree                - rebuild +REQUIRED_BY files from forward deps
 check [pkg ...]             - check md5 checksum of installed files
 add pkg ...                 - add pkg files to database
 delete pkg ...              - delete file entries for pkg in database
 set variable=value pkg ...  - set installation variable for package
 unset variable pkg ...      - unset installation variable for package
 lsall /path/to/pkgpattern   - list all pkgs matching the pattern
 lsbest /path/to/pkgpattern  - list pkgs matching the pattern best
 dump                        - dump database
 pmatch pattern pkg          - returns true if pkg matches pattern, otherwise false
 fetch-pkg-vulnerabilities [-s] - fetch new vulnerability file
 check-pkg-vulnerabilities [-s] <file> - check syntax and checksums of the vulnerability file
 audit [-es] [-t type] ...       - check installed packages for vulnerabilities
 audit-pkg [-es] [-t type] ...   - check listed packages for vulnerabilities
 audit-batch [-es] [-t type] ... - check packages in listed files for vulnerabilities
 audit-history [-t type] ...     - print all advisories for package names
 check-license <condition>       - check if condition is acceptable
 check-single-license <license>  - check if license is acceptable
 config-var name                 - print current value of the configuration variable
 check-signature ...             - verify the signature of packages
 x509-sign-package pkg spkg key cert  - create X509 signature
 gpg-sign-package pkg spkg       - create GPG signature
`;
const warn = makeWarn('pkg_admin');
const EOL_BASE = 'http://ftp.NetBSD.org/pub/NetBSD/packages/vulns';
const plural = (n, w) => `${n} ${w}${n === 1 ? '' : 's'}`;

export async function pkgAdmin(args) {
  const { opts, operands } = getopt(args, 'bqSVvC:d:K:s:', { prog: 'pkg_admin', usage: USAGE, permute: false });
  const flag = (c) => opts.some(([o]) => o === c);
  const val = (c) =>
    opts
      .filter(([o]) => o === c)
      .map(([, v]) => v)
      .pop();
  if (flag('V')) {
    out('20130131\n');
    return 0;
  }
  const [cmd, ...rest] = operands;
  const ctx = siteContext({ dbdir: val('K'), configFile: val('C') });
  const g = { b: flag('b'), q: flag('q'), v: flag('v') };
  const handler = COMMANDS[cmd];
  if (!handler) {
    process.stderr.write(USAGE);
    return 1;
  }
  return handler(ctx, rest, g);
}

/** Full name, pattern or base name → installed names; undefined (after a warning) if none. */
function resolve(ctx, arg) {
  const have = installed(ctx.dbdir);
  const hits = isInstalled(ctx.dbdir, arg)
    ? [arg]
    : have.filter((p) => match(isPkgPattern(arg) ? arg : `${arg}-[0-9]*`, p));
  if (hits.length === 0) {
    warn(`cannot find package ${arg}`);
    return undefined;
  }
  return hits;
}
function resolveAll(ctx, args) {
  if (args.length === 0) return installed(ctx.dbdir);
  const res = [];
  for (const a of args) {
    const hits = resolve(ctx, a);
    if (!hits) return undefined;
    res.push(...hits);
  }
  return res;
}
const plistOf = (ctx, p) => parsePlist(readMeta(path.join(ctx.dbdir, p), '+CONTENTS') ?? '');

function check(ctx, args) {
  const pkgs = resolveAll(ctx, args);
  if (!pkgs) return 1;
  let files = 0;
  for (const p of pkgs) {
    for (const e of plistOf(ctx, p).files) {
      if (!fs.existsSync(e.path)) {
        warn(`${p}: File \`${e.path}' is in +CONTENTS but not on filesystem!`);
        continue;
      }
      files++;
      if (e.md5 && fileMd5(e.path) !== e.md5) out(`${e.path} fails MD5 checksum\n`);
    }
    out('.');
  }
  out(`\nChecked ${plural(files, 'file')} from ${plural(pkgs.length, 'package')}.\nDone.\n`);
  return 0;
}

function set(ctx, args) {
  const [assign, ...names] = args;
  const eq = assign?.indexOf('=') ?? -1;
  if (eq <= 0 || names.length === 0) {
    process.stderr.write(USAGE);
    return 1;
  }
  const name = assign.slice(0, eq);
  const value = assign.slice(eq + 1);
  if (name === 'automatic' && !['yes', 'no'].includes(value.toLowerCase())) {
    warn(`unknown value \`${value}' for automatic`);
    return 1;
  }
  const pkgs = resolveAll(ctx, names);
  if (!pkgs) return 1;
  return setInstalledInfo(ctx, pkgs, name, value);
}

/**
 * set_installed_info_var → var_set for each package: a write that fails
 * (the pkgdb entry not writable; the emulator's failAdmin fault stands in
 * for that, as tests run as root) warns with the file and the errno text,
 * stops the iteration, and pkg_admin exits 1 with "Cannot process pkdbdb"
 * (admin/main.c set_unset_variable, lib/var.c var_set).
 */
function setInstalledInfo(ctx, pkgs, name, value) {
  const faults = readFaults(ctx.site);
  for (const p of pkgs) {
    const file = path.join(ctx.dbdir, p, '+INSTALLED_INFO');
    try {
      if (listed(faults.failAdmin, p)) throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
      setVar(file, name, value);
    } catch (e) {
      if (!e?.code) throw e;
      warn(
        `var_set: can't open temp file for '${file}' for writing: ${e.code === 'EACCES' ? 'Permission denied' : e.code}`,
      );
      warn('Cannot process pkdbdb');
      return 1;
    }
  }
  return 0;
}

function unset(ctx, args) {
  const [name, ...names] = args;
  if (!name || names.length === 0) {
    process.stderr.write(USAGE);
    return 1;
  }
  const pkgs = resolveAll(ctx, names);
  if (!pkgs) return 1;
  return setInstalledInfo(ctx, pkgs, name, undefined);
}

/** Entries of pkg-vulnerabilities (checksums are not verified). */
function readVulns(ctx) {
  const file = path.join(ctx.vulndir, 'pkg-vulnerabilities');
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    warn(`Cannot open ${file}: ${e.code === 'ENOENT' ? 'No such file or directory' : e.message}`);
    return undefined;
  }
  return text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => {
      const [pattern, cls, url] = l.trim().split(/\s+/);
      return { pattern, cls, url };
    });
}

function audit(ctx, args, g, which) {
  const { opts, operands } = getopt(args, 'eist:', { prog: 'pkg_admin', usage: USAGE });
  const flag = (c) => opts.some(([o]) => o === c);
  const type = opts
    .filter(([o]) => o === 't')
    .map(([, v]) => v)
    .pop();
  if (flag('s')) {
    warn('At least GPG or CERTIFICATE_ANCHOR_PKGVULN must be configured');
    return 1;
  }
  const vulns = readVulns(ctx);
  if (!vulns) return 1;
  let pkgs;
  if (which === 'pkg') pkgs = operands;
  else if (operands.length === 0) pkgs = installed(ctx.dbdir);
  else {
    const have = installed(ctx.dbdir);
    pkgs = operands.flatMap((a) =>
      isInstalled(ctx.dbdir, a) ? [a] : have.filter((p) => match(isPkgPattern(a) ? a : `${a}-[0-9]*`, p)),
    );
  }
  const ignored = new Set((ctx.conf.IGNORE_URL ?? '').split('\n').filter(Boolean));
  const checkEol = flag('e') || (ctx.conf.CHECK_END_OF_LIFE ?? 'yes').toLowerCase() === 'yes';
  let found = 0;
  for (const p of pkgs) {
    for (const v of vulns) {
      if ((type && v.cls !== type) || !match(v.pattern, p)) continue;
      let line;
      if (v.cls === 'eol') {
        if (!checkEol) continue;
        line = `Package ${p} has reached end-of-life (eol), see ${EOL_BASE}/eol-packages`;
      } else {
        if (ignored.has(v.url)) continue;
        line = `Package ${p} has a ${v.cls} vulnerability, see ${v.url}`;
      }
      found++;
      out(`${g.q ? p : line}\n`);
    }
  }
  if (found === 0 && g.v) process.stderr.write('No vulnerabilities found\n');
  return found > 0 ? 1 : 0;
}

function listDir(arg) {
  const dir = path.dirname(arg);
  let files = [];
  try {
    files = fs.readdirSync(dir);
  } catch {
    /* empty */
  }
  const names = new Map();
  for (const f of files) {
    const m = /^(.*)\.(tgz|tbz)$/.exec(f);
    if (m) names.set(m[1], f);
  }
  return { dir, pat: path.basename(arg), names };
}
function ls(args, g, bestOnly) {
  for (const a of args) {
    const { dir, pat, names } = listDir(a);
    const hits = bestOnly
      ? [best(pat, [...names.keys()])].filter(Boolean)
      : [...names.keys()].filter((n) => match(pat, n));
    for (const h of hits) out(`${g.b ? names.get(h) : path.join(dir, names.get(h))}\n`);
  }
  return 0;
}

function rebuildTree(ctx) {
  const have = installed(ctx.dbdir);
  const req = new Map(have.map((p) => [p, []]));
  for (const p of have) {
    for (const dep of plistOf(ctx, p).depends) {
      const t = best(dep, have);
      if (t && !req.get(t).includes(p)) req.get(t).push(p);
    }
  }
  for (const [p, list] of req) writeLines(path.join(ctx.dbdir, p, '+REQUIRED_BY'), list);
  out('Done.\n');
  return 0;
}

function allFiles(ctx) {
  return installed(ctx.dbdir).flatMap((p) => plistOf(ctx, p).files.map((e) => ({ file: e.path, pkg: p })));
}

const COMMANDS = {
  check,
  set,
  unset,
  audit: (ctx, a, g) => audit(ctx, a, g, 'installed'),
  'audit-pkg': (ctx, a, g) => audit(ctx, a, g, 'pkg'),
  pmatch: (ctx, [pat, pkg]) => (pat !== undefined && pkg !== undefined && match(pat, pkg) ? 0 : 1),
  lsall: (ctx, a, g) => ls(a, g, false),
  lsbest: (ctx, a, g) => ls(a, g, true),
  'rebuild-tree': rebuildTree,
  rebuild: (ctx) => {
    const n = installed(ctx.dbdir).length;
    out(
      `\nStored ${allFiles(ctx).length} files and 0 explicit directories from ${n} packages in ${path.join(ctx.dbdir, 'pkgdb.byfile.db')}.\nDone.\n`,
    );
    return 0;
  },
  dump: (ctx) => {
    for (const { file, pkg } of allFiles(ctx).sort((x, y) => (x.file < y.file ? -1 : 1)))
      out(`file: ${file} pkg: ${pkg}\n`);
    return 0;
  },
  'config-var': (ctx, [name]) => {
    const v =
      { PKG_DBDIR: ctx.dbdir, PKGVULNDIR: ctx.vulndir, PKG_PATH: ctx.pkgPath || undefined }[name] ?? ctx.conf[name];
    if (v !== undefined) out(`${v}\n`);
    return 0;
  },
};
