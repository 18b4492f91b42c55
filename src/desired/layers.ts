// Merging what profiles say, keyed by name: one set of rules for packages
// and checks alike. A profile's own entries override what it inherits;
// where sibling layers name the same key, `pair` decides.
export function combineSiblings<H>(layers: readonly Map<string, H>[], pair: (a: H, b: H) => H): Map<string, H> {
  if (layers.length === 1) return layers[0]!;
  const out = new Map<string, H>();
  for (const layer of layers) {
    for (const [k, h] of layer) {
      const prev = out.get(k);
      out.set(k, prev ? pair(prev, h) : h);
    }
  }
  return out;
}

/** `top` over `base`: a profile's own entries win over what it inherits. */
export function override<H>(base: Map<string, H>, top: Map<string, H>): Map<string, H> {
  if (top.size === 0) return base;
  if (base.size === 0) return top;
  const out = new Map(base);
  for (const [k, h] of top) out.set(k, h);
  return out;
}

/** The winner is more specific: each profile the loser came from is an ancestor of one the winner came from. */
export function overrides(
  winner: { origins: readonly string[] },
  loser: { origins: readonly string[] },
  ancestors: (profile: string) => Set<string>,
): boolean {
  return loser.origins.every((o) => winner.origins.some((w) => ancestors(w).has(o)));
}
