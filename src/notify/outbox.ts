// The notification outbox under the local state directory (notify/): one
// file per event and receiver, moved between directories by atomic renames
// so that two deliverers never send the same one and nothing is lost:
//   pending/      waiting for a deliverer
//   inflight/     claimed by the deliverer whose pid ends the name
//   undelivered/  retries used up: shown by `status` until removed
// and delivered.jsonl, one line per event delivered.
import { appendFile, mkdir, readdir, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { Receiver } from './config.js';
import type { NotifyEvent } from './events.js';

export interface OutboxItem {
  event: NotifyEvent;
  receiver: Pick<Receiver, 'name' | 'url' | 'secretFile' | 'timeout'>;
  attempts: number;
  /** Why the last attempt failed. */
  lastError?: string;
  /** When the item was given up on. */
  gaveUpAt?: string;
}

const dir = (localDir: string, sub: string) => path.join(localDir, 'notify', sub);
const nameOf = (item: OutboxItem) => `${item.event.id}.${item.receiver.name}.json`.replace(/[^A-Za-z0-9._-]/g, '_');

export async function enqueue(localDir: string, items: readonly OutboxItem[]): Promise<void> {
  if (items.length === 0) return;
  await mkdir(dir(localDir, 'pending'), { recursive: true });
  for (const item of items) {
    // Named by event and receiver: queueing the same one again replaces it rather than sending it twice.
    const name = nameOf(item);
    await writeFileAtomic(path.join(dir(localDir, 'pending'), name), JSON.stringify(item), { fsync: true });
  }
}

/** Claim every pending item, and any inflight one whose deliverer died: they are this process's now. */
export async function claimAll(localDir: string, pid = process.pid): Promise<{ file: string; item: OutboxItem }[]> {
  const inflight = dir(localDir, 'inflight');
  await mkdir(inflight, { recursive: true });
  const claimed: { file: string; item: OutboxItem }[] = [];
  const take = async (from: string, base: string) => {
    const to = path.join(inflight, `${base}@${pid}`);
    try {
      await rename(from, to);
    } catch {
      return; // another deliverer took it
    }
    try {
      claimed.push({ file: to, item: JSON.parse(await readFile(to, 'utf8')) as OutboxItem });
    } catch {
      await unlink(to).catch(() => undefined);
    }
  };
  for (const n of await readdir(dir(localDir, 'pending')).catch(() => [] as string[]))
    if (n.endsWith('.json')) await take(path.join(dir(localDir, 'pending'), n), n);
  for (const n of await readdir(inflight)) {
    const m = /^(.*\.json)@(\d+)$/.exec(n);
    if (m && Number(m[2]) !== pid && !alive(Number(m[2]))) await take(path.join(inflight, n), m[1]!);
  }
  return claimed;
}

export async function markDelivered(localDir: string, file: string, item: OutboxItem, at: string): Promise<void> {
  const line = { id: item.event.id, receiver: item.receiver.name, at, attempts: item.attempts };
  await appendFile(path.join(localDir, 'notify', 'delivered.jsonl'), `${JSON.stringify(line)}\n`);
  await unlink(file).catch(() => undefined);
}

export async function markUndelivered(localDir: string, file: string, item: OutboxItem): Promise<void> {
  await mkdir(dir(localDir, 'undelivered'), { recursive: true });
  await writeFileAtomic(path.join(dir(localDir, 'undelivered'), nameOf(item)), JSON.stringify(item), { fsync: true });
  await unlink(file).catch(() => undefined);
}

/** Items waiting or being sent, and those given up on (for status). */
export async function outboxState(localDir: string): Promise<{ waiting: number; undelivered: OutboxItem[] }> {
  const count = async (sub: string) => (await readdir(dir(localDir, sub)).catch(() => [] as string[])).length;
  const names = await readdir(dir(localDir, 'undelivered')).catch(() => [] as string[]);
  const undelivered: OutboxItem[] = [];
  for (const n of names.sort()) {
    const text = await readFile(path.join(dir(localDir, 'undelivered'), n), 'utf8').catch(() => undefined);
    if (text) undelivered.push(JSON.parse(text) as OutboxItem);
  }
  return { waiting: (await count('pending')) + (await count('inflight')), undelivered };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
