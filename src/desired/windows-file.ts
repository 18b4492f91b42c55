// desired-state/windows.yaml → maintenance windows and the GOCDB downtime
// source (src/windows/types.ts): checked against schemas/windows.schema.json,
// then each window's cron schedule and time zone (croner and Intl say whether
// they can be used), and its sites and tags against sites.yaml, as
// rollout.yaml's waves are. Optional: without it a site may be touched at any time.
import type { Problem } from '../errors.js';
import type { MaintenanceWindow, WindowKind, WindowsConfig } from '../windows/types.js';
import { scheduleProblem } from '../windows/schedule.js';
import { checkSiteSelectors, durationSeconds } from './rollout-file.js';
import { checkSchema } from './schema-check.js';
import type { SiteRecord } from './sites.js';
import { locate, parseYamlSource } from './yaml-source.js';

export const WINDOWS_FILE = 'windows.yaml';

interface RawWindow {
  name: string;
  kind: WindowKind;
  schedule: string;
  duration: string | number;
  timezone?: string;
  sites?: string[];
  tags?: string[];
}

/** The windows in `text` (the file at `file`), or undefined with the problems reported. */
export function readWindows(
  file: string,
  text: string,
  sites: readonly Pick<SiteRecord, 'name' | 'tags'>[],
  problems: Problem[],
): WindowsConfig | undefined {
  const parsed = parseYamlSource(file, text);
  if (!parsed.ok) {
    problems.push(...parsed.problems);
    return undefined;
  }
  const src = parsed.source;
  const schemaProblems = checkSchema('windows', src);
  if (schemaProblems.length > 0) {
    problems.push(...schemaProblems);
    return undefined;
  }
  const value = src.value as { windows?: RawWindow[]; downtimes?: { source: string } } | null;
  const before = problems.length;
  const seen = new Set<string>();
  const windows = (value?.windows ?? []).map((w, i): MaintenanceWindow => {
    if (seen.has(w.name))
      problems.push({
        location: locate(src, ['windows', i, 'name']),
        message: `duplicate window name '${w.name}'; window names must be unique`,
      });
    seen.add(w.name);
    const timezone = w.timezone ?? 'UTC';
    const bad = scheduleProblem(w.schedule, timezone);
    if (bad)
      problems.push({
        location: locate(src, ['windows', i, bad.startsWith('unknown time zone') ? 'timezone' : 'schedule']),
        message: bad,
      });
    checkSiteSelectors(src, ['windows', i], w, sites, problems);
    return {
      name: w.name,
      kind: w.kind,
      schedule: w.schedule,
      durationSeconds: durationSeconds(w.duration),
      timezone,
      sites: w.sites ?? [],
      tags: w.tags ?? [],
      location: locate(src, ['windows', i]),
    };
  });
  if (problems.length !== before) return undefined;
  const d = value?.downtimes;
  return {
    file,
    windows,
    ...(d ? { downtimes: { source: d.source, location: locate(src, ['downtimes', 'source']) } } : {}),
  };
}
