/* inf_engine.c -- the serving engine of each replica, one actor: schedule a step (inf_kv.c), time it,
 * apply it, until every request is served. A step's time is the roofline of its FLOPs and bytes on
 * each stage's GPUs (compute.c), plus the stage's TP all-reduces and EP all-to-alls on the real links
 * (collectives.c) joined by one helper actor per other GPU, plus the activations handed from stage to
 * stage. Runs of identical decode steps are timed ahead as one wait, cut short when a request comes.
 * Also keeps replicas.csv. It does not choose replicas nor write requests.csv (inf_serve.c). See LICENSE. */
#include "wl/inf_int.h"

#include <math.h>
#include <simgrid/actor.h>
#include <simgrid/barrier.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/semaphore.h>
#include <stdlib.h>
#include <xbt/asserts.h>
#include <xbt/sysdep.h>

/* ---- timing one step ------------------------------------------------------------------------------- */

/* One token's activations, bf16. */
static double act_bytes(const rs_inf_wl_t* w)
{
  return 2.0 * w->m->hidden;
}

/* One GPU's part of stage s's collectives for this step: the layers' TP all-reduces (two per layer)
 * and EP all-to-alls (dispatch and combine per MoE layer), each run as one collective of the summed
 * bytes on the real links, plus the latency of the others from NCCL's cost model. */
static void stage_collectives(rs_inf_replica_t* r, int s, int e, int t)
{
  const rs_inf_stage_t* st = &r->w->stages[s];
  const rs_layout_t* l     = &r->w->lay;
  struct {
    rs_comm_t* comm;
    int rank, count;
    rs_coll_op_t op;
    double bytes;
  } parts[] = {{r->tp[s * l->ep + e], t, 2 * st->layers, RS_OP_ALLREDUCE, r->tp_bytes},
               {r->ep[s * l->tp + t], e, 2 * st->moe_layers, RS_OP_ALLTOALL, r->ep_bytes}};
  for (int k = 0; k < 2; k++) {
    if (rs_comm_size(parts[k].comm) < 2 || parts[k].count == 0 || parts[k].bytes <= 0)
      continue;
    rs_coll_algo_t algo = rs_coll_choose(parts[k].comm, parts[k].op, parts[k].bytes);
    rs_coll_run(parts[k].comm, parts[k].rank, parts[k].op, algo, parts[k].bytes);
    sg_actor_sleep_for((parts[k].count - 1) * rs_coll_predict(parts[k].comm, parts[k].op, algo, 0));
  }
}

/* A GPU of a replica other than its leader: joins its stage's collectives each step the leader runs. */
void rs_inf__helper_actor(int argc, char** argv)
{
  rs_inf_helper_t* h = sg_actor_self_get_data();
  for (;;) {
    sg_sem_acquire(h->go);
    if (h->r->quit)
      return;
    stage_collectives(h->r, h->stage, h->e, h->t);
    sg_barrier_wait(h->r->bar[h->stage]);
  }
}

/* Stage s's collectives with its helpers on the real links; with collective_memo, each step size is
 * timed so once and later steps of that size take the same time without sending anything. */
static void stage_sync(rs_inf_replica_t* r, int s, int tokens)
{
  const rs_inf_wl_t* w = r->w;
  int cap              = w->cfg->max_batch_tokens + 1;
  double* memo         = r->memo && tokens < cap ? &r->memo[s * cap + tokens] : NULL;
  if (memo && !isnan(*memo)) {
    sg_actor_sleep_for(*memo);
    return;
  }
  double t0 = simgrid_get_clock();
  for (int k = 0; k < r->n_helpers; k++)
    if (r->helpers[k].stage == s)
      sg_sem_release(r->helpers[k].go);
  if (s == 0)
    stage_collectives(r, 0, 0, 0);
  sg_barrier_wait(r->bar[s]);
  if (memo)
    *memo = simgrid_get_clock() - t0;
}

/* Expected share of the routed experts that at least one of `tokens` tokens picks (each picks
 * experts_per_token of them, uniformly): small decode batches read few experts' weights. */
static double experts_touched(const rs_model_t* m, double tokens)
{
  return m->experts > 0 ? 1 - pow(1 - (double)m->experts_per_token / m->experts, tokens) : 0;
}

/* Seconds of stage s's matmuls and HBM traffic on one of its GPUs. */
static double stage_compute_s(const rs_inf_wl_t* w, int s, const rs_inf_step_t* st)
{
  const rs_inf_stage_t* sg = &w->stages[s];
  double split             = (double)w->lay.tp * w->lay.ep;
  double flops             = sg->lin_flops * st->tokens + sg->key_flops * st->pairs;
  if (s == w->lay.pp - 1)
    flops += w->logits_flops * st->produced;
  double bytes =
      sg->weight_bytes + sg->expert_bytes * experts_touched(w->m, st->tokens) + sg->kv_bytes * st->kv_read / w->lay.ep;
  return rs_gpu_seconds(w->reps[0].gpus[0]->model, w->cfg->precision, flops / split, bytes);
}

/* Runs one step: each stage computes, then runs its collectives with its helpers, then hands its
 * activations to the next stage over the real link; swapped KV moves over the host link. */
static void run_step(rs_inf_replica_t* r, const rs_inf_step_t* st)
{
  rs_inf_wl_t* w = r->w;
  int per        = w->stage_gpus;
  if (st->swap_bytes > 0)
    sg_actor_sleep_for(st->swap_bytes / w->gpus_per_replica / (w->cfg->swap_gbytes_per_s * 1e9));
  for (int s = 0; s < w->lay.pp; s++) {
    double t = stage_compute_s(w, s, st);
    sg_actor_execute(t * sg_host_get_speed(sg_host_self())); /* every GPU of a replica is the same model */
    r->tp_bytes = st->tokens / w->lay.ep * act_bytes(w);
    r->ep_bytes = st->tokens / w->lay.ep * act_bytes(w) * w->m->experts_per_token;
    if (per > 1)
      stage_sync(r, s, (int)st->tokens);
    if (s + 1 < w->lay.pp)
      rs_net_flow(r->gpus[s * per]->host, r->gpus[(s + 1) * per]->host, st->tokens / w->lay.ep * act_bytes(w));
  }
}

/* ---- replicas.csv ------------------------------------------------------------------------------------ */

static const rs_col_t replica_cols[] = {
    {"workload", RS_COL_TEXT},  {"replica", RS_COL_INT},      {"role", RS_COL_TEXT},
    {"start_s", RS_COL_NUM},    {"end_s", RS_COL_NUM},        {"busy_fraction", RS_COL_NUM},
    {"batch_mean", RS_COL_NUM}, {"kv_used_mean", RS_COL_NUM}, {"kv_used_max", RS_COL_NUM},
    {"waiting", RS_COL_INT},    {"running", RS_COL_INT},      {"preemptions", RS_COL_INT},
};

int rs_inf__replicas_open(rs_inf_wl_t* w, rs_err_t* err)
{
  w->res.replicas = rs_run_table(w->run, "replicas", replica_cols, sizeof replica_cols / sizeof replica_cols[0], err);
  return w->res.replicas ? RS_OK : RS_ERR;
}

/* The interval [sample.t0, end) of replica r, then a fresh one. */
static void sample_row(rs_inf_replica_t* r, double end)
{
  rs_inf_wl_t* w     = r->w;
  rs_inf_sample_t* a = &r->sample;
  double len         = end - a->t0;
  double total       = r->kv->total_blocks;
  rs_table_t* t      = w->res.replicas;
  rs_cell_text(t, w->wl->name);
  rs_cell_int(t, r->id);
  rs_cell_text(t, r->role == RS_INF_PREFILL ? "prefill" : r->role == RS_INF_DECODE ? "decode" : "mixed");
  rs_cell_num(t, a->t0);
  rs_cell_num(t, end);
  rs_cell_num(t, a->busy / len);
  rs_cell_num(t, a->busy > 0 ? a->seq_area / a->busy : 0);
  rs_cell_num(t, a->kv_area / len / total);
  rs_cell_num(t, a->kv_max / total);
  rs_cell_int(t, r->kv->waiting.n);
  rs_cell_int(t, r->kv->n_run);
  rs_cell_int(t, a->preemptions);
  rs_row_end(t);
  *a = (rs_inf_sample_t){.t0 = end};
}

/* Accounts [a, b) to replicas.csv intervals: busy or idle, with `seqs` sequences and `used` blocks. */
static void account(rs_inf_replica_t* r, double a, double b, int busy, int seqs, double used)
{
  double dt          = r->w->cfg->sample_s;
  rs_inf_sample_t* s = &r->sample;
  while (a < b) {
    double edge = s->t0 + dt;
    double end  = b < edge ? b : edge;
    double len  = end - a;
    s->busy += busy ? len : 0;
    s->seq_area += busy ? seqs * len : 0;
    s->kv_area += used * len;
    if (used > s->kv_max)
      s->kv_max = used;
    a = end;
    if (end >= edge)
      sample_row(r, edge);
  }
}

/* ---- after a step ------------------------------------------------------------------------------------ */

/* Advances every scheduled request by its tokens; finished ones leave, and on a prefill replica so do
 * those with their first token, toward a decode replica. */
static void apply_step(rs_inf_replica_t* r, double now)
{
  rs_inf_wl_t* w = r->w;
  int* left      = r->left;
  int n          = rs_inf__kv_advance(r->kv, w->reqs, now, r->role == RS_INF_PREFILL, left);
  for (int k = 0; k < n; k++) {
    rs_inf_req_t* q = &w->reqs[left[k]];
    rs_inf__router_add(&w->router, r->id, -q->routed);
    if (q->generated == q->output) {
      q->finish = now;
      rs_inf__finish(w, left[k]);
    } else {
      rs_inf__hand_off(r, left[k], now);
    }
  }
}

/* ---- runs of identical decode steps ------------------------------------------------------------------ */

#define RS_FF_MAX_STEPS 4096 /* steps timed ahead at most, to bound the work lost to an early arrival */

/* Seconds of a decode step of n sequences reading `cached` tokens (pipeline of one stage). */
static double decode_step_s(const rs_inf_replica_t* r, int n, double cached)
{
  const rs_inf_wl_t* w = r->w;
  rs_inf_step_t st     = {.tokens = n, .pairs = cached, .kv_read = cached, .produced = n, .seqs = n};
  double t             = stage_compute_s(w, 0, &st);
  return r->memo ? t + r->memo[n] : t;
}

/* How many decode steps can run with nothing but contexts changing (rs_inf__kv_decode_steps), when their
 * time is known ahead; fills ends[] with each step's end time from now. */
static int plan_decode_run(const rs_inf_replica_t* r, double now, double* ends)
{
  const rs_inf_wl_t* w = r->w;
  int n                = r->kv->n_run;
  if (w->lay.pp > 1 || n == 0 || n > w->cfg->max_batch_tokens ||
      (w->stage_gpus > 1 && (r->memo == NULL || isnan(r->memo[n]))))
    return 0;
  double cached;
  int k    = rs_inf__kv_decode_steps(r->kv, w->reqs, RS_FF_MAX_STEPS, &cached);
  double t = now;
  for (int j = 0; j < k; j++) {
    t += decode_step_s(r, n, cached + (double)j * n);
    ends[j] = t;
  }
  return k;
}

/* Runs a planned series of decode steps as one wait, cut short at the end of the step in progress when a
 * request arrives; then applies each step done, as run_step and apply_step would have. Returns 0 when
 * no series of two or more steps is possible. */
static int fast_forward(rs_inf_replica_t* r)
{
  double now   = simgrid_get_clock();
  double* ends = xbt_new(double, RS_FF_MAX_STEPS);
  int k        = plan_decode_run(r, now, ends);
  if (k < 2) {
    free(ends);
    return 0;
  }
  r->idle   = 1; /* an arrival wakes us, as when idle */
  int woken = sg_sem_acquire_timeout(r->wake, ends[k - 1] - now) == 0;
  r->idle   = 0;
  int done  = k;
  if (woken) {
    double t = simgrid_get_clock();
    for (done = 1; done < k && ends[done - 1] <= t; done++)
      ;
    sg_actor_sleep_until(ends[done - 1]);
  }
  double start = now;
  for (int j = 0; j < done; j++) {
    rs_inf_step_t st = {0};
    rs_inf__kv_decode(r->kv, r->w->reqs, &st);
    double used = r->kv->total_blocks - r->kv->free_blocks;
    apply_step(r, ends[j]);
    account(r, start, ends[j], 1, st.seqs, used);
    start = ends[j];
  }
  free(ends);
  return 1;
}

/* ---- the serving loop ---------------------------------------------------------------------------------- */

/* Sleeps until a request comes; 0 when none will come any more (the replica is done). */
static int wait_for_work(rs_inf_replica_t* r, double now)
{
  const rs_inf_wl_t* w = r->w;
  if (r->role == RS_INF_DECODE ? rs_inf__all_served(w) : w->arrivals_done)
    return 0;
  r->idle = 1;
  sg_sem_acquire(r->wake);
  account(r, now, simgrid_get_clock(), 0, 0, r->kv->total_blocks - r->kv->free_blocks);
  return 1;
}

/* Schedules, runs and applies one step. */
static void one_step(rs_inf_replica_t* r, double now)
{
  rs_inf_wl_t* w   = r->w;
  rs_inf_step_t st = {0};
  rs_inf__kv_schedule(r->kv, w->reqs, now, &st);
  xbt_assert(st.seqs > 0, "replica %d scheduled nothing with %d running and %d waiting", r->id, r->kv->n_run,
             r->kv->waiting.n);
  w->res.preemptions += st.preempted;
  r->sample.preemptions += st.preempted;
  double used = r->kv->total_blocks - r->kv->free_blocks;
  run_step(r, &st);
  double end = simgrid_get_clock();
  apply_step(r, end);
  account(r, now, end, 1, st.seqs, used);
}

/* One replica's serving engine: schedule a step, run it, apply it, until every request is served. */
void rs_inf__replica_actor(int argc, char** argv)
{
  rs_inf_replica_t* r = sg_actor_self_get_data();
  rs_inf_wl_t* w      = r->w;
  sg_actor_sleep_until(w->wl->start_s);
  r->sample.t0 = w->wl->start_s;
  if (r->id == 0)
    w->energy0_j = rs_inf__energy_j(w);
  for (;;) {
    double now = simgrid_get_clock();
    if (r->kv->n_run == 0 && r->kv->waiting.n == 0) {
      if (!wait_for_work(r, now))
        break;
    } else if (!fast_forward(r)) {
      one_step(r, now);
    }
  }
  double end = simgrid_get_clock();
  if (end > r->sample.t0)
    sample_row(r, end);
  r->quit = 1;
  for (int k = 0; k < r->n_helpers; k++)
    sg_sem_release(r->helpers[k].go);
  if (--w->replicas_left == 0)
    rs_inf__summarize(w);
}
