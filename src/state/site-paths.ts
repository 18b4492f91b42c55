// Every file under state/ named after a site is built here, and a name that
// could leave its directory is refused. The schema already admits only such
// names; this holds for names from anywhere else too (a command line, a
// file name read back from state/).
import path from 'node:path';
import { InputError } from '../errors.js';

/** schemas/sites.schema.json's siteName: no '/', and no leading '.' (so never '.' or '..'). */
export const SITE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** state/<dir>/<site><suffix>, or an InputError for anything that is not a site name. */
export function siteStateFile(stateDir: string, dir: string, site: string, suffix: string): string {
  if (!SITE_NAME.test(site)) {
    throw new InputError({ location: { file: '--site' }, message: `invalid site name ${JSON.stringify(site)}; expected letters, digits, '.', '_' or '-'` });
  }
  return path.join(stateDir, dir, `${site}${suffix}`);
}
