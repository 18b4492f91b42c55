// Transaction ids: sortable by time, naming the site, unique across controllers.
import { randomBytes } from 'node:crypto';

export function newTxid(site: string, now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `tx-${stamp}-${site}-${randomBytes(3).toString('hex')}`;
}

export function newNonce(): string {
  return randomBytes(8).toString('hex');
}
