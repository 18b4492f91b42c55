// state/rollout/progress.json: the progress of the current rollout (src/rollout/),
// rewritten atomically (temp file + rename, fsync'ed) after every step, so
// a kill leaves the previous step or the next, never half of one. A state/
// without the file (every state/ from before rollouts) has no rollout.
import { readFile } from 'node:fs/promises';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { InputError } from '../errors.js';
import { ROLLOUT_FORMAT, type Rollout } from '../rollout/types.js';

/** state/rollout/: the progress, and the lock of the controller driving the rollout (locks/). */
export function rolloutDir(stateDir: string): string {
  return path.join(stateDir, 'rollout');
}

export function rolloutFile(stateDir: string): string {
  return path.join(rolloutDir(stateDir), 'progress.json');
}

export async function readRollout(stateDir: string): Promise<Rollout | undefined> {
  const file = rolloutFile(stateDir);
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    const hint = e.code === 'ENOTDIR' ? ' (is --state a directory?)' : '';
    throw new InputError({ location: { file }, message: `cannot read the rollout's progress: ${e.message}${hint}` });
  });
  if (text === undefined) return undefined;
  try {
    const r = JSON.parse(text) as Rollout;
    if (r.format !== ROLLOUT_FORMAT || !Array.isArray(r.waves) || r.waves.length !== r.progress?.length)
      throw new Error(`expected a ${ROLLOUT_FORMAT} document`);
    return r;
  } catch (e) {
    throw new InputError({
      location: { file, line: 1 },
      message: `corrupt rollout progress: ${(e as Error).message}; remove the file to start the rollout again from wave 1`,
    });
  }
}

export async function writeRollout(stateDir: string, r: Rollout): Promise<void> {
  mkdirSync(rolloutDir(stateDir), { recursive: true });
  await writeFileAtomic(rolloutFile(stateDir), `${JSON.stringify(r, null, 1)}\n`, { fsync: true });
}
