// state/plan-cache/plans/: one file per planned site, named by the digest of
// everything its plan was computed from, holding the plan's JSON and its
// counts. Checked on every read (see checked-file.ts).
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { SiteCounts } from './site-counts.js';
import { readChecked, readCheckedSync, writeChecked, type CheckedHeader } from './checked-file.js';

const FORMAT = 'vo-reconcile-plan-cache/1';

export function planEntryFile(cacheDir: string, key: string): string {
  return path.join(cacheDir, 'plans', key.slice(0, 2), `${key}.json`);
}

export type PlanEntry = { json: string; counts: SiteCounts };

export async function readPlanEntry(cacheDir: string, key: string): Promise<PlanEntry | undefined> {
  return entryFor(key, await readChecked(planEntryFile(cacheDir, key), FORMAT));
}

/** readPlanEntry for the main thread's warm path (see readCheckedSync). */
export function readPlanEntrySync(cacheDir: string, key: string): PlanEntry | undefined {
  return entryFor(key, readCheckedSync(planEntryFile(cacheDir, key), FORMAT));
}

function entryFor(key: string, entry: { header: CheckedHeader; body: string } | undefined): PlanEntry | undefined {
  // The key inside guards against a file copied or renamed to another name.
  if (!entry || entry.header.key !== key) return undefined;
  return { json: entry.body, counts: entry.header.counts as SiteCounts };
}

export async function writePlanEntry(cacheDir: string, key: string, json: string, counts: SiteCounts): Promise<void> {
  await writeChecked(planEntryFile(cacheDir, key), FORMAT, json, { key, counts });
}

export async function removePlanEntry(cacheDir: string, key: string): Promise<void> {
  await rm(planEntryFile(cacheDir, key), { force: true });
}
