// A worker thread of the fleet planner (run through tinypool): it is given
// the whole fleet's inputs once, as workerData, and then plans sites by index.
import Tinypool from 'tinypool';
import { SitePlanning, type FleetInputs, type SiteOutcome } from './plan-task.js';

const planning = new SitePlanning(Tinypool.workerData as FleetInputs);

export default function planSiteAt(index: number): Promise<SiteOutcome> {
  return planning.plan(index);
}
