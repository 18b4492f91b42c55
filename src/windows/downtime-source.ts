// The GOCDB downtimes of a run, read once from the source windows.yaml names
// (a file, or an http(s) URL such as GOCDB's get_downtime query). A source
// that cannot be read or parsed is a warning naming it, never the end of the
// run: the last copy that could be is kept under state/downtimes/ and used
// instead (and the warning says so, with its age); with no copy kept yet the
// run goes on without downtimes, and says that too.
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { redactUrl } from '../state/redact-url.js';
import { fetchFailureCause } from '../util/fetch-cause.js';
import { parseGocdbDowntimes } from './gocdb.js';
import type { Downtime } from './types.js';

export interface LoadedDowntimes {
  downtimes: Downtime[];
  /** fresh: read from the source now; kept: the last good copy; none: no downtimes known. */
  from: 'fresh' | 'kept' | 'none';
  /** When the downtimes in use were read from the source. */
  readAt?: string;
  /** For the person running: what went wrong and what is used instead, and elements that were skipped. */
  warnings: string[];
}

export interface DowntimeSourceOptions {
  /** The state directory: state/downtimes/ keeps the last good copy. */
  stateDir: string;
  /** What a relative file path is relative to (the desired-state directory). */
  baseDir: string;
  /** False for a dry run: nothing is written. */
  keep: boolean;
  now: number;
  timeoutMs?: number;
}

/** At most this much XML is read: GOCDB's answer for a whole VO is far less. */
const MAX_BYTES = 32 * 1024 * 1024;

interface KeptCopy {
  source: string;
  readAt: string;
  xml: string;
}

export async function loadDowntimes(source: string, opts: DowntimeSourceOptions): Promise<LoadedDowntimes> {
  const shown = /^https?:\/\//i.test(source) ? redactUrl(source) : source;
  const read = await readSource(source, opts).then(
    (xml) => ({ xml }),
    (e: Error) => ({ error: e.message }),
  );
  if ('xml' in read) {
    const parsed = parseGocdbDowntimes(read.xml);
    if (parsed.ok) {
      const readAt = new Date(opts.now).toISOString();
      const warnings = parsed.skipped.map((s) => `downtimes from ${shown}: skipped ${s}`);
      if (opts.keep)
        await keep(opts.stateDir, { source, readAt, xml: read.xml }).catch((e: Error) =>
          warnings.push(`downtimes: could not keep a copy in ${keptDir(opts.stateDir)}: ${e.message}`),
        );
      return { downtimes: parsed.downtimes, from: 'fresh', readAt, warnings };
    }
    return fallBack(source, shown, parsed.error, opts);
  }
  return fallBack(source, shown, read.error, opts);
}

async function fallBack(
  source: string,
  shown: string,
  why: string,
  opts: DowntimeSourceOptions,
): Promise<LoadedDowntimes> {
  const kept = await readKept(opts.stateDir, source);
  const parsed = kept ? parseGocdbDowntimes(kept.xml) : undefined;
  if (!kept || !parsed?.ok)
    return {
      downtimes: [],
      from: 'none',
      warnings: [
        `downtimes: cannot read ${shown}: ${why}; no copy kept in ${keptDir(opts.stateDir)} yet, so no downtime is known this run`,
      ],
    };
  return {
    downtimes: parsed.downtimes,
    from: 'kept',
    readAt: kept.readAt,
    warnings: [
      `downtimes: cannot read ${shown}: ${why}; using the last good copy, kept in ${keptDir(opts.stateDir)}, read ${kept.readAt}`,
    ],
  };
}

async function readSource(source: string, opts: DowntimeSourceOptions): Promise<string> {
  if (!/^https?:\/\//i.test(source)) {
    const file = path.resolve(opts.baseDir, source);
    return readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new Error(e.code === 'ENOENT' ? `no such file ${file}` : e.message);
    });
  }
  let res: Response;
  try {
    res = await fetch(source, {
      signal: AbortSignal.timeout(opts.timeoutMs ?? 20_000),
      headers: { accept: 'application/xml, text/xml' },
    });
  } catch (e) {
    throw new Error(fetchFailureCause(e));
  }
  if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
  const body = await res.text();
  if (body.length > MAX_BYTES) throw new Error(`the answer is over ${MAX_BYTES} bytes`);
  return body;
}

const keptDir = (stateDir: string) => path.join(stateDir, 'downtimes');
/** One copy per source: switching sources never passes one GOCDB query's answer off as another's. */
const keptFile = (stateDir: string, source: string) =>
  path.join(keptDir(stateDir), `${createHash('sha256').update(source).digest('hex').slice(0, 16)}.json`);

async function keep(stateDir: string, copy: KeptCopy): Promise<void> {
  await mkdir(keptDir(stateDir), { recursive: true });
  await writeFileAtomic(keptFile(stateDir, copy.source), `${JSON.stringify(copy)}\n`);
}

async function readKept(stateDir: string, source: string): Promise<KeptCopy | undefined> {
  try {
    const copy = JSON.parse(await readFile(keptFile(stateDir, source), 'utf8')) as KeptCopy;
    return copy.source === source && typeof copy.xml === 'string' ? copy : undefined;
  } catch {
    return undefined;
  }
}
