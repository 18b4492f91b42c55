// The checks pkg_add makes before it touches anything (test-only), in the
// order and with the messages of pkg_install's add/perform.c:
// check_already_installed, check_other_installed, check_explicit_conflict,
// check_implicit_conflict. Each returns a verdict; the caller acts on it.
import path from 'node:path';
import fs from 'node:fs';
import {
  baseOf,
  best,
  installed,
  isAutomatic,
  isInstalled,
  match,
  parsePlist,
  readMeta,
  requiredBy,
  setVar,
} from './common.mjs';

const plistOf = (dbdir, name) => parsePlist(readMeta(path.join(dbdir, name), '+CONTENTS') ?? '');

/**
 * check_already_installed(): 'new' (not installed), 'replace-same' (-U of
 * the installed version: the new entry is staged in `<name>.xxxxxx`),
 * 'done' (nothing to do, success) or 'error'.
 */
export function alreadyInstalled(ctx, f, name, warn) {
  if (!isInstalled(ctx.dbdir, name)) return 'new';
  if (f.U) {
    const staging = path.join(ctx.dbdir, `${name}.xxxxxx`);
    if (fs.existsSync(staging)) {
      warn(`package \`${name}' already has a temporary update directory \`${staging}', remove it manually`);
      return 'error';
    }
    return 'replace-same';
  }
  // only a package named on the command line gets here: dependencies already installed are not looked up again
  if (!f.A && isAutomatic(ctx.dbdir, name)) {
    if (!f.n) setAutomatic(ctx.dbdir, name, false);
    warn(`package \`${name}' was already installed as dependency, now marked as installed manually`);
  } else {
    warn(`package \`${name}' already recorded as installed`);
  }
  return 'done';
}

/**
 * check_other_installed(): the installed version this one replaces
 * ({ other }), or { error: true }. Every package in the old version's
 * +REQUIRED_BY must accept the new version through the DEPENDS pattern the
 * old one fulfilled, unless -D/-f.
 */
export function otherInstalled(ctx, f, name, sameVersion, warn) {
  if (sameVersion) return { other: name };
  if (!name.includes('-')) {
    warn(`Invalid package name ${name}`);
    return { error: true };
  }
  const other = best(baseOf(name), installed(ctx.dbdir));
  if (other === undefined) return {};
  if (!f.u) {
    warn(`A different version of ${name} is already installed: ${other}`);
    return { error: true };
  }
  let error = false;
  for (const dependant of requiredBy(ctx.dbdir, other)) {
    const contents = readMeta(path.join(ctx.dbdir, dependant), '+CONTENTS');
    if (contents === undefined) {
      warn(`Can't open +CONTENTS of depending package ${dependant}`);
      return { error: true };
    }
    // one complaint per dependant: its first pattern the old version fulfils and the new one does not
    const pat = parsePlist(contents).depends.find((d) => match(d, other) && !match(d, name));
    if (pat === undefined) continue;
    warn(`Dependency of ${dependant} fulfilled by ${other}, but not by ${name}`);
    if (!f.D) error = true;
  }
  return error ? { error: true } : { other };
}

/** check_explicit_conflict(): CONFLICTS of the new package, then installed packages' CONFLICTS of it. */
export function explicitConflicts(ctx, plist, other, warn) {
  const have = installed(ctx.dbdir).filter((p) => p !== other);
  let ok = true;
  for (const pat of plist.conflicts) {
    const hit = have.find((p) => match(pat, p));
    if (hit === undefined) continue;
    warn(`Package \`${plist.name}' conflicts with \`${pat}', and \`${hit}' is installed.`);
    ok = false;
  }
  for (const p of have) {
    const pat = plistOf(ctx.dbdir, p).conflicts.find((c) => match(c, plist.name));
    if (pat === undefined) continue;
    warn(`Installed package \`${p}' conflicts with \`${pat}' when trying to install \`${plist.name}'.`);
    return false;
  }
  return ok;
}

/** check_implicit_conflict(): a file of the new package that another installed package owns. */
export function implicitConflicts(ctx, f, plist, other, warn) {
  const owner = new Map();
  for (const p of installed(ctx.dbdir)) {
    if (p === other) continue;
    for (const e of plistOf(ctx.dbdir, p).files) owner.set(path.resolve(e.path), p);
  }
  let ok = true;
  for (const e of plist.files) {
    const existing = owner.get(path.resolve(ctx.prefix, e.rel));
    if (existing === undefined) continue;
    warn(`Conflicting PLIST with ${existing}: ${e.rel}`);
    if (!f.force) {
      ok = false;
      if (!f.v) break;
    }
  }
  return ok;
}

/** mark_as_automatic_installed(): a package whose pkgdb entry is missing (pkg_add -n) is left alone. */
export function setAutomatic(dbdir, name, on) {
  if (!fs.existsSync(path.join(dbdir, name))) return;
  setVar(path.join(dbdir, name, '+INSTALLED_INFO'), 'automatic', on ? 'yes' : undefined);
}
