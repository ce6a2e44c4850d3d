/* workload_int.h -- private to the workload files: each kind's entry points, dispatched by workload.c. */
#ifndef RS_WORKLOAD_INT_H
#define RS_WORKLOAD_INT_H

#include "workload.h"

int rs_wl__collective_check(rs_run_t* run, int i, rs_err_t* err);
int rs_wl__collective_start(rs_run_t* run, int i, rs_err_t* err);
void rs_wl__collective_free(void* state);
void rs_wl__collective_report(const rs_run_t* run, int i, FILE* fp);

int rs_wl__training_check(rs_run_t* run, int i, rs_err_t* err);
int rs_wl__training_start(rs_run_t* run, int i, rs_err_t* err);
void rs_wl__training_free(void* state);
void rs_wl__training_report(const rs_run_t* run, int i, FILE* fp);

int rs_wl__inference_check(rs_run_t* run, int i, rs_err_t* err);
int rs_wl__inference_start(rs_run_t* run, int i, rs_err_t* err);
void rs_wl__inference_free(void* state);
void rs_wl__inference_report(const rs_run_t* run, int i, FILE* fp);

int rs_wl__agentic_check(rs_run_t* run, int i, rs_err_t* err);
int rs_wl__agentic_start(rs_run_t* run, int i, rs_err_t* err);
void rs_wl__agentic_free(void* state);
void rs_wl__agentic_report(const rs_run_t* run, int i, FILE* fp);

#endif
