// `vulnerabilities:` in sites.yaml: which pkg-vulnerabilities list a site is
// audited against, how old it may get before that is a warning, and the
// risks the VO accepted (an advisory URL and/or a package pattern, a reason
// and an expiry date). Under `defaults` and per site: a site's own keys win,
// except `ignore`, whose entries add to the defaults' ones (an acceptance
// made for the fleet holds everywhere).
import { PatternError, type Problem, type SourceLocation } from '../errors.js';
import { compilePattern } from '../pkgsrc/pattern.js';
import { locate, type YamlSource } from './yaml-source.js';

/** Days a list may age before status and /metrics warn, unless the desired state says otherwise. */
export const DEFAULT_MAX_AGE_DAYS = 7;

/** A risk the VO accepted until `expires` (a UTC date, the last day it holds). */
export interface Acceptance {
  /** Findings for installed packages this pattern matches (all packages when absent). */
  pattern?: string;
  /** Findings of this advisory (any advisory when absent), compared exactly like IGNORE_URL. */
  url?: string;
  reason: string;
  expires: string;
  source: SourceLocation;
}

export interface SiteVulnConfig {
  /** Path or http(s) URL of pkg-vulnerabilities (plain, gzip, bzip2 or xz). */
  list: string;
  maxAgeDays: number;
  ignore: Acceptance[];
  /** What a planned install of a vulnerable version does: flagged (warn) or the site's plan fails (refuse). */
  policy: 'warn' | 'refuse';
  /** Upgrade an installed vulnerable package when the catalog has a newer version its profile allows. */
  fix: boolean;
}

export interface RawVulns {
  list?: string;
  max_age_days?: number;
  policy?: 'warn' | 'refuse';
  fix_vulnerable?: boolean;
  ignore?: { pattern?: string; url?: string; reason: string; expires: string }[];
}

/** The accepted risks under `defaults`, read (and their problems reported) once for every site. */
export function readDefaultAcceptances(
  src: YamlSource,
  defaults: RawVulns | undefined,
  problems: Problem[],
): Acceptance[] {
  return acceptances(src, ['defaults', 'vulnerabilities'], defaults, problems);
}

/** The site's configuration from its own and the defaults' `vulnerabilities:`; undefined without a list. */
export function readVulnConfig(
  src: YamlSource,
  siteIndex: number,
  defaults: { raw: RawVulns | undefined; ignore: Acceptance[] },
  own: RawVulns | undefined,
  problems: Problem[],
): SiteVulnConfig | undefined {
  const list = own?.list ?? defaults.raw?.list;
  const ignore = [...defaults.ignore, ...acceptances(src, ['sites', siteIndex, 'vulnerabilities'], own, problems)];
  if (list === undefined) {
    if (own !== undefined)
      problems.push({
        location: locate(src, ['sites', siteIndex, 'vulnerabilities']),
        message: `'vulnerabilities' has no 'list' (neither in the site nor in defaults); expected the path or URL of pkg-vulnerabilities`,
      });
    return undefined;
  }
  return {
    list,
    maxAgeDays: own?.max_age_days ?? defaults.raw?.max_age_days ?? DEFAULT_MAX_AGE_DAYS,
    ignore,
    policy: own?.policy ?? defaults.raw?.policy ?? 'warn',
    fix: own?.fix_vulnerable ?? defaults.raw?.fix_vulnerable ?? false,
  };
}

function acceptances(
  src: YamlSource,
  at: (string | number)[],
  raw: RawVulns | undefined,
  problems: Problem[],
): Acceptance[] {
  const out: Acceptance[] = [];
  (raw?.ignore ?? []).forEach((a, j) => {
    const source = locate(src, [...at, 'ignore', j]);
    const problem = acceptanceProblem(a);
    if (problem) {
      problems.push({ location: source, message: problem });
      return;
    }
    out.push({
      ...(a.pattern !== undefined ? { pattern: a.pattern } : {}),
      ...(a.url !== undefined ? { url: a.url } : {}),
      reason: a.reason,
      expires: a.expires,
      source,
    });
  });
  return out;
}
function acceptanceProblem(a: { pattern?: string; url?: string; expires: string }): string | undefined {
  if (a.pattern === undefined && a.url === undefined)
    return `an accepted risk needs 'url' (the advisory) or 'pattern' (the packages), or both`;
  const d = new Date(`${a.expires}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== a.expires)
    return `expires: '${a.expires}' is not a date; expected YYYY-MM-DD`;
  if (a.pattern !== undefined) {
    try {
      compilePattern(a.pattern);
    } catch (e) {
      if (e instanceof PatternError) return `pattern: ${e.message}`;
      throw e;
    }
  }
  return undefined;
}
