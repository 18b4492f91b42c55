// TEST-ONLY pkgsrc site emulator: emulated pkg_install tools, binary
// packages, pkg_summary, bootstrap kits and the overlap log. See README.md.
export * from './install.js';
export * from './packages.js';
export * from './log.js';
export * from './captured.js';
