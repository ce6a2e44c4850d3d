# rs-sweep: a 4-point grid run on the local cores, then the same grid through GNU parallel's job list
# (where parallel is installed), must give byte-identical sweep.csv with the expected rows; a failed
# point is reported while the others run; bad usage is one message and exit 2 with nothing written.
# Slurm is not exercised here (no slurmctld on the test machine): --emit slurm's files are checked.
#   cmake -DSWEEP=... -DSOURCE=... -DWORK=... [-DPARALLEL=...] -P sweep.cmake
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
set(grid --grid workloads.0.gpus=8,16 --grid workloads.0.max_bytes=1MiB,4MiB)

function(run)
  execute_process(COMMAND ${ARGN} WORKING_DIRECTORY "${SOURCE}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  set(rc "${rc}" PARENT_SCOPE)
  set(out "${out}" PARENT_SCOPE)
  set(err "${err}" PARENT_SCOPE)
endfunction()

run("${SWEEP}" scenarios/quickstart.yaml ${grid} -j 2 -o "${WORK}/local")
if(NOT rc EQUAL 0 OR NOT out MATCHES "4 of 4 points")
  message(FATAL_ERROR "local sweep failed (${rc}): ${out} ${err}")
endif()
file(STRINGS "${WORK}/local/sweep.csv" rows)
list(LENGTH rows n)
list(GET rows 0 head)
list(GET rows 4 last)
if(NOT n EQUAL 5 OR NOT head MATCHES "^point,workloads\\.0\\.gpus,workloads\\.0\\.max_bytes,workload,kind,gpus,"
   OR NOT last MATCHES "^p0004,16,4MiB,allreduce-sweep,collective,16,")
  message(FATAL_ERROR "unexpected sweep.csv:\n${rows}")
endif()
foreach(p p0001 p0002 p0003 p0004)
  if(NOT EXISTS "${WORK}/local/${p}/run.yaml")
    message(FATAL_ERROR "point ${p} has no run.yaml")
  endif()
endforeach()

if(PARALLEL)
  run("${SWEEP}" scenarios/quickstart.yaml ${grid} -j 2 -o "${WORK}/par" --emit parallel)
  run(sh "${WORK}/par/run-parallel.sh")
  if(NOT rc EQUAL 0 OR NOT EXISTS "${WORK}/par/joblog")
    message(FATAL_ERROR "the GNU parallel sweep failed (${rc}): ${out} ${err}")
  endif()
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files "${WORK}/local/sweep.csv" "${WORK}/par/sweep.csv"
                  RESULT_VARIABLE same)
  if(NOT same EQUAL 0)
    message(FATAL_ERROR "sweep.csv differs between the local run and GNU parallel")
  endif()
  file(STRINGS "${WORK}/par/joblog" log)
  list(LENGTH log logged)
  if(NOT logged EQUAL 5)
    message(FATAL_ERROR "GNU parallel's joblog has not the 4 jobs: ${log}")
  endif()
else()
  message(STATUS "GNU parallel not installed: its half of the sweep test not run")
endif()

run("${SWEEP}" scenarios/quickstart.yaml ${grid} -j 3 -o "${WORK}/slurm" --emit slurm)
file(READ "${WORK}/slurm/sweep.sbatch" sbatch)
file(READ "${WORK}/slurm/submit.sh" submit)
if(NOT sbatch MATCHES "#SBATCH --array=1-4%3" OR NOT submit MATCHES "--dependency=afterany:")
  message(FATAL_ERROR "unexpected Slurm files:\n${sbatch}\n${submit}")
endif()

# a point racksim refuses fails alone
run("${SWEEP}" scenarios/quickstart.yaml --grid workloads.0.gpus=8,100 --grid workloads.0.max_bytes=1MiB -o "${WORK}/fail")
if(NOT rc EQUAL 1 OR NOT err MATCHES "expected at most the platform's 72 GPUs, got 100" OR NOT out MATCHES "1 of 2 points")
  message(FATAL_ERROR "a failed point: expected exit 1, the reason and the other point, got ${rc}: ${out} ${err}")
endif()

# bad usage: exit 2, one message, no sweep written
foreach(bad "--grid;nosuch=1,2" "--grid;workloads.0.gpus=" "--grid;workloads.0.gpus=8,,16" "--grid;workloads.0.gpus=8;-j;0"
        "--grid;workloads.0.gpus=8;--emit;pbs")
  run("${SWEEP}" scenarios/quickstart.yaml ${bad} -o "${WORK}/bad")
  if(NOT rc EQUAL 2 OR NOT err MATCHES "^rs-sweep: " OR EXISTS "${WORK}/bad/points.csv")
    message(FATAL_ERROR "rs-sweep ${bad}: expected exit 2 and one message, got ${rc}: ${err}")
  endif()
endforeach()
run("${SWEEP}" scenarios/quickstart.yaml --grid workloads.0.gpus=8 -o /proc/rs-sweep-cannot)
if(NOT rc EQUAL 2 OR NOT err MATCHES "cannot write the sweep's directory")
  message(FATAL_ERROR "unwritable directory: expected exit 2, got ${rc}: ${err}")
endif()
message(STATUS "sweeps checked")
