// What must hold of a fleet's state/ and emulator log after any crash and
// restart: the journal reads (damaged lines are the caller's to judge),
// every transaction begins once and ends
// at most once, no transaction ran its job twice, no two jobs overlapped at
// a site, and nothing ran that the journal does not know of.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { readEmulatorLog, readOverlaps } from '../emulator/index.js';
import { parseJournal, type JournalRead } from '../../src/state/journal.js';
import type { JournalRecord } from '../../src/state/records.js';

export interface JournalFigures {
  records: JournalRecord[];
  /** Lines set aside as unreadable (a kill can tear the last line; later appends start a fresh one). */
  damaged: JournalRead['damaged'];
  transactions: number;
  /** Transactions that ran a job (have a 'submitted' record). */
  jobs: number;
  open: string[];
}

/** Problems found, as sentences; empty when every invariant holds. */
export function journalProblems(stateDir: string): { problems: string[]; figures: JournalFigures } {
  const file = path.join(stateDir, 'journal.jsonl');
  const { records, damaged } = parseJournal(existsSync(file) ? readFileSync(file, 'utf8') : '');
  return recordProblems(records, damaged);
}

/** The same of records read from any store (a database has no torn lines: `damaged` is empty there). */
export function recordProblems(
  records: JournalRecord[],
  damaged: JournalRead['damaged'] = [],
): { problems: string[]; figures: JournalFigures } {
  const problems: string[] = [];
  const count = (type: JournalRecord['type']) => {
    const n = new Map<string, number>();
    for (const r of records) if (r.type === type) n.set(r.txid, (n.get(r.txid) ?? 0) + 1);
    return n;
  };
  const begins = count('begin');
  const submitted = count('submitted');
  const ends = count('end');
  for (const [txid, n] of begins) if (n !== 1) problems.push(`${txid} began ${n} times`);
  for (const [txid, n] of submitted) if (n !== 1) problems.push(`${txid} has ${n} submitted records`);
  for (const [txid, n] of ends) if (n !== 1) problems.push(`${txid} ended ${n} times`);
  for (const r of records)
    if (r.type !== 'begin' && !begins.has(r.txid)) problems.push(`${r.type} record of ${r.txid}, which never began`);
  const open = [...begins.keys()].filter((t) => !ends.has(t));
  return { problems, figures: { records, damaged, transactions: begins.size, jobs: submitted.size, open } };
}

/**
 * Every package operation at a site belongs to a journalled, submitted
 * transaction of that site and ran once; every launched job belongs to one.
 */
export function jobProblems(
  stateDir: string,
  emulatorLog: string,
  records: readonly JournalRecord[],
  sitePrefixes: Record<string, string>,
): string[] {
  const problems: string[] = [];
  const siteOf = new Map(
    records.filter((r) => r.type === 'begin').map((r) => [r.txid, r.type === 'begin' ? r.site : '']),
  );
  const submitted = new Set(records.filter((r) => r.type === 'submitted').map((r) => r.txid));
  const starts = new Map<string, number>();
  for (const e of readEmulatorLog(emulatorLog)) {
    if (e.event !== 'start') continue;
    const key = `${e.site} ${e.txn} ${e.cmd}`;
    starts.set(key, (starts.get(key) ?? 0) + 1);
    const site = siteOf.get(e.txn ?? '');
    if (site === undefined || !submitted.has(e.txn!))
      problems.push(`'${e.cmd}' ran under ${e.txn}, which the journal has no submitted job for`);
    else if (sitePrefixes[site] !== e.site) problems.push(`'${e.cmd}' of ${e.txn} (site ${site}) ran at ${e.site}`);
  }
  for (const [key, n] of starts) if (n > 1) problems.push(`ran ${n} times: ${key}`);
  for (const o of readOverlaps(emulatorLog)) problems.push(`jobs overlapped at ${o.site}: ${o.a} and ${o.b}`);
  const jobsDir = path.join(stateDir, 'jobs');
  for (const dir of existsSync(jobsDir) ? readdirSync(jobsDir) : []) {
    // A directory without a pid file is a job the controller died before launching.
    const launched = existsSync(path.join(jobsDir, dir, 'pid'));
    if (dir !== 'dry-run' && launched && !submitted.has(dir))
      problems.push(`job ${dir} was launched but belongs to no submitted transaction`);
  }
  return problems;
}
