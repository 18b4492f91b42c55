// `npm run demo [DIR]`: a SIMULATED fleet to try the whole cycle on
// (apply → change → apply → rollback → history) without a grid or pkgsrc.
//
// What it makes, under DIR (default /tmp/vo-demo):
//  - packages/<platform>/All: real binary package files (gzip'd tar with
//    +CONTENTS) for every package of the example catalog, built for that
//    platform, with their pkg_summary.gz; and a bootstrap kit;
//  - sites/<site>: one software area per site of the example sites.yaml,
//    whose prefix holds the TEST EMULATOR of pkg_install (test/emulator),
//    not pkgsrc, with the packages the example observations list already
//    installed;
//  - DIR itself is a git repository whose desired-state/ is the example's,
//    with sites.yaml pointing at those areas through the local backend;
//    tagged v1 (the rest of DIR is ignored by git);
//  - DIR/reconcile: this clone's reconcile, so that inside DIR the default
//    --desired desired-state and --state state are the demo's.
// It is a test fixture made runnable, never part of the product.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { parseDocument, isMap, isSeq, type YAMLMap } from 'yaml';
import { parsePkgSummary, type SummaryEntry } from '../../src/pkgsrc/pkg-summary.js';
import {
  defaultFiles,
  installEmulator,
  makeBootstrapKit,
  makePackage,
  runTool,
  writeSummary,
  type PackageSpec,
} from '../emulator/index.js';

const MARK = '.vo-reconcile-demo';
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const example = path.join(repoRoot, 'desired-state');

interface ExampleSite {
  name: string;
  platform: string;
  /** The prefix relative to the site's software area. */
  prefixIn: string;
  node: YAMLMap;
}

/** A site's observed listing in the example: `pkgname  comment` lines, and the user-installed names. */
function observed(site: string): { listed: Map<string, string>; user: Set<string> } {
  const read = (suffix: string): string => {
    const f = path.join(example, 'examples', 'observed', `${site}.${suffix}`);
    return existsSync(f) ? readFileSync(f, 'utf8') : '';
  };
  const listed = new Map<string, string>();
  for (const line of read('pkg_info').split('\n')) {
    const m = /^(\S+)\s+(.*)$/.exec(line);
    if (m) listed.set(m[1]!, m[2]!);
  }
  const user = new Set(read('pkg_info-u').split(/\s+/).filter(Boolean));
  // Without a -u listing every package counts as one a person asked for.
  if (user.size === 0) for (const p of listed.keys()) user.add(p);
  return { listed, user };
}

const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
const baseOf = (pkgname: string): string => pkgname.slice(0, pkgname.lastIndexOf('-'));
const archOf = (platform: string): string => platform.split('-')[0]!;

/** What a simulated package holds: the usual files, and a stand-in for the interpreter the example's check runs. */
function spec(
  e: { pkgname: string; comment: string; depends: string[]; conflicts: string[] },
  arch: string,
): PackageSpec {
  const files = defaultFiles(e.pkgname);
  if (baseOf(e.pkgname) === 'python311')
    files['bin/python3.11'] =
      `#!/bin/sh\n# SIMULATED python3.11 of the vo-reconcile demo: every import succeeds.\nexit 0\n`;
  return {
    pkgname: e.pkgname,
    comment: e.comment,
    depends: e.depends,
    conflicts: e.conflicts,
    files,
    buildInfo: { MACHINE_ARCH: arch },
  };
}

function sitesOf(doc: ReturnType<typeof parseDocument>): ExampleSite[] {
  const sites = doc.get('sites');
  if (!isSeq(sites)) throw new Error(`${example}/sites.yaml: no sites list`);
  return sites.items.filter(isMap).map((node) => {
    const name = String(node.get('name'));
    const swArea = String(node.get('sw_area'));
    const prefix = node.get('prefix');
    return {
      name,
      platform: String(node.get('platform')),
      prefixIn: prefix === undefined ? 'pkg' : path.posix.relative(swArea, String(prefix)),
      node,
    };
  });
}

/** Install at a site exactly the versions its example observation lists, with their flags. */
function preinstall(dir: string, site: ExampleSite, prefix: string, catalog: SummaryEntry[]): number {
  const { listed, user } = observed(site.name);
  if (listed.size === 0) return 0;
  const arch = archOf(site.platform);
  const stage = path.join(dir, 'setup', site.name);
  mkdirSync(stage, { recursive: true });
  const byName = new Map(catalog.map((e) => [e.pkgname, e]));
  const listedBases = new Set([...listed.keys()].map(baseOf));
  for (const [pkgname, comment] of listed) {
    const entry = byName.get(pkgname) ?? { pkgname, comment, depends: [], conflicts: [] };
    makePackage(stage, spec(entry, arch));
  }
  // A dependency the listing lacks comes from the catalog, as it would have at the site.
  for (const e of catalog) if (!listedBases.has(baseOf(e.pkgname))) makePackage(stage, spec(e, arch));
  const order = [...listed.keys()].sort((a, b) => Number(user.has(b)) - Number(user.has(a)));
  for (const pkgname of order) {
    if (existsSync(path.join(prefix, 'pkgdb', pkgname))) continue;
    const args = user.has(pkgname) ? [pkgname] : ['-A', pkgname];
    const r = runTool(prefix, 'pkg_add', args, { PKG_PATH: stage });
    if (r.exit !== 0) throw new Error(`${site.name}: simulated pkg_add ${args.join(' ')} failed: ${r.stderr.trim()}`);
  }
  rmSync(stage, { recursive: true, force: true });
  return readdirSync(path.join(prefix, 'pkgdb')).filter((n) => !n.startsWith('.')).length;
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=vo-reconcile demo', '-c', 'user.email=demo@localhost', ...args], {
    cwd,
    encoding: 'utf8',
  }).trim();
}

function main(): void {
  // VO_DEMO_DIR lets the README's walk-through test run it in a temporary directory.
  const dir = path.resolve(process.argv[2] ?? process.env['VO_DEMO_DIR'] ?? '/tmp/vo-demo');
  if (!existsSync(path.join(repoRoot, 'dist', 'cli', 'main.js'))) {
    process.stderr.write(`demo: ${repoRoot}dist/ is missing: run 'npm ci' (or 'npm run build') first\n`);
    process.exit(2);
  }
  if (existsSync(dir) && readdirSync(dir).length > 0 && !existsSync(path.join(dir, MARK))) {
    process.stderr.write(
      `demo: ${dir} exists and was not made by 'npm run demo'; remove it or name another directory\n`,
    );
    process.exit(2);
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, MARK), 'made by npm run demo (vo-reconcile): SIMULATED sites; safe to delete\n');

  const catalogText = gunzipSync(readFileSync(path.join(example, 'examples', 'catalog', 'pkg_summary.gz'))).toString();
  const catalog = parsePkgSummary(catalogText, { file: 'desired-state/examples/catalog/pkg_summary.gz' });
  const doc = parseDocument(readFileSync(path.join(example, 'sites.yaml'), 'utf8'));
  const sites = sitesOf(doc);

  const pkgDirs = new Map<string, string>();
  for (const platform of new Set(sites.map((s) => s.platform))) {
    const all = path.join(dir, 'packages', platform, 'All');
    for (const e of catalog) makePackage(all, spec(e, archOf(platform)));
    writeSummary(all);
    pkgDirs.set(platform, all);
  }
  const kit = makeBootstrapKit(path.join(dir, 'packages', 'bootstrap.tar.gz'));

  const report: string[] = [];
  for (const site of sites) {
    const swArea = path.join(dir, 'sites', site.name);
    const prefix = path.join(swArea, site.prefixIn);
    const arch = archOf(site.platform);
    installEmulator(prefix, arch === 'x86_64' ? {} : { faults: { machineArch: arch } });
    const n = preinstall(dir, site, prefix, catalog);
    const { node } = site;
    for (const key of ['backend', 'endpoint', 'account']) node.delete(key);
    node.set('sw_area', swArea);
    node.set('prefix', prefix);
    node.set('pkg_path', pkgDirs.get(site.platform)!);
    if (node.has('bootstrap')) node.set('bootstrap', kit);
    report.push(`  ${site.name.padEnd(24)} ${site.platform.padEnd(12)} ${String(n).padStart(2)} packages installed`);
  }
  doc.commentBefore =
    ' SIMULATED fleet made by `npm run demo`: every site is a local software area\n' +
    ' whose pkg_install is the test emulator, not pkgsrc.\n' +
    (doc.commentBefore ?? '');

  mkdirSync(path.join(dir, 'desired-state'), { recursive: true });
  cpSync(path.join(example, 'profiles'), path.join(dir, 'desired-state', 'profiles'), { recursive: true });
  writeFileSync(path.join(dir, 'desired-state', 'sites.yaml'), doc.toString());
  writeFileSync(path.join(dir, '.gitignore'), `/*\n!/desired-state/\n!/.gitignore\n`);
  git(dir, 'init', '-q', '-b', 'main');
  // The README's walk-through commits here; a fresh machine may have no git identity.
  git(dir, 'config', 'user.name', 'vo-reconcile demo');
  git(dir, 'config', 'user.email', 'demo@localhost');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'The example desired state, pointed at the simulated sites');
  git(dir, 'tag', 'v1');
  const cli = path.join(repoRoot, 'dist', 'cli', 'main.js');
  writeFileSync(path.join(dir, 'reconcile'), `#!/bin/sh\nexec ${shq(process.execPath)} ${shq(cli)} "$@"\n`, {
    mode: 0o755,
  });

  process.stdout.write(
    [
      `Simulated fleet ready in ${dir}`,
      '  SIMULATED: each site runs the pkg_install test emulator (test/emulator), not pkgsrc.',
      ...report,
      `  desired state: ${path.join(dir, 'desired-state')} (a git repository, tagged v1)`,
      '',
      'Next (the README\'s "Try the whole cycle" goes on from here):',
      `  cd ${dir} && ./reconcile apply`,
      '',
    ].join('\n'),
  );
}

main();
