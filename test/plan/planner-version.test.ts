// Cached plans are keyed by PLANNER_VERSION: a change to planSite (or to the
// readers that feed it) that gives other plans for the same inputs must bump
// it, or every cache would keep serving the old answers. This pins the plans
// of the example fleet to the version: when they change, bump the version
// and rewrite the golden file (UPDATE_GOLDEN=1).
import { createHash } from 'node:crypto';
import { describe, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/load.js';
import { loadDesiredState } from '../../src/desired/load.js';
import { readObservedSite } from '../../src/observed/observed-dir.js';
import { planSite } from '../../src/plan/plan-site.js';
import { PLANNER_VERSION } from '../../src/plan/planner-version.js';
import { expectGolden } from '../helpers/golden.js';

describe('PLANNER_VERSION', () => {
  it('names the plans the example fleet gets (bump it when they change)', async () => {
    const desired = await loadDesiredState({ dir: 'desired-state', worktree: true });
    const catalog = await loadCatalog('desired-state/examples/catalog');
    const h = createHash('sha256');
    for (const s of desired.sites) {
      const inventory = await readObservedSite('desired-state/examples/observed', s.name);
      const plan = planSite(s, inventory && { ...inventory, observedAt: 't' }, catalog, { kept: 'full' });
      h.update(JSON.stringify(plan));
    }
    expectGolden(
      'planner-version.txt',
      `PLANNER_VERSION ${PLANNER_VERSION}: plans of the example ${h.digest('hex')}\n`,
    );
  });
});
