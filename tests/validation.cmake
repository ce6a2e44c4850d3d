# Validation drift test: rerun the fast cases of scenarios/validation/cases.csv and compare racksim's
# figures with the committed docs/validation.csv (rs-compare, RTOL), and check that the table in
# docs/validation.md is the one that CSV renders (rs-validate splice). With -DREGEN=1 it instead reruns
# every case that runs today and rewrites both files (on purpose, never automatically).
#   cmake -DRACKSIM=... -DCOMPARE=... -DVALIDATE=... -DSOURCE=... -DWORK=... -DRTOL=1e-6 [-DREGEN=1] -P validation.cmake
file(MAKE_DIRECTORY "${WORK}")
if(REGEN)
  execute_process(COMMAND "${VALIDATE}" run "${RACKSIM}" docs/validation.csv WORKING_DIRECTORY "${SOURCE}"
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "rs-validate run failed with exit code ${rc}")
  endif()
  execute_process(COMMAND "${VALIDATE}" splice docs/validation.csv docs/validation.md WORKING_DIRECTORY "${SOURCE}"
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "rs-validate splice failed with exit code ${rc}")
  endif()
  message(STATUS "regenerated docs/validation.csv and the table of docs/validation.md")
  return()
endif()
execute_process(COMMAND "${VALIDATE}" run "${RACKSIM}" "${WORK}/fast.csv" --fast WORKING_DIRECTORY "${SOURCE}"
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "rs-validate run --fast failed with exit code ${rc}")
endif()
# The committed rows of the cases that were rerun, in the same order.
file(STRINGS "${WORK}/fast.csv" fresh)
file(STRINGS "${SOURCE}/docs/validation.csv" committed)
set(expected "")
foreach(line IN LISTS fresh)
  string(REGEX MATCH "^[^,]*," key "${line}")
  set(found "")
  foreach(old IN LISTS committed)
    string(FIND "${old}" "${key}" at)
    if(at EQUAL 0)
      set(found "${old}")
    endif()
  endforeach()
  if(found STREQUAL "")
    message(FATAL_ERROR "docs/validation.csv has no row for ${key} (regenerate: cmake --build build --target regen-validation)")
  endif()
  string(APPEND expected "${found}\n")
endforeach()
file(WRITE "${WORK}/expected.csv" "${expected}")
execute_process(COMMAND "${COMPARE}" --rtol "${RTOL}" "${WORK}/expected.csv" "${WORK}/fast.csv" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "racksim's validation figures drifted from docs/validation.csv (see above); if on purpose, "
                      "regenerate: cmake --build build --target regen-validation")
endif()
# The document shows what the CSV holds.
configure_file("${SOURCE}/docs/validation.md" "${WORK}/validation.md" COPYONLY)
execute_process(COMMAND "${VALIDATE}" splice docs/validation.csv "${WORK}/validation.md" WORKING_DIRECTORY "${SOURCE}"
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "rs-validate splice failed with exit code ${rc}")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" -E compare_files "${SOURCE}/docs/validation.md" "${WORK}/validation.md"
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the table of docs/validation.md is not the one docs/validation.csv renders: regenerate it "
                      "with build/rs-validate splice docs/validation.csv docs/validation.md")
endif()
