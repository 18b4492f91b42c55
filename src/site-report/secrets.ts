// The collector's per-site report secrets (serve --report-secrets FILE) and
// a reporter's own secret (report --secret-file FILE). Both files must be
// private to their owner: a secret others can read is no secret.
import { readFile, stat } from 'node:fs/promises';
import { InputError, type Problem } from '../errors.js';
import { SITE_NAME } from '../state/site-paths.js';

/** A secret is one printable token; 32 characters is `openssl rand -hex 16`. */
const SECRET = /^[\x21-\x7e]{32,}$/;
const SECRET_HINT = "at least 32 printable characters without spaces, e.g. from 'openssl rand -hex 32'";

/**
 * `SITE SECRET` per line; blank lines and lines starting with '#' are
 * ignored. Every problem is reported with its line; a secret is never
 * echoed in a message.
 */
export function parseSecrets(text: string, file: string): Map<string, string> {
  const secrets = new Map<string, string>();
  const firstLine = new Map<string, number>();
  const problems: Problem[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) return;
    const at = { file, line: i + 1, column: 1 };
    const fields = line.split(/\s+/);
    if (fields.length !== 2) {
      problems.push({
        location: at,
        message: `expected 'SITE SECRET' (two fields), got ${fields.length} field${fields.length === 1 ? '' : 's'}`,
      });
      return;
    }
    const [site, secret] = fields as [string, string];
    if (!SITE_NAME.test(site))
      problems.push({
        location: at,
        message: `invalid site name ${JSON.stringify(site)}; expected letters, digits, '.', '_' or '-'`,
      });
    else if (firstLine.has(site))
      problems.push({
        location: at,
        message: `site '${site}' already has a secret on line ${firstLine.get(site)}; expected one line per site`,
      });
    else if (!SECRET.test(secret))
      problems.push({
        location: { ...at, column: raw.indexOf(secret) + 1 },
        message: `the secret of '${site}' is too weak; expected ${SECRET_HINT}`,
      });
    else {
      secrets.set(site, secret);
      firstLine.set(site, i + 1);
    }
  });
  if (problems.length > 0) throw new InputError(problems);
  return secrets;
}

export async function readSecretsFile(file: string): Promise<Map<string, string>> {
  return parseSecrets(await readPrivate(file), file);
}

/** A reporter's secret file: the secret alone on its first line. */
export async function readSecretFile(file: string): Promise<string> {
  return checkSecret((await readPrivate(file)).split('\n')[0]!.replace(/\r$/, '').trim(), { file, line: 1 });
}

export function checkSecret(secret: string, where: { file: string; line?: number }): string {
  if (!SECRET.test(secret))
    throw new InputError({ location: where, message: `the secret is too weak or malformed; expected ${SECRET_HINT}` });
  return secret;
}

async function readPrivate(file: string): Promise<string> {
  const st = await stat(file).catch((e: NodeJS.ErrnoException) => {
    throw new InputError({
      location: { file },
      message: `cannot read the secret file: ${e.code === 'ENOENT' ? 'no such file' : e.message}`,
    });
  });
  if (!st.isFile()) throw new InputError({ location: { file }, message: 'expected a regular file of secrets' });
  if ((st.mode & 0o077) !== 0) {
    throw new InputError({
      location: { file },
      message: `mode ${(st.mode & 0o777).toString(8)} lets group or others at the secrets; expected only the owner (chmod 600)`,
    });
  }
  return readFile(file, 'utf8');
}
