// Cache files that prove their own integrity: a first line of JSON naming
// the format and the SHA-256 of the rest of that line and of everything
// after it, then the body. A file that is truncated, torn or edited (in its
// header too: the plan's counts live there) fails the check and is treated
// as absent: a cache is only ever a shortcut, never a source of truth.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface CheckedHeader {
  format: string;
  sha256: string;
  [extra: string]: unknown;
}

/** Header and body of a checked file, or undefined when absent, damaged or of another format. */
export async function readChecked(
  file: string,
  format: string,
): Promise<{ header: CheckedHeader; body: string } | undefined> {
  const bytes = await readFile(file).catch(() => undefined);
  return bytes === undefined ? undefined : parseChecked(bytes, format);
}

/**
 * readChecked without the thread pool: a warm plan reads a thousand small
 * entries one after another, and four round trips each cost more than the read.
 */
export function readCheckedSync(file: string, format: string): { header: CheckedHeader; body: string } | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return undefined;
  }
  return parseChecked(bytes, format);
}

/** The seal is checked over the bytes as read: no string of the whole file is made to hash it. */
export function parseChecked(bytes: Buffer, format: string): { header: CheckedHeader; body: string } | undefined {
  const nl = bytes.indexOf(0x0a);
  if (nl < 0) return undefined;
  let header: CheckedHeader;
  try {
    header = JSON.parse(bytes.toString('utf8', 0, nl)) as CheckedHeader;
  } catch {
    return undefined;
  }
  if (header?.format !== format) return undefined;
  const { sha256: claimed, ...rest } = header;
  const body = bytes.subarray(nl + 1);
  if (claimed !== sealOf(rest, body)) return undefined;
  return { header, body: body.toString('utf8') };
}

/**
 * What the header's sha256 covers: every other header field, in the order
 * written, and the body, hashed as digest.ts's sha256 of their joined text.
 */
function sealOf(fields: object, body: string | Buffer): string {
  const head = `${JSON.stringify(fields)}\n`;
  const h = createHash('sha256');
  h.update(`${Buffer.byteLength(head) + Buffer.byteLength(body)}:`);
  h.update(head);
  h.update(body);
  return h.digest('hex');
}

/** Directories known to exist: a thousand entries share 256 of them. */
const made = new Set<string>();

/**
 * Writes atomically (a temporary file renamed over it) but without fsync:
 * after a crash the file may be missing or damaged, and then it fails its check.
 */
export async function writeChecked(file: string, format: string, body: string, extra: object = {}): Promise<void> {
  const dir = path.dirname(file);
  if (!made.has(dir)) {
    await mkdir(dir, { recursive: true });
    if (made.size < 4096) made.add(dir);
  }
  const fields = { ...extra, format };
  const header = JSON.stringify({ ...fields, sha256: sealOf(fields, body) });
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, `${header}\n${body}`);
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
