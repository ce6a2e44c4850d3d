/* sgopts.h -- checks of the --cfg and --log values racksim hands to SimGrid, so that a bad one is
 * refused with a message instead of aborting inside simgrid_init. Internal to the command layer.
 * See LICENSE. */
#ifndef RS_CLI_SGOPTS_H
#define RS_CLI_SGOPTS_H

#include "base/base.h"

/* Checks "--cfg=..." or "--log=..." (arg, as given to SimGrid) before SimGrid sees it. Returns RS_OK,
 * or RS_ERR with "--cfg=SPEC: expected ..., got '...'" in err. Forks: call before simgrid_init. */
int rs_sgopts_check(const char* arg, rs_err_t* err);

/* Prints SimGrid's own help for one of its help flags ("--cfg-help", "--help-logs") and exits 0. */
void rs_sgopts_help(const char* flag) __attribute__((noreturn));

#endif
