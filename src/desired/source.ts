// Where desired-state files are read from: a git revision (the default, so a
// half-edited work tree never drives a site) or, when asked, the work tree.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { InputError } from '../errors.js';

export interface DesiredSource {
  /** "worktree" or the full commit id. */
  revision: string;
  commit?: string;
  /** The text of a file relative to the desired-state directory, or undefined if absent. */
  read(rel: string): Promise<string | undefined>;
  /** File names (not paths) directly inside a directory relative to the desired-state directory. */
  list(rel: string): Promise<string[]>;
  /** True when the work tree differs from the revision being read. */
  dirty?: boolean;
}

export interface SourceOptions {
  dir: string;
  rev?: string;
  worktree?: boolean;
  /**
   * Read from this git repository (bare or not; what hooks see) with `dir`
   * as the desired-state path inside it, instead of a checked-out directory.
   */
  gitDir?: string;
}

export async function openSource(opts: SourceOptions): Promise<DesiredSource> {
  if (opts.gitDir) {
    const inRepo = opts.dir.replace(/^\.\/+/, '').replace(/\/+$/, '');
    return gitRevision(
      simpleGit({ baseDir: path.resolve(opts.gitDir) }),
      inRepo === '' || inRepo === '.' ? '' : `${inRepo}/`,
      opts.dir,
      opts.rev ?? 'HEAD',
      false,
    );
  }
  const dir = path.resolve(opts.dir);
  const st = await stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) {
    throw new InputError({
      location: { file: opts.dir },
      message: 'desired-state directory not found; expected a directory holding sites.yaml (see --desired)',
    });
  }
  return opts.worktree ? worktreeSource(dir) : gitSource(dir, opts.dir, opts.rev ?? 'HEAD');
}

function worktreeSource(dir: string): DesiredSource {
  return {
    revision: 'worktree',
    read: (rel) => readFile(path.join(dir, rel), 'utf8').catch(notFound),
    list: async (rel) => {
      const entries = await readdir(path.join(dir, rel), { withFileTypes: true }).catch(() => []);
      return entries
        .filter((e) => e.isFile())
        .map((e) => e.name)
        .sort();
    },
  };
}

function notFound(e: NodeJS.ErrnoException): undefined {
  if (e.code === 'ENOENT') return undefined;
  throw e;
}

async function gitSource(dir: string, shown: string, rev: string): Promise<DesiredSource> {
  const git: SimpleGit = simpleGit({ baseDir: dir });
  let prefix: string;
  try {
    prefix = (await git.revparse(['--show-prefix'])).trim();
  } catch {
    throw new InputError({
      location: { file: shown },
      message:
        'not inside a git repository; commit the desired state, or pass --worktree to read the files as they are',
    });
  }
  return gitRevision(git, prefix, shown, rev, true);
}

async function gitRevision(
  git: SimpleGit,
  prefix: string,
  shown: string,
  rev: string,
  hasWorktree: boolean,
): Promise<DesiredSource> {
  let commit: string;
  try {
    commit = (await git.raw(['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`])).trim();
  } catch {
    commit = '';
  }
  if (!/^[0-9a-f]{40,64}$/.test(commit)) {
    throw new InputError({
      location: { file: shown },
      message: `unknown revision '${rev}'; expected a commit, branch or tag of the repository holding ${shown}`,
    });
  }
  const status = hasWorktree ? await git.raw(['status', '--porcelain', '--', '.']).catch(() => '') : '';
  return {
    revision: commit,
    commit,
    dirty: rev === 'HEAD' && status.trim() !== '',
    read: async (rel) => {
      try {
        return await git.show([`${commit}:${prefix}${rel}`]);
      } catch {
        return undefined;
      }
    },
    list: async (rel) => {
      // `<commit>:<path>` names the tree itself, independent of the cwd.
      const out = await git
        .raw(['ls-tree', '--full-tree', '-z', '--name-only', `${commit}:${prefix}${rel}`])
        .catch(() => '');
      return out.split('\0').filter(Boolean).sort();
    },
  };
}
