/* collective.c -- the collective workload: an nccl-tests-like sweep of message sizes over a group of
 * GPUs, one actor per rank, reporting time, algbw and busbw per size so results sit beside nccl-tests
 * output. Does not model compute: only the collective. See LICENSE. */
#include "wl/wl_int.h"

#include <stddef.h>
#include <math.h>
#include <simgrid/actor.h>
#include <simgrid/barrier.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <stdlib.h>
#include <xbt/log.h>
#include <xbt/misc.h>
#include <xbt/sysdep.h>

XBT_LOG_NEW_DEFAULT_SUBCATEGORY(rs_collective, racksim, "collective workload");

/* Its columns of summary.csv (the best bus bandwidth of the sweep, the size it was reached at). */
typedef struct coll_summary {
  double max_algbw_gbytes_per_s, max_busbw_gbytes_per_s, busbw_at_bytes, energy_j;
} coll_summary_t;

/* One size of the sweep, for the nccl-tests table of the report: its repetitions' total time. */
typedef struct coll_size {
  double bytes, time_s;
  int runs;
} coll_size_t;

typedef struct coll_wl {
  rs_run_t* run; /* set by start */
  const rs_sc_workload_t* wl;
  rs_wl_row_t* row;
  coll_summary_t sum;
  coll_size_t* sizes; /* n_sizes of them, in sweep order */
  int n_sizes;
  const rs_gpu_t** gpus;
  rs_comm_t* comm;
  sg_bar_t barrier;
  double bytes; /* the size under way (rank 0 sets it); 0 before the sweep and after it */
} coll_wl_t;

typedef struct coll_rank {
  coll_wl_t* w;
  int rank;
} coll_rank_t;

static int n_ranks(const rs_run_t* run, const rs_sc_workload_t* wl)
{
  return wl->u.coll.gpus > 0 ? wl->u.coll.gpus : run->plat->n_gpus - wl->first_gpu;
}

/* Whether bytes is still in the sweep (max_bytes included despite rounding in the products). */
static int in_sweep(const rs_sc_collective_t* cfg, double bytes)
{
  return bytes <= cfg->max_bytes * (1 + 1e-12);
}

static int n_sizes(const rs_sc_collective_t* cfg)
{
  int n = 0;
  for (double b = cfg->min_bytes; in_sweep(cfg, b); b *= cfg->factor)
    n++;
  return n;
}

static coll_wl_t* coll_new(const rs_run_t* run, int i)
{
  coll_wl_t* w = xbt_new0(coll_wl_t, 1);
  w->wl        = &run->sc->workloads[i];
  w->sum       = (coll_summary_t){NAN, NAN, NAN, NAN};
  int n        = n_ranks(run, w->wl);
  w->gpus      = xbt_new(const rs_gpu_t*, n);
  for (int r = 0; r < n; r++)
    w->gpus[r] = &run->plat->gpus[w->wl->first_gpu + r];
  w->comm    = rs_comm_new(w->wl->name, w->gpus, n);
  w->n_sizes = n_sizes(&w->wl->u.coll);
  w->sizes   = xbt_new0(coll_size_t, w->n_sizes);
  double b   = w->wl->u.coll.min_bytes;
  for (int k = 0; k < w->n_sizes; k++, b *= w->wl->u.coll.factor)
    w->sizes[k].bytes = b;
  return w;
}

static void coll_free(void* state)
{
  coll_wl_t* w = state;
  if (w == NULL)
    return;
  if (w->barrier)
    sg_barrier_destroy(w->barrier);
  rs_comm_free(w->comm);
  free(w->gpus);
  free(w->sizes);
  free(w);
}

static int coll_prepare(const rs_run_t* run, int i, void** state, rs_err_t* err)
{
  const rs_sc_collective_t* cfg = &run->sc->workloads[i].u.coll;
  char key[64];
  snprintf(key, sizeof key, "workloads[%d].gpus", i);
  if (run->plat->n_gpus < 2)
    return rs_scenario_err(run->sc, err, key, "a collective needs at least 2 GPUs, the platform %s has %d",
                           run->plat->file, run->plat->n_gpus);
  const rs_sc_workload_t* wl = &run->sc->workloads[i];
  if (n_ranks(run, wl) < 2 || wl->first_gpu + n_ranks(run, wl) > run->plat->n_gpus)
    return rs_scenario_err(run->sc, err, key, "expected at most the platform's %d GPUs, got %d",
                           run->plat->n_gpus - wl->first_gpu, n_ranks(run, wl));
  coll_wl_t* w = coll_new(run, i);
  rs_err_t why;
  int rc = rs_coll_check(w->comm, cfg->op, cfg->algorithm, &why);
  if (rc != RS_OK) {
    coll_free(w);
    snprintf(key, sizeof key, "workloads[%d].algorithm", i);
    return rs_scenario_err(run->sc, err, key, "expected an algorithm that can run %s here, got '%s': %s",
                           rs_coll_op_name(cfg->op), rs_coll_algo_name(cfg->algorithm), why.msg);
  }
  *state = w;
  return RS_OK;
}

static void record(coll_wl_t* w, rs_coll_algo_t algo, double bytes, int iteration, double t0, double t1)
{
  const rs_sc_collective_t* cfg = &w->wl->u.coll;
  int n                         = rs_comm_size(w->comm);
  double algbw                  = bytes / (t1 - t0);
  double busbw                  = algbw * rs_coll_bus_factor(cfg->op, n);
  rs_coll_row_t row             = {w->wl->name, w->wl->name,        "sweep", cfg->op, algo, n, bytes,
                                   iteration,   w->row->operations, t0,      t1};
  rs_run_coll_row(w->run, &row);
  char detail[128];
  snprintf(detail, sizeof detail, "%s %s %d ranks %.0f bytes", rs_coll_op_name(cfg->op), rs_coll_algo_name(algo), n,
           bytes);
  rs_run_event(w->run, t0, t1, w->wl->name, "collective", detail);
  w->row->operations++;
  for (int k = 0; k < w->n_sizes; k++)
    if (w->sizes[k].bytes == bytes) {
      w->sizes[k].time_s += t1 - t0;
      w->sizes[k].runs++;
      break;
    }
  if (!(busbw / 1e9 <= w->sum.max_busbw_gbytes_per_s)) { /* the first size too, NaN until then */
    w->sum.max_busbw_gbytes_per_s = busbw / 1e9;
    w->sum.max_algbw_gbytes_per_s = algbw / 1e9;
    w->sum.busbw_at_bytes         = bytes;
  }
  rs_run_progress(w->run, 1);
}

/* One GPU's part of the sweep: for each size and repetition, line up with the other ranks, run the
 * collective, line up again (so the time is the slowest rank's), and let rank 0 log it. */
static void collective_rank(int argc, char** argv)
{
  coll_rank_t* me               = sg_actor_self_get_data();
  coll_wl_t* w                  = me->w;
  const rs_sc_collective_t* cfg = &w->wl->u.coll;
  sg_actor_sleep_until(w->wl->start_s);
  if (me->rank == 0)
    w->sum.energy_j = -rs_run_gpu_energy_j(w->gpus, rs_comm_size(w->comm));
  for (double bytes = cfg->min_bytes; in_sweep(cfg, bytes); bytes *= cfg->factor) {
    rs_coll_algo_t algo = cfg->algorithm == RS_ALGO_AUTO ? rs_coll_choose(w->comm, cfg->op, bytes) : cfg->algorithm;
    for (int it = 0; it < cfg->iterations; it++) {
      sg_barrier_wait(w->barrier);
      double t0 = simgrid_get_clock();
      if (me->rank == 0)
        w->bytes = bytes;
      rs_coll_run(w->comm, me->rank, cfg->op, algo, bytes);
      sg_barrier_wait(w->barrier);
      if (me->rank == 0)
        record(w, algo, bytes, it, t0, simgrid_get_clock());
    }
  }
  if (me->rank == 0) {
    w->bytes         = 0;
    w->row->end_s    = simgrid_get_clock();
    w->row->finished = 1;
    w->sum.energy_j += rs_run_gpu_energy_j(w->gpus, rs_comm_size(w->comm));
    w->row->energy_j = w->sum.energy_j;
    XBT_INFO("%s done at %g s", w->wl->name, w->row->end_s);
  }
  free(me);
}

static int coll_start(rs_run_t* run, int i, void* state, rs_wl_row_t* row, rs_err_t* err)
{
  if (rs_run_collectives_open(run, err) != RS_OK)
    return RS_ERR;
  coll_wl_t* w = state;
  w->run       = run;
  w->row       = row;
  int n        = rs_comm_size(w->comm);
  w->barrier   = sg_barrier_init(n);
  row->gpus    = n;
  run->work_total += (double)n_sizes(&w->wl->u.coll) * w->wl->u.coll.iterations;
  for (int r = 0; r < n; r++) {
    coll_rank_t* me = xbt_new(coll_rank_t, 1);
    *me             = (coll_rank_t){w, r};
    char* name      = bprintf("%s-r%d", w->wl->name, r);
    sg_actor_t a    = sg_actor_init(name, w->gpus[r]->host);
    free(name);
    sg_actor_set_data(a, me);
    sg_actor_start(a, collective_rank, 0, NULL);
  }
  return RS_OK;
}

/* The sweep as nccl-tests prints it (its out-of-place columns): size, count of float elements, type,
 * reduction, root, the mean time of the repetitions, algbw and busbw in GB/s, then the mean bus
 * bandwidth over the sizes. In-place figures and #wrong have no meaning in a simulation. */
static void report_nccl_table(const coll_wl_t* w, FILE* fp)
{
  const rs_sc_collective_t* c = &w->wl->u.coll;
  int n                       = rs_comm_size(w->comm);
  const char* redop           = c->op == RS_OP_ALLREDUCE || c->op == RS_OP_REDUCESCATTER ? "sum" : "none";
  fprintf(fp, "    #       size         count      type   redop    root     time   algbw   busbw\n");
  fprintf(fp, "    #        (B)    (elements)                               (us)  (GB/s)  (GB/s)\n");
  double sum  = 0;
  int counted = 0;
  for (int k = 0; k < w->n_sizes; k++) {
    const coll_size_t* z = &w->sizes[k];
    if (z->runs == 0)
      continue;
    double t     = z->time_s / z->runs;
    double algbw = z->bytes / t / 1e9;
    double busbw = algbw * rs_coll_bus_factor(c->op, n);
    fprintf(fp, "    %12.0f  %12.0f     float  %6s  %6d  %7.1f  %6.2f  %6.2f\n", z->bytes, floor(z->bytes / 4), redop,
            c->op == RS_OP_BROADCAST ? 0 : -1, t * 1e6, algbw, busbw);
    sum += busbw;
    counted++;
  }
  fprintf(fp, "    # Avg bus bandwidth    : %g\n", counted ? sum / counted : NAN);
}

static void coll_report(const rs_run_t* run, int i, const void* state, FILE* fp)
{
  const coll_wl_t* w          = state;
  const rs_sc_collective_t* c = &w->wl->u.coll;
  fprintf(fp, "  %s (collective): %s over %d GPUs, %lld sizes x runs from %.0f to %.0f bytes\n", w->wl->name,
          rs_coll_op_name(c->op), w->row->gpus, w->row->operations, c->min_bytes, c->max_bytes);
  fprintf(fp, "    best bus bandwidth %.1f GB/s (algbw %.1f GB/s) at %.0f bytes\n", w->sum.max_busbw_gbytes_per_s,
          w->sum.max_algbw_gbytes_per_s, w->sum.busbw_at_bytes);
  report_nccl_table(w, fp);
}

/* A GPU of the sweep down while a collective runs: NCCL would stop (a rank gone, its peers time out),
 * so the run ends with exit 1 and one message naming the GPU's host, the failure and the time. The
 * sweep itself goes on in the engine, since nothing was turned off there (run.h, rs_fault_t). */
static void coll_fault(rs_run_t* run, int i, void* state, const rs_fault_t* f)
{
  coll_wl_t* w = state;
  if (f->up || w->bytes == 0 || w->row->failed != NULL)
    return;
  const rs_sc_workload_t* wl = w->wl;
  for (int k = 0; k < f->n_gpus; k++) {
    int g = f->gpus[k];
    if (g < wl->first_gpu || g >= wl->first_gpu + rs_comm_size(w->comm))
      continue;
    w->row->failed = bprintf("GPU host %s went down (%s: %s) at simulated time %g s during %s of %.0f bytes: a "
                             "collective cannot finish without every rank",
                             sg_host_get_name(run->plat->gpus[g].host), f->component, f->cause, simgrid_get_clock(),
                             rs_coll_op_name(wl->u.coll.op), w->bytes);
    return;
  }
}

static const void* coll_summary(const void* state)
{
  return &((const coll_wl_t*)state)->sum;
}

static const rs_wl_col_t coll_cols[] = {
    {"max_algbw_gbytes_per_s", offsetof(coll_summary_t, max_algbw_gbytes_per_s)},
    {"max_busbw_gbytes_per_s", offsetof(coll_summary_t, max_busbw_gbytes_per_s)},
    {"busbw_at_bytes", offsetof(coll_summary_t, busbw_at_bytes)},
    {"energy_j", offsetof(coll_summary_t, energy_j)},
};

const rs_wl_ops_t rs_wl__collective = {
    .kind    = "collective",
    .cols    = coll_cols,
    .n_cols  = sizeof coll_cols / sizeof coll_cols[0],
    .prepare = coll_prepare,
    .start   = coll_start,
    .summary = coll_summary,
    .fault   = coll_fault,
    .report  = coll_report,
    .free    = coll_free,
};
