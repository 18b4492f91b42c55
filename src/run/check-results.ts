// What a job's checks said: per check its outcome from the framed steps,
// and — when one did not pass — the reason a transaction fails with. Pure.
import type { JobCheck } from '../jobs/job-spec.js';
import type { JobOutput } from '../jobs/parse-output.js';
import { CHECK_TIMED_OUT, checkLabel } from '../jobs/render-checks.js';
import type { CheckResult } from '../state/records.js';

const STOPPED = /^check stopped: it exceeded its time limit/;
const KEPT_LINES = 20;

export function checkResults(checks: readonly JobCheck[], parsed: JobOutput): CheckResult[] {
  return checks.map((c): CheckResult => {
    const step = parsed.steps.find((s) => s.label === checkLabel(c.name));
    if (!step) return { name: c.name, outcome: 'not-run' };
    const output = step.output.slice(-KEPT_LINES);
    if (step.rc === undefined) return { name: c.name, outcome: 'failed', output };
    const stopped = step.rc === CHECK_TIMED_OUT && STOPPED.test(output[output.length - 1] ?? '');
    const outcome = step.rc === 0 ? 'passed' : stopped ? 'timed-out' : 'failed';
    return { name: c.name, outcome, rc: step.rc, output };
  });
}

/**
 * Why the checks of a job whose actions all succeeded do not validate it:
 * the first check that did not pass, the tail of its output, and how many
 * others failed too. Undefined when all passed.
 */
export function checksVerdict(checks: readonly JobCheck[], results: readonly CheckResult[]): string | undefined {
  const bad = results.filter((r) => r.outcome !== 'passed');
  if (bad.length === 0) return undefined;
  const first = bad[0]!;
  const limit = checks.find((c) => c.name === first.name)?.timeout;
  const tail = (first.output ?? [])
    .filter((l) => l.trim() !== '' && !STOPPED.test(l))
    .slice(-3)
    .join(' / ');
  const what =
    first.outcome === 'timed-out'
      ? `exceeded its time limit of ${limit}s`
      : first.outcome === 'not-run'
        ? 'did not run'
        : first.rc === undefined
          ? 'did not finish'
          : `exited ${first.rc}`;
  const more =
    bad.length > 1
      ? ` (also not passed: ${bad
          .slice(1)
          .map((b) => b.name)
          .join(', ')})`
      : '';
  return `check '${first.name}' ${what}${tail ? `: ${tail}` : ''}${more}`;
}
