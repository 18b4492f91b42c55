// The verified vulnerability list of a run, kept in state/vulnerabilities/:
// one directory per configured location holding the last copy that passed
// the check (decompressed, so a job can hand it to pkg_admin as it is) and
// meta.json (when it was fetched, the HTTP validators, its age, the last
// refusal). A run asks the location at most once (ListCache), with
// If-None-Match / If-Modified-Since; a copy that fails the check is refused
// with one line and the previous good one stays in use; an unreachable
// location leaves the previous one in use too, and says so.
import { createHash } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { readChecked, writeChecked } from '../plan-cache/checked-file.js';
import { decodePkgSummaryBytes } from '../pkgsrc/pkg-summary.js';
import { fetchFailureCause } from '../util/fetch-cause.js';
import { checkVulnerabilityList, type ListCheck, type ListProblem, type VulnEntry } from './list-file.js';

/** What meta.json records of the copy in use. */
export interface ListMeta {
  location: string;
  sha256: string;
  /** When these bytes were first obtained. */
  fetchedAt: string;
  /** When the location was last asked (a 304 or the same bytes count). */
  checkedAt: string;
  /** The source's own modification time (Last-Modified, or the file's mtime), when known. */
  modifiedAt?: string;
  etag?: string;
  lastModified?: string;
  entries: number;
  rcsId?: string;
  verified: string[];
  /** The newest copy that failed the check, kept until a good one arrives. */
  refused?: { at: string; sha256: string; line: string };
}

/** The list a run audits against, and what it knows about its freshness. */
export interface ListState {
  location: string;
  /** The verified copy in use; absent when no copy ever passed the check. */
  current?: { file: string; meta: ListMeta; entries: VulnEntry[]; warnings: ListProblem[] };
  /** One line: why the newest copy was refused (the previous one, if any, stays in use). */
  refused?: string;
  /** One line: why the location could not be read this run. */
  unreachable?: string;
  /** Days since the list was made (modifiedAt, else fetchedAt). */
  ageDays?: number;
  maxAgeDays: number;
  stale: boolean;
}

/** The directory of a location's copy under state/. */
export function listDir(stateDir: string, location: string): string {
  return path.join(stateDir, 'vulnerabilities', createHash('sha256').update(location).digest('hex').slice(0, 16));
}

const LIST_FILE = 'pkg-vulnerabilities';
const MAX_BYTES = 64 * 1024 * 1024;

/** One answer per location per run: a thousand sites sharing a list share one fetch. */
export class ListCache {
  private readonly loads = new Map<string, Promise<ListState>>();
  fetches = 0;
  constructor(
    private readonly stateDir: string,
    /** refresh: ask the location (true), never (false), or only when last asked more than N seconds ago. */
    private readonly opts: { refresh: boolean | number; now?: () => Date } = { refresh: true },
  ) {}

  get(location: string, maxAgeDays: number): Promise<ListState> {
    let p = this.loads.get(location);
    if (!p) {
      if (this.opts.refresh !== false) this.fetches++;
      p = obtainList(this.stateDir, location, { refresh: this.opts.refresh, now: this.opts.now?.() ?? new Date() });
      this.loads.set(location, p);
    }
    return p.then((s) => withAge(s, maxAgeDays, this.opts.now?.() ?? new Date()));
  }
}

function withAge(s: ListState, maxAgeDays: number, now: Date): ListState {
  const m = s.current?.meta;
  if (!m) return { ...s, maxAgeDays, stale: false };
  const since = Date.parse(m.modifiedAt ?? m.fetchedAt);
  const ageDays = Math.max(0, (now.getTime() - since) / 86_400_000);
  return { ...s, ageDays, maxAgeDays, stale: ageDays > maxAgeDays };
}

type Got =
  | { kind: 'bytes'; bytes: Buffer; modifiedAt?: string; etag?: string; lastModified?: string }
  | { kind: 'unchanged' }
  | { kind: 'error'; message: string };

/** The copy in use after asking the location (when `refresh`) and checking what it gave. */
export async function obtainList(
  stateDir: string,
  location: string,
  opts: { refresh: boolean | number; now: Date },
): Promise<ListState> {
  const dir = listDir(stateDir, location);
  let meta = await readMeta(dir);
  const current = meta ? await readCurrent(dir, meta) : undefined;
  if (!current) meta = undefined;
  const base: ListState = { location, maxAgeDays: 0, stale: false };
  const recent =
    typeof opts.refresh === 'number' &&
    meta !== undefined &&
    opts.now.getTime() - Date.parse(meta.checkedAt) < opts.refresh * 1000;
  if (opts.refresh === false || recent) return finish(base, current, meta);

  const now = opts.now.toISOString();
  const got = await getList(location, meta);
  if (got.kind === 'error') return finish({ ...base, unreachable: `${location}: ${got.message}` }, current, meta);
  if (got.kind === 'unchanged') {
    meta = { ...meta!, checkedAt: now };
    await writeMeta(dir, meta);
    return finish(base, current, meta);
  }
  let text: Buffer;
  try {
    text = await decodePkgSummaryBytes(got.bytes, location);
  } catch (e) {
    return refuse(
      dir,
      base,
      current,
      meta,
      got.bytes,
      `${location}: ${(e as Error).message.replace(/^.*?: /, '')}`,
      now,
    );
  }
  const sha256 = createHash('sha256').update(text).digest('hex');
  // The same bytes as the copy in use, which passed the check when read above: the verdict stands.
  const check: ListCheck =
    current && meta?.sha256 === sha256
      ? {
          ok: true,
          entries: current.entries,
          verified: meta.verified,
          warnings: current.warnings,
          ...(meta.rcsId ? { rcsId: meta.rcsId } : {}),
        }
      : checkVulnerabilityList(text);
  if (!check.ok)
    return refuse(dir, base, current, meta, text, `${location}:${check.error.line}: ${check.error.message}`, now);
  const same = meta?.sha256 === sha256;
  const next: ListMeta = {
    location,
    sha256,
    fetchedAt: same ? meta!.fetchedAt : now,
    checkedAt: now,
    ...(got.modifiedAt
      ? { modifiedAt: got.modifiedAt }
      : same && meta?.modifiedAt
        ? { modifiedAt: meta.modifiedAt }
        : {}),
    ...(got.etag ? { etag: got.etag } : {}),
    ...(got.lastModified ? { lastModified: got.lastModified } : {}),
    entries: check.entries.length,
    ...(check.rcsId ? { rcsId: check.rcsId } : {}),
    verified: check.verified,
  };
  await mkdir(dir, { recursive: true });
  if (!same) {
    await writeFileAtomic(path.join(dir, LIST_FILE), text, { fsync: true });
    await writeParsed(dir, sha256, check);
  }
  await writeMeta(dir, next);
  return finish(
    base,
    { file: path.join(dir, LIST_FILE), meta: next, entries: check.entries, warnings: check.warnings },
    next,
  );
}

function finish(base: ListState, current: ListState['current'], meta: ListMeta | undefined): ListState {
  const refused = meta?.refused?.line;
  return { ...base, ...(current ? { current } : {}), ...(refused && !base.refused ? { refused } : {}) };
}

async function refuse(
  dir: string,
  base: ListState,
  current: ListState['current'],
  meta: ListMeta | undefined,
  bytes: Buffer,
  why: string,
  now: string,
): Promise<ListState> {
  const line = `${why}; refused, ${current ? `still using the copy verified ${current.meta.fetchedAt}` : 'no verified copy yet: sites are not audited'}`;
  if (meta) await writeMeta(dir, { ...meta, refused: { at: now, sha256: sha(bytes), line } });
  return { ...base, refused: line, ...(current ? { current } : {}) };
}

function sha(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

async function getList(location: string, meta: ListMeta | undefined): Promise<Got> {
  if (/^https?:\/\//.test(location)) return fetchList(location, meta);
  try {
    const [bytes, st] = await Promise.all([readFile(location), stat(location)]);
    return { kind: 'bytes', bytes, modifiedAt: st.mtime.toISOString() };
  } catch (e) {
    return { kind: 'error', message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  }
}

async function fetchList(url: string, meta: ListMeta | undefined): Promise<Got> {
  const headers: Record<string, string> = {};
  if (meta?.etag) headers['if-none-match'] = meta.etag;
  if (meta?.lastModified) headers['if-modified-since'] = meta.lastModified;
  let res: Response;
  try {
    res = await fetch(url, { headers, signal: AbortSignal.timeout(60_000) });
  } catch (e) {
    return { kind: 'error', message: `cannot fetch: ${fetchFailureCause(e)}` };
  }
  if (res.status === 304 && meta) return { kind: 'unchanged' };
  if (res.status !== 200) {
    await res.body?.cancel();
    return { kind: 'error', message: `cannot fetch: HTTP ${res.status} ${res.statusText}` };
  }
  const bytes = Buffer.from(await res.arrayBuffer());
  if (bytes.length > MAX_BYTES) return { kind: 'error', message: `larger than ${MAX_BYTES} bytes` };
  const lastModified = res.headers.get('last-modified') ?? undefined;
  const etag = res.headers.get('etag') ?? undefined;
  const modified = lastModified ? new Date(lastModified) : undefined;
  return {
    kind: 'bytes',
    bytes,
    ...(modified && !Number.isNaN(modified.getTime()) ? { modifiedAt: modified.toISOString() } : {}),
    ...(etag ? { etag } : {}),
    ...(lastModified ? { lastModified } : {}),
  };
}

async function readMeta(dir: string): Promise<ListMeta | undefined> {
  try {
    return JSON.parse(await readFile(path.join(dir, 'meta.json'), 'utf8')) as ListMeta;
  } catch {
    return undefined;
  }
}

async function writeMeta(dir: string, meta: ListMeta): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(path.join(dir, 'meta.json'), `${JSON.stringify(meta, null, 1)}\n`, { fsync: true });
}

/** The stored copy, checked again (state/ can be damaged too); undefined when it no longer passes. */
async function readCurrent(dir: string, meta: ListMeta): Promise<ListState['current']> {
  const file = path.join(dir, LIST_FILE);
  const text = await readFile(file).catch(() => undefined);
  // Other bytes than meta.json describes are not the copy it vouches for.
  if (!text || sha(text) !== meta.sha256) return undefined;
  const parsed = await readParsed(dir, meta.sha256);
  if (parsed) return { file, meta, ...parsed };
  const check = checkVulnerabilityList(text);
  if (!check.ok) return undefined;
  await writeParsed(dir, meta.sha256, check);
  return { file, meta, entries: check.entries, warnings: check.warnings };
}

// What the check of a copy gave, kept beside it: a cron run that finds the
// same bytes (their SHA-256) reads it back instead of parsing the list again.
const PARSED_FILE = 'entries.json';
const PARSED_FORMAT = 'vo-reconcile-vuln-entries/1';

type Parsed = { entries: VulnEntry[]; warnings: ListProblem[] };

async function readParsed(dir: string, listSha256: string): Promise<Parsed | undefined> {
  const got = await readChecked(path.join(dir, PARSED_FILE), PARSED_FORMAT);
  if (!got || got.header.list !== listSha256) return undefined;
  try {
    return JSON.parse(got.body) as Parsed;
  } catch {
    return undefined;
  }
}

/** Best effort: without it the next run checks the copy again. */
async function writeParsed(dir: string, listSha256: string, check: Parsed): Promise<void> {
  const body = JSON.stringify({ entries: check.entries, warnings: check.warnings });
  await writeChecked(path.join(dir, PARSED_FILE), PARSED_FORMAT, body, { list: listSha256 }).catch(() => undefined);
}
