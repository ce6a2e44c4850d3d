/* run.h -- one racksim run: the scenario, the platform, the output tables, and every workload running
 * as actors in one SimGrid engine. Passed first to every workload call, as lua_State is in Lua.
 * See LICENSE. */
#ifndef RS_RUN_H
#define RS_RUN_H

#include "error.h"
#include "output.h"
#include "platform.h"
#include "scenario.h"

/* Headline figures of one workload, written as its row of summary.csv. NaN: not applicable. */
typedef struct rs_wl_summary {
  int gpus;
  double start_s, end_s;
  long long operations;
  double max_algbw_bytes_per_s;
  double max_busbw_bytes_per_s;
  double busbw_at_bytes; /* message size of the best busbw */
  double tokens_per_s;   /* training: mean over iterations */
  double tflops_per_gpu; /* training: model FLOPs, last iteration */
  double mfu;            /* training: of the dense peak of the training precision, last iteration */
  /* inference: requests served, percentiles p50/p90/p99 over every request, goodput; agentic: latency_s */
  double requests;
  double tokens_per_s_per_gpu;
  double ttft_s[3], tpot_s[3], latency_s[3];
  double goodput_requests_per_s; /* requests within both latency objectives, per second */
  double slo_attainment;         /* fraction of requests within both objectives */
  double preemptions;
  int finished;          /* set by the workload when its last actor is done */
  double cpu_cores;      /* agentic: cores of its tool pool (latency_s[]: of its root sessions) */
  double cpu_utilisation; /* agentic: busy core-seconds / (cores x duration) */
} rs_wl_summary_t;

typedef enum { RS_QUIET, RS_NORMAL, RS_VERBOSE } rs_verbosity_t;

typedef struct rs_run {
  const rs_scenario_t* sc;
  const rs_platform_t* plat;
  rs_out_t* out;
  rs_table_t* events;      /* NULL when the scenario turns events off */
  rs_table_t* collectives; /* NULL until a workload needs it */
  rs_table_t* iterations;  /* NULL until a workload needs it */
  rs_table_t* requests;        /* NULL until a workload needs it */
  rs_table_t* replica_samples; /* replicas.csv; NULL until a workload needs it */
  rs_table_t* sessions;    /* NULL until a workload needs it */
  rs_table_t* cpu_pools;   /* NULL until a workload needs it */
  rs_wl_summary_t* summaries; /* one per workload, in scenario order */
  void** states;              /* each workload's own state */
  rs_verbosity_t verbosity;
  int show_progress;
  double work_total, work_done; /* in units each workload declares, for the progress line */
  double next_progress_wall;
} rs_run_t;

rs_run_t* rs_run_new(const rs_scenario_t* sc, const rs_platform_t* plat, rs_verbosity_t verbosity);
void rs_run_free(rs_run_t* run); /* accepts NULL; removes partial outputs of a failed run */

/* Checks every workload against the platform; RS_ERR with a located message on the first that cannot run. */
int rs_run_check(rs_run_t* run, rs_err_t* err);
/* Opens the outputs, runs the simulation to its end, writes the summary and renames the tables into
 * place. Returns RS_EXIT_OK, RS_EXIT_INPUT (outputs cannot be written) or RS_EXIT_SIM, with err set. */
int rs_run_execute(rs_run_t* run, rs_err_t* err);

/* The table NAME, opened on first use; NULL and err on failure. */
rs_table_t* rs_run_table(rs_run_t* run, const char* name, const rs_col_t* cols, int n_cols, rs_err_t* err);
/* One row of events.csv (ignored when events are off). */
void rs_run_event(rs_run_t* run, double start_s, double end_s, const char* workload, const char* event,
                  const char* detail);
/* Seconds on a monotonic wall clock, for progress and reports (never written to the tables). */
double rs_run_wall_clock(void);
/* Counts `units` of work done, for the progress line. */
void rs_run_progress(rs_run_t* run, double units);

#endif
