/* workload.c -- dispatch from a workload's kind to the file that implements it. See LICENSE. */
#include "workload_int.h"

/* Each kind's entry points, indexed by rs_wl_kind_t. */
static const struct {
  int (*check)(rs_run_t* run, int i, rs_err_t* err);
  int (*start)(rs_run_t* run, int i, rs_err_t* err);
  void (*free)(void* state);
  void (*report)(const rs_run_t* run, int i, FILE* fp);
} kinds[] = {
    [RS_WL_COLLECTIVE] = {rs_wl__collective_check, rs_wl__collective_start, rs_wl__collective_free,
                          rs_wl__collective_report},
    [RS_WL_TRAINING]   = {rs_wl__training_check, rs_wl__training_start, rs_wl__training_free,
                          rs_wl__training_report},
    [RS_WL_INFERENCE]  = {rs_wl__inference_check, rs_wl__inference_start, rs_wl__inference_free,
                          rs_wl__inference_report},
    [RS_WL_AGENTIC]    = {rs_wl__agentic_check, rs_wl__agentic_start, rs_wl__agentic_free,
                          rs_wl__agentic_report},
};

int rs_workload_check(rs_run_t* run, int i, rs_err_t* err)
{
  return kinds[run->sc->workloads[i].kind].check(run, i, err);
}

int rs_workload_start(rs_run_t* run, int i, rs_err_t* err)
{
  return kinds[run->sc->workloads[i].kind].start(run, i, err);
}

void rs_workload_free(rs_run_t* run, int i)
{
  kinds[run->sc->workloads[i].kind].free(run->states[i]);
  run->states[i] = NULL;
}

void rs_workload_report(const rs_run_t* run, int i, FILE* fp)
{
  kinds[run->sc->workloads[i].kind].report(run, i, fp);
}
