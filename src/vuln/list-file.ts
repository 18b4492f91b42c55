// pkgsrc's pkg-vulnerabilities file, read and checked the way
// `pkg_admin check-pkg-vulnerabilities` does (pkg_install's
// lib/vulnerabilities-file.c, rev 1.9): an optional PGP-signed-message
// frame, a header up to `#FORMAT 1.1.0`, then entries `PATTERN CLASS URL`
// and `#CHECKSUM ALG HEX` lines whose hash covers every byte except empty
// lines, `Hash:`, `# $NetBSD` and `#CHECKSUM` lines. What the tool refuses
// is refused here with its message and the line; what it accepts silently
// but can never match (an empty or malformed pattern) is a warning.
// Pure: bytes in (already decompressed), a verdict out.
import { createHash } from 'node:crypto';
import { patternMalformation } from '../pkgsrc/pattern.js';

/** One advisory: installed packages matching `pattern` have `kind` (e.g. "eol"), see `url`. */
export interface VulnEntry {
  pattern: string;
  kind: string;
  url: string;
  /** 1-based line in the file, for messages. */
  line: number;
}

/** Something wrong at a line of the file (line 0: the file as a whole). */
export interface ListProblem {
  line: number;
  message: string;
}

export type ListCheck =
  | {
      ok: true;
      entries: VulnEntry[];
      /** The `# $NetBSD: ...` line, when there is one (revision and date of the list). */
      rcsId?: string;
      /** Hash algorithms whose #CHECKSUM line matched; empty when the file carries none. */
      verified: string[];
      warnings: ListProblem[];
    }
  | { ok: false; error: ListProblem };

const PGP_START = '-----BEGIN PGP SIGNED MESSAGE-----\n';
const PGP_END = '-----BEGIN PGP SIGNATURE-----\n';
const PKCS7_BEGIN = '-----BEGIN PKCS7-----\n';

/** C's isspace() in the C locale. */
function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';
}

class Refused extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

/** Lines of the text as [start, next) offsets; `next` is past the '\n'. */
interface Line {
  start: number;
  next: number;
  no: number;
}

function* lines(s: string, from: number, firstNo: number): Generator<Line> {
  let no = firstNo;
  for (let start = from; start < s.length; no++) {
    const nl = s.indexOf('\n', start);
    // The tool needs every line, the last one too, to end in a newline.
    if (nl < 0) throw new Refused(no, 'Missing newline in pkg-vulnerabilities');
    yield { start, next: nl + 1, no };
    start = nl + 1;
  }
}

/** strtol(3) base 10 within [p, end): the value and where it stopped, or null without digits. */
function strtol(s: string, p: number, end: number): { value: number; end: number } | null {
  let i = p;
  while (i < end && isSpace(s[i])) i++;
  let sign = 1;
  if (s[i] === '+' || s[i] === '-') sign = s[i++] === '-' ? -1 : 1;
  const digits = i;
  while (i < end && s[i]! >= '0' && s[i]! <= '9') i++;
  if (i === digits) return null;
  return { value: sign * Number(s.slice(digits, i)), end: i };
}

/**
 * Checks a pkg-vulnerabilities file as `pkg_admin check-pkg-vulnerabilities`
 * does (signatures aside: the controller is given no GPG or X.509 anchor, and
 * the tool refuses `-s` without one too).
 */
export function checkVulnerabilityList(bytes: Buffer): ListCheck {
  // latin1 maps byte i to character i, so offsets are byte offsets for hashing.
  const s = bytes.toString('latin1');
  try {
    return parse(s, bytes);
  } catch (e) {
    if (e instanceof Refused) return { ok: false, error: { line: e.line, message: e.message } };
    throw e;
  }
}

function parse(s: string, bytes: Buffer): ListCheck {
  const nul = s.indexOf('\0');
  if (nul >= 0) throw new Refused(lineOf(s, nul), 'Invalid input (NUL character found)');
  const inPgp = s.startsWith(PGP_START);
  const body = inPgp ? PGP_START.length : 0;
  const firstNo = inPgp ? 2 : 1;
  let rcsId: string | undefined;
  let after: Line | undefined;
  for (const l of lines(s, body, firstNo)) {
    const text = s.slice(l.start, l.next);
    if (text === '\n' || text.startsWith('Hash:')) continue;
    if (text.startsWith('# $NetBSD')) {
      rcsId ??= text.slice(2).trim();
      continue;
    }
    if (text[0] === '#' && isSpace(text[1])) {
      // Before #FORMAT, a comment line may hold nothing but blanks.
      if (!/^#[ \t\n\v\f\r]*$/.test(text)) throw new Refused(l.no, 'Invalid header');
      continue;
    }
    if (!text.startsWith('#FORMAT')) throw new Refused(l.no, 'Input header is malformed');
    checkFormat(s, l);
    after = l;
    break;
  }
  if (!after || after.next >= s.length) throw new Refused(after?.no ?? 0, 'Missing #CHECKSUM or content');

  const entries: VulnEntry[] = [];
  const warnings: ListProblem[] = [];
  const verified: string[] = [];
  const hashes = new Map<string, string>();
  for (const l of lines(s, after.next, after.no + 1)) {
    const text = s.slice(l.start, l.next);
    if (text === '\n') continue;
    if (inPgp ? text.startsWith(PGP_END) : text.startsWith(PKCS7_BEGIN)) break;
    if (text[0] === '#' && isSpace(text[1])) continue;
    if (text.startsWith('#CHECKSUM')) {
      const alg = verifyHash(s, bytes, text, l.no, inPgp, hashes, warnings);
      if (alg) verified.push(alg);
      continue;
    }
    // The tool skips any other '#' line ("should really be an error, but it is still used").
    if (text[0] === '#') continue;
    const entry = readEntry(text, l.no);
    const problem = patternProblem(entry.pattern);
    if (problem) warnings.push({ line: l.no, message: problem });
    entries.push(entry);
  }
  if (verified.length === 0 && !warnings.some((w) => w.message.startsWith('Unsupported hash')))
    warnings.push({ line: 0, message: 'no #CHECKSUM line: the list is not verified (pkg_admin accepts it too)' });
  return { ok: true, entries, ...(rcsId !== undefined ? { rcsId } : {}), verified, warnings };
}

function lineOf(s: string, offset: number): number {
  let n = 1;
  for (let i = s.indexOf('\n'); i >= 0 && i < offset; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/** `#FORMAT 1.1.0`, read with strtol as the tool does; only 1.1.0 is accepted. */
function checkFormat(s: string, l: Line): void {
  let p = l.start + '#FORMAT'.length;
  if (!isSpace(s[p])) throw new Refused(l.no, 'Invalid #FORMAT');
  p++;
  // Each number stays on its line here; the tool's strtol could run onto the next one.
  const end = l.next - 1;
  const major = strtol(s, p, end);
  if (!major || major.value !== 1 || s[major.end] !== '.') throw new Refused(l.no, 'Input #FORMAT');
  const minor = strtol(s, major.end + 1, end);
  if (!minor || minor.value !== 1 || s[minor.end] !== '.') throw new Refused(l.no, 'Input #FORMAT');
  const patch = strtol(s, minor.end + 1, end);
  if (!patch || patch.value !== 0) throw new Refused(l.no, 'Input #FORMAT');
  for (let i = patch.end; i < l.next; i++) if (!isSpace(s[i])) throw new Refused(l.no, 'Input #FORMAT');
}

const ALGORITHMS: Record<string, { node: string }> = { SHA512: { node: 'sha512' }, SHA1: { node: 'sha1' } };

/**
 * One `#CHECKSUM ALG HEX` line: the named hash over the covered bytes must
 * start the value (lower-case hex), followed only by blanks. An algorithm
 * the tool does not know is its warning, not a refusal.
 */
function verifyHash(
  s: string,
  bytes: Buffer,
  text: string,
  no: number,
  inPgp: boolean,
  hashes: Map<string, string>,
  warnings: ListProblem[],
): string | undefined {
  let p = '#CHECKSUM'.length;
  if (!isSpace(text[p])) throw new Refused(no, 'Invalid #CHECKSUM');
  while (p < text.length - 1 && isSpace(text[p])) p++;
  const rest = text.slice(p);
  const name = Object.keys(ALGORITHMS).find((a) => rest.startsWith(a) && isSpace(rest[a.length]));
  if (!name) {
    const alg = /^[A-Za-z0-9]*/.exec(rest)![0];
    warnings.push({ line: no, message: `Unsupported hash algorithm: ${alg}` });
    return undefined;
  }
  let q = name.length;
  while (isSpace(rest[q]) && rest[q] !== '\n') q++;
  if (rest[q] === '\n') throw new Refused(no, 'Invalid #CHECKSUM');
  let value = hashes.get(name);
  if (value === undefined) {
    value = coveredHash(s, bytes, inPgp, ALGORITHMS[name]!.node);
    hashes.set(name, value);
  }
  if (!rest.startsWith(value, q)) throw new Refused(no, `${name} hash doesn't match`);
  q += value.length;
  while (isSpace(rest[q]) && rest[q] !== '\n') q++;
  if (!isSpace(rest[q])) throw new Refused(no, 'Invalid #CHECKSUM');
  return name;
}

/** The hash over everything but empty, `Hash:`, `# $NetBSD` and `#CHECKSUM` lines, up to the signature. */
function coveredHash(s: string, bytes: Buffer, inPgp: boolean, algorithm: string): string {
  const h = createHash(algorithm);
  const from = inPgp ? PGP_START.length : 0;
  let lastStart = from;
  let end = s.length;
  for (const l of lines(s, from, inPgp ? 2 : 1)) {
    const text = s.slice(l.start, Math.min(l.next, l.start + 40));
    if (inPgp ? text.startsWith(PGP_END) : text.startsWith(PKCS7_BEGIN)) {
      end = l.start;
      break;
    }
    if (text === '\n' || text.startsWith('Hash:') || text.startsWith('# $NetBSD') || text.startsWith('#CHECKSUM')) {
      h.update(bytes.subarray(lastStart, l.start));
      lastStart = l.next;
    }
  }
  h.update(bytes.subarray(lastStart, end));
  return h.digest('hex');
}

/**
 * `PATTERN CLASS URL [anything]`, split at blanks as add_vulnerability does.
 * A class or URL starting with the digit '0' is refused: the tool compares
 * with '0' where it means '\0', and we give the same verdict.
 */
function readEntry(text: string, no: number): VulnEntry {
  let i = 0;
  const word = (): string => {
    const start = i;
    while (i < text.length && !isSpace(text[i])) i++;
    return text.slice(start, i);
  };
  const blanks = () => {
    while (text[i] !== '\n' && isSpace(text[i])) i++;
  };
  const pattern = word();
  blanks();
  if (text[i] === '0' || text[i] === '\n') throw new Refused(no, 'Input error: missing classification');
  const kind = word();
  blanks();
  if (text[i] === '0' || text[i] === '\n') throw new Refused(no, 'Input error: missing URL');
  const url = word();
  return { pattern, kind, url, line: no };
}

/** Why an entry the tool accepts can never match anything, or undefined. */
function patternProblem(pattern: string): string | undefined {
  if (pattern === '') return 'the line starts with a blank, so its pattern is empty and matches nothing';
  const bad = patternMalformation(pattern);
  return bad ? `pattern matches nothing: ${bad.message}` : undefined;
}
