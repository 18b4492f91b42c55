// What a reviewed plan was made from, as digests that apply recomputes:
// equal digests mean the same observation, the same catalog bytes.
import type { Inventory } from '../observed/types.js';
import { sha256 } from '../plan-cache/digest.js';

/** JSON with object keys sorted, so a store that reorders keys gives the same digest. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/** A site's observation as the run's observation store gives it; null when it has none. */
export function observationDigest(inv: Inventory | undefined): string | null {
  return inv ? sha256('observation', canonical(inv)) : null;
}

/** A pkg_summary file as read (still compressed), with where it came from: the plan cache's catalog digest. */
export function catalogDigest(location: string, name: string, data: Uint8Array): string {
  return sha256('catalog', location, name, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
}
