cmake_policy(SET CMP0057 NEW) # if(IN_LIST)
# rs-timeline on real runs, its JSON read back by a real JSON parser (jq): a training run with ops.csv
# (a track per rank, compute and collectives with layer and micro-batch), an inference run (requests
# as async spans per replica, replica counters), the platform's counters (power by site and scope from
# power.csv, utilisation by link class from link_windows.csv, which --timeline turns on), the cap
# (--max-events) said and kept, bad usage exit 2.
#   cmake -DRACKSIM=... -DTIMELINE=... -DJQ=... -DSOURCE=... -DWORK=... -P timeline.cmake
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")

function(run)
  execute_process(COMMAND ${ARGN} WORKING_DIRECTORY "${SOURCE}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  set(rc "${rc}" PARENT_SCOPE)
  set(out "${out}" PARENT_SCOPE)
  set(err "${err}" PARENT_SCOPE)
endfunction()

# jq -e EXPR FILE must print `want` (and exit 0: the file parsed).
function(expect file expr want)
  run("${JQ}" -e -r "${expr}" "${file}")
  string(STRIP "${out}" out)
  if(NOT rc EQUAL 0 OR NOT out STREQUAL "${want}")
    message(FATAL_ERROR "jq '${expr}' ${file}: expected '${want}', got '${out}' (exit ${rc}) ${err}")
  endif()
endfunction()

run("${RACKSIM}" run scenarios/training-llama8b-h100.yaml -o "${WORK}/train" -q --set outputs.ops_max_rows=20000
    --set outputs.link_windows=true)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "racksim failed: ${err}")
endif()
run("${TIMELINE}" "${WORK}/train")
if(NOT rc EQUAL 0 OR NOT err STREQUAL "")
  message(FATAL_ERROR "rs-timeline failed (${rc}): ${err}")
endif()
set(t "${WORK}/train/timeline.json")
# 20000 ops rows, 300 collectives rows (the scenario's default cap), 2 events rows: one X event each
expect("${t}" "[.traceEvents[] | select(.ph == \"X\")] | length" "20302")
expect("${t}" "[.traceEvents[] | select(.ph == \"M\" and .name == \"thread_name\") | .args.name] | map(select(startswith(\"rank \"))) | length" "16")
expect("${t}" "[.traceEvents[] | select(.name == \"compute forward\")][0] | [.pid, .tid, .args.layer, .args.micro_batch, .args.iteration, .ts] | @csv" "1,2,0,0,0,0")
expect("${t}" "[.traceEvents[] | select(.name == \"collective tp all-gather\")] | length > 0" "true")
expect("${t}" "[.traceEvents[] | select(.name == \"tp all-gather\" and .args.algorithm == \"ring\")] | length > 0" "true")
expect("${t}" "[.traceEvents[] | select(.ph == \"X\" and .dur < 0)] | length" "0")
expect("${t}" "[.otherData.events == ([.traceEvents[] | select(.ph != \"M\")] | length), .otherData.dropped_events] | @csv" "true,0")
# the platform's counters: one per power window (5 of 1 s) for each scope and each link class
expect("${t}" "[.traceEvents[] | select(.ph == \"C\" and .name == \"power site 0 gpu\")] | length" "5")
expect("${t}" "[.traceEvents[] | select(.ph == \"C\" and .name == \"power site 0 gpu\")][0] | [.ts, .args.kw > 1] | @csv" "0,true")
expect("${t}" "[.traceEvents[] | select(.ph == \"C\" and (.name | startswith(\"power site 0 \")))] | map(.name) | unique | length" "7")
expect("${t}" "[.traceEvents[] | select(.ph == \"C\" and .name == \"link utilisation nvlink\")] | length" "5")
expect("${t}" "[.traceEvents[] | select(.ph == \"C\" and .name == \"link utilisation nvlink\") | .args.utilisation] | min > 0" "true")
expect("${t}" "[.traceEvents[] | select(.ph == \"C\" and .name == \"link utilisation nic\") | .args.utilisation] | max > 0" "true")
file(STRINGS "${WORK}/train/.racksim-files" listed)
if(NOT "timeline.json" IN_LIST listed)
  message(FATAL_ERROR "timeline.json is not in the run's manifest: ${listed}")
endif()

run("${RACKSIM}" run scenarios/inference-llama8b-h200.yaml -o "${WORK}/inf" -q --timeline)
# --timeline wrote the link windows and their counters
expect("${WORK}/inf/timeline.json" "[.traceEvents[] | select(.ph == \"C\" and (.name | startswith(\"link utilisation \")))] | length > 0" "true")
file(STRINGS "${WORK}/inf/.racksim-files" listed)
if(NOT "link_windows.csv" IN_LIST listed)
  message(FATAL_ERROR "--timeline did not write link_windows.csv: ${listed}")
endif()
run("${TIMELINE}" "${WORK}/inf" -o "${WORK}/inf.json")
set(t "${WORK}/inf.json")
# 200 requests, each: the request, queued, prefill, decode, as begin and end
expect("${t}" "[.traceEvents[] | select(.ph == \"b\")] | length" "800")
expect("${t}" "[.traceEvents[] | select(.ph == \"e\")] | length" "800")
expect("${t}" "[.traceEvents[] | select(.ph == \"b\" and .name == \"prefill\") | .cat] | unique | length" "4")
expect("${t}" "[.traceEvents[] | select(.ph == \"b\" and (.name | startswith(\"request \")))][0].args | has(\"ttft_s\")" "true")
expect("${t}" "[.traceEvents[] | select(.ph == \"C\" and .name == \"replica 0\")][0].args | has(\"batch_mean\")" "true")

# the cap: exactly N events, the rest counted and said
run("${TIMELINE}" "${WORK}/inf" -o "${WORK}/cap.json" --max-events 25)
if(NOT rc EQUAL 0 OR NOT err MATCHES "stopped at the cap of 25 events \\(--max-events\\)")
  message(FATAL_ERROR "the cap was not said: ${rc} ${err}")
endif()
expect("${WORK}/cap.json" "[.traceEvents[] | select(.ph != \"M\")] | length" "25")
expect("${WORK}/cap.json" ".otherData.dropped_events > 0" "true")

# bad usage: one message, exit 2, no file
foreach(bad "--max-events;0" "--max-events;x" "--bogus")
  run("${TIMELINE}" "${WORK}/inf" -o "${WORK}/bad.json" ${bad})
  if(NOT rc EQUAL 2 OR EXISTS "${WORK}/bad.json")
    message(FATAL_ERROR "rs-timeline ${bad}: expected exit 2 and no file, got ${rc}: ${err}")
  endif()
endforeach()
run("${TIMELINE}" "${WORK}/nosuch")
if(NOT rc EQUAL 2 OR NOT err MATCHES "no summary.csv there: expected the output directory of a racksim run")
  message(FATAL_ERROR "rs-timeline on no run: expected exit 2, got ${rc}: ${err}")
endif()
message(STATUS "timelines parsed and checked")
