// One entry of a profile's `packages:` list → the package it manages and the
// pkgsrc pattern it asks for. Pure; schema validation has already run, so
// this only checks what a schema cannot: that the entry names exactly one
// package and that its version part means what the user probably meant.
import { deweySatisfiability } from '../pkgsrc/satisfiable.js';
import type { PackageState } from './types.js';

export interface PackageEntry {
  name: string;
  pattern: string;
  state: PackageState;
  hostsSupported?: string[];
  hostsNotSupported?: string[];
}

export type EntryResult = { ok: true; entry: PackageEntry } | { ok: false; message: string };

const BASE = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;
const VERSION_TEXT = /^[0-9][A-Za-z0-9._+]*$/;
const DEWEY_TAIL = /^(>=?)([^<>]*)(<=?)([^<>]*)$|^([<>]=?)([^<>]*)$/;
const SPECIAL = /[*?[\]{}]/;

export function parseEntry(raw: unknown): EntryResult {
  if (typeof raw === 'string') return fromPattern(raw, 'present');
  const obj = raw as {
    name: string;
    version?: string;
    state?: PackageState;
    hosts_supported?: string[];
    hosts_not_supported?: string[];
  };
  const state = obj.state ?? 'present';
  if (obj.version !== undefined && state === 'absent') {
    return {
      ok: false,
      message: `package '${obj.name}': 'version' has no meaning with state absent (every version is removed); drop it`,
    };
  }
  const r = obj.version === undefined ? fromPattern(obj.name, state) : fromNameVersion(obj.name, obj.version, state);
  if (!r.ok) return r;
  if (r.entry.name !== obj.name) {
    return { ok: false, message: `'name: ${obj.name}' must be a plain package name; put the version in 'version:'` };
  }
  if (obj.hosts_supported) r.entry.hostsSupported = obj.hosts_supported;
  if (obj.hosts_not_supported) r.entry.hostsNotSupported = obj.hosts_not_supported;
  return r;
}

function fromNameVersion(name: string, version: string, state: PackageState): EntryResult {
  if (version.startsWith('<') || version.startsWith('>')) return fromPattern(name + version, state, name);
  if (version.includes('-')) {
    return {
      ok: false,
      message: `version ${JSON.stringify(version)} of '${name}' contains '-'; a pkgsrc version never does`,
    };
  }
  return fromPattern(`${name}-${version}`, state, name);
}

function fromPattern(pattern: string, state: PackageState, knownBase?: string): EntryResult {
  const dewey = pattern.search(/[<>]/);
  if (dewey !== -1) return deweyEntry(pattern, dewey, state);
  const special = pattern.search(SPECIAL);
  if (special !== -1) return globEntry(pattern, special, state);
  if (knownBase !== undefined) return { ok: true, entry: { name: knownBase, pattern, state } };
  return { ok: true, entry: { name: plainBase(pattern), pattern, state } };
}

function deweyEntry(pattern: string, at: number, state: PackageState): EntryResult {
  const base = pattern.slice(0, at);
  const tail = pattern.slice(at);
  if (!BASE.test(base) || base.endsWith('=') || base.endsWith('-')) {
    const hint = base.endsWith('=')
      ? ` (did you mean '${base.slice(0, -1)}${tail.startsWith('>') ? '>=' : '<='}…'?)`
      : '';
    return {
      ok: false,
      message: `${JSON.stringify(pattern)}: the part before the version comparison must be one package name, got ${JSON.stringify(base)}${hint}`,
    };
  }
  const m = DEWEY_TAIL.exec(tail);
  if (!m) {
    return {
      ok: false,
      message: `${JSON.stringify(pattern)}: expected a comparison like ${base}>=1.0, ${base}<2 or a range ${base}>=1.0<2.0 (lower bound first)`,
    };
  }
  for (const v of [m[2], m[4], m[6]]) {
    if (v !== undefined && !VERSION_TEXT.test(v)) {
      return {
        ok: false,
        message: `${JSON.stringify(pattern)}: ${JSON.stringify(v)} is not a version; expected digits, letters and . _ + starting with a digit`,
      };
    }
  }
  const sat = deweySatisfiability(pattern);
  if (!sat.satisfiable) {
    const hint = sat.suggestion ? `; did you mean '${sat.suggestion}'?` : '';
    return { ok: false, message: `${JSON.stringify(pattern)} can never match: ${sat.reason}${hint}` };
  }
  return { ok: true, entry: { name: base, pattern, state } };
}

function globEntry(pattern: string, special: number, state: PackageState): EntryResult {
  const dash = pattern.lastIndexOf('-', special);
  const base = dash === -1 ? '' : pattern.slice(0, dash);
  if (!BASE.test(base) || SPECIAL.test(base)) {
    return {
      ok: false,
      message: `${JSON.stringify(pattern)}: an entry must name exactly one package; wildcards and {a,b} may appear only in the version (write one entry per package)`,
    };
  }
  if (!balancedBraces(pattern)) {
    return {
      ok: false,
      message: `${JSON.stringify(pattern)}: unbalanced '{' '}' in pattern; expected {a,b} alternatives`,
    };
  }
  return { ok: true, entry: { name: base, pattern, state } };
}

/**
 * A plain string is either a bare name (`py311-requests`, `font-adobe-100dpi`)
 * or an exact PKGNAME (`foo-1.4nb1`). pkgsrc cannot tell them apart either;
 * we read the tail after the last '-' as a version when it looks like one
 * (digits with a '.', or digits only). The mapping form removes all doubt.
 */
export function plainBase(s: string): string {
  const dash = s.lastIndexOf('-');
  if (dash <= 0) return s;
  const tail = s.slice(dash + 1);
  if (/^[0-9]+$/.test(tail) || (/^[0-9]/.test(tail) && tail.includes('.'))) return s.slice(0, dash);
  return s;
}

function balancedBraces(s: string): boolean {
  let depth = 0;
  for (const c of s) {
    if (c === '{') depth++;
    else if (c === '}' && --depth < 0) return false;
  }
  return depth === 0;
}

/** hosts_supported / hosts_not_supported entries may use `*` and `?`. */
export function platformMatches(glob: string, platform: string): boolean {
  const re = new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return re.test(platform);
}

/** Why an entry does not apply on a platform, or undefined when it does. */
export function platformExclusion(entry: PackageEntry, platform: string): string | undefined {
  if (entry.hostsSupported && !entry.hostsSupported.some((g) => platformMatches(g, platform))) {
    return `platform ${platform} is not in hosts_supported [${entry.hostsSupported.join(', ')}]`;
  }
  if (entry.hostsNotSupported?.some((g) => platformMatches(g, platform))) {
    return `platform ${platform} is in hosts_not_supported [${entry.hostsNotSupported.join(', ')}]`;
  }
  return undefined;
}
