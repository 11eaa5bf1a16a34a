#!/bin/bash
# Compiler Memory Insight: the RUSTC_WRAPPER that records `-Z time-passes` per rustc invocation.
#
# Cargo runs it as `rustc-wrapper.sh <rustc> <args...>`; the profiler runs a direct `rustc ...`
# command the same way. For a real compile it
#   1. writes $CMI_RUSTC_DIR/<pid>-<start us>.args: rustc and its arguments, NUL-separated (the start
#      time in the name keeps a reused pid from overwriting an earlier invocation's files);
#   2. execs rustc IN PLACE (rustc keeps this script's pid, which names the files) with
#      `-Z time-passes -Z time-passes-format=json` (text format when CMI_RUSTC_TP_FORMAT=text) and
#      RUSTC_BOOTSTRAP=1 for that compile only: cargo and build scripts never see it, so their
#      nightly-feature probes behave as in the user's own build;
#   3. sends rustc's stderr through a filter (a detached bash subshell, the one extra process that
#      lives on): each "time: " line goes to $CMI_RUSTC_DIR/<pid>-<start us>.tp, prefixed with the
#      wall-clock time the filter read it ($EPOCHREALTIME, us), i.e. the END of that pass, late by
#      the filter's read latency (~0.05 ms while it runs; ~2 ms for the first lines while it starts;
#      a few ms now and then on a saturated machine); every other line (cargo's JSON diagnostics)
#      goes on to cargo's stderr at once and unchanged.
# The .tp file: "# cmi-rustc-wrapper 1 pid=P filter=F crate=C package=K start=S format=json|text",
# then "<epoch s.us> time: ..." lines, then "# end <epoch s.us>" when rustc's stderr closed.
# Probes (-vV, --print without a crate, input from stdin "-") and runs without CMI_RUSTC_DIR exec
# rustc untouched. CMI_RUSTC_INNER_WRAPPER: the user's own wrapper (e.g. sccache), run between this
# script and rustc.
#
# Cost: one bash start, a scan of the arguments, one small file, two forks: ~2.5 ms per compile
# (measured with a no-op program in place of rustc); the filter then reads rustc's stderr byte by
# byte (~0.5 us per byte, ~3 ms for the 6 KB of a crate's JSON time lines), alongside rustc.
# Measured on a 180 ms compile on 2 busy cores: +7 ms (min) / +11 ms (median) of wall time over the
# same rustc with -Z time-passes writing to a pipe.
# Needs bash >= 5 for $EPOCHREALTIME; with an older bash the lines carry no time stamp and the
# profiler reconstructs the timeline (and says so).

rustc=$1
shift
inner=$CMI_RUSTC_INNER_WRAPPER
dir=$CMI_RUSTC_DIR
crate= print= prev=
for a in "$@"; do
  case $prev in --crate-name) crate=$a ;; esac
  case $a in
    -vV | -V | --version | - | -h | --help | --explain | --explain=*) dir= && break ;;
    --print | --print=*) print=1 ;;
    --crate-name=*) crate=${a#--crate-name=} ;;
  esac
  prev=$a
done
if [ -z "$dir" ] || [ ! -d "$dir" ] || { [ -n "$print" ] && { [ -z "$crate" ] || [ "$crate" = ___ ]; }; }; then
  exec ${inner:+"$inner"} "$rustc" "$@"
fi

t0=$EPOCHREALTIME
us=${t0/[.,]/}
f=$dir/$$-${us:-$RANDOM}
printf '%s\0' "$rustc" "$@" 2>/dev/null >"$f.args"
export RUSTC_BOOTSTRAP=1
if [ "$CMI_RUSTC_TP_FORMAT" = text ]; then
  fmt=text
  set -- "$@" -Z time-passes
else
  fmt=json
  set -- "$@" -Z time-passes -Z time-passes-format=json
fi
# Splits rustc's stderr (stdin here): stamped time-passes lines to the file, the rest to cargo.
filter() {
  { exec >"$f.tp"; } 2>/dev/null || exec >/dev/null
  printf '# cmi-rustc-wrapper 1 pid=%s filter=%s crate=%s package=%s start=%s format=%s\n' \
    "$$" "$BASHPID" "$crate" "$CARGO_PKG_NAME" "$t0" "$fmt"
  # `|| [ -n "$l" ]`: keep a last line without a newline.
  while IFS= read -r l || [ -n "$l" ]; do
    case $l in
      'time: '*) printf '%s %s\n' "$EPOCHREALTIME" "$l" ;;
      *) printf '%s\n' "$l" >&2 ;;
    esac
  done
  printf '# end %s\n' "$EPOCHREALTIME"
}
# The filter runs in the background of the process substitution, which exits at once: so it is not
# a child of the program exec'd here, and a program that waits for all its children (strace, a
# wrapper script's `wait`) does not wait for it while itself holding the pipe open. `0<&0` keeps
# stdin (the pipe) for the background job, which would otherwise get /dev/null.
exec ${inner:+"$inner"} "$rustc" "$@" 2> >(filter 0<&0 &)
