/* workload.c -- dispatch from a workload's kind to the file that implements it. See LICENSE. */
#include "workload_int.h"

int rs_workload_check(rs_run_t* run, int i, rs_err_t* err)
{
  switch (run->sc->workloads[i].kind) {
    case RS_WL_COLLECTIVE:
      return rs_wl__collective_check(run, i, err);
    case RS_WL_TRAINING:
      return rs_wl__training_check(run, i, err);
    case RS_WL_INFERENCE:
      return rs_wl__inference_check(run, i, err);
    case RS_WL_AGENTIC:
      return rs_wl__agentic_check(run, i, err);
  }
  return RS_ERR;
}

int rs_workload_start(rs_run_t* run, int i, rs_err_t* err)
{
  switch (run->sc->workloads[i].kind) {
    case RS_WL_COLLECTIVE:
      return rs_wl__collective_start(run, i, err);
    case RS_WL_TRAINING:
      return rs_wl__training_start(run, i, err);
    case RS_WL_INFERENCE:
      return rs_wl__inference_start(run, i, err);
    case RS_WL_AGENTIC:
      return rs_wl__agentic_start(run, i, err);
  }
  return RS_ERR;
}

void rs_workload_free(rs_run_t* run, int i)
{
  switch (run->sc->workloads[i].kind) {
    case RS_WL_COLLECTIVE:
      rs_wl__collective_free(run->states[i]);
      break;
    case RS_WL_TRAINING:
      rs_wl__training_free(run->states[i]);
      break;
    case RS_WL_INFERENCE:
      rs_wl__inference_free(run->states[i]);
      break;
    case RS_WL_AGENTIC:
      rs_wl__agentic_free(run->states[i]);
      break;
  }
  run->states[i] = NULL;
}

void rs_workload_report(const rs_run_t* run, int i, FILE* fp)
{
  switch (run->sc->workloads[i].kind) {
    case RS_WL_COLLECTIVE:
      rs_wl__collective_report(run, i, fp);
      break;
    case RS_WL_TRAINING:
      rs_wl__training_report(run, i, fp);
      break;
    case RS_WL_INFERENCE:
      rs_wl__inference_report(run, i, fp);
      break;
    case RS_WL_AGENTIC:
      rs_wl__agentic_report(run, i, fp);
      break;
  }
}
