// Making a reviewed plan: each planned site's plan with the digests of what
// it was planned from. Observations are read before and after planning, so
// a site observed while the fleet was planned cannot slip into the file
// with a digest of another observation than its plan's.
import type { PlanSummary, SitePlan } from '../plan/types.js';
import { PLANNER_VERSION } from '../plan/planner-version.js';
import { siteDigest } from '../plan-cache/digest.js';
import type { ResolvedSite } from '../desired/types.js';
import { observationNow } from './current.js';
import { PLAN_FILE_FORMAT, type PlanFile, type PlanFileSite } from './plan-file.js';

export interface PlanFileMeta {
  revision: string;
  rev: string;
  tags: string[];
  catalogOverride?: string;
}

type Observed = Awaited<ReturnType<typeof observationNow>>;

export class PlanFileRecorder {
  private readonly sites: PlanFileSite[] = [];
  private before = new Map<string, Observed>();

  constructor(
    private readonly meta: PlanFileMeta,
    private readonly stateDir: string,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Before planning: the observations the plans will be made from. */
  async start(sites: readonly ResolvedSite[]): Promise<void> {
    this.before = new Map(
      await Promise.all(sites.map(async (s) => [s.name, await observationNow(this.stateDir, s.name)] as const)),
    );
  }

  add(site: ResolvedSite, planJson: string, catalogDigest: string | undefined, held: boolean): void {
    const { kept: _kept, ...plan } = JSON.parse(planJson) as SitePlan & { held?: unknown };
    delete plan.held;
    this.sites.push({
      site: site.name,
      desired: siteDigest(site),
      observation: this.before.get(site.name) ?? null,
      catalog: { location: this.meta.catalogOverride ?? site.pkg_path, digest: catalogDigest ?? null },
      held,
      plan,
    });
  }

  /** After planning: the plan file, or the sites observed meanwhile (then no file is fit to review). */
  async finish(summary: PlanSummary): Promise<{ plan: PlanFile } | { observedMeanwhile: string[] }> {
    const moved: string[] = [];
    for (const s of this.sites) {
      const now = await observationNow(this.stateDir, s.site);
      if (now?.digest !== s.observation?.digest) moved.push(s.site);
    }
    if (moved.length > 0) return { observedMeanwhile: moved };
    return {
      plan: {
        format: PLAN_FILE_FORMAT,
        createdAt: new Date(this.clock()).toISOString(),
        revision: this.meta.revision,
        rev: this.meta.rev,
        tags: this.meta.tags,
        ...(this.meta.catalogOverride ? { catalogOverride: this.meta.catalogOverride } : {}),
        plannerVersion: PLANNER_VERSION,
        sites: this.sites,
        summary,
      },
    };
  }
}
