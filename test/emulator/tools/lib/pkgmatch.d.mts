// Types of pkgmatch.mjs for the tests that check it against the oracles.
export class MalformedPattern extends Error {}
export function parseVersion(text: string): { parts: number[]; nb: number };
export function compareVersions(a: string, b: string): -1 | 0 | 1;
export function fnmatch(pattern: string, str: string): boolean;
export function pkgMatch(pattern: string, pkgname: string): boolean;
export function isPkgPattern(s: string): boolean;
export function pkgOrder(pattern: string, a: string | undefined, b: string | undefined): 0 | 1 | 2;
export function bestMatch(pattern: string, names: Iterable<string>): string | undefined;
