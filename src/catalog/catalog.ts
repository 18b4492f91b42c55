// The binary packages on offer at a PKG_PATH, and the choice pkg_add would
// make among them. Pure; loading lives in load.ts.
import { compilePattern, type Matcher } from '../pkgsrc/pattern.js';
import { cachedPatternBase, NameIndex, PatternIndex } from '../pkgsrc/name-index.js';
import { splitPkgName } from '../pkgsrc/pkgname.js';
import { BoundedMemo } from '../util/bounded-memo.js';
import { compareParsed, parseVersionCached } from '../pkgsrc/version.js';

export interface CatalogPackage {
  pkgname: string;
  name: string;
  version: string;
  /** DEPENDS patterns from pkg_summary. */
  depends: string[];
  /** CONFLICTS patterns from pkg_summary: pkg_add refuses it while a match is installed. */
  conflicts: string[];
}

// Bounded: a catalog's DEPENDS alone can hold tens of thousands of distinct patterns.
const matchers = new BoundedMemo<string, Matcher>(50_000);
/** Patterns repeat across sites and runs; compile each once. */
export function matcherFor(pattern: string): Matcher {
  return matchers.get(pattern, compilePattern);
}

export function matchesAll(patterns: readonly string[], pkgname: string): boolean {
  for (const p of patterns) if (!matcherFor(p)(pkgname)) return false;
  return true;
}

/** What planning a site asks of a catalog: Catalog itself, or one site's view of it (SiteCatalog). */
export interface CatalogLookup {
  readonly location: string;
  get(pkgname: string): CatalogPackage | undefined;
  versionsOf(name: string): readonly CatalogPackage[];
  requirers(pkgname: string): readonly string[];
  requiringPackages(pkgname: string): readonly CatalogPackage[];
  /** Packages that may match `pattern` (a superset of the matches). */
  candidates(pattern: string): readonly CatalogPackage[];
  best(pattern: string): string | undefined;
  resolve(name: string, patterns: readonly string[]): CatalogPackage | undefined;
}

export class Catalog implements CatalogLookup {
  private readonly byPkgname = new Map<string, CatalogPackage>();
  private readonly byName = new Map<string, CatalogPackage[]>();
  private readonly resolved = new Map<string, CatalogPackage | null>();
  private index: NameIndex<CatalogPackage> | undefined;
  private reverse: PatternIndex<{ pattern: string; owner: string }> | undefined;
  private readonly requirersMemo = new BoundedMemo<string, readonly string[]>(100_000);
  private readonly requiringMemo = new BoundedMemo<string, readonly CatalogPackage[]>(100_000);

  constructor(
    readonly location: string,
    packages: Iterable<{ pkgname: string; depends?: readonly string[]; conflicts?: readonly string[] }>,
  ) {
    for (const entry of packages) {
      // Flat copies: as slices of the summary text, names and patterns hash and compare slowly.
      const pkgname = flat(entry.pkgname);
      const split = splitPkgName(pkgname);
      if (!split || this.byPkgname.has(pkgname)) continue;
      const pkg: CatalogPackage = {
        pkgname,
        name: split.base,
        version: split.version,
        depends: (entry.depends ?? []).map(flat),
        conflicts: entry.conflicts?.length ? entry.conflicts.map(flat) : NONE,
      };
      this.byPkgname.set(pkgname, pkg);
      const list = this.byName.get(split.base);
      if (list) list.push(pkg);
      else this.byName.set(split.base, [pkg]);
    }
  }

  get size(): number {
    return this.byPkgname.size;
  }

  get(pkgname: string): CatalogPackage | undefined {
    return this.byPkgname.get(pkgname);
  }

  versionsOf(name: string): readonly CatalogPackage[] {
    return this.byName.get(name) ?? [];
  }

  /**
   * The catalog packages whose DEPENDS match `pkgname` (which need not be in
   * the catalog). Shared by every site planned against this catalog.
   */
  requirers(pkgname: string): readonly string[] {
    // A copy as the key: the caller's string may be a slice pinning a whole inventory file.
    return this.requirersMemo.get(pkgname, (p) => this.findRequirers(p), flat);
  }

  /** The packages requirers() names, each once, in that order. */
  requiringPackages(pkgname: string): readonly CatalogPackage[] {
    return this.requiringMemo.get(
      pkgname,
      (p) => [...new Set(this.requirers(p).map((o) => this.byPkgname.get(o)!))],
      flat,
    );
  }

  private findRequirers(pkgname: string): string[] {
    this.reverse ??= this.reverseIndex();
    const owners: string[] = [];
    for (const e of this.reverse.candidates(pkgname)) if (matcherFor(e.pattern)(pkgname)) owners.push(e.owner);
    return owners;
  }

  /** DEPENDS edges keyed like names, so a pkgname finds the patterns that may match it. */
  private reverseIndex(): PatternIndex<{ pattern: string; owner: string }> {
    const edges: { pattern: string; owner: string }[] = [];
    for (const p of this.byPkgname.values()) for (const pattern of p.depends) edges.push({ pattern, owner: p.pkgname });
    return new PatternIndex(edges);
  }

  candidates(pattern: string): readonly CatalogPackage[] {
    const base = cachedPatternBase(pattern);
    if (base !== undefined) return this.byName.get(base) ?? [];
    this.index ??= new NameIndex(this.byPkgname.values());
    return this.index.candidates(pattern);
  }

  /** The best match of one pattern among all packages (DEPENDS resolution), pkgname or undefined. */
  best(pattern: string): string | undefined {
    const key = `\0${pattern}`;
    const hit = this.resolved.get(key);
    if (hit !== undefined) return hit?.pkgname;
    const m = matcherFor(pattern);
    let best: CatalogPackage | undefined;
    for (const c of this.candidates(pattern)) {
      if (m(c.pkgname) && (!best || better(c, best))) best = c;
    }
    this.resolved.set(key, best ?? null);
    return best?.pkgname;
  }

  /**
   * The package pkg_add would pick for `name` under every pattern: the
   * greatest dewey version; on a tie the name that sorts first (pkg_order).
   */
  resolve(name: string, patterns: readonly string[]): CatalogPackage | undefined {
    const key = `${name}\0${patterns.join('\0')}`;
    const hit = this.resolved.get(key);
    if (hit !== undefined) return hit ?? undefined;
    let best: CatalogPackage | undefined;
    for (const c of this.byName.get(name) ?? []) {
      if (!matchesAll(patterns, c.pkgname)) continue;
      if (!best || better(c, best)) best = c;
    }
    this.resolved.set(key, best ?? null);
    return best;
  }
}

/** Most packages conflict with nothing: one shared empty list. */
const NONE: string[] = [];

/** A flat (unsliced) copy of a string. */
function flat(s: string): string {
  return JSON.parse(JSON.stringify(s)) as string;
}

function better(a: CatalogPackage, b: CatalogPackage): boolean {
  const c = compareParsed(parseVersionCached(a.version), parseVersionCached(b.version));
  return c > 0 || (c === 0 && a.pkgname < b.pkgname);
}

/** What a catalog offers for each of some packages, worked out before planning (see SiteCatalog). */
export interface KnownOffers {
  packages: readonly { pkgname: string }[];
  offered: readonly (CatalogPackage | null)[];
}

/**
 * A shared catalog as one site's planning sees it: the same answers, with
 * the site's look-ups by PKGNAME remembered. Planning asks about each
 * installed package several times (its DEPENDS, its CONFLICTS, whether it
 * is offered), and a look-up in the site's own small map, keyed by the very
 * strings the site's inventory holds, costs a fraction of one in the
 * catalog's map of tens of thousands of names spread over the heap.
 */
export class SiteCatalog implements CatalogLookup {
  private readonly seen = new Map<string, CatalogPackage | null>();

  /**
   * `known`: look-ups already answered, e.g. for the site's installed
   * packages: `offered[i]` is what `shared.get(packages[i].pkgname)` gives
   * (null for undefined).
   */
  constructor(
    private readonly shared: Catalog,
    known?: KnownOffers,
  ) {
    if (!known) return;
    const { packages, offered } = known;
    for (let i = 0; i < packages.length; i++) this.seen.set(packages[i]!.pkgname, offered[i]!);
  }

  get location(): string {
    return this.shared.location;
  }

  get(pkgname: string): CatalogPackage | undefined {
    let hit = this.seen.get(pkgname);
    if (hit === undefined) {
      hit = this.shared.get(pkgname) ?? null;
      this.seen.set(pkgname, hit);
    }
    return hit ?? undefined;
  }

  versionsOf(name: string): readonly CatalogPackage[] {
    return this.shared.versionsOf(name);
  }

  requirers(pkgname: string): readonly string[] {
    return this.shared.requirers(pkgname);
  }

  requiringPackages(pkgname: string): readonly CatalogPackage[] {
    return this.shared.requiringPackages(pkgname);
  }

  candidates(pattern: string): readonly CatalogPackage[] {
    return this.shared.candidates(pattern);
  }

  best(pattern: string): string | undefined {
    return this.shared.best(pattern);
  }

  resolve(name: string, patterns: readonly string[]): CatalogPackage | undefined {
    return this.shared.resolve(name, patterns);
  }
}
