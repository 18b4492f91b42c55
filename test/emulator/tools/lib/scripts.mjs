// +INSTALL / +DEINSTALL scripts (test-only), run as pkg_install's fcexec()
// runs them: the script file itself is executed (it needs its #! line), in
// the package's pkgdb directory, with the package name and the stage as its
// two arguments and PKG_PREFIX, PKG_METADATA_DIR, PKG_REFCOUNT_DBDIR set.
// Its output goes straight to the tool's stdout/stderr.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

/**
 * Run one stage of a package script. Returns 'ok', 'failed' (it exited
 * non-zero or was killed) or the errno code when it could not be executed.
 */
export function runScript(file, { cwd, pkgname, stage, prefix, metadataDir, refcountDir }) {
  const env = { ...process.env, PKG_PREFIX: prefix, PKG_METADATA_DIR: metadataDir, PKG_REFCOUNT_DBDIR: refcountDir };
  const r = spawnSync(file, [pkgname, stage], { cwd, env, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.error) return r.error.code ?? 'EIO';
  return r.status === 0 ? 'ok' : 'failed';
}

export const hasScript = (file) => fs.existsSync(file);

/** strerror() for the exec failures a script can meet. */
export const STRERROR = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  ENOEXEC: 'Exec format error',
};
