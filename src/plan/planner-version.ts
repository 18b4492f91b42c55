// The version of what planSite computes. Cached plans (state/plan-cache/)
// are keyed by it besides planSite's inputs: whoever changes planSite, its
// dependencies or its ordering so that the same inputs give another plan
// bumps it, and every cached plan is planned again. test/plan/planner-version
// .test.ts fails when the plans of its fixed fleet change under the same number.
export const PLANNER_VERSION = 5;
