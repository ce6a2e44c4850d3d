/* inf_engine.c -- the serving engine of each replica: schedule a step (inf_kv.c), run it, apply it,
 * until every request is served. In a step every GPU of each stage executes its share of the stage's
 * kernels (their seconds from inf_cost.c), then the stage runs every layer's TP all-reduces and EP all-to-alls
 * with their real bytes on the real links (collectives.c, all of a step's calls of one kind as one
 * rs_coll_run_n), each other GPU joining from a helper actor, then hands its activations to the next
 * stage over the real link. A replica of one stage runs its steps one after another from one actor;
 * one of several stages is a pipeline, as vLLM runs it: pp virtual engines, each scheduling its own
 * batches, and one actor per stage on its own GPU, so while stage s works on one engine's batch stage
 * s + 1 works on the batch before. Series of identical decode steps of a one-stage replica run as one
 * (the same time, bytes and energy, fewer activities): on one GPU as one execution cut short when a
 * request comes, on one stage of several (collective_memo) as one execution per GPU then one
 * collective per kind, where nothing can share its links and only known arrivals can come. Also
 * keeps replicas.csv and the engine's rows of ops.csv. It does not choose replicas nor write
 * requests.csv (inf_serve.c). See LICENSE. */
#include "wl/inf_int.h"

#include <math.h>
#include <simgrid/actor.h>
#include <simgrid/barrier.h>
#include <simgrid/engine.h>
#include <simgrid/exec.h>
#include <simgrid/host.h>
#include <simgrid/semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <xbt/asserts.h>
#include <xbt/sysdep.h>

/* ---- timing one step ------------------------------------------------------------------------------- */

/* One token's activations, bf16. */
static double act_bytes(const rs_inf_wl_t* w)
{
  return 2.0 * w->m->hidden;
}

/* One GPU's part of stage s's collectives for this step: every layer's TP all-reduces (two per layer:
 * after attention and after the MLP) and EP all-to-alls (dispatch and combine per MoE layer), each of
 * the step's activations; the calls of one kind run as one rs_coll_run_n, so the links carry every
 * call's bytes and the step takes every call's time, with the algorithm and protocol of one call. */
static void stage_collectives(rs_inf_replica_t* r, int s, int e, int t)
{
  const rs_inf_stage_t* st = &r->cost->stages[s];
  const rs_layout_t* l     = r->lay;
  const rs_inf_pipe_t* p   = &r->pipe[s];
  struct {
    rs_comm_t* comm;
    int rank, calls;
    rs_coll_op_t op;
    double bytes;
  } parts[] = {{r->tp[s * l->ep + e], t, 2 * st->layers * p->run_steps, RS_OP_ALLREDUCE, p->tp_bytes},
               {r->ep[s * l->tp + t], e, 2 * st->moe_layers * p->run_steps, RS_OP_ALLTOALL, p->ep_bytes}};
  for (int k = 0; k < 2; k++) {
    if (rs_comm_size(parts[k].comm) < 2 || parts[k].calls == 0 || parts[k].bytes <= 0)
      continue;
    rs_coll_algo_t algo = rs_coll_choose(parts[k].comm, parts[k].op, parts[k].bytes);
    rs_coll_run_n(parts[k].comm, parts[k].rank, parts[k].op, algo, parts[k].bytes, parts[k].calls);
  }
}

/* A GPU of a replica other than its stages' first: joins its stage's collectives each step. */
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

/* Stage s's collectives on the real links, run by its GPUs' helpers and by the caller as its first GPU;
 * the caller waits for all of them at the stage's barrier. */
static void stage_sync(rs_inf_replica_t* r, int s)
{
  for (int k = 0; k < r->n_helpers; k++)
    if (r->helpers[k].stage == s)
      sg_sem_release(r->helpers[k].go);
  stage_collectives(r, s, 0, 0);
  sg_barrier_wait(r->bar[s]);
}

/* stage_sync, whose time the memo keeps for a decode run of as many sequences (run_allowed). */
static void timed_sync(rs_inf_replica_t* r, int s, double tokens)
{
  double t0 = simgrid_get_clock();
  stage_sync(r, s);
  if (r->memo == NULL || tokens > r->w->cfg->max_seqs)
    return;
  int n = (int)tokens;
  if (n >= r->memo_n) {
    int grown = n + 1 > 2 * r->memo_n ? n + 1 : 2 * r->memo_n;
    grown     = grown > r->w->cfg->max_seqs + 1 ? r->w->cfg->max_seqs + 1 : grown;
    r->memo   = xbt_realloc(r->memo, grown * sizeof *r->memo);
    for (int k = r->memo_n; k < grown; k++)
      r->memo[k] = NAN;
    r->memo_n = grown;
  }
  if (isnan(r->memo[n]))
    r->memo[n] = simgrid_get_clock() - t0;
}

/* Starts `seconds` of work on GPU g of the replica (every GPU of a replica is of one model). */
static sg_exec_t gpu_exec_start(const rs_inf_replica_t* r, int g, double seconds)
{
  sg_host_t host = r->gpus[g]->host;
  sg_exec_t exec = sg_actor_exec_init(seconds * sg_host_get_speed(host));
  sg_exec_set_host(exec, host);
  sg_exec_start(exec);
  return exec;
}

/* Every GPU of stage s executes its share of the stage's work, `seconds` each, so every one of them
 * draws busy power that long (SimGrid's host energy); returns when they are done. */
static void stage_execute(rs_inf_replica_t* r, int s, double seconds)
{
  int per          = r->stage_gpus;
  sg_exec_t* execs = r->pipe[s].execs;
  for (int g = 0; g < per; g++)
    execs[g] = gpu_exec_start(r, s * per + g, seconds);
  for (int g = 0; g < per; g++)
    sg_exec_wait(execs[g]);
}

/* A row of ops.csv for the first GPU of stage s (its rank in the workload), when ops.csv is open. */
static void trace_op(const rs_inf_replica_t* r, int s, const char* op, int ve, double t0, double bytes)
{
  const rs_inf_wl_t* w = r->w;
  if (w->run->ops == NULL)
    return;
  const rs_gpu_t* g = r->gpus[s * r->stage_gpus];
  rs_op_row_t row   = {w->wl->name, (int)(g - &w->plat->gpus[w->wl->first_gpu]),
                       g->host,     op,
                       "step",      (int)r->batch[ve].steps,
                       -1,          ve,
                       t0,          simgrid_get_clock(),
                       NAN,         bytes};
  if (strcmp(op, "send") == 0)
    row.detail = s + 1 < r->lay->pp ? "activations" : "tokens";
  rs_run_op(w->run, &row);
}

/* A step's swapped KV crosses the host link of each of GPUs first .. first + n - 1 of r, every GPU its
 * share at once, out to its CPU host and back in: real flows where the platform has the path (w->copies:
 * NVLink-C2C), else a wait at swap_gbytes_per_s per GPU (PCIe, which racksim does not model). */
static void move_swapped(rs_inf_replica_t* r, int first, int n, const rs_inf_step_t* st)
{
  const rs_inf_wl_t* w = r->w;
  if (st->swap_bytes <= 0)
    return;
  double out = (st->swap_bytes - st->swap_in_bytes) / r->n_gpus, in = st->swap_in_bytes / r->n_gpus;
  if (w->copies == NULL) {
    sg_actor_sleep_for((out + in) / (w->cfg->swap_gbytes_per_s * 1e9));
    return;
  }
  int flows = 0;
  for (int g = first; g < first + n; g++) {
    sg_host_t gpu = r->gpus[g]->host, cpu = w->plat->cpus[r->gpus[g]->cpu].host;
    if (out > 0) {
      rs_flows_start(w->copies, gpu, cpu, out, r->swapped);
      flows++;
    }
    if (in > 0) {
      rs_flows_start(w->copies, cpu, gpu, in, r->swapped);
      flows++;
    }
  }
  while (flows-- > 0)
    sg_sem_acquire(r->swapped);
}

/* The last stage sends the step's sampled tokens (a 4-byte id per sequence that produced one, as vLLM
 * and TensorRT-LLM return them) to the first, whose scheduler builds the next step: few bytes, but the
 * route's latency. Nothing to send without a pipeline. */
static void return_tokens(rs_inf_replica_t* r, int ve, const rs_inf_step_t* st)
{
  int last = r->lay->pp - 1;
  if (last == 0)
    return;
  double t0 = simgrid_get_clock(), bytes = 4 * fmax(st->produced, 1);
  rs_net_flow(r->gpus[last * r->stage_gpus]->host, r->gpus[0]->host, bytes);
  trace_op(r, last, "send", ve, t0, bytes);
}

/* Runs one step of a replica of one virtual engine: each stage's GPUs compute, then run the stage's
 * collectives, then the stage hands its activations to the next one over the real link; the last
 * returns the sampled tokens. Swapped KV moves first (move_swapped). */
static void run_step(rs_inf_replica_t* r, const rs_inf_step_t* st)
{
  rs_inf_wl_t* w = r->w;
  int per        = r->stage_gpus;
  move_swapped(r, 0, r->n_gpus, st);
  for (int s = 0; s < r->lay->pp; s++) {
    double t0 = simgrid_get_clock();
    stage_execute(r, s, rs_inf__stage_seconds(r->cost, s, st));
    trace_op(r, s, "compute", 0, t0, NAN);
    r->pipe[s].tp_bytes = st->tokens / r->lay->ep * act_bytes(w);
    r->pipe[s].ep_bytes = st->tokens / r->lay->ep * act_bytes(w) * w->m->experts_per_token;
    if (per > 1)
      timed_sync(r, s, st->tokens);
    if (s + 1 < r->lay->pp)
      rs_net_flow(r->gpus[s * per]->host, r->gpus[(s + 1) * per]->host, st->tokens / r->lay->ep * act_bytes(w));
  }
  return_tokens(r, 0, st);
}

/* A pipeline stage of a replica: takes the virtual engines' batches in the order they come, moves its
 * share of a batch's swapped KV, runs its GPUs' work and collectives, then hands the activations to the
 * next stage over the real link (the stage is busy while they cross), or, from the last stage, gives
 * the batch back to the replica's scheduler with its sampled tokens (return_tokens). */
static void stage_actor(int argc, char** argv)
{
  rs_inf_pipe_t* p     = sg_actor_self_get_data();
  rs_inf_replica_t* r  = p->r;
  const rs_inf_wl_t* w = r->w;
  int s = p->s, per = r->stage_gpus, last = s + 1 == r->lay->pp;
  for (;;) {
    sg_sem_acquire(p->ready);
    if (p->inbox.n == 0) /* the replica is done */
      return;
    int v = rs_inf__q_front(&p->inbox);
    rs_inf__q_pop_front(&p->inbox);
    const rs_inf_step_t* st = &r->batch[v].st;
    move_swapped(r, s * per, per, st);
    double t0 = simgrid_get_clock();
    stage_execute(r, s, rs_inf__stage_seconds(r->cost, s, st));
    trace_op(r, s, "compute", v, t0, NAN);
    double act  = st->tokens / r->lay->ep * act_bytes(w);
    p->tp_bytes = act;
    p->ep_bytes = act * w->m->experts_per_token;
    if (per > 1)
      stage_sync(r, s);
    if (last) {
      return_tokens(r, v, st);
      rs_inf__q_push_back(&r->done, v);
      rs_inf__wake(r);
      continue;
    }
    t0 = simgrid_get_clock();
    rs_net_flow(r->gpus[s * per]->host, r->gpus[(s + 1) * per]->host, act);
    trace_op(r, s, "send", v, t0, act);
    rs_inf__q_push_back(&r->pipe[s + 1].inbox, v);
    sg_sem_release(r->pipe[s + 1].ready);
  }
}

void rs_inf__stages_start(rs_inf_replica_t* r)
{
  for (int s = 0; s < r->lay->pp && r->n_ve > 1; s++) {
    rs_inf_pipe_t* p = &r->pipe[s];
    p->ready         = sg_sem_init(0);
    char* name       = bprintf("%s-replica%d-stage%d", r->w->wl->name, r->id, s);
    sg_actor_t a     = sg_actor_init(name, r->gpus[s * r->stage_gpus]->host);
    sg_actor_set_data(a, p);
    sg_actor_start(a, stage_actor, 0, NULL);
    free(name);
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

/* Replica r's KV blocks in use, over its virtual engines. */
static double blocks_used(const rs_inf_replica_t* r)
{
  double used = 0;
  for (int v = 0; v < r->n_ve; v++)
    used += r->kv[v].total_blocks - r->kv[v].free_blocks;
  return used;
}

/* The interval [sample.t0, end) of replica r, then a fresh one. */
static void sample_row(rs_inf_replica_t* r, double end)
{
  rs_inf_wl_t* w     = r->w;
  rs_inf_sample_t* a = &r->sample;
  double len         = end - a->t0;
  double total       = 0;
  int waiting = 0, running = 0;
  for (int v = 0; v < r->n_ve; v++) {
    total += r->kv[v].total_blocks;
    waiting += r->kv[v].waiting.n;
    running += r->kv[v].n_run;
  }
  rs_table_t* t = w->res.replicas;
  rs_cell_text(t, w->wl->name);
  rs_cell_int(t, r->id);
  rs_cell_text(t, r->role == RS_INF_PREFILL ? "prefill" : r->role == RS_INF_DECODE ? "decode" : "mixed");
  rs_cell_num(t, a->t0);
  rs_cell_num(t, end);
  rs_cell_num(t, a->busy / len);
  rs_cell_num(t, a->busy > 0 ? a->seq_area / a->busy : 0);
  rs_cell_num(t, a->kv_area / len / total);
  rs_cell_num(t, a->kv_max / total);
  rs_cell_int(t, waiting);
  rs_cell_int(t, running);
  rs_cell_int(t, a->preemptions);
  rs_row_end(t);
  *a = (rs_inf_sample_t){.t0 = end};
}

/* Accounts [a, b) to replicas.csv intervals: busy or idle, with `seqs` sequences and `used` blocks.
 * Whole intervals of an idle stretch go into one row (from an edge to an edge), so that a workload
 * whose requests arrive far apart writes a few rows, not one per sample_s of nothing; where the clock
 * is too coarse for sample_s (t0 + sample_s == t0), the interval ends at b. */
static void account(rs_inf_replica_t* r, double a, double b, int busy, int seqs, double used)
{
  double dt          = r->w->cfg->sample_s;
  rs_inf_sample_t* s = &r->sample;
  while (a < b) {
    if (!busy && a == s->t0 && b - a >= 2 * dt) {
      double n    = floor((b - a) / dt);
      double edge = s->t0 + n * dt;
      if (edge > b)
        edge = b;
      s->kv_area += used * (edge - a);
      if (used > s->kv_max)
        s->kv_max = used;
      sample_row(r, edge);
      a = edge;
      continue;
    }
    double edge = s->t0 + dt;
    if (edge <= s->t0 || edge <= a)
      edge = b;
    double end = b < edge ? b : edge;
    double len = end - a;
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

/* Under failures, the GPU joules of virtual engine v's step st, its GPUs' executions at busy power (the
 * idle power they draw through its collectives is not counted), go to the requests that took part, by
 * their tokens; all of it is lost when the replica failed during the step. */
static void count_step_work(rs_inf_replica_t* r, int v, const rs_inf_step_t* st)
{
  rs_inf_wl_t* w = r->w;
  double joules = 0, busy = rs_gpu_busy_watts(r->gpus[0]->model);
  for (int s = 0; s < r->lay->pp; s++)
    joules += r->stage_gpus * rs_inf__stage_seconds(r->cost, s, st) * busy;
  if (r->batch[v].epoch != r->epoch) {
    w->res.lost_work_j += joules;
    return;
  }
  const rs_inf_kv_t* kv = &r->kv[v];
  double tokens         = 0;
  for (int k = 0; k < kv->n_run; k++)
    tokens += w->reqs[kv->run[k]].n_step;
  for (int k = 0; k < kv->n_run && tokens > 0; k++)
    w->reqs[kv->run[k]].work_j += joules * w->reqs[kv->run[k]].n_step / tokens;
}

/* Applies virtual engine v's step st, ended now: every scheduled request advances by its tokens;
 * finished ones leave, and on a prefill replica so do those with their first token, toward a decode
 * replica. The tokens it produced go on the workload's record (the steady window's). */
static void apply_step(rs_inf_replica_t* r, int v, const rs_inf_step_t* st, double now)
{
  rs_inf_wl_t* w = r->w;
  if (w->run->faults)
    count_step_work(r, v, st);
  if (r->batch[v].epoch != r->epoch)
    return;                           /* the replica failed during the step: its requests left it (inf_faults.c) */
  if (r->cap_left < r->kv[v].n_run) { /* room for every running request to leave */
    r->cap_left = r->kv[v].cap_run;
    r->left     = xbt_realloc(r->left, r->cap_left * sizeof *r->left);
  }
  int* left = r->left;
  int n     = rs_inf__kv_advance(&r->kv[v], w->reqs, now, r->role == RS_INF_PREFILL, left);
  rs_inf__made(w, now, st->produced);
  r->batch[v].steps++;
  for (int k = 0; k < n; k++) {
    rs_inf_req_t* q = &w->reqs[left[k]];
    rs_inf__router_add(&w->router, r->id, -q->routed);
    rs_inf__router_seat(&w->router, r->id, -1);
    if (q->generated == q->output) {
      q->finish = now;
      rs_inf__finish(w, left[k]);
    } else {
      rs_inf__hand_off(r, left[k], now);
    }
  }
}

/* Schedules virtual engine v's next step at time now into its batch; notes when the replica last
 * admitted a request and when each of its engines first ran a full batch (the steady window). */
static const rs_inf_step_t* schedule_step(rs_inf_replica_t* r, int v, double now)
{
  rs_inf_wl_t* w    = r->w;
  rs_inf_kv_t* kv   = &r->kv[v];
  rs_inf_batch_t* b = &r->batch[v];
  int waiting       = kv->waiting.n;
  b->st             = (rs_inf_step_t){0};
  rs_inf__kv_schedule(kv, w->reqs, now, &b->st);
  xbt_assert(b->st.seqs > 0, "replica %d scheduled nothing with %d running and %d waiting", r->id, kv->n_run,
             kv->waiting.n);
  w->res.preemptions += b->st.preempted;
  r->sample.preemptions += b->st.preempted;
  if (waiting + b->st.preempted > kv->waiting.n)
    r->last_admit = now;
  if (!b->was_full && rs_inf__kv_full(kv, w->reqs)) {
    b->was_full = 1;
    if (++r->n_full == r->n_ve)
      r->first_full = now;
  }
  b->start = now;
  b->used  = kv->total_blocks - kv->free_blocks;
  b->epoch = r->epoch;
  return &b->st;
}

/* ---- runs of identical decode steps ------------------------------------------------------------------ */

#define RS_FF_MAX_STEPS 4096 /* steps timed ahead at most, to bound the work lost to an early arrival */

/* A run of identical decode steps, timed ahead. */
typedef struct decode_run {
  int steps;
  int seqs;    /* sequences, each decoding one token per step */
  double work; /* seconds of work of every GPU over the steps */
  double ends[RS_FF_MAX_STEPS];
} decode_run_t;

/* Whether a run of decode steps of n sequences may be timed ahead and run as one. On one GPU, a run is
 * the GPU's work alone, without a pause: an arrival cuts it exactly at the end of a step. On several,
 * the run's work executes first, then its collectives cross the links as one (rs_coll_run_n): the
 * same time, bytes and energy as step by step only when no other traffic can share the replica's links
 * (neither hand-offs of disaggregated serving, nor calls of other workloads, nor network links across
 * domains) and no request can come at a time not known ahead; their time is that of a step of n tokens
 * measured on the links before (the memo). */
static int run_allowed(const rs_inf_replica_t* r, int n)
{
  const rs_inf_wl_t* w = r->w;
  if (r->n_gpus == 1)
    return 1;
  return r->memo && n < r->memo_n && !isnan(r->memo[n]) && r->role == RS_INF_MIXED && w->calls.clients_left == 0;
}

/* Seconds of work of a decode step of n sequences reading `cached` tokens, on each GPU of the stage. */
static double decode_work_s(const rs_inf_replica_t* r, int n, double cached)
{
  rs_inf_step_t st = {.tokens = n, .pairs = cached, .kv_read = cached, .produced = n, .seqs = n};
  return rs_inf__stage_seconds(r->cost, 0, &st);
}

/* Plans the decode steps that can run with nothing but contexts changing (rs_inf__kv_decode_steps) from
 * now, each ending at run->ends[]: on several GPUs, only up to the step in progress when the next of the
 * workload's own requests arrives (which a run of them could not stop for). 0 steps when none can. */
static void plan_decode_run(const rs_inf_replica_t* r, double now, decode_run_t* run)
{
  const rs_inf_wl_t* w = r->w;
  int n                = r->kv->n_run;
  run->steps           = 0; /* not a compound literal: that would clear all of ends[] (32 KB) each time */
  run->seqs            = n;
  run->work            = 0;
  if (r->n_ve > 1 || n == 0 || !run_allowed(r, n))
    return;
  double cached, t = now, cut = r->n_gpus > 1 ? w->next_arrival : INFINITY;
  int k = rs_inf__kv_decode_steps(r->kv, w->reqs, RS_FF_MAX_STEPS, &cached);
  for (int j = 0; j < k && (j == 0 || run->ends[j - 1] <= cut); j++) {
    double work = decode_work_s(r, n, cached + (double)j * n);
    run->work += work;
    t += r->memo ? work + r->memo[n] : work; /* run_allowed: memo[n] is measured */
    run->ends[run->steps++] = t;
  }
}

/* One GPU's run: one execution of the run's work, cut short at the end of the step in progress when a
 * request arrives (the GPU has then done exactly the steps done: it works without a pause). Returns
 * the steps done. */
static int run_on_one_gpu(rs_inf_replica_t* r, double now, const decode_run_t* run)
{
  int k          = run->steps;
  sg_exec_t exec = gpu_exec_start(r, 0, run->work);
  r->idle        = 1; /* an arrival wakes us, as when idle */
  int woken      = sg_sem_acquire_timeout(r->wake, run->ends[k - 1] - now) == 0;
  r->idle        = 0;
  int done       = k;
  if (woken) {
    double t = simgrid_get_clock();
    for (done = 1; done < k && run->ends[done - 1] <= t; done++)
      ;
    sg_actor_sleep_until(run->ends[done - 1]);
  }
  if (!sg_exec_test(exec)) /* the rest of the run's work, or a rounding's worth of it */
    sg_exec_cancel(exec);
  return done;
}

/* Several GPUs' run: every GPU executes the run's work, then the stage runs the collectives of all its
 * steps as one, on the real links. */
static int run_on_the_stage(rs_inf_replica_t* r, const decode_run_t* run)
{
  const rs_inf_wl_t* w = r->w;
  rs_inf_pipe_t* p     = &r->pipe[0];
  stage_execute(r, 0, run->work);
  p->tp_bytes  = (double)run->seqs / r->lay->ep * act_bytes(w);
  p->ep_bytes  = p->tp_bytes * w->m->experts_per_token;
  p->run_steps = run->steps;
  stage_sync(r, 0);
  p->run_steps = 1;
  if (simgrid_get_clock() < run->ends[run->steps - 1])
    sg_actor_sleep_until(run->ends[run->steps - 1]); /* rounding */
  return run->steps;
}

/* Runs a planned series of two or more decode steps as one, then applies each step done, as run_step and
 * apply_step would have. Returns 0 when no such series is possible. */
static int fast_forward(rs_inf_replica_t* r)
{
  double now        = simgrid_get_clock();
  decode_run_t* run = xbt_new(decode_run_t, 1);
  plan_decode_run(r, now, run);
  if (run->steps < 2) {
    free(run);
    return 0;
  }
  r->batch[0].epoch = r->epoch;
  int done          = r->n_gpus == 1 ? run_on_one_gpu(r, now, run) : run_on_the_stage(r, run);
  trace_op(r, 0, "compute", 0, now, NAN);
  double start = now;
  for (int j = 0; j < done; j++) {
    rs_inf_step_t st = {0};
    rs_inf__kv_decode(r->kv, r->w->reqs, &st);
    double used = r->kv->total_blocks - r->kv->free_blocks;
    apply_step(r, 0, &st, run->ends[j]);
    account(r, start, run->ends[j], 1, st.seqs, used);
    start = run->ends[j];
  }
  free(run);
  return 1;
}

/* ---- the serving loop ---------------------------------------------------------------------------------- */

/* Sleeps idle until woken, the time since `now` accounted as idle; returns 1. */
static int sleep_idle(rs_inf_replica_t* r, double now)
{
  r->idle = 1;
  sg_sem_acquire(r->wake);
  account(r, now, simgrid_get_clock(), 0, 0, blocks_used(r));
  return 1;
}

/* Sleeps until a request comes; 0 when none will come any more (the replica is done). */
static int wait_for_work(rs_inf_replica_t* r, double now)
{
  const rs_inf_wl_t* w = r->w;
  /* under failures a replica may still be sent requests of one that failed, until every one is served */
  if (r->role == RS_INF_DECODE || w->run->faults ? rs_inf__all_served(w) : w->arrivals_done)
    return 0;
  return sleep_idle(r, now);
}

/* A replica that is down runs nothing: it sleeps until its repair, or a request routed to it while
 * every replica is down; 0 once every request is served. */
static int wait_for_repair(rs_inf_replica_t* r, double now)
{
  return rs_inf__all_served(r->w) ? 0 : sleep_idle(r, now);
}

/* Schedules, runs and applies one step of a replica of one virtual engine. */
static void one_step(rs_inf_replica_t* r, double now)
{
  const rs_inf_step_t* st = schedule_step(r, 0, now);
  run_step(r, st);
  double end = simgrid_get_clock();
  apply_step(r, 0, st, end);
  account(r, now, end, 1, st->seqs, r->batch[0].used);
}

/* Whether virtual engine v of r has requests to serve. */
static int has_work(const rs_inf_replica_t* r, int v)
{
  return r->kv[v].n_run > 0 || r->kv[v].waiting.n > 0;
}

/* A replica of one virtual engine: one step after another, or a run of decode steps as one. */
static void step_loop(rs_inf_replica_t* r)
{
  for (;;) {
    double now = simgrid_get_clock();
    if (rs_inf__down(r)) {
      if (!wait_for_repair(r, now))
        return;
    } else if (!has_work(r, 0)) {
      if (!wait_for_work(r, now))
        return;
    } else if (!fast_forward(r)) {
      one_step(r, now);
    }
  }
}

/* A pipelined replica's scheduler: applies the batches that came back from the last stage, schedules a
 * batch for every virtual engine that has none in flight and has requests, puts it into the first
 * stage's inbox, and sleeps until a batch comes back or a request arrives; replicas.csv counts the
 * replica busy while a batch is in flight, with the sequences of every batch in flight. */
static void pipeline_loop(rs_inf_replica_t* r)
{
  int in_flight = 0;
  for (;;) {
    double now = simgrid_get_clock();
    while (r->done.n > 0) {
      int v = rs_inf__q_front(&r->done);
      rs_inf__q_pop_front(&r->done);
      apply_step(r, v, &r->batch[v].st, now);
      r->batch[v].in_flight = 0;
      in_flight--;
    }
    int seqs = 0;
    for (int v = 0; v < r->n_ve; v++) {
      rs_inf_batch_t* b = &r->batch[v];
      if (!b->in_flight && has_work(r, v) && !rs_inf__down(r)) {
        schedule_step(r, v, now);
        b->in_flight = 1;
        in_flight++;
        rs_inf__q_push_back(&r->pipe[0].inbox, v);
        sg_sem_release(r->pipe[0].ready);
      }
      seqs += b->in_flight ? b->st.seqs : 0;
    }
    if (in_flight == 0) {
      if (!(rs_inf__down(r) ? wait_for_repair(r, now) : wait_for_work(r, now)))
        return;
      continue;
    }
    double used = blocks_used(r);
    r->idle     = 1;
    sg_sem_acquire(r->wake);
    account(r, now, simgrid_get_clock(), 1, seqs, used);
  }
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
  if (r->n_ve > 1)
    pipeline_loop(r);
  else
    step_loop(r);
  double end = simgrid_get_clock();
  if (end > r->sample.t0)
    sample_row(r, end);
  r->quit = 1;
  for (int k = 0; k < r->n_helpers; k++)
    sg_sem_release(r->helpers[k].go);
  for (int s = 0; s < r->lay->pp && r->n_ve > 1; s++)
    sg_sem_release(r->pipe[s].ready);
  if (--w->replicas_left == 0)
    rs_inf__summarize(w);
}
