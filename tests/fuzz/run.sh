#!/bin/sh
# Builds racksim's libFuzzer targets with clang, ASan and UBSan into build-fuzz/, then runs each on its
# seed corpus (scenarios/ and tests/bad/ for the scenario loader, the shipped CSV tables for the CSV
# reader, platforms/ and tests/bad/ for the checks of host properties) for RUNS executions (default
# 10 million) or SECONDS of time, whichever ends first.
#   tests/fuzz/run.sh [scenario|csv|hosts|all] [RUNS] [SECONDS]
# New inputs go to build-fuzz/corpus/TARGET/; a crash, hang (over 5 s) or leak stops the target and
# leaves its input in build-fuzz/ (crash-*, timeout-*, leak-*): add it to tests/bad/ as a regression.
# The whole log of a target goes to build-fuzz/TARGET.log (its last lines give the executions); the
# fuzzer runs under nice -n 19, one process, so that it takes only a spare core.
set -e
here=$(cd "$(dirname "$0")/../.." && pwd)
which=${1:-all}
runs=${2:-10000000}
secs=${3:-14400}
out=$here/build-fuzz
CC=clang CXX=clang++ cmake -S "$here" -B "$out" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRACKSIM_FUZZ=ON -DBUILD_TESTING=OFF >/dev/null
cmake --build "$out" -j"$(nproc)" --target fuzz_scenario fuzz_csv fuzz_hosts >/dev/null
cd "$out"
failed=0
run() { # target, largest input, then seed directories
  t=$1
  len=$2
  shift 2
  mkdir -p "corpus/$t"
  dict=""
  [ -f "$here/tests/fuzz/$t.dict" ] && dict="-dict=$here/tests/fuzz/$t.dict"
  # SimGrid is not loaded by these targets, so no suppression is needed: every leak is racksim's.
  nice -n 19 "./tests/fuzz/fuzz_$t" "corpus/$t" "$@" $dict -runs="$runs" -max_total_time="$secs" -timeout=5 \
    -rss_limit_mb=2048 -max_len="$len" -print_final_stats=1 >"$t.log" 2>&1 || failed=1
  tail -n 20 "$t.log"
}
case $which in
scenario | all) run scenario 65536 "$here/scenarios" "$here/tests/bad" ;;
esac
case $which in
# CSV rows are independent, so 4 KB inputs (about 100 rows) reach every state of the reader; 64 KB
# ones (the seeds are up to 196 KB) ran 15 times slower (392 against 5,893 per second).
csv | all) run csv 4096 "$here/scenarios/validation/lengths" "$here/tests/golden/inference-llama8b-h200" ;;
esac
case $which in
hosts | all) run hosts 65536 "$here/platforms" "$here/tests/bad" ;;
esac
exit $failed
