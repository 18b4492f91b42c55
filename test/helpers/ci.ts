// Whether this run is CI, where every integration server must be present.
// Any value a CI system sets for CI counts (true, 1, yes, ...); only unset,
// empty, 0 and false mean a developer's machine, where a missing server skips.
export function inCI(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = (env.CI ?? '').trim().toLowerCase();
  return v !== '' && v !== '0' && v !== 'false';
}
