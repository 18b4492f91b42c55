// pkg_add emulator (pkg_install 20130131 add/main.c + add/perform.c behaviour).
import fs from 'node:fs';
import path from 'node:path';
import {
  baseOf,
  best,
  extractPackage,
  getopt,
  installed,
  isAutomatic,
  isInstalled,
  listed,
  makeWarn,
  match,
  mutating,
  out,
  parsePlist,
  readMeta,
  requiredBy,
  fileMd5,
  setVar,
  siteContext,
  writeLines,
} from './common.mjs';
import { ArchiveFinder } from './find.mjs';

const USAGE = `usage: pkg_add [-AfhILnRuVv] [-C config] [-P destdir] [-K pkg_dbdir]
               [-m machine] [-p prefix] [-s verification-type
               [-W viewbase] [-w view]

               [[ftp|http]://[user[:password]@]host[:port]][/path/]pkg-name ...
`;
const warn = makeWarn('pkg_add');
/** The path pkg_add -v prints for its pkg_delete run; the captured tools were built for /usr/pkg. */
const PKG_DELETE = '/usr/pkg/sbin/pkg_delete';

export async function pkgAdd(args) {
  const { opts, operands } = getopt(args, 'AfhILnRuUVvC:P:K:m:p:s:W:w:', { prog: 'pkg_add', usage: USAGE });
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
  if (operands.length === 0) {
    process.stderr.write(`pkg_add: missing package name(s)\n${USAGE}`);
    return 1;
  }
  const ctx = siteContext({ dbdir: val('K'), configFile: val('C'), prefix: val('p') });
  const f = {
    A: flag('A'),
    force: flag('f'),
    n: flag('n'),
    u: flag('u') || flag('U'),
    U: flag('U'),
    v: flag('v') || flag('n'),
  };
  return mutating(ctx.site, 'pkg_add', args, async (faults) => {
    const adder = new Adder(ctx, f, faults);
    let failed = 0;
    try {
      for (const arg of operands) if (!(await adder.add(arg, { explicit: true }))) failed++;
    } finally {
      adder.finder.cleanup();
    }
    if (failed > 0) {
      warn(`${failed} package addition${failed > 1 ? 's' : ''} failed`);
      return 1;
    }
    return 0;
  });
}

function buildInfo(text = '') {
  const bi = {};
  for (const l of text.split('\n')) {
    const i = l.indexOf('=');
    if (i > 0) bi[l.slice(0, i)] = l.slice(i + 1);
  }
  return bi;
}

class Adder {
  constructor(ctx, flags, faults) {
    this.ctx = ctx;
    this.f = flags;
    this.faults = faults;
    this.busy = new Set();
    this.finder = new ArchiveFinder(ctx.pkgPath, warn);
    this.host = {
      OPSYS: faults.opsys ?? 'Linux',
      MACHINE_ARCH: faults.machineArch ?? 'x86_64',
      OS_VERSION: faults.osVersion ?? '6.1.0-amd64',
    };
  }

  /** Install one package named by arg; returns success. */
  async add(arg, { explicit }) {
    const file = await this.finder.find(arg, explicit);
    if (!file) {
      warn(`no pkg found for '${arg}', sorry.`);
      return false;
    }
    const tmp = extractPackage(file);
    try {
      return await this.addExtracted(tmp, explicit);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }

  async addExtracted(tmp, explicit) {
    const { dbdir, prefix } = this.ctx;
    const contents = readMeta(tmp, '+CONTENTS');
    if (contents === undefined) {
      warn('package has no +CONTENTS');
      return false;
    }
    const plist = parsePlist(contents);
    const name = plist.name;
    if (this.busy.has(name)) return true; // dependency cycle: already being installed
    if (listed(this.faults.failAdd, name)) {
      warn(`${name}: injected failure (test emulator)`);
      return false;
    }

    const bi = buildInfo(readMeta(tmp, '+BUILD_INFO'));
    if (!bi.OPSYS || !bi.OS_VERSION || !bi.MACHINE_ARCH) {
      warn('Not all required build information are present.');
      return false;
    }
    if (bi.OPSYS !== this.host.OPSYS || bi.MACHINE_ARCH !== this.host.MACHINE_ARCH) {
      warn(`Warning: package \`${name}' was built for a platform:`);
      warn(
        `${bi.OPSYS}/${bi.MACHINE_ARCH} ${bi.OS_VERSION} (pkg) vs. ${this.host.OPSYS}/${this.host.MACHINE_ARCH} ${this.host.OS_VERSION} (this host)`,
      );
      if (!this.f.force) return false;
    }

    const have = installed(dbdir);
    let other;
    if (have.includes(name)) {
      if (!this.f.U) {
        warn(`package \`${name}' already recorded as installed`);
        if (explicit && !this.f.A && !this.f.n && isAutomatic(dbdir, name)) {
          setAutomatic(dbdir, name, false);
          warn(`package \`${name}' was already installed as dependency, now marked as installed manually`);
        }
        return true;
      }
      other = name;
    } else {
      other = have.find((p) => baseOf(p) === baseOf(name));
      if (other && !this.f.u) {
        warn(`A different version of ${name} is already installed: ${other}`);
        return false;
      }
    }
    for (const pat of plist.conflicts) {
      const hit = have.find((p) => p !== other && match(pat, p));
      if (hit) {
        warn(`Package \`${name}' conflicts with \`${pat}', and \`${hit}' is installed.`);
        return false;
      }
    }
    for (const p of have) {
      if (p === other) continue;
      const cfl = parsePlist(readMeta(path.join(dbdir, p), '+CONTENTS') ?? '').conflicts.find((c) => match(c, name));
      if (cfl) {
        warn(`Installed package \`${p}' conflicts with \`${cfl}' when trying to install \`${name}'.`);
        return false;
      }
    }
    const oldReq = other ? requiredBy(dbdir, other).filter((d) => isInstalled(dbdir, d)) : [];
    if (other && other !== name && !this.check_dependants(other, name, oldReq)) return false;
    if (listed(this.faults.lieAdd, name)) return true; // says it worked, installs nothing

    this.busy.add(name);
    try {
      for (const dep of plist.depends) {
        if (best(dep, installed(dbdir))) continue;
        if (!(await this.add(dep, { explicit: false }))) {
          warn(`Can't install dependency ${dep}`);
          return false;
        }
      }
    } finally {
      this.busy.delete(name);
    }

    if (other && this.f.v) out(`${PKG_DELETE} -K ${dbdir} -p ${prefix} '${other}'\n`);
    if (this.f.n) {
      out(`Package ${name} registered in ${path.join(dbdir, name)}\n`);
      return true;
    }

    const automatic = !explicit || this.f.A || (other !== undefined && isAutomatic(dbdir, other));
    if (other) removeFiles(dbdir, other);
    for (const e of plist.files) {
      const src = path.join(tmp, e.rel);
      const dst = path.join(prefix, e.rel);
      fs.mkdirSync(path.dirname(dst), { recursive: true });
      fs.rmSync(dst, { force: true });
      fs.copyFileSync(src, dst);
      fs.chmodSync(dst, fs.statSync(src).mode & 0o7777);
      if (this.f.v) out(`${e.rel}\n`);
    }
    this.register(tmp, contents, name, other, automatic, oldReq);
    for (const dep of plist.depends) {
      const target = best(dep, installed(dbdir));
      if (!target) continue;
      const req = requiredBy(dbdir, target);
      if (!req.includes(name)) writeLines(path.join(dbdir, target, '+REQUIRED_BY'), [...req, name]);
    }
    if (this.f.v) out(`Package ${name} registered in ${path.join(dbdir, name)}\n`);
    return true;
  }

  /** check_other_installed: every dependant of the old version must accept the new one. */
  check_dependants(other, name, dependants) {
    let ok = true;
    for (const d of dependants) {
      const deps = parsePlist(readMeta(path.join(this.ctx.dbdir, d), '+CONTENTS') ?? '').depends;
      for (const pat of deps) {
        if (match(pat, other) && !match(pat, name)) {
          warn(`Dependency of ${d} fulfilled by ${other}, but not by ${name}`);
          if (!this.f.force) ok = false;
        }
      }
    }
    return ok;
  }

  /** Build the new pkgdb entry beside the old one and swap it in by rename. */
  register(tmp, contents, name, other, automatic, oldReq) {
    const { dbdir, prefix } = this.ctx;
    fs.mkdirSync(dbdir, { recursive: true });
    const stage = path.join(dbdir, `.vo-new.${name}.${process.pid}`);
    fs.rmSync(stage, { recursive: true, force: true });
    fs.mkdirSync(stage);
    for (const meta of fs.readdirSync(tmp).filter((n) => n.startsWith('+'))) {
      if (meta === '+CONTENTS' || meta === '+REQUIRED_BY' || meta === '+INSTALLED_INFO') continue;
      fs.copyFileSync(path.join(tmp, meta), path.join(stage, meta));
    }
    if (automatic) fs.writeFileSync(path.join(stage, '+INSTALLED_INFO'), 'automatic=yes\n');
    if (oldReq.length > 0) fs.writeFileSync(path.join(stage, '+REQUIRED_BY'), `${oldReq.join('\n')}\n`);
    fs.writeFileSync(path.join(stage, '+CONTENTS'), contents.replace(/^@cwd .*$/gm, `@cwd ${prefix}`));
    let old;
    if (other) {
      old = path.join(dbdir, `.vo-old.${other}.${process.pid}`);
      fs.renameSync(path.join(dbdir, other), old);
    }
    fs.renameSync(stage, path.join(dbdir, name));
    if (old) fs.rmSync(old, { recursive: true, force: true });
    if (other) {
      // the old name no longer depends on anything; the new one registers below
      for (const p of installed(dbdir)) {
        const req = requiredBy(dbdir, p);
        if (other !== name && req.includes(other))
          writeLines(
            path.join(dbdir, p, '+REQUIRED_BY'),
            req.filter((r) => r !== other),
          );
      }
    }
  }
}

/** Remove an installed package's files (unmodified ones) before replacing it. */
function removeFiles(dbdir, name) {
  const plist = parsePlist(readMeta(path.join(dbdir, name), '+CONTENTS') ?? '');
  for (const e of plist.files) {
    if (e.md5 && fileMd5(e.path) !== e.md5) continue;
    fs.rmSync(e.path, { force: true });
  }
}

export function setAutomatic(dbdir, name, on) {
  setVar(path.join(dbdir, name, '+INSTALLED_INFO'), 'automatic', on ? 'yes' : undefined);
}
