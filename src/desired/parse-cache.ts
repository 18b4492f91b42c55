// What a desired-state file parses to (after its schema and the reading of
// its sites or packages), kept by the digest of its name and text, so a
// plan or report need not run the YAML parser and schema checks again over
// a sites.yaml of a thousand sites that did not change. Only files without
// a problem are kept; a damaged entry is ignored (see checked-file.ts).
// New entries wait in memory until `keep()`: a run that refuses its inputs
// (exit 2) leaves state/ as it found it.
import path from 'node:path';
import { readChecked, writeChecked } from '../plan-cache/checked-file.js';
import { sha256 } from '../plan-cache/digest.js';

/** Bump when what a file parses to changes for the same text. */
const PARSE_VERSION = 1;
const FORMAT = 'vo-reconcile-desired-parse/1';

export interface ParseCache {
  get(kind: string, file: string, text: string): Promise<unknown>;
  set(kind: string, file: string, text: string, value: unknown): void;
  /** Write the entries set since the last keep. */
  keep(): Promise<void>;
}

export function parseCacheIn(dir: string): ParseCache {
  const fileFor = (kind: string, file: string, text: string) => {
    const key = sha256('desired-parse', String(PARSE_VERSION), kind, file, text);
    return { key, path: path.join(dir, `${key}.json`) };
  };
  const pending = new Map<string, { key: string; body: string }>();
  return {
    async get(kind, file, text) {
      const { key, path: p } = fileFor(kind, file, text);
      const entry = await readChecked(p, FORMAT);
      if (!entry || entry.header.key !== key) return undefined;
      try {
        return JSON.parse(entry.body) as unknown;
      } catch {
        return undefined;
      }
    },
    set(kind, file, text, value) {
      const { key, path: p } = fileFor(kind, file, text);
      pending.set(p, { key, body: JSON.stringify(value) });
    },
    async keep() {
      const entries = [...pending];
      pending.clear();
      // A cache that cannot be written only costs the next run its shortcut.
      for (const [p, { key, body }] of entries) await writeChecked(p, FORMAT, body, { key }).catch(() => undefined);
    },
  };
}
