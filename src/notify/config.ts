// desired-state/notifications.yaml (schemas/notifications.schema.json): the
// webhook receivers, each with what it subscribes to. Read with the desired
// state, so a bad receiver is a file:line:col error like any other.
import type { Problem } from '../errors.js';
import { siteMatcher } from '../desired/site-words.js';
import type { ResolvedSite } from '../desired/types.js';
import { locate, type YamlSource } from '../desired/yaml-source.js';

/** Events of one site's transaction. */
export const TRANSACTION_EVENTS = [
  'transaction.failed',
  'transaction.not-validated',
  'rollback.done',
  'drift.found',
] as const;
/** Events of a staged rollout (rollout.yaml). */
export const ROLLOUT_EVENTS = ['wave.halted', 'rollout.completed'] as const;
export const EVENT_TYPES = [...TRANSACTION_EVENTS, ...ROLLOUT_EVENTS] as const;
export type EventType = (typeof EVENT_TYPES)[number];
export type RolloutEventType = (typeof ROLLOUT_EVENTS)[number];

export interface Receiver {
  name: string;
  url: string;
  /** The HMAC key is read from here when sending, never kept or printed. */
  secretFile: string;
  events: EventType[];
  /** Site words (name, glob, tag:T); undefined: every site. */
  sites?: string[];
  /** Seconds per attempt. */
  timeout: number;
}

export interface NotifyConfig {
  receivers: Receiver[];
}

interface RawReceiver {
  name: string;
  url: string;
  secret_file: string;
  events?: EventType[];
  sites?: string[];
  timeout?: number;
}

export function readNotifications(src: YamlSource, problems: Problem[], sites: readonly ResolvedSite[]): NotifyConfig {
  const raw = (src.value as { receivers: RawReceiver[] }).receivers;
  const seen = new Set<string>();
  const receivers: Receiver[] = [];
  raw.forEach((r, i) => {
    if (seen.has(r.name))
      problems.push({ location: locate(src, ['receivers', i, 'name']), message: `duplicate receiver '${r.name}'` });
    seen.add(r.name);
    (r.sites ?? []).forEach((w, j) => {
      if (!sites.some(siteMatcher(w)))
        problems.push({
          location: locate(src, ['receivers', i, 'sites', j]),
          message: `'${w}' selects no site of sites.yaml; expected a site name, a glob or tag:T`,
        });
    });
    receivers.push({
      name: r.name,
      url: r.url,
      secretFile: r.secret_file,
      events: r.events ?? [...EVENT_TYPES],
      ...(r.sites ? { sites: r.sites } : {}),
      timeout: r.timeout ?? 5,
    });
  });
  return { receivers };
}

/** Whether a receiver wants an event of this type at this site (a rollout's event: at any of its sites). */
export function wants(
  r: Receiver,
  type: EventType,
  sites: Pick<ResolvedSite, 'name' | 'tags'> | readonly Pick<ResolvedSite, 'name' | 'tags'>[],
): boolean {
  const any = Array.isArray(sites) ? sites : [sites as Pick<ResolvedSite, 'name' | 'tags'>];
  return r.events.includes(type) && (r.sites === undefined || r.sites.some((w) => any.some(siteMatcher(w))));
}
