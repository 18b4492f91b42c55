// TEST-ONLY: install the pkg_install emulator (tools/pkg-tools.mjs) into a
// site prefix as $prefix/sbin/{pkg_add,pkg_delete,pkg_info,pkg_admin}, and
// run those tools. The product never imports anything from test/emulator.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The emulator program; the wrappers exec it by absolute path. */
export const TOOLS_SCRIPT = fileURLToPath(new URL('./tools/pkg-tools.mjs', import.meta.url));
export const TOOL_NAMES = ['pkg_add', 'pkg_delete', 'pkg_info', 'pkg_admin'] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

/** $prefix/etc/emulator.json, read by every pkg_add/pkg_delete run (and by pkg_admin set/unset). */
export interface EmulatorFaults {
  /** Sleep this long (after logging "start") before each pkg_add/pkg_delete. */
  delayMs?: number;
  /** pkg_add of these (pkgname or base name) fails, exit 1. */
  failAdd?: string[];
  /** pkg_add of these exits 0 but installs nothing. */
  lieAdd?: string[];
  /** pkg_delete of these fails, exit 1. */
  failDelete?: string[];
  /** pkg_admin set/unset cannot write these packages' +INSTALLED_INFO (as an entry the user may not write), exit 1. */
  failAdmin?: string[];
  /** The host pkg_add compares +BUILD_INFO with (default Linux / x86_64 / 6.1.0-amd64). */
  opsys?: string;
  machineArch?: string;
  osVersion?: string;
}

export interface InstallOptions {
  /** Default PKG_PATH, written to $prefix/etc/pkg_install.conf (the environment still wins). */
  pkgPath?: string;
  /** More pkg_install.conf variables (PKGVULNDIR, IGNORE_URL, CHECK_END_OF_LIFE...). */
  config?: Record<string, string | string[]>;
  faults?: EmulatorFaults;
}

export interface EmulatorSite {
  prefix: string;
  sbin: string;
  dbdir: string;
  /** Absolute path of one tool's wrapper. */
  tool(name: ToolName): string;
}

export interface RunResult {
  exit: number;
  stdout: string;
  stderr: string;
}

const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The sbin/ wrapper for one tool. It finds its prefix from its own location
 * (so a bootstrap kit can be unpacked anywhere), uses only shell builtins and
 * absolute paths, and so works under `env -i` and for another user.
 */
export function wrapperScript(tool: ToolName): string {
  return `#!/bin/sh
# vo-reconcile TEST EMULATOR of pkg_install's ${tool} (test/emulator); not pkgsrc.
case $0 in */*) vo_d=\${0%/*} ;; *) vo_d=. ;; esac
VO_EMULATOR_PREFIX=$(CDPATH= cd -- "$vo_d/.." && pwd)
export VO_EMULATOR_PREFIX
exec ${shq(process.execPath)} ${shq(TOOLS_SCRIPT)} ${tool} "$@"
`;
}

/** Write sbin/ wrappers and an empty pkgdb/ under root. */
export function writeToolTree(root: string): void {
  mkdirSync(path.join(root, 'sbin'), { recursive: true });
  mkdirSync(path.join(root, 'pkgdb'), { recursive: true });
  for (const t of TOOL_NAMES) {
    const p = path.join(root, 'sbin', t);
    writeFileSync(p, wrapperScript(t));
    chmodSync(p, 0o755);
  }
}

export function installEmulator(prefix: string, opts: InstallOptions = {}): EmulatorSite {
  const root = path.resolve(prefix);
  writeToolTree(root);
  const conf: Record<string, string | string[]> = { ...opts.config };
  if (opts.pkgPath !== undefined) conf['PKG_PATH'] = opts.pkgPath;
  if (Object.keys(conf).length > 0) writeConfig(root, conf);
  if (opts.faults) setFaults(root, opts.faults);
  return {
    prefix: root,
    sbin: path.join(root, 'sbin'),
    dbdir: path.join(root, 'pkgdb'),
    tool: (name) => path.join(root, 'sbin', name),
  };
}

/** $prefix/etc/pkg_install.conf (a list value gives one line per element). */
export function writeConfig(prefix: string, conf: Record<string, string | string[]>): void {
  const lines = Object.entries(conf).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${k}=${x}`));
  writeAtomic(path.join(prefix, 'etc', 'pkg_install.conf'), `${lines.join('\n')}\n`);
}

/** Set (or with undefined, clear) the fault injection of a site. */
export function setFaults(prefix: string, faults: EmulatorFaults | undefined): void {
  const file = path.join(prefix, 'etc', 'emulator.json');
  if (faults === undefined) rmSync(file, { force: true });
  else writeAtomic(file, `${JSON.stringify(faults, null, 2)}\n`);
}

function writeAtomic(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp.${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** A minimal environment for a tool run: PATH plus what the caller gives (undefined removes). */
function toolEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const res: NodeJS.ProcessEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LC_ALL: 'C' };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete res[k];
    else res[k] = v;
  }
  return res;
}

/** Run $prefix/sbin/<tool> synchronously. */
export function runTool(
  prefix: string,
  tool: ToolName,
  args: readonly string[],
  env: Record<string, string | undefined> = {},
  opts: { cwd?: string } = {},
): RunResult {
  const r = spawnSync(path.join(prefix, 'sbin', tool), [...args], {
    env: toolEnv(env),
    encoding: 'utf8',
    cwd: opts.cwd,
  });
  if (r.error) throw r.error;
  return { exit: r.status ?? 128 + 9, stdout: r.stdout, stderr: r.stderr };
}

/** Run $prefix/sbin/<tool> without blocking (for concurrency tests). */
export function runToolAsync(
  prefix: string,
  tool: ToolName,
  args: readonly string[],
  env: Record<string, string | undefined> = {},
  opts: { cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(prefix, 'sbin', tool), [...args], { env: toolEnv(env), cwd: opts.cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ exit: code ?? (signal ? 128 + 9 : 1), stdout, stderr }));
  });
}
