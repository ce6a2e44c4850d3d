# cmake --install into a fresh prefix, then the installed racksim, run from elsewhere with no
# RACKSIM_DATADIR, must find its platforms and scenarios under the prefix (not the source tree) and run
# the installed quickstart; the licence, the tools and (with help2man) the man page must be there.
#   cmake -DBUILD=... -DWORK=... -DMAN=0|1 -P install.cmake
set(prefix "${WORK}/prefix")
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD}" --prefix "${prefix}" OUTPUT_QUIET RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed (${rc})")
endif()
set(expected bin/racksim bin/rs-compare bin/rs-validate bin/rs-table bin/rs-timeline bin/rs-sweep bin/rs-report bin/rs-fleet
    share/doc/racksim/LICENSE
    share/doc/racksim/outputs.md share/racksim/platforms/u-p6e-gb200x72.xml share/racksim/scenarios/quickstart.yaml)
if(MAN)
  list(APPEND expected share/man/man1/racksim.1)
endif()
foreach(f IN LISTS expected)
  if(NOT EXISTS "${prefix}/${f}")
    message(FATAL_ERROR "cmake --install did not install ${f}")
  endif()
endforeach()
if(MAN)
  file(READ "${prefix}/share/man/man1/racksim.1" page)
  if(NOT page MATCHES "\\.TH RACKSIM \"1\"" OR NOT page MATCHES "COMMAND RUN" OR NOT page MATCHES "COMMAND MODELS" OR NOT page MATCHES "COMMAND SWEEP" OR NOT page MATCHES "RACKSIM_DATADIR")
    message(FATAL_ERROR "the man page lacks its title, the run command or RACKSIM_DATADIR")
  endif()
endif()
# From the work directory, the source tree out of reach of relative paths, with no RACKSIM_DATADIR.
execute_process(COMMAND "${CMAKE_COMMAND}" -E env --unset=RACKSIM_DATADIR "${prefix}/bin/racksim" run
                        "${prefix}/share/racksim/scenarios/quickstart.yaml" --set workloads.0.max_bytes=4MiB -o run
                WORKING_DIRECTORY "${WORK}" OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the installed racksim failed (${rc}): ${err}")
endif()
string(FIND "${out}" "platform ${prefix}/bin/../share/racksim/platforms/u-p6e-gb200x72.xml" at)
if(at LESS 0)
  message(FATAL_ERROR "the installed racksim did not take its platform from the prefix:\n${out}")
endif()
if(NOT EXISTS "${WORK}/run/summary.csv" OR NOT EXISTS "${WORK}/run/run.yaml")
  message(FATAL_ERROR "the installed racksim wrote no summary.csv and run.yaml")
endif()
# the installed racksim sweep runs the installed rs-sweep beside it
execute_process(COMMAND "${prefix}/bin/racksim" sweep --help OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT out MATCHES "^Usage: racksim sweep SCENARIO")
  message(FATAL_ERROR "the installed racksim sweep --help failed (${rc}): ${out}")
endif()
message(STATUS "installed and ran from ${prefix}")
