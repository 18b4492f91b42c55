// --concurrency, read the same way by every command that takes it.
import { UsageError } from '../errors.js';

export function parseConcurrency(v: string | undefined): number {
  if (v === undefined) return 8;
  const n = Number(v);
  // Grid jobs mostly wait in queues, and their polls are batched: a fleet's every site may be in flight at once.
  if (!Number.isInteger(n) || n < 1 || n > 100_000)
    throw new UsageError(`--concurrency must be a whole number from 1 to 100000, got '${v}'`);
  return n;
}
