// buildPlan: the whole fleet's plan from desired state, observations and
// catalogs. Pure and deterministic: the same inputs give the same Plan.
import type { Catalog } from '../catalog/catalog.js';
import type { DesiredState, ResolvedSite } from '../desired/types.js';
import type { Inventory } from '../observed/types.js';
import { planSite } from './plan-site.js';
import type { Plan } from './types.js';

export interface PlanInputs {
  desired: DesiredState;
  /** Inventories by site name; a site without one is planned as unobserved. */
  observed: ReadonlyMap<string, Inventory>;
  /** Catalogs by pkg_path; an Error says why that PKG_PATH could not be read. */
  catalogs: ReadonlyMap<string, Catalog | Error>;
}

export function buildPlan(inputs: PlanInputs, sites: readonly ResolvedSite[] = inputs.desired.sites): Plan {
  return {
    format: 'vo-reconcile-plan/1',
    revision: inputs.desired.revision,
    sites: sites.map((s) =>
      planSite(
        s,
        inputs.observed.get(s.name),
        inputs.catalogs.get(s.pkg_path) ?? new Error(`no catalog loaded for ${s.pkg_path}`),
      ),
    ),
  };
}
