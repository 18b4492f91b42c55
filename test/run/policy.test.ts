// The abortable pause of the poll loop leaves nothing behind: a job polled
// thousands of times (hours in a grid queue) adds no listeners to the signal
// its pauses share and prints no MaxListenersExceededWarning; an abort cuts
// the pause short.
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { pause, pollIntervalMs, retryPauseMs } from '../../src/run/tx/policy.js';

describe('pause', () => {
  it('leaks no listeners and warns of none over many pauses that share one signal', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    const wake = new AbortController();
    try {
      for (let i = 0; i < 200; i++) await pause(0, wake.signal);
      await new Promise((r) => setImmediate(r));
      expect(getEventListeners(wake.signal, 'abort')).toHaveLength(0);
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('ends early when aborted, before or during the pause', async () => {
    const wake = new AbortController();
    const started = Date.now();
    setTimeout(() => wake.abort(), 20);
    await pause(60_000, wake.signal);
    await pause(60_000, wake.signal);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(getEventListeners(wake.signal, 'abort')).toHaveLength(0);
  });

  it('retries with growing pauses and polls no faster than the backend allows', () => {
    expect([1, 2].map(retryPauseMs)).toEqual([1000, 2000]);
    expect(pollIntervalMs(50, undefined, false)).toBe(50);
    expect(pollIntervalMs(50, 3000, false)).toBe(3000);
    expect(pollIntervalMs(50, undefined, true)).toBe(2000);
  });
});
