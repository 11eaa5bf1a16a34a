#!/bin/bash
# Compiler Memory Insight: records gcc's `-ftime-report` per translation unit, and adds clang's
# `-ftime-trace`, for C/C++ builds (make, CMake, ninja, direct gcc/g++/clang calls).
#
# Run as `cc-wrapper.sh <mode> <args...>` by the small shims the profiler writes into a directory of
# the run's workDir:
#   cc1, cc1plus  (mode cc1 / cc1plus): found by every gcc/g++ driver through COMPILER_PATH, whatever
#                 path the build calls the driver by (CMake and ninja bake absolute paths in). The
#                 wrapper finds the real compiler proper with `$COLLECT_GCC -print-prog-name=<mode>`
#                 (cached per driver in $CMI_CC_DIR), then
#     1. writes $CMI_CC_DIR/<pid>-<start us>.args: the compiler proper and its arguments, NUL-separated;
#     2. execs it IN PLACE (cc1 keeps this script's pid) with -ftime-report appended;
#     3. sends its stderr through a filter (a detached bash subshell): the report (from the
#        "Time variable" line to the "TOTAL" line, with the blank line before it) goes to
#        $CMI_CC_DIR/<pid>-<start us>.tr, stamped with the wall-clock time ($EPOCHREALTIME) the filter
#        read its first line, i.e. when cc1 printed it at the end of its timing; every other line
#        (warnings, errors) goes on to the build's stderr at once and unchanged.
#   clang, clang++ (mode clang / clang++, only on PATH, the real compiler in CMI_CC_REAL_CLANG /
#                 CMI_CC_REAL_CLANGXX): a compile (`-c`) gets -ftime-trace (clang writes <obj>.json
#                 beside the object); every call records its argv and start the same way.
# With the GCC plugin (CMI_CC_PLUGIN, for the gcc whose cc1 is in CMI_CC_PLUGIN_CC1DIR; see
# native/README.md): step 2 and 3 become: exec cc1 in place with -fplugin and CMI_CC_PASSES=<f>.passes,
# no -ftime-report, no filter; the .tr file holds the header line and "# plugin".
# The .tr file: "# cmi-cc-wrapper 1 pid=P filter=F ppid=D prog=M start=S cwd=C", then
# "# report <epoch s.us>", the report's lines, "# end <epoch s.us>" when the compiler's stderr closed.
# Preprocessing only (-E), runs without CMI_CC_DIR, and compilers that already have -ftime-report
# run untouched (their report then stays on the build's stderr).

mode=$1
shift
dir=$CMI_CC_DIR

case $mode in
  clang) real=$CMI_CC_REAL_CLANG ;;
  clang++) real=$CMI_CC_REAL_CLANGXX ;;
  cc1 | cc1plus)
    driver=${COLLECT_GCC:-gcc}
    key=${driver//[^A-Za-z0-9._-]/_}
    cache=$dir/.real-$mode-$key
    real=
    [ -n "$dir" ] && [ -r "$cache" ] && read -r real <"$cache"
    if [ -z "$real" ]; then
      if [ -n "${CMI_CC_USER_COMPILER_PATH+x}" ]; then
        real=$(COMPILER_PATH=$CMI_CC_USER_COMPILER_PATH "$driver" -print-prog-name="$mode" 2>/dev/null)
      else
        real=$(env -u COMPILER_PATH "$driver" -print-prog-name="$mode" 2>/dev/null)
      fi
      case $real in
        /*) [ -n "$dir" ] && { printf '%s\n' "$real" >"$cache.$$" && mv -f "$cache.$$" "$cache"; } 2>/dev/null ;;
        *)
          echo "cmi cc-wrapper: cannot find the real $mode of $driver (got '$real')" >&2
          exit 1
          ;;
      esac
    fi
    ;;
  *)
    echo "cmi cc-wrapper: unknown mode '$mode'" >&2
    exit 1
    ;;
esac
# The compiler proper sees the user's COMPILER_PATH, not the profiler's.
if [ -n "${CMI_CC_USER_COMPILER_PATH+x}" ]; then export COMPILER_PATH=$CMI_CC_USER_COMPILER_PATH; else unset COMPILER_PATH; fi

compile=
for a in "$@"; do
  case $a in
    -E | -ftime-report | -ftime-report-details | -ftime-trace | -ftime-trace=*) dir= && break ;;
    -c) compile=1 ;;
  esac
done
if [ -z "$dir" ] || [ ! -d "$dir" ]; then exec "$real" "$@"; fi

t0=$EPOCHREALTIME
us=${t0/[.,]/}
f=$dir/$$-${us:-$RANDOM}
printf '%s\0' "$real" "$@" 2>/dev/null >"$f.args"

case $mode in
  clang | clang++)
    printf '# cmi-cc-wrapper 1 pid=%s filter= ppid=%s prog=%s start=%s cwd=%s\n' "$$" "$PPID" "$mode" "$t0" "$PWD" 2>/dev/null >"$f.tr"
    [ -n "$compile" ] && set -- "$@" -ftime-trace
    exec "$real" "$@"
    ;;
esac

# gcc with the plugin (dist/cmi_gcc.so, built for this cc1's gcc: same directory): the plugin writes
# the passes itself to $f.passes; cc1 runs in place with its stderr untouched and no -ftime-report.
if [ -n "$CMI_CC_PLUGIN" ] && [ -f "$CMI_CC_PLUGIN" ] && [ "${real%/*}" = "$CMI_CC_PLUGIN_CC1DIR" ]; then
  printf '# cmi-cc-wrapper 1 pid=%s filter= ppid=%s prog=%s start=%s cwd=%s\n# plugin\n' "$$" "$PPID" "$mode" "$t0" "$PWD" 2>/dev/null >"$f.tr"
  export CMI_CC_PASSES=$f.passes
  exec "$real" "$@" "-fplugin=$CMI_CC_PLUGIN"
fi

# Splits the compiler's stderr (stdin here): the time report to the file, the rest to the build.
filter() {
  { exec >"$f.tr"; } 2>/dev/null || exec >/dev/null
  printf '# cmi-cc-wrapper 1 pid=%s filter=%s ppid=%s prog=%s start=%s cwd=%s\n' "$$" "$BASHPID" "$PPID" "$mode" "$t0" "$PWD"
  local inreport= blank=
  # `|| [ -n "$l" ]`: keep a last line without a newline.
  while IFS= read -r l || [ -n "$l" ]; do
    if [ -n "$inreport" ]; then
      printf '%s\n' "$l"
      case $l in ' TOTAL '*) inreport= ;; esac
      continue
    fi
    case $l in
      'Time variable'*)
        blank=
        inreport=1
        printf '# report %s\n%s\n' "$EPOCHREALTIME" "$l"
        ;;
      '')
        [ -n "$blank" ] && printf '\n' >&2
        blank=1
        ;;
      *)
        [ -n "$blank" ] && printf '\n' >&2
        blank=
        printf '%s\n' "$l" >&2
        ;;
    esac
  done
  [ -n "$blank" ] && printf '\n' >&2
  printf '# end %s\n' "$EPOCHREALTIME"
}
# As in rustc-wrapper.sh: the filter runs in the background of the process substitution, so it is no
# child of the compiler exec'd here; `0<&0` keeps the pipe as its stdin.
exec "$real" "$@" -ftime-report 2> >(filter 0<&0 &)
