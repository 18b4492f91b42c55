// "Did you mean …?" for a mistyped command or option: the closest known
// word by edit distance (a swap of two neighbours counts as one edit, the
// commonest typo: `plna`), or the one word the typo begins (`--sit`).

/** Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The known word the user most likely meant, or undefined when none is
 * close: at most one edit per three letters (at least one), ties broken by
 * the order of `known`; failing that, the only word `typed` is a prefix of.
 */
export function closest(typed: string, known: readonly string[]): string | undefined {
  const limit = Math.max(1, Math.floor(typed.length / 3));
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const dist = editDistance(typed, k);
    if (dist <= limit && dist < bestD) {
      best = k;
      bestD = dist;
    }
  }
  if (best !== undefined) return best;
  const prefixed = typed.length >= 2 ? known.filter((k) => k.startsWith(typed)) : [];
  return prefixed.length === 1 ? prefixed[0] : undefined;
}
