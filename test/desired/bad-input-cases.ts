// The malformed desired-state corpus: each case names the file it breaks,
// the exact place the error must point at, and what the message must say.

export const BASE_SITES = `defaults:
  backend: local
sites:
  - name: SITE-A
    sw_area: /srv/vo_sw
    platform: x86_64-el9
    pkg_path: /srv/packages/All
    profiles: [base]
`;

export const BASE_PROFILE = `packages:
  - foo>=1.0
  - bar
`;

export interface BadCase {
  name: string;
  files: Record<string, string>;
  /** `file:line:col` relative to the desired-state directory. */
  at: string;
  message: RegExp;
}

const site = (extra: string) => `sites:
  - name: SITE-A
    sw_area: /srv/vo_sw
    platform: x86_64-el9
    pkg_path: /srv/packages/All
    profiles: [base]
${extra}`;

const siteField = (key: string, value: string) => `sites:
  - name: SITE-A
    sw_area: /srv/vo_sw
    platform: x86_64-el9
    pkg_path: /srv/packages/All
    profiles: [base]
    ${key}: ${value}
`;

const checks = (...lines: string[]) => `${BASE_PROFILE}checks:\n${lines.map((l) => `  - ${l}`).join('\n')}\n`;

const pkgs = (...lines: string[]) => `packages:\n${lines.map((l) => `  - ${l}`).join('\n')}\n`;

const badName = (
  name: string,
  msg: RegExp = /expected a package name with an optional pkgsrc version pattern/,
): BadCase => ({
  name: `package entry ${JSON.stringify(name)}`,
  files: { 'profiles/base.yaml': pkgs(`foo>=1.0`, JSON.stringify(name)) },
  at: 'profiles/base.yaml:3:5',
  message: msg,
});

const badSiteName = (name: string): BadCase => ({
  name: `site name ${JSON.stringify(name)}`,
  files: { 'sites.yaml': site('').replace('name: SITE-A', `name: ${JSON.stringify(name)}`) },
  at: 'sites.yaml:2:11',
  message: /sites\[0\]\.name: invalid value .*expected a site name/,
});

export const BAD_CASES: BadCase[] = [
  // YAML syntax
  {
    name: 'unclosed flow sequence',
    files: { 'sites.yaml': 'sites: [\n  { name: A }\n' },
    at: 'sites.yaml:3:1',
    message: /YAML syntax error/,
  },
  {
    name: 'bad indentation',
    files: { 'sites.yaml': 'sites:\n  - name: A\n   sw_area: /x\n' },
    at: 'sites.yaml:3:1',
    message: /YAML syntax error: Sequence item without - indicator/,
  },
  {
    name: 'tab indentation',
    files: { 'profiles/base.yaml': 'packages:\n\t- foo\n' },
    at: 'profiles/base.yaml:2:1',
    message: /YAML syntax error/,
  },
  {
    name: 'unterminated quote',
    files: { 'profiles/base.yaml': 'packages:\n  - "foo\n' },
    at: 'profiles/base.yaml:3:1',
    message: /YAML syntax error: Missing closing "quote/,
  },
  {
    name: 'duplicate key in site',
    files: { 'sites.yaml': site('    platform: x86_64-el8\n') },
    at: 'sites.yaml:7:5',
    message: /duplicate key/,
  },
  {
    name: 'duplicate top-level key',
    files: { 'profiles/base.yaml': 'packages: [foo]\npackages: [bar]\n' },
    at: 'profiles/base.yaml:2:1',
    message: /duplicate key/,
  },
  {
    name: 'two documents',
    files: { 'profiles/base.yaml': 'packages: [foo]\n---\npackages: [bar]\n' },
    at: 'profiles/base.yaml:2:1',
    message: /YAML syntax error.*single document|YAML syntax error/,
  },
  {
    name: 'undefined alias',
    files: { 'profiles/base.yaml': 'packages: *nope\n' },
    at: 'profiles/base.yaml:1:11',
    message: /unresolved alias \*nope; an alias must refer to an anchor \(&nope\) defined before it/,
  },
  {
    name: 'alias bomb',
    files: {
      'profiles/base.yaml':
        'a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\npackages: *d\n',
    },
    at: 'profiles/base.yaml:1:1',
    message: /alias.*at most 100/i,
  },
  {
    name: 'empty sites.yaml',
    files: { 'sites.yaml': '' },
    at: 'sites.yaml:1:1',
    message: /file is empty; expected a YAML mapping/,
  },
  {
    name: 'comment-only profile',
    files: { 'profiles/base.yaml': '# nothing here\n' },
    at: 'profiles/base.yaml:1:1',
    message: /file is empty/,
  },
  {
    name: 'file over the size cap',
    files: { 'profiles/base.yaml': `packages:\n${'  - foo\n'.repeat(150_000)}` },
    at: 'profiles/base.yaml:1:1',
    message: /may be at most 1048576 bytes/,
  },
  {
    name: 'NUL byte',
    files: { 'profiles/base.yaml': 'packages:\n  - fo\0o\n' },
    at: 'profiles/base.yaml:2:7',
    message: /NUL byte/,
  },
  // Wrong types and shapes
  {
    name: 'sites.yaml is a list',
    files: { 'sites.yaml': '- name: A\n' },
    at: 'sites.yaml:1:1',
    message: /document: expected a mapping, got a list/,
  },
  {
    name: 'sites is a mapping',
    files: { 'sites.yaml': 'sites:\n  name: A\n' },
    at: 'sites.yaml:2:3',
    message: /sites: expected a list, got a mapping/,
  },
  {
    name: 'sites empty list',
    files: { 'sites.yaml': 'sites: []\n' },
    at: 'sites.yaml:1:8',
    message: /sites: .*at least 1/,
  },
  {
    name: 'missing sites key',
    files: { 'sites.yaml': 'defaults:\n  backend: local\n' },
    at: 'sites.yaml:1:1',
    message: /missing required key 'sites'/,
  },
  {
    name: 'site missing name',
    files: { 'sites.yaml': 'sites:\n  - sw_area: /srv/vo_sw\n' },
    at: 'sites.yaml:2:5',
    message: /missing required key 'name' in sites\[0\]/,
  },
  {
    name: 'userpkgs is a string',
    files: { 'sites.yaml': siteField('userpkgs', '"yes"') },
    at: 'sites.yaml:7:15',
    message: /sites\[0\]\.userpkgs: expected true or false, got the string "yes"/,
  },
  {
    name: 'profiles is a string',
    files: { 'sites.yaml': site('').replace('profiles: [base]', 'profiles: base') },
    at: 'sites.yaml:6:15',
    message: /expected a list, got the string "base"/,
  },
  {
    name: 'tags contain a number',
    files: { 'sites.yaml': siteField('tags', '[t2, 7]') },
    at: 'sites.yaml:7:16',
    message: /sites\[0\]\.tags\[1\]: expected a tag: letters, digits, '\.', '_' or '-', got number 7/,
  },
  {
    name: 'unknown backend',
    files: { 'sites.yaml': siteField('backend', 'condor') },
    at: 'sites.yaml:7:14',
    message: /invalid value "condor"; expected one of local, slurm, arc/,
  },
  {
    name: 'job_time_limit too small',
    files: { 'sites.yaml': siteField('job_time_limit', '5') },
    at: 'sites.yaml:7:21',
    message: /expected a job time limit in seconds between 60 and 604800/,
  },
  {
    name: 'job_time_limit not integer',
    files: { 'sites.yaml': siteField('job_time_limit', '1.5') },
    at: 'sites.yaml:7:21',
    message: /job_time_limit: expected a job time limit in seconds between 60 and 604800, got number 1\.5/,
  },
  {
    name: 'packages is a mapping',
    files: { 'profiles/base.yaml': 'packages:\n  foo: 1\n' },
    at: 'profiles/base.yaml:2:3',
    message: /packages: expected a list, got a mapping/,
  },
  {
    name: 'package entry is a number',
    files: { 'profiles/base.yaml': pkgs('42') },
    at: 'profiles/base.yaml:2:5',
    message: /packages\[0\]: expected a package pattern string or a mapping with 'name'/,
  },
  {
    name: 'package entry is null',
    files: { 'profiles/base.yaml': pkgs('') },
    at: 'profiles/base.yaml:2:5',
    message: /packages\[0\]: expected a package pattern string or a mapping with 'name', got null/,
  },
  {
    name: 'package mapping without name',
    files: { 'profiles/base.yaml': pkgs('{ version: "1.0" }') },
    at: 'profiles/base.yaml:2:5',
    message: /missing required key 'name' in packages\[0\]/,
  },
  {
    name: 'bad state',
    files: { 'profiles/base.yaml': pkgs('{ name: foo, state: installed }') },
    at: 'profiles/base.yaml:2:25',
    message: /expected one of present, absent, frozen/,
  },
  {
    name: 'extends is a string',
    files: { 'profiles/base.yaml': 'extends: other\npackages: [foo]\n' },
    at: 'profiles/base.yaml:1:10',
    message: /extends: expected a list/,
  },
  {
    name: 'hosts_supported empty',
    files: { 'profiles/base.yaml': pkgs('{ name: foo, hosts_supported: [] }') },
    at: 'profiles/base.yaml:2:35',
    message: /hosts_supported: .*at least 1/,
  },
  // Unknown keys
  {
    name: 'unknown top-level key',
    files: { 'sites.yaml': `${site('')}site_defaults: {}\n` },
    at: 'sites.yaml:7:1',
    message: /unknown key 'site_defaults'.*expected one of: defaults, sites/,
  },
  {
    name: 'typo in a site key',
    files: { 'sites.yaml': siteField('profile', '[base]') },
    at: 'sites.yaml:7:5',
    message: /unknown key 'profile' in sites\[0\]; did you mean 'profiles'\?/,
  },
  {
    name: 'unknown key in defaults',
    files: { 'sites.yaml': `defaults:\n  bakend: local\n${site('')}` },
    at: 'sites.yaml:2:3',
    message: /unknown key 'bakend' in defaults; did you mean 'backend'\?/,
  },
  {
    name: 'unknown key in package mapping',
    files: { 'profiles/base.yaml': pkgs('{ name: foo, versions: "1.0" }') },
    at: 'profiles/base.yaml:2:18',
    message: /unknown key 'versions' in packages\[0\]; did you mean 'version'\?/,
  },
  {
    name: 'unknown key in profile',
    files: { 'profiles/base.yaml': 'package: [foo]\n' },
    at: 'profiles/base.yaml:1:1',
    message: /unknown key 'package'; did you mean 'packages'\?/,
  },
  // Hostile and malformed names
  badName('foo;rm -rf /'),
  badName('$(x)'),
  badName('`id`'),
  badName('foo bar'),
  badName('foo\nbar'),
  badName('foo|bar'),
  badName('foo&&bar'),
  badName("foo'bar"),
  badName('-foo'),
  badName('foo>1.0;reboot'),
  badName('../etc/passwd'),
  {
    name: 'name with newline in mapping',
    files: { 'profiles/base.yaml': pkgs('{ name: "foo\\nbar" }') },
    at: 'profiles/base.yaml:2:13',
    message: /packages\[0\]\.name: invalid value "foo\\nbar"; expected a package name/,
  },
  {
    name: 'version with shell chars',
    files: { 'profiles/base.yaml': pkgs('{ name: foo, version: "1.0$(id)" }') },
    at: 'profiles/base.yaml:2:27',
    message: /packages\[0\].version: invalid value "1.0\$\(id\)"; expected a version/,
  },
  badSiteName('../x'),
  badSiteName('a/b'),
  badSiteName('.hidden'),
  badSiteName('site name'),
  badSiteName('x;y'),
  {
    name: 'relative sw_area',
    files: { 'sites.yaml': site('').replace('/srv/vo_sw', 'srv/vo_sw') },
    at: 'sites.yaml:3:14',
    message: /expected an absolute path/,
  },
  {
    name: 'sw_area with ..',
    files: { 'sites.yaml': site('').replace('/srv/vo_sw', '/srv/../etc') },
    at: 'sites.yaml:3:14',
    message: /no '\.\.'/,
  },
  {
    name: 'sw_area with $',
    files: { 'sites.yaml': site('').replace('/srv/vo_sw', '/srv/$HOME') },
    at: 'sites.yaml:3:14',
    message: /expected an absolute path/,
  },
  {
    name: 'pkg_path ftp URL',
    files: { 'sites.yaml': site('').replace('/srv/packages/All', 'ftp://x.org/All') },
    at: 'sites.yaml:5:15',
    message: /expected an absolute path or an http\(s\) URL/,
  },
  {
    name: 'endpoint with space',
    files: { 'sites.yaml': siteField('endpoint', '"ce 01"') },
    at: 'sites.yaml:7:15',
    message: /expected an endpoint/,
  },
  {
    name: 'protect with pattern',
    files: { 'sites.yaml': siteField('protect', '["foo>=1"]') },
    at: 'sites.yaml:7:15',
    message: /protect\[0\]: invalid value "foo>=1"; expected a package name/,
  },
  // Semantics
  {
    name: 'duplicate site',
    files: {
      'sites.yaml': `${site('')}  - name: SITE-A\n    sw_area: /srv/b\n    platform: x86_64-el9\n    pkg_path: /srv/packages/All\n`,
    },
    at: 'sites.yaml:7:11',
    message: /duplicate site 'SITE-A' \(first defined at .*sites\.yaml:2:5\)/,
  },
  {
    name: 'unknown profile',
    files: { 'sites.yaml': site('').replace('[base]', '[base, analysys]') },
    at: 'sites.yaml:6:22',
    message: /unknown profile 'analysys' for site 'SITE-A'; expected one of profiles\/\*\.yaml: base/,
  },
  {
    name: 'extends unknown profile',
    files: { 'profiles/base.yaml': 'extends: [core]\npackages: [foo]\n' },
    at: 'profiles/base.yaml:1:11',
    message: /profile 'base' extends unknown profile 'core'/,
  },
  {
    name: 'cycle in extends',
    files: {
      'profiles/base.yaml': 'extends: [mid]\npackages: [foo]\n',
      'profiles/mid.yaml': 'extends: [base]\npackages: [bar]\n',
    },
    at: 'profiles/mid.yaml:1:11',
    message: /extends itself through (base → mid → base|mid → base → mid)/,
  },
  {
    name: 'self extends',
    files: { 'profiles/base.yaml': 'extends: [base]\npackages: [foo]\n' },
    at: 'profiles/base.yaml:1:11',
    message: /extends itself through base → base/,
  },
  {
    name: 'extends ALL explicitly',
    files: { 'profiles/ALL.yaml': 'packages: [zsh]\n', 'profiles/base.yaml': 'extends: [ALL]\npackages: [foo]\n' },
    at: 'profiles/base.yaml:1:11',
    message: /extend ALL implicitly/,
  },
  {
    name: 'present and absent in two profiles',
    files: {
      'sites.yaml': site('').replace('[base]', '[base, extra]'),
      'profiles/extra.yaml': pkgs('{ name: foo, state: absent }'),
    },
    at: 'profiles/extra.yaml:2:5',
    message: /package 'foo' is absent here but present at .*base\.yaml:2:5 \(profiles base and extra of one site\)/,
  },
  {
    name: 'frozen and present in two profiles',
    files: {
      'sites.yaml': site('').replace('[base]', '[base, extra]'),
      'profiles/extra.yaml': pkgs('{ name: bar, state: frozen }'),
    },
    at: 'profiles/extra.yaml:2:5',
    message: /package 'bar' is frozen here but present at .*base\.yaml:3:5/,
  },
  {
    name: 'incompatible version ranges',
    files: { 'sites.yaml': site('').replace('[base]', '[base, extra]'), 'profiles/extra.yaml': pkgs('foo<1.0') },
    at: 'profiles/extra.yaml:2:5',
    message: /'foo<1\.0' and 'foo>=1\.0' \(at .*base\.yaml:2:5\) cannot both be satisfied by any version of foo/,
  },
  {
    name: 'incompatible exact versions',
    files: {
      'sites.yaml': site('').replace('[base]', '[base, extra]'),
      'profiles/base.yaml': pkgs('foo-1.2'),
      'profiles/extra.yaml': pkgs('{ name: foo, version: "1.4" }'),
    },
    at: 'profiles/extra.yaml:2:5',
    message: /'foo-1\.4' and 'foo-1\.2' .*cannot both be satisfied/,
  },
  {
    name: 'same package twice in one profile',
    files: { 'profiles/base.yaml': pkgs('foo>=1.0', 'foo<2') },
    at: 'profiles/base.yaml:3:5',
    message: /package 'foo' is declared twice in profile 'base' .*also at .*base\.yaml:2:5/,
  },
  {
    name: 'entry naming several packages',
    files: { 'profiles/base.yaml': pkgs('"{py311,py312}-requests>=2"') },
    at: 'profiles/base.yaml:2:5',
    message: /must be one package name|exactly one package/,
  },
  {
    name: 'glob over names',
    files: { 'profiles/base.yaml': pkgs('"py3*-requests-2.*"') },
    at: 'profiles/base.yaml:2:5',
    message: /an entry must name exactly one package/,
  },
  {
    name: 'upper bound before lower',
    files: { 'profiles/base.yaml': pkgs('"foo<2.0>1.0"') },
    at: 'profiles/base.yaml:2:5',
    message: /lower bound first/,
  },
  {
    name: 'foo=>1.0 typo',
    files: { 'profiles/base.yaml': pkgs('"foo=>1.0"') },
    at: 'profiles/base.yaml:2:5',
    message: /did you mean 'foo>=…'/,
  },
  {
    name: 'unbalanced brace',
    files: { 'profiles/base.yaml': pkgs('"foo-{1.2,1.3"') },
    at: 'profiles/base.yaml:2:5',
    message: /unbalanced '\{'/,
  },
  {
    name: 'range no version satisfies (bounds swapped)',
    files: { 'profiles/base.yaml': pkgs('"python311>=3.12<3.11"') },
    at: 'profiles/base.yaml:2:5',
    message:
      /"python311>=3\.12<3\.11" can never match: no version of python311 is at least 3\.12 and below 3\.11: pkgsrc orders 3\.11 before 3\.12; did you mean 'python311>=3\.11<3\.12'\?/,
  },
  {
    name: 'range no version satisfies (same bound, exclusive)',
    files: { 'profiles/base.yaml': pkgs('"foo>1.0<1.0"') },
    at: 'profiles/base.yaml:2:5',
    message: /can never match: no version of foo is above 1\.0 and below 1\.0.*did you mean 'foo-1\.0'\?/,
  },
  {
    name: 'range no version satisfies (inclusive, swapped)',
    files: { 'profiles/base.yaml': pkgs('{ name: foo, version: ">=2<=1" }') },
    at: 'profiles/base.yaml:2:5',
    message: /"foo>=2<=1" can never match: no version of foo is at least 2 and at most 1/,
  },
  {
    name: 'range no version satisfies (nothing between nb numbers)',
    files: { 'profiles/base.yaml': pkgs('"foo>1.0nb1<1.0nb2"') },
    at: 'profiles/base.yaml:2:5',
    message: /nothing comes between them in pkgsrc's order/,
  },
  {
    name: 'dewey bound not a version',
    files: { 'profiles/base.yaml': pkgs('"foo>=abc"') },
    at: 'profiles/base.yaml:2:5',
    message: /"abc" is not a version/,
  },
  {
    name: 'version on absent',
    files: { 'profiles/base.yaml': pkgs('{ name: foo, version: "1.0", state: absent }') },
    at: 'profiles/base.yaml:2:5',
    message: /'version' has no meaning with state absent/,
  },
  {
    name: 'version with dash',
    files: { 'profiles/base.yaml': pkgs('{ name: foo, version: "1.0-2" }') },
    at: 'profiles/base.yaml:2:5',
    message: /contains '-'; a pkgsrc version never does/,
  },
  {
    name: 'name with version in mapping',
    files: { 'profiles/base.yaml': pkgs('{ name: foo-1.0 }') },
    at: 'profiles/base.yaml:2:5',
    message: /must be a plain package name; put the version in 'version:'/,
  },
  {
    name: 'missing sites.yaml',
    files: { 'sites.yaml': '\u0000DELETE' },
    at: 'sites.yaml',
    message: /file not found in the work tree; expected the list of sites/,
  },
  {
    name: 'site missing platform',
    files: { 'sites.yaml': site('').replace('    platform: x86_64-el9\n', '') },
    at: 'sites.yaml:2:5',
    message: /site 'SITE-A' has no 'platform' \(neither in the site nor in defaults\)/,
  },
  {
    name: 'arc site without endpoint',
    files: { 'sites.yaml': siteField('backend', 'arc') },
    at: 'sites.yaml:2:5',
    message: /uses backend arc but has no 'endpoint' \(the CE URL\)/,
  },
  {
    name: 'profile file .yml',
    files: { 'profiles/extra.yml': 'packages: [foo]\n' },
    at: 'profiles/extra.yml',
    message: /must end in \.yaml/,
  },
  {
    name: 'bad profile file name',
    files: { 'profiles/my profile.yaml': 'packages: [foo]\n' },
    at: 'profiles/my profile.yaml',
    message: /not a valid profile name/,
  },
  // Checks
  {
    name: 'checks is a mapping',
    files: { 'profiles/base.yaml': `${BASE_PROFILE}checks:\n  imports: true\n` },
    at: 'profiles/base.yaml:5:3',
    message: /checks: expected a list, got a mapping/,
  },
  {
    name: 'check is a string',
    files: { 'profiles/base.yaml': checks('"python3 -c 1"') },
    at: 'profiles/base.yaml:5:5',
    message: /checks\[0\]: expected a mapping with 'name' and 'run'/,
  },
  {
    name: 'check without run',
    files: { 'profiles/base.yaml': checks('{ name: imports }') },
    at: 'profiles/base.yaml:5:5',
    message: /missing required key 'run' in checks\[0\]/,
  },
  {
    name: 'check without name',
    files: { 'profiles/base.yaml': checks('{ run: "true" }') },
    at: 'profiles/base.yaml:5:5',
    message: /missing required key 'name' in checks\[0\]/,
  },
  {
    name: 'check name with shell chars',
    files: { 'profiles/base.yaml': checks('{ name: "a;b", run: "true" }') },
    at: 'profiles/base.yaml:5:13',
    message: /checks\[0\]\.name: invalid value "a;b"; expected a check name/,
  },
  {
    name: 'check run with NUL escape',
    files: { 'profiles/base.yaml': checks('{ name: a, run: "true\\0" }') },
    at: 'profiles/base.yaml:5:21',
    message: /checks\[0\]\.run: invalid value .*no control characters/,
  },
  {
    name: 'check run blank',
    files: { 'profiles/base.yaml': checks('{ name: a, run: "  " }') },
    at: 'profiles/base.yaml:5:21',
    message: /check 'a': 'run' is blank/,
  },
  {
    name: 'check timeout zero',
    files: { 'profiles/base.yaml': checks('{ name: a, run: "true", timeout: 0 }') },
    at: 'profiles/base.yaml:5:38',
    message: /checks\[0\]\.timeout: .*expected seconds the check may run/,
  },
  {
    name: 'check timeout a string',
    files: { 'profiles/base.yaml': checks('{ name: a, run: "true", timeout: 1m }') },
    at: 'profiles/base.yaml:5:38',
    message: /checks\[0\]\.timeout: .*(integer|expected seconds)/,
  },
  {
    name: 'typo in a check key',
    files: { 'profiles/base.yaml': checks('{ name: a, command: "true" }') },
    at: 'profiles/base.yaml:5:16',
    message: /unknown key 'command' in checks\[0\]/,
  },
  {
    name: 'same check twice in one profile',
    files: { 'profiles/base.yaml': checks('{ name: a, run: "true" }', '{ name: a, run: "false" }') },
    at: 'profiles/base.yaml:6:13',
    message: /check 'a' is declared twice in profile 'base' \(also at .*base\.yaml:5:5\)/,
  },
  {
    name: 'same check name in two profiles of a site',
    files: {
      'sites.yaml': site('').replace('[base]', '[base, extra]'),
      'profiles/base.yaml': checks('{ name: a, run: "true" }'),
      'profiles/extra.yaml': checks('{ name: a, run: "false" }'),
    },
    at: 'profiles/extra.yaml:5:5',
    message:
      /check 'a' is also declared at .*base\.yaml:5:5 \(profiles extra and base of one site\); a site's check names must be unique/,
  },
  {
    name: 'checks longer than the job time limit',
    files: {
      'sites.yaml': siteField('job_time_limit', '600'),
      'profiles/base.yaml': checks('{ name: a, run: "true", timeout: 400 }', '{ name: b, run: "true" }'),
    },
    at: 'sites.yaml:2:5',
    message:
      /the checks of site 'SITE-A' may take 700s together \(a 400s, b 300s\), not less than its job_time_limit of 600s/,
  },
  // rollout.yaml (issue 16): schema errors and waves that select no site, at their place.
  {
    name: 'rollout: a wave key misspelt',
    files: { 'rollout.yaml': 'waves:\n  - sites: [SITE-A]\n    max_failure: 1\n' },
    at: 'rollout.yaml:3:5',
    message: /unknown key 'max_failure' in waves\[0\]; did you mean 'max_failures'\?/,
  },
  {
    name: 'rollout: a failure budget that is neither a count nor a percentage',
    files: { 'rollout.yaml': 'waves:\n  - sites: [SITE-A]\n    max_failures: lots\n' },
    at: 'rollout.yaml:3:19',
    message:
      /waves\[0\]\.max_failures: invalid value "lots"; expected a count of sites \(0, 1, 2 \.\.\.\) or a percentage of the wave such as '10%'/,
  },
  {
    name: 'rollout: a soak that is not a duration',
    files: { 'rollout.yaml': 'waves:\n  - sites: [SITE-A]\n    soak: 10 minutes\n' },
    at: 'rollout.yaml:3:11',
    message: /waves\[0\]\.soak: invalid value "10 minutes"; expected a duration such as 30s, 10m, 2h or 1d/,
  },
  {
    name: 'rollout: on_failure neither halt nor rollback',
    files: { 'rollout.yaml': 'waves:\n  - sites: [SITE-A]\n    on_failure: retry\n' },
    at: 'rollout.yaml:3:17',
    message: /expected halt or rollback/,
  },
  {
    name: 'rollout: a wave naming an unknown site',
    files: { 'rollout.yaml': 'waves:\n  - sites: [SITE-A]\n  - sites: [SITE-B]\n' },
    at: 'rollout.yaml:3:13',
    message: /unknown site 'SITE-B'; sites\.yaml has: SITE-A/,
  },
  {
    name: 'rollout: a wave tag no site has',
    files: { 'rollout.yaml': 'waves:\n  - tags: [canary]\n' },
    at: 'rollout.yaml:2:12',
    message: /no site has tag 'canary'; the tags in sites\.yaml are: none/,
  },
  {
    name: 'rollout: a wave that selects nothing',
    files: { 'rollout.yaml': 'waves:\n  - sites: [SITE-A]\n  - { soak: 1h }\n' },
    at: 'rollout.yaml:3:5',
    message: /wave 2 selects no site; give it sites \(names or globs\), tags, or a percent of the remaining sites/,
  },
  {
    name: 'rollout: two waves with one name',
    files: { 'rollout.yaml': 'waves:\n  - { name: a, sites: [SITE-A] }\n  - { name: a, percent: 100 }\n' },
    at: 'rollout.yaml:3:13',
    message: /duplicate wave name 'a'/,
  },
];
