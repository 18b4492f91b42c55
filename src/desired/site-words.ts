// Words that select sites (--site, hold, release, a receiver's `sites`): a
// name, a glob over names (`DESY-*`) or `tag:T` for the sites tagged T.
import { compileGlob, globMatch } from '../pkgsrc/fnmatch.js';
import type { ResolvedSite } from './types.js';

export function siteMatcher(word: string): (s: Pick<ResolvedSite, 'name' | 'tags'>) => boolean {
  if (word.startsWith('tag:')) {
    const tag = word.slice(4);
    return (s) => s.tags.includes(tag);
  }
  if (!/[*?[]/.test(word)) return (s) => s.name === word;
  const glob = compileGlob(word);
  return (s) => globMatch(glob, s.name);
}
