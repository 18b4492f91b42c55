// pkg_delete emulator (pkg_install 20130131 delete/pkg_delete.c behaviour).
import fs from 'node:fs';
import path from 'node:path';
import {
  best,
  fileMd5,
  getopt,
  installed,
  isAutomatic,
  isInstalled,
  isPkgPattern,
  listed,
  makeWarn,
  match,
  mutating,
  out,
  parsePlist,
  readMeta,
  requiredBy,
  siteContext,
  writeLines,
} from './common.mjs';
import { runScript } from './scripts.mjs';

const USAGE = 'usage: pkg_delete [-DFfkNnORrVv] [-K pkg_dbdir] [-P destdir] [-p prefix] pkg-name ...\n';
const warn = makeWarn('pkg_delete');

export async function pkgDelete(args) {
  const { opts, operands } = getopt(args, 'ADFfkNnORrVvK:P:p:', { prog: 'pkg_delete', usage: USAGE });
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
  if (operands.length === 0) {
    process.stderr.write(`pkg_delete: Missing package name(s)\n${USAGE}`);
    return 1;
  }
  const ctx = siteContext({ dbdir: val('K'), prefix: val('p') });
  const f = { A: flag('A'), D: flag('D'), force: flag('f'), n: flag('n'), R: flag('R'), r: flag('r'), v: flag('v') };
  return mutating(ctx.site, 'pkg_delete', args, (faults) => new Deleter(ctx, f, faults).run(operands));
}

export class Deleter {
  constructor(ctx, flags, faults) {
    this.ctx = ctx;
    this.f = flags;
    this.faults = faults;
    // in-memory model of the pkgdb, so that -n can simulate the cascade
    this.model = new Map();
    for (const p of installed(ctx.dbdir)) {
      const plist = parsePlist(readMeta(path.join(ctx.dbdir, p), '+CONTENTS') ?? '');
      this.model.set(p, { plist, req: requiredBy(ctx.dbdir, p), auto: isAutomatic(ctx.dbdir, p) });
    }
  }

  req(p) {
    return (this.model.get(p)?.req ?? []).filter((d) => d !== p && this.model.has(d));
  }

  resolve(operands) {
    const have = [...this.model.keys()];
    const list = [];
    let errors = 0;
    for (const arg of operands) {
      let name = arg;
      if (path.isAbsolute(arg) && path.dirname(arg) === path.resolve(this.ctx.dbdir)) name = path.basename(arg);
      let hits;
      if (isInstalled(this.ctx.dbdir, name)) hits = [name];
      else if (isPkgPattern(arg)) {
        hits = have.filter((p) => match(arg, p));
        if (hits.length === 0) warn(`No package matching \`${arg}' found`);
      } else {
        hits = have.filter((p) => match(`${arg}-[0-9]*`, p));
        if (hits.length === 0) warn(`No matching package for basename \`${arg}' of \`${arg}'`);
      }
      if (hits.length === 0) errors++;
      for (const h of hits) if (!list.includes(h)) list.push(h);
    }
    return { list, errors };
  }

  run(operands) {
    const { list, errors } = this.resolve(operands);
    if (errors > 0 && !this.f.force) return 1;
    if (this.f.r) {
      for (let i = 0; i < list.length; i++) {
        for (const d of this.req(list[i])) if (!list.includes(d)) list.push(d);
      }
    }
    const order = this.dependantsFirst(list);
    if (!this.f.force) {
      let blocked = false;
      for (const p of order) {
        const rb = this.req(p).filter((d) => !list.includes(d));
        if (rb.length === 0) continue;
        blocked = true;
        process.stderr.write(
          `Package \`${p}' is still required by other packages:\n${rb.map((d) => `\t${d}\n`).join('')}`,
        );
      }
      if (blocked) return 1;
    }
    this.pending = new Set(order);
    let failed = false;
    for (const p of order) {
      if (!this.model.has(p)) continue;
      if (!this.remove(p)) {
        failed = true;
        if (!this.f.force) break;
      }
    }
    return failed ? 1 : 0;
  }

  /** Kahn's algorithm: a package comes after everything in the set that needs it. */
  dependantsFirst(list) {
    const left = [...list];
    const set = new Set(list);
    const res = [];
    while (left.length > 0) {
      let picked = false;
      for (let i = left.length - 1; i >= 0; i--) {
        const p = left[i];
        if (this.req(p).some((d) => set.has(d))) continue;
        res.push(p);
        set.delete(p);
        left.splice(i, 1);
        picked = true;
      }
      if (!picked) {
        res.push(...left.reverse());
        break;
      }
    }
    return res;
  }

  /** remove_pkg(): DEINSTALL script, files, dependency records, POST-DEINSTALL script, pkgdb entry. */
  remove(p) {
    const { dbdir } = this.ctx;
    const { f } = this;
    if (listed(this.faults.failDelete, p)) {
      warn(`couldn't remove package \`${p}': injected failure (test emulator)`);
      return false;
    }
    const entry = this.model.get(p);
    // a DEINSTALL failure keeps the package (files and entry) unless -f
    if (!this.deinstall(p, entry, false) && !f.force) return false;
    let complete = true;
    if (f.n) out(`Attempting to delete package \`${p}'\n`);
    else complete = this.deleteFiles(entry.plist);
    if (!f.n && !complete) warn(`couldn't entirely delete package \`${p}'`);
    const candidates = [];
    for (const pat of entry.plist.depends) {
      if (f.v) out(`Attempting to remove dependency on package \`${pat}'\n`);
      const target = best(
        pat,
        [...this.model.keys()].filter((k) => k !== p),
      );
      if (target) candidates.push(target);
    }
    this.model.delete(p);
    this.pending.delete(p);
    for (const [name, e] of this.model) {
      if (!e.req.includes(p)) continue;
      e.req = e.req.filter((r) => r !== p);
      if (!f.n) writeLines(path.join(dbdir, name, '+REQUIRED_BY'), e.req);
    }
    // past the point of no return: a POST-DEINSTALL failure is counted, the package still goes
    const late = !this.deinstall(p, entry, true);
    if (!f.n) {
      const gone = path.join(dbdir, `.vo-del.${p}.${process.pid}`);
      fs.renameSync(path.join(dbdir, p), gone);
      fs.rmSync(gone, { recursive: true, force: true });
    }
    if (f.A || f.R) {
      for (const t of candidates) {
        const e = this.model.get(t);
        if (!e || this.pending.has(t) || this.req(t).length > 0) continue;
        if (f.R || e.auto) this.remove(t);
      }
    }
    return !late;
  }

  /** run_deinstall_script(): true when there is no +DEINSTALL, -D was given, or the stage succeeded. */
  deinstall(p, entry, post) {
    const file = path.join(this.ctx.dbdir, p, '+DEINSTALL');
    if (this.f.D || !fs.existsSync(file)) return true;
    const [stage, text] = post ? ['POST-DEINSTALL', 'post-deinstall'] : ['DEINSTALL', 'deinstall'];
    if (this.f.n) {
      out(`Would execute ${text} script with argument ${stage} now\n`);
      return true;
    }
    fs.chmodSync(file, 0o555);
    const r = runScript(file, {
      cwd: path.join(this.ctx.dbdir, p),
      pkgname: p,
      stage,
      prefix: entry.plist.cwd ?? this.ctx.prefix,
      metadataDir: path.join(this.ctx.dbdir, p),
      refcountDir: this.ctx.refcountDir,
    });
    if (r === 'ok') return true;
    warn(`${text} script returned error status`);
    return false;
  }

  /** Unlink the files of a package; modified ones are kept. Returns whether all went. */
  deleteFiles(plist) {
    let complete = true;
    const dirs = new Set(plist.dirrm);
    for (const e of plist.files) {
      dirs.add(path.dirname(e.path));
      if (!fs.existsSync(e.path)) {
        // the real tool reports a missing file as deleted
        if (this.f.v) out(`Delete file ${e.path}\n`);
        continue;
      }
      if (e.md5 && fileMd5(e.path) !== e.md5) {
        if (this.f.v) out(`original MD5 checksum failed, not deleting: ${e.path}\n`);
        complete = false;
        continue;
      }
      fs.rmSync(e.path, { force: true });
      if (this.f.v) out(`Delete file ${e.path}\n`);
    }
    // empty directories inside the prefix go too, deepest first
    const root = plist.cwd ? path.resolve(plist.cwd) : undefined;
    const all = new Set();
    for (let d of dirs) {
      while (root && d.startsWith(`${root}${path.sep}`)) {
        all.add(d);
        d = path.dirname(d);
      }
    }
    for (const d of [...all].sort((a, b) => b.length - a.length)) {
      try {
        fs.rmdirSync(d);
      } catch {
        /* not empty or gone */
      }
    }
    return complete;
  }
}
