// The packages × sites grid as compact data for the page's script to draw:
// per package its name, the distinct desired patterns, and per site a cell
// [state, installed version, desired pattern] or 0 where the package is not
// declared there. A version is the installed PKGNAME without its name, which
// the row already says.
import type { CellState, FleetStatus } from './fleet-status.js';

export interface GridData {
  sites: string[];
  platforms: string[];
  /** Each cell's state is an index into these lists. */
  states: CellState[];
  symbols: string[];
  rows: [name: string, desired: string[], cells: (0 | [state: number, version: string, desired: number])[]][];
}

export function grid(s: FleetStatus, legend: readonly { state: CellState; symbol: string }[]): GridData {
  const index = new Map(legend.map((l, i) => [l.state, i]));
  const rows = s.packages.map(({ name, cells }): GridData['rows'][number] => {
    const desired: string[] = [];
    const desiredIndex = new Map<string, number>();
    const row = s.sites.map((site): 0 | [number, string, number] => {
      const c = cells[site.name];
      if (!c) return 0;
      let d = -1;
      if (c.desired !== undefined) {
        d = desiredIndex.get(c.desired) ?? -1;
        if (d < 0) desiredIndex.set(c.desired, (d = desired.push(c.desired) - 1));
      }
      const installed = c.installed ?? '';
      const version = installed.startsWith(`${name}-`) ? installed.slice(name.length + 1) : installed;
      return [index.get(c.state)!, version, d];
    });
    return [name, desired, row];
  });
  return {
    sites: s.sites.map((x) => x.name),
    platforms: s.sites.map((x) => x.platform),
    states: legend.map((l) => l.state),
    symbols: legend.map((l) => l.symbol),
    rows,
  };
}
