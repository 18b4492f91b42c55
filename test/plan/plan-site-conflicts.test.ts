// CONFLICTS known before a job runs (issue 20, case 5): a plan that would
// make pkg_add refuse one of two conflicting packages is an error of the
// site, naming both packages and the profiles that want them.
import { describe, expect, it } from 'vitest';
import { planSite } from '../../src/plan/plan-site.js';
import { cat, inv, site, want } from '../helpers/builders.js';

const fromProfile = (pattern: string, profile: string, line: number) => ({
  ...want(pattern, 'present', line),
  sources: [{ file: `profiles/${profile}.yaml`, line, column: 5 }],
  via: [profile],
});

describe('planSite and CONFLICTS', () => {
  const catalog = cat('mysql-client-8.0 ! mariadb-client-[0-9]*', 'mariadb-client-10.11', 'other-1.0');

  it('refuses two wanted packages that conflict, naming both and the profiles that want them', () => {
    const p = planSite(
      site([fromProfile('mysql-client', 'db', 3), fromProfile('mariadb-client', 'web', 8)]),
      inv(),
      catalog,
    );
    expect(p.status).toBe('error');
    expect(p.errors).toEqual([
      {
        kind: 'conflict',
        name: 'mysql-client',
        message:
          'mysql-client-8.0 (wanted by profile db at profiles/db.yaml:3:5) conflicts with mariadb-client-10.11 (wanted by profile web at profiles/web.yaml:8:5): its CONFLICTS=mariadb-client-[0-9]*; pkg_add would install one and refuse the other',
        sources: ['profiles/db.yaml:3:5', 'profiles/web.yaml:8:5'],
        packages: ['mysql-client-8.0', 'mariadb-client-10.11'],
      },
    ]);
  });

  it('refuses a wanted package that an installed, staying package conflicts with (its CONFLICTS in the catalog)', () => {
    const p = planSite(
      site([fromProfile('mysql-client', 'db', 3)], { userpkgs: true }),
      inv('mariadb-client-10.11 <'),
      catalog,
    );
    expect(p.errors).toEqual([
      expect.objectContaining({
        kind: 'conflict',
        packages: ['mysql-client-8.0', 'mariadb-client-10.11'],
        message: expect.stringContaining('conflicts with mariadb-client-10.11 (installed and staying)'),
      }),
    ]);
    // The other way round: the installed one's CONFLICTS name the wanted one.
    const q = planSite(site([want('mariadb-client')], { userpkgs: true }), inv('mysql-client-8.0 <'), catalog);
    expect(q.errors.map((e) => e.packages)).toEqual([['mysql-client-8.0', 'mariadb-client-10.11']]);
  });

  it('lets a wanted package replace what it conflicts with when that is removed', () => {
    const p = planSite(site([want('mysql-client')]), inv('mariadb-client-10.11 <'), catalog);
    expect(p.errors).toEqual([]);
    // pkg_add refuses mysql-client while mariadb-client is installed: the removal goes first.
    expect(p.actions.map((a) => `${a.action} ${a.pkgname}`)).toEqual([
      'remove mariadb-client-10.11',
      'install mysql-client-8.0',
    ]);
  });

  it('ignores conflicts between packages that are both already installed and stay', () => {
    const p = planSite(
      site([want('other')], { userpkgs: true }),
      inv('mysql-client-8.0 <', 'mariadb-client-10.11 <'),
      catalog,
    );
    expect(p.errors).toEqual([]);
  });
});
