// Quoting for POSIX sh. Every value that reaches a job script from desired
// state or a site passes through here *and* a whitelist check, so a package
// name can never become a command.
import { isValidPkgName } from '../pkgsrc/pkgname.js';

/** Single-quote a value for sh: the only special character inside '…' is ' itself. */
export function shq(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

const SAFE_PATH = /^\/[A-Za-z0-9._/+@-]*$/;
const SAFE_LOCATION = /^(\/[A-Za-z0-9._/+@-]*|https?:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?(\/[A-Za-z0-9._~%/+@-]*)?)$/;
const SAFE_TOKEN = /^[A-Za-z0-9][A-Za-z0-9._:@-]*$/;

export class UnsafeValueError extends Error {
  constructor(what: string, value: string) {
    super(
      `refusing to put ${what} ${JSON.stringify(value)} into a job script: it contains characters a ${what} never has`,
    );
    this.name = 'UnsafeValueError';
  }
}

function check(re: RegExp, what: string, value: string, noDotDot = false): string {
  if (!re.test(value) || (noDotDot && /(^|\/)\.\.(\/|$)/.test(value))) throw new UnsafeValueError(what, value);
  return value;
}

export const safe = {
  /** The rule every listing and catalog is read with (pkgsrc/pkgname.ts), checked once more here. */
  pkgname: (v: string) => {
    if (!isValidPkgName(v)) throw new UnsafeValueError('package name', v);
    return v;
  },
  path: (v: string) => check(SAFE_PATH, 'path', v, true),
  location: (v: string) => check(SAFE_LOCATION, 'package location', v, true),
  token: (v: string) => check(SAFE_TOKEN, 'identifier', v),
};
