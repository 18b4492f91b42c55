// --help texts: what each command does, its options, and its exit codes.

const COMMON = `Common options:
  --desired DIR       desired-state directory (default: desired-state)
  --rev REV           git revision to read the desired state from (default: HEAD)
  --worktree          read the desired state from the work tree instead of git
  --git-dir DIR       the git directory to read --rev from (as the hooks do, in
                      a bare repository)
  --state DIR|URL     controller state: a directory (default: state), or a
                      PostgreSQL URL postgres://user@host/db (also from
                      VO_RECONCILE_STATE; see 'reconcile state --help')
  --json              machine-readable output on stdout
  --no-color          no colour on a terminal (so does NO_COLOR=1; never in pipes)
  --log-level LEVEL   fatal|error|warn|info|debug|trace|silent (default: error on stderr,
                      where the output already says each failure; warn with --log-file); logs are JSON
  --log-file FILE     write logs to FILE instead of stderr
  -h, --help          show help
  --version           print the version and exit

Exit codes: 0 success / in sync, 1 at least one site failed (or the
confirmation was declined), 2 invalid input or usage (nothing was changed),
3 plan --detailed-exitcode found changes, 4 apply FILE refused a stale plan.`;

const TEXTS: Record<string, string> = {
  main: `reconcile — keep pkgsrc software areas on grid sites as a git repository says

Usage: reconcile [command] [options]

Commands:
  apply (default)     plan and carry out the changes at each site
  plan                print what apply would do, from the last observations
                      (it probes no site; 'observe' does)
  validate            check the desired state; file:line:col: message per problem
  observe             probe sites, or --import a pkg_info listing a site sent
  rollback <tag>      restore the package sets a tag produced (also --rollback <tag>)
  hold <site>...      leave sites alone (--reason says why) until released
  release <site>...   lift a hold (manual, or the one a rollback left)
  promote             open the manual gate of the rollout's next wave
  status              the fleet report (text, JSON, HTML)
  audit               audit every site's inventory against the vulnerability list
  history [<txid>]    transactions, newest first; one in full
  serve               HTTP report, JSON API and metrics; takes site reports
  report              run at a site: send its inventory to 'serve' (no root needed)
  hook install        install pre-/post-receive hooks into a repository
  cron                print a crontab line
  state init|import   create the PostgreSQL state, or copy a file state into it
  completion bash|zsh print a shell completion script

Sites (--site, hold, release): a name, a quoted glob ('DESY-*') or tag:T
for the sites tagged T in sites.yaml.

Run 'reconcile <command> --help' for a command's options.

${COMMON}`,
  validate: `Usage: reconcile validate [--desired DIR] [--rev REV | --worktree] [--json]

Checks desired-state/sites.yaml and profiles/*.yaml against the schemas in
schemas/ and for semantic problems: unknown or cyclic profiles, duplicate
sites, packages both present and absent, versions no package can satisfy,
check names declared twice for one site.
Prints every problem as file:line:col: message and exits 2; otherwise prints
a one-line summary and exits 0. Changes nothing.

${COMMON}`,
  plan: `Usage: reconcile plan [--site S]... [--observed DIR] [--json] [-v] [--detailed-exitcode] [--concurrency N]
                      [--out FILE]

Computes, per site, what apply would do: + install, ~ upgrade/downgrade,
- remove, with the reason for each. Changes no site. Plans are kept in
state/plan-cache (--state) under the digests of everything that decides
them (the site's resolved desired state, its inventory, its catalog, the
planner's version): a site whose inputs did not change is not planned
again, and the answer is the same bytes either way.

  --site S              only this site (repeatable)
  --observed DIR        plan from raw inventories in DIR (<SITE>.pkg_info and
                        optional <SITE>.pkg_info-u) instead of state/observed
  --catalog DIR|URL     resolve versions against this pkg_summary instead of
                        each site's pkg_path (offline planning, mirrors)
  -v, --verbose         also list the packages left alone and why
  --detailed-exitcode   exit 3 when anything would change
  --concurrency N       threads that plan (default: one per core; 1 plans in
                        the main thread)
  --out FILE            also write the plan, with what it was made from (the
                        commit, each site's observation and catalog digests,
                        holds), for review and 'reconcile apply FILE'
                        (schemas/planfile.schema.json); not with --worktree
                        or --observed

${COMMON}`,
  apply: `Usage: reconcile [apply] [--site S]... [--concurrency N] [--dry-run] [--catalog DIR|URL] [--yes]
       reconcile apply FILE [--skip-stale] [--yes] [--concurrency N] [--dry-run]

Plans each selected site against its latest observation (probing it first
if it was never observed) and carries the plan out as one job per site:
installs and upgrades first, removals last. The job refuses to act when the
site changed since it was observed; the site is then planned again. When
the actions succeed, the job runs the site's checks (profiles' checks:); a
failing or overrunning check fails the transaction, installed but not
validated. A site with checks and nothing to do gets a checks-only job once
per revision until they pass. Every
transaction is journalled in state/journal.jsonl before its job is waited
on, so a controller that dies is followed by one that resumes the job.

With desired-state/rollout.yaml a new revision goes out in waves: apply
runs the rollout's current wave and carries on while it can; a soak or a
manual gate ('reconcile promote') ends the run, and the next one continues.
A wave with more failed sites than max_failures halts the rollout (exit 1
while halted). A newer commit waits until the rollout in progress has
completed or halted, then starts from wave 1. --site bypasses the rollout.

  --site S           only this site (repeatable; outside any rollout)
  --concurrency N    sites in flight at once (default 8); one job per site
  --dry-run          write the job scripts to state/jobs/dry-run/, submit nothing
  --catalog DIR|URL  resolve versions against this pkg_summary instead of pkg_path
  --since REV        only the sites whose desired state changed since REV
                     (the post-receive hook passes the pushed range)
  -y, --yes          do not ask: on a terminal apply first shows the plan and
                     asks (exit 1 when the answer is not yes); without a
                     terminal (cron, hooks, pipes) nobody is asked. The cron
                     and hook lines reconcile writes pass --yes.
  --skip-stale       with FILE: carry out the sites whose inputs are unchanged
                     and leave out the stale ones (exit 4 when any was)

apply FILE carries out the plan 'reconcile plan --out FILE' wrote, exactly:
no site is planned again, and a job that finds its site changed does
nothing. It refuses the whole plan as stale, with exit 4 and a line per site
and cause, when anything the plan was made from changed: the commit its
revision (HEAD, or the --rev it was made with) names, a site's observation,
its catalog's bytes, a hold, or a transaction still open there. A moved
commit always refuses the whole plan. --site, --rev, --worktree, --catalog
and --since do not go with FILE: the plan names them.

Exit 1 if any site failed (the others still converge).

${COMMON}`,
  status: `Usage: reconcile status [--format text|json|html] [--output FILE] [--catalog DIR|URL]

The fleet at a glance: per site what is in sync, drifted, missing, extra
or frozen (from the last observation), vulnerabilities from the last audit,
the last transaction (when, result, commit and tags), what is installed
versus validated (the last package set whose checks passed), held and busy
sites, and tags that can no longer be restored. HTML is one self-contained page.

  --format F         text (default), json (as --json) or html
  --output FILE      write the report to FILE instead of stdout
  --catalog DIR|URL  resolve versions against this pkg_summary instead of
                     each site's pkg_path

${COMMON}`,
  serve: `Usage: reconcile serve [--host 127.0.0.1] [--port 8080] [--interval 30m] [--report-secrets FILE]
                       [--concurrency N] [--catalog DIR|URL]

Serves the HTML report at /, /api/status, /api/history, /metrics
(Prometheus text) and /healthz, read-only. With --interval it also
reconciles periodically (never overlapping itself; held sites are skipped).
Binds 127.0.0.1 unless --host says otherwise.

  --concurrency N        sites the --interval run reconciles at once (as apply; default 8)
  --catalog DIR|URL      the pkg_summary the run and the report resolve versions
                         against, instead of each site's pkg_path (as apply)
  --report-secrets FILE  take inventories that sites send with 'reconcile
                         report' at POST /api/sites/<site>/inventory. FILE
                         has one 'SITE SECRET' line per site ('#' comments),
                         must be mode 600, and is read at start: serve
                         refuses to start on a malformed one. A report is
                         stored (state/observed/<site>.json, source
                         "reported", and state/reports/<site>/) only when
                         the site is in sites.yaml, the HMAC over it is
                         made with the site's secret, its timestamp is
                         within 5 minutes and its nonce is new; otherwise
                         401, 400 or 413 and nothing is stored.

${COMMON}`,
  hook: `Usage: reconcile hook install --repo PATH [--branch B] [--desired desired-state] [--state DIR]

Installs into the repository VO managers push to (bare or not) a
pre-receive hook that rejects a push to the branch whose desired state is
invalid, printing the file:line:col errors, and a post-receive hook that
reconciles in the background only the sites the push changed (log:
<state>/post-receive.log). Pushes to other branches pass unchecked.

The hooks call the installed 'reconcile' command, not this copy's files:
the one on PATH now, else 'npx --no-install reconcile' in the repository's
work tree when its node_modules has it; without either, nothing is
installed (exit 2). The output says which, and the branch.

  --repo PATH     the repository (its hooks directory, as git says)
  --branch B      the branch whose pushes are checked and reconciled
                  (default: the repository's current branch, its HEAD;
                  'main' when HEAD names none)
  --desired DIR   the desired-state directory inside the repository

${COMMON}`,
  cron: `Usage: reconcile cron [--every 6h]

Prints a crontab line (absolute paths, a log file under the state
directory) that runs 'reconcile apply' every 5m, 15m, 30m, 1h, 2h, 6h, 12h
or 1d. Like the hooks it calls the installed 'reconcile' (on PATH, else
'npx --no-install reconcile' beside the desired state) and says which on
stderr; without one it prints nothing and exits 2.

  --every N   5m, 15m, 30m, 1h, 2h, 6h, 12h or 1d (default 6h)

${COMMON}`,
  rollback: `Usage: reconcile rollback <tag|commit> [--site S]... [--dry-run] [--concurrency N] [--catalog DIR|URL]
       reconcile --rollback <tag|commit> ...

Brings each selected site back to what <tag> produced there: the exact
package set (PKGNAMEs, downgrades included) after the last validated
transaction that applied the tag's commit (one installed but not validated
only when none was, and the output says so); the job runs the tag's checks. A site the tag never reached is
planned from the desired state at that commit (read from git), and the
output says so. A site whose needed binary packages are no longer in its
catalog is refused and left unchanged; the others proceed.

A rolled-back site is held: apply leaves it alone until the desired state
at HEAD equals the tag's, or 'reconcile release <site>'. An unknown tag is
exit 2 before anything runs. A commit (any revision git knows, e.g. an
abbreviated id) serves as well as a tag. --dry-run writes each site's job
script to state/jobs/dry-run/ and changes nothing, as apply --dry-run does.

${COMMON}`,
  report: `Usage: reconcile report --site NAME --url URL [--prefix P] [--secret-file FILE]
       reconcile report --site NAME --url URL [--prefix P] --secret-file FILE --cron [--every 1d]

Run at a site, as any user that can read its package database: runs
'pkg_info' and 'pkg_info -u' (P/sbin/pkg_info with --prefix, else from
PATH) and sends both listings, signed with the site's secret, to a
collector running 'reconcile serve --report-secrets'. Exits 1 with the
collector's reason when it refuses the report.

  --site NAME         the site's name in sites.yaml
  --url URL           the collector, e.g. https://collector.example.org:8443
  --prefix P          the pkgsrc prefix of the software area
  --secret-file FILE  the site's secret (mode 600); without it the secret is
                      taken from $RECONCILE_REPORT_SECRET. Never on the
                      command line: every user can see that in ps.
  --cron              print a line for /etc/cron.d/ instead: daily, at a
                      minute and hour taken from the site name, as the
                      current user, logging to ~/reconcile-report-NAME.log
  --every N           with --cron: 1h, 2h, 3h, 4h, 6h, 8h, 12h or 1d

${COMMON}`,
  audit: `Usage: reconcile audit [--site S]... [--format text|json|html] [--output FILE] [--observed DIR]

Audits each selected site's latest observation (state/observed, or the raw
pkg_info listings in --observed DIR) against the vulnerability list its
desired state names (sites.yaml 'vulnerabilities: { list: PATH|URL }'),
exactly as 'pkg_admin audit' would there, without running a job: sites that
only report themselves are audited too. The list is fetched at most once
per run (If-None-Match / If-Modified-Since) and checked as 'pkg_admin
check-pkg-vulnerabilities' does; a copy that fails is refused with one line
on stderr and the last verified copy (state/vulnerabilities/) stays in use.
Findings the desired state accepts (vulnerabilities.ignore: url and/or
pattern, reason, expires) are listed as accepted until their expiry day has
passed, then they are open again. Ends with the advisory x site matrix.

  --site S          only this site (repeatable)
  --format F        text (default), json, or html (one self-contained page)
  --output FILE     write the report to FILE instead of stdout
  --observed DIR    audit the <SITE>.pkg_info listings in DIR instead

Exit 1 when any site has an open finding or has no verified list to be
audited against; 0 otherwise.

${COMMON}`,
  release: `Usage: reconcile release <site>... [--json]

Lifts the hold on each site, whether 'reconcile hold' or a rollback left
it; the next apply brings the site to the desired state at HEAD. A site
that was not held is said so. Sites are names, quoted globs ('DESY-*') or
tag:T.

${COMMON}`,
  promote: `Usage: reconcile promote [--json]

With a rollout.yaml, a wave with 'gate: manual' starts only once promoted:
this opens the gate of the next such wave of the rollout in progress (given
during the soak before it, the soak still runs). The next apply starts the
wave. Exit 2 when no wave waits for promotion.

${COMMON}`,
  hold: `Usage: reconcile hold <site>... --reason TEXT [--json]

Holds sites by hand, like 'flux suspend': apply, 'serve --interval' and the
post-receive hook leave them alone (reported as held) until 'reconcile
release <site>'. plan still shows what would change there, with the hold;
status and history show it too. Sites are names, quoted globs ('DESY-*')
or tag:T. Holding a site a rollback held replaces that hold: the site then
stays held even when the desired state comes to equal the tag's.

  --reason TEXT   why, shown wherever the hold is (required)

${COMMON}`,
  state: `Usage: reconcile state init --state postgres://USER@HOST[:PORT]/DB
       reconcile state import --from DIR --state postgres://USER@HOST[:PORT]/DB

The journal, holds and site locks can live in PostgreSQL instead of files
under state/, for a VO that runs more than one controller machine: the
database then also keeps two controllers from working on one site at once.
Job scripts, observations and caches stay in a local directory
(VO_RECONCILE_LOCAL_STATE, default: state). --state may also come from
VO_RECONCILE_STATE; give the password through ~/.pgpass or PGPASSWORD, not
the URL, so that it is in no command line.

  init          create the tables (or check they are at this version)
  import        copy the journal and holds of the file state in --from DIR
                into the database, which must hold none yet
  --from DIR    the file state to import

A database that cannot be reached, refuses the login or has another schema
version is exit 2 with one line naming the URL without its password.

${COMMON}`,
  completion: `Usage: reconcile completion bash|zsh

Prints a completion script for the shell, made from the same tables the
command line is parsed with: commands, each command's options, and the
values of --log-level, --format and --every.

  bash:  source <(reconcile completion bash)
         (or save it as ~/.local/share/bash-completion/completions/reconcile)
  zsh:   source <(reconcile completion zsh)

${COMMON}`,
  history: `Usage: reconcile history [--site S]... [--json] [--tags]
       reconcile history <txid> [--json]

  --site S           only this site's transactions (repeatable; an unknown
                     site is an error)
  --tags             per tag, the sites where its package sets can still be
                     restored, and what is no longer on offer where they cannot
  --catalog DIR|URL  with --tags: the pkg_summary to check against


Transactions from state/journal.jsonl, newest first: when, site, kind,
result, the desired-state commit and its tags, the actions, and why a
failed one failed; a rollback is filed under the tag and commit it restored.
With a transaction id: that transaction in full (its plan and each action's
result, job, checks, the site's audit, the packages after). --json prints
the entries /api/history serves (README: History). --tags marks a restore
point whose transaction never passed its checks (NEVER VALIDATED). A torn
last journal line is reported on stderr.

${COMMON}`,
  observe: `Usage: reconcile observe [--site S]... [--concurrency N]
       reconcile observe --site S --import FILE [--import-u FILE] [--import-n FILE]

Without --import, runs a probe job at each selected site (through the same
queue and site locks as apply) and stores what it found under
state/observed/. With --import, stores an inventory a site sent: FILE is raw 'pkg_info' output, the optional
--import-u FILE is 'pkg_info -u' (the user-installed packages; the others are
automatic dependencies), the optional --import-n FILE is 'pkg_info -n -a'
(what each installed package depends on, as the site's package database
says; without it the planner takes that from the catalog and says so).
Malformed input stores nothing and exits 2.

${COMMON}`,
};

export function helpText(command?: string): string {
  return TEXTS[command ?? 'main'] ?? `${TEXTS.main}\n\n(no detailed help for '${command}' yet)`;
}
