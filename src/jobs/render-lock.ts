// The site lock as the job script takes, breaks and releases it: a
// directory made by mkdir (atomic on every file system, NFS included)
// holding an owner file. Each of those is several commands, so a signal
// between two of them could leave a lock without an owner, which no one
// could tell from a lock being taken. They run with HUP/INT/TERM ignored,
// and a signal that arrives meanwhile is acted on once they are done: a
// cancelled job never leaves such a lock. A job killed outright (KILL) still
// can, and that lock counts as stale by the directory's own age.

/** The shell functions; the script calls vo_lock (a step), vo_release, vo_on_signal. */
export const LOCK_FUNCTIONS = `
vo_on_signal() {
  if [ "$VO_CRITICAL" = 1 ]; then
    VO_SIGNALLED=1
    return 0
  fi
  vo_mark "killed"
  # A check running under timeout(1) is outside the job's process group: a TERM stops it too.
  if [ -n "\${VO_CHILD:-}" ]; then kill -TERM "$VO_CHILD" 2>/dev/null; fi
  vo_release
  exit 143
}

# vo_uninterrupted FUNCTION: run FUNCTION in a subshell deaf to HUP/INT/TERM
# (so are the commands it starts); a signal meanwhile is handled after it.
# A lock taken is ours (VO_LOCKED) before a deferred signal is acted on, so it is released.
vo_uninterrupted() {
  VO_CRITICAL=1
  (trap '' HUP INT TERM; "$@")
  vo_rc=$?
  if [ "$vo_rc" = 0 ] && [ "$1" = vo_lock_now ]; then VO_LOCKED=1; fi
  VO_CRITICAL=0
  if [ "$VO_SIGNALLED" = 1 ]; then vo_on_signal; fi
  return "$vo_rc"
}

vo_lock() {
  vo_uninterrupted vo_lock_now
}

# Only our own lock is removed: one broken as stale may belong to a successor now.
vo_release() {
  if [ "$VO_LOCKED" = 1 ]; then
    VO_LOCKED=0
    vo_uninterrupted vo_release_now
  fi
}

# The owner file is one line; read by the shell itself (no grep process per job).
vo_release_now() {
  vo_line=
  { IFS= read -r vo_line < "$LOCK_DIR/owner"; } 2>/dev/null
  case $vo_line in
    *" txn=$VO_TXN "*)
      vo_discard released
      vo_mark "unlocked" ;;
  esac
}

# Out of the way in one rename, so the lock never exists without its owner
# file; what a kill leaves of the renamed copy, the next holder removes.
vo_discard() {
  mv "$LOCK_DIR" "$LOCK_DIR.gone.$VO_TXN.$$.$1" 2>/dev/null && rm -rf "$LOCK_DIR.gone.$VO_TXN.$$.$1"
}

vo_take_lock() {
  mkdir "$LOCK_DIR" 2>/dev/null || return 1
  if ! printf '%s time=%s lease=%s\\n' "$LOCK_OWNER " "$(date +%s)" "$LOCK_LEASE" > "$LOCK_DIR/owner"; then
    rm -rf "$LOCK_DIR"
    return 1
  fi
  # Only when there is something to remove: most jobs find nothing, and need no rm process for it.
  for vo_gone in "$LOCK_DIR".gone.*; do
    if [ -e "$vo_gone" ]; then rm -rf "$LOCK_DIR".gone.* 2>/dev/null || :; fi
    break
  done
}

# A lock whose holder outlived its lease is broken (its job was killed or
# lost). Breaking takes a second, short-lived lock, and looks again under
# it, so two jobs that both saw the stale lock cannot both take over.
vo_lock_now() {
  if vo_take_lock; then
    echo "locked $LOCK_DIR"
    return 0
  fi
  vo_owner=$(tr -d '\\n' < "$LOCK_DIR/owner" 2>/dev/null)
  if vo_is_stale "$vo_owner" && vo_take_break; then
    vo_again=$(tr -d '\\n' < "$LOCK_DIR/owner" 2>/dev/null)
    if [ "$vo_again" = "$vo_owner" ] && vo_is_stale "$vo_again"; then
      vo_mark "stale-lock \${vo_owner:-owner unknown, unchanged for $VO_AGE s}"
      vo_discard broken
    fi
    vo_take_lock
    vo_got=$?
    rmdir "$LOCK_DIR.break"
    if [ "$vo_got" = 0 ]; then
      echo "broke a stale lock and locked $LOCK_DIR"
      return 0
    fi
  fi
  vo_mark "busy \${vo_owner:-owner unknown}"
  return 1
}

# Stale: older than its lease. A lock without a readable owner time (its
# job was killed taking it) is as old as the directory itself, and gets
# this job's lease.
vo_is_stale() {
  vo_since=$(printf '%s\\n' "$1" | sed -n 's/.* time=\\([0-9][0-9]*\\) .*/\\1/p')
  vo_lease=$(printf '%s\\n' "$1" | sed -n 's/.* lease=\\([0-9][0-9]*\\)$/\\1/p')
  if [ -z "$vo_since" ] || [ -z "$vo_lease" ]; then
    vo_since=$(vo_mtime "$LOCK_DIR")
    vo_lease=$LOCK_LEASE
  fi
  [ -n "$vo_since" ] || return 1
  VO_AGE=$(($(date +%s) - vo_since))
  [ "$VO_AGE" -gt "$vo_lease" ]
}

# A break lock left by a job killed while breaking is removed once older than a lease.
vo_take_break() {
  mkdir "$LOCK_DIR.break" 2>/dev/null && return 0
  vo_since=$(vo_mtime "$LOCK_DIR.break")
  [ -n "$vo_since" ] || return 1
  [ $(($(date +%s) - vo_since)) -gt "$LOCK_LEASE" ] || return 1
  rmdir "$LOCK_DIR.break" 2>/dev/null
  mkdir "$LOCK_DIR.break" 2>/dev/null
}

# Modification time in Unix seconds (GNU, busybox or BSD stat); empty if unknown.
vo_mtime() {
  vo_t=$(stat -c %Y "$1" 2>/dev/null || stat -f %m "$1" 2>/dev/null)
  case $vo_t in '' | *[!0-9]*) ;; *) echo "$vo_t" ;; esac
}`;
