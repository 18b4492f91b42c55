// Merging what sibling profiles of one site (or of one profile's parents)
// say, keyed by name: one rule for packages and checks alike. Where two
// layers name the same key, `pair` decides (one overrides, or a conflict).
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
