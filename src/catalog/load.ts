// Read a PKG_PATH's pkg_summary (directory or http(s) URL; gz, bz2, xz or
// plain) into a Catalog. One read per location per run: a thousand sites
// sharing a PKG_PATH share one promise.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../errors.js';
import { decodePkgSummaryBytes, PKG_SUMMARY_NAMES } from '../pkgsrc/pkg-summary.js';
import { summaryPackages } from './summary-packages.js';
import { Catalog } from './catalog.js';
import { fetchFailureCause } from '../util/fetch-cause.js';

/** A pkg_summary is at most this big once fetched (compressed or not). */
const MAX_SUMMARY_BYTES = 256 * 1024 * 1024;

export class CatalogCache {
  private readonly loads = new Map<string, Promise<Catalog>>();
  /** How many locations were actually read (for tests and progress). */
  reads = 0;

  get(location: string): Promise<Catalog> {
    let p = this.loads.get(location);
    if (!p) {
      this.reads++;
      p = loadCatalog(location);
      this.loads.set(location, p);
    }
    return p;
  }

  /** The catalog, or the error saying why it could not be read (a site failure, not the run's). */
  getOrError(location: string): Promise<Catalog | Error> {
    return this.get(location).catch((e: Error) => e);
  }
}

export async function loadCatalog(location: string): Promise<Catalog> {
  const { data, name } = await readCatalogFile(location);
  return catalogFromFile(location, data, name);
}

/** The pkg_summary file of a PKG_PATH as it was read (still compressed), and its name. */
export function readCatalogFile(location: string): Promise<{ data: Buffer; name: string }> {
  return /^https?:\/\//.test(location) ? fetchSummary(location) : readSummary(location);
}

/** The catalog of a pkg_summary file read by readCatalogFile. */
export async function catalogFromFile(location: string, data: Buffer, name: string): Promise<Catalog> {
  return new Catalog(location, summaryPackages(await decodePkgSummaryBytes(data, name), name));
}

async function readSummary(dir: string): Promise<{ data: Buffer; name: string }> {
  for (const n of PKG_SUMMARY_NAMES) {
    const file = path.join(dir, n);
    const data = await readFile(file).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return undefined;
      throw new InputError({ location: { file }, message: `cannot read package summary: ${e.message}` });
    });
    if (data) return { data, name: file };
  }
  throw new InputError({
    location: { file: dir },
    message: `no package summary here; expected one of ${PKG_SUMMARY_NAMES.join(', ')} in the pkg_path directory`,
  });
}

async function fetchSummary(base: string): Promise<{ data: Buffer; name: string }> {
  const tried: string[] = [];
  for (const n of PKG_SUMMARY_NAMES) {
    const url = `${base.replace(/\/+$/, '')}/${n}`;
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
    } catch (e) {
      throw new InputError({
        location: { file: url },
        message: `cannot fetch package summary: ${fetchFailureCause(e)}`,
      });
    }
    if (res.status === 404) {
      tried.push(n);
      continue;
    }
    if (!res.ok)
      throw new InputError({
        location: { file: url },
        message: `cannot fetch package summary: HTTP ${res.status} ${res.statusText}`,
      });
    const data = Buffer.from(await res.arrayBuffer());
    if (data.length > MAX_SUMMARY_BYTES)
      throw new InputError({ location: { file: url }, message: `package summary is over ${MAX_SUMMARY_BYTES} bytes` });
    return { data, name: url };
  }
  throw new InputError({
    location: { file: base },
    message: `no package summary at this URL; tried ${tried.join(', ')}`,
  });
}
