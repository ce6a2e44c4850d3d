/* sgopts.h -- checks of the --cfg and --log values racksim hands to SimGrid, so that a bad one is
 * refused with a message instead of aborting inside simgrid_init. Internal to the command layer.
 * See LICENSE. */
#ifndef RS_CLI_SGOPTS_H
#define RS_CLI_SGOPTS_H

#include "base/base.h"

/* Checks "--cfg=..." or "--log=..." (arg, as given to SimGrid) before SimGrid sees it. Returns RS_OK,
 * or RS_ERR with "--cfg=SPEC: expected ..., got '...'" in err. Forks: call before simgrid_init. */
int rs_sgopts_check(const char* arg, rs_err_t* err);

/* What the user's --cfg items ask of SimGrid's tracing. racksim writes the trace into the output
 * directory (validate and platform --describe write none), so tracing/filename names a file there. */
typedef struct rs_sg_tracing {
  int on;         /* the last value given to "tracing" is true */
  char file[256]; /* the trace's name in the output directory: tracing/filename, or simgrid.trace */
} rs_sg_tracing_t;

/* Reads the tracing keys of args (the n --cfg and --log arguments, each already checked) into t; the
 * last value of a key counts, as in SimGrid. RS_ERR and err for a trace file outside the output
 * directory and for the sub-options SimGrid 3.32 crashes or aborts on (docs/reliability.md). */
int rs_sgopts_tracing(const char* const* args, int n, rs_sg_tracing_t* t, rs_err_t* err);

/* Prints SimGrid's own help for one of its help flags ("--cfg-help", "--help-logs") and exits 0. */
void rs_sgopts_help(const char* flag) __attribute__((noreturn));

#endif
