// Parser and printer for pkg_info's one-line-per-package listings (`pkg_info`,
// `-a`, `-u`) and for `pkg_info -Q VAR` values. The listing is
// printf("%-19s ", pkgname) + comment: names of 19+ characters are not
// truncated, so we cannot cut at a fixed column. The parser runs over
// thousands of site inventories, so it scans with indexOf and never
// backtracks; all problems are collected before throwing.

import { InputError, type Problem } from '../errors.js';
import { diagnosePkgName } from './pkgname.js';

export interface PkgInfoEntry {
  pkgname: string;
  comment: string;
  /** 1-based line in the parsed text. */
  line: number;
}

/** Width pkg_info pads names to; one more space always follows. */
const NAME_FIELD = 19;

/**
 * End offset of the text without trailing whitespace-only lines, so a final
 * blank line (or several) is tolerated, while blank lines between packages
 * are still reported.
 */
function contentEnd(text: string): number {
  let end = text.length;
  while (end > 0) {
    const nl = text.lastIndexOf('\n', end - 1);
    for (let i = nl + 1; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return end;
    }
    end = nl < 0 ? 0 : nl;
  }
  return 0;
}

/**
 * Where the comment starts. When the padding is as pkg_info prints it, the
 * comment begins right after it, so leading spaces of a comment survive;
 * hand-written or reformatted listings with less padding are accepted too
 * (the run of spaces simply ends early).
 */
function commentStart(text: string, nameEnd: number, lineEnd: number, nameLen: number): number {
  const want = (nameLen < NAME_FIELD ? NAME_FIELD - nameLen : 0) + 1;
  let i = nameEnd;
  while (i < lineEnd && i - nameEnd < want && text.charCodeAt(i) === 0x20) i++;
  return i;
}

interface LineContext {
  text: string;
  file: string;
  problems: Problem[];
  seen: Set<string>;
  out: PkgInfoEntry[];
}

function parseLine(ctx: LineContext, start: number, end: number, line: number): void {
  const { text, file, problems } = ctx;
  let sp = text.indexOf(' ', start);
  if (sp < 0 || sp > end) sp = end;
  if (sp === start) {
    const got = start === end ? 'an empty line' : 'a space';
    problems.push({
      location: { file, line, column: 1 },
      message: `expected a package name BASE-VERSION at the start of the line, got ${got}`,
    });
    return;
  }
  const pkgname = text.slice(start, sp);
  const bad = diagnosePkgName(pkgname);
  if (bad) {
    problems.push({ location: { file, line, column: bad.offset + 1 }, message: bad.expected });
    return;
  }
  // One hash lookup per line (add + size check) instead of has + add: this
  // set is a large share of the cost of parsing a clean listing.
  const before = ctx.seen.size;
  ctx.seen.add(pkgname);
  if (ctx.seen.size === before) {
    const earlier = ctx.out.find((e) => e.pkgname === pkgname)?.line;
    problems.push({
      location: { file, line, column: 1 },
      message: `duplicate package ${pkgname}, already listed on line ${earlier}; expected each package once`,
    });
    return;
  }
  const comment = text.slice(commentStart(text, sp, end, pkgname.length), end);
  ctx.out.push({ pkgname, comment, line });
}

function nulProblem(text: string, start: number, end: number, file: string, line: number): Problem | null {
  const nul = text.indexOf('\0', start);
  if (nul < 0 || nul >= end) return null;
  return {
    location: { file, line, column: nul - start + 1 },
    message: 'unexpected NUL byte; expected text output of pkg_info',
  };
}

/**
 * Parses `pkg_info` / `pkg_info -a` / `pkg_info -u` output. Empty input is an
 * empty inventory (a fresh site). Throws InputError listing every bad line.
 */
export function parsePkgInfo(text: string, opts: { file?: string } = {}): PkgInfoEntry[] {
  const file = opts.file ?? '<pkg_info>';
  const ctx: LineContext = { text, file, problems: [], seen: new Set(), out: [] };
  // One scan up front keeps the NUL check off the hot path for clean input.
  const hasNul = text.indexOf('\0') >= 0;
  const stop = contentEnd(text);
  let pos = 0;
  let line = 1;
  while (pos < stop) {
    let eol = text.indexOf('\n', pos);
    if (eol < 0 || eol > stop) eol = stop;
    const end = eol > pos && text.charCodeAt(eol - 1) === 0x0d ? eol - 1 : eol;
    const nul = hasNul ? nulProblem(text, pos, end, file, line) : null;
    if (nul) ctx.problems.push(nul);
    else parseLine(ctx, pos, end, line);
    pos = eol + 1;
    line++;
  }
  if (ctx.problems.length > 0) throw new InputError(ctx.problems);
  return ctx.out;
}

/** Prints entries exactly as pkg_info does: `%-19s ` + comment + newline. */
export function formatPkgInfo(entries: readonly { pkgname: string; comment: string }[]): string {
  let s = '';
  for (const e of entries) s += e.pkgname.padEnd(NAME_FIELD) + ' ' + e.comment + '\n';
  return s;
}

/**
 * Value printed by `pkg_info -Q VAR PKG`. An unset variable prints nothing,
 * which we return as ''. The value is otherwise verbatim (`yes`, `YES`, ...).
 */
export function parsePkgInfoQuery(text: string): string {
  if (text.endsWith('\r\n')) return text.slice(0, -2);
  if (text.endsWith('\n')) return text.slice(0, -1);
  return text;
}

/**
 * Parses `pkg_info -n -a` (or `pkg_info -n PKG...`): per package an
 * `Information for PKGNAME:` header, then, only when it has dependencies,
 * `Requires:` and one DEPENDS pattern a line, each block ending in blank
 * lines (info/show.c show_depends). Returns each listed package's DEPENDS
 * in listing order; a package with none maps to []. Throws InputError
 * listing every line that is not part of that format.
 */
export function parsePkgInfoDepends(text: string, opts: { file?: string } = {}): Map<string, string[]> {
  const file = opts.file ?? '<pkg_info -n>';
  const out = new Map<string, string[]>();
  const problems: Problem[] = [];
  let current: string[] | undefined;
  let inRequires = false;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.endsWith('\r') ? lines[i]!.slice(0, -1) : lines[i]!;
    const at = { file, line: i + 1, column: 1 };
    if (line.trim() === '') {
      inRequires = false;
      continue;
    }
    const header = /^Information for (.*):$/.exec(line);
    if (header) {
      const pkgname = header[1]!;
      const bad = diagnosePkgName(pkgname);
      if (bad)
        problems.push({
          location: { ...at, column: 'Information for '.length + bad.offset + 1 },
          message: bad.expected,
        });
      else if (out.has(pkgname))
        problems.push({ location: at, message: `duplicate package ${pkgname}; expected each package once` });
      else out.set(pkgname, (current = []));
      inRequires = false;
      continue;
    }
    if (line === 'Requires:' && current) {
      inRequires = true;
      continue;
    }
    if (line.startsWith('*** PACKAGE MAY NOT BE DELETED ***')) continue;
    if (inRequires && current && !/[\s\0]/.test(line)) {
      current.push(line);
      continue;
    }
    problems.push({
      location: at,
      message: inRequires
        ? 'expected a DEPENDS pattern without spaces'
        : "expected 'Information for PKGNAME:' or 'Requires:' (the output of pkg_info -n)",
    });
  }
  if (problems.length > 0) throw new InputError(problems);
  return out;
}
