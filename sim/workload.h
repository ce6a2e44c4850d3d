/* workload.h -- the workloads racksim runs, behind one face: check against the platform, then start.
 * Each kind lives in its own file (wl_collective.c, later training.c, inference.c, agentic.c) and
 * calls the layers below it, never another workload's code. See LICENSE. */
#ifndef RS_WORKLOAD_H
#define RS_WORKLOAD_H

#include "run.h"

/* RS_ERR and a message located in the scenario when workload i cannot run on the platform. */
int rs_workload_check(rs_run_t* run, int i, rs_err_t* err);
/* Opens the tables workload i writes and creates its actors; its state goes to run->states[i]. */
int rs_workload_start(rs_run_t* run, int i, rs_err_t* err);
/* Frees run->states[i]; accepts a NULL state. */
void rs_workload_free(rs_run_t* run, int i);
/* Prints a few lines a person reads after the run. */
void rs_workload_report(const rs_run_t* run, int i, FILE* fp);

#endif
