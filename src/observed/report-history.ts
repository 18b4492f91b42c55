// state/reports/<site>/<YYYYMMDDTHHMMSSZ>-<nonce>.json: every report a site
// sent, kept. The name is made of the report's signed timestamp and nonce,
// so the history is also the replay guard: a replayed report has the same
// name, and creating the file exclusively refuses it, across restarts and
// concurrent requests alike.
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../errors.js';
import { observedFile } from './store.js';
import type { Inventory } from './types.js';

/**
 * One report, without the package comments (the bulk of a listing, and
 * what never changes between reports): ~110 KB for 3,000 packages.
 */
export interface ReportRecord {
  site: string;
  /** The signed timestamp: when the site ran pkg_info. */
  reportedAt: string;
  receivedAt: string;
  nonce: string;
  remote: string;
  /** PKGNAMEs, sorted. */
  packages: string[];
  /** The automatic ones (absent from `pkg_info -u`). */
  automatic: string[];
}

/** The history record of an accepted inventory. */
export function reportRecord(
  inv: Inventory,
  meta: Omit<ReportRecord, 'site' | 'packages' | 'automatic'>,
): ReportRecord {
  const names = inv.packages.map((p) => p.pkgname).sort();
  const automatic = inv.packages
    .filter((p) => p.automatic)
    .map((p) => p.pkgname)
    .sort();
  return { site: inv.site, ...meta, packages: names, automatic };
}

const NAME = /^\d{8}T\d{6}Z-[A-Za-z0-9_-]+\.json$/;

export function reportsDir(stateDir: string, site: string): string {
  observedFile(stateDir, site); // refuses a site name that could leave state/
  return path.join(stateDir, 'reports', site);
}

export function reportFile(stateDir: string, site: string, reportedAt: string, nonce: string): string {
  const stamp = reportedAt.replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
  return path.join(reportsDir(stateDir, site), `${stamp}-${nonce}.json`);
}

export async function reportExists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** Writes the record durably under its name; 'replayed' when that name exists already. */
export async function storeReport(stateDir: string, r: ReportRecord): Promise<{ file: string; stored: boolean }> {
  const file = reportFile(stateDir, r.site, r.reportedAt, r.nonce);
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx', 0o644);
  try {
    await fh.writeFile(`${JSON.stringify(r)}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    // link() never replaces an existing file: the exclusive, atomic publish.
    await link(tmp, file);
    return { file, stored: true };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return { file, stored: false };
    throw e;
  } finally {
    await unlink(tmp);
  }
}

/** How many reports a site sent, and the last `n` of them, oldest first. */
export async function lastReports(
  stateDir: string,
  site: string,
  n: number,
): Promise<{ count: number; reports: ReportRecord[] }> {
  const dir = reportsDir(stateDir, site);
  const names = (await readdir(dir).catch(() => [] as string[])).filter((f) => NAME.test(f)).sort();
  // Names order reports by the second only (then by the random nonce), so
  // the reports of the boundary's second are all read and put in order by
  // their full timestamps.
  const from = n <= 0 ? names.length : Math.max(0, names.length - n);
  let start = from;
  while (start > 0 && from < names.length && stampOf(names[start - 1]!) === stampOf(names[from]!)) start--;
  const read = await Promise.all(names.slice(start).map((f) => readReport(path.join(dir, f), site)));
  read.sort((a, b) => compare(a.reportedAt, b.reportedAt) || compare(a.receivedAt, b.receivedAt));
  return { count: names.length, reports: n <= 0 ? [] : read.slice(-n) };
}

function stampOf(name: string): string {
  return name.slice(0, name.indexOf('-'));
}

function compare(a: string, b: string): number {
  return Date.parse(a) - Date.parse(b);
}

async function readReport(file: string, site: string): Promise<ReportRecord> {
  try {
    const r = JSON.parse(await readFile(file, 'utf8')) as ReportRecord;
    if (r.site !== site || !Array.isArray(r.packages)) throw new Error(`expected a report of ${site}`);
    return r;
  } catch (e) {
    throw new InputError({
      location: { file, line: 1 },
      message: `corrupt report record: ${(e as Error).message}; move it out of the way`,
    });
  }
}
