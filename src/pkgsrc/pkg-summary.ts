// pkg_summary(5) files and `pkg_info -X` output: records of VAR=value lines
// separated by blank lines. Repository summaries hold tens of thousands of
// records, so parsing is a single indexOf-driven pass. Summaries arrive
// compressed in several ways; decodePkgSummary trusts the magic bytes over
// the file name because mirrors and HTTP clients sometimes decompress
// transparently while keeping the `.gz` name.

import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { InputError, type Problem } from '../errors.js';
import { diagnosePkgName } from './pkgname.js';

export interface SummaryEntry {
  pkgname: string;
  comment: string;
  depends: string[];
  conflicts: string[];
  /** Every VAR=value line of the record, repeated vars in order (DESCRIPTION too). */
  vars: Record<string, string[]>;
  /** 1-based line where the record starts. */
  line: number;
}

/** The order to look for a summary in a PKG_PATH directory (smallest download first). */
export const PKG_SUMMARY_NAMES: readonly string[] = [
  'pkg_summary.gz',
  'pkg_summary.bz2',
  'pkg_summary.xz',
  'pkg_summary',
];

interface RecordState {
  line: number;
  // Null prototype: VAR names come from untrusted files (`__proto__=x`).
  vars: Record<string, string[]>;
  pkgname: string | null;
  pkgLine: number;
  bad: boolean;
}

interface Ctx {
  text: string;
  file: string;
  problems: Problem[];
}

function problem(ctx: Ctx, line: number, column: number, message: string): void {
  ctx.problems.push({ location: { file: ctx.file, line, column }, message });
}

function isVarChar(c: number, first: boolean): boolean {
  if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f) return true;
  return !first && c >= 0x30 && c <= 0x39;
}

/** Offset of the first character that cannot be in a VAR name, or -1. */
function badVarChar(text: string, start: number, eq: number): number {
  for (let i = start; i < eq; i++) {
    if (!isVarChar(text.charCodeAt(i), i === start)) return i;
  }
  return -1;
}

function parsePkgnameLine(ctx: Ctx, rec: RecordState, value: string, line: number, column: number): void {
  if (rec.pkgLine > 0) {
    problem(
      ctx,
      line,
      1,
      `second PKGNAME in one record (first on line ${rec.pkgLine}); expected a blank line between records`,
    );
    rec.bad = true;
    return;
  }
  rec.pkgLine = line;
  const bad = diagnosePkgName(value);
  if (bad) {
    problem(ctx, line, column + bad.offset, bad.expected);
    rec.bad = true;
  } else {
    rec.pkgname = value;
  }
}

function parseVarLine(ctx: Ctx, rec: RecordState, start: number, end: number, line: number): void {
  const { text } = ctx;
  const eq = text.indexOf('=', start);
  if (eq < 0 || eq >= end) {
    problem(ctx, line, 1, "expected VAR=value or a blank line, got a line without '='");
    rec.bad = true;
    return;
  }
  if (eq === start) {
    problem(ctx, line, 1, "expected a variable name before '='");
    rec.bad = true;
    return;
  }
  const badAt = badVarChar(text, start, eq);
  if (badAt >= 0) {
    const got = JSON.stringify(text[badAt]);
    problem(
      ctx,
      line,
      badAt - start + 1,
      `expected a variable name of letters, digits and '_' (not starting with a digit), got ${got}`,
    );
    rec.bad = true;
    return;
  }
  const name = text.slice(start, eq);
  const value = text.slice(eq + 1, end);
  const list = rec.vars[name];
  if (list) list.push(value);
  else rec.vars[name] = [value];
  if (name === 'PKGNAME') parsePkgnameLine(ctx, rec, value, line, eq - start + 2);
}

function finishRecord(ctx: Ctx, rec: RecordState, out: SummaryEntry[]): void {
  if (rec.pkgLine === 0) {
    problem(ctx, rec.line, 1, 'record has no PKGNAME line; expected PKGNAME=BASE-VERSION in every record');
    return;
  }
  if (rec.bad || rec.pkgname === null) return;
  const v = rec.vars;
  out.push({
    pkgname: rec.pkgname,
    comment: v['COMMENT']?.[0] ?? '',
    depends: v['DEPENDS'] ? v['DEPENDS'].slice() : [],
    conflicts: v['CONFLICTS'] ? v['CONFLICTS'].slice() : [],
    vars: v,
    line: rec.line,
  });
}

function newRecord(line: number): RecordState {
  return { line, vars: Object.create(null) as Record<string, string[]>, pkgname: null, pkgLine: 0, bad: false };
}

/**
 * Parses pkg_summary(5) / `pkg_info -X` text. Tolerates CRLF, runs of blank
 * lines and a missing final blank line. Throws InputError with every problem.
 */
export function parsePkgSummary(text: string, opts: { file?: string } = {}): SummaryEntry[] {
  const ctx: Ctx = { text, file: opts.file ?? '<pkg_summary>', problems: [] };
  const out: SummaryEntry[] = [];
  let rec: RecordState | null = null;
  let pos = 0;
  let line = 1;
  const len = text.length;
  while (pos < len) {
    let eol = text.indexOf('\n', pos);
    if (eol < 0) eol = len;
    const end = eol > pos && text.charCodeAt(eol - 1) === 0x0d ? eol - 1 : eol;
    if (end === pos) {
      if (rec) finishRecord(ctx, rec, out);
      rec = null;
    } else {
      rec ??= newRecord(line);
      parseVarLine(ctx, rec, pos, end, line);
    }
    pos = eol + 1;
    line++;
  }
  if (rec) finishRecord(ctx, rec, out);
  if (ctx.problems.length > 0) throw new InputError(ctx.problems);
  return out;
}

const LEADING_VARS = new Set(['PKGNAME', 'DEPENDS', 'CONFLICTS', 'COMMENT']);

/** What formatPkgSummary needs; `vars` supplies every other variable. */
export type SummaryInput = Pick<SummaryEntry, 'pkgname' | 'comment' | 'depends' | 'conflicts'> & {
  vars?: Record<string, readonly string[]>;
};

/**
 * Prints records in pkg_info -X order: PKGNAME, DEPENDS, CONFLICTS, COMMENT,
 * then the other vars in their original order, each record followed by a
 * blank line. The typed fields win over their copies in `vars`.
 */
export function formatPkgSummary(entries: readonly SummaryInput[]): string {
  const parts: string[] = [];
  for (const e of entries) {
    parts.push('PKGNAME=' + e.pkgname);
    for (const d of e.depends) parts.push('DEPENDS=' + d);
    for (const c of e.conflicts) parts.push('CONFLICTS=' + c);
    parts.push('COMMENT=' + e.comment);
    for (const [name, values] of Object.entries(e.vars ?? {})) {
      if (LEADING_VARS.has(name)) continue;
      for (const value of values) parts.push(name + '=' + value);
    }
    parts.push('');
  }
  return parts.length === 0 ? '' : parts.join('\n') + '\n';
}

type Compression = 'gzip' | 'bzip2' | 'xz';

function byMagic(b: Buffer): Compression | null {
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
  if (b.length >= 3 && b[0] === 0x42 && b[1] === 0x5a && b[2] === 0x68) return 'bzip2';
  const xz = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
  if (b.length >= 6 && xz.every((x, i) => b[i] === x)) return 'xz';
  return null;
}

function bySuffix(name: string): Compression | null {
  if (name.endsWith('.gz')) return 'gzip';
  if (name.endsWith('.bz2')) return 'bzip2';
  if (name.endsWith('.xz')) return 'xz';
  return null;
}

/** A quick sniff: already-decompressed text has no control bytes but tab/CR/LF. */
function looksLikeText(b: Buffer): boolean {
  if (b.length === 0) return false;
  const n = Math.min(b.length, 512);
  for (let i = 0; i < n; i++) {
    const c = b[i] as number;
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f) return false;
  }
  return true;
}

const gunzipAsync = promisify(gunzip);

async function decompress(kind: Compression, data: Buffer): Promise<Buffer> {
  if (kind === 'gzip') return gunzipAsync(data);
  // Loaded when needed: most summaries are gzip, and the xz one is a native addon.
  if (kind === 'xz') return (await import('@napi-rs/lzma/xz')).decompress(data);
  return (await import('seek-bzip')).default.decode(data, undefined, true);
}

function toText(b: Buffer): string {
  const s = b.toString('utf8');
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}

/**
 * Turns a downloaded summary into text, detecting gzip, bzip2 and xz by
 * magic bytes; the name only matters when the data has no known magic.
 */
export async function decodePkgSummary(data: Buffer | Uint8Array, name: string): Promise<string> {
  return toText(await decodePkgSummaryBytes(data, name));
}

/** decodePkgSummary without the decoding to text: the uncompressed bytes (a BOM included). */
export async function decodePkgSummaryBytes(data: Buffer | Uint8Array, name: string): Promise<Buffer> {
  const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const kind = byMagic(bytes);
  if (kind) {
    try {
      return await decompress(kind, bytes);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new InputError({
        location: { file: name },
        message: `${kind} decompression failed (${why}); expected a complete ${kind} stream`,
      });
    }
  }
  const suffix = bySuffix(name);
  if (suffix && !looksLikeText(bytes)) {
    throw new InputError({
      location: { file: name },
      message: `expected ${suffix} data as the name says, but the file does not start with the ${suffix} magic bytes`,
    });
  }
  return bytes;
}
