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
