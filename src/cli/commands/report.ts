// `reconcile report --site NAME --url URL [--prefix P]`: run at a site (no
// root needed), sends what pkg_info lists there (installed, user-installed,
// and each package's DEPENDS) to a collector running
// `reconcile serve --report-secrets`, signed with the site's secret.
// With --cron, prints the /etc/cron.d line that does it daily (or --every).
import { createHash, randomBytes } from 'node:crypto';
import { homedir, userInfo } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { UsageError } from '../../errors.js';
import { shq } from '../../jobs/shell.js';
import { checkSecret, readSecretFile } from '../../site-report/secrets.js';
import { HEADER, sign } from '../../site-report/signature.js';
import { encodeReport } from '../../site-report/wire.js';
import { flag, listOpt, noPositionals, stringOpt, type ParsedArgs } from '../args.js';
import type { CommandResult, Io } from '../io.js';
import { SITE_NAME } from '../../state/site-paths.js';
import { fetchFailureCause } from '../../util/fetch-cause.js';

const MAIN = fileURLToPath(new URL('../main.js', import.meta.url));
/** Where a reporter without --secret-file finds its secret (never the command line: ps shows it). */
export const SECRET_ENV = 'RECONCILE_REPORT_SECRET';

export async function reportCommand(args: ParsedArgs, io: Io): Promise<CommandResult> {
  noPositionals(args);
  const sites = listOpt(args, 'site');
  if (sites.length !== 1) throw new UsageError('report needs exactly one --site NAME (the name in sites.yaml)');
  const site = sites[0]!;
  if (!SITE_NAME.test(site))
    throw new UsageError(`invalid site name ${JSON.stringify(site)}; expected letters, digits, '.', '_' or '-'`);
  const endpoint = endpointUrl(stringOpt(args, 'url'), site);
  const prefix = stringOpt(args, 'prefix');
  if (flag(args, 'cron')) {
    const line = cronLine(
      site,
      stringOpt(args, 'url')!,
      prefix,
      stringOpt(args, 'secret-file'),
      stringOpt(args, 'every') ?? '1d',
    );
    io.out(flag(args, 'json') ? JSON.stringify({ site, line }) : line);
    return { exitCode: 0 };
  }
  const secret = await reporterSecret(args);
  const pkgInfo = prefix ? path.join(path.resolve(prefix), 'sbin', 'pkg_info') : 'pkg_info';
  // -n -a: each package's own DEPENDS, so the planner need not take them from the catalog.
  const listings = await Promise.all([
    runPkgInfo(pkgInfo, []),
    runPkgInfo(pkgInfo, ['-u']),
    runPkgInfo(pkgInfo, ['-n', '-a']),
  ]);
  const failed = listings.filter((l): l is { error: string } => 'error' in l);
  if (failed.length > 0) {
    for (const f of failed) io.err(`reconcile: ${f.error}`);
    return { exitCode: 1 };
  }
  const [all, user, depends] = listings as { text: string }[];
  const body = encodeReport(all!.text, user!.text, depends!.text);
  const signed = sign(secret, site, body, Math.floor(Date.now() / 1000), randomBytes(16).toString('hex'));
  let res: Response;
  try {
    res = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [HEADER.timestamp]: signed.timestamp,
        [HEADER.nonce]: signed.nonce,
        [HEADER.signature]: signed.signature,
      },
      body,
      signal: AbortSignal.timeout(120_000),
    });
  } catch (e) {
    io.err(`reconcile: cannot reach the collector at ${endpoint.origin}: ${fetchFailureCause(e)}`);
    return { exitCode: 1 };
  }
  const reason = (await res.text()).trim();
  if (!res.ok) {
    io.err(`reconcile: the collector refused the report (HTTP ${res.status}): ${reason}`);
    return { exitCode: 1 };
  }
  io.out(flag(args, 'json') ? JSON.stringify({ site, stored: true, status: res.status, message: reason }) : reason);
  return { exitCode: 0 };
}

function endpointUrl(url: string | undefined, site: string): URL {
  if (!url)
    throw new UsageError("report needs --url, the collector's address, e.g. https://collector.example.org:8080");
  let base: URL;
  try {
    base = new URL(url.endsWith('/') ? url : `${url}/`);
  } catch {
    throw new UsageError(`--url must be an http:// or https:// address, got '${url}'`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:')
    throw new UsageError(`--url must be an http:// or https:// address, got '${url}'`);
  return new URL(`api/sites/${encodeURIComponent(site)}/inventory`, base);
}

async function reporterSecret(args: ParsedArgs): Promise<string> {
  const file = stringOpt(args, 'secret-file');
  if (file) return readSecretFile(file);
  const env = process.env[SECRET_ENV];
  if (env !== undefined) return checkSecret(env.trim(), { file: `$${SECRET_ENV}` });
  throw new UsageError(
    `report needs the site's secret: --secret-file FILE (mode 600) or the environment variable ${SECRET_ENV}`,
  );
}

/** pkg_info's output, or why it could not be had; the secret stays out of its environment. */
async function runPkgInfo(tool: string, flags: string[]): Promise<{ text: string } | { error: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C' };
  delete env[SECRET_ENV];
  const r = await execa(tool, flags, { env, extendEnv: false, reject: false, stripFinalNewline: false });
  const what = [tool, ...flags].join(' ');
  if (r.failed && (r.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    return {
      error: `${what}: not found${tool === 'pkg_info' ? ' in PATH; give --prefix, the pkgsrc prefix of the software area' : ''}`,
    };
  }
  if (r.exitCode !== 0)
    return {
      error: `${what} failed (exit ${r.exitCode ?? r.signal}): ${String(r.stderr).trim().split('\n')[0] ?? ''}`,
    };
  return { text: String(r.stdout) };
}

/**
 * A line for /etc/cron.d/, as the current user, with absolute paths and a
 * log. The minute and hour come from the site name, so hundreds of sites
 * do not all report at once. cron gives '%' a meaning of its own: escaped.
 */
export function cronLine(
  site: string,
  url: string,
  prefix: string | undefined,
  secretFile: string | undefined,
  every: string,
): string {
  if (!secretFile)
    throw new UsageError(
      `--cron needs --secret-file: cron cannot hand the reporter ${SECRET_ENV} without writing the secret into the cron file`,
    );
  const argv = [
    process.execPath,
    MAIN,
    'report',
    '--site',
    site,
    '--url',
    url,
    ...(prefix ? ['--prefix', path.resolve(prefix)] : []),
    '--secret-file',
    path.resolve(secretFile),
  ];
  const log = path.join(homedir(), `reconcile-report-${site}.log`);
  return `${spreadSchedule(site, every)} ${userInfo().username} ${argv.map(shq).join(' ')} >> ${shq(log)} 2>&1`.replace(
    /%/g,
    '\\%',
  );
}

/** Every 1h, 2h, 3h, 4h, 6h, 8h, 12h or 1d, at a minute and hour offset taken from the site name. */
export function spreadSchedule(site: string, every: string): string {
  const m = /^([1-9][0-9]*)([hd])$/.exec(every);
  const hours = m ? (m[2] === 'd' ? 24 * Number(m[1]) : Number(m[1])) : NaN;
  if (!(hours <= 24 && 24 % hours === 0))
    throw new UsageError(
      `--every for report --cron must divide the day evenly: 1h, 2h, 3h, 4h, 6h, 8h, 12h or 1d; got '${every}'`,
    );
  const hash = createHash('sha256').update(site).digest();
  const minute = hash.readUInt32BE(0) % 60;
  const hour = hash.readUInt32BE(4) % hours;
  return hours === 1
    ? `${minute} * * * *`
    : hours === 24
      ? `${minute} ${hour} * * *`
      : `${minute} ${hour}-23/${hours} * * *`;
}
