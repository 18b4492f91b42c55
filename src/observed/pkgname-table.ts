// The PKGNAMEs a reader has met before, found again from their bytes. The
// sites of a fleet list mostly the same few thousand packages, so a worker
// that reads hundreds of listings makes each name's three strings (PKGNAME,
// base, version) once, and after that only hashes the line's bytes: no
// strings per line, no garbage, and the same string objects at every site.
// It also answers, per listing, "was this name listed already, and where"
// (the duplicate check and the `pkg_info -u` look-up) without a Map per site.

/** Entries beyond this are not kept (the reader then makes the strings itself). */
const MAX_ENTRIES = 1 << 20;

export class PkgnameTable {
  /**
   * Open addressing, two ints a slot: entry index + 1 (0: empty) and the
   * name's hash, side by side so a probe touches one place in memory.
   */
  private slots = new Int32Array(2 << 15);
  private readonly hashes: number[] = [];
  readonly pkgnames: string[] = [];
  readonly names: string[] = [];
  readonly versions: string[] = [];
  /** Per entry: the listing that last saw it, and its position there. */
  private seenIn = new Int32Array(1 << 14);
  private seenAt = new Int32Array(1 << 14);
  private listing = 0;
  /** The entries of the current listing, in its order. */
  private listed: number[] = [];
  /** The packages read from the last listing that was read to the end. */
  private readFor: readonly unknown[] | undefined;
  /** Per catalog, each entry's package there (null: not offered), looked up on first use. */
  private readonly offered = new WeakMap<object, (unknown | null)[]>();

  /**
   * The entry of the PKGNAME in b[start, end) whose last '-' is at `dash`
   * and whose hash (FNV_OFFSET, FNV_PRIME) is `h`, added when new; -1 when it is new and the
   * table is full.
   */
  find(b: Uint8Array, start: number, end: number, dash: number, h: number): number {
    const mask = (this.slots.length >> 1) - 1;
    let s = h & mask;
    for (let e = this.slots[2 * s]! - 1; e >= 0; e = this.slots[2 * s]! - 1) {
      if (this.slots[2 * s + 1] === h && sameBytes(this.pkgnames[e]!, b, start, end)) return e;
      s = (s + 1) & mask;
    }
    const e = this.pkgnames.length;
    if (e >= MAX_ENTRIES) return -1;
    const text = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    this.pkgnames.push(text.toString('latin1', start, end));
    this.names.push(text.toString('latin1', start, dash));
    this.versions.push(text.toString('latin1', dash + 1, end));
    this.hashes.push(h);
    this.slots[2 * s] = e + 1;
    this.slots[2 * s + 1] = h;
    if (4 * (e + 1) > this.slots.length) this.rehash();
    if (e >= this.seenIn.length) this.growSeen();
    return e;
  }

  /** Start a new listing: nothing is seen in it yet. */
  newListing(): void {
    this.listing++;
    this.listed = [];
    this.readFor = undefined;
  }

  /** The listing was read to the end, as `packages` (one per entry, in order). */
  finishListing(packages: readonly unknown[]): void {
    this.readFor = packages;
  }

  /** The entries of `packages`, when they are what the last listing read to the end made. */
  entriesOf(packages: readonly unknown[]): readonly number[] | undefined {
    return packages === this.readFor ? this.listed : undefined;
  }

  /**
   * What `lookup` (a catalog's look-up by PKGNAME) answers for each entry,
   * asked once per entry and catalog: every site planned against a catalog
   * asks about the same names, and one look-up among tens of thousands of
   * names costs more than the rest of what a site does with the answer.
   */
  offeredIn<T>(catalog: object, entries: readonly number[], lookup: (pkgname: string) => T | undefined): (T | null)[] {
    let known = this.offered.get(catalog) as (T | null | undefined)[] | undefined;
    if (!known) this.offered.set(catalog, (known = []));
    return entries.map((e) => {
      let v = known[e];
      if (v === undefined) known[e] = v = lookup(this.pkgnames[e]!) ?? null;
      return v;
    });
  }

  /** Where entry `e` is in the current listing, or -1 when it is not there. */
  positionOf(e: number): number {
    return this.seenIn[e] === this.listing ? this.seenAt[e]! : -1;
  }

  /** Record entry `e` at position `at` of the current listing; false when it was there already. */
  see(e: number, at: number): boolean {
    if (this.seenIn[e] === this.listing) return false;
    this.seenIn[e] = this.listing;
    this.seenAt[e] = at;
    this.listed[at] = e;
    return true;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = (slots.length >> 1) - 1;
    for (let e = 0; e < this.hashes.length; e++) {
      let s = this.hashes[e]! & mask;
      while (slots[2 * s] !== 0) s = (s + 1) & mask;
      slots[2 * s] = e + 1;
      slots[2 * s + 1] = this.hashes[e]!;
    }
    this.slots = slots;
  }

  private growSeen(): void {
    const n = this.seenIn.length * 2;
    const seenIn = new Int32Array(n);
    const seenAt = new Int32Array(n);
    seenIn.set(this.seenIn);
    seenAt.set(this.seenAt);
    this.seenIn = seenIn;
    this.seenAt = seenAt;
  }
}

/** The hash `find` wants: FNV-1a over the name's bytes, computed by the reader as it scans them. */
export const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;

/** Whether a one-byte string holds exactly the bytes b[start, end). */
function sameBytes(s: string, b: Uint8Array, start: number, end: number): boolean {
  if (s.length !== end - start) return false;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== b[start + i]) return false;
  return true;
}
