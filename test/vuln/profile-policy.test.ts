// Issue 17 part 3: `vulnerabilities:` in a profile, read from a real git
// repository: which packages a profile's `refuse` and `fix_vulnerable` cover
// (what it declares or inherits, whichever declaration wins), and a wrong
// value is a file:line:col error.
import { describe, expect, it } from 'vitest';
import { loadDesiredState } from '../../src/desired/load.js';
import { InputError } from '../../src/errors.js';
import { desiredRepo } from '../helpers/tmp.js';

const SITES = `defaults:
  vulnerabilities: { list: /srv/pkg-vulnerabilities }
sites:
  - { name: PROD, sw_area: /srv/a, platform: x86_64-el9, pkg_path: /srv/p, profiles: [prod, tools] }
  - { name: DEV, sw_area: /srv/b, platform: x86_64-el9, pkg_path: /srv/p, profiles: [dev],
      vulnerabilities: { fix_vulnerable: true } }
`;
const FILES = {
  'sites.yaml': SITES,
  'profiles/base.yaml': 'packages:\n  - foo>=1\n  - bar\n',
  'profiles/prod.yaml':
    'extends: [base]\nvulnerabilities: { policy: refuse, fix_vulnerable: true }\npackages:\n  - bar>=2\n',
  'profiles/dev.yaml': 'extends: [base]\nvulnerabilities: { policy: warn }\n',
  'profiles/tools.yaml': 'packages:\n  - tool\n',
};

describe('vulnerabilities: in a profile', () => {
  it("covers the packages a profile declares and inherits, not a sibling profile's", async () => {
    const d = await loadDesiredState({ dir: `${desiredRepo(FILES)}/desired-state` });
    const [prod, dev] = d.sites;
    expect(Object.fromEntries(prod!.packages.map((p) => [p.name, p.vulnPolicy]))).toEqual({
      bar: { refuse: ['prod'], fix: ['prod'] },
      foo: { refuse: ['prod'], fix: ['prod'] },
      tool: undefined,
    });
    expect(prod!.vulnerabilities).toMatchObject({ policy: 'warn', fix: false });
    expect(dev!.packages.every((p) => p.vulnPolicy === undefined)).toBe(true);
    expect(dev!.vulnerabilities).toMatchObject({ policy: 'warn', fix: true });
  });

  it('is refused with file:line:col when a value is wrong', async () => {
    const files = { ...FILES, 'profiles/dev.yaml': 'extends: [base]\nvulnerabilities:\n  policy: block\n' };
    const e = await loadDesiredState({ dir: `${desiredRepo(files)}/desired-state` }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).message).toMatch(
      /desired-state\/profiles\/dev\.yaml:3:11: .*warn \(flag a planned install of a vulnerable version\) or refuse/,
    );
  });
});
