# Golden-trace regression for one case: run the scenario into a fresh directory, then compare every
# CSV table with tests/golden/CASE/ through rs-compare (numbers within RTOL, text exactly).
# With -DREGEN=1 it instead copies the fresh tables over the goldens (on purpose, never automatically).
#   cmake -DRACKSIM=... -DCOMPARE=... -DSOURCE=... -DWORK=... -DCASE=quickstart -DRTOL=1e-9 -P golden.cmake
set(out "${WORK}/${CASE}")
file(REMOVE_RECURSE "${out}")
execute_process(COMMAND "${RACKSIM}" run "scenarios/${CASE}.yaml" -o "${out}" --quiet
                WORKING_DIRECTORY "${SOURCE}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "racksim run scenarios/${CASE}.yaml failed with exit code ${rc}")
endif()
if(REGEN)
  file(GLOB tables "${out}/*.csv")
  file(REMOVE_RECURSE "${SOURCE}/tests/golden/${CASE}")
  file(COPY ${tables} DESTINATION "${SOURCE}/tests/golden/${CASE}")
  message(STATUS "regenerated tests/golden/${CASE}")
  return()
endif()
execute_process(COMMAND "${COMPARE}" --rtol "${RTOL}" "${SOURCE}/tests/golden/${CASE}" "${out}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the CSV tables of ${CASE} differ from tests/golden/${CASE} (see above)")
endif()
