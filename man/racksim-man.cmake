# racksim's man page from its own --help (help2man), with every command's --help as a section of its own,
# so the page cannot drift from the binary. See LICENSE.
#   cmake -DHELP2MAN=... -DRACKSIM=... -DOUT=racksim.1 -DWORK=dir -P racksim-man.cmake
file(MAKE_DIRECTORY "${WORK}")
set(include "${WORK}/racksim.h2m")
file(WRITE "${include}" "[NAME]\nracksim \\- simulate AI datacenters (GPU UltraServers, CPU fleets, networks) on SimGrid\n")
foreach(cmd run validate platform models sweep)
  execute_process(COMMAND "${RACKSIM}" ${cmd} --help OUTPUT_VARIABLE text RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "racksim ${cmd} --help failed (${rc})")
  endif()
  # roff: a leading dot or quote starts a request, a backslash an escape
  string(REPLACE "\\" "\\\\" text "${text}")
  string(REGEX REPLACE "\n([.'])" "\n\\\\&\\1" text "${text}")
  file(APPEND "${include}" "[COMMAND ${cmd}]\n.nf\n${text}.fi\n")
endforeach()
file(APPEND "${include}" "[ENVIRONMENT]\n.TP\nRACKSIM_DATADIR\nwhere platforms/ and scenarios/ are found (default: the installed data directory, share/racksim beside bin/, else the source tree of the build)\n[FILES]\nEvery run writes its CSV tables, run.yaml and .racksim-files to its output directory; docs/outputs.md describes them.\n")
execute_process(COMMAND "${HELP2MAN}" --no-info --no-discard-stderr --include "${include}" --output "${OUT}" "${RACKSIM}"
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "help2man failed (${rc})")
endif()
