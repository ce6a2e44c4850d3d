/* run.h -- one racksim run: the scenario, the platform, the output tables, and every workload running
 * as actors in one SimGrid engine. Passed first to every workload call, as lua_State is in Lua.
 * See LICENSE. */
#ifndef RS_RUN_H
#define RS_RUN_H

#include "base/base.h"
#include "hw/hw.h"
#include "net/net.h"
#include "scenario/scenario.h"

#include <simgrid/forward.h>
#include <stdio.h>

typedef struct rs_run rs_run_t;
typedef struct rs_faults rs_faults_t;

/* A failure or a repair, as the run's fault process (faults.c) tells the workloads: the GPUs and CPU
 * hosts (platform indices) that stopped or came back. A component that is down is never turned off in
 * SimGrid, so no activity on it fails inside the engine: the workloads stop using it (rs_wl_ops_t.fault). */
typedef struct rs_fault {
  long long id;          /* one per failure; its repair carries the same id */
  int up;                /* 0: it failed now; 1: it was repaired now */
  double repair_s;       /* the simulated time of its repair (known when it fails) */
  rs_fail_class_t cls;   /* its class (a scheduled outage says RS_FAIL_HOST, or its target's class) */
  const char* cause;     /* the class's cause, or "scheduled" */
  const char* component; /* what failed, in words: "gpu 17", "server 3", "rack 1" */
  const int* gpus;       /* the GPUs it takes down (borrowed, valid during the call) */
  int n_gpus;
  const int* cpus; /* the CPU hosts it takes down */
  int n_cpus;
} rs_fault_t;

/* The figures every workload's row of summary.csv starts with; the workload sets them as it runs. */
typedef struct rs_wl_row {
  int gpus;
  double start_s, end_s;
  long long operations; /* what the kind counts: sizes x repetitions, iterations, requests, sessions */
  int finished;         /* set by the workload when its last actor is done */
  double energy_j;      /* joules its GPUs drew from start_s to end_s (stood-for GPUs included); GPU kinds */
  double tokens;        /* tokens it made: output tokens (inference), trained tokens (training); 0: none */
  int spare_gpus;       /* GPUs held idle beside its own and paid over its span (training's spare servers
                           under failures:); cost_usd adds them at its GPU type's price */
  int cpu_hosts;        /* CPU fleet hosts its pools hold over its span (agentic), and their cores that it
                           holds: priced by pricing.usd_per_cpu_host_hour, else usd_per_cpu_core_hour */
  double cpu_cores;
  char* failed; /* set (xbt_malloc'd) by a workload that cannot go on: the run ends with exit 1 and it */
} rs_wl_row_t;

/* One summary.csv column that a kind fills: its name, with its unit, and the offset of its double in
 * the kind's summary struct (rs_wl_ops_t.summary). NaN there gives an empty cell. */
typedef struct rs_wl_col {
  const char* name;
  size_t offset;
} rs_wl_col_t;

/* A workload kind, as the run sees it: one table entry (wl.h lists them). The run calls prepare for
 * every workload, then start for every workload, runs the engine, then summary, report and free. */
typedef struct rs_wl_ops {
  const char* kind; /* as scenario files name it; summary.csv's kind column */
  const rs_wl_col_t* cols;
  int n_cols;
  /* Checks workload i against the platform and builds its state in *state: pure, it creates no actor,
   * opens no table and writes nothing into the scenario. RS_ERR and a located message in err. */
  int (*prepare)(const rs_run_t* run, int i, void** state, rs_err_t* err);
  /* Opens the tables it writes and creates its actors; *row is its summary row, which outlives it. */
  int (*start)(rs_run_t* run, int i, void* state, rs_wl_row_t* row, rs_err_t* err);
  /* After the run: the struct cols point into (valid while state lives). */
  const void* (*summary)(const void* state);
  /* A few lines a person reads after the run. */
  void (*report)(const rs_run_t* run, int i, const void* state, FILE* fp);
  /* Before the run (racksim validate): a few lines on what prepare resolved; NULL: nothing to say. */
  void (*describe)(const rs_run_t* run, int i, const void* state, FILE* fp);
  void (*free)(void* state); /* accepts NULL */
  /* From the fault actor, at a failure or repair: must not block. NULL: the kind ignores faults. */
  void (*fault)(rs_run_t* run, int i, void* state, const rs_fault_t* f);
  /* Spare servers workload i will hold idle beside its GPUs over its span (training under failures:),
   * known before prepare, so that a site budget counts their power. NULL: none. */
  int (*spare_servers)(const rs_run_t* run, int i);
  int serves; /* 1: answers calls of other workloads on its service mailbox (wl/service.c) */
  /* The name of the workload whose service w calls, or NULL (NULL function: calls none). */
  const char* (*calls)(const rs_sc_workload_t* w);
} rs_wl_ops_t;

/* What the run keeps of workload i. */
typedef struct rs_run_wl {
  const rs_wl_ops_t* ops;
  void* state;
  rs_wl_row_t row;
  sg_host_t service_host; /* where it answers calls, once a serving workload started; NULL else */
} rs_run_wl_t;

typedef enum { RS_QUIET, RS_NORMAL, RS_VERBOSE } rs_verbosity_t;

typedef struct rs_power rs_power_t;

struct rs_run {
  const rs_scenario_t* sc;
  const rs_platform_t* plat;
  const rs_wl_ops_t* const* kinds; /* every kind, indexed by rs_wl_kind_t */
  int n_kinds;
  rs_run_wl_t* wls; /* one per workload, in scenario order */
  int prepared;     /* rs_run_prepare succeeded */
  rs_out_t* out;
  int opened;              /* rs_run_open succeeded */
  rs_net_meter_t* meter;   /* NULL when outputs.links is none */
  rs_table_t* events;      /* NULL when the scenario turns events off */
  rs_table_t* collectives; /* NULL until a workload needs it */
  rs_table_t* ops;         /* NULL unless outputs.ops_max_rows > 0 */
  rs_power_t* power;       /* power.csv's readings; from rs_run_prepare on */
  rs_faults_t* faults;     /* the failures the scenario asks for (faults.c); NULL when it asks for none */
  rs_verbosity_t verbosity;
  int show_progress;
  double work_total, work_done; /* in units each workload declares, for the progress line */
  double next_progress_wall;
  double start_wall;    /* when rs_run_execute began, for the progress line's wall time and estimate */
  const char* run_yaml; /* the text of run.yaml, borrowed from the caller; NULL: no run.yaml */
};

/* A run of scenario sc on platform plat with the n_kinds workload kinds of kinds (indexed by
 * rs_wl_kind_t; borrowed, as sc and plat are). Starts the link meter unless outputs.links is none. */
rs_run_t* rs_run_new(const rs_scenario_t* sc, const rs_platform_t* plat, const rs_wl_ops_t* const* kinds, int n_kinds,
                     rs_verbosity_t verbosity);
void rs_run_free(rs_run_t* run); /* accepts NULL; removes partial outputs of a failed run */

/* Prepares every workload (rs_wl_ops_t.prepare); RS_ERR with a located message on the first that cannot run. */
int rs_run_prepare(rs_run_t* run, rs_err_t* err);
/* Gives run an output set its caller opened before the platform loaded (SimGrid opens a trace then);
 * out is the run's from now on, and rs_run_open adds its tables to it. */
void rs_run_use_out(rs_run_t* run, rs_out_t* out);
/* Opens the output directory and events.csv (refusing a directory of a run racksim did not record);
 * RS_ERR and err when they cannot be written. rs_run_execute calls it when the caller has not. */
int rs_run_open(rs_run_t* run, rs_err_t* err);
/* Opens the outputs, starts every workload, runs the simulation to its end, writes the summary and
 * renames the tables into place. Refuses a run that was not prepared. Returns RS_EXIT_OK, RS_EXIT_INPUT
 * (outputs cannot be written) or RS_EXIT_SIM, with err set. */
int rs_run_execute(rs_run_t* run, rs_err_t* err);
/* Prints what each workload reports, the capped tables and the energy (after a successful rs_run_execute). */
void rs_run_report(const rs_run_t* run, FILE* fp);
/* The prepared workloads' descriptions (their kinds' describe), before any run. */
void rs_run_describe(const rs_run_t* run, FILE* fp);
/* Prints the one line that names the output directory and exactly the tables written (then the other
 * files, such as run.yaml). */
void rs_run_report_tables(const rs_run_t* run, FILE* fp);

/* The table NAME, opened on first use with cols (a later call with the same name gets the same table,
 * so workloads of one kind share it); NULL and err on failure. */
rs_table_t* rs_run_table(rs_run_t* run, const char* name, const rs_col_t* cols, int n_cols, rs_err_t* err);
/* One row of events.csv (ignored when events are off). */
void rs_run_event(rs_run_t* run, double start_s, double end_s, const char* workload, const char* event,
                  const char* detail);
/* Before acting at simulated time t far ahead (an arrival, a session), so that SimGrid's clock can still
 * end activities there (clock.c). */
void rs_run_reach(double t);
/* Seconds on a monotonic wall clock, for progress and reports (never written to the tables). */
double rs_run_wall_clock(void);
/* The percentiles rs_run_percentiles gives: p50, p90, p95, p99. */
#define RS_RUN_PERCENTILES 4
/* The initialiser of an array of them not known yet (NaN each; needs <math.h>). */
#define RS_RUN_PERCENTILES_NAN                                                                                         \
  {                                                                                                                    \
    NAN, NAN, NAN, NAN                                                                                                 \
  }
/* Sorts the n values in place and gives their nearest-rank p50, p90, p95 and p99 in out (NaN when n is
 * 0): exact percentiles over every value, no sampling, for the summary's latency columns. */
void rs_run_percentiles(double* v, long long n, double out[RS_RUN_PERCENTILES]);
/* Counts `units` of work done, for the progress line. */
void rs_run_progress(rs_run_t* run, double units);

/* ---- faults: failures, repairs and degradations injected into the engine (faults.c) -------------- */

/* Resolves the scenario's failures against the platform (units per class, event targets); RS_ERR with
 * a located message for a target the platform lacks. run->faults stays NULL when there are none. */
int rs_run_faults_prepare(rs_run_t* run, rs_err_t* err);
/* Sets the GPUs' speed profiles of scheduled degradations and starts the fault actor (a daemon). */
void rs_run_faults_start(rs_run_t* run);
void rs_run_faults_free(rs_faults_t* f); /* accepts NULL */
/* Expected failures per second that take down at least one of the n GPUs from `first` (the rates of
 * the random classes; 0 without failures). */
double rs_run_fault_rate_per_s(const rs_run_t* run, int first, int n);
/* GPUs of the server that GPU g (platform index) is part of, the unit a hardware failure takes and a
 * spare replaces: its NVLink domain of at most 8, or an NVL72 compute tray (4). */
int rs_run_server_gpus(const rs_run_t* run, int g);
/* 1 while GPU g (platform index) is down. */
int rs_run_gpu_down(const rs_run_t* run, int g);
/* Daly's (FGCS 2006) optimum checkpoint interval, in seconds of work between checkpoints, for a
 * checkpoint of write_s seconds and an MTBF of mtbf_s: his higher-order form, mtbf_s once write_s
 * reaches twice the MTBF. */
double rs_run_daly_interval_s(double write_s, double mtbf_s);

/* ---- collectives.csv: one layout for every workload (run_trace.c) ------------------------------ */

/* One collective call of a whole group: one row of collectives.csv. */
typedef struct rs_coll_row {
  const char* workload;
  const char* group; /* the group's name, unique in the run */
  const char* dim;   /* what the group is: tp, cp, ep, dp (training), sweep (collective workload) */
  rs_coll_op_t op;
  rs_coll_algo_t algo;
  int ranks;
  double bytes;   /* nccl-tests' size: the per-rank buffer; for all-gather the gathered output */
  int iteration;  /* the workload's iteration (training) or repetition (sweep) */
  long long call; /* the group's call number, from 0 */
  double start_s; /* when the last rank entered the call */
  double end_s;   /* when the last rank left it */
} rs_coll_row_t;

/* Opens collectives.csv on first use, capped at outputs.collectives_max_rows; RS_ERR and err on failure. */
int rs_run_collectives_open(rs_run_t* run, rs_err_t* err);
/* Writes one row (or counts it as dropped past the cap; the first drop is said once on stderr). */
void rs_run_coll_row(rs_run_t* run, const rs_coll_row_t* row);

/* A group whose ranks call collectives from their own actors, each at its own pace: each rank reports
 * the calls it finished, and the last rank of each call writes that call's one row. */
typedef struct rs_coll_rec rs_coll_rec_t;
/* A group of `ranks`, of which `reporting` run and report (fewer when others are only stood for, as in
 * training's aggregated mode). workload, group and dim are copied. */
rs_coll_rec_t* rs_run_coll_rec_new(rs_run_t* run, const char* workload, const char* group, const char* dim, int ranks,
                                   int reporting);
void rs_run_coll_rec_free(rs_coll_rec_t* rec); /* accepts NULL */
/* Rank `pos` of the group left a call it entered at t_enter (every rank calls in the same order). */
void rs_run_coll_rec_done(rs_coll_rec_t* rec, int pos, rs_coll_op_t op, rs_coll_algo_t algo, double bytes,
                          int iteration, double t_enter);

/* ---- ops.csv: what each rank did, capped (run_trace.c) ------------------------------------------ */

/* One timed activity of one rank. layer and micro_batch are -1 where they do not apply. */
typedef struct rs_op_row {
  const char* workload;
  int rank;
  sg_host_t host;
  const char* op;     /* compute, collective, send, recv, wait */
  const char* detail; /* what exactly: "tp all-gather", "optimizer", ... */
  int iteration, layer, micro_batch;
  double start_s, end_s;
  double flops, bytes; /* NaN where they do not apply */
} rs_op_row_t;

/* Opens ops.csv when outputs.ops_max_rows > 0 (run->ops stays NULL otherwise); RS_ERR and err on failure. */
int rs_run_ops_open(rs_run_t* run, rs_err_t* err);
/* Writes one row when ops.csv is open and under its cap. Test run->ops first to skip building rows. */
void rs_run_op(rs_run_t* run, const rs_op_row_t* row);
/* Says which capped tables dropped rows, one line each; nothing when none did. */
void rs_run_report_caps(const rs_run_t* run, FILE* fp);

/* ---- links.csv and energy (run_meter.c) ---------------------------------------------------------- */

/* Starts SimGrid's host energy plugin, which every run uses: call after simgrid_init and before the
 * platform is loaded. GPU hosts state wattage_per_state; the generated CPU hosts do not (not counted). */
void rs_run_energy_init(void);
/* Joules the n GPUs have drawn since the simulation started. From an actor, or after the run. */
double rs_run_gpu_energy_j(const rs_gpu_t* const* gpus, int n);
/* Joules every GPU host, and every CPU host that states wattage_per_state, has drawn since the start. */
double rs_run_energy_j(const rs_run_t* run);

/* ---- power.csv, energy by scope, cost (power.c) ---------------------------------------------------- */

/* The power state of a run: the platform's sites, links and hosts indexed; rs_run_prepare makes it. */
rs_power_t* rs_run_power_new(rs_run_t* run);
void rs_run_power_free(rs_power_t* p); /* accepts NULL */
/* Sets the GPUs' power caps (power.gpu_cap_w; then, for power.site_budget_mw with over_budget: cap, the
 * one share of its busy power every GPU keeps so that the tightest site fits at full load): the GPU
 * models' cap_watts and cap_speed, and the hosts' busy power. Refuses a platform whose site could draw
 * more than the budget at full load (every GPU at TDP or its cap, CPUs at TDP, every port at its maximum,
 * the overhead, spare servers at idle, times the PUE), or could not fit even capped to idle, or a cap not
 * above idle power or on a GPU type without a curve; RS_ERR and a located message. Runs before any
 * workload computes a time. */
int rs_run_power_check(const rs_run_t* run, rs_err_t* err);
/* Aggregated training: the n GPUs from `first` on (platform order) are stood for by the n_live GPUs
 * `live` (borrowed, must outlive the run): the others draw the live ones' mean power. From a kind's start. */
void rs_run_power_stand_for(rs_run_t* run, const rs_gpu_t* const* live, int n_live, const rs_gpu_t* first, int n);
/* A kind that advances time without executing (training's renewal fast path) states what the n GPUs
 * from `first` (platform order) drew above their idle power from t0 to t1, in watts all together:
 * power.csv adds it to their sites' gpu scope after the run; the kind adds it to its energy_j itself. */
void rs_run_power_add_busy(rs_run_t* run, int first, int n, double t0, double t1, double watts);
/* Starts the daemon actor that reads the power at each window's end (before simgrid_run). */
void rs_run_power_start(rs_run_t* run);
/* After simgrid_run: closes the last window, writes power.csv and power_summary.csv; RS_ERR and err. */
int rs_run_power_finish(rs_run_t* run, rs_err_t* err);

/* Workload i's energy at three scopes and its cost, for summary.csv; NAN where not known (a workload
 * without GPUs, a GPU type without a price, no tokens). */
typedef struct rs_power_wl {
  double energy_gpu_kwh, energy_it_kwh, energy_facility_kwh;
  double joules_per_token_it, joules_per_token_facility;
  double cost_usd, usd_per_million_tokens, energy_cost_usd;
} rs_power_wl_t;
rs_power_wl_t rs_run_power_wl(const rs_run_t* run, int i);
/* The power and cost lines a person reads (after the run). */
void rs_run_power_report(const rs_run_t* run, FILE* fp);

/* Writes links.csv from the bytes the platform counted per link (when outputs.links is not none);
 * RS_ERR and err when the table cannot be opened. */
int rs_run_links_write(rs_run_t* run, rs_err_t* err);

#endif
