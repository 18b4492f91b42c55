// After a run: the events its transactions (and its rollout) made, queued for each receiver
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
import { rolloutEvents } from './rollout-events.js';
import type { Rollout } from '../rollout/types.js';

const DELIVERER = fileURLToPath(new URL('./deliver-main.js', import.meta.url));

/** What a staged rollout's run saw: its progress as the run found it and as the run left it. */
export interface RolloutTransition {
  before?: Rollout;
  after: Rollout;
  /** Git tags pointing at the rollout's revision. */
  tags?: string[];
}

/**
 * Queue the events of the transactions `txids` that ended since `since`
 * (ISO), and of the rollout the run drove, and start delivering.
 */
export async function notifyRun(
  desired: DesiredState,
  journal: Pick<JournalStore, 'transactions'>,
  localDir: string,
  txids: ReadonlySet<string>,
  since: string,
  rollout?: RolloutTransition,
): Promise<NotifyEvent[]> {
  const receivers = desired.notifications?.receivers ?? [];
  if (receivers.length === 0) return [];
  const sites = new Map(desired.sites.map((s) => [s.name, s]));
  const events: NotifyEvent[] = [];
  if (txids.size > 0) {
    const history = await journal.transactions();
    const ended = history.filter((t) => txids.has(t.txid) && t.end && t.end.at >= since);
    events.push(...eventsOf(ended, history, sites));
  }
  if (rollout) events.push(...rolloutEvents(rollout.before, rollout.after, rollout.tags));
  const about = (e: NotifyEvent) =>
    'site' in e
      ? (sites.get(e.site) ?? { name: e.site, tags: e.siteTags })
      : e.sites.map((name) => sites.get(name) ?? { name, tags: [] });
  const items: OutboxItem[] = [];
  for (const event of events)
    for (const r of receivers)
      if (wants(r, event.type, about(event)))
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
