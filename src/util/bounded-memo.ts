// A memo that cannot grow without bound: a long-running `serve` sees new
// patterns, versions and package names all day. Two generations: when the
// young one fills up, it becomes the old one and the previous old one is
// dropped; a hit in the old generation moves the entry back to the young
// one. So what is in use stays, and at most 2 × limit entries are held.
export class BoundedMemo<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();

  constructor(private readonly limit: number) {}

  /** `keep` gives the key to store on a miss, when the caller's one may pin memory (a slice of a big text). */
  get(key: K, make: (key: K) => V, keep: (key: K) => K = (k) => k): V {
    let v = this.young.get(key);
    if (v !== undefined) return v;
    v = this.old.get(key);
    const stored = v === undefined ? keep(key) : key;
    if (v === undefined) v = make(stored);
    if (this.young.size >= this.limit) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(stored, v);
    return v;
  }

  get size(): number {
    return this.young.size + this.old.size;
  }
}
