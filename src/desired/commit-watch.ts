// What HEAD names, asked of git only when the files that decide it changed.
// serve answers every scrape from its report cache, and a git process per
// scrape cost more than the rest of a warm scrape. HEAD moves only when
// .git/HEAD, the branch's ref file or packed-refs change; while their stamps
// are the same (and settled: unchanged for a few seconds, as in the plan
// cache's stat index), the commit is the one git gave last time.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isSettled, stampNow, stampText } from '../plan-cache/file-stamp.js';
import { currentCommit, gitDirsOf, type SourceOptions } from './source.js';

export class CommitWatch {
  private dirs: Promise<{ gitDir: string; commonDir: string } | undefined> | undefined;
  private known: { stamps: string; commit: string } | undefined;
  /** How often git was asked (for tests). */
  asked = 0;

  constructor(
    private readonly opts: SourceOptions,
    private readonly now: () => number = Date.now,
  ) {}

  async commit(): Promise<string | undefined> {
    if (this.opts.worktree) return undefined;
    // Other revisions (tags, remote branches) are asked every time: serve rarely reads one.
    const stamps = (this.opts.rev ?? 'HEAD') === 'HEAD' ? await this.refStamps() : undefined;
    if (stamps !== undefined && this.known?.stamps === stamps) return this.known.commit;
    this.asked++;
    const commit = await currentCommit(this.opts);
    this.known = stamps !== undefined && commit !== undefined ? { stamps, commit } : undefined;
    return commit;
  }

  private async refStamps(): Promise<string | undefined> {
    this.dirs ??= gitDirsOf(this.opts);
    const dirs = await this.dirs;
    if (!dirs || existsSync(path.join(dirs.commonDir, 'reftable'))) return undefined;
    let head: string;
    try {
      head = readFileSync(path.join(dirs.gitDir, 'HEAD'), 'utf8');
    } catch {
      return undefined;
    }
    const ref = /^ref: (refs\/[^\n]+)\n?$/.exec(head)?.[1];
    const files = [path.join(dirs.gitDir, 'HEAD'), path.join(dirs.commonDir, 'packed-refs')];
    if (ref) files.push(path.join(dirs.commonDir, ref));
    const nowNs = BigInt(Math.floor(this.now())) * 1_000_000n;
    const parts: string[] = [head];
    for (const f of files) {
      const st = stampNow(f);
      if (st === undefined) return undefined;
      if (st === 'absent') {
        parts.push('-');
        continue;
      }
      if (!isSettled(st, nowNs)) return undefined;
      parts.push(stampText(st));
    }
    return parts.join('\n');
  }
}
