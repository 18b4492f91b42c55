// The checks part of a job script: each check is one framed step whose
// command text reaches `sh -c` as a single-quoted literal, so the job script
// itself expands nothing in it and no other value is spliced into it.
import type { JobCheck } from './job-spec.js';
import { safe, shq } from './shell.js';

/** Exit code of a check stopped at its time limit (what GNU timeout uses). */
export const CHECK_TIMED_OUT = 124;

/** Seconds between TERM and KILL for a check past its limit. */
const GRACE = 5;

export const CHECK_FUNCTION = `
# vo_check SECONDS COMMAND: run a check exactly as written, by sh -c, stdin
# closed, within a time limit: timeout(1) where the site has one that works,
# else a watcher that stops it. It sees PREFIX and SW_AREA, and the prefix's
# bin directories first on PATH. The output is copied out with lines that
# look like our framing defused, so a check cannot forge another step's result.
vo_check() {
  vo_limit=$1
  vo_path="$PREFIX/bin:$PREFIX/sbin:$PATH"
  vo_out="$LOCK_DIR/check.out"
  vo_expired="$LOCK_DIR/check.expired"
  rm -f "$vo_expired"
  if command -v timeout >/dev/null 2>&1 && timeout -k 1 5 true >/dev/null 2>&1; then
    # In the background and waited for: timeout(1) leaves the job's process group,
    # so a TERM to the job reaches it only through the trap, which a wait lets run.
    PATH="$vo_path" PREFIX="$PREFIX" SW_AREA="$SW_AREA" timeout -k ${GRACE} "$vo_limit" sh -c "$2" < /dev/null > "$vo_out" 2>&1 &
    VO_CHILD=$!
    wait "$VO_CHILD"
    vo_rc=$?
    VO_CHILD=
    if [ "$vo_rc" = ${CHECK_TIMED_OUT} ]; then : > "$vo_expired"; fi
  else
    PATH="$vo_path" PREFIX="$PREFIX" SW_AREA="$SW_AREA" sh -c "$2" < /dev/null > "$vo_out" 2>&1 &
    vo_pid=$!
    vo_watch_check "$vo_pid" "$vo_limit" "$vo_expired" > /dev/null 2>&1 &
    vo_watch=$!
    # (Its stderr is the shell's "Terminated" notice, not the check's.)
    wait "$vo_pid" 2>/dev/null
    vo_rc=$?
    wait "$vo_watch"
  fi
  LC_ALL=C sed 's/^@@vo:/ @@vo:/' "$vo_out"
  if [ -e "$vo_expired" ]; then
    # On a line of its own, also after output that lacked a final newline.
    if [ -s "$vo_out" ] && [ -n "$(tail -c 1 "$vo_out")" ]; then echo; fi
    echo "check stopped: it exceeded its time limit of \${vo_limit}s"
    return ${CHECK_TIMED_OUT}
  fi
  return "$vo_rc"
}

# vo_watch_check PID SECONDS FLAG: stop PID once it has run SECONDS (marking
# FLAG); looks once a second, so it ends within a second of the check.
vo_watch_check() {
  vo_n=0
  while kill -0 "$1" 2>/dev/null; do
    if [ "$vo_n" -ge "$2" ]; then
      : > "$3"
      kill -TERM "$1"
      vo_n=0
      while kill -0 "$1" 2>/dev/null && [ "$vo_n" -lt ${GRACE} ]; do
        sleep 1
        vo_n=$((vo_n + 1))
      done
      kill -KILL "$1"
      return 0
    fi
    sleep 1
    vo_n=$((vo_n + 1))
  done
}`;

/** The label of a check's step; the parser and the judge find it by this. */
export function checkLabel(name: string): string {
  return `check ${name}`;
}

/** Checks run only when every action succeeded; all of them run, so each result is known. */
export function checkSteps(checks: readonly JobCheck[]): string {
  const lines = checks.map((c) => {
    const limit = Math.max(1, Math.floor(c.timeout));
    return `  vo_step ${shq(checkLabel(safe.token(c.name)))} vo_check ${limit} ${shq(c.run)} || VO_FAILED=1`;
  });
  return `# shellcheck disable=SC2016 # a check's $ and \` are for the sh -c that runs it, not for this script
if [ "$VO_FAILED" = 0 ]; then
${lines.join('\n')}
fi`;
}
