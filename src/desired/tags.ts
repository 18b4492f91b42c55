// The tags pointing at a commit: recorded with each transaction so a
// rollback can find what a tag produced.
import { simpleGit } from 'simple-git';

export async function tagsAt(dir: string, commit: string | undefined): Promise<string[]> {
  if (!commit) return [];
  const out = await simpleGit({ baseDir: dir })
    .raw(['tag', '--points-at', commit])
    .catch(() => '');
  return out
    .split('\n')
    .map((t) => t.trim())
    .filter(Boolean)
    .sort();
}
