// pkg_info emulator (pkg_install 20130131 info/main.c, perform.c, show.c).
import fs from 'node:fs';
import path from 'node:path';
import {
  best,
  extractPackage,
  getVar,
  getopt,
  installed,
  isAutomatic,
  isInstalled,
  isPkgPattern,
  makeWarn,
  match,
  out,
  parsePlist,
  readMeta,
  requiredBy,
  siteContext,
} from './common.mjs';

const USAGE = `usage: pkg_info [-BbcDdFfhIikLmNnpqRrSsVvX] [-E pkg-name] [-e pkg-name]
                [-K pkg_dbdir] [-l prefix] pkg-name ...
       pkg_info [-a | -u] [flags]
       pkg_info [-Q variable] pkg-name ...
`;
const warn = makeWarn('pkg_info');
const SECTIONS = 'cnNRrdDfikmpLbBsS';
const SUMMARY_VARS = new Set([
  'PKGPATH',
  'CATEGORIES',
  'PROVIDES',
  'REQUIRES',
  'PKG_OPTIONS',
  'OPSYS',
  'OS_VERSION',
  'MACHINE_ARCH',
  'LICENSE',
  'HOMEPAGE',
  'PKGTOOLS_VERSION',
  'BUILD_DATE',
  'PREV_PKGPATH',
  'SUPERSEDES',
]);
const withNl = (s) => (s.endsWith('\n') ? s : `${s}\n`);

export async function pkgInfo(args) {
  const { opts, operands } = getopt(args, 'aBbcDdE:e:FfhIiK:kLl:mNnpQ:qRrSsuVvX', { prog: 'pkg_info', usage: USAGE });
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
  if (flag('h')) {
    process.stderr.write(USAGE);
    return 1;
  }
  const ctx = siteContext({ dbdir: val('K') });
  const q = flag('q');
  const have = installed(ctx.dbdir);

  const e = val('e') ?? val('E');
  if (e !== undefined) {
    if (operands.length > 0) {
      process.stderr.write(`pkg_info: can't give any additional arguments to -e\n${USAGE}`);
      return 1;
    }
    let hits;
    if (flag('F')) {
      const file = path.resolve(e);
      hits = have.filter((p) => plistOf(path.join(ctx.dbdir, p)).files.some((f) => f.path === file));
    } else if (val('E') !== undefined) {
      const b = best(e, have);
      hits = b ? [b] : [];
    } else {
      hits = have.filter((p) => match(e, p));
      if (hits.length === 0 && !isPkgPattern(e)) hits = have.filter((p) => match(`${e}-[0-9]*`, p));
    }
    if (!q) for (const h of hits) out(`${h}\n`);
    return hits.length > 0 ? 0 : 1;
  }

  // which packages
  let failures = 0;
  let list;
  if (flag('a') || flag('u') || operands.length === 0) {
    list = have
      .filter((p) => !flag('u') || !isAutomatic(ctx.dbdir, p))
      .map((p) => ({ name: p, dir: path.join(ctx.dbdir, p) }));
  } else {
    const queue = [];
    const tail = [];
    for (const arg of operands) {
      let name = arg;
      if (path.isAbsolute(arg) && path.dirname(path.resolve(arg)) === path.resolve(ctx.dbdir))
        name = path.basename(arg);
      if (/\.t[gb]z$/.test(arg) && fs.existsSync(arg) && fs.statSync(arg).isFile())
        queue.push({ file: path.resolve(arg) });
      else if (isInstalled(ctx.dbdir, name)) queue.push({ name, dir: path.join(ctx.dbdir, name) });
      else if (isPkgPattern(arg)) {
        const hits = have.filter((p) => match(arg, p));
        if (hits.length === 0) {
          warn(`No matching pkg for ${arg}.`);
          return 1;
        }
        for (const h of hits) queue.push({ name: h, dir: path.join(ctx.dbdir, h) });
      } else {
        const hits = have.filter((p) => match(`${arg}-[0-9]*`, p));
        if (hits.length === 0) {
          warn(`can't find package \`${arg}'`);
          failures++;
        }
        for (const h of hits) tail.push({ name: h, dir: path.join(ctx.dbdir, h) });
      }
    }
    list = [...queue, ...tail];
  }

  let sections = [...SECTIONS].filter((c) => flag(c));
  const index = flag('I') || (sections.length === 0 && !flag('X') && (flag('a') || flag('u') || operands.length === 0));
  if (sections.length === 0) sections = ['c', 'n', 'R', 'd', 'D'];
  for (const item of list) {
    let tmp;
    try {
      if (item.file) {
        tmp = extractPackage(item.file, true);
        item.dir = tmp;
        item.name = plistOf(tmp).name ?? path.basename(item.file).replace(/\.t[gb]z$/, '');
      }
      if (val('Q') !== undefined) showVar(item, val('Q'));
      else if (flag('X')) showSummary(item);
      else if (index) {
        const comment = withNl(readMeta(item.dir, '+COMMENT') ?? '');
        out(q ? comment : `${item.name.padEnd(19)} ${comment}`);
      } else showBlock(ctx, item, sections, q, val('l') ?? '');
    } finally {
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  return failures;
}

function plistOf(dir) {
  return parsePlist(readMeta(dir, '+CONTENTS') ?? '');
}

function showVar(item, name) {
  const file = name === name.toLowerCase() ? '+INSTALLED_INFO' : '+BUILD_INFO';
  const v = getVar(path.join(item.dir, file), name);
  if (v !== undefined) out(`${v}\n`);
}

function showSummary(item) {
  const lines = [`PKGNAME=${item.name}`];
  for (const l of (readMeta(item.dir, '+CONTENTS') ?? '').split('\n')) {
    if (l.startsWith('@pkgdep ')) lines.push(`DEPENDS=${l.slice(8)}`);
    else if (l.startsWith('@pkgcfl ')) lines.push(`CONFLICTS=${l.slice(8)}`);
  }
  lines.push(`COMMENT=${(readMeta(item.dir, '+COMMENT') ?? '').split('\n')[0]}`);
  const size = readMeta(item.dir, '+SIZE_PKG');
  if (size !== undefined) lines.push(`SIZE_PKG=${size.trim()}`);
  const bi = readMeta(item.dir, '+BUILD_INFO');
  if (bi === undefined) warn('Build information missing');
  for (const l of (bi ?? '').split('\n')) {
    const k = l.slice(0, l.indexOf('='));
    if (SUMMARY_VARS.has(k)) lines.push(l);
  }
  if (item.file) lines.push(`FILE_NAME=${path.basename(item.file)}`, `FILE_SIZE=${fs.statSync(item.file).size}`);
  const desc = readMeta(item.dir, '+DESC') ?? '';
  for (const l of desc.replace(/\n$/, '').split('\n')) lines.push(`DESCRIPTION=${l}`);
  out(`${lines.join('\n')}\n\n`);
}

function fullRequiredBy(ctx, name) {
  const seen = [];
  const walk = (p) => {
    for (const d of requiredBy(ctx.dbdir, p)) {
      if (seen.includes(d)) continue;
      seen.push(d);
      walk(d);
    }
  };
  walk(name);
  return seen;
}

function packingList(text) {
  const res = [];
  let ignore = false;
  for (const l of text.split('\n')) {
    if (l === '') continue;
    const sp = l.indexOf(' ');
    const [cmd, arg] = l.startsWith('@') ? [sp < 0 ? l : l.slice(0, sp), sp < 0 ? '' : l.slice(sp + 1)] : ['', l];
    const show =
      {
        '@name': `\tPackage name: ${arg}`,
        '@cwd': `\tCWD to: ${arg}`,
        '@comment': `\tComment: ${arg}`,
        '@pkgdep': `\tPackage depends on: ${arg}`,
        '@pkgcfl': `\tPackage conflicts with: ${arg}`,
        '@blddep': `\tBuilt using: ${arg}`,
        '@dirrm': `\tObsolete deinstall directory removal hint: ${arg}`,
        '@ignore': 'Ignore next file:',
        '': `\tFile: ${arg}${ignore ? ' (ignored)' : ''}`,
      }[cmd] ?? `\t${cmd} ${arg}`;
    res.push(show);
    ignore = cmd === '@ignore';
  }
  return res.length ? `${res.join('\n')}\n` : '';
}

function showBlock(ctx, item, sections, q, P) {
  const { dir, name } = item;
  const plist = plistOf(dir);
  const has = (c) => sections.includes(c);
  const section = (title, content, blank = true) => {
    if (content === undefined) return;
    if (!q) out(`${P}${title}\n`);
    if (content !== '') out(withNl(content));
    if (blank) out('\n');
  };
  const inline = (title, value) => {
    if (value === undefined) return;
    out(q ? `${value.trim()}\n\n` : `${P}${title}${value.trim()}\n\n`);
  };
  if (!q) out(`${P}Information for ${name}:\n\n`);
  if (has('c')) section('Comment:', readMeta(dir, '+COMMENT'));
  if (has('n') && plist.depends.length) section('Requires:', plist.depends.join('\n'));
  if (has('R')) section('Required by:', readMeta(dir, '+REQUIRED_BY'));
  if (has('r') && !item.file) section('Full required by list:', fullRequiredBy(ctx, name).join('\n'));
  if (has('d')) section('Description:', readMeta(dir, '+DESC'));
  if (has('D')) section('Install notice:', readMeta(dir, '+DISPLAY'));
  if (has('f')) section('Packing list:', packingList(readMeta(dir, '+CONTENTS') ?? ''), false);
  if (has('i')) section('Install script:', readMeta(dir, '+INSTALL'));
  if (has('k')) section('De-Install script:', readMeta(dir, '+DEINSTALL'));
  if (has('m')) section('mtree file:', readMeta(dir, '+MTREE_DIRS'));
  if (has('p')) {
    const cwds = (readMeta(dir, '+CONTENTS') ?? '').split('\n').filter((l) => l.startsWith('@cwd '));
    section('Prefix(s):', cwds.map((l) => `\tCWD to: ${l.slice(5)}`).join('\n'), false);
  }
  if (has('L')) section('Files:', plist.files.map((f) => f.path).join('\n'), false);
  if (has('b')) section('Build version:', readMeta(dir, '+BUILD_VERSION'));
  if (has('B')) {
    section('Build information:', readMeta(dir, '+BUILD_INFO'));
    const ii = readMeta(dir, '+INSTALLED_INFO');
    if (ii) section('Installed information:', ii);
  }
  if (has('s')) inline('Size of this package in bytes: ', readMeta(dir, '+SIZE_PKG'));
  if (has('S')) inline('Size in bytes including required pkgs: ', readMeta(dir, '+SIZE_ALL'));
  if (!q) out(`${P}\n`);
}
