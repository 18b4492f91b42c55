// serve's report cache. Every GET of /, /api/status and /metrics needs the
// fleet's status, and gathering it reads git, every site's observation and
// every catalog (over HTTP when pkg_path is a URL). StatusMemo keeps the last
// status and gives it again while nothing it was made from has changed: the
// desired-state commit, the catalogs (file stamps, or HTTP validators), and
// the state files (journal, observations, reports, holds, locks). It holds
// one status and one catalog per location, so it cannot grow with scrapes.
//
// As the plan cache's stat index does, a stamp counts only once it has been
// unchanged for a few seconds: a change within one timestamp tick would
// otherwise go unseen. While anything is that fresh, nothing is kept.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadCatalog } from '../catalog/load.js';
import type { Catalog } from '../catalog/catalog.js';
import { loadDesiredState, type LoadOptions } from '../desired/load.js';
import { CommitWatch } from '../desired/commit-watch.js';
import type { DesiredState } from '../desired/types.js';
import { observedFile } from '../observed/store.js';
import { reportsDir } from '../observed/report-history.js';
import { isSettled, stampNow, stampText } from '../plan-cache/file-stamp.js';
import { rolloutFile } from '../state/rollout-file.js';
import { PKG_SUMMARY_NAMES } from '../pkgsrc/pkg-summary.js';
import { FileState } from '../state/file-stores.js';
import { siteLockPaths } from '../state/site-lock.js';
import type { StateStore } from '../state/store.js';
import { gatherStatus, type CatalogSource, type GatheredStatus } from './gather-status.js';
import { listDir } from '../vuln/list-store.js';

/** How often serve asks a vulnerability list's location again (and so the longest a kept status lives with one). */
const LIST_REFRESH_S = 3600;

export class StatusMemo {
  private desired?: { commit: string; state: DesiredState };
  private last?: { key: string; gathered: GatheredStatus };
  private readonly catalogs = new Map<string, { stamp: string; catalog: Promise<Catalog> }>();
  private readonly head: CommitWatch;
  private readonly state: StateStore;
  /** How often a status was gathered rather than given again (for tests). */
  gathered = 0;

  constructor(
    private readonly load: LoadOptions,
    /** The state (a directory: the file state there). */
    state: StateStore | string,
    private readonly catalogOverride?: string,
    private readonly now: () => number = Date.now,
  ) {
    this.head = new CommitWatch(load, now);
    this.state = typeof state === 'string' ? new FileState(state) : state;
  }

  /** Observations, reports and list caches: per machine, whichever the store. */
  private get stateDir(): string {
    return this.state.localDir;
  }

  async status(): Promise<GatheredStatus> {
    const commit = await this.head.commit();
    const desired =
      commit !== undefined && this.desired?.commit === commit ? this.desired.state : await loadDesiredState(this.load);
    // HEAD may move between the two reads: keep only a state read at the commit named.
    const atCommit = commit !== undefined && desired.revision === commit;
    this.desired = atCommit ? { commit, state: desired } : undefined;
    const stamps = new Stamps(BigInt(Math.floor(this.now())) * 1_000_000n);
    const locations = [...new Set(desired.sites.map((s) => this.catalogOverride ?? s.pkg_path))];
    const catalogStamps = new Map<string, string | undefined>();
    for (const l of locations) catalogStamps.set(l, await catalogStamp(l, stamps));
    const key = atCommit ? await this.stateKey(desired, stamps) : undefined;
    const usable = key !== undefined && stamps.settled && [...catalogStamps.values()].every((s) => s !== undefined);
    const fullKey = usable ? `${commit}\n${key}\n${[...catalogStamps].join('\n')}` : undefined;
    if (fullKey !== undefined && this.last?.key === fullKey) {
      const { status } = this.last.gathered;
      return { ...this.last.gathered, status: { ...status, generatedAt: new Date(this.now()).toISOString() } };
    }
    this.gathered++;
    const gathered = await gatherStatus(
      desired,
      this.state,
      this.catalogOverride,
      this.catalogSource(catalogStamps),
      LIST_REFRESH_S,
    );
    this.last = fullKey === undefined ? undefined : { key: fullKey, gathered };
    return gathered;
  }

  /** Catalogs kept while their stamp stays the same; only the fleet's current locations are kept. */
  private catalogSource(stamps: ReadonlyMap<string, string | undefined>): CatalogSource {
    for (const l of this.catalogs.keys()) if (!stamps.has(l)) this.catalogs.delete(l);
    return {
      getOrError: (location) => {
        const stamp = stamps.get(location);
        let kept = this.catalogs.get(location);
        if (!kept || stamp === undefined || kept.stamp !== stamp) {
          kept = { stamp: stamp ?? '', catalog: loadCatalog(location) };
          if (stamp === undefined) this.catalogs.delete(location);
          else this.catalogs.set(location, kept);
          // A failed read is not kept: the next scrape tries again.
          kept.catalog.catch(() => this.catalogs.get(location) === kept && this.catalogs.delete(location));
        }
        return kept.catalog.catch((e: Error) => e);
      },
    };
  }

  /** What the state files are now, per site: observation, reports, lock holder; and the journal and holds. */
  private async stateKey(desired: DesiredState, stamps: Stamps): Promise<string | undefined> {
    // A database says itself what changed (journal, holds, lock holders); files are stamped.
    const stored = await this.state.changeStamp();
    const parts =
      stored !== undefined
        ? [stored]
        : [stamps.of(path.join(this.stateDir, 'journal.jsonl')), stamps.of(path.join(this.stateDir, 'holds'))];
    // The rollout's progress is a local file whichever the store; a soak ends with the clock, so a rollout's status lives a minute.
    const rollout = rolloutFile(this.stateDir);
    if (existsSync(rollout)) parts.push(stamps.of(rollout), String(Math.floor(this.now() / 60_000)));
    // A vulnerability list is asked again hourly, and its age moves on: a kept status lives at most that hour.
    const lists = new Set(desired.sites.flatMap((s) => (s.vulnerabilities ? [s.vulnerabilities.list] : [])));
    if (lists.size > 0) parts.push(String(Math.floor(this.now() / (LIST_REFRESH_S * 1000))));
    for (const l of lists) {
      const dir = listDir(this.stateDir, l);
      parts.push(stamps.of(path.join(dir, 'meta.json')), stamps.of(path.join(dir, 'pkg-vulnerabilities')));
      if (!/^https?:\/\//.test(l)) parts.push(stamps.of(l));
    }
    for (const s of desired.sites) {
      parts.push(stamps.of(observedFile(this.stateDir, s.name)), stamps.of(reportsDir(this.stateDir, s.name)));
      // Whether a lock is held also depends on the clock (a lease runs out), so a lock is read, not stamped.
      if (stored === undefined && existsSync(siteLockPaths(this.stateDir, s.name).lock)) {
        parts.push(JSON.stringify((await this.state.locks.holder(s.name)) ?? null));
      }
    }
    return parts.includes(undefined) ? undefined : parts.join('\n');
  }
}

/** Stamps of files as strings, noting whether every one has settled. */
class Stamps {
  settled = true;
  constructor(private readonly nowNs: bigint) {}

  of(file: string): string | undefined {
    const st = stampNow(file);
    if (st === undefined) return undefined;
    if (st === 'absent') return '-';
    if (!isSettled(st, this.nowNs)) this.settled = false;
    return stampText(st);
  }
}

/**
 * A catalog location's identity now: the stamps of the summary files a
 * directory may hold, or an HTTP summary's validators (ETag, Last-Modified).
 * Undefined when it cannot be told (a server without validators).
 */
async function catalogStamp(location: string, stamps: Stamps): Promise<string | undefined> {
  if (!/^https?:\/\//.test(location)) {
    const parts = PKG_SUMMARY_NAMES.map((n) => stamps.of(path.join(location, n)));
    return parts.includes(undefined) ? undefined : parts.join(' ');
  }
  for (const n of PKG_SUMMARY_NAMES) {
    const url = `${location.replace(/\/+$/, '')}/${n}`;
    const res = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
    if (!res) return undefined;
    if (res.status === 404) continue;
    const etag = res.headers.get('etag');
    const modified = res.headers.get('last-modified');
    if (!res.ok || (!etag && !modified)) return undefined;
    return `${url} ${etag ?? ''} ${modified ?? ''} ${res.headers.get('content-length') ?? ''}`;
  }
  return 'none';
}
