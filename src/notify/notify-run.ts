// After a run: the events its transactions made, queued for each receiver
// that wants them, and a detached deliverer started. Nothing here waits for
// a receiver, and nothing here fails the run.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DesiredState } from '../desired/types.js';
import type { JournalStore } from '../run/ports.js';
import { wants } from './config.js';
import { eventsOf, type NotifyEvent } from './events.js';
import { enqueue, type OutboxItem } from './outbox.js';

const DELIVERER = fileURLToPath(new URL('./deliver-main.js', import.meta.url));

/** Queue the events of the transactions `txids` that ended since `since` (ISO), and start delivering. */
export async function notifyRun(
  desired: DesiredState,
  journal: Pick<JournalStore, 'transactions'>,
  localDir: string,
  txids: ReadonlySet<string>,
  since: string,
): Promise<NotifyEvent[]> {
  const receivers = desired.notifications?.receivers ?? [];
  if (receivers.length === 0 || txids.size === 0) return [];
  const history = await journal.transactions();
  const ended = history.filter((t) => txids.has(t.txid) && t.end && t.end.at >= since);
  const sites = new Map(desired.sites.map((s) => [s.name, s]));
  const events = eventsOf(ended, history, sites);
  const items: OutboxItem[] = [];
  for (const event of events)
    for (const r of receivers)
      if (wants(r, event.type, sites.get(event.site) ?? { name: event.site, tags: event.siteTags }))
        items.push({
          event,
          receiver: { name: r.name, url: r.url, secretFile: r.secretFile, timeout: r.timeout },
          attempts: 0,
        });
  await enqueue(localDir, items);
  if (items.length > 0) startDeliverer(localDir);
  return events;
}

/** A deliverer in its own process group, not waited for; from the TypeScript sources (in-process tests) none. */
export function startDeliverer(localDir: string): void {
  if (!existsSync(DELIVERER)) return;
  const child = spawn(process.execPath, [DELIVERER, localDir], { detached: true, stdio: 'ignore' });
  child.on('error', () => undefined);
  child.unref();
}
