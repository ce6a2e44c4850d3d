/* training.c -- the training workload: iterations of an LLM's training step on a TP/CP/EP/DP/PP layout,
 * one actor per GPU running the 1F1B pipeline schedule (compute per layer from model.c and compute.c,
 * TP/CP/EP collectives per layer, activations and gradients sent between stages), plus one actor per
 * GPU reducing gradients over DP bucket by bucket during the last backward pass. Two modes: faithful
 * (every rank and every collective step) and aggregated, for very large runs: only the ranks of the
 * first ep DP replicas run (the live ranks: every TP, CP, EP and DP group holds some), collectives run
 * in their grouped form (collectives.h), and every send of the other replicas that crosses a shared
 * link where a simulated flow can be slowed (an oversubscribed uplink, the WAN: flows.h) is simulated
 * too, so those links carry what they would carry in the whole job. With vp > 1 the schedule is
 * Megatron's interleaved 1F1B over virtual stages. See LICENSE. */
#include "net/net.h"
#include "model/model.h"
#include "wl/wl_int.h"

#include <math.h>
#include <simgrid/actor.h>
#include <simgrid/barrier.h>
#include <simgrid/comm.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/mailbox.h>
#include <stddef.h>
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

/* Its columns of summary.csv. */
typedef struct train_summary {
  double tokens_per_s;     /* mean over iterations */
  double tflops_per_gpu;   /* model FLOPs, last iteration */
  double mfu;              /* of the dense peak of the training precision, last iteration */
  double energy_j;         /* joules of its GPUs from its start to its end */
  double joules_per_token; /* energy_j over the tokens trained */
} train_summary_t;

typedef struct train_wl {
  rs_run_t* run; /* set by start */
  const rs_sc_workload_t* wl;
  const rs_sc_training_t* cfg;
  rs_wl_row_t* row;
  train_summary_t sum;
  rs_table_t* iterations;
  rs_layout_t lay; /* the scenario's, resolved: dp and n_micro derived */
  int aggregated;
  int n;
  const rs_gpu_t** gpus;
  int reps;                   /* live DP replicas: all (faithful) or ep (aggregated) */
  int n_live;                 /* ranks that run actors: n / dp x reps */
  char* live;                 /* [n]: rank r runs actors */
  rs_flows_t* flows;          /* aggregated mode: the flows of ranks that run no actor */
  struct train_rank** ranks;  /* [n_live], for the plan of the aggregated mode */
  const rs_gpu_t** live_gpus; /* [n_live]: the GPUs of the live ranks */
  rs_comm_t** groups[4];      /* per dimension (dim_slot) and group; a rank finds its group with group_of() */
  rs_coll_rec_t** rec[4];     /* per dimension and group: rows of collectives.csv; NULL: off */
  sg_bar_t barrier;
  times_t total;     /* summed over ranks, this iteration */
  double finish_sum; /* sum over ranks of the time each finished its iteration */
  double step_sum;   /* over iterations, for the summary */
} train_wl_t;

typedef struct train_rank {
  train_wl_t* w;
  int rank;
  rs_coords_t c;
  const rs_gpu_t* gpu;
  times_t t;
  sg_mailbox_t from_prev, from_next;   /* activations arrive from the previous stage, gradients from the next */
  sg_mailbox_t dp_work, dp_done;       /* to and from this rank's gradient-reduction actor */
  struct {                             /* where the rank is, for collectives.csv and ops.csv */
    int iteration, layer, micro_batch; /* -1: not in a layer, not in a micro-batch */
    const char* phase;                 /* forward, backward, step */
  } at;
  sg_mailbox_t to[2];    /* the neighbouring virtual stages' mailboxes: activations (0), gradients (1) */
  sg_host_t to_host[2];  /* and their hosts */
  sg_host_t* mirrors[2]; /* aggregated: pairs (from, to) of the other replicas' activation (0) and */
  int n_mirrors[2];      /* gradient (1) sends that stand beside this rank's, as chosen by plan_mirrors */
} train_rank_t;

typedef enum { DP_BUCKET, DP_FLUSH, DP_QUIT } dp_kind_t;
typedef struct dp_msg {
  dp_kind_t kind;
  double bytes;
  int layer; /* of a bucket: the layer whose gradients it holds */
} dp_msg_t;

static char token; /* payload of pipeline messages: their data is not simulated */

/* The parallel dimensions that have collectives, in the order of train_wl_t.rec. */
static const char dim_codes[]        = "tcde";
static const char* const dim_names[] = {"tp", "cp", "dp", "ep"};

static int dim_slot(char dim)
{
  return (int)(strchr(dim_codes, dim) - dim_codes);
}

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

static int group_size(const train_wl_t* w, char dim)
{
  return dim == 't' ? w->lay.tp : dim == 'c' ? w->lay.cp : dim == 'd' ? w->lay.dp : w->lay.ep;
}

/* The number of groups along dimension d (dim_slot). */
static int group_count(const train_wl_t* w, int d)
{
  return w->n / group_size(w, dim_codes[d]);
}

/* The groups along dimension d (dim_slot), and their recorders for collectives.csv (named like
 * "llama:tp3") when w->rec[d] is set; in aggregated mode only those holding a live rank (the others stay
 * NULL), each recorder waiting for the group's live ranks only. */
static void make_groups(train_wl_t* w, int d)
{
  char dim                 = dim_codes[d];
  int size                 = group_size(w, dim);
  int count                = w->n / size;
  rs_comm_t** groups       = xbt_new0(rs_comm_t*, count);
  const rs_gpu_t** members = xbt_new(const rs_gpu_t*, w->n);
  char* live               = xbt_new(char, w->n);
  int* n_live              = xbt_new0(int, count);
  for (int r = 0; r < w->n; r++) {
    int pos, g = group_of(&w->lay, rs_layout_coords(&w->lay, r), dim, &pos);
    members[g * size + pos] = w->gpus[r];
    live[g * size + pos]    = w->live[r];
    n_live[g] += w->live[r];
  }
  for (int g = 0; g < count; g++) {
    if (n_live[g] == 0)
      continue;
    char* name = bprintf("%s:%c%d", w->wl->name, dim, g);
    groups[g]  = rs_comm_new(name, members + g * size, size);
    free(name);
    if (w->flows)
      rs_comm_set_grouped(groups[g], live + g * size, w->flows);
  }
  for (int g = 0; w->rec[d] && g < count; g++) {
    if (n_live[g] == 0)
      continue;
    char* name   = bprintf("%s:%s%d", w->wl->name, dim_names[d], g);
    w->rec[d][g] = rs_run_coll_rec_new(w->run, w->wl->name, name, dim_names[d], size, n_live[g]);
    free(name);
  }
  free(members);
  free(live);
  free(n_live);
  w->groups[d] = groups;
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
static double activation_bytes(const train_wl_t* w)
{
  return tokens_per_gpu(w) * w->cfg->model.hidden * 2;
}

/* ---- tracing: collectives.csv and ops.csv ------------------------------------------------------ */

/* The row of ops.csv for what this rank did since t0, where it is now. */
static rs_op_row_t op_here(const train_rank_t* me, const char* op, const char* detail, double t0)
{
  return (rs_op_row_t){me->w->wl->name,    me->rank, me->gpu->host,       op,  detail, me->at.iteration, me->at.layer,
                       me->at.micro_batch, t0,       simgrid_get_clock(), NAN, NAN};
}

static void trace_op(const train_rank_t* me, const char* op, const char* detail, double t0, double flops, double bytes)
{
  if (me->w->run->ops == NULL)
    return;
  rs_op_row_t row = op_here(me, op, detail, t0);
  row.flops       = flops;
  row.bytes       = bytes;
  rs_run_op(me->w->run, &row);
}

/* Rank `pos` of group g along dim left a collective it entered at t0. */
static void trace_collective(const train_rank_t* me, char dim, int g, int pos, rs_coll_op_t op, rs_coll_algo_t algo,
                             double bytes, double t0, int layer)
{
  rs_coll_rec_t** recs = me->w->rec[dim_slot(dim)];
  if (recs != NULL)
    rs_run_coll_rec_done(recs[g], pos, op, algo, bytes, me->at.iteration, t0);
  if (me->w->run->ops == NULL)
    return;
  char detail[48];
  snprintf(detail, sizeof detail, "%s %s", dim_names[dim_slot(dim)], rs_coll_op_name(op));
  rs_op_row_t row = op_here(me, "collective", detail, t0);
  row.layer       = layer;
  row.bytes       = bytes;
  rs_run_op(me->w->run, &row);
}

/* Matmuls of `flops` reading `weight_bytes`, then memory-bound kernels moving `stream_bytes`. */
static void compute(train_rank_t* me, double flops, double weight_bytes, double stream_bytes)
{
  const rs_gpu_model_t* g = me->gpu->model;
  double t0               = simgrid_get_clock();
  double t = rs_gpu_seconds(g, me->w->cfg->precision, flops, weight_bytes) + rs_gpu_stream_seconds(g, stream_bytes);
  sg_actor_execute(t * sg_host_get_speed(me->gpu->host));
  me->t.compute += t;
  trace_op(me, "compute", me->at.phase, t0, flops, weight_bytes + stream_bytes);
}

static void collective(train_rank_t* me, char dim, rs_coll_op_t op, double bytes)
{
  int pos;
  int g           = group_of(&me->w->lay, me->c, dim, &pos);
  rs_comm_t* comm = me->w->groups[dim_slot(dim)][g];
  if (rs_comm_size(comm) < 2)
    return;
  double t0           = simgrid_get_clock();
  rs_coll_algo_t algo = rs_coll_choose(comm, op, bytes);
  rs_coll_run(comm, pos, op, algo, bytes);
  me->t.comm += simgrid_get_clock() - t0;
  trace_collective(me, dim, g, pos, op, algo, bytes, t0, me->at.layer);
}

/* HBM bytes of one layer pass's s x s attention scores on this GPU. Without selective recomputation (or
 * flash attention, which racksim counts as such) they are written out; full recomputation writes the
 * forward's again before the backward. */
static double score_bytes(const train_wl_t* w, int backward)
{
  const rs_model_t* m = &w->cfg->model;
  if (w->lay.recompute == RS_RECOMPUTE_SELECTIVE)
    return 0;
  double bytes = rs_model_attn_score_bytes(m, backward);
  if (backward && w->lay.recompute == RS_RECOMPUTE_FULL)
    bytes += rs_model_attn_score_bytes(m, 0);
  return bytes * tokens_per_gpu(w);
}

/* One transformer layer, forward (backward = 1) or the forward recomputed for it. */
static void layer_pass(train_rank_t* me, int layer, int backward)
{
  const train_wl_t* w = me->w;
  const rs_model_t* m = &w->cfg->model;
  double tokens       = tokens_per_gpu(w);
  double fwd          = rs_model_layer_fwd_flops(m, layer) * tokens;
  double weights      = rs_model_layer_params(m, layer) / w->lay.tp * 2;
  double act          = activation_bytes(w);
  int collectives     = 1 + (backward && w->lay.recompute == RS_RECOMPUTE_FULL); /* recompute repeats them */
  double flops        = backward ? 2 * fwd : fwd;
  if (backward && w->lay.recompute == RS_RECOMPUTE_FULL)
    flops += fwd;
  else if (backward && w->lay.recompute == RS_RECOMPUTE_SELECTIVE)
    flops += rs_model_attn_score_fwd_flops(m) * tokens;
  me->at.layer = layer;
  if (w->lay.zero == 3) /* FSDP gathers the layer's weights before using them */
    collective(me, 'd', RS_OP_ALLGATHER, weights);
  compute(me, flops, weights, 34 * act + score_bytes(w, backward));
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
  me->at.layer = -1;
}

/* ---- the 1F1B schedule, plain or interleaved ---------------------------------------------------- */

/* With vp > 1 a rank holds vp chunks of its stage's layers (Megatron's virtual stages); chunk k's
 * activations go to the next rank's chunk k, and from the last rank on to rank 0's chunk k + 1. */
static int chunk_layers(const train_rank_t* me)
{
  return rs_layout_stage_layers(&me->w->lay, &me->w->cfg->model, me->c.pp) / me->w->lay.vp;
}

static int chunk_first_layer(const train_rank_t* me, int chunk)
{
  return rs_layout_chunk_first_layer(&me->w->lay, &me->w->cfg->model, me->c.pp, chunk);
}

static int is_first_chunk(const train_rank_t* me, int chunk)
{
  return me->c.pp == 0 && chunk == 0;
}
static int is_last_chunk(const train_rank_t* me, int chunk)
{
  return me->c.pp == me->w->lay.pp - 1 && chunk == me->w->lay.vp - 1;
}

static void wait_for(train_rank_t* me, sg_mailbox_t box)
{
  double t0 = simgrid_get_clock();
  sg_mailbox_get(box);
  me->t.bubble += simgrid_get_clock() - t0;
  trace_op(me, "recv", box == me->from_prev ? "activations" : "gradients", t0, NAN, activation_bytes(me->w));
}

/* Sends one micro-batch's activations (or their gradients, backward) to the neighbouring virtual stage.
 * Ranks consume each mailbox in the order their neighbour fills it, so no chunk label is needed. */
static void send_to(const train_rank_t* me, int backward)
{
  double bytes = activation_bytes(me->w);
  for (int k = 0; k < me->n_mirrors[backward]; k++)
    rs_flows_start(me->w->flows, me->mirrors[backward][2 * k], me->mirrors[backward][2 * k + 1], bytes, NULL);
  rs_net_put_detached(me->to[backward], me->to_host[backward], &token, bytes);
  trace_op(me, "send", backward ? "gradients" : "activations", simgrid_get_clock(), NAN, bytes);
}

static void forward(train_rank_t* me, int chunk, int micro)
{
  const train_wl_t* w = me->w;
  me->at.micro_batch  = micro;
  me->at.phase        = "forward";
  if (!is_first_chunk(me, chunk))
    wait_for(me, me->from_prev);
  for (int i = chunk_first_layer(me, chunk); i < chunk_first_layer(me, chunk) + chunk_layers(me); i++)
    layer_pass(me, i, 0);
  if (is_last_chunk(me, chunk)) /* output layer and loss */
    compute(me, rs_model_logits_fwd_flops(&w->cfg->model) * tokens_per_gpu(w), 0, 0);
  else
    send_to(me, 0);
}

/* Backward of one micro-batch through one chunk; on the chunk's last micro-batch, each layer's gradients
 * go to DP reduction as they are done. */
static void backward(train_rank_t* me, int chunk, int micro)
{
  const train_wl_t* w = me->w;
  me->at.micro_batch  = micro;
  me->at.phase        = "backward";
  if (!is_last_chunk(me, chunk))
    wait_for(me, me->from_next);
  else
    compute(me, 2 * rs_model_logits_fwd_flops(&w->cfg->model) * tokens_per_gpu(w), 0, 0);
  for (int i = chunk_first_layer(me, chunk) + chunk_layers(me) - 1; i >= chunk_first_layer(me, chunk); i--) {
    layer_pass(me, i, 1);
    if (micro == w->lay.n_micro - 1 && w->lay.dp > 1 && w->lay.zero < 3 && w->cfg->dp_overlap) {
      dp_msg_t* msg = xbt_new(dp_msg_t, 1);
      *msg          = (dp_msg_t){DP_BUCKET, rs_model_layer_params(&w->cfg->model, i) / w->lay.tp * 2, i};
      /* queued, as Megatron queues bucket reductions on a stream: the backward goes on at once, even
       * while the reducer still works on an earlier bucket (a blocking put would stall it, uncounted) */
      rs_net_put_detached(me->dp_work, me->gpu->host, msg, 0);
    }
  }
  if (!is_first_chunk(me, chunk))
    send_to(me, 1);
}

/* Megatron's order of a rank's vp x M chunk passes: groups of pp micro-batches, chunk by chunk
 * (backward from the last chunk). Pass k's chunk, and its micro-batch. */
static int pass_chunk(const rs_layout_t* l, int k, int backward, int* micro)
{
  int chunk = (k / l->pp) % l->vp;
  *micro    = k / (l->pp * l->vp) * l->pp + k % l->pp;
  return backward ? l->vp - 1 - chunk : chunk;
}

/* Forward passes before the first backward: pp - stage - 1 for plain 1F1B; interleaving fills the
 * pipeline with every chunk of a group first (Megatron-LM's get_num_warmup_microbatches). */
static int warmup_passes(const train_rank_t* me)
{
  const rs_layout_t* l = &me->w->lay;
  int n                = l->vp == 1 ? l->pp - me->c.pp - 1 : 2 * (l->pp - me->c.pp - 1) + (l->vp - 1) * l->pp;
  return n < l->n_micro * l->vp ? n : l->n_micro * l->vp;
}

static void backward_pass(train_rank_t* me, int k)
{
  int micro;
  int chunk = pass_chunk(&me->w->lay, k, 1, &micro);
  backward(me, chunk, micro);
}

static void forward_pass(train_rank_t* me, int k)
{
  int micro;
  int chunk = pass_chunk(&me->w->lay, k, 0, &micro);
  forward(me, chunk, micro);
}

static void run_1f1b(train_rank_t* me)
{
  int passes = me->w->lay.n_micro * me->w->lay.vp;
  int warmup = warmup_passes(me);
  int done   = 0;
  for (int k = 0; k < warmup; k++)
    forward_pass(me, k);
  for (int k = warmup; k < passes; k++) {
    forward_pass(me, k);
    backward_pass(me, done++);
  }
  while (done < passes)
    backward_pass(me, done++);
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
      int g               = group_of(&me->w->lay, me->c, 'd', &pos);
      rs_comm_t* comm     = me->w->groups[dim_slot('d')][g];
      double t0           = simgrid_get_clock();
      rs_coll_algo_t algo = rs_coll_choose(comm, op, msg->bytes);
      rs_coll_run(comm, pos, op, algo, msg->bytes);
      trace_collective(me, 'd', g, pos, op, algo, msg->bytes, t0, msg->layer);
    }
    free(msg);
    if (kind == DP_QUIT)
      return;
    if (kind == DP_FLUSH)
      rs_net_put(me->dp_done, me->gpu->host, &token, 0);
  }
}

/* Waits for the gradient reduction (or runs it, without overlap), then the optimizer step. */
static void finish_step(train_rank_t* me)
{
  train_wl_t* w      = me->w;
  me->at.micro_batch = -1;
  me->at.phase       = "step";
  if (w->lay.dp > 1 && w->lay.zero < 3) {
    double t0 = simgrid_get_clock();
    if (!w->cfg->dp_overlap)
      collective(me, 'd', w->lay.zero >= 1 ? RS_OP_REDUCESCATTER : RS_OP_ALLREDUCE, stage_weight_bytes(me));
    dp_msg_t* msg = xbt_new(dp_msg_t, 1);
    *msg          = (dp_msg_t){DP_FLUSH, 0, -1};
    rs_net_put(me->dp_work, me->gpu->host, msg, 0);
    double t_wait = simgrid_get_clock();
    sg_mailbox_get(me->dp_done);
    trace_op(me, "wait", "dp reduction", t_wait, NAN, NAN);
    if (w->cfg->dp_overlap)
      me->t.comm += simgrid_get_clock() - t0;
  }
  /* Adam over this GPU's shard: 30 bytes of HBM traffic per parameter (fp32 master, moments, gradient
   * read and written, bf16 weight written), no matmul. */
  double params = stage_weight_bytes(me) / 2 / (w->lay.zero >= 1 ? w->lay.dp * w->lay.cp : 1);
  double t      = rs_gpu_stream_seconds(me->gpu->model, 30 * params);
  double t_opt  = simgrid_get_clock();
  sg_actor_execute(t * sg_host_get_speed(me->gpu->host));
  me->t.optimizer += t;
  trace_op(me, "compute", "optimizer", t_opt, 0, 30 * params);
  if (w->lay.zero == 1 || w->lay.zero == 2) /* distributed optimizer: gather the updated weights */
    collective(me, 'd', RS_OP_ALLGATHER, stage_weight_bytes(me));
}

/* ---- iterations -------------------------------------------------------------------------------- */

static const rs_col_t iteration_cols[] = {
    {"workload", RS_COL_TEXT},
    {"iteration", RS_COL_INT},
    {"start_s", RS_COL_NUM},
    {"end_s", RS_COL_NUM},
    {"step_s", RS_COL_NUM},
    {"tokens_per_s", RS_COL_NUM},
    {"tflops_per_gpu", RS_COL_NUM},
    {"hw_tflops_per_gpu", RS_COL_NUM},
    {"mfu", RS_COL_NUM},
    {"compute_s", RS_COL_NUM},
    {"comm_exposed_s", RS_COL_NUM},
    {"bubble_s", RS_COL_NUM},
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
  rs_table_t* t       = w->iterations;
  rs_cell_text(t, w->wl->name);
  rs_cell_int(t, it);
  rs_cell_num(t, t0);
  rs_cell_num(t, t1);
  rs_cell_num(t, step);
  rs_cell_num(t, tokens / step);
  rs_cell_num(t, model_tf);
  rs_cell_num(t, hw_tf);
  rs_cell_num(t, model_tf / peak);
  rs_cell_num(t, w->total.compute / w->n_live);
  rs_cell_num(t, w->total.comm / w->n_live);
  /* waiting at the end of the step for the slowest rank counts as bubble too */
  double bubble = (w->total.bubble + w->n_live * t1 - w->finish_sum) / w->n_live;
  rs_cell_num(t, bubble > 1e-12 * step ? bubble : 0); /* no rounding residue */
  rs_cell_num(t, w->total.optimizer / w->n_live);
  rs_row_end(t);
  rs_run_event(w->run, t0, t1, w->wl->name, "iteration", m->name);
  w->step_sum += step;
  w->row->operations++;
  w->sum.tokens_per_s   = tokens * w->row->operations / w->step_sum;
  w->sum.tflops_per_gpu = model_tf;
  w->sum.mfu            = model_tf / peak;
  memset(&w->total, 0, sizeof w->total);
  w->finish_sum = 0;
  rs_run_progress(w->run, 1);
}

/* ---- aggregated mode: what the live ranks simulate for the others ------------------------------ */

static rs_coords_t pp_peer(rs_coords_t c, int backward)
{
  c.pp += backward ? -1 : 1;
  return c;
}

static int has_peer(const train_wl_t* w, rs_coords_t c, int backward)
{
  return backward ? c.pp > 0 : c.pp < w->lay.pp - 1;
}

static const rs_gpu_t* gpu_at(const train_wl_t* w, rs_coords_t c)
{
  return w->gpus[rs_layout_rank(&w->lay, c)];
}

/* The copies of me's send (activations, or gradients when backward) in the replicas that run no actor,
 * kept when they cross a shared link that a simulated flow crosses: those contend with it. */
static void plan_mirrors(train_rank_t* me, int backward)
{
  train_wl_t* w = me->w;
  if (!has_peer(w, me->c, backward))
    return;
  for (int d = me->c.dp + w->reps; d < w->lay.dp; d += w->reps) {
    rs_coords_t c        = me->c;
    c.dp                 = d;
    const rs_gpu_t *from = gpu_at(w, c), *to = gpu_at(w, pp_peer(c, backward));
    if (!rs_flows_crosses_marked(w->flows, from, to))
      continue;
    int k                            = me->n_mirrors[backward]++;
    me->mirrors[backward]            = xbt_realloc(me->mirrors[backward], 2 * (k + 1) * sizeof(sg_host_t));
    me->mirrors[backward][2 * k]     = from->host;
    me->mirrors[backward][2 * k + 1] = to->host;
  }
}

/* Run by rank 0 before the first iteration (routes are known only inside the simulation): marks the
 * shared links of the live ranks' pipeline sends and of the collective flows, then picks the other
 * replicas' pipeline sends that cross them. */
static void plan_aggregated(train_wl_t* w)
{
  for (int i = 0; i < w->n_live; i++)
    for (int b = 0; b < 2; b++)
      if (has_peer(w, w->ranks[i]->c, b))
        rs_flows_shared(w->flows, w->ranks[i]->gpu, gpu_at(w, pp_peer(w->ranks[i]->c, b)), 1);
  for (int d = 0; d < 4; d++)
    for (int g = 0; g < group_count(w, d); g++)
      if (w->groups[d][g])
        rs_comm_plan(w->groups[d][g]);
  int mirrors = 0;
  for (int i = 0; i < w->n_live; i++)
    for (int b = 0; b < 2; b++) {
      plan_mirrors(w->ranks[i], b);
      mirrors += w->ranks[i]->n_mirrors[b];
    }
  XBT_INFO("%s: aggregated mode, %d of %d GPUs run as actors; %d sends of other replicas per micro-batch share "
           "their uplinks",
           w->wl->name, w->n_live, w->n, mirrors);
}

/* Energy drawn so far by the job's GPUs: the live ones', scaled to every GPU in aggregated mode (the
 * other replicas do what the live ones do). */
static double live_energy_j(const train_wl_t* w)
{
  return rs_run_gpu_energy_j(w->live_gpus, w->n_live) * w->n / w->n_live;
}

/* One GPU of the job: each iteration, run its pipeline stage's 1F1B schedule, finish the step, and
 * line up with every other GPU; rank 0 writes the iteration's row. */
static void train_rank(int argc, char** argv)
{
  train_rank_t* me = sg_actor_self_get_data();
  train_wl_t* w    = me->w;
  sg_actor_sleep_until(w->wl->start_s);
  if (me->rank == 0)
    w->sum.energy_j = -live_energy_j(w);
  if (w->flows && me->rank == 0)
    plan_aggregated(w);
  for (int it = 0; it < w->cfg->iterations; it++) {
    sg_barrier_wait(w->barrier);
    double t0 = simgrid_get_clock();
    memset(&me->t, 0, sizeof me->t);
    me->at.iteration = it;
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
    *msg          = (dp_msg_t){DP_QUIT, 0, -1};
    rs_net_put(me->dp_work, me->gpu->host, msg, 0);
  }
  if (me->rank == 0) {
    w->row->end_s    = simgrid_get_clock();
    w->row->finished = 1;
    w->sum.energy_j += live_energy_j(w);
    w->sum.joules_per_token =
        w->sum.energy_j / ((double)w->cfg->iterations * w->lay.global_batch * w->cfg->model.seq_len);
  }
  free(me->mirrors[0]);
  free(me->mirrors[1]);
  free(me);
}

/* ---- workload entry points --------------------------------------------------------------------- */

static int n_ranks(const rs_run_t* run, const rs_sc_workload_t* wl)
{
  return wl->u.train.gpus > 0 ? wl->u.train.gpus : run->plat->n_gpus - wl->first_gpu;
}

/* The first rank of r's group along dim ('t', 'c' or 'e'). */
static int group_leader(const rs_layout_t* l, int r, char dim)
{
  rs_coords_t c = rs_layout_coords(l, r);
  if (dim == 't')
    c.tp = 0;
  else if (dim == 'c')
    c.cp = 0;
  else
    c.dp -= c.dp % l->ep;
  return rs_layout_rank(l, c);
}

/* Aggregated mode runs the TP, CP and EP groups of the live replicas only, which is exact when they
 * stay on their NVLink domain's private links; the dimension of a group that leaves it, or 0. */
static char group_leaving_domain(const rs_gpu_t* gpus, const rs_layout_t* l, int n)
{
  static const char dims[] = {'t', 'c', 'e'};
  for (int r = 0; r < n; r++)
    for (int k = 0; k < 3; k++)
      if (gpus[r].domain != gpus[group_leader(l, r, dims[k])].domain)
        return dims[k];
  return 0;
}

/* Why the aggregated mode cannot stand for the job on the n GPUs from `first` (written into why), or 0
 * when it can. The layout must be resolved. */
static int aggregated_obstacle(const rs_platform_t* p, int first, const rs_layout_t* l, int n, char* why, size_t len)
{
  if (p->n_domains > 1 && p->gpus[first].pod < 0) {
    snprintf(why, len,
             "the platform does not state its GPUs' pods (rs.pod), so the flows that share its uplinks "
             "cannot be found; use a generated platform or mode: faithful");
    return 1;
  }
  char dim = group_leaving_domain(p->gpus + first, l, n);
  if (dim == 0)
    return 0;
  const char* name = dim_names[dim_slot(dim)];
  snprintf(why, len,
           "%s groups leave their NVLink domain, so the copies it does not run would share links; use "
           "mode: faithful or a layout whose %s groups fit a domain",
           name, name);
  return 1;
}

/* Aggregated when asked, or by auto on a large job it can stand for. */
static int is_aggregated(const rs_run_t* run, const rs_sc_workload_t* wl, const rs_layout_t* lay)
{
  const rs_sc_training_t* cfg = &wl->u.train;
  char why[256];
  int n = n_ranks(run, wl);
  return cfg->mode == RS_TRAIN_AGGREGATED || (cfg->mode == RS_TRAIN_AUTO && n > RS_TRAIN_AUTO_FAITHFUL_MAX &&
                                              !aggregated_obstacle(run->plat, wl->first_gpu, lay, n, why, sizeof why));
}

static void train_free(void* state);

/* Checks the layout against the model, the platform and the GPUs' memory. */
static int train_check(const rs_run_t* run, int i, rs_layout_t* lay, rs_err_t* err)
{
  const rs_sc_workload_t* wl  = &run->sc->workloads[i];
  const rs_sc_training_t* cfg = &wl->u.train;
  const rs_platform_t* p      = run->plat;
  char key[64];
  snprintf(key, sizeof key, "workloads[%d].gpus", i);
  int n = n_ranks(run, wl), first = wl->first_gpu;
  if (p->n_gpus == 0 || n < 1 || first + n > p->n_gpus)
    return rs_scenario_err(run->sc, err, key, "expected at most the platform's %d GPUs, got %d", p->n_gpus - first, n);
  rs_err_t why;
  snprintf(key, sizeof key, "workloads[%d]", i);
  if (rs_layout_resolve(lay, &cfg->model, n, &why) != RS_OK)
    return rs_scenario_err(run->sc, err, key, "this layout cannot run: %s", why.msg);
  const rs_gpu_model_t* gpu = p->gpus[0].model;
  if (gpu->peak_flops[cfg->precision] <= 0)
    return rs_scenario_err(run->sc, err, key, "precision %s: %s GPUs have no %s units", rs_prec_name(cfg->precision),
                           gpu->name, rs_prec_name(cfg->precision));
  for (int r = 0; r < n && !cfg->tp_across_domains; r++)
    if (p->gpus[first + r].domain != p->gpus[first + r - r % lay->tp].domain)
      return rs_scenario_err(run->sc, err, key,
                             "tp = %d crosses an NVLink domain (GPUs %d and %d): choose a tp that divides the domain "
                             "size %d, or set tp_across_domains: true",
                             lay->tp, r - r % lay->tp, r, rs_platform_domain_size(p, 0));
  char obstacle[256];
  if (cfg->mode == RS_TRAIN_AGGREGATED && aggregated_obstacle(p, first, lay, n, obstacle, sizeof obstacle))
    return rs_scenario_err(run->sc, err, key, "mode aggregated: %s", obstacle);
  int stage;
  rs_mem_t mem = rs_layout_train_memory_max(lay, &cfg->model, &stage);
  if (mem.total > gpu->hbm_bytes)
    return rs_scenario_err(run->sc, err, key,
                           "needs %.0f GB per GPU (stage %d: weights %.1f, gradients %.1f, optimizer %.1f, activations "
                           "%.1f GB), %s has %.0f GB",
                           mem.total / 1e9, stage, mem.weights / 1e9, mem.grads / 1e9, mem.optimizer / 1e9,
                           mem.activations / 1e9, gpu->name, gpu->hbm_bytes / 1e9);
  return RS_OK;
}

static int train_prepare(const rs_run_t* run, int i, void** state, rs_err_t* err)
{
  rs_layout_t lay = run->sc->workloads[i].u.train.layout;
  if (train_check(run, i, &lay, err) != RS_OK)
    return RS_ERR;
  train_wl_t* w = xbt_new0(train_wl_t, 1);
  w->wl         = &run->sc->workloads[i];
  w->cfg        = &w->wl->u.train;
  w->lay        = lay;
  w->aggregated = is_aggregated(run, w->wl, &lay);
  w->sum        = (train_summary_t){NAN, NAN, NAN, NAN, NAN};
  w->n          = n_ranks(run, w->wl);
  w->gpus       = xbt_new(const rs_gpu_t*, w->n);
  for (int r = 0; r < w->n; r++)
    w->gpus[r] = &run->plat->gpus[w->wl->first_gpu + r];
  *state = w;
  return RS_OK;
}

/* Rank r's mailbox `kind` (act, grad, dp, dpdone). */
static sg_mailbox_t rank_box(const train_wl_t* w, int r, const char* kind)
{
  char* name     = bprintf("%s:r%d:%s", w->wl->name, r, kind);
  sg_mailbox_t m = sg_mailbox_by_name(name);
  free(name);
  return m;
}

static train_rank_t* rank_new(train_wl_t* w, int r)
{
  train_rank_t* me = xbt_new0(train_rank_t, 1);
  me->w            = w;
  me->rank         = r;
  me->c            = rs_layout_coords(&w->lay, r);
  me->gpu          = w->gpus[r];
  me->at.layer = me->at.micro_batch = -1;
  me->at.phase                      = "step";
  me->from_prev                     = rank_box(w, r, "act");
  me->from_next                     = rank_box(w, r, "grad");
  me->dp_work                       = rank_box(w, r, "dp");
  me->dp_done                       = rank_box(w, r, "dpdone");
  for (int backward = 0; backward < 2; backward++) { /* the next virtual stage's rank, or the previous one's */
    rs_coords_t c         = me->c;
    c.pp                  = (c.pp + (backward ? w->lay.pp - 1 : 1)) % w->lay.pp;
    int dst               = rs_layout_rank(&w->lay, c);
    me->to[backward]      = rank_box(w, dst, backward ? "grad" : "act");
    me->to_host[backward] = w->gpus[dst]->host;
  }
  return me;
}

static int train_start(rs_run_t* run, int i, void* state, rs_wl_row_t* row, rs_err_t* err)
{
  train_wl_t* w = state;
  w->run        = run;
  w->row        = row;
  w->iterations =
      rs_run_table(run, "iterations", iteration_cols, (int)(sizeof iteration_cols / sizeof iteration_cols[0]), err);
  if (w->iterations == NULL)
    return RS_ERR;
  w->flows  = w->aggregated ? rs_flows_new(run->plat->oversubscription) : NULL;
  w->reps   = w->flows ? w->lay.ep : w->lay.dp;
  w->n_live = w->n / w->lay.dp * w->reps;
  w->live   = xbt_new(char, w->n);
  for (int r = 0; r < w->n; r++)
    w->live[r] = rs_layout_coords(&w->lay, r).dp < w->reps;
  w->ranks     = xbt_new(train_rank_t*, w->n_live);
  w->live_gpus = xbt_new(const rs_gpu_t*, w->n_live);
  for (int r = 0, k = 0; r < w->n; r++)
    if (w->live[r])
      w->live_gpus[k++] = w->gpus[r];
  int tracing = run->sc->outputs.collectives_max_rows > 0;
  if (tracing && rs_run_collectives_open(run, err) != RS_OK)
    return RS_ERR;
  for (int d = 0; d < 4; d++) {
    if (tracing)
      w->rec[d] = xbt_new0(rs_coll_rec_t*, group_count(w, d));
    make_groups(w, d);
  }
  if (rs_run_ops_open(run, err) != RS_OK)
    return RS_ERR;
  w->barrier = sg_barrier_init(w->n_live);
  row->gpus  = w->n;
  run->work_total += w->cfg->iterations;
  for (int r = 0, k = 0; r < w->n; r++) {
    if (!w->live[r])
      continue;
    train_rank_t* me = w->ranks[k++] = rank_new(w, r);
    char* name                       = bprintf("%s-r%d", w->wl->name, r);
    sg_actor_t a                     = sg_actor_init(name, me->gpu->host);
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

static void train_free(void* state)
{
  train_wl_t* w = state;
  if (w == NULL)
    return;
  for (int d = 0; d < 4; d++) {
    free_groups(w->groups[d], group_count(w, d));
    for (int g = 0; w->rec[d] && g < group_count(w, d); g++)
      rs_run_coll_rec_free(w->rec[d][g]);
    free(w->rec[d]);
  }
  if (w->barrier)
    sg_barrier_destroy(w->barrier);
  rs_flows_free(w->flows);
  free(w->live);
  free(w->ranks);
  free(w->live_gpus);
  free(w->gpus);
  free(w);
}

static void train_report(const rs_run_t* run, int i, const void* state, FILE* fp)
{
  const train_wl_t* w       = state;
  const rs_sc_training_t* c = w->cfg;
  const rs_layout_t* l      = &w->lay;
  const train_summary_t* s  = &w->sum;
  fprintf(fp, "  %s (training): %s on %d GPUs, TP%d CP%d EP%d PP%d DP%d, %s, %s recomputation, global batch %d\n",
          w->wl->name, c->model.name, w->row->gpus, l->tp, l->cp, l->ep, l->pp, l->dp, rs_prec_name(c->precision),
          rs_recompute_name(l->recompute), l->global_batch);
  if (w->aggregated)
    fprintf(fp, "    aggregated mode: %d of %d DP replicas run as actors, the others as flows\n", l->ep, l->dp);
  fprintf(fp, "    %lld iterations: %.0f tokens/s, %.0f TFLOP/s per GPU (MFU %.1f%%)\n", w->row->operations,
          s->tokens_per_s, s->tflops_per_gpu, 100 * s->mfu);
  fprintf(fp, "    GPU energy %.4g kJ, %.4g J per token\n", s->energy_j / 1e3, s->joules_per_token);
}

static const void* train_summary(const void* state)
{
  return &((const train_wl_t*)state)->sum;
}

static const rs_wl_col_t train_cols[] = {
    {"tokens_per_s", offsetof(train_summary_t, tokens_per_s)},
    {"tflops_per_gpu", offsetof(train_summary_t, tflops_per_gpu)},
    {"mfu", offsetof(train_summary_t, mfu)},
    {"energy_j", offsetof(train_summary_t, energy_j)},
    {"joules_per_token", offsetof(train_summary_t, joules_per_token)},
};

const rs_wl_ops_t rs_wl__training = {
    .kind    = "training",
    .cols    = train_cols,
    .n_cols  = sizeof train_cols / sizeof train_cols[0],
    .prepare = train_prepare,
    .start   = train_start,
    .summary = train_summary,
    .report  = train_report,
    .free    = train_free,
};
