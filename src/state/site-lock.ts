// The controller's per-site lock in state/locks/: one job at a time per
// site across processes (and machines sharing state/ over NFS: an atomic
// symlink, not flock). The lease is the controller's, not each lock's: a
// lock is a symlink <site>.lock -> .leases/<controller>, and the controller
// keeps that one lease file fresh (one utimes every half lease, whatever the
// number of sites it holds: refreshing 2,000 lock directories one by one
// was ~40 ms of a grid run's CPU every 3 s). A lock whose lease is older than
// LOCK_LEASE_MS (its controller died or stalled) is stale and may be broken;
// every lock a dead controller held goes stale at once. stat() follows the
// link, so readers that judge a lock by its mtime (earlier versions, which
// refreshed a lock directory) see a live lease as a live lock. The owner
// file beside it says who holds it, for "busy" in reports and waiting messages.
import { readlinkSync } from 'node:fs';
import { mkdir, readFile, readlink, rm, stat, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
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
export async function tryLockSite(
  stateDir: string,
  site: string,
  owner: Omit<LockOwner, 'controller' | 'pid' | 'since'>,
): Promise<Release | undefined> {
  const p = siteLockPaths(stateDir, site);
  const locks = path.dirname(p.target);
  const lease = await leaseOf(locks);
  if (!(await take(p.lock, lease.link))) return undefined;
  const held = { lock: p.lock, compromised: false };
  lease.held.add(held);
  const full: LockOwner = { ...owner, controller: controllerId(), pid: process.pid, since: new Date().toISOString() };
  // Not fsynced: it only names the holder for reports; after a crash the lock is stale whatever it says.
  await replaceFile(p.owner, `${JSON.stringify(full)}\n`, { durable: false });
  const lost = () => held.compromised || !pointsTo(p.lock, lease.link);
  const done = async () => {
    lease.held.delete(held);
    // A lock taken from us is not ours to remove, nor is its owner file.
    if (lost()) return;
    await rm(p.owner, { force: true });
    await unlink(p.lock).catch(() => undefined);
  };
  return Object.assign(done, {
    lost: () => {
      const l = lost();
      if (l && !held.compromised) {
        held.compromised = true;
        process.stderr.write(
          `reconcile: lost the lock of site ${site}: another controller took it; no further job is submitted there\n`,
        );
      }
      return l;
    },
  });
}

/** Make the link, or break a stale lock and make it then; false: another controller holds a live one. */
async function take(lock: string, link: string): Promise<boolean> {
  for (let tries = 0; tries < 2; tries++) {
    try {
      await symlink(link, lock);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (await isLive(lock)) return false;
    // Stale: a link (or an earlier version's lock directory) whose lease ran out.
    await rm(lock, { recursive: true, force: true });
  }
  return false;
}

/** A lock is live while what it stands for (its lease, or an old-style directory) was touched within the lease. */
async function isLive(lock: string): Promise<boolean> {
  const st = await stat(lock).catch(() => undefined);
  return st !== undefined && Date.now() - st.mtimeMs < LOCK_LEASE_MS;
}

/** Whether the lock still links to our lease (read synchronously: asked just before a submission). */
function pointsTo(lock: string, link: string): boolean {
  try {
    return readlinkSync(lock) === link;
  } catch {
    return false;
  }
}

interface Lease {
  /** The link a lock of ours holds, relative to locks/ (a share mounted elsewhere resolves it too). */
  link: string;
  file: string;
  held: Set<{ lock: string; compromised: boolean }>;
  timer?: NodeJS.Timeout;
  lastBeat: number;
}

/** This controller's lease, per locks/ directory. */
const leases = new Map<string, Lease>();

async function leaseOf(locks: string): Promise<Lease> {
  let lease = leases.get(locks);
  if (!lease) {
    const name = controllerId().replace(/[^A-Za-z0-9._-]/g, '_');
    lease = { link: path.join('.leases', name), file: path.join(locks, '.leases', name), held: new Set(), lastBeat: 0 };
    leases.set(locks, lease);
  }
  if (Date.now() - lease.lastBeat > LOCK_LEASE_MS / 4) await beat(lease);
  if (!lease.timer) {
    const l = lease;
    l.timer = setInterval(() => void tick(l), LOCK_LEASE_MS / 2);
    l.timer.unref();
  }
  return lease;
}

async function beat(lease: Lease): Promise<void> {
  const now = new Date();
  try {
    await utimes(lease.file, now, now);
  } catch {
    await mkdir(path.dirname(lease.file), { recursive: true });
    await writeFile(lease.file, `${controllerId()}\n`);
  }
  lease.lastBeat = now.getTime();
}

/**
 * Keep the lease fresh. A beat that comes later than the lease (the process
 * stalled) may find locks broken by others meanwhile: each held lock is
 * checked then, and one that no longer links to us is lost.
 */
async function tick(lease: Lease): Promise<void> {
  if (lease.held.size === 0) {
    clearInterval(lease.timer);
    lease.timer = undefined;
    return;
  }
  const late = Date.now() - lease.lastBeat >= LOCK_LEASE_MS;
  await beat(lease).catch(() => undefined);
  if (!late) return;
  for (const h of lease.held)
    if ((await readlink(h.lock).catch(() => undefined)) !== lease.link) {
      h.compromised = true;
      process.stderr.write(
        `reconcile: lost the lock ${h.lock}: this controller stalled past its lease and another took it; no further job is submitted there\n`,
      );
    }
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
  if (!(await isLive(p.lock))) return undefined;
  const text = await readFile(p.owner, 'utf8').catch(() => undefined);
  try {
    return text ? (JSON.parse(text) as LockOwner) : undefined;
  } catch {
    return undefined;
  }
}
