/* training.c -- the training workload: iterations of an LLM's training step on a TP/CP/EP/DP/PP layout,
 * one actor per GPU running its pipeline stage's schedule (train_schedule.c: 1F1B, Megatron's
 * interleaved 1F1B over virtual stages when vp > 1, or DualPipe, whose forward-backward pairs run
 * overlapped), with compute per layer from model.c and compute.c,
 * TP/CP/EP collectives per layer in the groups of train_groups.c, activations and gradients sent
 * between stages, plus one actor per GPU reducing gradients over DP bucket by bucket during the last
 * backward pass; with activation offload, copies of the offloaded layers' activations to the GPU's CPU host
 * and back, overlapped with compute. Two modes: faithful (every rank and every collective step) and aggregated, for
 * very large runs: only the ranks of the first ep DP replicas run (the live ranks: every TP, CP, EP and DP group holds
 * some), collectives run in their grouped form (net/collectives.c), and every send of the other replicas that crosses a
 * shared link where a simulated flow can be slowed is simulated too, alike ones as one weighted flow
 * (train_aggregated.c), so those links carry what they would carry in the whole job. This file holds the actors and the
 * workload's entry (rs_wl__training). See LICENSE. */
#include "wl/train_int.h"

#include <math.h>
#include <simgrid/actor.h>
#include <simgrid/barrier.h>
#include <simgrid/engine.h>
#include <simgrid/exec.h>
#include <simgrid/host.h>
#include <simgrid/mailbox.h>
#include <simgrid/semaphore.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <xbt/log.h>
#include <xbt/misc.h>
#include <xbt/sysdep.h>

XBT_LOG_NEW_DEFAULT_SUBCATEGORY(rs_training, racksim, "training workload");

/* What the compute actor queues to its DP reducer, which runs them one at a time in that order (so a
 * rank never has two collectives of its DP group in flight): a bucket is one collective (a gradient
 * reduction, or with zero 3 a layer's weight all-gather or gradient reduce-scatter); a flush answers
 * on dp_done once everything queued before it is done. */
typedef enum { DP_BUCKET, DP_FLUSH, DP_QUIT } dp_kind_t;
typedef struct dp_msg {
  dp_kind_t kind;
  rs_coll_op_t op; /* of a bucket */
  double bytes;
  int layer;     /* of a bucket: the layer whose gradients or weights it holds */
  sg_sem_t done; /* of a bucket: released when it is done; NULL: nobody waits for it alone */
} dp_msg_t;

static char token; /* payload of pipeline messages: their data is not simulated */

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

/* HBM bytes of one layer pass's s x s attention scores on this GPU: none with flash attention, which
 * keeps them on chip; materialised, the forward writes them, and a recomputation (selective or full)
 * writes them again before the backward. */
static double score_bytes(const train_wl_t* w, int backward, rs_recompute_t rc)
{
  const rs_model_t* m = &w->cfg->model;
  if (w->lay.attention == RS_ATTN_FLASH)
    return 0;
  double bytes = rs_model_attn_score_bytes(m, backward);
  if (backward && rc != RS_RECOMPUTE_NONE)
    bytes += rs_model_attn_score_bytes(m, 0);
  return bytes * tokens_per_gpu(w);
}

/* bf16 bytes of the parameters this GPU holds. */
static double stage_weight_bytes(const train_rank_t* me)
{
  return 2 * rs_layout_stage_params(&me->w->lay, &me->w->cfg->model, me->c.pp);
}

/* Bytes per parameter of the gradients, as they are kept and reduced over DP. */
static double grad_bytes_per_param(const train_wl_t* w)
{
  return w->lay.grad_precision == RS_GRAD_FP32 ? 4 : 2;
}

/* ---- ops.csv ------------------------------------------------------------------------------------ */

rs_op_row_t rs_train__op_row(const train_rank_t* me, const char* op, const char* detail, double t0)
{
  return (rs_op_row_t){me->w->wl->name,    me->rank, me->gpu->host,       op,  detail, me->at.iteration, me->at.layer,
                       me->at.micro_batch, t0,       simgrid_get_clock(), NAN, NAN};
}

static void trace_op(const train_rank_t* me, const char* op, const char* detail, double t0, double flops, double bytes)
{
  if (me->w->run->ops == NULL)
    return;
  rs_op_row_t row = rs_train__op_row(me, op, detail, t0);
  row.flops       = flops;
  row.bytes       = bytes;
  rs_run_op(me->w->run, &row);
}

/* ---- one rank's steps: compute, collectives, pipeline messages ---------------------------------- */

/* The kernels of w, each class at its own rate (rs_gpu_work_seconds), as one busy stretch of the GPU. */
static void compute(train_rank_t* me, const rs_work_t* work)
{
  double t0 = simgrid_get_clock();
  double t  = rs_gpu_work_seconds(me->gpu->model, work);
  if (me->dry) { /* a DualPipe pair: counted by its first run, overlapped by its second (run_pair) */
    me->pending += me->dry == 1 ? t : 0;
    return;
  }
  sg_actor_execute(t * sg_host_get_speed(me->gpu->host));
  me->t.compute += t;
  trace_op(me, "compute", me->at.phase, t0, work->gemm_flops + work->attn_flops,
           work->gemm_bytes + work->attn_bytes + work->stream_bytes);
}

/* Attention's score matmuls run in BF16 even in FP8 recipes: Transformer Engine's fp8_autocast covers
 * its Linear layers, while its fused (flash) attention stays BF16 unless FP8 attention is asked for
 * (NVIDIA Transformer Engine user guide, "Using FP8 with Transformer Engine"; NeMo's performance recipes
 * leave fp8 attention off). Megatron-LM 2021's unfused attention ran in the 16-bit training precision. */
static rs_work_t work_of(const train_wl_t* w, double gemm_flops, double weight_bytes, double attn_flops,
                         double stream_bytes)
{
  return (rs_work_t){.gemm_flops   = gemm_flops,
                     .gemm_bytes   = weight_bytes,
                     .gemm_prec    = w->cfg->precision,
                     .attn_flops   = attn_flops,
                     .attn_prec    = RS_PREC_BF16,
                     .stream_bytes = stream_bytes};
}

/* The output layer and loss of one micro-batch, forward (1 x) or backward (2 x its FLOPs). Megatron-Core
 * builds the output layer as a tensor_parallel.ColumnParallelLinear, not a Transformer Engine module, so
 * it runs in BF16 under an FP8 recipe too. */
static void logits_pass(train_rank_t* me, double multiple)
{
  const train_wl_t* w = me->w;
  const rs_model_t* m = &w->cfg->model;
  /* multi-token prediction: each module's projection of 2h to h and its pass through the shared head */
  double flops   = rs_model_logits_fwd_flops(m) + rs_model_mtp_head_fwd_flops(m);
  rs_work_t work = work_of(w, multiple * flops * tokens_per_gpu(w), 0, 0, 0);
  work.gemm_prec = RS_PREC_BF16;
  compute(me, &work);
}

/* A collective of the rank's group along dim, its time counted as communication. */
static void collective(train_rank_t* me, char dim, rs_coll_op_t op, double bytes)
{
  if (me->dry == 1)
    return;
  double spent = rs_train__collective(me, dim, op, bytes, me->at.layer);
  if (me->dry == 0) /* in a DualPipe pair what is exposed is counted once, after it */
    me->t.comm += spent;
}

/* Queues one message to the rank's DP reducer and goes on at once, as Megatron and FSDP queue their
 * DP collectives on a stream of their own: a blocking put would stall the rank, uncounted, while the
 * reducer still works on an earlier bucket. The reducer frees the message. */
static void dp_queue(train_rank_t* me, dp_kind_t kind, rs_coll_op_t op, double bytes, int layer, sg_sem_t done)
{
  dp_msg_t* msg = xbt_new(dp_msg_t, 1);
  *msg          = (dp_msg_t){kind, op, bytes, layer, done};
  rs_net_put_detached(me->dp_work, me->gpu->host, msg, 0);
}

/* Whether ZeRO-3's per-layer weight all-gathers and gradient reduce-scatters go through the DP reducer,
 * the next layer's gathered while this one computes. */
static int prefetching(const train_wl_t* w)
{
  return w->lay.zero == 3 && w->lay.dp > 1 && w->cfg->prefetch;
}

/* bf16 bytes of layer i's weights on this GPU (its TP shard), the size of its ZeRO-3 all-gather. */
static double layer_weight_bytes(const train_wl_t* w, int layer)
{
  return rs_model_layer_params(&w->cfg->model, layer) / w->lay.tp * 2;
}

/* ZeRO-3 prefetch, before layer i of a pass runs: queue its all-gather when it is the pass's first
 * (nothing before it queued it), then the all-gather of the layer that comes next in the pass, `next`
 * (i + 1 forward, i - 1 backward; -1: none), so that one runs while layer i computes. */
static void prefetch(train_rank_t* me, int i, int first_of_pass, int next)
{
  train_wl_t* w = me->w;
  if (!prefetching(w))
    return;
  if (first_of_pass && me->carried != i) /* not queued by the pass before */
    dp_queue(me, DP_BUCKET, RS_OP_ALLGATHER, layer_weight_bytes(w, i), i, me->gathered[i]);
  if (first_of_pass)
    me->carried = -1;
  if (next >= 0)
    dp_queue(me, DP_BUCKET, RS_OP_ALLGATHER, layer_weight_bytes(w, next), next, me->gathered[next]);
}

/* Time since t0 spent waiting for data a copy or collective brings: exposed communication, traced as such. */
static void count_wait(train_rank_t* me, double t0, const char* what)
{
  double waited = simgrid_get_clock() - t0;
  me->t.comm += waited;
  if (waited > 0)
    trace_op(me, "wait", what, t0, NAN, NAN);
}

/* ZeRO-3 with prefetch: waits for layer i's gathered weights. */
static void wait_gathered(train_rank_t* me, int i)
{
  double t0 = simgrid_get_clock();
  sg_sem_acquire(me->gathered[i]);
  count_wait(me, t0, "weight gather");
}

/* The share of layer i's GEMM FLOPs in attention's projections (Q, K, V and output); the MLP (or the
 * experts, their router and shared experts) has the rest. */
static double attn_share(const rs_model_t* m, int i)
{
  rs_gemm_flops_t g = rs_model_layer_gemm_flops(m, i);
  return g.proj / (g.proj + g.dense + g.routed);
}

/* Megatron-Core's tp_comm_overlap (Transformer Engine userbuffers): one block's (attention's, or the MLP's)
 * share of the pass's GEMMs, 1 / rounds of `share` of work's (rounds: 2 when full recomputation repeats the
 * forward), runs while the block's sequence-parallel all-gather and reduce-scatter of `bytes` run.
 * Transformer Engine overlaps every TP collective of a layer with a GEMM (NeMo's userbuffers configurations,
 * e.g. userbuffers_fp8_h100_h8192_tp4_mbs1_seqlen8192: forward, ring-exchange all-gathers under the QKV and
 * FC1 GEMMs and pipelined reduce-scatters under the output projection and FC2; backward, ring exchanges under
 * the row-parallel layers' dgrad and bulk overlaps under the column-parallel ones'), so the block takes the
 * longer of the two and only what the collectives take beyond the GEMMs is exposed. Not charged (unverified):
 * the SMs the pipelined reduce-scatters take from the GEMM (num_sm 16-24 of H100's 132 in those
 * configurations) and the chunked GEMMs' lower efficiency. */
static void overlapped_gemms(train_rank_t* me, const rs_work_t* work, double share, int rounds, double bytes)
{
  double part    = share / rounds;
  rs_work_t gemm = {.gemm_flops = work->gemm_flops * part,
                    .gemm_bytes = work->gemm_bytes * part,
                    .gemm_prec  = work->gemm_prec,
                    .attn_prec  = work->attn_prec};
  if (me->dry) { /* a DualPipe pair: the GEMMs with the pair's compute, the collectives with its others */
    compute(me, &gemm);
    collective(me, 't', RS_OP_ALLGATHER, bytes);
    collective(me, 't', RS_OP_REDUCESCATTER, bytes);
    return;
  }
  double t         = rs_gpu_work_seconds(me->gpu->model, &gemm);
  double t0        = simgrid_get_clock();
  sg_exec_t kernel = sg_actor_exec_init(t * sg_host_get_speed(me->gpu->host));
  sg_exec_start(kernel);
  rs_train__collective(me, 't', RS_OP_ALLGATHER, bytes, me->at.layer);
  rs_train__collective(me, 't', RS_OP_REDUCESCATTER, bytes, me->at.layer);
  sg_exec_wait(kernel);
  double exposed = simgrid_get_clock() - t0 - t;
  me->t.compute += t;
  me->t.comm += exposed > 0 ? exposed : 0;
  if (me->w->run->ops != NULL) { /* the GEMMs' own stretch: they start with the collectives, at full speed */
    rs_op_row_t row = rs_train__op_row(me, "compute", me->at.phase, t0);
    row.end_s       = t0 + t;
    row.flops       = gemm.gemm_flops;
    row.bytes       = gemm.gemm_bytes;
    rs_run_op(me->w->run, &row);
  }
}

/* Bytes per quantised value of Transformer Engine's casts: each reads the bf16 tensor (2) and writes it
 * twice, row-wise for the GEMM that runs now and transposed for the one of the other pass (the fused
 * cast-transpose kernel). FP8: 1 + 1 (the amax of delayed scaling is reduced inside the same kernel).
 * NVFP4 (Transformer Engine's NVFP4BlockScaling; NVIDIA, "Pretraining Large Language Models with NVFP4",
 * arXiv 2509.25149): 0.5 + 0.5 for the E2M1 values and one E4M3 scale per 16-value block with each copy
 * (1/16 + 1/16); the random Hadamard transform of the weight gradient's inputs runs inside the same
 * kernel and adds no traffic. Other precisions cast nothing. */
static double cast_bytes_per_value(rs_prec_t prec)
{
  if (prec == RS_PREC_FP8)
    return 4.0;
  if (prec == RS_PREC_FP4)
    return 2.0 + 2 * (0.5 + 1.0 / 16);
  return 0;
}

/* HBM bytes of the low-precision casts of one layer pass on this GPU (FP8 or FP4 training): the forward
 * casts its GEMMs' inputs, the backward its output gradients (and, under full recomputation, the
 * recomputed forward's inputs again), each rank its 1/t (rs_model_layer_cast_values). The weights are
 * cast once per step, at the first micro-batch's forward (Transformer Engine's `is_first_microbatch`
 * caches the quantised weights and their transposes until the optimizer changes them, and Megatron-Core
 * sets it per step); under ZeRO-3 every forward casts the weights it has just gathered. Not modelled: the
 * casts Transformer Engine fuses into a layernorm before its Linear (LayerNormLinear), which save the read. */
static double cast_bytes(const train_rank_t* me, int layer, int backward, int full)
{
  const train_wl_t* w = me->w;
  double per_value    = cast_bytes_per_value(w->cfg->precision);
  if (per_value == 0)
    return 0;
  double fwd, bwd;
  rs_model_layer_cast_values(&w->cfg->model, layer, &fwd, &bwd);
  double values = backward ? bwd + (full ? fwd : 0) : fwd;
  double bytes  = per_value * values * tokens_per_gpu(w); /* tokens_per_gpu: already over t */
  if (!backward && (me->at.micro_batch == 0 || w->lay.zero == 3))
    bytes += per_value * layer_weight_bytes(w, layer) / 2;
  return bytes;
}

/* What a backward pass computes: all of it, or (DualPipe's zero-bubble split) the input gradients
 * alone, or later the weight gradients alone. */
typedef enum { PART_ALL, PART_INPUT, PART_WEIGHTS } part_t;

/* DualPipe's weight pass of layer i: the weight-gradient GEMMs (half the backward's), reading the weights;
 * no collective. */
static void weight_grads(train_rank_t* me, int layer)
{
  const train_wl_t* w = me->w;
  const rs_model_t* m = &w->cfg->model;
  double tokens       = tokens_per_gpu(w);
  double linear       = rs_model_layer_fwd_flops(m, layer) * tokens - rs_model_attn_score_fwd_flops(m) * tokens;
  me->at.layer        = layer;
  rs_work_t work      = work_of(w, linear, layer_weight_bytes(w, layer), 0, 0);
  compute(me, &work);
  me->at.layer = -1;
}

/* One transformer layer, forward (backward = 1) or the forward recomputed for it; pos is its place in its
 * virtual stage (block recomputation recomputes the first recompute_layers); a backward's part (PART_ALL
 * outside DualPipe). */
static void layer_pass(train_rank_t* me, int layer, int backward, int pos, part_t part)
{
  if (part == PART_WEIGHTS) {
    weight_grads(me, layer);
    return;
  }
  const train_wl_t* w = me->w;
  const rs_model_t* m = &w->cfg->model;
  double tokens       = tokens_per_gpu(w);
  double attn         = rs_model_attn_score_fwd_flops(m) * tokens;          /* the s-dependent score matmuls */
  double linear       = rs_model_layer_fwd_flops(m, layer) * tokens - attn; /* projections, MLP, router */
  double weights      = layer_weight_bytes(w, layer);
  double act          = activation_bytes(w);
  rs_recompute_t rc   = rs_layout_layer_recompute(&w->lay, pos);
  int full            = backward && rc == RS_RECOMPUTE_FULL;
  int collectives     = 1 + full; /* recompute repeats them */
  /* backward: twice the forward's GEMMs (plus the recomputed forward's under full recomputation), and
   * the multiple of the scores' forward that rs_model_attn_bwd_multiple counts */
  double gemm       = backward ? (2 + full - (part == PART_INPUT)) * linear : linear;
  double attn_flops = backward ? rs_model_attn_bwd_multiple(rc, w->lay.attention) * attn : attn;
  me->at.layer      = layer;
  if (prefetching(w)) /* FSDP gathers the layer's weights before using them */
    wait_gathered(me, layer);
  else if (w->lay.zero == 3)
    collective(me, 'd', RS_OP_ALLGATHER, weights);
  rs_work_t work = work_of(w, gemm, weights, attn_flops,
                           34 * act + score_bytes(w, backward, rc) + cast_bytes(me, layer, backward, full));
  int overlap    = w->cfg->tp_comm_overlap && w->lay.tp > 1;
  if (overlap) { /* the rest of the layer first; its GEMMs go with the TP collectives below */
    rs_work_t rest  = work;
    rest.gemm_flops = rest.gemm_bytes = 0;
    compute(me, &rest);
  } else
    compute(me, &work);
  for (int k = 0; k < collectives; k++) {
    /* Megatron sequence parallelism: all-gather before attention and MLP, reduce-scatter after. */
    for (int j = 0; j < 2 && overlap; j++) /* attention's projections (j = 0), then the MLP's */
      overlapped_gemms(me, &work, j == 0 ? attn_share(m, layer) : 1 - attn_share(m, layer), collectives,
                       act * w->lay.tp);
    for (int j = 0; j < 2 && !overlap; j++) {
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
  if (backward && prefetching(w)) /* reduced behind the next layers' backward; flushed at the step's end */
    dp_queue(me, DP_BUCKET, RS_OP_REDUCESCATTER, weights, layer, NULL);
  else if (backward && w->lay.zero == 3)
    collective(me, 'd', RS_OP_REDUCESCATTER, weights);
  me->at.layer = -1;
}

/* With vp > 1 a rank holds vp chunks of its stage's layers (Megatron's virtual stages, whose layer
 * counts may differ by one: rs_layout_chunk_layers); chunk k's activations go to the next rank's chunk
 * k, and from the last rank on to rank 0's chunk k + 1. */
static int chunk_layers(const train_rank_t* me, int chunk)
{
  return rs_layout_chunk_layers(&me->w->lay, &me->w->cfg->model, me->c.pp, chunk);
}

static int chunk_first_layer(const train_rank_t* me, int chunk)
{
  return rs_layout_chunk_first_layer(&me->w->lay, &me->w->cfg->model, me->c.pp, chunk);
}

/* DualPipe: the direction of the rank's chunk (phase) `chunk`: 0 flows from stage 0 on, 1 from pp - 1 back;
 * phase 0 is the one in which the rank is in the first half of the pipe (DualPipe's dualpipe.py). */
static int dual_dir(const train_rank_t* me, int chunk)
{
  return me->c.pp < me->w->lay.pp / 2 ? chunk : 1 - chunk;
}

static int is_first_chunk(const train_rank_t* me, int chunk)
{
  if (me->w->lay.dualpipe)
    return rs_layout_dual_position(&me->w->lay, me->c.pp, chunk) == 0;
  return me->c.pp == 0 && chunk == 0;
}
static int is_last_chunk(const train_rank_t* me, int chunk)
{
  if (me->w->lay.dualpipe)
    return rs_layout_dual_position(&me->w->lay, me->c.pp, chunk) == me->w->lay.pp - 1;
  return me->c.pp == me->w->lay.pp - 1 && chunk == me->w->lay.vp - 1;
}

/* Where chunk's activations (backward 0) or gradients (1) arrive. */
static sg_mailbox_t inbox(const train_rank_t* me, int chunk, int backward)
{
  if (me->w->lay.dualpipe)
    return me->dual_from[dual_dir(me, chunk)][backward];
  return backward ? me->from_next : me->from_prev;
}

/* The micro-batch a chunk's gradients are last computed in: DualPipe feeds each direction half of them. */
static int last_micro(const train_wl_t* w)
{
  return (w->lay.dualpipe ? w->lay.n_micro / 2 : w->lay.n_micro) - 1;
}

static void wait_for(train_rank_t* me, int chunk, int backward)
{
  if (me->dry) /* a DualPipe pair received before it runs */
    return;
  double t0 = simgrid_get_clock();
  sg_mailbox_get(inbox(me, chunk, backward));
  me->t.bubble += simgrid_get_clock() - t0;
  trace_op(me, "recv", backward ? "gradients" : "activations", t0, NAN, activation_bytes(me->w));
}

/* Sends one micro-batch's activations (or their gradients, backward) to the neighbouring virtual stage.
 * Ranks consume each mailbox in the order their neighbour fills it, so no chunk label is needed. */
static void send_to(const train_rank_t* me, int chunk, int backward)
{
  if (me->dry) /* a DualPipe pair sends after it ran */
    return;
  double bytes     = activation_bytes(me->w);
  sg_mailbox_t box = me->to[backward];
  sg_host_t host   = me->to_host[backward];
  int toward       = backward; /* 0: to the next stage, 1: to the previous one */
  if (me->w->lay.dualpipe) {
    int d  = dual_dir(me, chunk);
    box    = me->dual_to[d][backward];
    host   = me->dual_to_host[d][backward];
    toward = d == 0 ? backward : !backward;
  }
  rs_train__send_mirrors(me, toward, bytes);
  rs_net_put_detached(box, host, &token, bytes);
  trace_op(me, "send", backward ? "gradients" : "activations", simgrid_get_clock(), NAN, bytes);
}

/* ZeRO-3 prefetch across passes: the pass's last layer queues the gather of the next pass's first layer
 * (`next_first`, -1: none), which the next pass then does not queue again. */
static int carry_to(train_rank_t* me, int next_first)
{
  if (next_first >= 0 && prefetching(me->w))
    me->carried = next_first;
  return next_first;
}

/* The layers of the MTP modules (as the main model's last), after it forward, before it backward. */
static void mtp_layers(train_rank_t* me, int backward, part_t part)
{
  const rs_model_t* m = &me->w->cfg->model;
  for (int k = 0; k < m->mtp_depth; k++)
    layer_pass(me, m->layers - 1, backward, 0, part);
}

static void forward(train_rank_t* me, int chunk, int micro, int next_first)
{
  me->at.micro_batch = micro;
  me->at.phase       = "forward";
  if (!is_first_chunk(me, chunk))
    wait_for(me, chunk, 0);
  int first = chunk_first_layer(me, chunk), end = first + chunk_layers(me, chunk);
  for (int i = first; i < end; i++) {
    prefetch(me, i, i == first, i + 1 < end ? i + 1 : carry_to(me, next_first));
    layer_pass(me, i, 0, i - first, PART_ALL);
    if (i < me->w->lay.offload_layers) /* its saved activations go to the CPU host while the next layers run */
      rs_flows_start(me->w->copies, me->gpu->host, me->cpu_host, me->w->offload_bytes, me->stored[i]);
  }
  if (is_last_chunk(me, chunk)) { /* the MTP modules' layers, the output layer and loss */
    mtp_layers(me, 0, PART_ALL);
    logits_pass(me, 1);
  } else
    send_to(me, chunk, 0);
}

/* Activation offload, before layer i's backward: start bringing back layer i - 1's activations (once they
 * reached the CPU host), one layer ahead as Transformer Engine's double-buffered offload handler does,
 * and wait for layer i's own when it was offloaded. Waits count as exposed communication. */
static void reload(train_rank_t* me, int i)
{
  const train_wl_t* w = me->w;
  if (w->copies == NULL)
    return;
  double t0 = simgrid_get_clock();
  if (i - 1 >= 0 && i - 1 < w->lay.offload_layers) {
    sg_sem_acquire(me->stored[i - 1]);
    rs_flows_start(w->copies, me->cpu_host, me->gpu->host, w->offload_bytes, me->reloaded[i - 1]);
  }
  if (i < w->lay.offload_layers)
    sg_sem_acquire(me->reloaded[i]);
  count_wait(me, t0, "activation reload");
}

/* Queues the DP reduction of layer i's complete gradients, when they are reduced during the backward
 * (dp of 2 or more, ZeRO below 3, dp_overlap); else the step's end reduces them. */
static void reduce_layer(train_rank_t* me, int i)
{
  const train_wl_t* w = me->w;
  if (w->lay.dp > 1 && w->lay.zero < 3 && w->cfg->dp_overlap)
    dp_queue(me, DP_BUCKET, w->lay.zero >= 1 ? RS_OP_REDUCESCATTER : RS_OP_ALLREDUCE,
             rs_model_layer_params(&w->cfg->model, i) / w->lay.tp * grad_bytes_per_param(w), i, NULL);
}

/* Queues the DP reductions of chunk's layers (their gradients are complete), last layer first. */
static void reduce_chunk(train_rank_t* me, int chunk)
{
  int first = chunk_first_layer(me, chunk);
  for (int i = first + chunk_layers(me, chunk) - 1; i >= first; i--)
    reduce_layer(me, i);
}

/* Backward of one micro-batch through one chunk (DualPipe: or its input gradients alone, part); on the
 * chunk's last micro-batch, each layer's gradients go to DP reduction as they are done. */
static void backward(train_rank_t* me, int chunk, int micro, int next_first, part_t part)
{
  const train_wl_t* w = me->w;
  me->at.micro_batch  = micro;
  me->at.phase        = "backward";
  if (!is_last_chunk(me, chunk))
    wait_for(me, chunk, 1);
  else {
    logits_pass(me, 2);
    mtp_layers(me, 1, part);
  }
  int first  = chunk_first_layer(me, chunk);
  int last   = first + chunk_layers(me, chunk) - 1;
  int reduce = micro == last_micro(w) && part == PART_ALL && me->dry == 0; /* a pair reduces after it */
  for (int i = last; i >= first; i--) {
    prefetch(me, i, i == last, i > first ? i - 1 : carry_to(me, next_first));
    reload(me, i);
    layer_pass(me, i, 1, i - first, part);
    if (reduce)
      reduce_layer(me, i);
  }
  if (!is_first_chunk(me, chunk))
    send_to(me, chunk, 1);
}

/* DualPipe's weight pass: the weight gradients of a split backward of chunk (the MTP modules' too on the
 * last position); after the last micro-batch's, the chunk's DP reductions. */
static void weight_pass(train_rank_t* me, int chunk, int micro)
{
  me->at.micro_batch = micro;
  me->at.phase       = "backward";
  if (is_last_chunk(me, chunk))
    mtp_layers(me, 1, PART_WEIGHTS);
  int first = chunk_first_layer(me, chunk);
  for (int i = first + chunk_layers(me, chunk) - 1; i >= first; i--)
    weight_grads(me, i);
  if (micro == last_micro(me->w))
    reduce_chunk(me, chunk);
}

/* DualPipe's pair (F&B): a forward of one chunk and a full backward of the other, overlapped as DeepSeek
 * overlaps them (section 3.2.1: attention, all-to-all dispatch, MLP and combine of one under the other's),
 * so that their communication hides under their computation: both inputs received first, then the
 * compute of both (counted by a first run that only counts) runs as one kernel while a second run issues
 * every collective of both in order; the pair takes the longer, and what the collectives take beyond the
 * compute is exposed. Their sends go after it. */
static void run_pair(train_rank_t* me, const rs_train_step_t* f, const rs_train_step_t* b)
{
  if (!is_first_chunk(me, f->chunk))
    wait_for(me, f->chunk, 0);
  if (!is_last_chunk(me, b->chunk))
    wait_for(me, b->chunk, 1);
  me->dry     = 1;
  me->pending = 0;
  forward(me, f->chunk, f->micro, -1);
  backward(me, b->chunk, b->micro, -1, PART_ALL);
  double t         = me->pending;
  double t0        = simgrid_get_clock();
  me->dry          = 2;
  sg_exec_t kernel = sg_actor_exec_init(t * sg_host_get_speed(me->gpu->host));
  sg_exec_start(kernel);
  forward(me, f->chunk, f->micro, -1);
  backward(me, b->chunk, b->micro, -1, PART_ALL);
  sg_exec_wait(kernel);
  me->dry        = 0;
  double exposed = simgrid_get_clock() - t0 - t;
  me->t.compute += t;
  me->t.comm += exposed > 0 ? exposed : 0;
  trace_op(me, "compute", "forward+backward", t0, NAN, NAN);
  if (b->micro == last_micro(me->w))
    reduce_chunk(me, b->chunk);
  if (!is_last_chunk(me, f->chunk))
    send_to(me, f->chunk, 0);
  if (!is_first_chunk(me, b->chunk))
    send_to(me, b->chunk, 1);
}

/* The layer a pass runs first (forward: its chunk's first, backward: its last), or -1 when its chunk has none. */
static int first_layer_of(const train_rank_t* me, const rs_train_step_t* step)
{
  int n = chunk_layers(me, step->chunk);
  if (n == 0 || step->weights)
    return -1;
  return chunk_first_layer(me, step->chunk) + (step->backward ? n - 1 : 0);
}

/* Every pass of the rank's stage, in its schedule's order; each knows the next pass's first layer (ZeRO-3
 * prefetch crosses from one pass into the next, forward into backward too; not past the iteration's end). */
static void run_schedule(train_rank_t* me)
{
  const rs_train_step_t* steps = me->w->schedule[me->c.pp];
  int n                        = me->w->n_steps[me->c.pp];
  me->carried                  = -1;
  for (int k = 0; k < n; k++) {
    int next = k + 1 < n ? first_layer_of(me, &steps[k + 1]) : -1;
    if (steps[k].paired) /* DualPipe: with the next step, a backward */
      run_pair(me, &steps[k], &steps[k + 1]), k++;
    else if (steps[k].weights)
      weight_pass(me, steps[k].chunk, steps[k].micro);
    else if (steps[k].backward)
      backward(me, steps[k].chunk, steps[k].micro, next, steps[k].split ? PART_INPUT : PART_ALL);
    else
      forward(me, steps[k].chunk, steps[k].micro, next);
  }
}

/* Waits for the gradient reduction (or runs it, without overlap), then the optimizer step. */
static void finish_step(train_rank_t* me)
{
  train_wl_t* w      = me->w;
  me->at.micro_batch = -1;
  me->at.phase       = "step";
  if ((w->lay.dp > 1 && w->lay.zero < 3) || prefetching(w)) {
    double t0 = simgrid_get_clock();
    if (!w->cfg->dp_overlap && w->lay.zero < 3)
      collective(me, 'd', w->lay.zero >= 1 ? RS_OP_REDUCESCATTER : RS_OP_ALLREDUCE,
                 stage_weight_bytes(me) / 2 * grad_bytes_per_param(w));
    dp_msg_t* msg = xbt_new(dp_msg_t, 1);
    *msg          = (dp_msg_t){DP_FLUSH, 0, 0, -1, NULL};
    rs_net_put(me->dp_work, me->gpu->host, msg, 0);
    double t_wait = simgrid_get_clock();
    sg_mailbox_get(me->dp_done);
    trace_op(me, "wait", "dp reduction", t_wait, NAN, NAN);
    if (w->cfg->dp_overlap || w->lay.zero == 3) /* zero 3: its last reduce-scatters */
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

/* FLOPs per token the GPUs run, the recomputed forward included: with block recomputation only that of the
 * layers recomputed (the first recompute_layers of each virtual stage, and every MTP module's layer, which
 * runs first in its own pass: mtp_layers). */
static double hw_flops_per_token(const train_wl_t* w)
{
  const rs_model_t* m  = &w->cfg->model;
  const rs_layout_t* l = &w->lay;
  if (l->recompute != RS_RECOMPUTE_FULL || l->recompute_layers == 0)
    return rs_model_train_hw_flops_per_token(m, l->recompute);
  double flops      = rs_model_train_flops_per_token(m);
  rs_layout_t plain = *l; /* DualPipe's chunks hold each layer twice over the ranks: count it once */
  plain.dualpipe    = 0;
  l                 = &plain;
  for (int s = 0; s < l->pp; s++)
    for (int c = 0; c < l->vp; c++) {
      int first = rs_layout_chunk_first_layer(l, m, s, c), n = rs_layout_chunk_layers(l, m, s, c);
      for (int k = 0; k < n && k < l->recompute_layers; k++)
        flops += rs_model_layer_fwd_flops(m, first + k);
    }
  return flops + m->mtp_depth * rs_model_layer_fwd_flops(m, m->layers - 1);
}

static void record_iteration(train_wl_t* w, int it, double t0, double t1)
{
  const rs_model_t* m = &w->cfg->model;
  double step         = t1 - t0;
  double tokens       = (double)w->lay.global_batch * m->seq_len;
  double model_tf     = tokens * rs_model_train_flops_per_token(m) / step / w->n / 1e12;
  double hw_tf        = tokens * hw_flops_per_token(w) / step / w->n / 1e12;
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
  w->sum.step_s         = w->step_sum / w->row->operations;
  w->sum.tflops_per_gpu = model_tf;
  w->sum.mfu            = model_tf / peak;
  memset(&w->total, 0, sizeof w->total);
  w->finish_sum = 0;
  rs_run_progress(w->run, 1);
}

/* Energy drawn so far by the job's GPUs: the live ones', scaled to every GPU in aggregated mode (the
 * other replicas do what the live ones do). */
double rs_train__energy_j(const train_wl_t* w)
{
  return rs_run_gpu_energy_j(w->live_gpus, w->n_live) * w->n / w->n_live;
}

/* ---- actors ------------------------------------------------------------------------------------ */

/* Runs this rank's DP collectives over its DP group, one at a time, in the order the compute actor
 * queues them (dp_msg_t). */
static void dp_reducer(int argc, char** argv)
{
  train_rank_t* me = sg_actor_self_get_data();
  for (;;) {
    dp_msg_t* msg  = sg_mailbox_get(me->dp_work);
    dp_kind_t kind = msg->kind;
    if (kind == DP_BUCKET) { /* hidden behind compute: the rank counts only what it waits for */
      rs_train__collective(me, 'd', msg->op, msg->bytes, msg->layer);
      if (msg->done)
        sg_sem_release(msg->done);
    }
    free(msg);
    if (kind == DP_QUIT)
      return;
    if (kind == DP_FLUSH)
      rs_net_put(me->dp_done, me->gpu->host, &token, 0);
  }
}

/* One GPU of the job: each iteration, run its pipeline stage's schedule, finish the step, and line up
 * with every other GPU; rank 0 writes the iteration's row. */
static void train_rank(int argc, char** argv)
{
  train_rank_t* me = sg_actor_self_get_data();
  train_wl_t* w    = me->w;
  sg_actor_sleep_until(w->wl->start_s);
  if (me->rank == 0)
    w->sum.energy_j = -rs_train__energy_j(w);
  if (w->ft && me->rank == 0)
    rs_train__ft_begin(w);
  if (w->flows && me->rank == 0)
    rs_train__plan_aggregated(w);
  for (int it = 0; it < w->cfg->iterations; it = w->next_it) {
    sg_barrier_wait(w->barrier);
    double t0 = simgrid_get_clock();
    if (me->rank == 0 && rs_train__ft_renews(w)) /* the renewal fast path draws each step's measured power */
      w->it_j0 = rs_train__energy_j(w);
    memset(&me->t, 0, sizeof me->t);
    me->at.iteration = it;
    run_schedule(me);
    finish_step(me);
    w->total.compute += me->t.compute;
    w->total.comm += me->t.comm;
    w->total.bubble += me->t.bubble;
    w->total.optimizer += me->t.optimizer;
    w->finish_sum += simgrid_get_clock();
    sg_barrier_wait(w->barrier);
    if (me->rank == 0) {
      record_iteration(w, it, t0, simgrid_get_clock());
      w->next_it = w->ft ? rs_train__ft_after(w, it, t0, simgrid_get_clock()) : it + 1;
    }
    sg_barrier_wait(w->barrier); /* rank 0 has read the totals before anyone adds to them again */
  }
  if (w->lay.dp > 1) {
    dp_msg_t* msg = xbt_new(dp_msg_t, 1);
    *msg          = (dp_msg_t){DP_QUIT, 0, 0, -1, NULL};
    rs_net_put(me->dp_work, me->gpu->host, msg, 0);
  }
  if (me->rank == 0) {
    w->row->end_s    = simgrid_get_clock();
    w->row->finished = 1;
    w->sum.energy_j += rs_train__energy_j(w);
    w->row->tokens          = (double)rs_train__trained_iterations(w) * w->lay.global_batch * w->cfg->model.seq_len;
    w->row->energy_j        = w->sum.energy_j;
    w->sum.joules_per_token = w->sum.energy_j / w->row->tokens;
    if (w->flows) /* the weighted mirrors are done: their NICs get their own bandwidth back */
      rs_flows_restore(w->flows);
  }
  for (int b = 0; b < 2; b++) {
    for (int k = 0; k < me->n_mirrors[b]; k++)
      free(me->mirrors[b][k].ends);
    free(me->mirrors[b]);
  }
  for (int i = 0; w->copies && i < w->lay.offload_layers; i++) {
    sg_sem_destroy(me->stored[i]);
    sg_sem_destroy(me->reloaded[i]);
  }
  free(me->stored);
  free(me->reloaded);
  for (int i = 0; me->gathered && i < w->cfg->model.layers; i++)
    sg_sem_destroy(me->gathered[i]);
  free(me->gathered);
  free(me);
}

/* ---- workload entry points --------------------------------------------------------------------- */

static int n_ranks(const rs_run_t* run, const rs_sc_workload_t* wl)
{
  return wl->u.train.gpus > 0 ? wl->u.train.gpus : run->plat->n_gpus - wl->first_gpu;
}

/* Activation offload needs every GPU's CPU host on a path racksim models (NVLink-C2C: rs.cpu), and room
 * there for what its GPUs offload (`bytes` each). */
static int offload_check(const rs_run_t* run, int i, double bytes, rs_err_t* err)
{
  const rs_sc_workload_t* wl = &run->sc->workloads[i];
  const rs_platform_t* p     = run->plat;
  char key[64];
  snprintf(key, sizeof key, "workloads[%d].offload", i);
  int n      = n_ranks(run, wl);
  int* count = xbt_new0(int, p->n_cpus + 1);
  int rc     = RS_OK;
  for (int r = 0; r < n && rc == RS_OK; r++) {
    const rs_gpu_t* g = &p->gpus[wl->first_gpu + r];
    if (g->cpu < 0)
      rc = rs_scenario_err(run->sc, err, key,
                           "GPU %d (%s) has no CPU host on an NVLink-C2C or PCIe path in %s (rs.cpu; racksim models "
                           "no PCIe path): activations cannot be offloaded",
                           wl->first_gpu + r, sg_host_get_name(g->host), p->file);
    else if (++count[g->cpu] * bytes > p->cpus[g->cpu].mem_bytes)
      rc = rs_scenario_err(
          run->sc, err, key, "the offloaded activations need %.1f GB on CPU host %s, which has %.0f GB",
          count[g->cpu] * bytes / 1e9, sg_host_get_name(p->cpus[g->cpu].host), p->cpus[g->cpu].mem_bytes / 1e9);
  }
  free(count);
  return rc;
}

/* Checks the layout against the model, the platform and the GPUs' memory, resolving it in *lay. */
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
  if (!cfg->offload && lay->offload_layers > 0) {
    snprintf(key, sizeof key, "workloads[%d].offload_layers", i);
    return rs_scenario_err(run->sc, err, key, "offload_layers needs offload: activations");
  }
  if (cfg->offload) {
    if (lay->offload_layers == 0) /* all but the last, the most Megatron-Core allows */
      lay->offload_layers = cfg->model.layers - 1;
    if (lay->recompute == RS_RECOMPUTE_AUTO) /* offloading stands instead of recomputation */
      lay->recompute = RS_RECOMPUTE_NONE;
  }
  snprintf(key, sizeof key, "workloads[%d]", i);
  if (rs_layout_resolve(lay, &cfg->model, n, &why) != RS_OK)
    return rs_scenario_err(run->sc, err, key, "this layout cannot run: %s", why.msg);
  const rs_gpu_model_t* gpu = p->gpus[0].model;
  if (gpu->peak_flops[cfg->precision] <= 0)
    return rs_scenario_err(run->sc, err, key, "precision %s: %s GPUs have no %s units", rs_prec_name(cfg->precision),
                           gpu->name, rs_prec_name(cfg->precision));
  for (int r = 0; r < n && !cfg->tp_across_domains; r++) {
    rs_coords_t c = rs_layout_coords(lay, r);
    c.tp          = 0;
    int leader    = rs_layout_rank(lay, c); /* the first GPU of r's TP group */
    if (p->gpus[first + r].domain != p->gpus[first + leader].domain)
      return rs_scenario_err(run->sc, err, key,
                             "tp = %d crosses an NVLink domain (GPUs %d and %d): choose a tp that divides the domain "
                             "size %d, a rank order with tp first, or set tp_across_domains: true",
                             lay->tp, leader, r, rs_platform_domain_size(p, 0));
  }
  char obstacle[256];
  if (cfg->mode == RS_TRAIN_AGGREGATED && rs_train__aggregated_obstacle(p, first, lay, n, obstacle, sizeof obstacle))
    return rs_scenario_err(run->sc, err, key, "mode aggregated: %s", obstacle);
  /* auto: the least recomputation whose memory fits (none, then selective, then full), as a person tuning
   * a published recipe does; a layout that fits under none of them is refused with full's count */
  int stage;
  rs_mem_t mem;
  lay->gather_ahead = lay->zero == 3 && cfg->prefetch; /* FSDP holds the prefetched layer beside the running one */
  if (lay->recompute_layers > 0 && lay->recompute != RS_RECOMPUTE_FULL) {
    snprintf(key, sizeof key, "workloads[%d].recompute_layers", i);
    return rs_scenario_err(run->sc, err, key, "recompute_layers needs recompute: full, got recompute: %s",
                           rs_recompute_name(lay->recompute));
  }
  if (lay->recompute == RS_RECOMPUTE_AUTO) {
    for (rs_recompute_t rc = RS_RECOMPUTE_NONE; rc <= RS_RECOMPUTE_FULL; rc++) {
      lay->recompute = rc;
      mem            = rs_layout_train_memory_max(lay, &cfg->model, &stage);
      if (mem.total <= rs_gpu_tensor_bytes(gpu))
        break;
    }
    /* full: as few layers per virtual stage as fit (Megatron-Core's block method), else all of them */
    int most = 0;
    for (int s = 0; s < lay->pp; s++)
      for (int c = 0; c < rs_layout_chunks(lay); c++)
        if (rs_layout_chunk_layers(lay, &cfg->model, s, c) > most)
          most = rs_layout_chunk_layers(lay, &cfg->model, s, c);
    for (int k = 1; lay->recompute == RS_RECOMPUTE_FULL && k < most; k++) {
      lay->recompute_layers = k;
      rs_mem_t part         = rs_layout_train_memory_max(lay, &cfg->model, &stage);
      if (part.total <= rs_gpu_tensor_bytes(gpu)) {
        mem = part;
        break;
      }
      lay->recompute_layers = 0;
    }
    if (lay->recompute_layers == 0)
      mem = rs_layout_train_memory_max(lay, &cfg->model, &stage);
  } else
    mem = rs_layout_train_memory_max(lay, &cfg->model, &stage);
  if (cfg->offload && offload_check(run, i, mem.offloaded, err) != RS_OK)
    return RS_ERR;
  if (mem.total > rs_gpu_tensor_bytes(gpu)) {
    char gathered[48] = ""; /* zero 3 only */
    if (mem.gathered > 0)
      snprintf(gathered, sizeof gathered, ", gathered layers %.1f", mem.gathered / 1e9);
    return rs_scenario_err(run->sc, err, key,
                           "needs %.0f GB per GPU (stage %d: weights %.1f, gradients %.1f, optimizer %.1f, activations "
                           "%.1f%s GB), %s has %.1f GB for tensors (%.1f GB less the runtime's %.1f)",
                           mem.total / 1e9, stage, mem.weights / 1e9, mem.grads / 1e9, mem.optimizer / 1e9,
                           mem.activations / 1e9, gathered, gpu->name, rs_gpu_tensor_bytes(gpu) / 1e9,
                           gpu->hbm_bytes / 1e9, RS_RUNTIME_RESERVE_BYTES / 1e9);
  }
  return RS_OK;
}

/* Pure: checks the workload and keeps its own resolved copy of the layout; the scenario stays as read. */
static int train_prepare(const rs_run_t* run, int i, void** state, rs_err_t* err)
{
  rs_layout_t lay = run->sc->workloads[i].u.train.layout;
  if (train_check(run, i, &lay, err) != RS_OK)
    return RS_ERR;
  train_wl_t* w = xbt_new0(train_wl_t, 1);
  w->wl         = &run->sc->workloads[i];
  w->cfg        = &w->wl->u.train;
  w->lay        = lay;
  w->n          = n_ranks(run, w->wl);
  w->aggregated = rs_train__is_aggregated(run, w->wl, &lay, w->n);
  w->sum        = (train_summary_t){NAN, NAN, NAN, NAN, NAN};
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
  for (int d = 0; d < 2 && w->lay.dualpipe; d++) /* direction d's activations go on along it, gradients back */
    for (int backward = 0; backward < 2; backward++) {
      static const char* const kinds[2][2] = {{"act0", "grad0"}, {"act1", "grad1"}};
      me->dual_from[d][backward]           = rank_box(w, r, kinds[d][backward]);
      rs_coords_t c                        = me->c;
      c.pp += (d == 0) != backward ? 1 : -1;
      if (c.pp < 0 || c.pp >= w->lay.pp)
        continue;
      int dst                       = rs_layout_rank(&w->lay, c);
      me->dual_to[d][backward]      = rank_box(w, dst, kinds[d][backward]);
      me->dual_to_host[d][backward] = w->gpus[dst]->host;
    }
  if (w->copies) {
    me->cpu_host = w->run->plat->cpus[me->gpu->cpu].host;
    me->stored   = xbt_new(sg_sem_t, w->lay.offload_layers);
    me->reloaded = xbt_new(sg_sem_t, w->lay.offload_layers);
    for (int i = 0; i < w->lay.offload_layers; i++) {
      me->stored[i]   = sg_sem_init(0);
      me->reloaded[i] = sg_sem_init(0);
    }
  }
  if (prefetching(w)) {
    me->gathered = xbt_new(sg_sem_t, w->cfg->model.layers);
    for (int i = 0; i < w->cfg->model.layers; i++)
      me->gathered[i] = sg_sem_init(0);
  }
  return me;
}

/* Each stage's schedule, shared by its ranks. */
static void make_schedules(train_wl_t* w)
{
  const rs_layout_t* l = &w->lay;
  int most             = l->dualpipe ? RS_TRAIN_DUALPIPE_STEPS(l->n_micro) : 2 * l->n_micro * l->vp;
  w->n_steps           = xbt_new(int, l->pp);
  w->schedule          = xbt_new(rs_train_step_t*, l->pp);
  for (int s = 0; s < l->pp; s++) {
    w->schedule[s] = xbt_new0(rs_train_step_t, most);
    w->n_steps[s]  = l->dualpipe ? rs_train__dualpipe(l->pp, s, l->n_micro, w->schedule[s])
                                 : rs_train__schedule(l->pp, l->vp, s, l->n_micro, w->schedule[s]);
  }
}

/* Which ranks run actors: every one (faithful), or those of the first ep DP replicas (aggregated). */
static void choose_live(train_wl_t* w)
{
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
}

/* A rank's actor, and its gradient reducer when there is DP; the reducer shares the rank's context,
 * which the rank frees last. */
static void start_rank(train_wl_t* w, train_rank_t* me)
{
  char* name   = bprintf("%s-r%d", w->wl->name, me->rank);
  sg_actor_t a = sg_actor_init(name, me->gpu->host);
  sg_actor_set_data(a, me);
  sg_actor_start(a, train_rank, 0, NULL);
  if (w->lay.dp > 1) {
    char* dp_name = bprintf("%s-r%d-dp", w->wl->name, me->rank);
    sg_actor_t d  = sg_actor_init(dp_name, me->gpu->host);
    sg_actor_set_data(d, me);
    sg_actor_daemonize(d);
    sg_actor_start(d, dp_reducer, 0, NULL);
    free(dp_name);
  }
  free(name);
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
  w->flows = w->aggregated ? rs_flows_new(run->plat->oversubscription) : NULL;
  if (w->lay.offload_layers > 0) {
    w->copies        = rs_flows_new(1); /* marks nothing: the copies stay on each GPU's own links */
    w->offload_bytes = rs_model_layer_activation_bytes(&w->cfg->model, w->lay.micro_batch, w->lay.tp, w->lay.recompute,
                                                       w->lay.attention) /
                       w->lay.cp;
  }
  choose_live(w);
  rs_run_power_stand_for(run, w->live_gpus, w->n_live, w->gpus[0], w->n); /* aggregated: the others' power */
  make_schedules(w);
  int tracing = run->sc->outputs.collectives_max_rows > 0;
  if (tracing && rs_run_collectives_open(run, err) != RS_OK)
    return RS_ERR;
  rs_train__groups_new(w, tracing);
  if (rs_run_ops_open(run, err) != RS_OK)
    return RS_ERR;
  w->barrier = sg_barrier_init(w->n_live);
  w->ft      = rs_train__ft_new(w);
  row->gpus  = w->n;
  run->work_total += w->cfg->iterations;
  for (int r = 0, k = 0; r < w->n; r++)
    if (w->live[r])
      start_rank(w, w->ranks[k++] = rank_new(w, r));
  return RS_OK;
}

static void train_free(void* state)
{
  train_wl_t* w = state;
  if (w == NULL)
    return;
  rs_train__groups_free(w);
  rs_train__ft_free(w->ft);
  if (w->barrier)
    sg_barrier_destroy(w->barrier);
  rs_flows_free(w->flows);
  rs_flows_free(w->copies);
  for (int s = 0; w->schedule && s < w->lay.pp; s++)
    free(w->schedule[s]);
  free(w->schedule);
  free(w->n_steps);
  free(w->live);
  free(w->ranks);
  free(w->live_gpus);
  free(w->gpus);
  free(w);
}

/* The layout's recomputation in words: none, selective, full, or full of the first n layers of each virtual stage. */
static const char* recompute_words(const rs_layout_t* l, char* buf, size_t len)
{
  if (l->recompute == RS_RECOMPUTE_FULL && l->recompute_layers > 0)
    snprintf(buf, len, "full (first %d layer%s of each virtual stage)", l->recompute_layers,
             l->recompute_layers > 1 ? "s" : "");
  else
    snprintf(buf, len, "%s", rs_recompute_name(l->recompute));
  return buf;
}

static void train_report(const rs_run_t* run, int i, const void* state, FILE* fp)
{
  const train_wl_t* w       = state;
  const rs_sc_training_t* c = w->cfg;
  const rs_layout_t* l      = &w->lay;
  const train_summary_t* s  = &w->sum;
  char order[32], rc[64];
  fprintf(
      fp,
      "  %s (training): %s on %d GPUs, TP%d CP%d EP%d PP%d DP%d (ranks %s), %s, %s recomputation, global batch %d\n",
      w->wl->name, c->model.name, w->row->gpus, l->tp, l->cp, l->ep, l->pp, l->dp,
      rs_layout_order_name(l, order, sizeof order), rs_prec_name(c->precision), recompute_words(l, rc, sizeof rc),
      l->global_batch);
  if (w->aggregated)
    fprintf(fp, "    aggregated mode: %d of %d DP replicas run as actors, the others as flows\n", l->ep, l->dp);
  fprintf(fp, "    %lld iterations: step %.4g s, %.0f tokens/s, %.0f TFLOP/s per GPU (MFU %.1f%%)\n",
          w->row->operations, s->step_s, s->tokens_per_s, s->tflops_per_gpu, 100 * s->mfu);
  fprintf(fp, "    GPU energy %.4g kJ, %.4g J per token\n", s->energy_j / 1e3, s->joules_per_token);
}

/* What racksim validate says of a prepared workload: its recomputation and the memory of its fullest GPU. */
static void train_describe(const rs_run_t* run, int i, const void* state, FILE* fp)
{
  const train_wl_t* w = state;
  int stage;
  char rc[64];
  rs_mem_t mem = rs_layout_train_memory_max(&w->lay, &w->cfg->model, &stage);
  fprintf(fp,
          "  %s (training): recompute %s, %s attention, %s gradients; per GPU (stage %d, the fullest): "
          "weights %.1f, gradients %.1f, optimizer %.1f, activations %.1f, total %.1f GB of %.1f for tensors\n",
          w->wl->name, recompute_words(&w->lay, rc, sizeof rc), rs_attn_name(w->lay.attention),
          rs_grad_prec_name(w->lay.grad_precision), stage, mem.weights / 1e9, mem.grads / 1e9, mem.optimizer / 1e9,
          mem.activations / 1e9, mem.total / 1e9, rs_gpu_tensor_bytes(w->gpus[0]->model) / 1e9);
  if (mem.gathered > 0)
    fprintf(fp, "    zero 3: %d layer%s weights gathered whole at a time: %.1f GB (in the total)\n",
            1 + w->lay.gather_ahead, w->lay.gather_ahead ? "s'" : "'s", mem.gathered / 1e9);
  if (w->lay.offload_layers > 0)
    fprintf(fp, "    activations of %d layers offloaded to the CPU host: %.1f GB per GPU\n", w->lay.offload_layers,
            mem.offloaded / 1e9);
}

static const void* train_summary(const void* state)
{
  return &((const train_wl_t*)state)->sum;
}

static const rs_wl_col_t train_cols[] = {
    {"tokens_per_s", offsetof(train_summary_t, tokens_per_s)},
    {"step_s", offsetof(train_summary_t, step_s)},
    {"tflops_per_gpu", offsetof(train_summary_t, tflops_per_gpu)},
    {"mfu", offsetof(train_summary_t, mfu)},
    {"energy_j", offsetof(train_summary_t, energy_j)},
    {"joules_per_token", offsetof(train_summary_t, joules_per_token)},
    {"interruptions", offsetof(train_summary_t, interruptions)},
    {"goodput", offsetof(train_summary_t, goodput)},
    {"useful_s", offsetof(train_summary_t, useful_s)},
    {"lost_work_s", offsetof(train_summary_t, lost_work_s)},
    {"downtime_s", offsetof(train_summary_t, downtime_s)},
    {"checkpoint_s", offsetof(train_summary_t, checkpoint_s)},
    {"checkpoint_interval_s", offsetof(train_summary_t, checkpoint_interval_s)},
    {"lost_work_energy_j", offsetof(train_summary_t, lost_work_energy_j)},
};

const rs_wl_ops_t rs_wl__training = {
    .kind          = "training",
    .cols          = train_cols,
    .n_cols        = sizeof train_cols / sizeof train_cols[0],
    .prepare       = train_prepare,
    .start         = train_start,
    .summary       = train_summary,
    .report        = train_report,
    .describe      = train_describe,
    .free          = train_free,
    .fault         = rs_train__fault,
    .spare_servers = rs_train__spare_servers,
};
