// What changed at a site between two inventories: packages added, removed,
// or at another version (json-diff-ts over name → version).
import { diff } from 'json-diff-ts';
import type { Inventory } from './types.js';

export interface InventoryChanges {
  added: string[];
  removed: string[];
  changed: { name: string; from: string; to: string }[];
}

export function inventoryChanges(before: Inventory, after: Inventory): InventoryChanges {
  const versions = (inv: Inventory) => Object.fromEntries(inv.packages.map((p) => [p.name, p.version]));
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
