// The controller's per-site lock in state/locks/: one job at a time per
// site across processes (and machines sharing state/ over NFS: mkdir, not
// flock). proper-lockfile keeps the lock fresh while we hold it and treats
// one not refreshed within the lease as stale; the owner file beside it says
// who holds it, for "busy" in reports and waiting messages.
import { mkdir, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { replaceFile } from './replace-file.js';
import { siteStateFile } from './site-paths.js';

export interface LockOwner {
  controller: string;
  pid: number;
  txid?: string;
  command: string;
  since: string;
}

/**
 * A holder that stops refreshing its lock for this long is presumed dead
 * (a killed controller). RECONCILE_LOCK_LEASE_MS shortens it for tests.
 */
export const LOCK_LEASE_MS = Math.max(2000, Number(process.env.RECONCILE_LOCK_LEASE_MS) || 20_000);

export function controllerId(): string {
  return `${hostname()}:${process.pid}`;
}

/** The lock's files under state/locks/ (a name that could leave it is refused). */
export function siteLockPaths(stateDir: string, site: string) {
  const base = siteStateFile(stateDir, 'locks', site, '');
  return { target: base, lock: `${base}.lock`, owner: `${base}.owner.json` };
}

/** Releases the lock; `lost()` says whether another controller took it from us meanwhile. */
export type Release = (() => Promise<void>) & { lost(): boolean };

/** Try once; undefined when another controller holds the site. */
export async function tryLockSite(stateDir: string, site: string, owner: Omit<LockOwner, 'controller' | 'pid' | 'since'>): Promise<Release | undefined> {
  const p = siteLockPaths(stateDir, site);
  await mkdir(path.dirname(p.target), { recursive: true });
  let release: () => Promise<void>;
  let compromised = false;
  try {
    release = await lockfile.lock(p.target, {
      realpath: false,
      lockfilePath: p.lock,
      stale: LOCK_LEASE_MS,
      retries: 0,
      onCompromised: (err) => {
        // Someone broke our lock (we failed to refresh it in time): no new job may start under it.
        compromised = true;
        process.stderr.write(`reconcile: lost the lock of site ${site}: ${err.message}; no further job is submitted there\n`);
      },
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOCKED') return undefined;
    throw e;
  }
  const full: LockOwner = { ...owner, controller: controllerId(), pid: process.pid, since: new Date().toISOString() };
  // Not fsynced: it only names the holder for reports; after a crash the lock is stale whatever it says.
  await replaceFile(p.owner, `${JSON.stringify(full)}\n`, { durable: false });
  const done = async () => {
    // A lock taken from us is not ours to remove, nor is its owner file.
    if (compromised) return;
    await rm(p.owner, { force: true });
    await release().catch(() => undefined);
  };
  return Object.assign(done, { lost: () => compromised });
}

/** Wait for the site's lock, calling onBusy with the holder while waiting. */
export async function lockSite(
  stateDir: string,
  site: string,
  owner: Omit<LockOwner, 'controller' | 'pid' | 'since'>,
  opts: { timeoutMs: number; onBusy?: (holder: LockOwner | undefined) => void; pollMs?: number },
): Promise<Release | undefined> {
  const deadline = Date.now() + opts.timeoutMs;
  let told = false;
  for (;;) {
    const release = await tryLockSite(stateDir, site, owner);
    if (release) return release;
    if (!told) {
      opts.onBusy?.(await readSiteLock(stateDir, site));
      told = true;
    }
    if (Date.now() >= deadline) return undefined;
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 250));
  }
}

/** Who holds a site's lock, if anyone does (for reports). */
export async function readSiteLock(stateDir: string, site: string): Promise<LockOwner | undefined> {
  const p = siteLockPaths(stateDir, site);
  const locked = await lockfile.check(p.target, { realpath: false, lockfilePath: p.lock, stale: LOCK_LEASE_MS }).catch(() => false);
  if (!locked) return undefined;
  const text = await readFile(p.owner, 'utf8').catch(() => undefined);
  try {
    return text ? (JSON.parse(text) as LockOwner) : undefined;
  } catch {
    return undefined;
  }
}
