// What each PKGNAME was found to have in one verified copy of the list, kept
// beside it in state/vulnerabilities/<dir>/findings.json: the indices of the
// entries that mark it with the tool's default options ([] for none). A fleet
// installs the same few ten thousand PKGNAMEs, and cron audits it against
// the same list all week: a repeat audit looks its names up here and matches
// only names it has never seen, so the list need not even be indexed.
// Keyed by the copy's SHA-256 and MATCHER_VERSION; checked on every read
// (checked-file.ts), so a damaged or foreign file is ignored, never trusted.
import path from 'node:path';
import { readChecked, writeChecked } from '../plan-cache/checked-file.js';

/**
 * The version of what VulnIndex.auditDefault answers for a PKGNAME and a
 * list. Whoever changes pattern matching so that the same list and name give
 * other findings bumps it; test/vuln/matcher-version.test.ts fails when the
 * answers of its fixed oracle change under the same number.
 */
export const MATCHER_VERSION = 1;

const FILE = 'findings.json';
const FORMAT = 'vo-reconcile-vuln-findings/1';

/** Per PKGNAME, the indices (into the list's entries) of its findings, in file order. */
export type FindingsMemo = Map<string, readonly number[]>;

/** Past this many names a memo keeps only those of the run that writes it. */
export const MEMO_MAX_NAMES = 500_000;

interface Body {
  names: string[];
  /** Per name: its entry indices, or 0 for none (most names: a short file). */
  hits: (number[] | 0)[];
}

function header(listSha256: string): { list: string; matcher: number } {
  return { list: listSha256, matcher: MATCHER_VERSION };
}

/** The memo kept for this copy, or an empty one (none, damaged, or for other bytes or another matcher). */
export async function readFindingsMemo(dir: string, listSha256: string, entries: number): Promise<FindingsMemo> {
  const memo: FindingsMemo = new Map();
  const got = await readChecked(path.join(dir, FILE), FORMAT);
  const want = header(listSha256);
  if (!got || got.header.list !== want.list || got.header.matcher !== want.matcher) return memo;
  let body: Body;
  try {
    body = JSON.parse(got.body) as Body;
  } catch {
    return memo;
  }
  if (!Array.isArray(body.names) || !Array.isArray(body.hits) || body.names.length !== body.hits.length) return memo;
  const none: readonly number[] = [];
  for (let i = 0; i < body.names.length; i++) {
    const h = body.hits[i];
    if (h === 0) memo.set(body.names[i]!, none);
    // An index the list does not have means the file is not what it claims: ignore all of it.
    else if (Array.isArray(h) && h.every((x) => Number.isInteger(x) && x >= 0 && x < entries))
      memo.set(body.names[i]!, h);
    else return new Map();
  }
  return memo;
}

/** Best effort: without it the next run matches its names again. */
export async function writeFindingsMemo(dir: string, listSha256: string, memo: FindingsMemo): Promise<void> {
  const body: Body = { names: [], hits: [] };
  for (const [name, hits] of memo) {
    body.names.push(name);
    body.hits.push(hits.length === 0 ? 0 : [...hits]);
  }
  await writeChecked(path.join(dir, FILE), FORMAT, JSON.stringify(body), header(listSha256)).catch(() => undefined);
}
