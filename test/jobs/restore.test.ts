// A failed replacement must not silently leave the site with less (issue 20,
// case 3): pkg_add -U deletes the old version before the new one is in, so
// after a failed upgrade the job checks that one of the two is installed,
// reinstalls the old exact PKGNAME when the plan says the catalog offers it,
// and reports the loss otherwise. The tools here are small stand-ins of our
// own that keep a package database as one file per installed PKGNAME.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JobSpec } from '../../src/jobs/job-spec.js';
import { parseJobOutput } from '../../src/jobs/parse-output.js';
import { renderJobScript } from '../../src/jobs/render-script.js';
import type { PlanAction } from '../../src/plan/types.js';
import { expectShellcheckClean } from '../helpers/shellcheck.js';
import { tempDir } from '../helpers/tmp.js';

const NONCE = '00112233445566778899';

/** pkg_add -U <pkg> deletes every installed version of its base, then fails (as a failing +INSTALL does) when REFUSE is unset. */
const PKG_ADD = `#!/bin/sh
DB="$(dirname "$0")/../db"
echo "pkg_add $*" >> "$DB/../calls"
replace=0; auto=0
for a in "$@"; do case $a in -U) replace=1 ;; -A) auto=1 ;; esac; done
for p in "$@"; do :; done
if [ "$replace" = 1 ]; then
  [ -n "\${REFUSE:-}" ] && { echo "Dependency of app-1.0 fulfilled by $p's old version, but not by $p"; exit 1; }
  rm -f "$DB/\${p%-*}"-*
  echo "pkg_add: install script returned error status"; exit 1
fi
[ -n "\${NO_REINSTALL:-}" ] && { echo "pkg_add: no pkg found for '$p', sorry."; exit 1; }
echo "$auto" > "$DB/$p"
`;
const PKG_INFO = `#!/bin/sh
DB="$(dirname "$0")/../db"
case "$1" in
  -V) echo 20130131 ;;
  -qe) [ -e "$DB/$2" ] ;;
  -n) for p in $(ls "$DB"); do printf 'Information for %s:\\n\\n\\n' "$p"; done ;;
  -u) for p in $(ls "$DB"); do [ "$(cat "$DB/$p")" = 0 ] && printf '%-19s x\\n' "$p"; done; true ;;
  *) for p in $(ls "$DB"); do printf '%-19s x\\n' "$p"; done ;;
esac
`;

function runJob(action: PlanAction, installed: string[], env: Record<string, string> = {}) {
  const dir = tempDir();
  const prefix = path.join(dir, 'sw/pkg');
  mkdirSync(path.join(prefix, 'sbin'), { recursive: true });
  mkdirSync(path.join(prefix, 'db'));
  for (const p of installed) writeFileSync(path.join(prefix, 'db', p), '0\n');
  writeFileSync(path.join(prefix, 'sbin/pkg_add'), PKG_ADD, { mode: 0o755 });
  writeFileSync(path.join(prefix, 'sbin/pkg_info'), PKG_INFO, { mode: 0o755 });
  writeFileSync(path.join(prefix, 'sbin/pkg_admin'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  const spec: JobSpec = {
    txid: 'tx-1',
    nonce: NONCE,
    site: 'S',
    swArea: path.join(dir, 'sw'),
    prefix,
    pkgPath: '/srv/packages/All',
    lease: 600,
    controller: 'ctl:1',
    actions: [action],
  };
  const script = renderJobScript(spec);
  writeFileSync(path.join(dir, 'job.sh'), script);
  const r = spawnSync('sh', [path.join(dir, 'job.sh')], { encoding: 'utf8', env: { ...process.env, ...env } });
  return {
    script,
    status: r.status,
    parsed: parseJobOutput(r.stdout, NONCE),
    db: readdirSync(path.join(prefix, 'db')),
    calls: existsSync(path.join(prefix, 'calls'))
      ? spawnSync('cat', [path.join(prefix, 'calls')]).stdout.toString()
      : '',
  };
}

const upgrade = (undo?: PlanAction['undo']): PlanAction => ({
  action: 'upgrade',
  name: 'badinst',
  pkgname: 'badinst-1.0',
  from: 'badinst-0.9',
  reason: 'r',
  ...(undo ? { undo } : {}),
});

describe('a failed replacement in the job', () => {
  it('reinstalls the previous exact version when the catalog offers it, and says so', () => {
    const r = runJob(upgrade({ pkgname: 'badinst-0.9', automatic: false }), ['badinst-0.9', 'other-1.0']);
    expect(r.status).toBe(1);
    expect(r.db.sort()).toEqual(['badinst-0.9', 'other-1.0']);
    expect(r.parsed.status).toBe('failed');
    expect(r.parsed.restores).toEqual([
      { action: 1, pkgname: 'badinst-0.9', outcome: 'restored', detail: expect.any(String) },
    ]);
    expect(r.parsed.notes).toContain('action 1 removed badinst-0.9 and failed; badinst-0.9 was reinstalled');
    expect(r.parsed.inventory!.map((e) => e.pkgname).sort()).toEqual(['badinst-0.9', 'other-1.0']);
    expectShellcheckClean(r.script);
  });

  it('reinstalls an automatic one marked automatic', () => {
    const r = runJob(upgrade({ pkgname: 'badinst-0.9', automatic: true }), ['badinst-0.9']);
    expect(r.calls).toContain('pkg_add -A badinst-0.9');
    expect(r.parsed.restores[0]!.outcome).toBe('restored');
    expect(r.parsed.userInstalled!.map((e) => e.pkgname)).toEqual([]);
  });

  it('reports the loss, typed, when the catalog does not offer the previous version', () => {
    const r = runJob(upgrade(), ['badinst-0.9']);
    expect(r.status).toBe(1);
    expect(r.db).toEqual([]);
    expect(r.parsed.restores).toEqual([
      {
        action: 1,
        pkgname: 'badinst-0.9',
        outcome: 'lost',
        detail: 'badinst-0.9 was removed by the failed replacement; the catalog does not offer it to reinstall',
      },
    ]);
    expect(
      r.parsed.notes.some((n) =>
        n.startsWith('action 1 removed badinst-0.9 and failed; badinst-0.9 is NOT installed now'),
      ),
    ).toBe(true);
  });

  it('reports the loss when the reinstall fails too', () => {
    const r = runJob(upgrade({ pkgname: 'badinst-0.9', automatic: false }), ['badinst-0.9'], { NO_REINSTALL: '1' });
    expect(r.db).toEqual([]);
    expect(r.parsed.restores).toMatchObject([
      { outcome: 'lost', detail: "pkg_add: no pkg found for 'badinst-0.9', sorry." },
    ]);
  });

  it('does nothing more when the refused replacement left the old version in place', () => {
    const r = runJob(upgrade({ pkgname: 'badinst-0.9', automatic: false }), ['badinst-0.9'], { REFUSE: '1' });
    expect(r.status).toBe(1);
    expect(r.db).toEqual(['badinst-0.9']);
    expect(r.parsed.restores).toEqual([]);
    expect(r.calls.trim().split('\n')).toEqual(['pkg_add -U badinst-1.0']);
  });
});
