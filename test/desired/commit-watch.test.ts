// HEAD's commit is taken again from git exactly when a file that decides it
// changed: a commit on the branch, a switch of branch, packed refs, a reset.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CommitWatch } from '../../src/desired/commit-watch.js';
import { commitDesired, desiredRepo, git } from '../helpers/tmp.js';

const later = () => Date.now() + 60_000;

describe('CommitWatch', () => {
  it('asks git only when HEAD, its ref or packed-refs changed, and always names the commit git would', async () => {
    const files = { 'sites.yaml': 'sites: []\n' };
    const repo = desiredRepo(files);
    const watch = new CommitWatch({ dir: path.join(repo, 'desired-state') }, later);
    const head = () => git(repo, 'rev-parse', 'HEAD');

    expect(await watch.commit()).toBe(head());
    expect(await watch.commit()).toBe(head());
    expect(watch.asked).toBe(1);

    commitDesired(repo, files, 'second');
    expect(await watch.commit()).toBe(head());
    expect(watch.asked).toBe(2);

    git(repo, 'checkout', '-q', '-b', 'other');
    commitDesired(repo, files, 'on other');
    expect(await watch.commit()).toBe(head());
    git(repo, 'pack-refs', '--all');
    expect(await watch.commit()).toBe(head());
    git(repo, 'reset', '-q', '--hard', 'HEAD~1');
    expect(await watch.commit()).toBe(head());
    git(repo, 'checkout', '-q', 'main');
    expect(await watch.commit()).toBe(head());
    const asked = watch.asked;
    expect(await watch.commit()).toBe(head());
    expect(watch.asked).toBe(asked);
  });

  it('asks every time while the ref files are fresh, or for another revision', async () => {
    const repo = desiredRepo({ 'sites.yaml': 'sites: []\n' });
    const fresh = new CommitWatch({ dir: path.join(repo, 'desired-state') });
    await fresh.commit();
    await fresh.commit();
    expect(fresh.asked).toBe(2);
    const tagged = new CommitWatch({ dir: path.join(repo, 'desired-state'), rev: 'main' }, later);
    await tagged.commit();
    await tagged.commit();
    expect(tagged.asked).toBe(2);
    expect(await new CommitWatch({ dir: repo, worktree: true }).commit()).toBeUndefined();
  });
});
