// A database URL as shown in messages, hook scripts and crontab lines never
// carries its password, however the password is spelled.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redactUrl, scrub, urlPassword } from '../../src/state/redact-url.js';
import { isDatabaseUrl, stateSpec } from '../../src/state/store.js';

describe('redactUrl', () => {
  it('drops the password from the user part and from a password parameter', () => {
    expect(redactUrl('postgres://vo:s3cret@db.example.org:5433/state')).toBe('postgres://vo@db.example.org:5433/state');
    expect(redactUrl('postgresql://vo@h/db?password=s3cret&sslmode=require')).toBe('postgresql://vo@h/db?sslmode=require');
    expect(redactUrl('postgres://[not a url')).toBe('postgres://(unparseable URL)');
  });

  it('never shows a password, and scrub removes it from any message echoing it', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 4 }), (pw) => {
        const url = `postgres://vo:${encodeURIComponent(pw)}@127.0.0.1:5432/db`;
        expect(urlPassword(url)).toBe(pw);
        const shown = redactUrl(url);
        expect(shown).toBe('postgres://vo@127.0.0.1:5432/db');
        expect(scrub(`failed for ${pw} and ${encodeURIComponent(pw)}`, pw)).not.toContain(pw);
      }),
    );
  });
});

describe('stateSpec', () => {
  it('takes --state, else VO_RECONCILE_STATE, else state/; a database keeps the local files apart', () => {
    expect(stateSpec(undefined, {})).toEqual({ state: 'state', localDir: 'state' });
    expect(stateSpec('/srv/st', { VO_RECONCILE_STATE: 'postgres://h/db' })).toEqual({ state: '/srv/st', localDir: '/srv/st' });
    expect(stateSpec(undefined, { VO_RECONCILE_STATE: 'postgres://h/db', VO_RECONCILE_LOCAL_STATE: '/var/lib/vo' })).toEqual({
      state: 'postgres://h/db',
      localDir: '/var/lib/vo',
    });
    expect(isDatabaseUrl('POSTGRESQL://h/db')).toBe(true);
    expect(isDatabaseUrl('postgres-state')).toBe(false);
  });
});
