// What the planner needs of a pkg_summary (each record's PKGNAME, DEPENDS
// and CONFLICTS), read straight from its uncompressed bytes. A repository summary
// is megabytes of DESCRIPTION lines: this checks every line as
// parsePkgSummary does but keeps only those two variables, never decodes
// the whole file, and makes flat strings. Anything it cannot prove clean
// goes to parsePkgSummary, which accepts or reports exactly as before.
import { parsePkgSummary } from '../pkgsrc/pkg-summary.js';
import { isPkgNameChar, isPkgNameStart } from '../pkgsrc/pkgname.js';

export interface SummaryPackage {
  pkgname: string;
  depends: string[];
  conflicts: string[];
}

const PKGNAME = Buffer.from('PKGNAME=');
const DEPENDS = Buffer.from('DEPENDS=');
const CONFLICTS = Buffer.from('CONFLICTS=');

export function summaryPackages(bytes: Buffer, file: string): SummaryPackage[] {
  return cleanSummary(bytes) ?? parsePkgSummary(bytesToText(bytes), { file });
}

/** The text parsePkgSummary is given for these bytes (decodePkgSummary drops a BOM). */
function bytesToText(b: Buffer): string {
  const s = b.toString('utf8');
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}

function cleanSummary(b: Buffer): SummaryPackage[] | undefined {
  const out: SummaryPackage[] = [];
  let pkgname: string | undefined;
  let depends: string[] = [];
  let conflicts: string[] = [];
  let open = false;
  const len = b.length;
  for (let pos = 0; pos < len;) {
    let eol = b.indexOf(0x0a, pos);
    if (eol < 0) eol = len;
    const end = eol > pos && b[eol - 1] === 0x0d ? eol - 1 : eol;
    if (end === pos) {
      if (open) {
        if (pkgname === undefined) return undefined;
        out.push({ pkgname, depends, conflicts });
      }
      open = false;
      pkgname = undefined;
      depends = [];
      conflicts = [];
    } else {
      open = true;
      const eq = varEnd(b, pos, end);
      if (eq < 0) return undefined;
      if (startsWith(b, pos, eq, PKGNAME)) {
        if (pkgname !== undefined) return undefined;
        pkgname = cleanPkgname(b, eq + 1, end);
        if (pkgname === undefined) return undefined;
      } else if (startsWith(b, pos, eq, DEPENDS)) depends.push(text(b, eq + 1, end));
      else if (startsWith(b, pos, eq, CONFLICTS)) conflicts.push(text(b, eq + 1, end));
    }
    pos = eol + 1;
  }
  if (open) {
    if (pkgname === undefined) return undefined;
    out.push({ pkgname, depends, conflicts });
  }
  return out;
}

/** Offset of the '=' after a well-formed VAR name, or -1. */
function varEnd(b: Buffer, start: number, end: number): number {
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (c === 0x3d) return i > start ? i : -1;
    const letter = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
    if (!letter && (i === start || c < 0x30 || c > 0x39)) return -1;
  }
  return -1;
}

function startsWith(b: Buffer, start: number, eq: number, word: Buffer): boolean {
  return eq - start + 1 === word.length && b.compare(word, 0, word.length, start, eq + 1) === 0;
}

/** A PKGNAME that diagnosePkgName accepts, or undefined (the text reader then says why). */
function cleanPkgname(b: Buffer, start: number, end: number): string | undefined {
  let dash = -1;
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (!isPkgNameChar(c)) return undefined;
    if (c === 0x2d) dash = i;
  }
  if (dash <= start || dash + 1 >= end || !isPkgNameStart(b[start]!)) return undefined;
  const v = b[dash + 1]!;
  if (v < 0x30 || v > 0x39) return undefined;
  return b.toString('latin1', start, end);
}

function text(b: Buffer, start: number, end: number): string {
  for (let i = start; i < end; i++) if (b[i]! >= 0x80) return b.toString('utf8', start, end);
  return b.toString('latin1', start, end);
}
