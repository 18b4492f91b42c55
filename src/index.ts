// The public library API of vo-reconcile, for tests and integrators.
// Everything else under src/ is internal and may change.

/** pkg_install's version order: -1, 0 or 1, exactly as dewey.c compares. */
export { compareVersions } from './pkgsrc/version.js';
/** Whether a pkgsrc pattern matches a PKGNAME, exactly as `pkg_admin pmatch`. */
export { matchPattern, bestMatch } from './pkgsrc/pattern.js';
/** `pkg_info`, `pkg_info -u` and `pkg_info -Q VAR` output. */
export { parsePkgInfo, parsePkgInfoQuery, formatPkgInfo, type PkgInfoEntry } from './pkgsrc/pkg-info.js';
/** pkg_summary(5) and `pkg_info -X` records, and decompressing summaries. */
export { parsePkgSummary, formatPkgSummary, decodePkgSummary, type SummaryEntry } from './pkgsrc/pkg-summary.js';
/** Read, validate and resolve desired-state/ at a git revision (or the work tree). */
export { loadDesiredState, type LoadOptions } from './desired/load.js';
export type { DesiredState, ResolvedSite, DesiredPackage } from './desired/types.js';
/** The pure planner: (desired, observed, catalog) → Plan. */
export { buildPlan, type PlanInputs } from './plan/build-plan.js';
export { planSite } from './plan/plan-site.js';
export type { Plan, SitePlan, PlanAction, KeptPackage } from './plan/types.js';
export { Catalog } from './catalog/catalog.js';
export { loadCatalog } from './catalog/load.js';
export { inventoryFromPkgInfo } from './observed/inventory.js';
export type { Inventory, InstalledPackage } from './observed/types.js';
/** Every user-input error carries file:line:col problems. */
export { InputError, PatternError, type Problem, type SourceLocation } from './errors.js';
