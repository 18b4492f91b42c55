// Finding the packages a pattern may match without testing every name.
// Every match of a pattern starts with its patternPrefix; cut at the last
// '-' that gives a key every matching PKGNAME starts with ("<key>-"), and
// index names under each of their own dash-prefixes.
import { BoundedMemo } from '../util/bounded-memo.js';
import { patternBase, patternPrefix } from './pattern.js';

/** What the indexes ask of a pattern, worked out once per pattern string. */
interface PatternShape {
  key: string | undefined;
  base: string | undefined;
}

// One memo for both questions: the planner asks them of the same patterns, site after site.
const shapes = new BoundedMemo<string, PatternShape>(50_000);

function shapeOf(pattern: string): PatternShape {
  const prefix = patternPrefix(pattern);
  const dash = prefix.lastIndexOf('-');
  return { key: dash > 0 ? prefix.slice(0, dash) : undefined, base: patternBase(pattern) };
}

/** Every PKGNAME the pattern matches starts with `<key>-`; undefined when no key is certain. */
export function patternKey(pattern: string): string | undefined {
  return shapes.get(pattern, shapeOf).key;
}

/** patternBase, remembered: the one base every match has, or undefined. */
export function cachedPatternBase(pattern: string): string | undefined {
  return shapes.get(pattern, shapeOf).base;
}

export class NameIndex<T extends { pkgname: string }> {
  private readonly byKey = new Map<string, T[]>();
  private readonly all: T[] = [];

  constructor(items: Iterable<T>) {
    for (const item of items) this.add(item);
  }

  add(item: T): void {
    this.all.push(item);
    const name = item.pkgname;
    for (let dash = name.indexOf('-'); dash !== -1; dash = name.indexOf('-', dash + 1)) {
      const key = name.slice(0, dash);
      const list = this.byKey.get(key);
      if (list) list.push(item);
      else this.byKey.set(key, [item]);
    }
  }

  /** The items that may match `pattern` (a superset of the matches). */
  candidates(pattern: string): readonly T[] {
    const key = patternKey(pattern);
    return key === undefined ? this.all : (this.byKey.get(key) ?? []);
  }
}

/** The other direction: patterns indexed by key, looked up by a PKGNAME. */
export class PatternIndex<T extends { pattern: string }> {
  private readonly byKey = new Map<string, T[]>();
  private readonly anywhere: T[] = [];

  constructor(items: Iterable<T>) {
    for (const item of items) {
      const key = patternKey(item.pattern);
      if (key === undefined) {
        this.anywhere.push(item);
        continue;
      }
      const list = this.byKey.get(key);
      if (list) list.push(item);
      else this.byKey.set(key, [item]);
    }
  }

  /** The items whose pattern may match `pkgname` (a superset of the matches). */
  *candidates(pkgname: string): Generator<T> {
    for (let dash = pkgname.indexOf('-'); dash !== -1; dash = pkgname.indexOf('-', dash + 1)) {
      const list = this.byKey.get(pkgname.slice(0, dash));
      if (list) yield* list;
    }
    yield* this.anywhere;
  }
}

// Per list object: a catalog's DEPENDS lists are shared by every site planned against it.
const listKeys = new WeakMap<readonly string[], readonly (string | undefined)[]>();

/** patternKey of each pattern of a list (a package's DEPENDS), worked out once per list. */
export function patternKeys(patterns: readonly string[]): readonly (string | undefined)[] {
  let keys = listKeys.get(patterns);
  if (keys === undefined) {
    keys = patterns.map(patternKey);
    listKeys.set(patterns, keys);
  }
  return keys;
}

/**
 * PatternIndex over the patterns of many owners (each installed package
 * and its DEPENDS), holding one entry per owner and key rather than one
 * object per pattern: a site has thousands of packages with several DEPENDS
 * each. candidates() yields what a PatternIndex of every (owner, pattern)
 * pair, in owner then pattern order, would yield, in the same order.
 */
export class OwnerPatternIndex<T> {
  private readonly byKey = new Map<string, T[]>();
  private readonly anywhere: T[] = [];

  constructor(
    owners: Iterable<T>,
    private readonly patternsOf: (owner: T) => readonly string[],
  ) {
    for (const owner of owners) {
      let keyless = false;
      for (const key of patternKeys(patternsOf(owner))) {
        if (key === undefined) {
          keyless = true;
          continue;
        }
        const list = this.byKey.get(key);
        if (!list) this.byKey.set(key, [owner]);
        else if (list[list.length - 1] !== owner) list.push(owner);
      }
      if (keyless) this.anywhere.push(owner);
    }
  }

  /** Each owner with a pattern that may match `pkgname`, and that pattern (a superset of the matches). */
  *candidates(pkgname: string): Generator<{ owner: T; pattern: string }> {
    for (let dash = pkgname.indexOf('-'); dash !== -1; dash = pkgname.indexOf('-', dash + 1)) {
      const key = pkgname.slice(0, dash);
      for (const owner of this.byKey.get(key) ?? []) yield* this.patternsWith(owner, key);
    }
    for (const owner of this.anywhere) yield* this.patternsWith(owner, undefined);
  }

  private *patternsWith(owner: T, key: string | undefined): Generator<{ owner: T; pattern: string }> {
    const patterns = this.patternsOf(owner);
    const keys = patternKeys(patterns);
    for (let i = 0; i < patterns.length; i++) if (keys[i] === key) yield { owner, pattern: patterns[i]! };
  }
}
