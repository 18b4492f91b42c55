// Are the real Slurm and ARC CE (started by test/grid/servers/*-setup.sh)
// here? Locally a missing server skips its tests; under CI=true it fails
// them (any truthy CI, see helpers/ci.ts), so an integration test is never silently skipped in CI.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { inCI } from '../helpers/ci.js';

export const ARC_ENDPOINT = 'https://localhost:443/arex';
export const GRID_USER = 'vosgm';
export const GRID_GROUP = 'vo';
export const VO_SW = '/srv/vo_sw';

function sh(cmd: string): { ok: boolean; out: string } {
  const r = spawnSync('sh', ['-c', cmd], { encoding: 'utf8', timeout: 30_000 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

function slurmProblem(): string | undefined {
  const ping = sh('scontrol ping');
  if (!ping.ok || !/is UP/.test(ping.out))
    return `slurmctld is not answering (scontrol ping: ${ping.out.trim() || 'not installed'})`;
  if (!sh(`id ${GRID_USER}`).ok || !existsSync(VO_SW)) return `the user ${GRID_USER} or ${VO_SW} is missing`;
  return undefined;
}

function arcProblem(): string | undefined {
  const info = sh(`arcinfo -l -c ${ARC_ENDPOINT}`);
  if (!/Health state: ok/.test(info.out))
    return `the ARC CE at ${ARC_ENDPOINT} is not healthy (arcinfo: ${info.out.trim().split('\n').slice(-2).join(' / ') || 'not installed'})`;
  if (!existsSync(`/tmp/x509up_u${process.getuid?.() ?? 0}`)) return 'there is no grid proxy for this user';
  return undefined;
}

const SETUP = { slurm: 'test/grid/servers/slurm-setup.sh', arc: 'test/grid/servers/arc-ce-setup.sh' } as const;

/**
 * Whether to run the suite for a server: true when it is up; false (skip)
 * when it is down outside CI; under CI=true a missing server throws.
 */
export function serverUp(kind: 'slurm' | 'arc'): boolean {
  const problem = kind === 'slurm' ? slurmProblem() : arcProblem();
  if (!problem) return true;
  if (inCI())
    throw new Error(
      `CI=${process.env.CI} and the ${kind} server is not available: ${problem}. Start it with ${SETUP[kind]} (.ci/run does).`,
    );
  console.warn(`skipping the ${kind} integration tests: ${problem}; start it with ${SETUP[kind]}`);
  return false;
}
