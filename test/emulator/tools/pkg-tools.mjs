#!/usr/bin/env node
// TEST-ONLY emulator of NetBSD pkg_install 20130131 (pkg_add, pkg_delete,
// pkg_info, pkg_admin) for vo-reconcile's tests. Not pkgsrc; never shipped.
//
//   node pkg-tools.mjs pkg_add [flags] NAME...     (or invoked as .../pkg_add)
//
// The site prefix comes from VO_EMULATOR_PREFIX (set by the sbin/ wrappers
// that test/emulator/install.ts writes); PKG_DBDIR defaults to $prefix/pkgdb,
// PKG_PATH (';'-separated directories of binary packages) from the
// environment or $prefix/etc/pkg_install.conf. Faults: $prefix/etc/emulator.json.
import path from 'node:path';
import { Exit, setProgName } from './lib/common.mjs';

const TOOLS = {
  pkg_add: async (a) => (await import('./lib/add.mjs')).pkgAdd(a),
  pkg_delete: async (a) => (await import('./lib/delete.mjs')).pkgDelete(a),
  pkg_info: async (a) => (await import('./lib/info.mjs')).pkgInfo(a),
  pkg_admin: async (a) => (await import('./lib/admin.mjs')).pkgAdmin(a),
};

async function main(argv) {
  let name = path.basename(argv[1] ?? '');
  let args = argv.slice(2);
  if (!(name in TOOLS)) {
    name = args[0] ?? '';
    args = args.slice(1);
  }
  const tool = TOOLS[name];
  if (!tool) {
    process.stderr.write(`usage: pkg-tools.mjs {${Object.keys(TOOLS).join('|')}} [args...]\n`);
    return 64;
  }
  setProgName(name);
  try {
    return await tool(args);
  } catch (e) {
    if (e instanceof Exit) return e.code;
    process.stderr.write(`${name}: emulator internal error: ${e?.stack ?? e}\n`);
    return 70;
  }
}

process.exitCode = await main(process.argv);
