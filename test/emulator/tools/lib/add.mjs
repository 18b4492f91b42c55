// pkg_add emulator (test-only): pkg_install's add/main.c and add/perform.c
// pkg_do(), step by step, in my own words:
//
//   find the archive → read +CONTENTS/+BUILD_INFO → already installed?
//   → platform → other version installed (and do its dependants accept
//   this one?) → CONFLICTS → files owned by another package → then
//     new install: install missing dependencies, write the pkgdb entry;
//     replace (-u/-U): write the pkgdb entry, move the old entry's
//       +REQUIRED_BY/+PRESERVE/+INSTALLED_INFO over, DELETE THE OLD VERSION
//       (pkg_delete, its result ignored), then install missing dependencies;
//   → +INSTALL PRE-INSTALL → extract files → +INSTALL POST-INSTALL
//   → automatic=yes for dependencies (and -A) → register in the
//   dependencies' +REQUIRED_BY.
//
// A failure after the old version was deleted leaves neither version: the
// new pkgdb entry is removed again and nothing puts the old one back.
import fs from 'node:fs';
import path from 'node:path';
import { alreadyInstalled, explicitConflicts, implicitConflicts, otherInstalled, setAutomatic } from './add-checks.mjs';
import {
  best,
  extractPackage,
  getopt,
  installed,
  listed,
  makeWarn,
  mutating,
  out,
  parsePlist,
  readMeta,
  requiredBy,
  siteContext,
  writeLines,
} from './common.mjs';
import { Deleter } from './delete.mjs';
import { ArchiveFinder } from './find.mjs';
import { runScript, STRERROR } from './scripts.mjs';

const USAGE = `usage: pkg_add [-AfhILnRuVv] [-C config] [-P destdir] [-K pkg_dbdir]
               [-m machine] [-p prefix] [-s verification-type
               [-W viewbase] [-w view]

               [[ftp|http]://[user[:password]@]host[:port]][/path/]pkg-name ...
`;
const warn = makeWarn('pkg_add');
/** The pkg_delete pkg_add runs; the captured tools were built for /usr/pkg. */
const PKG_DELETE = '/usr/pkg/sbin/pkg_delete';
/** Metadata files that stay in the archive's own name in the pkgdb entry (+CONTENTS is rewritten). */
const PKGDB_SKIP = new Set(['+CONTENTS', '+REQUIRED_BY', '+INSTALLED_INFO']);

export async function pkgAdd(args) {
  const { opts, operands } = getopt(args, 'ADfhILnRuUVvC:P:K:m:p:s:W:w:', { prog: 'pkg_add', usage: USAGE });
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
  const force = flag('f');
  const f = {
    A: flag('A'),
    D: flag('D') || force, // ForceDepending: dependants that would break do not stop a replacement
    force,
    I: flag('I'),
    n: flag('n'),
    u: flag('u') || flag('U'),
    U: flag('U'),
    v: flag('v') || flag('n'),
  };
  return mutating(ctx.site, 'pkg_add', args, async (faults) => {
    const adder = new Adder(ctx, f, faults);
    let failed = 0;
    try {
      for (const arg of operands) if (!(await adder.pkgDo(arg, f.A, true))) failed++;
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

  /** Install the package named by arg; returns success. */
  async pkgDo(arg, markAutomatic, topLevel) {
    const file = await this.finder.find(arg, topLevel);
    if (!file) {
      warn(`no pkg found for '${arg}', sorry.`);
      return false;
    }
    const tmp = extractPackage(file);
    try {
      return await this.install(tmp, markAutomatic);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }

  async install(tmp, markAutomatic) {
    const { ctx, f } = this;
    const contents = readMeta(tmp, '+CONTENTS');
    if (contents === undefined) {
      warn('package has no +CONTENTS');
      return false;
    }
    const plist = parsePlist(contents);
    const name = plist.name;
    // a dependency cycle: the real tool recurses until it fails; the emulator stops
    if (this.busy.has(name)) return true;
    if (listed(this.faults.failAdd, name)) {
      warn(`${name}: injected failure (test emulator)`);
      return false;
    }
    if (!this.buildInfoOk(tmp, name)) return false;

    const state = alreadyInstalled(ctx, f, name, warn);
    if (state === 'done') return true;
    if (state === 'error' || !this.platformOk(tmp, name)) return false;
    const { other, error } = otherInstalled(ctx, f, name, state === 'replace-same', warn);
    if (error) return false;
    if (!explicitConflicts(ctx, plist, other, warn)) return false;
    if (!implicitConflicts(ctx, f, plist, other, warn)) return false;
    if (listed(this.faults.lieAdd, name)) return true; // says it worked, installs nothing

    const logdir = path.join(ctx.dbdir, name);
    // -U of the same version stages the new entry beside the old one until the old is deleted
    let entry = state === 'replace-same' ? `${logdir}.xxxxxx` : logdir;
    const deps = [];
    this.busy.add(name);
    try {
      if (other !== undefined) {
        this.writeEntry(tmp, contents, entry);
        this.startReplacing(other, entry, fs.existsSync(path.join(tmp, '+INSTALLED_INFO')));
        if (entry !== logdir) {
          if (!f.n) fs.renameSync(entry, logdir);
          entry = logdir;
        }
        if (!(await this.dependencies(plist, deps))) return this.nukeEntry(entry);
      } else {
        if (!(await this.dependencies(plist, deps))) return false;
        this.writeEntry(tmp, contents, entry);
      }
    } finally {
      this.busy.delete(name);
    }

    const hasInstall = fs.existsSync(path.join(tmp, '+INSTALL'));
    if (!this.script(hasInstall, name, entry, 'PRE-INSTALL')) return this.nukeEntry(entry);
    this.extract(tmp, plist);
    if (!this.script(hasInstall, name, entry, 'POST-INSTALL')) return this.nukeEntry(entry);
    if (markAutomatic) setAutomatic(ctx.dbdir, name, true);
    if (!f.n) {
      for (const dep of deps) {
        const req = requiredBy(ctx.dbdir, dep);
        writeLines(path.join(ctx.dbdir, dep, '+REQUIRED_BY'), [...req, name]);
      }
    }
    if (f.v) out(`Package ${name} registered in ${entry}\n`);
    const display = readMeta(tmp, '+DISPLAY');
    if (display !== undefined) out(display);
    return true;
  }

  buildInfoOk(tmp, name) {
    const bi = buildInfo(readMeta(tmp, '+BUILD_INFO'));
    this.bi = bi;
    if (!bi.OPSYS || !bi.OS_VERSION || !bi.MACHINE_ARCH) {
      warn('Not all required build information are present.');
      return false;
    }
    return name !== undefined;
  }

  platformOk(tmp, name) {
    const { bi, host } = this;
    if (bi.OPSYS === host.OPSYS && bi.MACHINE_ARCH === host.MACHINE_ARCH) return true;
    warn(`Warning: package \`${name}' was built for a platform:`);
    warn(
      `${bi.OPSYS}/${bi.MACHINE_ARCH} ${bi.OS_VERSION} (pkg) vs. ${host.OPSYS}/${host.MACHINE_ARCH} ${host.OS_VERSION} (this host)`,
    );
    return this.f.force;
  }

  /** check_dependencies(): install each DEPENDS nothing installed matches (as automatic); collect what fulfils them. */
  async dependencies(plist, deps) {
    for (const pat of plist.depends) {
      let target = best(pat, installed(this.ctx.dbdir));
      if (target === undefined) {
        if (this.f.n) {
          if (!this.f.force) {
            warn(`Missing dependency ${pat}\n`);
            return false;
          }
          warn(`Missing dependency ${pat}, continuing`);
          continue;
        }
        if (!(await this.pkgDo(pat, true, false))) {
          if (this.f.force) {
            warn(`Can't install dependency ${pat}, continuing`);
            continue;
          }
          warn(`Can't install dependency ${pat}`);
          return false;
        }
        target = best(pat, installed(this.ctx.dbdir));
        if (target === undefined) {
          if (this.f.force) {
            warn(`Missing dependency ${pat} ignored`);
            continue;
          }
          warn(`Just installed dependency ${pat} disappeared`);
          return false;
        }
      }
      if (!deps.includes(target)) deps.push(target);
    }
    return true;
  }

  /** write_meta_data(): the new pkgdb entry (+CONTENTS with the install prefix as @cwd). */
  writeEntry(tmp, contents, entry) {
    if (this.f.n) return;
    fs.mkdirSync(entry, { recursive: true });
    for (const meta of fs.readdirSync(tmp).filter((n) => n.startsWith('+') && !PKGDB_SKIP.has(n))) {
      fs.copyFileSync(path.join(tmp, meta), path.join(entry, meta));
      if (meta === '+INSTALL' || meta === '+DEINSTALL') fs.chmodSync(path.join(entry, meta), 0o555);
    }
    if (fs.existsSync(path.join(tmp, '+INSTALLED_INFO')))
      fs.copyFileSync(path.join(tmp, '+INSTALLED_INFO'), path.join(entry, '+INSTALLED_INFO'));
    const text = contents.replace(/^@cwd .*$/gm, `@cwd ${this.ctx.prefix}`);
    const tmpContents = path.join(entry, `.+CONTENTS.${process.pid}`);
    fs.writeFileSync(tmpContents, text);
    fs.renameSync(tmpContents, path.join(entry, '+CONTENTS'));
  }

  /** start_replacing(): keep the old entry's dependants, preserve mark and flags, then delete the old version. */
  startReplacing(other, entry, newHasInstalledInfo) {
    const { ctx, f } = this;
    const keep = ['+REQUIRED_BY', '+PRESERVE', ...(newHasInstalledInfo ? [] : ['+INSTALLED_INFO'])];
    if (!f.n) {
      for (const meta of keep) {
        try {
          fs.renameSync(path.join(ctx.dbdir, other, meta), path.join(entry, meta));
        } catch (e) {
          if (e.code !== 'ENOENT') throw e;
        }
      }
    }
    if (f.v) out(`${PKG_DELETE} -K ${ctx.dbdir} -p ${ctx.prefix} '${other}'\n`);
    // the real tool runs pkg_delete and ignores how it ended
    if (!f.n) new Deleter({ ...ctx }, { prefixGiven: true }, {}).run([other]);
  }

  /** run_install_script(): false when the package has a +INSTALL and its stage failed. */
  script(hasInstall, name, entry, stage) {
    if (this.f.I || !hasInstall) return true;
    const file = path.join(this.ctx.dbdir, name, '+INSTALL');
    // the real message names PRE-INSTALL for both stages
    if (this.f.v) out(`Running install with PRE-INSTALL for ${name}.\n`);
    if (this.f.n) return true;
    const r = runScript(file, {
      cwd: entry,
      pkgname: name,
      stage,
      prefix: this.ctx.prefix,
      metadataDir: path.join(this.ctx.dbdir, name),
      refcountDir: this.ctx.refcountDir,
    });
    if (r === 'ok') return true;
    if (r === 'failed') warn('install script returned error status');
    else warn(`exec of install script failed: ${STRERROR[r] ?? r}`);
    return false;
  }

  /** extract_files(): copy the package's files into the prefix. */
  extract(tmp, plist) {
    if (this.f.n) return;
    for (const e of plist.files) {
      const src = path.join(tmp, e.rel);
      const dst = path.join(this.ctx.prefix, e.rel);
      fs.mkdirSync(path.dirname(dst), { recursive: true });
      fs.rmSync(dst, { force: true });
      fs.copyFileSync(src, dst);
      fs.chmodSync(dst, fs.statSync(src).mode & 0o7777);
      if (this.f.v) out(`${e.rel}\n`);
    }
  }

  /** The nuke_pkgdb path: the new pkgdb entry goes; an old version deleted before stays deleted. */
  nukeEntry(entry) {
    if (!this.f.n) fs.rmSync(entry, { recursive: true, force: true });
    return false;
  }
}
