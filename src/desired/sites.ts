// sites.yaml → site records: defaults merged under each site, derived
// fields filled in, duplicate names and unknown profiles reported.
import { formatLocation, type Problem, type SourceLocation } from '../errors.js';
import { locate, type YamlSource } from './yaml-source.js';
import { DEFAULT_JOB_TIME_LIMIT, type BackendName, type ResolvedSite } from './types.js';
import { readDefaultAcceptances, readVulnConfig, type RawVulns } from './vulnerabilities.js';

/** A site as sites.yaml says, before its profiles are resolved. */
export interface SiteRecord extends Omit<ResolvedSite, 'profiles' | 'packages' | 'checks' | 'filtered' | 'source'> {
  profiles: { name: string; location: SourceLocation }[];
  location: SourceLocation;
}

type RawSite = Record<string, unknown>;
const REQUIRED_AFTER_DEFAULTS = ['sw_area', 'platform', 'pkg_path'] as const;

/** The package tools themselves: removing them would strand the site. */
export const ALWAYS_PROTECTED = ['pkg_install'];

export function readSites(src: YamlSource, problems: Problem[]): SiteRecord[] {
  const doc = src.value as { defaults?: RawSite; sites: RawSite[] };
  const defaults = doc.defaults ?? {};
  const defaultVulns = defaults.vulnerabilities as RawVulns | undefined;
  const vulnDefaults = { raw: defaultVulns, ignore: readDefaultAcceptances(src, defaultVulns, problems) };
  const seen = new Map<string, SourceLocation>();
  const out: SiteRecord[] = [];
  doc.sites.forEach((raw, i) => {
    const location = locate(src, ['sites', i]);
    const merged = { ...defaults, ...raw } as RawSite;
    const name = merged.name as string;
    const prev = seen.get(name);
    if (prev) {
      problems.push({
        location: locate(src, ['sites', i, 'name']),
        message: `duplicate site '${name}' (first defined at ${formatLocation(prev)}); site names must be unique`,
      });
      return;
    }
    seen.set(name, location);
    const missing = REQUIRED_AFTER_DEFAULTS.filter((k) => merged[k] === undefined);
    for (const k of missing) {
      problems.push({ location, message: `site '${name}' has no '${k}' (neither in the site nor in defaults)` });
    }
    if (missing.length > 0) return;
    const backend = (merged.backend as BackendName | undefined) ?? 'local';
    if (backend !== 'local' && merged.endpoint === undefined) {
      problems.push({
        location,
        message: `site '${name}' uses backend ${backend} but has no 'endpoint' (${backend === 'arc' ? 'the CE URL' : 'the partition'})`,
      });
      return;
    }
    const vulnerabilities = readVulnConfig(src, i, vulnDefaults, raw.vulnerabilities as RawVulns | undefined, problems);
    const swArea = merged.sw_area as string;
    const profileNames = (merged.profiles as string[] | undefined) ?? [];
    const fromSite = raw.profiles !== undefined;
    out.push({
      name,
      backend,
      sw_area: swArea,
      prefix: (merged.prefix as string | undefined) ?? `${swArea.replace(/\/+$/, '')}/pkg`,
      platform: merged.platform as string,
      pkg_path: merged.pkg_path as string,
      tags: (merged.tags as string[] | undefined) ?? [],
      profiles: profileNames.map((p, j) => ({
        name: p,
        location: fromSite ? locate(src, ['sites', i, 'profiles', j]) : locate(src, ['defaults', 'profiles', j]),
      })),
      userpkgs: (merged.userpkgs as boolean | undefined) ?? false,
      autoremove: (merged.autoremove as boolean | undefined) ?? false,
      protect: [...new Set([...ALWAYS_PROTECTED, ...((merged.protect as string[] | undefined) ?? [])])],
      job_time_limit: (merged.job_time_limit as number | undefined) ?? DEFAULT_JOB_TIME_LIMIT,
      ...optional(raw, ['gocdb_name']),
      ...optional(merged, ['endpoint', 'bootstrap', 'account', 'qos']),
      ...(vulnerabilities ? { vulnerabilities } : {}),
      location,
    });
  });
  return out;
}

function optional(raw: RawSite, keys: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keys) if (typeof raw[k] === 'string') out[k] = raw[k] as string;
  return out;
}
