// A job's name (its transaction id) names its files under state/jobs/: it
// must never be able to leave that directory.
const JOB_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function checkedJobName(name: string, what = 'job name'): string {
  if (!JOB_NAME.test(name)) throw new Error(`invalid ${what} ${JSON.stringify(name)}`);
  return name;
}
