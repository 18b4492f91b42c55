// Resolving profiles into one package set per site: `extends`, the implicit
// ALL prototype, platform filters, and the rule "later and more specific
// wins; a real conflict between unrelated profiles is an error naming both".
import { formatLocation, type Problem, type SourceLocation } from '../errors.js';
import { platformExclusion, type PackageEntry } from './package-entry.js';
import type { DesiredPackage, ProfileVulnPolicy } from './types.js';
import { mayIntersect } from './version-range.js';
import { combineSiblings, override, overrides } from './layers.js';

export const PROTOTYPE = 'ALL';

export interface ProfileDecl {
  entry: PackageEntry;
  location: SourceLocation;
}

export interface ProfileDoc {
  name: string;
  file: string;
  extends: { name: string; location: SourceLocation }[];
  decls: ProfileDecl[];
  /** `vulnerabilities:` of the profile, when stricter than the default (refuse, fix_vulnerable). */
  vuln?: { refuse?: true; fix?: true };
}

/** A resolved package plus the profiles whose own declarations produced it. */
interface Held {
  pkg: DesiredPackage;
  origins: string[];
}
type Layer = Map<string, Held>;

export interface Filtered {
  name: string;
  source: SourceLocation;
  reason: string;
}

export class ProfileResolver {
  private readonly cache = new Map<string, Layer>();
  private readonly ancestorsCache = new Map<string, Set<string>>();
  private readonly reported = new Set<string>();

  constructor(
    private readonly docs: Map<string, ProfileDoc>,
    private readonly problems: Problem[],
  ) {}

  private readonly siteCache = new Map<string, { packages: DesiredPackage[] | undefined; filtered: Filtered[] }>();

  /**
   * The packages of a site, or undefined when its profiles conflict. Sites
   * with the same profiles and platform share one (read-only) result.
   */
  resolveSite(profiles: string[], platform: string, filtered: Filtered[]): DesiredPackage[] | undefined {
    const key = `${platform}\0${profiles.join('\0')}`;
    let hit = this.siteCache.get(key);
    if (!hit) {
      const found: Filtered[] = [];
      hit = { packages: this.resolveUncached(profiles, platform, found), filtered: found };
      this.siteCache.set(key, hit);
    }
    filtered.push(...hit.filtered);
    return hit.packages;
  }

  private resolveUncached(profiles: string[], platform: string, filtered: Filtered[]): DesiredPackage[] | undefined {
    const before = this.problems.length;
    const layers = profiles.filter((p) => this.docs.has(p)).map((p) => this.resolve(p, platform, []));
    let site = this.combineSiblings(layers);
    if (this.docs.has(PROTOTYPE)) site = overrideKeepingPolicy(this.resolve(PROTOTYPE, platform, []), site);
    this.collectFiltered([PROTOTYPE, ...profiles], platform, filtered);
    if (this.problems.length > before) return undefined;
    return [...site.values()].map((h) => h.pkg).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Every profile reachable from `name` through extends (and ALL). */
  ancestors(name: string): Set<string> {
    let set = this.ancestorsCache.get(name);
    if (set) return set;
    set = new Set();
    this.ancestorsCache.set(name, set);
    for (const parent of this.parentsOf(name)) {
      set.add(parent);
      for (const a of this.ancestors(parent)) set.add(a);
    }
    return set;
  }

  /** The profiles `name` extends directly, ALL first (it is every profile's prototype). */
  parentsOf(name: string): string[] {
    const doc = this.docs.get(name);
    const own = (doc?.extends ?? []).map((e) => e.name).filter((n) => this.docs.has(n));
    return name !== PROTOTYPE && this.docs.has(PROTOTYPE) ? [PROTOTYPE, ...own] : own;
  }

  private resolve(name: string, platform: string, stack: string[]): Layer {
    const key = `${name}\0${platform}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const doc = this.docs.get(name)!;
    const parents: Layer[] = [];
    for (const parent of this.parentsOf(name)) {
      if (parent === name || stack.includes(parent)) {
        this.reportCycle([...stack, name, parent], doc);
        continue;
      }
      parents.push(this.resolve(parent, platform, [...stack, name]));
    }
    const inherited = new Map<string, Held>();
    for (const [k, h] of this.combineSiblings(parents)) {
      inherited.set(k, { pkg: { ...h.pkg, via: [name, ...h.pkg.via] }, origins: h.origins });
    }
    const layer = withProfilePolicy(overrideKeepingPolicy(inherited, this.ownLayer(doc, platform)), doc);
    this.cache.set(key, layer);
    return layer;
  }

  private ownLayer(doc: ProfileDoc, platform: string): Layer {
    const layer: Layer = new Map();
    for (const d of doc.decls) {
      if (platformExclusion(d.entry, platform)) continue;
      const prev = layer.get(d.entry.name);
      if (prev) {
        this.report(
          d.location,
          `package '${d.entry.name}' is declared twice in profile '${doc.name}' for platform ${platform} (also at ${formatLocation(prev.pkg.sources[0]!)}); keep one entry, or separate them with hosts_supported`,
        );
        continue;
      }
      layer.set(d.entry.name, {
        pkg: {
          name: d.entry.name,
          patterns: [d.entry.pattern],
          state: d.entry.state,
          sources: [d.location],
          via: [doc.name],
        },
        origins: [doc.name],
      });
    }
    return layer;
  }

  private combineSiblings(layers: Layer[]): Layer {
    return combineSiblings(layers, (a, b) => this.combinePair(a, b));
  }

  /** Two unrelated profiles of one site both speak about a package. */
  private combinePair(a: Held, b: Held): Held {
    const ancestors = (profile: string) => this.ancestors(profile);
    if (sameSources(a.pkg, b.pkg)) return keepPolicyOf(a, b);
    if (overrides(b, a, ancestors)) return keepPolicyOf(b, a);
    if (overrides(a, b, ancestors)) return keepPolicyOf(a, b);
    const [x, y] = [a.pkg, b.pkg];
    const here = y.sources[0]!;
    const there = x.sources.map(formatLocation).join(', ');
    if (x.state !== y.state) {
      this.report(
        here,
        `package '${y.name}' is ${y.state} here but ${x.state} at ${there} (profiles ${x.via[0]} and ${y.via[0]} of one site); make them agree`,
      );
      return a;
    }
    for (const p of x.patterns) {
      for (const q of y.patterns) {
        if (!mayIntersect(p, q, x.name)) {
          this.report(
            here,
            `'${q}' and '${p}' (at ${there}) cannot both be satisfied by any version of ${x.name} (profiles ${y.via[0]} and ${x.via[0]} of one site); make the versions overlap`,
          );
          return a;
        }
      }
    }
    const patterns = [...new Set([...x.patterns, ...y.patterns])];
    const pkg: DesiredPackage = { ...x, patterns, sources: [...x.sources, ...y.sources] };
    const vulnPolicy = mergePolicy(x.vulnPolicy, y.vulnPolicy);
    if (vulnPolicy) pkg.vulnPolicy = vulnPolicy;
    return { pkg, origins: [...a.origins, ...b.origins] };
  }

  private collectFiltered(names: string[], platform: string, out: Filtered[]): void {
    const seen = new Set<string>();
    const visit = (n: string) => {
      if (seen.has(n) || !this.docs.has(n)) return;
      seen.add(n);
      for (const d of this.docs.get(n)!.decls) {
        const reason = platformExclusion(d.entry, platform);
        if (reason) out.push({ name: d.entry.name, source: d.location, reason });
      }
      for (const p of this.parentsOf(n)) visit(p);
    };
    names.forEach(visit);
  }

  private reportCycle(chain: string[], doc: ProfileDoc): void {
    const start = chain.indexOf(chain[chain.length - 1]!);
    const cycle = chain.slice(start);
    const ref = doc.extends.find((e) => e.name === cycle[cycle.length - 1]);
    this.report(
      ref?.location ?? { file: doc.file, line: 1, column: 1 },
      `profile '${doc.name}' extends itself through ${cycle.join(' → ')}; remove one of these extends`,
    );
  }

  private report(location: SourceLocation, message: string): void {
    const key = `${formatLocation(location)}: ${message}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.problems.push({ location, message });
  }
}

// A profile's vulnerability policy covers every package it declares or
// inherits, whichever declaration wins: the merged package carries the
// strictest policy of all the layers that spoke about it.

/** `winner`, with the policy of `loser` added to its own. */
function keepPolicyOf(winner: Held, loser: Held): Held {
  const vulnPolicy = mergePolicy(winner.pkg.vulnPolicy, loser.pkg.vulnPolicy);
  return vulnPolicy === winner.pkg.vulnPolicy ? winner : { ...winner, pkg: { ...winner.pkg, vulnPolicy } };
}

function overrideKeepingPolicy(base: Layer, top: Layer): Layer {
  const out = override(base, top);
  for (const [k, h] of top) {
    const under = base.get(k);
    if (under?.pkg.vulnPolicy) out.set(k, keepPolicyOf(h, under));
  }
  return out;
}

/** The layer with the profile's own policy added to every package in it. */
function withProfilePolicy(layer: Layer, doc: ProfileDoc): Layer {
  if (!doc.vuln) return layer;
  const own: ProfileVulnPolicy = {
    ...(doc.vuln.refuse ? { refuse: [doc.name] } : {}),
    ...(doc.vuln.fix ? { fix: [doc.name] } : {}),
  };
  const out: Layer = new Map();
  for (const [k, h] of layer) out.set(k, { ...h, pkg: { ...h.pkg, vulnPolicy: mergePolicy(h.pkg.vulnPolicy, own) } });
  return out;
}

function mergePolicy(
  a: ProfileVulnPolicy | undefined,
  b: ProfileVulnPolicy | undefined,
): ProfileVulnPolicy | undefined {
  if (!b) return a;
  if (!a) return b;
  const union = (x?: string[], y?: string[]) =>
    x || y ? [...new Set([...(x ?? []), ...(y ?? [])])].sort() : undefined;
  const refuse = union(a.refuse, b.refuse);
  const fix = union(a.fix, b.fix);
  const merged = { ...(refuse ? { refuse } : {}), ...(fix ? { fix } : {}) };
  return JSON.stringify(merged) === JSON.stringify(a) ? a : merged;
}

function sameSources(a: DesiredPackage, b: DesiredPackage): boolean {
  return (
    a.sources.length === b.sources.length &&
    a.sources.every((s, i) => formatLocation(s) === formatLocation(b.sources[i]!))
  );
}
