#!/bin/sh
# The suite's sanitizer step: builds racksim with ASan and UBSan (-DRACKSIM_SANITIZE=address,undefined,
# no recovery) beside the main build, then runs the unit suites, the golden traces and cli under it. A finding fails:
# UBSan aborts the process, ASan errors and leaks end it with a non-zero status, and a log that names
# one fails this step even where a test expected a failing exit. ASan's reports go to files, because
# tests compare racksim's stderr (SimGrid's context switches make ASan print a harmless warning).
#   tests/sanitize.sh SOURCE_DIR BUILD_DIR
set -e
src=$1
dir=$2
logs=$dir/logs
cmake -S "$src" -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DRACKSIM_SANITIZE=address,undefined >/dev/null
cmake --build "$dir" -j"$(nproc)" >/dev/null
rm -rf "$logs" && mkdir -p "$logs"
status=0
# Every unit suite and golden trace, and cli (every bad fixture); not the slow workload suites, the
# validation cases, the tool tests or the source checks: under ASan they would take the CI budget.
skip="^(validation|scale|agentic|training|inference|faults|power|install|timeline|sweep|slurm|report|format|layers)$"
ASAN_OPTIONS="log_path=$logs/asan:detect_leaks=1" UBSAN_OPTIONS="log_path=$logs/ubsan:print_stacktrace=1" \
  ctest --test-dir "$dir" -E "$skip" -j"$(nproc)" --output-on-failure || status=1
if grep -l -E "ERROR: (Address|Leak)Sanitizer|runtime error" "$logs"/* 2>/dev/null; then
  grep -h -A20 -E "ERROR: (Address|Leak)Sanitizer|runtime error" "$logs"/* | head -n 80
  status=1
fi
exit $status
