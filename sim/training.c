/* training.c -- the training workload: iterations of an LLM's training step on a TP/CP/EP/DP/PP layout,
 * one actor per GPU running the 1F1B pipeline schedule (compute per layer from model.c and compute.c,
 * TP/CP/EP collectives per layer, activations and gradients sent between stages), plus one actor per
 * GPU reducing gradients over DP bucket by bucket during the last backward pass. This is the faithful
 * form: every rank and every collective step. Interleaved stages and the aggregated form for very
 * large runs are not here yet. See LICENSE. */
#include "collectives.h"
#include "compute.h"
#include "layout.h"
#include "workload_int.h"

#include <math.h>
#include <simgrid/actor.h>
#include <simgrid/barrier.h>
#include <simgrid/comm.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/mailbox.h>
#include <stdlib.h>
#include <string.h>
#include <xbt/log.h>
#include <xbt/misc.h>
#include <xbt/sysdep.h>

XBT_LOG_NEW_DEFAULT_SUBCATEGORY(rs_training, racksim, "training workload");

/* Where a rank's time goes; the parts add up to its step. */
typedef struct times {
  double compute, comm, bubble, optimizer;
} times_t;

typedef struct train_wl {
  rs_run_t* run;
  const rs_sc_workload_t* wl;
  const rs_sc_training_t* cfg;
  rs_wl_summary_t* sum;
  rs_layout_t lay;
  int n;
  const rs_gpu_t** gpus;
  rs_comm_t **tp, **cp, **dp, **ep; /* per group; a rank finds its group with group_of() */
  sg_bar_t barrier;
  times_t total;      /* summed over ranks, this iteration */
  double finish_sum;  /* sum over ranks of the time each finished its iteration */
  double step_sum;    /* over iterations, for the summary */
} train_wl_t;

typedef struct train_rank {
  train_wl_t* w;
  int rank;
  rs_coords_t c;
  const rs_gpu_t* gpu;
  times_t t;
  sg_mailbox_t from_prev, from_next; /* activations arrive from the previous stage, gradients from the next */
  sg_mailbox_t dp_work, dp_done;     /* to and from this rank's gradient-reduction actor */
} train_rank_t;

typedef enum { DP_BUCKET, DP_FLUSH, DP_QUIT } dp_kind_t;
typedef struct dp_msg {
  dp_kind_t kind;
  double bytes;
} dp_msg_t;

static char token; /* payload of pipeline messages: their data is not simulated */

/* ---- groups ------------------------------------------------------------------------------------ */

/* Group index and rank within the group along one dimension of the layout. */
static int group_of(const rs_layout_t* l, rs_coords_t c, char dim, int* pos)
{
  switch (dim) {
    case 't':
      *pos = c.tp;
      return (c.pp * l->dp + c.dp) * l->cp + c.cp;
    case 'c':
      *pos = c.cp;
      return (c.pp * l->dp + c.dp) * l->tp + c.tp;
    case 'd':
      *pos = c.dp;
      return (c.pp * l->cp + c.cp) * l->tp + c.tp;
    default: /* 'e': blocks of ep consecutive DP ranks */
      *pos = c.dp % l->ep;
      return ((c.pp * (l->dp / l->ep) + c.dp / l->ep) * l->cp + c.cp) * l->tp + c.tp;
  }
}

static rs_comm_t** make_groups(train_wl_t* w, char dim, int size)
{
  int count          = w->n / size;
  rs_comm_t** groups = xbt_new0(rs_comm_t*, count);
  const rs_gpu_t** members = xbt_new(const rs_gpu_t*, size);
  for (int g = 0; g < count; g++) {
    int found = 0;
    for (int r = 0; r < w->n && found < size; r++) {
      int pos;
      if (group_of(&w->lay, rs_layout_coords(&w->lay, r), dim, &pos) == g)
        members[pos] = w->gpus[r], found++;
    }
    char* name = bprintf("%s:%c%d", w->wl->name, dim, g);
    groups[g]  = rs_comm_new(name, members, size);
    free(name);
  }
  free(members);
  return groups;
}

static void free_groups(rs_comm_t** groups, int count)
{
  for (int g = 0; groups && g < count; g++)
    rs_comm_free(groups[g]);
  free(groups);
}

/* ---- the per-rank costs of one micro-batch ------------------------------------------------------ */

static double tokens_per_gpu(const train_wl_t* w)
{
  return (double)w->lay.micro_batch * w->cfg->model.seq_len / (w->lay.tp * w->lay.cp);
}

/* Sequence-parallel activations of one micro-batch on one GPU, 2 bytes per value. */
static double activation_bytes(const train_wl_t* w) { return tokens_per_gpu(w) * w->cfg->model.hidden * 2; }

static void compute(train_rank_t* me, double flops, double bytes)
{
  double t = rs_gpu_seconds(me->gpu->model, me->w->cfg->precision, flops, bytes);
  sg_actor_execute(t * sg_host_get_speed(me->gpu->host));
  me->t.compute += t;
}

static void collective(train_rank_t* me, char dim, rs_coll_op_t op, double bytes)
{
  const rs_layout_t* l = &me->w->lay;
  rs_comm_t** groups   = dim == 't' ? me->w->tp : dim == 'c' ? me->w->cp : dim == 'd' ? me->w->dp : me->w->ep;
  int pos;
  rs_comm_t* comm = groups[group_of(l, me->c, dim, &pos)];
  if (rs_comm_size(comm) < 2)
    return;
  double t0 = simgrid_get_clock();
  rs_coll_run(comm, pos, op, rs_coll_choose(comm, op, bytes), bytes);
  me->t.comm += simgrid_get_clock() - t0;
}

/* One transformer layer, forward (backward = 1) or the forward recomputed for it. */
static void layer_pass(train_rank_t* me, int layer, int backward)
{
  const train_wl_t* w  = me->w;
  const rs_model_t* m  = &w->cfg->model;
  double tokens        = tokens_per_gpu(w);
  double fwd           = rs_model_layer_fwd_flops(m, layer) * tokens;
  double weights       = rs_model_layer_params(m, layer) / w->lay.tp * 2;
  double act           = activation_bytes(w);
  int collectives      = 1 + (backward && w->lay.recompute == RS_RECOMPUTE_FULL); /* recompute repeats them */
  double flops         = backward ? 2 * fwd : fwd;
  if (backward && w->lay.recompute == RS_RECOMPUTE_FULL)
    flops += fwd;
  else if (backward && w->lay.recompute == RS_RECOMPUTE_SELECTIVE)
    flops += rs_model_attn_score_fwd_flops(m) * tokens;
  if (w->lay.zero == 3) /* FSDP gathers the layer's weights before using them */
    collective(me, 'd', RS_OP_ALLGATHER, weights);
  compute(me, flops, weights + 34 * act);
  for (int k = 0; k < collectives; k++) {
    /* Megatron sequence parallelism: all-gather before attention and MLP, reduce-scatter after. */
    for (int j = 0; j < 2; j++) {
      collective(me, 't', RS_OP_ALLGATHER, act * w->lay.tp);
      collective(me, 't', RS_OP_REDUCESCATTER, act * w->lay.tp);
    }
    /* Context parallelism: keys and values of the whole sequence, gathered (reduced going back). */
    double kv = 2.0 * m->kv_heads * (m->hidden / m->heads) * tokens * w->lay.tp * 2 / w->lay.tp;
    collective(me, 'c', backward ? RS_OP_REDUCESCATTER : RS_OP_ALLGATHER, kv * w->lay.cp);
    /* Expert parallelism: tokens dispatched to their experts and combined back. */
    if (m->experts > 0 && layer >= m->dense_layers)
      for (int j = 0; j < 2; j++)
        collective(me, 'e', RS_OP_ALLTOALL, act * m->experts_per_token);
  }
  if (backward && w->lay.zero == 3)
    collective(me, 'd', RS_OP_REDUCESCATTER, weights);
}

/* ---- the 1F1B schedule ------------------------------------------------------------------------- */

static int first_layer(const train_rank_t* me) { return rs_layout_stage_first_layer(&me->w->lay, &me->w->cfg->model, me->c.pp); }
static int n_layers(const train_rank_t* me) { return rs_layout_stage_layers(&me->w->lay, &me->w->cfg->model, me->c.pp); }

static void wait_for(train_rank_t* me, sg_mailbox_t box)
{
  double t0 = simgrid_get_clock();
  sg_mailbox_get(box);
  me->t.bubble += simgrid_get_clock() - t0;
}

static void send_to(const train_rank_t* me, int stage, int backward)
{
  rs_coords_t c = me->c;
  c.pp          = stage;
  char* name    = bprintf("%s:r%d:%s", me->w->wl->name, rs_layout_rank(&me->w->lay, c), backward ? "grad" : "act");
  sg_comm_t comm = sg_mailbox_put_init(sg_mailbox_by_name(name), &token, (long)activation_bytes(me->w));
  free(name);
  sg_comm_detach(comm, NULL);
}

static void forward(train_rank_t* me)
{
  const train_wl_t* w = me->w;
  if (me->c.pp > 0)
    wait_for(me, me->from_prev);
  for (int i = first_layer(me); i < first_layer(me) + n_layers(me); i++)
    layer_pass(me, i, 0);
  if (me->c.pp == w->lay.pp - 1) /* output layer and loss */
    compute(me, rs_model_logits_fwd_flops(&w->cfg->model) * tokens_per_gpu(w), 0);
  else
    send_to(me, me->c.pp + 1, 0);
}

/* Backward of one micro-batch; on the last one, each layer's gradients go to DP reduction as done. */
static void backward(train_rank_t* me, int last)
{
  const train_wl_t* w = me->w;
  if (me->c.pp < w->lay.pp - 1)
    wait_for(me, me->from_next);
  else
    compute(me, 2 * rs_model_logits_fwd_flops(&w->cfg->model) * tokens_per_gpu(w), 0);
  for (int i = first_layer(me) + n_layers(me) - 1; i >= first_layer(me); i--) {
    layer_pass(me, i, 1);
    if (last && w->lay.dp > 1 && w->lay.zero < 3 && w->cfg->dp_overlap) {
      dp_msg_t* msg = xbt_new(dp_msg_t, 1);
      *msg          = (dp_msg_t){DP_BUCKET, rs_model_layer_params(&w->cfg->model, i) / w->lay.tp * 2};
      sg_mailbox_put(me->dp_work, msg, 0);
    }
  }
  if (me->c.pp > 0)
    send_to(me, me->c.pp - 1, 1);
}

static void run_1f1b(train_rank_t* me)
{
  int M      = me->w->lay.n_micro;
  int warmup = me->w->lay.pp - me->c.pp - 1;
  if (warmup > M)
    warmup = M;
  int done_bwd = 0;
  for (int i = 0; i < warmup; i++)
    forward(me);
  for (int i = warmup; i < M; i++) {
    forward(me);
    backward(me, ++done_bwd == M);
  }
  while (done_bwd < M)
    backward(me, ++done_bwd == M);
}

/* ---- gradients and optimizer ------------------------------------------------------------------- */

/* bf16 bytes of the parameters this GPU holds (and of their gradients, reduced in bf16). */
static double stage_weight_bytes(const train_rank_t* me)
{
  return 2 * rs_layout_stage_params(&me->w->lay, &me->w->cfg->model, me->c.pp);
}

/* Reduces this rank's gradient buckets over its DP group, one at a time, as the compute actor sends them. */
static void dp_reducer(int argc, char** argv)
{
  train_rank_t* me = sg_actor_self_get_data();
  rs_coll_op_t op  = me->w->lay.zero >= 1 ? RS_OP_REDUCESCATTER : RS_OP_ALLREDUCE;
  for (;;) {
    dp_msg_t* msg  = sg_mailbox_get(me->dp_work);
    dp_kind_t kind = msg->kind;
    if (kind == DP_BUCKET) {
      int pos;
      rs_comm_t* comm = me->w->dp[group_of(&me->w->lay, me->c, 'd', &pos)];
      rs_coll_run(comm, pos, op, rs_coll_choose(comm, op, msg->bytes), msg->bytes);
    }
    free(msg);
    if (kind == DP_QUIT)
      return;
    if (kind == DP_FLUSH)
      sg_mailbox_put(me->dp_done, &token, 0);
  }
}

/* Waits for the gradient reduction (or runs it, without overlap), then the optimizer step. */
static void finish_step(train_rank_t* me)
{
  train_wl_t* w = me->w;
  if (w->lay.dp > 1 && w->lay.zero < 3) {
    double t0 = simgrid_get_clock();
    if (!w->cfg->dp_overlap)
      collective(me, 'd', w->lay.zero >= 1 ? RS_OP_REDUCESCATTER : RS_OP_ALLREDUCE, stage_weight_bytes(me));
    dp_msg_t* msg = xbt_new(dp_msg_t, 1);
    *msg          = (dp_msg_t){DP_FLUSH, 0};
    sg_mailbox_put(me->dp_work, msg, 0);
    sg_mailbox_get(me->dp_done);
    if (w->cfg->dp_overlap)
      me->t.comm += simgrid_get_clock() - t0;
  }
  /* Adam over this GPU's shard: 30 bytes of HBM traffic per parameter (fp32 master, moments, gradient
   * read and written, bf16 weight written), no matmul. */
  double params = stage_weight_bytes(me) / 2 / (w->lay.zero >= 1 ? w->lay.dp * w->lay.cp : 1);
  double t      = rs_gpu_seconds(me->gpu->model, RS_PREC_BF16, 0, 30 * params);
  sg_actor_execute(t * sg_host_get_speed(me->gpu->host));
  me->t.optimizer += t;
  if (w->lay.zero == 1 || w->lay.zero == 2) /* distributed optimizer: gather the updated weights */
    collective(me, 'd', RS_OP_ALLGATHER, stage_weight_bytes(me));
}

/* ---- iterations -------------------------------------------------------------------------------- */

static const rs_col_t iteration_cols[] = {
    {"workload", RS_COL_TEXT},     {"iteration", RS_COL_INT},      {"start_s", RS_COL_NUM},
    {"end_s", RS_COL_NUM},         {"step_s", RS_COL_NUM},         {"tokens_per_s", RS_COL_NUM},
    {"tflops_per_gpu", RS_COL_NUM}, {"hw_tflops_per_gpu", RS_COL_NUM}, {"mfu", RS_COL_NUM},
    {"compute_s", RS_COL_NUM},     {"comm_exposed_s", RS_COL_NUM}, {"bubble_s", RS_COL_NUM},
    {"optimizer_s", RS_COL_NUM},
};

static void record_iteration(train_wl_t* w, int it, double t0, double t1)
{
  const rs_model_t* m = &w->cfg->model;
  double step         = t1 - t0;
  double tokens       = (double)w->lay.global_batch * m->seq_len;
  double model_tf     = tokens * rs_model_train_flops_per_token(m) / step / w->n / 1e12;
  double hw_tf        = tokens * rs_model_train_hw_flops_per_token(m, w->lay.recompute) / step / w->n / 1e12;
  double peak         = w->gpus[0]->model->peak_flops[w->cfg->precision] / 1e12;
  rs_table_t* t       = w->run->iterations;
  rs_cell_text(t, w->wl->name);
  rs_cell_int(t, it);
  rs_cell_num(t, t0);
  rs_cell_num(t, t1);
  rs_cell_num(t, step);
  rs_cell_num(t, tokens / step);
  rs_cell_num(t, model_tf);
  rs_cell_num(t, hw_tf);
  rs_cell_num(t, model_tf / peak);
  rs_cell_num(t, w->total.compute / w->n);
  rs_cell_num(t, w->total.comm / w->n);
  /* waiting at the end of the step for the slowest rank counts as bubble too */
  double bubble = (w->total.bubble + w->n * t1 - w->finish_sum) / w->n;
  rs_cell_num(t, bubble > 1e-12 * step ? bubble : 0); /* no rounding residue */
  rs_cell_num(t, w->total.optimizer / w->n);
  rs_row_end(t);
  rs_run_event(w->run, t0, t1, w->wl->name, "iteration", m->name);
  w->step_sum += step;
  w->sum->operations++;
  w->sum->tokens_per_s   = tokens * w->sum->operations / w->step_sum;
  w->sum->tflops_per_gpu = model_tf;
  w->sum->mfu            = model_tf / peak;
  memset(&w->total, 0, sizeof w->total);
  w->finish_sum = 0;
  rs_run_progress(w->run, 1);
}

/* One GPU of the job: each iteration, run its pipeline stage's 1F1B schedule, finish the step, and
 * line up with every other GPU; rank 0 writes the iteration's row. */
static void train_rank(int argc, char** argv)
{
  train_rank_t* me = sg_actor_self_get_data();
  train_wl_t* w    = me->w;
  sg_actor_sleep_until(w->wl->start_s);
  for (int it = 0; it < w->cfg->iterations; it++) {
    sg_barrier_wait(w->barrier);
    double t0 = simgrid_get_clock();
    memset(&me->t, 0, sizeof me->t);
    run_1f1b(me);
    finish_step(me);
    w->total.compute += me->t.compute;
    w->total.comm += me->t.comm;
    w->total.bubble += me->t.bubble;
    w->total.optimizer += me->t.optimizer;
    w->finish_sum += simgrid_get_clock();
    sg_barrier_wait(w->barrier);
    if (me->rank == 0)
      record_iteration(w, it, t0, simgrid_get_clock());
    sg_barrier_wait(w->barrier); /* rank 0 has read the totals before anyone adds to them again */
  }
  if (w->lay.dp > 1) {
    dp_msg_t* msg = xbt_new(dp_msg_t, 1);
    *msg          = (dp_msg_t){DP_QUIT, 0};
    sg_mailbox_put(me->dp_work, msg, 0);
  }
  if (me->rank == 0) {
    w->sum->end_s    = simgrid_get_clock();
    w->sum->finished = 1;
  }
  free(me);
}

/* ---- workload entry points --------------------------------------------------------------------- */

static int n_ranks(const rs_run_t* run, const rs_sc_workload_t* wl)
{
  return wl->u.train.gpus > 0 ? wl->u.train.gpus : run->plat->n_gpus - wl->first_gpu;
}

int rs_wl__training_check(rs_run_t* run, int i, rs_err_t* err)
{
  rs_sc_workload_t* wl  = &run->sc->workloads[i];
  rs_sc_training_t* cfg = &wl->u.train;
  const rs_platform_t* p = run->plat;
  char key[64];
  snprintf(key, sizeof key, "workloads[%d].gpus", i);
  int n = n_ranks(run, wl), first = wl->first_gpu;
  if (p->n_gpus == 0 || n < 1 || first + n > p->n_gpus)
    return rs_scenario_err(run->sc, err, key, "expected at most the platform's %d GPUs, got %d", p->n_gpus - first, n);
  rs_err_t why;
  snprintf(key, sizeof key, "workloads[%d]", i);
  if (rs_layout_resolve(&cfg->layout, &cfg->model, n, &why) != RS_OK)
    return rs_scenario_err(run->sc, err, key, "this layout cannot run: %s", why.msg);
  const rs_gpu_model_t* gpu = p->gpus[0].model;
  if (gpu->peak_flops[cfg->precision] <= 0)
    return rs_scenario_err(run->sc, err, key, "precision %s: %s GPUs have no %s units", rs_prec_name(cfg->precision),
                           gpu->name, rs_prec_name(cfg->precision));
  for (int r = 0; r < n && !cfg->tp_across_domains; r++)
    if (p->gpus[first + r].domain != p->gpus[first + r - r % cfg->layout.tp].domain)
      return rs_scenario_err(run->sc, err, key,
                             "tp = %d crosses an NVLink domain (GPUs %d and %d): choose a tp that divides the domain "
                             "size %d, or set tp_across_domains: true",
                             cfg->layout.tp, r - r % cfg->layout.tp, r, rs_platform_domain_size(p, 0));
  int stage;
  rs_mem_t mem = rs_layout_train_memory_max(&cfg->layout, &cfg->model, &stage);
  if (mem.total > gpu->hbm_bytes)
    return rs_scenario_err(run->sc, err, key,
                           "needs %.0f GB per GPU (stage %d: weights %.1f, gradients %.1f, optimizer %.1f, activations "
                           "%.1f GB), %s has %.0f GB",
                           mem.total / 1e9, stage, mem.weights / 1e9, mem.grads / 1e9, mem.optimizer / 1e9,
                           mem.activations / 1e9, gpu->name, gpu->hbm_bytes / 1e9);
  return RS_OK;
}

static train_rank_t* rank_new(train_wl_t* w, int r)
{
  train_rank_t* me = xbt_new0(train_rank_t, 1);
  me->w            = w;
  me->rank         = r;
  me->c            = rs_layout_coords(&w->lay, r);
  me->gpu          = w->gpus[r];
  char* name       = bprintf("%s:r%d:act", w->wl->name, r);
  me->from_prev    = sg_mailbox_by_name(name);
  free(name);
  name          = bprintf("%s:r%d:grad", w->wl->name, r);
  me->from_next = sg_mailbox_by_name(name);
  free(name);
  name        = bprintf("%s:r%d:dp", w->wl->name, r);
  me->dp_work = sg_mailbox_by_name(name);
  free(name);
  name        = bprintf("%s:r%d:dpdone", w->wl->name, r);
  me->dp_done = sg_mailbox_by_name(name);
  free(name);
  return me;
}

int rs_wl__training_start(rs_run_t* run, int i, rs_err_t* err)
{
  if (run->iterations == NULL &&
      (run->iterations = rs_run_table(run, "iterations", iteration_cols,
                                      (int)(sizeof iteration_cols / sizeof iteration_cols[0]), err)) == NULL)
    return RS_ERR;
  train_wl_t* w = xbt_new0(train_wl_t, 1);
  w->run        = run;
  w->wl         = &run->sc->workloads[i];
  w->cfg        = &w->wl->u.train;
  w->sum        = &run->summaries[i];
  w->lay        = w->cfg->layout;
  w->n          = n_ranks(run, w->wl);
  w->gpus       = xbt_new(const rs_gpu_t*, w->n);
  for (int r = 0; r < w->n; r++)
    w->gpus[r] = &run->plat->gpus[w->wl->first_gpu + r];
  w->tp          = make_groups(w, 't', w->lay.tp);
  w->cp          = make_groups(w, 'c', w->lay.cp);
  w->dp          = make_groups(w, 'd', w->lay.dp);
  w->ep          = make_groups(w, 'e', w->lay.ep);
  w->barrier     = sg_barrier_init(w->n);
  run->states[i] = w;
  w->sum->gpus    = w->n;
  w->sum->start_s = w->wl->start_s;
  run->work_total += w->cfg->iterations;
  for (int r = 0; r < w->n; r++) {
    train_rank_t* me = rank_new(w, r);
    char* name       = bprintf("%s-r%d", w->wl->name, r);
    sg_actor_t a     = sg_actor_init(name, me->gpu->host);
    sg_actor_set_data(a, me);
    sg_actor_start(a, train_rank, 0, NULL);
    if (w->lay.dp > 1) { /* the reducer shares the rank's context; the rank frees it last */
      char* dp_name = bprintf("%s-r%d-dp", w->wl->name, r);
      sg_actor_t d  = sg_actor_init(dp_name, me->gpu->host);
      sg_actor_set_data(d, me);
      sg_actor_daemonize(d);
      sg_actor_start(d, dp_reducer, 0, NULL);
      free(dp_name);
    }
    free(name);
  }
  return RS_OK;
}

void rs_wl__training_free(void* state)
{
  train_wl_t* w = state;
  if (w == NULL)
    return;
  free_groups(w->tp, w->n / w->lay.tp);
  free_groups(w->cp, w->n / w->lay.cp);
  free_groups(w->dp, w->n / w->lay.dp);
  free_groups(w->ep, w->n / w->lay.ep);
  if (w->barrier)
    sg_barrier_destroy(w->barrier);
  free(w->gpus);
  free(w);
}

void rs_wl__training_report(const rs_run_t* run, int i, FILE* fp)
{
  const rs_sc_workload_t* wl = &run->sc->workloads[i];
  const rs_sc_training_t* c  = &wl->u.train;
  const rs_wl_summary_t* s   = &run->summaries[i];
  fprintf(fp, "  %s (training): %s on %d GPUs, TP%d CP%d EP%d PP%d DP%d, %s, %s recomputation, global batch %d\n",
          wl->name, c->model.name, s->gpus, c->layout.tp, c->layout.cp, c->layout.ep, c->layout.pp, c->layout.dp,
          rs_prec_name(c->precision), rs_recompute_name(c->layout.recompute), c->layout.global_batch);
  fprintf(fp, "    %lld iterations: %.0f tokens/s, %.0f TFLOP/s per GPU (MFU %.1f%%)\n", s->operations, s->tokens_per_s,
          s->tflops_per_gpu, 100 * s->mfu);
}
