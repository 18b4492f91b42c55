// How status shows the notification outbox: what is still being sent, and
// each event no receiver took, with the receiver and the last error.
import { shownUrl } from './deliver.js';
import type { NotifyEvent } from './events.js';
import type { outboxState } from './outbox.js';

type Outbox = Awaited<ReturnType<typeof outboxState>>;

export function outboxLines(o: Outbox): string[] {
  if (o.waiting === 0 && o.undelivered.length === 0) return [];
  const lines = ['', `Notifications: ${o.waiting} being sent, ${o.undelivered.length} undelivered`];
  for (const u of o.undelivered)
    lines.push(
      `  UNDELIVERED ${u.event.type} ${subject(u.event)} to ${u.receiver.name} (${shownUrl(u.receiver.url)}) after ${u.attempts} attempts: ${u.lastError ?? 'unknown error'}`,
    );
  return lines;
}

export function outboxJson(o: Outbox) {
  return {
    waiting: o.waiting,
    undelivered: o.undelivered.map((u) => ({
      id: u.event.id,
      type: u.event.type,
      ...('site' in u.event
        ? { site: u.event.site, txid: u.event.txid }
        : { revision: u.event.revision, ...(u.event.rollout.wave ? { wave: u.event.rollout.wave } : {}) }),
      receiver: u.receiver.name,
      attempts: u.attempts,
      lastError: u.lastError,
      gaveUpAt: u.gaveUpAt,
    })),
  };
}

/** What an event is about, in a line: the site and transaction, or the rollout (and wave). */
function subject(e: NotifyEvent): string {
  if ('site' in e) return `${e.site} ${e.txid}`;
  const wave = e.rollout.wave ? `wave ${e.rollout.wave} (${e.rollout.waveName}) of ` : '';
  return `${wave}the rollout of ${e.revision.slice(0, 12)}`;
}
