// What changed at a site between two package lists: packages added,
// removed, or at another version (json-diff-ts over name → version).
import { diff } from 'json-diff-ts';

export interface InventoryChanges {
  added: string[];
  removed: string[];
  changed: { name: string; from: string; to: string }[];
}

/** `before` and `after` are PKGNAMEs, as validated when they were stored. */
export function packageChanges(before: readonly string[], after: readonly string[]): InventoryChanges {
  const versions = (pkgnames: readonly string[]) =>
    Object.fromEntries(pkgnames.map((p) => [p.slice(0, p.lastIndexOf('-')), p.slice(p.lastIndexOf('-') + 1)]));
  const out: InventoryChanges = { added: [], removed: [], changed: [] };
  for (const c of diff(versions(before), versions(after))) {
    if (c.type === 'ADD') out.added.push(`${c.key}-${String(c.value)}`);
    else if (c.type === 'REMOVE') out.removed.push(`${c.key}-${String(c.value)}`);
    else out.changed.push({ name: c.key, from: String(c.oldValue), to: String(c.value) });
  }
  const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  out.added.sort(byName);
  out.removed.sort(byName);
  out.changed.sort((a, b) => byName(a.name, b.name));
  return out;
}
