// The central audit: which installed packages a vulnerability list marks,
// decided exactly as `pkg_admin audit` does (admin/audit.c audit_package):
// for each package, every entry in file order whose pattern matches it, with
// pkgsrc's own pattern semantics (src/pkgsrc/pattern.ts), eol entries only
// when end-of-life checks are on (CHECK_END_OF_LIFE, default yes), IGNORE_URL
// advisories skipped. Entries are indexed by the package base every match
// starts with, so a package is tested against a handful of entries rather
// than the whole list. Pure.
import { compileWithPrefixes, type Matcher } from '../pkgsrc/pattern.js';
import type { VulnEntry } from './list-file.js';
import { MEMO_MAX_NAMES, type FindingsMemo } from './findings-memo.js';
import type { PkgnameIds } from './site-audit.js';

/** One installed package marked by one entry of the list. */
export interface Finding {
  pkgname: string;
  kind: string;
  url: string;
  /** The entry's pattern and line, so a report can say why. */
  pattern: string;
  line: number;
}

/** What pkg_admin's options and pkg_install.conf change about an audit. */
export interface AuditOptions {
  /** CHECK_END_OF_LIFE (or `audit -e`): report eol entries. Default true, as the tool. */
  eol?: boolean;
  /** `audit -t TYPE`: only entries of this classification. */
  kind?: string;
  /** IGNORE_URL: advisories never reported. */
  ignoreUrls?: readonly string[];
}

/** Where the tool points every eol finding. */
export const EOL_URL = 'http://ftp.NetBSD.org/pub/NetBSD/packages/vulns/eol-packages';

interface Compiled {
  index: number;
  match: Matcher;
}

export class VulnIndex {
  private readonly byKey = new Map<string, Compiled[]>();
  /** Entries no base can be derived for: tried against every package. */
  private readonly anywhere: Compiled[] = [];
  private built = false;
  readonly size: number;
  /** Answers of earlier runs against the same list (findings-memo.ts), and those made in this one. */
  private known: FindingsMemo = new Map();
  private readonly learnt: FindingsMemo = new Map();

  constructor(private readonly entries: readonly VulnEntry[]) {
    this.size = entries.length;
  }

  /** Compiled on first need: a repeat audit whose names are all known never needs it. */
  private build(): void {
    if (this.built) return;
    this.built = true;
    this.entries.forEach((entry, index) => {
      let compiled: ReturnType<typeof compileWithPrefixes>;
      try {
        compiled = compileWithPrefixes(entry.pattern);
      } catch {
        return; // malformed: matches nothing (reported when the list was read)
      }
      const c: Compiled = { index, match: compiled.match };
      const keys = entryKeys(compiled.prefixes);
      if (!keys) this.anywhere.push(c);
      else for (const k of keys) this.push(k, c);
    });
  }

  private push(key: string, c: Compiled): void {
    const list = this.byKey.get(key);
    if (!list) this.byKey.set(key, [c]);
    else if (list.at(-1) !== c) list.push(c);
  }

  /** What auditDefault may answer from without matching (a memo read for this very list). */
  remember(known: FindingsMemo): void {
    this.known = known;
  }

  /** The memo to keep for the next run: undefined when this run learnt nothing new. */
  memoToKeep(): FindingsMemo | undefined {
    if (this.learnt.size === 0) return undefined;
    if (this.known.size + this.learnt.size > MEMO_MAX_NAMES) return new Map(this.learnt);
    return new Map([...this.known, ...this.learnt]);
  }

  // A fleet installs the same few ten thousand PKGNAMEs at a thousand sites:
  // each is matched once (for the default options, which the central audit uses).
  private memo = new Map<string, readonly Finding[]>();

  /** audit_package for one PKGNAME with the tool's default options; the answer is shared, do not change it. */
  auditDefault(pkgname: string): readonly Finding[] {
    let hit = this.memo.get(pkgname);
    if (!hit) {
      if (this.memo.size >= 500_000) this.memo = new Map();
      let at = this.known.get(pkgname);
      if (at === undefined) {
        at = this.matching(pkgname);
        if (this.learnt.size < MEMO_MAX_NAMES) this.learnt.set(pkgname, at);
      }
      hit = at.map((i) => findingOf(pkgname, this.entries[i]!));
      this.memo.set(pkgname, hit);
    }
    return hit;
  }

  // Per table of interned PKGNAMEs, auditDefault of each id: a site's packages are then found by index, not hashed.
  private readonly byTable = new WeakMap<readonly string[], (readonly Finding[] | undefined)[]>();

  /** auditDefault of each package that has a finding, in order; the answers are shared, do not change them. */
  findingsOf(pkgnames: readonly string[] | PkgnameIds): (readonly Finding[])[] {
    const out: (readonly Finding[])[] = [];
    if (!('ids' in pkgnames)) {
      for (const p of pkgnames) {
        const hits = this.auditDefault(p);
        if (hits.length > 0) out.push(hits);
      }
      return out;
    }
    const { ids, names } = pkgnames;
    let row = this.byTable.get(names);
    if (!row) this.byTable.set(names, (row = []));
    // Grown in order, never with gaps: an array with holes far apart turns into a slow dictionary.
    while (row.length < names.length) row.push(undefined);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      let hits = row[id];
      if (hits === undefined) row[id] = hits = this.auditDefault(names[id]!);
      if (hits.length > 0) out.push(hits);
    }
    return out;
  }

  /** The indices of the entries whose pattern matches the PKGNAME, in file order, each once. */
  private matching(pkgname: string): number[] {
    this.build();
    const hits: number[] = [];
    for (let dash = pkgname.indexOf('-'); dash !== -1; dash = pkgname.indexOf('-', dash + 1)) {
      const list = this.byKey.get(pkgname.slice(0, dash));
      if (list) for (const c of list) if (c.match(pkgname)) hits.push(c.index);
    }
    for (const c of this.anywhere) if (c.match(pkgname)) hits.push(c.index);
    if (hits.length < 2) return hits;
    // An entry with alternatives of different bases sits under each; report it once, in file order.
    return [...new Set(hits)].sort((a, b) => a - b);
  }

  /** audit_package for one PKGNAME: its findings in file order. */
  audit(pkgname: string, opts: AuditOptions = {}): Finding[] {
    const eol = opts.eol ?? true;
    const out: Finding[] = [];
    for (const i of this.matching(pkgname)) {
      const e = this.entries[i]!;
      if (opts.ignoreUrls?.includes(e.url)) continue;
      if (opts.kind !== undefined && opts.kind !== e.kind) continue;
      if (e.kind === 'eol' && !eol) continue;
      out.push(findingOf(pkgname, e));
    }
    return out;
  }
}

function findingOf(pkgname: string, e: VulnEntry): Finding {
  return { pkgname, kind: e.kind, url: e.url, pattern: e.pattern, line: e.line };
}

/**
 * The keys an entry's matches can start with (`<key>-`, see
 * pkgsrc/name-index.ts patternKey), one per csh alternative from its
 * literal prefix, or undefined when some alternative has none (`*-foo<1`)
 * or the alternatives are too many to list.
 */
function entryKeys(prefixes: readonly string[] | undefined): string[] | undefined {
  if (!prefixes) return undefined;
  const keys = new Set<string>();
  for (const prefix of prefixes) {
    const dash = prefix.lastIndexOf('-');
    if (dash <= 0) return undefined;
    keys.add(prefix.slice(0, dash));
  }
  return [...keys];
}

/** A finding as `pkg_admin audit` prints it. */
export function formatFinding(f: Pick<Finding, 'pkgname' | 'kind' | 'url'>): string {
  return f.kind === 'eol'
    ? `Package ${f.pkgname} has reached end-of-life (eol), see ${EOL_URL}`
    : `Package ${f.pkgname} has a ${f.kind} vulnerability, see ${f.url}`;
}
