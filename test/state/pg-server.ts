// A real PostgreSQL for the state-store tests: a throw-away cluster of
// this file's own (initdb in a temp dir, 127.0.0.1, a free port, run as the
// `postgres` user when the tests run as root), or the server
// VO_RECONCILE_TEST_PG_URL names (an admin URL; each test makes its own
// database there). Under CI a PostgreSQL that cannot be had fails the
// tests; elsewhere they are skipped.
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { inCI } from '../helpers/ci.js';

export interface PgServer {
  /** The superuser's password (tests check it is never shown). */
  password: string;
  /** A URL of a fresh, empty database, with the password in it. */
  newDatabase(): Promise<string>;
  /** Stop (`pg_ctl stop -m immediate`) and start the server again; only for a cluster of our own. */
  stop?(): void;
  start?(): void;
  close(): Promise<void>;
}

/** Where the server binaries are: the newest /usr/lib/postgresql/N/bin with initdb. */
function pgBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(root, versions[0], 'bin') : undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

let counter = 0;
const dbName = () => `vo_test_${process.pid}_${Date.now().toString(36)}_${counter++}`;

/** The server, or undefined (skip) outside CI when none can be had; under CI, an error. */
export async function pgServer(): Promise<PgServer | undefined> {
  const given = process.env.VO_RECONCILE_TEST_PG_URL;
  if (given) return external(given);
  const bin = pgBin();
  if (!bin) {
    if (inCI()) throw new Error('PostgreSQL tests need a server: no /usr/lib/postgresql/*/bin/initdb (apt-get install postgresql) and no VO_RECONCILE_TEST_PG_URL');
    return undefined;
  }
  return ownCluster(bin);
}

async function createDb(adminUrl: string): Promise<string> {
  const name = dbName();
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

function external(adminUrl: string): PgServer {
  return {
    password: decodeURIComponent(new URL(adminUrl).password),
    newDatabase: () => createDb(adminUrl),
    close: () => Promise.resolve(),
  };
}

async function ownCluster(bin: string): Promise<PgServer> {
  const root = process.getuid?.() === 0;
  const dir = mkdtempSync(path.join(tmpdir(), 'vo-pg-'));
  const data = path.join(dir, 'data');
  const password = `pw-${Math.random().toString(36).slice(2)}-secret`;
  writeFileSync(path.join(dir, 'pwfile'), `${password}\n`);
  if (root) {
    // PostgreSQL refuses to run as root: the cluster belongs to the postgres user.
    const { uid, gid } = postgresUser();
    chownSync(dir, uid, gid);
    chownSync(path.join(dir, 'pwfile'), uid, gid);
  }
  const as = (cmd: string, args: string[]) =>
    root
      ? execFileSync('runuser', ['-u', 'postgres', '--', path.join(bin, cmd), ...args], { stdio: 'pipe' })
      : execFileSync(path.join(bin, cmd), args, { stdio: 'pipe' });
  as('initdb', ['-D', data, '-U', 'vo', '--auth=scram-sha-256', `--pwfile=${path.join(dir, 'pwfile')}`, '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  const opts = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c max_connections=200`;
  const start = () => {
    as('pg_ctl', ['-D', data, '-o', opts, '-l', path.join(dir, 'log'), '-w', '-t', '60', 'start']);
  };
  const stop = () => {
    as('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
  };
  start();
  const adminUrl = `postgres://vo:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  return {
    password,
    newDatabase: () => createDb(adminUrl),
    stop,
    start,
    close: () => {
      try {
        stop();
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

function postgresUser(): { uid: number; gid: number } {
  const line = execFileSync('getent', ['passwd', 'postgres'], { encoding: 'utf8' }).trim();
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}
