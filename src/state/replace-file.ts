// Replace a state file in one rename, so a reader (or a crash) sees the old
// content or the new, never a mix. What write-file-atomic does, without what
// state files do not need and a run pays per job: resolving the path's
// symlinks (one lstat per directory level), copying the old file's mode and
// owner (a stat, a chown), and an exit hook per write.
import { open, rename, rm } from 'node:fs/promises';

let serial = 0;

/**
 * Write `text` to `file` through a temporary file beside it and a rename.
 * `durable`: fsync the content before the rename, so after a power loss the
 * file is the old one or the whole new one (not an empty one).
 */
export async function replaceFile(file: string, text: string, opts: { durable: boolean }): Promise<void> {
  const tmp = `${file}.${process.pid}.${serial++}.tmp`;
  try {
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(text);
      if (opts.durable) await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
