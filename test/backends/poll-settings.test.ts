// Poll intervals per backend: defaults, the environment's say, and a bad value refused with the variable's name.
import { describe, expect, it } from 'vitest';
import { pollSchedule } from '../../src/backends/poll-settings.js';

describe('poll settings', () => {
  it('defaults: Slurm every 10 s, ARC every 20 s, 10 % jitter', () => {
    expect(pollSchedule('slurm', {})).toEqual({ intervalMs: 10_000, jitter: 0.1, gatherMs: 500 });
    expect(pollSchedule('arc', {})).toEqual({ intervalMs: 20_000, jitter: 0.1, gatherMs: 500 });
  });

  it('takes seconds per backend and the jitter from the environment', () => {
    const env = { RECONCILE_POLL_SLURM: '60', RECONCILE_POLL_ARC: '300', RECONCILE_POLL_JITTER: '0.25' };
    expect(pollSchedule('slurm', env)).toEqual({ intervalMs: 60_000, jitter: 0.25, gatherMs: 500 });
    expect(pollSchedule('arc', env)).toMatchObject({ intervalMs: 300_000 });
  });

  it('refuses what is not a number of seconds (at least 1), or a jitter outside [0, 1), naming the variable', () => {
    expect(pollSchedule('arc', { RECONCILE_POLL_ARC: '20s' })).toEqual(
      new Error(
        'RECONCILE_POLL_ARC="20s": give the seconds between two arc status calls, a number of at least 1 (default 20)',
      ),
    );
    expect(pollSchedule('slurm', { RECONCILE_POLL_SLURM: '0.5' })).toBeInstanceOf(Error);
    expect((pollSchedule('slurm', { RECONCILE_POLL_JITTER: '1' }) as Error).message).toMatch(
      /^RECONCILE_POLL_JITTER="1": give the fraction/,
    );
  });
});
