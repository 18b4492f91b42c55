// A profile's `checks:` → the checks each site runs after its actions.
// Checks merge through extends (and ALL) the way packages do: a profile's
// own check overrides an inherited one of the same name; two unrelated
// profiles of one site may not both declare a name, since a site's checks
// are told apart by name in the job's output and in the journal.
import { formatLocation, type Problem, type SourceLocation } from '../errors.js';
import { DEFAULT_CHECK_TIMEOUT, type DesiredCheck } from './types.js';
import { locate, type YamlSource } from './yaml-source.js';
import { combineSiblings, override, overrides } from './layers.js';

export interface CheckDecl {
  name: string;
  run: string;
  timeout: number;
  location: SourceLocation;
}

/** How profiles relate; ProfileResolver knows (ALL included). */
export interface Lineage {
  parentsOf(name: string): string[];
  ancestors(name: string): Set<string>;
}

/** The `checks:` of one schema-valid profile; duplicates and blank commands are problems. */
export function readChecks(src: YamlSource, profile: string, problems: Problem[]): CheckDecl[] {
  const raw = ((src.value as { checks?: unknown[] }).checks ?? []) as { name: string; run: string; timeout?: number }[];
  const out: CheckDecl[] = [];
  raw.forEach((c, i) => {
    const location = locate(src, ['checks', i]);
    if (c.run.trim() === '') {
      problems.push({
        location: locate(src, ['checks', i, 'run']),
        message: `check '${c.name}': 'run' is blank; expected the shell command to run at the site`,
      });
      return;
    }
    const prev = out.find((d) => d.name === c.name);
    if (prev) {
      problems.push({
        location: locate(src, ['checks', i, 'name']),
        message: `check '${c.name}' is declared twice in profile '${profile}' (also at ${formatLocation(prev.location)}); check names must be unique`,
      });
      return;
    }
    out.push({ name: c.name, run: c.run, timeout: c.timeout ?? DEFAULT_CHECK_TIMEOUT, location });
  });
  return out;
}

interface Held {
  check: DesiredCheck;
  origins: string[];
}
type Layer = Map<string, Held>;

export class CheckResolver {
  private readonly cache = new Map<string, Layer>();
  private readonly reported = new Set<string>();

  constructor(
    private readonly checks: ReadonlyMap<string, CheckDecl[]>,
    private readonly lineage: Lineage,
    private readonly prototype: string,
    private readonly problems: Problem[],
  ) {}

  /** A site's checks in run order, or undefined when two of its profiles declare one name. */
  resolveSite(profiles: string[]): DesiredCheck[] | undefined {
    const before = this.problems.length;
    const layers = profiles.filter((p) => this.checks.has(p)).map((p) => this.resolve(p, []));
    let site = this.combineSiblings(layers);
    if (this.checks.has(this.prototype)) site = override(this.resolve(this.prototype, []), site);
    if (this.problems.length > before) return undefined;
    return [...site.values()].map((h) => h.check);
  }

  private resolve(name: string, stack: string[]): Layer {
    const cached = this.cache.get(name);
    if (cached) return cached;
    // A cycle is reported by the package resolver; here it only must not recurse forever.
    const parents = this.lineage.parentsOf(name).filter((p) => p !== name && !stack.includes(p));
    const inherited: Layer = new Map();
    for (const [k, h] of this.combineSiblings(parents.map((p) => this.resolve(p, [...stack, name])))) {
      inherited.set(k, { check: { ...h.check, via: [name, ...h.check.via] }, origins: h.origins });
    }
    const own: Layer = new Map();
    for (const d of this.checks.get(name) ?? []) {
      own.set(d.name, {
        check: { name: d.name, run: d.run, timeout: d.timeout, source: d.location, via: [name] },
        origins: [name],
      });
    }
    const layer = override(inherited, own);
    this.cache.set(name, layer);
    return layer;
  }

  private combineSiblings(layers: Layer[]): Layer {
    return combineSiblings(layers, (a, b) => this.combinePair(a, b));
  }

  private combinePair(a: Held, b: Held): Held {
    if (formatLocation(a.check.source) === formatLocation(b.check.source)) return a;
    const ancestors = (profile: string) => this.lineage.ancestors(profile);
    if (overrides(b, a, ancestors)) return b;
    if (overrides(a, b, ancestors)) return a;
    this.report(
      b.check.source,
      `check '${b.check.name}' is also declared at ${formatLocation(a.check.source)} (profiles ${b.check.via[0]} and ${a.check.via[0]} of one site); a site's check names must be unique: rename one, or declare it once in a profile both extend`,
    );
    return a;
  }

  private report(location: SourceLocation, message: string): void {
    const key = `${formatLocation(location)}: ${message}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.problems.push({ location, message });
  }
}
