// desired-state/rollout.yaml → the rollout policy (src/rollout/types.ts):
// checked against schemas/rollout.schema.json, then against sites.yaml (a
// wave naming a site, glob or tag that matches no site is a typo, reported
// at its place like any other error). The file is optional: without it a
// revision reaches every site at once, as it always did.
import type { Problem } from '../errors.js';
import { compileGlob, globMatch } from '../pkgsrc/fnmatch.js';
import type { FailureBudget, RolloutPolicy, WaveSpec } from '../rollout/types.js';
import { checkSchema } from './schema-check.js';
import type { SiteRecord } from './sites.js';
import { locate, parseYamlSource, type YamlSource } from './yaml-source.js';

export const ROLLOUT_FILE = 'rollout.yaml';

interface RawWave {
  name?: string;
  sites?: string[];
  tags?: string[];
  percent?: number;
  max_failures?: number | string;
  soak?: string | number;
  gate?: 'manual' | 'none';
  on_failure?: 'halt' | 'rollback';
}

/** The policy in `text` (the file at `file`), or undefined with the problems reported. */
export function readRolloutPolicy(
  file: string,
  text: string,
  sites: readonly Pick<SiteRecord, 'name' | 'tags'>[],
  problems: Problem[],
): RolloutPolicy | undefined {
  const parsed = parseYamlSource(file, text);
  if (!parsed.ok) {
    problems.push(...parsed.problems);
    return undefined;
  }
  const src = parsed.source;
  const schemaProblems = checkSchema('rollout', src);
  if (schemaProblems.length > 0) {
    problems.push(...schemaProblems);
    return undefined;
  }
  const raw = (src.value as { waves: RawWave[] }).waves;
  const before = problems.length;
  const seen = new Set<string>();
  const waves = raw.map((w, i) => {
    const name = w.name ?? `wave-${i + 1}`;
    if (seen.has(name))
      problems.push({
        location: locate(src, ['waves', i, 'name']),
        message: `duplicate wave name '${name}'; wave names must be unique`,
      });
    seen.add(name);
    checkSelectors(src, i, w, sites, problems);
    return toWave(src, i, name, w);
  });
  return problems.length === before ? { file, waves } : undefined;
}

function checkSelectors(
  src: YamlSource,
  i: number,
  w: RawWave,
  sites: readonly Pick<SiteRecord, 'name' | 'tags'>[],
  problems: Problem[],
): void {
  if (!w.sites?.length && !w.tags?.length && w.percent === undefined)
    problems.push({
      location: locate(src, ['waves', i]),
      message: `wave ${i + 1} selects no site; give it sites (names or globs), tags, or a percent of the remaining sites`,
    });
  checkSiteSelectors(src, ['waves', i], w, sites, problems);
}

/**
 * Every name, glob and tag of a selector (a wave's, a window's) must match a
 * site of sites.yaml: one that matches none is a typo, reported at its place.
 */
export function checkSiteSelectors(
  src: YamlSource,
  at: (string | number)[],
  w: { sites?: string[]; tags?: string[] },
  sites: readonly Pick<SiteRecord, 'name' | 'tags'>[],
  problems: Problem[],
): void {
  (w.sites ?? []).forEach((p, j) => {
    const glob = /[*?[]/.test(p) ? compileGlob(p) : undefined;
    if (sites.some((s) => (glob ? globMatch(glob, s.name) : s.name === p))) return;
    problems.push({
      location: locate(src, [...at, 'sites', j]),
      message: `${glob ? `glob '${p}' matches no site` : `unknown site '${p}'`}; sites.yaml has: ${sites.map((s) => s.name).join(', ')}`,
    });
  });
  (w.tags ?? []).forEach((t, j) => {
    if (sites.some((s) => s.tags.includes(t))) return;
    const known = [...new Set(sites.flatMap((s) => s.tags))].sort();
    problems.push({
      location: locate(src, [...at, 'tags', j]),
      message: `no site has tag '${t}'; the tags in sites.yaml are: ${known.join(', ') || 'none'}`,
    });
  });
}

function toWave(src: YamlSource, i: number, name: string, w: RawWave): WaveSpec {
  return {
    name,
    sites: w.sites ?? [],
    tags: w.tags ?? [],
    ...(w.percent !== undefined ? { percent: w.percent } : {}),
    maxFailures: budget(w.max_failures),
    soakSeconds: durationSeconds(w.soak ?? '0'),
    gate: w.gate === 'manual',
    onFailure: w.on_failure ?? 'halt',
    location: locate(src, ['waves', i]),
  };
}

function budget(v: number | string | undefined): FailureBudget {
  if (v === undefined) return { count: 0 };
  return typeof v === 'number' ? { count: v } : { percent: Number(v.slice(0, -1)) };
}

/** "30s", "10m", "2h", "1d", "0" or a number of seconds (the schema admits nothing else). */
export function durationSeconds(v: string | number): number {
  if (typeof v === 'number') return v;
  if (v === '0') return 0;
  const unit = { s: 1, m: 60, h: 3600, d: 86_400 }[v.slice(-1) as 's' | 'm' | 'h' | 'd'];
  return Number(v.slice(0, -1)) * unit;
}
