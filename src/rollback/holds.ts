// Holds: a site rolled back to a tag is left alone by apply, scheduled and
// push-triggered runs until the desired state at HEAD equals what it was
// rolled back to, or `reconcile release <site>` lifts the hold. A manual
// hold (`reconcile hold <site> --reason …`, like `flux suspend`) is lifted
// only by `reconcile release`.
import { readFile, readdir, rm, mkdir } from 'node:fs/promises';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { InputError } from '../errors.js';
import { siteStateFile } from '../state/site-paths.js';

export type Hold = RollbackHold | ManualHold;

export interface RollbackHold {
  /** Absent in holds written before manual holds existed. */
  kind?: 'rollback';
  site: string;
  tag: string;
  commit: string;
  txid: string;
  at: string;
  /** The site's resolved desired packages at the tag's commit, as compared with HEAD's. */
  desired: string;
}

export interface ManualHold {
  kind: 'manual';
  site: string;
  at: string;
  /** Why, in the words of whoever held it. */
  reason: string;
  /** The user who held it, when known. */
  by?: string;
}

export const isManual = (h: Hold): h is ManualHold => h.kind === 'manual';

/** "held since …" for plan, history and apply's output: one wording for both kinds. */
export function describeHold(h: Hold): string {
  return isManual(h)
    ? `held by hand since ${h.at}${h.by ? ` by ${h.by}` : ''}: ${h.reason}`
    : `held since the rollback to ${h.tag} (${h.txid}, ${h.at})`;
}

/**
 * Hold a site after its rollback, unless it is held by hand: a manual hold
 * (set while the rollback's job ran, say) is lifted only by `reconcile
 * release`, never replaced. True when the site is held.
 */
export async function holdAfterRollback(
  holds: { read(site: string): Promise<Hold | undefined>; write(hold: Hold): Promise<boolean> },
  hold: RollbackHold,
): Promise<boolean> {
  const current = await holds.read(hold.site);
  return current && isManual(current) ? true : holds.write(hold);
}

export function holdFile(stateDir: string, site: string): string {
  return siteStateFile(stateDir, 'holds', site, '.json');
}

export async function writeHold(stateDir: string, hold: Hold): Promise<void> {
  const file = holdFile(stateDir, hold.site);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, `${JSON.stringify(hold, null, 1)}\n`);
}

export async function readHold(stateDir: string, site: string): Promise<Hold | undefined> {
  const file = holdFile(stateDir, site);
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw new InputError({
      location: { file },
      message: `cannot read the hold: ${e.message} (is --state a directory?)`,
    });
  });
  if (text === undefined) return undefined;
  try {
    const hold = JSON.parse(text) as Hold;
    const wellFormed = isManual(hold) ? typeof hold.reason === 'string' : typeof hold.tag === 'string';
    if (hold.site !== site || !wellFormed) throw new Error(`expected the hold of ${site}`);
    return hold;
  } catch (e) {
    throw new InputError({
      location: { file, line: 1 },
      message: `corrupt hold: ${(e as Error).message}; remove the file or run 'reconcile release ${site}'`,
    });
  }
}

export async function releaseHold(stateDir: string, site: string): Promise<boolean> {
  const file = holdFile(stateDir, site);
  // A corrupt hold is still a hold: release removes it too.
  const existed = await readFile(file).then(
    () => true,
    () => false,
  );
  await rm(file, { force: true });
  return existed;
}

export async function listHolds(stateDir: string): Promise<Hold[]> {
  const dir = path.join(stateDir, 'holds');
  const names = await readdir(dir).catch(() => [] as string[]);
  const holds = await Promise.all(
    names.filter((n) => n.endsWith('.json')).map((n) => readHold(stateDir, n.slice(0, -5))),
  );
  return holds.filter((h): h is Hold => h !== undefined);
}
