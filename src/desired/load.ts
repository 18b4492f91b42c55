// loadDesiredState: read desired-state/ at a git revision (or the work tree),
// validate every file, resolve profiles, and yield per site the packages it
// must have. Collects every problem before failing, and fails as a whole:
// invalid desired state must change nothing anywhere.
import path from 'node:path';
import { InputError, type Problem } from '../errors.js';
import { CheckResolver, readChecks, type CheckDecl } from './checks.js';
import { parseEntry } from './package-entry.js';
import { PROTOTYPE, ProfileResolver, type ProfileDoc } from './profiles.js';
import { checkSchema, type SchemaName } from './schema-check.js';
import { readNotifications, type NotifyConfig } from '../notify/config.js';
import { readRolloutPolicy, ROLLOUT_FILE } from './rollout-file.js';
import { readWindows, WINDOWS_FILE } from './windows-file.js';
import { readSites, type SiteRecord } from './sites.js';
import { openSource, type DesiredSource, type SourceOptions } from './source.js';
import { parseCacheIn, type ParseCache } from './parse-cache.js';
import type { DesiredCheck, DesiredState, ResolvedSite } from './types.js';
import { deferPackages, ResolveMemo, type ListInfo, type TreeBody } from './resolve-memo.js';
import { siteDigestWith, withoutPackages } from '../plan-cache/digest.js';
import { locate, parseYamlSource, type YamlSource } from './yaml-source.js';

export interface LoadOptions extends SourceOptions {
  /** Keep what each file parses to here (state/desired-cache), by the digest of its text. */
  cacheDir?: string;
  /** The source, already opened (openSource of these options). */
  source?: DesiredSource;
  /**
   * Keep what profiles resolve to (resolve-memo.ts); a list known there is
   * not resolved again unless `resolveAll`, and its sites' packages are
   * deferred. The result then carries every site's digest.
   */
  memo?: ResolveMemo;
  resolveAll?: boolean;
}

export interface LoadResult {
  state: DesiredState;
  /** True when reading HEAD while the work tree has uncommitted desired-state edits. */
  dirty: boolean;
  /** Write what the files parsed to into the cache (a no-op without one); call once the run accepted its inputs. */
  keepParsed(): Promise<void>;
  /** With a memo: per site of `state.sites`, its digest (siteDigest) and the key of its package list. */
  memoized?: { digests: string[]; lists: string[] };
}

export async function loadDesiredState(opts: LoadOptions): Promise<DesiredState> {
  return (await loadDesiredStateWithInfo(opts)).state;
}

export async function loadDesiredStateWithInfo(opts: LoadOptions): Promise<LoadResult> {
  const source = opts.source ?? (await openSource(opts));
  const problems: Problem[] = [];
  const display = (rel: string) => path.join(opts.dir, rel);
  const cache = opts.cacheDir ? parseCacheIn(opts.cacheDir) : undefined;
  const files: FileReader = { source, display, problems, cache, texts: new Map() };

  const [records, { docs, broken, checks }] = await Promise.all([
    readParsed(files, 'sites.yaml', 'sites', readSites).then((r) => r ?? []),
    readProfiles(files),
  ]);
  checkProfileRefs(records, docs, broken, problems);
  const rolloutText = await source.read(ROLLOUT_FILE);
  const rollout =
    rolloutText === undefined ? undefined : readRolloutPolicy(display(ROLLOUT_FILE), rolloutText, records, problems);
  const windowsText = await source.read(WINDOWS_FILE);
  const windows =
    windowsText === undefined ? undefined : readWindows(display(WINDOWS_FILE), windowsText, records, problems);
  const resolver = new ProfileResolver(docs, problems);
  const checkResolver = new CheckResolver(checks, resolver, PROTOTYPE, problems);
  const sites: ResolvedSite[] = [];
  const memo = opts.memo;
  const listKey = memo ? listKeys(files, docs, resolver) : undefined;
  const memoized = { digests: [] as string[], lists: [] as string[] };
  for (const r of records) {
    const filtered: ResolvedSite['filtered'] = [];
    const names = r.profiles.map((p) => p.name);
    const key = listKey?.(r.platform, names);
    let info: ListInfo | undefined = key && !opts.resolveAll ? memo!.list(key) : undefined;
    let packages: ResolvedSite['packages'] | undefined;
    if (info) filtered.push(...info.filtered);
    else {
      packages = resolver.resolveSite(names, r.platform, filtered);
      if (packages && key) info = memo!.recordList(key, packages, filtered);
    }
    const siteChecks = checkResolver.resolveSite(names);
    if (siteChecks) checkTimeBudget(r, siteChecks, problems);
    if (!(packages || info) || !siteChecks) continue;
    const site = toResolved(r, packages ?? [], siteChecks, filtered);
    if (!packages) deferPackages(site);
    sites.push(site);
    if (info && key) {
      memoized.digests.push(siteDigestWith(site, info.digest));
      memoized.lists.push(key);
    }
  }
  const notifications = await readNotificationsFile(files, sites);
  if (problems.length > 0) throw new InputError(sortProblems(problems));
  const state: DesiredState = { revision: source.revision, dir: opts.dir, sites, profiles: [...docs.keys()].sort() };
  if (notifications) state.notifications = notifications;
  if (source.commit) state.commit = source.commit;
  if (rollout) state.rollout = rollout;
  if (windows) state.windows = windows;
  if (memo && source.tree) {
    const entries: TreeBody['sites'] = sites.map((s, i) => ({
      site: withoutPackages(s),
      digest: memoized.digests[i]!,
      list: memoized.lists[i]!,
    }));
    memo.recordTree(ResolveMemo.treeKey(source.tree, opts.dir), state, entries);
  }
  return {
    state,
    dirty: source.dirty ?? false,
    keepParsed: async () => {
      await cache?.keep();
      await memo?.keep();
    },
    ...(memo ? { memoized } : {}),
  };
}

/**
 * A list's key from the texts of the profiles it may be made of (those it
 * names, their ancestors, ALL), worked out once per platform and profiles.
 */
function listKeys(
  files: FileReader,
  docs: Map<string, ProfileDoc>,
  resolver: ProfileResolver,
): (platform: string, names: string[]) => string {
  const all = [...docs.keys()].sort();
  const known = new Map<string, string>();
  return (platform, names) => {
    const id = `${platform}\0${names.join('\0')}`;
    let key = known.get(id);
    if (key === undefined) {
      const from = new Set<string>(docs.has(PROTOTYPE) ? [PROTOTYPE] : []);
      for (const n of names) {
        if (!docs.has(n)) continue;
        from.add(n);
        for (const a of resolver.ancestors(n)) from.add(a);
      }
      const texts = [...from].sort().map((n): [string, string] => {
        const rel = `profiles/${n}.yaml`;
        return [files.display(rel), files.texts.get(rel) ?? ''];
      });
      key = ResolveMemo.listKey(platform, names, texts, all);
      known.set(id, key);
    }
    return key;
  };
}

/** The optional notifications.yaml (webhook receivers); undefined when absent or invalid (reported). */
async function readNotificationsFile(files: FileReader, sites: ResolvedSite[]): Promise<NotifyConfig | undefined> {
  const text = await files.source.read('notifications.yaml');
  if (text === undefined) return undefined;
  const src = parseChecked(files.display('notifications.yaml'), text, 'notifications', files.problems);
  return src ? readNotifications(src, files.problems, sites) : undefined;
}

interface FileReader {
  source: DesiredSource;
  display: (rel: string) => string;
  problems: Problem[];
  cache: ParseCache | undefined;
  /** The text of every file read, by its path in desired-state/. */
  texts: Map<string, string>;
}

/**
 * A file parsed, checked against its schema and read by `extract`; undefined
 * when it is missing or not valid YAML of its schema (the problems are
 * reported). A file that gave no problem at all is answered from the cache
 * next time.
 */
async function readParsed<T>(
  files: FileReader,
  rel: string,
  schema: 'sites' | 'profile',
  extract: (src: YamlSource, problems: Problem[]) => T,
): Promise<T | undefined> {
  const { source, cache } = files;
  const file = files.display(rel);
  const text = await source.read(rel);
  if (text === undefined) {
    const where = source.revision === 'worktree' ? 'in the work tree' : `at commit ${source.revision.slice(0, 12)}`;
    files.problems.push({
      location: { file },
      message: `file not found ${where}; expected ${rel === 'sites.yaml' ? 'the list of sites' : 'a profile'}`,
    });
    return undefined;
  }
  files.texts.set(rel, text);
  const hit = (await cache?.get(schema, file, text)) as T | undefined;
  if (hit !== undefined) return hit;
  const problems: Problem[] = [];
  const src = parseChecked(file, text, schema, problems);
  const value = src ? extract(src, problems) : undefined;
  files.problems.push(...problems);
  if (value !== undefined && problems.length === 0) cache?.set(schema, file, text, value);
  return value;
}

function parseChecked(file: string, text: string, schema: SchemaName, problems: Problem[]): YamlSource | undefined {
  const parsed = parseYamlSource(file, text);
  if (!parsed.ok) {
    problems.push(...parsed.problems);
    return undefined;
  }
  const schemaProblems = checkSchema(schema, parsed.source);
  problems.push(...schemaProblems);
  return schemaProblems.length === 0 ? parsed.source : undefined;
}

/** Profiles that parsed, and the names of those that exist but did not (already reported). */
async function readProfiles(
  files: FileReader,
): Promise<{ docs: Map<string, ProfileDoc>; broken: Set<string>; checks: Map<string, CheckDecl[]> }> {
  const names = await files.source.list('profiles');
  const docs = new Map<string, ProfileDoc>();
  const checks = new Map<string, CheckDecl[]>();
  const broken = new Set<string>();
  const loaded = await Promise.all(
    names.map(async (fileName) => {
      const rel = `profiles/${fileName}`;
      if (!fileName.endsWith('.yaml')) {
        if (fileName.endsWith('.yml'))
          files.problems.push({
            location: { file: files.display(rel) },
            message: 'profile files must end in .yaml; rename it',
          });
        return undefined;
      }
      const name = fileName.slice(0, -'.yaml'.length);
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) {
        files.problems.push({
          location: { file: files.display(rel) },
          message: `'${name}' is not a valid profile name; expected letters, digits, '.', '_' or '-'`,
        });
        return undefined;
      }
      const read = await readParsed(files, rel, 'profile', (src, problems) => ({
        doc: toProfileDoc(name, src, problems),
        checks: readChecks(src, name, problems),
      }));
      if (!read) broken.add(name);
      return read;
    }),
  );
  for (const d of loaded) {
    if (!d) continue;
    docs.set(d.doc.name, d.doc);
    checks.set(d.doc.name, d.checks);
  }
  return { docs, broken, checks };
}

function toProfileDoc(name: string, src: YamlSource, problems: Problem[]): ProfileDoc {
  const value = src.value as {
    extends?: string[];
    packages?: unknown[];
    vulnerabilities?: { policy?: 'warn' | 'refuse'; fix_vulnerable?: boolean };
  };
  const doc: ProfileDoc = { name, file: src.file, extends: [], decls: [] };
  const v = value.vulnerabilities;
  // Only what is stricter than a site can be is kept: warn and false are every site's default.
  if (v?.policy === 'refuse' || v?.fix_vulnerable === true)
    doc.vuln = { ...(v.policy === 'refuse' ? { refuse: true } : {}), ...(v.fix_vulnerable ? { fix: true } : {}) };
  (value.extends ?? []).forEach((parent, i) => {
    const location = locate(src, ['extends', i]);
    if (parent === PROTOTYPE) {
      problems.push({ location, message: `profiles extend ${PROTOTYPE} implicitly; remove it from extends` });
      return;
    }
    doc.extends.push({ name: parent, location });
  });
  (value.packages ?? []).forEach((raw, i) => {
    const location = locate(src, ['packages', i]);
    const r = parseEntry(raw);
    if (r.ok) doc.decls.push({ entry: r.entry, location });
    else problems.push({ location, message: r.message });
  });
  return doc;
}

function checkProfileRefs(
  records: SiteRecord[],
  docs: Map<string, ProfileDoc>,
  broken: Set<string>,
  problems: Problem[],
): void {
  const known = () => [...docs.keys()].sort().join(', ') || 'none';
  const seen = new Set<string>();
  for (const r of records) {
    for (const p of r.profiles) {
      const key = `${p.location.line}:${p.location.column}`;
      if (!docs.has(p.name) && !broken.has(p.name) && !seen.has(key)) {
        seen.add(key);
        problems.push({
          location: p.location,
          message: `unknown profile '${p.name}' for site '${r.name}'; expected one of profiles/*.yaml: ${known()}`,
        });
      }
    }
  }
  for (const d of docs.values()) {
    for (const e of d.extends) {
      if (!docs.has(e.name) && !broken.has(e.name))
        problems.push({
          location: e.location,
          message: `profile '${d.name}' extends unknown profile '${e.name}'; expected one of: ${known()}`,
        });
    }
  }
}

function toResolved(
  r: SiteRecord,
  packages: ResolvedSite['packages'],
  checks: ResolvedSite['checks'],
  filtered: ResolvedSite['filtered'],
): ResolvedSite {
  const { profiles, location, ...rest } = r;
  return { ...rest, profiles: profiles.map((p) => p.name), packages, checks, filtered, source: location };
}

/** Checks that may outlast the job would have it cancelled rather than fail with a reason. */
function checkTimeBudget(r: SiteRecord, checks: DesiredCheck[], problems: Problem[]): void {
  const total = checks.reduce((sum, c) => sum + c.timeout, 0);
  if (total < r.job_time_limit) return;
  problems.push({
    location: r.location,
    message: `the checks of site '${r.name}' may take ${total}s together (${checks.map((c) => `${c.name} ${c.timeout}s`).join(', ')}), not less than its job_time_limit of ${r.job_time_limit}s; lower their timeouts or raise job_time_limit`,
  });
}

function sortProblems(problems: Problem[]): Problem[] {
  return [...problems].sort(
    (a, b) =>
      a.location.file.localeCompare(b.location.file) ||
      (a.location.line ?? 0) - (b.location.line ?? 0) ||
      (a.location.column ?? 0) - (b.location.column ?? 0),
  );
}
