// Deterministic synthetic fleet for `npm run bench` (see run.mjs).
//
// Everything comes from one seeded PRNG (mulberry32), so the same parameters
// always give byte-identical files. Layout under OUT (bench/out/fleet/):
//
//   packages/All/pkg_summary.gz   one shared catalog, ~8,000 bases x ~3 versions
//   repo/desired-state/           a git repo: sites.yaml + profiles/*.yaml
//   observed/SITE-0001.pkg_info   what each site has (pkg_info output) ...
//   observed/SITE-0001.pkg_info-u ... and its user-installed subset (pkg_info -u)
//   desired-names/SITE-0001.txt   the site's desired base names (for the awk baseline)
//   info.json                     sizes and the plan totals the fleet must produce
//   stamp.json                    the parameters; written (by run.mjs) once the
//                                 fleet is complete and valid, so it can be reused
//
// Shape of the catalog: bases 0..LIBS-1 are libraries, the rest applications.
// A base depends only on libraries with a lower index (so there are no
// cycles) and applications are never depended upon, which makes the plan's
// removals predictable: the generator knows exactly how many installs,
// version changes and removals each site's plan must contain, and run.mjs
// checks the plan against that.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

export const GENERATOR_VERSION = 1;

export const DEFAULT_PARAMS = {
  seed: 20250601,
  sites: 1000,
  installedPerSite: 3000,
  bases: 8000,
  libraries: 5000, // bases [0, libraries) can be depended upon
  profiles: 10, // plus ALL, which every site gets
  profileSize: [120, 150], // present/frozen entries per profile
  allSize: 20,
  absentPerProfile: 3,
  profilesPerSite: [3, 4],
  userpkgsShare: 0.2,
  drift: 0.05, // share of desired packages missing or at a non-matching version
  absentInstalled: 0.3, // share of `state: absent` packages still installed
  undeclaredUser: [60, 120], // undeclared, user-installed applications per site
};

const PROFILE_NAMES = [
  'core',
  'analysis',
  'simulation',
  'reconstruction',
  'grid-clients',
  'python-stack',
  'perl-stack',
  'compilers',
  'io-formats',
  'monitoring',
];
const WORDS = [
  'xml',
  'ssl',
  'png',
  'jpeg',
  'curl',
  'yaml',
  'event',
  'uv',
  'ffi',
  'gmp',
  'mpfr',
  'zstd',
  'hdf',
  'root',
  'geant',
  'fftw',
  'blas',
  'arrow',
  'proto',
  'grpc',
  'boost',
  'tbb',
  'glob',
  'fmt',
  'spdlog',
  'numpy',
  'scipy',
  'pandas',
  'requests',
  'click',
  'jinja',
  'markup',
  'voms',
  'davix',
  'xrootd',
  'gfal',
  'condor',
  'cvmfs',
  'frontier',
  'squid',
  'tiff',
  'gif',
  'cairo',
  'pango',
  'glib',
  'dbus',
  'pcre',
  'expat',
  'sqlite',
  'lz',
];
const PERL_WORDS = [
  'Test',
  'Module',
  'File',
  'Data',
  'IO',
  'Text',
  'Net',
  'HTTP',
  'JSON',
  'Time',
  'List',
  'Moose',
  'DBI',
  'XML',
  'Path',
];

// ---- PRNG -------------------------------------------------------------------

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Rng {
  constructor(seed) {
    this.next = mulberry32(seed);
  }
  int(n) {
    return Math.floor(this.next() * n);
  }
  range([lo, hi]) {
    return lo + this.int(hi - lo + 1);
  }
  chance(p) {
    return this.next() < p;
  }
  pick(list) {
    return list[this.int(list.length)];
  }
  /** Picks by weight: weights[i] is the relative chance of i. */
  weighted(weights) {
    let r = this.next() * weights.reduce((a, b) => a + b, 0);
    for (let i = 0; i < weights.length; i++) if ((r -= weights[i]) < 0) return i;
    return weights.length - 1;
  }
  shuffle(list) {
    for (let i = list.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [list[i], list[j]] = [list[j], list[i]];
    }
    return list;
  }
}

// ---- catalog ----------------------------------------------------------------

/**
 * A base: name, versions oldest first (majors strictly increase, so their
 * order never depends on nb/rc subtleties), DEPENDS patterns and the library
 * indices they point at.
 */
function makeBase(rng, i, libraries) {
  const word = rng.pick(WORDS);
  const isLib = i < libraries;
  // Names end in the index, so they are unique and never look like a version.
  const name = isLib
    ? [
        `lib${word}${i}`,
        `lib-${word}${i}`,
        `py311-${word}${i}`,
        `p5-${rng.pick(PERL_WORDS)}-${rng.pick(PERL_WORDS)}${i}`,
      ][rng.weighted([4, 2, 3, 1])]
    : [`${word}${i}`, `py311-${word}-tools${i}`, `${word}-utils${i}`][rng.weighted([6, 2, 2])];
  const versions = [];
  let major = rng.int(4);
  for (let n = rng.range([2, 4]); n > 0; n--) {
    const minor = rng.int(10);
    const form = rng.weighted([5, 2, 2, 1]);
    versions.push(
      form === 0
        ? `${major}.${minor}.${rng.int(20)}`
        : form === 1
          ? `${major}.${minor}`
          : form === 2
            ? `${major}.${minor}nb${1 + rng.int(3)}`
            : `${major}.${1 + minor}rc${1 + rng.int(3)}`, // minor >= 1: X.0rcN would sort below X.0
    );
    major += 1 + rng.int(2);
  }
  // Dependencies: libraries below this base, biased towards the low ("core") ones.
  const deps = new Set();
  const ceiling = Math.min(i, libraries);
  if (ceiling > 0)
    for (let n = rng.weighted([15, 25, 30, 20, 10]); n > 0; n--) deps.add(Math.floor(ceiling * rng.next() ** 1.3));
  return {
    index: i,
    name,
    isLib,
    versions,
    deps: [...deps].sort((a, b) => a - b),
    comment: `${isLib ? 'Library' : 'Tools'} for ${word} handling (${i})`,
  };
}

function dependsPatterns(rng, base, bases) {
  return base.deps.map((d) => {
    const dep = bases[d];
    // Always satisfied by every version of the dependency.
    return rng.chance(0.6) ? `${dep.name}>=${dep.versions[0].split(/[.nr]/)[0]}.0` : `${dep.name}-[0-9]*`;
  });
}

function catalogText(rng, bases) {
  const parts = [];
  for (const b of bases) {
    const depends = dependsPatterns(rng, b, bases);
    for (const v of b.versions) {
      const pkgname = `${b.name}-${v}`;
      parts.push(`PKGNAME=${pkgname}`);
      for (const d of depends) parts.push(`DEPENDS=${d}`);
      parts.push(
        `COMMENT=${b.comment}`,
        `SIZE_PKG=${10_000 + rng.int(50_000_000)}`,
        'OPSYS=Linux',
        'OS_VERSION=5.14.0',
        'MACHINE_ARCH=x86_64',
        'PKGTOOLS_VERSION=20250417',
        `FILE_NAME=${pkgname}.tgz`,
        `DESCRIPTION=${b.name} is a synthetic package made for the vo-reconcile benchmark.`,
        'DESCRIPTION=It stands in for a real pkgsrc package of similar size.',
        '',
      );
    }
  }
  return parts.join('\n') + '\n';
}

// ---- desired state ----------------------------------------------------------

/**
 * One present entry: the pattern written in the profile, the version index
 * an in-sync site has installed, and a version index that does not match
 * (or -1: the only way to drift is to be missing).
 */
function presentEntry(rng, base) {
  const vs = base.versions;
  const last = vs.length - 1;
  const major = (k) => vs[k].split(/[.nr]/)[0];
  const other = (k) => (k > 0 ? k - 1 : k < last ? k + 1 : -1);
  switch (rng.weighted([40, 25, 15, 10, 10])) {
    case 0:
      return { text: base.name, want: last, drift: -1 };
    case 1: // name>=M.0: in sync at the newest; an older one drifts
      return { text: `${base.name}>=${major(last)}.0`, want: last, drift: last > 0 ? last - 1 : -1 };
    case 2: {
      const k = rng.int(vs.length);
      return { text: `${base.name}>=${major(k)}.0<${Number(major(k)) + 1}`, want: k, drift: other(k) };
    }
    case 3: {
      const k = rng.int(vs.length);
      const m = /^(\d+)\.(\d+)\.\d+$/.exec(vs[k]);
      return { text: m ? `${base.name}-${m[1]}.${m[2]}.*` : `${base.name}-${major(k)}.*`, want: k, drift: other(k) };
    }
    default: {
      const k = rng.int(vs.length);
      return { text: `${base.name}-${vs[k]}`, want: k, drift: other(k) };
    }
  }
}

/**
 * Profiles own disjoint sets of bases, so no two profiles of a site ever
 * constrain one package. Mostly applications, some libraries; absent
 * entries are applications (never depended upon, so removing them is safe).
 */
function makeProfiles(rng, p, bases) {
  const apps = rng.shuffle(bases.filter((b) => !b.isLib));
  const libs = rng.shuffle(bases.filter((b) => b.isLib));
  const take = (n) => {
    const out = [];
    for (let i = 0; i < n; i++) out.push(rng.chance(0.8) ? apps.pop() : libs.pop());
    return out;
  };
  const profiles = [];
  const names = ['ALL', ...PROFILE_NAMES.slice(0, p.profiles)];
  for (const name of names) {
    const entries = [];
    const size = name === 'ALL' ? p.allSize : rng.range(p.profileSize);
    for (const base of take(size)) {
      if (rng.chance(0.02))
        entries.push({
          base,
          state: 'frozen',
          text: `{ name: ${base.name}, state: frozen }`,
          want: rng.int(base.versions.length),
        });
      else entries.push({ base, state: 'present', ...presentEntry(rng, base) });
    }
    if (name !== 'ALL')
      for (let i = 0; i < p.absentPerProfile; i++) {
        const base = apps.pop();
        entries.push({ base, state: 'absent', text: `{ name: ${base.name}, state: absent }` });
      }
    profiles.push({ name, entries });
  }
  return { profiles, spareApps: apps };
}

function profileYaml(profile) {
  const lines = [`description: Synthetic profile '${profile.name}' for the vo-reconcile benchmark.`, 'packages:'];
  for (const e of profile.entries) lines.push(`  - ${e.text}`);
  return lines.join('\n') + '\n';
}

function sitesYaml(sites, pkgPath) {
  const lines = ['# Synthetic fleet for the vo-reconcile benchmark (bench/fleet.mjs).', 'sites:'];
  for (const s of sites) {
    lines.push(
      `  - name: ${s.name}`,
      '    sw_area: /srv/vo_sw',
      '    platform: x86_64-el9',
      `    pkg_path: ${pkgPath}`,
      `    profiles: [${s.profiles.map((p) => p.name).join(', ')}]`,
      `    userpkgs: ${s.userpkgs}`,
    );
  }
  return lines.join('\n') + '\n';
}

// ---- observed inventories ---------------------------------------------------

/**
 * One site's installed packages and the plan they must produce. Returns
 * { lines, userLines, desiredNames, expect: { install, change, remove },
 * leftovers }: pkg_info and pkg_info -u lines (shuffled), the base names the
 * site wants (present or frozen), and the plan totals the site must get.
 */
function makeSite(rng, p, site, bases, spareApps, pkgInstall) {
  const installed = new Map(); // base index -> { pkgname, comment, user }
  const expect = { install: 0, change: 0, remove: 0 };
  const desiredNames = [];
  const declared = new Set();
  const put = (base, k, user) =>
    installed.set(base.index, { pkgname: `${base.name}-${base.versions[k]}`, comment: base.comment, user });

  for (const profile of site.profiles) {
    for (const e of profile.entries) {
      declared.add(e.base.index);
      if (e.state === 'absent') {
        if (rng.chance(p.absentInstalled)) {
          put(e.base, rng.int(e.base.versions.length), true);
          expect.remove++;
        }
        continue;
      }
      desiredNames.push(e.base.name);
      if (e.state === 'frozen') {
        if (rng.chance(0.9)) put(e.base, e.want, true);
      } else if (!rng.chance(p.drift)) {
        put(e.base, e.want, true);
      } else if (e.drift >= 0 && (e.base.isLib || rng.chance(0.5))) {
        put(e.base, e.drift, true);
        expect.change++;
      } else if (e.base.isLib) {
        // A missing library could be pulled back in as a dependency below; keep it simple.
        put(e.base, e.want, true);
      } else {
        expect.install++;
      }
    }
  }

  // Dependencies of what is installed: automatic, at the newest version.
  const target = p.installedPerSite - 1; // pkg_install is the last one
  const missingDeps = (start) => {
    const found = new Set();
    const queue = [...start];
    while (queue.length > 0) {
      for (const d of bases[queue.pop()].deps) {
        if (installed.has(d) || found.has(d)) continue;
        found.add(d);
        queue.push(d);
      }
    }
    return found;
  };
  for (const d of missingDeps(installed.keys())) put(bases[d], bases[d].versions.length - 1, false);

  // Applications somebody installed by hand, with their dependencies, as long as they fit.
  for (let n = rng.range(p.undeclaredUser); n > 0; n--) {
    const base = spareApps[rng.int(spareApps.length)];
    if (installed.has(base.index)) continue;
    const deps = missingDeps([base.index]);
    if (installed.size + 1 + deps.size > target) continue;
    put(base, rng.int(base.versions.length), true);
    for (const d of deps) put(bases[d], bases[d].versions.length - 1, false);
    if (!site.userpkgs) expect.remove++;
  }

  // Leftover automatic libraries (their dependents were removed long ago),
  // chosen among those whose own dependencies are all installed.
  const beforeLeftovers = installed.size;
  for (const i of rng.shuffle([...Array(p.libraries).keys()])) {
    if (installed.size >= target) break;
    if (installed.has(i) || declared.has(i) || !bases[i].deps.every((d) => installed.has(d))) continue;
    put(bases[i], rng.int(bases[i].versions.length), false);
  }

  const all = [...installed.values(), { pkgname: pkgInstall.pkgname, comment: pkgInstall.comment, user: true }];
  const line = (x) => `${x.pkgname.padEnd(19)} ${x.comment}`;
  rng.shuffle(all);
  return {
    lines: all.map(line),
    userLines: all.filter((x) => x.user).map(line),
    desiredNames,
    expect,
    leftovers: installed.size - beforeLeftovers,
  };
}

// ---- the fleet --------------------------------------------------------------

/** Parameters as recorded in the stamp: a fleet is reused only when they match. */
export function stampFor(params, out) {
  return { generator: GENERATOR_VERSION, catalogDir: path.resolve(out, 'packages/All'), params };
}

export function fleetIsCurrent(out, params) {
  try {
    return (
      JSON.stringify(JSON.parse(readFileSync(path.join(out, 'stamp.json'), 'utf8'))) ===
      JSON.stringify(stampFor(params, out))
    );
  } catch {
    return false;
  }
}

/** Writes the whole fleet into `out` (emptied first) and returns its sizes and expected plan totals. */
export function generateFleet(out, params) {
  const p = params;
  rmSync(out, { recursive: true, force: true });
  const rng = new Rng(p.seed);

  const bases = [];
  for (let i = 0; i < p.bases; i++) bases.push(makeBase(rng, i, p.libraries));
  const pkgInstall = {
    pkgname: 'pkg_install-20250417',
    comment: 'Package management and administration tools for pkgsrc',
  };
  const catalogDir = path.resolve(out, 'packages/All');
  mkdirSync(catalogDir, { recursive: true });
  const summary =
    `PKGNAME=${pkgInstall.pkgname}\nCOMMENT=${pkgInstall.comment}\nSIZE_PKG=258380\nOPSYS=Linux\nOS_VERSION=5.14.0\n` +
    `MACHINE_ARCH=x86_64\nPKGTOOLS_VERSION=20250417\nFILE_NAME=${pkgInstall.pkgname}.tgz\nDESCRIPTION=Package tools.\n\n` +
    catalogText(rng, bases);
  writeFileSync(path.join(catalogDir, 'pkg_summary.gz'), gzipSync(summary));
  const catalogPackages = 1 + bases.reduce((n, b) => n + b.versions.length, 0);

  const { profiles, spareApps } = makeProfiles(rng, p, bases);
  const [all, ...rest] = profiles;
  const sites = [];
  for (let i = 1; i <= p.sites; i++) {
    const chosen = rng.shuffle([...rest]).slice(0, rng.range(p.profilesPerSite));
    chosen.sort((a, b) => rest.indexOf(a) - rest.indexOf(b));
    sites.push({ name: `SITE-${String(i).padStart(4, '0')}`, profiles: chosen, userpkgs: rng.chance(p.userpkgsShare) });
  }

  const desiredDir = path.join(out, 'repo/desired-state');
  mkdirSync(path.join(desiredDir, 'profiles'), { recursive: true });
  writeFileSync(path.join(desiredDir, 'sites.yaml'), sitesYaml(sites, catalogDir));
  for (const profile of profiles)
    writeFileSync(path.join(desiredDir, 'profiles', `${profile.name}.yaml`), profileYaml(profile));
  commitRepo(path.join(out, 'repo'));

  mkdirSync(path.join(out, 'observed'));
  mkdirSync(path.join(out, 'desired-names'));
  const expect = { install: 0, change: 0, remove: 0 };
  let installedLines = 0;
  let desiredPatterns = 0;
  let userLines = 0;
  let leftovers = 0;
  sites.forEach((site, i) => {
    // Each site has its own stream, so one site's shape does not depend on the others'.
    const s = makeSite(
      new Rng(p.seed ^ (0x9e3779b1 * (i + 1))),
      p,
      { ...site, profiles: [all, ...site.profiles] },
      bases,
      spareApps,
      pkgInstall,
    );
    writeFileSync(path.join(out, 'observed', `${site.name}.pkg_info`), s.lines.join('\n') + '\n');
    writeFileSync(path.join(out, 'observed', `${site.name}.pkg_info-u`), s.userLines.join('\n') + '\n');
    writeFileSync(path.join(out, 'desired-names', `${site.name}.txt`), s.desiredNames.join('\n') + '\n');
    for (const k of Object.keys(expect)) expect[k] += s.expect[k];
    installedLines += s.lines.length;
    userLines += s.userLines.length;
    leftovers += s.leftovers;
    desiredPatterns += [all, ...site.profiles].reduce((n, pr) => n + pr.entries.length, 0);
  });

  const info = {
    sites: p.sites,
    installedLines,
    userInstalledLines: userLines,
    leftoverAutomaticLines: leftovers,
    catalogPackages,
    profiles: profiles.length,
    desiredPatternsPerSite: Math.round(desiredPatterns / p.sites),
    expect,
  };
  writeFileSync(path.join(out, 'info.json'), JSON.stringify(info, null, 1) + '\n');
  return info;
}

/** Marks the fleet in `out` complete (call once it has been checked). */
export function writeStamp(out, params) {
  writeFileSync(path.join(out, 'stamp.json'), JSON.stringify(stampFor(params, out)) + '\n');
}

export function readFleetInfo(out) {
  return JSON.parse(readFileSync(path.join(out, 'info.json'), 'utf8'));
}

function commitRepo(dir) {
  const env = { ...process.env, GIT_AUTHOR_DATE: '2025-06-01T00:00:00Z', GIT_COMMITTER_DATE: '2025-06-01T00:00:00Z' };
  const git = (...args) =>
    execFileSync(
      'git',
      [
        '-c',
        'user.name=vo-reconcile bench',
        '-c',
        'user.email=bench@vo-reconcile.invalid',
        '-c',
        'commit.gpgsign=false',
        '-c',
        'init.defaultBranch=main',
        ...args,
      ],
      { cwd: dir, env, stdio: ['ignore', 'ignore', 'inherit'] },
    );
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', 'Synthetic desired state for the benchmark');
}
