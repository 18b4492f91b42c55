// Shared pieces of the pkg_install emulator (test-only): configuration,
// getopt, the pattern matcher, pkgdb access with atomic writes,
// fault injection and the overlap log. Node builtins only.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { MalformedPattern, bestMatch, isPkgPattern, pkgMatch } from './pkgmatch.mjs';

export const PKGTOOLS_VERSION = '20130131';

// ---- matcher: the emulator's own (pkgmatch.mjs), never the product's ----
/** The running tool's name, for messages the real tools print with errx(). */
let progName = 'pkg_tools';
export const setProgName = (name) => {
  progName = name;
};
/** A malformed pattern ends the real tools at once: "<prog>: Malformed alternate `…'", exit 1. */
function matcher(fn) {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof MalformedPattern)) throw e;
    process.stderr.write(`${progName}: ${e.message}\n`);
    throw new Exit(1);
  }
}
export { isPkgPattern };
export const match = (pat, name) => matcher(() => pkgMatch(pat, name));
export const best = (pat, names) => matcher(() => bestMatch(pat, names));
export function baseOf(pkgname) {
  const i = pkgname.lastIndexOf('-');
  return i < 0 ? pkgname : pkgname.slice(0, i);
}

// ---- output ----
export class Exit extends Error {
  constructor(code) {
    super(`exit ${code}`);
    this.code = code;
  }
}
export const out = (s) => process.stdout.write(s);
export function makeWarn(prog) {
  return (msg) => process.stderr.write(`${prog}: ${msg}\n`);
}

/**
 * getopt(3). permute=true is glibc's default (options may follow operands);
 * false stops at the first operand (pkg_admin's command). Errors use the
 * wording the captured tools print.
 */
export function getopt(args, spec, { prog, usage, permute = true }) {
  const opts = [];
  const operands = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      operands.push(...args.slice(i + 1));
      break;
    }
    if (a.length < 2 || a[0] !== '-') {
      if (!permute) {
        operands.push(...args.slice(i));
        break;
      }
      operands.push(a);
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const c = a[j];
      const k = spec.indexOf(c);
      if (k < 0 || c === ':') {
        process.stderr.write(`${prog}: unknown option -- ${c}\n${usage}`);
        throw new Exit(1);
      }
      if (spec[k + 1] !== ':') {
        opts.push([c, true]);
        continue;
      }
      let v = a.slice(j + 1);
      if (v === '') {
        if (i + 1 >= args.length) {
          process.stderr.write(`${prog}: option requires an argument -- ${c}\n${usage}`);
          throw new Exit(1);
        }
        v = args[++i];
      }
      opts.push([c, v]);
      break;
    }
  }
  return { opts, operands };
}

// ---- configuration ----
/** pkg_install.conf: VAR=value lines; a repeated variable is joined with newlines. */
export function readConfig(file) {
  const conf = {};
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return conf;
  }
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    conf[m[1]] = conf[m[1]] === undefined ? m[2] : `${conf[m[1]]}\n${m[2]}`;
  }
  return conf;
}

/** The site this invocation works on; -K/-C/-p come from the caller's options. */
export function siteContext({ dbdir, configFile, prefix } = {}) {
  const site = path.resolve(process.env.VO_EMULATOR_PREFIX ?? path.join(process.cwd(), 'pkg'));
  const conf = readConfig(configFile ?? path.join(site, 'etc', 'pkg_install.conf'));
  const env = process.env;
  const db = dbdir ?? (env.PKG_DBDIR || conf.PKG_DBDIR || path.join(site, 'pkgdb'));
  return {
    site,
    prefix: prefix ?? site,
    dbdir: db,
    pkgPath: env.PKG_PATH || conf.PKG_PATH || '',
    refcountDir: env.PKG_REFCOUNT_DBDIR || conf.PKG_REFCOUNT_DBDIR || `${db}.refcount`,
    conf,
    vulndir: conf.PKGVULNDIR || db,
  };
}

// ---- pkgdb ----
const SKIP = new Set(['pkgdb.byfile.db', '.cookie', 'pkg-vulnerabilities']);

/** Installed package names (sorted directory order; temp entries start with '.'). */
export function installed(dbdir) {
  let names;
  try {
    names = fs.readdirSync(dbdir);
  } catch {
    return [];
  }
  return names.filter((n) => !n.startsWith('.') && !SKIP.has(n) && fs.existsSync(path.join(dbdir, n, '+CONTENTS')));
}
export const isInstalled = (dbdir, name) => fs.existsSync(path.join(dbdir, name, '+CONTENTS'));

export function readMeta(dir, file) {
  try {
    return fs.readFileSync(path.join(dir, file), 'utf8');
  } catch {
    return undefined;
  }
}

/** Write-to-temp-then-rename, so a SIGKILL never leaves a half-written file. */
export function writeAtomic(file, text) {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp.${process.pid}`);
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

export function readLines(file) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter((l) => l !== '');
}
export function writeLines(file, lines) {
  if (lines.length === 0) fs.rmSync(file, { force: true });
  else writeAtomic(file, `${lines.join('\n')}\n`);
}

export const requiredBy = (dbdir, name) => readLines(path.join(dbdir, name, '+REQUIRED_BY'));

/** +INSTALLED_INFO variables (var_get/var_set of pkg_install). */
export function getVar(file, name) {
  for (const l of readLines(file)) if (l.startsWith(`${name}=`)) return l.slice(name.length + 1);
  return undefined;
}
export function setVar(file, name, value) {
  const lines = readLines(file).filter((l) => !l.startsWith(`${name}=`));
  if (value !== undefined) lines.push(`${name}=${value}`);
  writeLines(file, lines);
}
export function isAutomatic(dbdir, name) {
  return (getVar(path.join(dbdir, name, '+INSTALLED_INFO'), 'automatic') ?? '').toLowerCase() === 'yes';
}

/** +CONTENTS → { name, depends, conflicts, files: [{ path, rel, md5 }], dirrm, cwd }. */
export function parsePlist(text) {
  const plist = { name: undefined, depends: [], conflicts: [], files: [], dirrm: [] };
  let cwd = '';
  let ignore = false;
  let last;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('@')) {
      const sp = line.indexOf(' ');
      const cmd = sp < 0 ? line : line.slice(0, sp);
      const arg = sp < 0 ? '' : line.slice(sp + 1);
      if (cmd === '@name') plist.name = arg;
      else if (cmd === '@pkgdep') plist.depends.push(arg);
      else if (cmd === '@pkgcfl') plist.conflicts.push(arg);
      else if (cmd === '@cwd' || cmd === '@cd') {
        cwd = arg;
        plist.cwd ??= arg;
      } else if (cmd === '@ignore') ignore = true;
      else if (cmd === '@dirrm') plist.dirrm.push(path.join(cwd, arg));
      else if (cmd === '@comment' && last && arg.startsWith('MD5:')) last.md5 = arg.slice(4);
      continue;
    }
    if (ignore) {
      ignore = false;
      last = undefined;
      continue;
    }
    last = { rel: line, path: path.join(cwd, line), md5: undefined };
    plist.files.push(last);
  }
  return plist;
}

export const md5 = (buf) => createHash('md5').update(buf).digest('hex');
export function fileMd5(p) {
  try {
    return md5(fs.readFileSync(p));
  } catch {
    return undefined;
  }
}

/** Extract a binary package (all members, or only +metadata) into a fresh temp dir. */
export function extractPackage(file, metaOnly = false) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vo-emu-pkg-'));
  const args = ['-xzf', file, '-C', dir];
  if (metaOnly) args.push('--wildcards', '+*');
  execFileSync('tar', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  return dir;
}

// ---- fault injection and the overlap log ----
export function readFaults(site) {
  const f = path.join(site, 'etc', 'emulator.json');
  if (!fs.existsSync(f)) return {};
  return JSON.parse(fs.readFileSync(f, 'utf8'));
}
export const listed = (list, name) => Array.isArray(list) && (list.includes(name) || list.includes(baseOf(name)));

const now = () => performance.timeOrigin + performance.now();
export function logEvent(site, event, cmd, extra = {}) {
  const file = process.env.VO_EMULATOR_LOG || path.resolve(site, '..', 'emulator.log');
  const rec = { site, txn: process.env.VO_TXN ?? null, pid: process.pid, event, t: now(), cmd, ...extra };
  try {
    fs.appendFileSync(file, `${JSON.stringify(rec)}\n`);
  } catch {
    /* log is best effort */
  }
}
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Run a mutating tool: log start, honour delayMs, run, log end (with exit).
 * `body` returns the exit code or throws Exit.
 */
export async function mutating(site, prog, args, body) {
  const cmd = [prog, ...args].join(' ');
  logEvent(site, 'start', cmd);
  let code = 70;
  try {
    const faults = readFaults(site);
    if (faults.delayMs > 0) await sleep(faults.delayMs);
    code = await body(faults);
  } catch (e) {
    if (!(e instanceof Exit)) throw e;
    code = e.code;
  } finally {
    logEvent(site, 'end', cmd, { exit: code });
  }
  return code;
}
