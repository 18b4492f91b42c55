// How status shows the notification outbox: what is still being sent, and
// each event no receiver took, with the receiver and the last error.
import { shownUrl } from './deliver.js';
import type { outboxState } from './outbox.js';

type Outbox = Awaited<ReturnType<typeof outboxState>>;

export function outboxLines(o: Outbox): string[] {
  if (o.waiting === 0 && o.undelivered.length === 0) return [];
  const lines = ['', `Notifications: ${o.waiting} being sent, ${o.undelivered.length} undelivered`];
  for (const u of o.undelivered)
    lines.push(
      `  UNDELIVERED ${u.event.type} ${u.event.site} ${u.event.txid} to ${u.receiver.name} (${shownUrl(u.receiver.url)}) after ${u.attempts} attempts: ${u.lastError ?? 'unknown error'}`,
    );
  return lines;
}

export function outboxJson(o: Outbox) {
  return {
    waiting: o.waiting,
    undelivered: o.undelivered.map((u) => ({
      id: u.event.id,
      type: u.event.type,
      site: u.event.site,
      txid: u.event.txid,
      receiver: u.receiver.name,
      attempts: u.attempts,
      lastError: u.lastError,
      gaveUpAt: u.gaveUpAt,
    })),
  };
}
