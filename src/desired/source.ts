// Where desired-state files are read from: a git revision (the default, so a
// half-edited work tree never drives a site) or, when asked, the work tree.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { spawn } from 'node:child_process';
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
  /** The git tree id of the desired-state directory at the commit: a content address of every file read. */
  tree?: string;
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
      path.resolve(opts.gitDir),
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
  // Prefix, commit and the directory's tree in one process; anything unusual takes the long way, which says what is wrong.
  const quick = rev.startsWith('-')
    ? undefined
    : await git(dir, ['rev-parse', '--show-prefix', `${rev}^{commit}`, `${rev}^{commit}:./`]).catch(() => undefined);
  const [quickPrefix, commit, tree] = (quick?.toString('utf8') ?? '').split('\n');
  if (quickPrefix !== undefined && isOid(commit) && isOid(tree))
    return gitRevision(dir, quickPrefix, shown, rev, true, { commit, tree });
  let prefix: string;
  try {
    prefix = (await git(dir, ['rev-parse', '--show-prefix'])).toString('utf8').trim();
  } catch {
    throw new InputError({
      location: { file: shown },
      message:
        'not inside a git repository; commit the desired state, or pass --worktree to read the files as they are',
    });
  }
  return gitRevision(dir, prefix, shown, rev, true);
}

function isOid(s: string | undefined): s is string {
  return s !== undefined && /^[0-9a-f]{40,64}$/.test(s);
}

/**
 * The files at a commit, read with a handful of git processes whatever their
 * number: one listing of the tree, one batch for the contents of sites.yaml
 * and the profiles (a process per file is most of the cost of a small run).
 * Neither runs until a file is asked for: a caller that knows the tree
 * (a cache keyed by it) may need none.
 */
async function gitRevision(
  cwd: string,
  prefix: string,
  shown: string,
  rev: string,
  hasWorktree: boolean,
  known?: { commit: string; tree: string },
): Promise<DesiredSource> {
  // Whether the work tree differs is asked at once, beside the rest.
  const status = hasWorktree ? git(cwd, ['status', '--porcelain', '--', '.']).catch(() => Buffer.alloc(0)) : undefined;
  const ids = known ?? (await revisionIds(cwd, prefix, shown, rev));
  const { commit } = ids;
  let tree: Promise<TreeEntry[]> | undefined;
  const entries = () =>
    (tree ??= git(cwd, ['ls-tree', '--full-tree', '-r', '-t', '-z', `${commit}:${prefix}`])
      .then((out) => parseTree(out.toString('utf8')))
      .catch(() => []));
  let contents: Promise<Map<string, Buffer>> | undefined;
  // What the loader reads: the files at the top and in profiles/.
  const wanted = (e: TreeEntry) => e.type === 'blob' && (!e.path.includes('/') || /^profiles\/[^/]+$/.test(e.path));
  const blobs = () =>
    (contents ??= entries().then((list) =>
      catFiles(
        cwd,
        list.filter(wanted).map((e) => e.oid),
      ),
    ));
  return {
    revision: commit,
    commit,
    ...(ids.tree ? { tree: ids.tree } : {}),
    dirty: rev === 'HEAD' && ((await status)?.toString().trim() ?? '') !== '',
    read: async (rel) => {
      const entry = (await entries()).find((e) => e.path === rel && e.type === 'blob');
      if (!entry) return undefined;
      const bytes = (await blobs()).get(entry.oid) ?? (await catFiles(cwd, [entry.oid])).get(entry.oid);
      return bytes?.toString('utf8');
    },
    list: async (rel) => {
      const dir = `${rel.replace(/\/+$/, '')}/`;
      return (await entries())
        .filter((e) => e.path.startsWith(dir) && !e.path.slice(dir.length).includes('/'))
        .map((e) => e.path.slice(dir.length))
        .sort();
    },
  };
}

/** The commit `rev` names and the tree of the desired-state directory in it (absent when it has none). */
async function revisionIds(
  cwd: string,
  prefix: string,
  shown: string,
  rev: string,
): Promise<{ commit: string; tree?: string }> {
  const quick = rev.startsWith('-')
    ? undefined
    : await git(cwd, ['rev-parse', `${rev}^{commit}`, `${rev}^{commit}:${prefix}`]).catch(() => undefined);
  const [quickCommit, tree] = (quick?.toString('utf8') ?? '').split('\n');
  if (isOid(quickCommit) && isOid(tree)) return { commit: quickCommit, tree };
  const commit = (
    await git(cwd, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`]).catch(() =>
      Buffer.alloc(0),
    )
  )
    .toString('utf8')
    .trim();
  if (!isOid(commit)) {
    throw new InputError({
      location: { file: shown },
      message: `unknown revision '${rev}'; expected a commit, branch or tag of the repository holding ${shown}`,
    });
  }
  return { commit };
}

interface TreeEntry {
  type: string;
  oid: string;
  path: string;
}

/** `git ls-tree -z` lines: "<mode> <type> <oid>\t<path>". */
function parseTree(out: string): TreeEntry[] {
  return out
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const tab = line.indexOf('\t');
      const [, type = '', oid = ''] = line.slice(0, tab).split(' ');
      return { type, oid, path: line.slice(tab + 1) };
    });
}

/** The contents of blobs, through one `git cat-file --batch`. */
async function catFiles(cwd: string, oids: readonly string[]): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  if (oids.length === 0) return out;
  const data = await git(cwd, ['cat-file', '--batch'], `${oids.join('\n')}\n`).catch(() => Buffer.alloc(0));
  for (let pos = 0; pos < data.length;) {
    const nl = data.indexOf(0x0a, pos);
    if (nl < 0) break;
    const [oid = '', type, size] = data.toString('utf8', pos, nl).split(' ');
    if (type === undefined || size === undefined) {
      pos = nl + 1; // "<oid> missing"
      continue;
    }
    const start = nl + 1;
    const end = start + Number(size);
    out.set(oid, data.subarray(start, end));
    pos = end + 1;
  }
  return out;
}

function git(cwd: string, args: string[], input?: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd, stdio: ['pipe', 'pipe', 'ignore'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`git ${args[0]} exited with ${code}`)),
    );
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

/**
 * The commit `rev` names now, with one git process: what a cache of the
 * desired state is keyed by. Undefined when the work tree is read (it has
 * no commit) or git cannot tell; openSource gives the error then.
 */
export async function currentCommit(opts: SourceOptions): Promise<string | undefined> {
  if (opts.worktree) return undefined;
  const cwd = path.resolve(opts.gitDir ?? opts.dir);
  const rev = `${opts.rev ?? 'HEAD'}^{commit}`;
  const out = await git(cwd, ['rev-parse', '--verify', '--quiet', '--end-of-options', rev]).catch(() => undefined);
  const commit = out?.toString('utf8').trim();
  return commit && /^[0-9a-f]{40,64}$/.test(commit) ? commit : undefined;
}

/** The repository's own git directory and its common one (they differ in a linked worktree). */
export async function gitDirsOf(opts: SourceOptions): Promise<{ gitDir: string; commonDir: string } | undefined> {
  const cwd = path.resolve(opts.gitDir ?? opts.dir);
  const out = await git(cwd, ['rev-parse', '--absolute-git-dir', '--git-common-dir']).catch(() => undefined);
  const [gitDir, common] = (out?.toString('utf8') ?? '').split('\n');
  if (!gitDir || !common) return undefined;
  return { gitDir, commonDir: path.resolve(cwd, common) };
}
