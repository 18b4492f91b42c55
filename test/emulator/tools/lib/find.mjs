// Where pkg_add finds a binary package (test-only), as pkg_install's
// lib/pkg_io.c find_archive()/find_best_package() and libfetch's directory
// listings do it, in my own words:
//
// * A name given as a path or URL is opened as it is. A plain name is first
//   tried in the current directory. A name that cannot be opened is looked
//   for (as a pattern) in the directory of the last package named on the
//   command line; a plain name then also in every PKG_PATH entry.
// * Across those directories the single best match wins (pkg_order: greatest
//   version; an equal version goes to the name that sorts first, so the same
//   file in two directories comes from the earlier one). It is not "the first
//   directory that has one".
// * PKG_PATH is ';'-separated; relative entries are relative to the current
//   directory; entries may be file://, http:// or https:// URLs. An http
//   directory is listed by fetching it and taking the href="…" of its <a>
//   tags (names holding '/' and "."/".." are ignored), as libfetch does.
// * Only names ending in .tgz or .tbz are candidates (the suffix is stripped
//   before matching). A directory that cannot be listed gives the warning
//   "Can't process <url>/<prefix>*: <reason>" and the search goes on.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pkgOrder } from './pkgmatch.mjs';

const URL_PREFIXES = ['file://', 'ftp://', 'http://', 'https://'];
export const isUrl = (s) => URL_PREFIXES.some((p) => s.trimStart().startsWith(p));
const isHttp = (s) => /^https?:\/\//.test(s);

/** strerror() texts for the errors a listing or download meets. */
const STRERROR = {
  ENOENT: 'No such file or directory',
  ENOTDIR: 'Not a directory',
  EACCES: 'Permission denied',
  ECONNREFUSED: 'Connection refused',
  ECONNRESET: 'Connection reset by peer',
  ETIMEDOUT: 'Operation timed out',
};
const reason = (e) => STRERROR[e?.code ?? e?.cause?.code] ?? e?.cause?.message ?? e?.message ?? String(e);

/** A local path of a file:// URL or of a plain path. */
const localPath = (loc) => (loc.startsWith('file://') ? decodeURIComponent(loc.slice('file://'.length)) : loc);
/** How libfetch prints a location (a plain path is a file:// URL). */
const stringify = (loc) => (isUrl(loc) ? loc : `file://${loc}`);

function stripSuffix(name) {
  return name.length > 4 && /\.t[gb]z$/.test(name) ? name.slice(0, -4) : undefined;
}

/** href="…" values of <a> tags (double-quoted only, as libfetch's index parser reads them). */
export function indexHrefs(html) {
  const res = [];
  for (const m of html.matchAll(/<a\s[^>]*?\bhref\s*=\s*"([^"]*)"/gi)) res.push(m[1]);
  return res;
}

export class ArchiveFinder {
  /**
   * @param pkgPath the PKG_PATH value ('' for none)
   * @param warn prints one "pkg_add: …" warning
   */
  constructor(pkgPath, warn, cwd = process.cwd()) {
    this.cwd = cwd;
    this.warn = warn;
    this.lastTop = cwd;
    this.temps = [];
    // process_pkg_path(): an empty entry stands for the current directory
    this.path = [];
    for (let rest = pkgPath; rest !== '';) {
      const i = rest.indexOf(';');
      const entry = i < 0 ? rest : rest.slice(0, i);
      rest = i < 0 ? '' : rest.slice(i + 1);
      const relative = !entry.startsWith('/') && !isUrl(entry);
      this.path.push(relative ? (entry === '' ? cwd : `${cwd}/${entry}`) : entry);
    }
  }

  /** The local file of the package named by `name` (downloaded if remote), or undefined. */
  async find(name, topLevel) {
    const full = name.startsWith('/') || isUrl(name) ? name : `${this.cwd}/${name}`;
    const searchPath = !isUrl(name) && !name.includes('/');
    const slash = full.lastIndexOf('/');
    if (topLevel) this.lastTop = full.slice(0, slash);
    const direct = await this.open(full);
    if (direct) return direct;
    const pattern = full.slice(slash + 1);
    let best = await this.bestIn([this.lastTop], pattern);
    if (!best && searchPath) best = await this.bestIn([this.lastTop, ...this.path], pattern);
    return best ? this.open(best.loc) : undefined;
  }

  /** Best match for pattern across dirs, in order; a later candidate must be strictly better. */
  async bestIn(dirs, pattern) {
    let best;
    for (const dir of dirs) {
      for (const c of await this.list(dir, pattern)) {
        if (pkgOrder(pattern, c.name, best?.name) === 1) best = c;
      }
    }
    return best;
  }

  /** Candidates { name, loc } of one directory. */
  async list(dir, pattern) {
    // the listing is narrowed to names starting with the pattern's leading letters, digits and '-'
    const prefix = /^[A-Za-z0-9-]*/.exec(pattern)[0];
    let names;
    try {
      if (isHttp(dir)) {
        const res = await fetch(dir);
        if (!res.ok) throw new Error(res.statusText || `HTTP ${res.status}`);
        names = indexHrefs(await res.text())
          .filter((h) => !h.includes('/') && h !== '.' && h !== '..')
          .map((h) => ({ raw: h, file: decodeURIComponent(h) }));
      } else {
        names = fs.readdirSync(localPath(dir)).map((f) => ({ raw: f, file: f }));
      }
    } catch (e) {
      this.warn(`Can't process ${stringify(dir)}/${prefix}*: ${reason(e)}`);
      return [];
    }
    const res = [];
    for (const { raw, file } of names) {
      const name = stripSuffix(file);
      if (name === undefined || (!isHttp(dir) && !file.startsWith(prefix))) continue;
      res.push({ name, loc: isHttp(dir) ? `${dir}/${raw}` : `${dir}/${file}` });
    }
    return res;
  }

  /** A readable local file for loc, or undefined when it cannot be opened. */
  async open(loc) {
    if (!isHttp(loc)) {
      const p = localPath(loc);
      try {
        return fs.statSync(p).isFile() ? p : undefined;
      } catch {
        return undefined;
      }
    }
    try {
      const res = await fetch(loc);
      if (!res.ok) return undefined;
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vo-emu-fetch-'));
      this.temps.push(dir);
      const file = path.join(dir, 'package.tgz');
      fs.writeFileSync(file, Buffer.from(await res.arrayBuffer()));
      return file;
    } catch {
      return undefined;
    }
  }

  /** Remove downloaded archives. */
  cleanup() {
    for (const d of this.temps.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  }
}
