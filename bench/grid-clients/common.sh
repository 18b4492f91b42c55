# Shared by the stand-in grid clients of bench/grid-bench.mjs: each call is
# logged (time, program, endpoint) and takes GRID_SIM_LATENCY seconds, as a
# real client's round trip to its CE or slurmctld would; a job "finishes"
# GRID_SIM_JOB_S seconds after its submission, and not before GRID_SIM_DIR/release
# exists (the bench holds every job until all are in flight, to measure that
# steady state). State lives under GRID_SIM_DIR.
# Few processes per call: on a loaded machine every fork shows in the run.
SIM=${GRID_SIM_DIR:?GRID_SIM_DIR is not set}
HERE=${0%/*}
logcall() { printf '%s %s %s\n' "$(date +%s.%N)" "$1" "$2" >> "$SIM/calls.log"; }
latency() { sleep "${GRID_SIM_LATENCY:-0.3}"; }
# A new job number: the second and this process's id (no two live processes share one).
nextid() { t=$(date +%s); id="$t$$"; }
# The job's output, as the real job script writes it (captured once; its marker and transaction id filled in).
render_output() { # script out
  awk -v template="$HERE/job-output.template" -v script="$1" -v out="$2" -f "$HERE/render.awk" -f "$HERE/render-one.awk"
}
