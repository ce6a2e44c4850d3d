/* layout.c -- rank coordinates and per-GPU memory of a parallel layout. Memory accounting follows
 * Megatron-Core's distributed optimizer: bf16 weights, gradients in bf16 or fp32, fp32 main weights and
 * Adam moments, sharded over data-parallel ranks by ZeRO stage; activations from model.c. See LICENSE. */
#include "model/model.h"

#include <stdio.h>
#include <string.h>

/* The layout's order, fastest first: its own, or Megatron's default. */
static const char* order_of(const rs_layout_t* lay)
{
  return lay->order.dims[0] ? lay->order.dims : "tcdp";
}

static int dim_size(const rs_layout_t* lay, char d)
{
  return d == 't' ? lay->tp : d == 'c' ? lay->cp : d == 'd' ? lay->dp : lay->pp;
}

static int* dim_coord(rs_coords_t* c, char d)
{
  return d == 't' ? &c->tp : d == 'c' ? &c->cp : d == 'd' ? &c->dp : &c->pp;
}

/* The split must give every virtual stage a layer (or the embedding's or loss's slot alone). */
static int check_split(const rs_layout_t* lay, const rs_model_t* m, rs_err_t* err)
{
  int uneven = lay->first_stage_layers > 0 || lay->last_stage_layers > 0;
  if (lay->first_stage_layers < 0 || lay->last_stage_layers < 0)
    return rs_err_set(err, "first_stage_layers and last_stage_layers must be at least 0");
  if (uneven && (lay->embedding_slot || lay->loss_slot))
    return rs_err_set(err, "first_stage_layers and last_stage_layers cannot be set with the embedding or the loss "
                           "counted in the pipeline split (as Megatron-Core refuses)");
  if (uneven && lay->pp < 2)
    return rs_err_set(err, "first_stage_layers and last_stage_layers need pp of at least 2");
  int middle = lay->pp - (lay->first_stage_layers > 0) - (lay->last_stage_layers > 0);
  int rest   = m->layers - lay->first_stage_layers - lay->last_stage_layers;
  if (uneven && (rest < 0 || (middle == 0) != (rest == 0)))
    return rs_err_set(err, "first_stage_layers %d and last_stage_layers %d leave %d layers for %d middle stages",
                      lay->first_stage_layers, lay->last_stage_layers, rest, middle);
  int slots = m->layers + lay->embedding_slot + lay->loss_slot;
  if (slots < lay->pp * lay->vp)
    return rs_err_set(err, "pp x vp = %d stages for %d layers: a stage needs at least one layer", lay->pp * lay->vp,
                      m->layers);
  for (int v = 0; v < lay->pp * lay->vp; v++) {
    int alone = (v == 0 && lay->embedding_slot) || (v == lay->pp * lay->vp - 1 && lay->loss_slot);
    int n     = rs_layout_chunk_layers(lay, m, v % lay->pp, v / lay->pp);
    if (n < 0 || (n == 0 && !alone))
      return rs_err_set(err,
                        "virtual stage %d of pipeline stage %d gets no layer: fewer virtual stages, or other "
                        "first_stage_layers and last_stage_layers",
                        v / lay->pp, v % lay->pp);
  }
  return RS_OK;
}

int rs_layout_resolve(rs_layout_t* lay, const rs_model_t* m, int gpus, rs_err_t* err)
{
  if (lay->tp < 1 || lay->cp < 1 || lay->pp < 1 || lay->ep < 1 || lay->vp < 1 || lay->micro_batch < 1 ||
      lay->global_batch < 1)
    return rs_err_set(err, "tp, cp, pp, ep, vp, micro_batch and global_batch must all be at least 1");
  int model_par = lay->tp * lay->cp * lay->pp;
  if (gpus % model_par != 0)
    return rs_err_set(err, "tp x cp x pp = %d does not divide the %d GPUs", model_par, gpus);
  lay->dp = gpus / model_par;
  if (lay->redundant < 0 || (lay->redundant > 0 && m->experts == 0))
    return rs_err_set(err, "redundant experts (%d) need a mixture of experts and cannot be negative", lay->redundant);
  char name[32];
  if (lay->order.ep_apart && lay->ep > 1)
    return rs_err_set(err,
                      "rank_order puts ep apart from dp, but racksim's EP groups are blocks of consecutive DP ranks: "
                      "write ep right before dp");
  for (int k = 0; k < 4; k++)
    if ((lay->order.omitted & (1 << k)) && dim_size(lay, lay->order.dims[k]) > 1) {
      return rs_err_set(err, "rank_order %s leaves out %cp, whose size is %d: name it",
                        rs_layout_order_name(lay, name, sizeof name), lay->order.dims[k],
                        dim_size(lay, lay->order.dims[k]));
    }
  if (lay->ep > 1 && (m->experts == 0 || lay->dp % lay->ep != 0))
    return rs_err_set(err,
                      "ep = %d needs a mixture of experts whose expert count and data-parallel size (%d) it divides",
                      lay->ep, lay->dp);
  if (lay->ep > 1 && (m->experts + lay->redundant) % lay->ep != 0)
    return rs_err_set(err,
                      "ep = %d divides neither the %d experts nor the %d expert slots with %d redundant experts: "
                      "give redundant experts that make the slots a multiple of ep (SGLang runs 256 + 32 on EP48)",
                      lay->ep, m->experts, m->experts + lay->redundant, lay->redundant);
  if (m->heads % lay->tp != 0)
    return rs_err_set(err, "tp = %d does not divide the model's %d attention heads", lay->tp, m->heads);
  if (m->seq_len % lay->cp != 0)
    return rs_err_set(err, "cp = %d does not divide the sequence length %d", lay->cp, m->seq_len);
  if (lay->vp > 1 && lay->pp < 2)
    return rs_err_set(err, "interleaved pipelines (vp = %d) need pp of at least 2", lay->vp);
  if (lay->dualpipe && (lay->vp > 1 || lay->pp < 2 || lay->pp % 2 != 0))
    return rs_err_set(err,
                      "dualpipe needs an even pp of at least 2 and vp = 1 (it holds two chunks per rank), got pp "
                      "= %d, vp = %d",
                      lay->pp, lay->vp);
  if (check_split(lay, m, err) != RS_OK)
    return RS_ERR;
  if (lay->global_batch % (lay->micro_batch * lay->dp) != 0)
    return rs_err_set(err, "global_batch %d is not a multiple of micro_batch x dp = %d x %d", lay->global_batch,
                      lay->micro_batch, lay->dp);
  lay->n_micro = lay->global_batch / (lay->micro_batch * lay->dp);
  if (lay->vp > 1 && lay->n_micro % lay->pp != 0)
    return rs_err_set(
        err, "interleaved pipelines (vp = %d) need micro-batches per pipeline (%d) to be a multiple of pp (%d)",
        lay->vp, lay->n_micro, lay->pp);
  if (lay->dualpipe && (lay->n_micro % 2 != 0 || lay->n_micro < 2 * lay->pp))
    return rs_err_set(
        err,
        "dualpipe needs an even number of micro-batches per pipeline, at least 2 x pp = %d (half fed from "
        "each end, as DeepSeek's DualPipe asserts), got %d",
        2 * lay->pp, lay->n_micro);
  if (lay->zero < 0 || lay->zero > 3)
    return rs_err_set(err, "zero must be 0, 1, 2 or 3");
  if (lay->dualpipe && lay->zero == 3)
    return rs_err_set(err, "dualpipe with zero 3 is not modelled: use zero 0, 1 or 2");
  /* Megatron-Core's TransformerConfig refuses the same three (transformer_config.py, __post_init__) */
  if (lay->offload_layers > 0 && lay->pp > 1)
    return rs_err_set(err, "activation offload needs pp = 1, as Megatron-Core's CPU offloading does, got pp = %d",
                      lay->pp);
  if (lay->offload_layers > 0 && (lay->recompute == RS_RECOMPUTE_SELECTIVE || lay->recompute == RS_RECOMPUTE_FULL))
    return rs_err_set(err, "activation offload does not work with recomputation (Megatron-Core): set recompute: none");
  if (lay->offload_layers < 0 || lay->offload_layers >= m->layers)
    return rs_err_set(err, "offload_layers must be 0 to %d (fewer than the model's %d layers), got %d", m->layers - 1,
                      m->layers, lay->offload_layers);
  return RS_OK;
}

rs_coords_t rs_layout_coords(const rs_layout_t* lay, int rank)
{
  rs_coords_t c = {0};
  const char* o = order_of(lay);
  for (int k = 0; k < 4; k++) {
    *dim_coord(&c, o[k]) = rank % dim_size(lay, o[k]);
    rank /= dim_size(lay, o[k]);
  }
  c.ep = c.dp % lay->ep;
  return c;
}

int rs_layout_rank(const rs_layout_t* lay, rs_coords_t c)
{
  const char* o = order_of(lay);
  int rank      = 0;
  for (int k = 3; k >= 0; k--)
    rank = rank * dim_size(lay, o[k]) + *dim_coord(&c, o[k]);
  return rank;
}

int rs_layout_parse_order(const char* text, rs_rank_order_t* order, rs_err_t* err)
{
  static const char* const names[] = {"tp", "cp", "dp", "pp"};
  char seen[4]                     = {0};
  int n = 0, ep_at = -1;
  const char* p = text;
  for (;;) {
    const char* end = strchr(p, '-');
    size_t len      = end ? (size_t)(end - p) : strlen(p);
    int k           = -1;
    for (int i = 0; i < 4; i++)
      if (len == 2 && strncmp(p, names[i], 2) == 0)
        k = i;
    if (len == 2 && strncmp(p, "ep", 2) == 0 && ep_at < 0)
      ep_at = n;
    else if (k < 0 || seen[k])
      return rs_err_set(err,
                        "expected tp, cp, dp and pp at most once each, fastest first, joined by '-' (ep right before "
                        "dp), such as tp-cp-ep-dp-pp, got '%s'",
                        text);
    else {
      seen[k]          = 1;
      order->dims[n++] = "tcdp"[k];
    }
    if (end == NULL)
      break;
    p = end + 1;
  }
  order->ep_apart = ep_at >= 0 && (ep_at >= n || order->dims[ep_at] != 'd');
  order->omitted  = 0;
  for (int k = 0; k < 4; k++)
    if (!seen[k]) { /* left out: slowest, and it must be of size 1 */
      order->omitted |= 1 << n;
      order->dims[n++] = "tcdp"[k];
    }
  return RS_OK;
}

const char* rs_layout_order_name(const rs_layout_t* lay, char* buf, size_t len)
{
  const char* o = order_of(lay);
  buf[0]        = 0;
  for (int k = 0; k < 4; k++) {
    if (lay->order.omitted & (1 << k))
      continue;
    static const char* const words[] = {"tp", "cp", "ep-dp", "pp"};
    const char* w                    = words[strchr("tcdp", o[k]) - "tcdp"];
    snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", k ? "-" : "", w);
  }
  return buf;
}

/* Layers of virtual stage v (chunk x pp + stage, model order) when n layers are spread as evenly as the
 * count allows over `count` of them: counts differ by at most one, the larger ones first. */
static int spread(int n, int count, int v)
{
  return n / count + (v < n % count);
}

int rs_layout_chunks(const rs_layout_t* lay)
{
  return lay->dualpipe ? 2 : lay->vp;
}

int rs_layout_dual_position(const rs_layout_t* lay, int stage, int chunk)
{
  if (!lay->dualpipe)
    return stage;
  int near = stage < lay->pp - 1 - stage ? stage : lay->pp - 1 - stage;
  return chunk == 0 ? near : lay->pp - 1 - near;
}

/* DualPipe's chunks are stages of the plain split (vp = 1): the layout without it. */
static rs_layout_t plain(const rs_layout_t* lay)
{
  rs_layout_t p = *lay;
  p.dualpipe    = 0;
  return p;
}

int rs_layout_chunk_layers(const rs_layout_t* lay, const rs_model_t* m, int stage, int chunk)
{
  if (lay->dualpipe) {
    rs_layout_t p = plain(lay);
    return rs_layout_chunk_layers(&p, m, rs_layout_dual_position(lay, stage, chunk), 0);
  }
  int pp = lay->pp, vp = lay->vp;
  if (lay->first_stage_layers > 0 || lay->last_stage_layers > 0) {
    /* Megatron-Core's uneven pipeline: the given counts on the first and last stages, the rest over the
     * middle ones; each stage's layers over its vp chunks */
    int first = lay->first_stage_layers, last = lay->last_stage_layers;
    int middle = pp - (first > 0) - (last > 0);
    int n;
    if (stage == 0 && first > 0)
      n = first;
    else if (stage == pp - 1 && last > 0)
      n = last;
    else
      n = spread(m->layers - first - last, middle, stage - (first > 0));
    return spread(n, vp, chunk);
  }
  int v = chunk * pp + stage;
  int n = spread(m->layers + lay->embedding_slot + lay->loss_slot, pp * vp, v);
  if (v == 0)
    n -= lay->embedding_slot;
  if (v == pp * vp - 1)
    n -= lay->loss_slot;
  return n;
}

int rs_layout_chunk_first_layer(const rs_layout_t* lay, const rs_model_t* m, int stage, int chunk)
{
  if (lay->dualpipe) {
    rs_layout_t p = plain(lay);
    return rs_layout_chunk_first_layer(&p, m, rs_layout_dual_position(lay, stage, chunk), 0);
  }
  int first = 0;
  for (int v = 0; v < chunk * lay->pp + stage; v++)
    first += rs_layout_chunk_layers(lay, m, v % lay->pp, v / lay->pp);
  return first;
}

int rs_layout_stage_layers(const rs_layout_t* lay, const rs_model_t* m, int stage)
{
  int n = 0;
  for (int k = 0; k < rs_layout_chunks(lay); k++)
    n += rs_layout_chunk_layers(lay, m, stage, k);
  return n;
}

int rs_layout_stage_first_layer(const rs_layout_t* lay, const rs_model_t* m, int stage)
{
  return rs_layout_chunk_first_layer(lay, m, stage, 0);
}

/* Whether stage holds the first (last) stage of the plain split: stage 0 (pp - 1); under DualPipe the
 * two end ranks both hold both. */
static int holds_first(const rs_layout_t* lay, int stage)
{
  return stage == 0 || (lay->dualpipe && stage == lay->pp - 1);
}
static int holds_last(const rs_layout_t* lay, int stage)
{
  return stage == lay->pp - 1 || (lay->dualpipe && stage == 0);
}

/* Layer i's parameters on one EP rank, before TP: a MoE layer's expert slots (its routed experts and the
 * redundant copies) are split over EP, the rest is not. */
static double ep_rank_layer_params(const rs_layout_t* lay, const rs_model_t* m, int i)
{
  double layer = rs_model_layer_params(m, i);
  if (rs_model_layer_routed_params(m, i) == 0) /* a dense layer */
    return layer;
  double expert = (m->gated ? 3.0 : 2.0) * m->hidden * m->expert_ffn;
  return layer - m->experts * expert + (m->experts + lay->redundant) * expert / lay->ep;
}

double rs_layout_stage_params(const rs_layout_t* lay, const rs_model_t* m, int stage)
{
  double p = 0;
  for (int k = 0; k < rs_layout_chunks(lay); k++) {
    int first = rs_layout_chunk_first_layer(lay, m, stage, k);
    for (int i = first; i < first + rs_layout_chunk_layers(lay, m, stage, k); i++)
      p += ep_rank_layer_params(lay, m, i);
  }
  if (holds_first(lay, stage))
    p += rs_model_input_params(m);
  /* the output layer, and the MTP modules beside it: each one's layer is shaped as the last, its experts
   * split over EP when that one is a MoE layer (not so when dense_layers covers every layer) */
  if (holds_last(lay, stage)) {
    int last = m->layers - 1;
    p += rs_model_output_params(m);
    p += rs_model_mtp_params(m) - m->mtp_depth * (rs_model_layer_params(m, last) - ep_rank_layer_params(lay, m, last));
  }
  return p / lay->tp;
}

rs_recompute_t rs_layout_layer_recompute(const rs_layout_t* lay, int pos)
{
  if (lay->recompute == RS_RECOMPUTE_FULL && lay->recompute_layers > 0 && pos >= lay->recompute_layers)
    return RS_RECOMPUTE_NONE;
  return lay->recompute;
}

rs_mem_t rs_layout_train_memory(const rs_layout_t* lay, const rs_model_t* m, int stage)
{
  double p   = rs_layout_stage_params(lay, m, stage);
  double dp  = (double)lay->dp * lay->cp; /* the optimizer is sharded over DP x CP in Megatron-LM */
  rs_mem_t r = {0};
  /* Bytes per parameter, Megatron-Core's distributed-optimizer guide (docs/source/api-guide/
   * dist_optimizer.md): 16-bit parameters and gradients 20 = 2 + 2 + 16 (4 + 16/d sharded), bf16
   * parameters with fp32 gradients 18 = 2 + 4 + 12 (6 + 12/d): the optimizer keeps an fp32 copy of its
   * shard of the main gradients only when they are 16-bit. */
  int fp32_grads = lay->grad_precision == RS_GRAD_FP32;
  r.weights      = 2 * p / (lay->zero >= 3 ? dp : 1);
  r.grads        = (fp32_grads ? 4 : 2) * p / (lay->zero >= 2 ? dp : 1);
  r.optimizer    = (fp32_grads ? 12 : 16) * p / (lay->zero >= 1 ? dp : 1);
  /* 1F1B keeps up to pp - stage micro-batches in flight on a stage (interleaving adds (pp-1)/(pp vp)
   * for the first stage, Narayanan et al.); each holds its layers' activations, split over CP. DualPipe
   * keeps pp + 1 chunks' worth (DeepSeek-V3 report, Table 2), a chunk being half the rank's layers. */
  double in_flight = lay->pp - stage < lay->n_micro ? lay->pp - stage : lay->n_micro;
  if (lay->dualpipe)
    in_flight = (lay->pp + 1) / 2.0;
  double layer =
      rs_model_layer_activation_bytes(m, lay->micro_batch, lay->tp, lay->recompute, lay->attention) / lay->cp;
  double factor = lay->vp > 1 ? 1 + (lay->pp - 1.0) / (lay->pp * lay->vp) : 1;
  /* offloaded layers (pp = 1: all on this stage) keep none on the GPU; the copy in transit, one layer's
   * staging buffer, is not counted (unverified simplification); the MTP modules' layers are the last
   * stage's too, with its in-flight count (unverified: their embedding and projection inputs not counted) */
  int layers    = rs_layout_stage_layers(lay, m, stage);
  int offloaded = lay->offload_layers < layers ? lay->offload_layers : layers;
  int mtp       = holds_last(lay, stage) ? m->mtp_depth : 0;
  r.activations = layer * (layers + mtp - offloaded) * in_flight * factor;
  if (lay->recompute == RS_RECOMPUTE_FULL && lay->recompute_layers > 0) { /* block: the rest keep theirs */
    double kept =
        rs_model_layer_activation_bytes(m, lay->micro_batch, lay->tp, RS_RECOMPUTE_NONE, lay->attention) / lay->cp;
    r.activations = mtp * layer * in_flight * factor;
    for (int c = 0; c < rs_layout_chunks(lay); c++) {
      int n    = rs_layout_chunk_layers(lay, m, stage, c);
      int full = n < lay->recompute_layers ? n : lay->recompute_layers;
      r.activations += (full * layer + (n - full) * kept) * in_flight * factor;
    }
  }
  r.offloaded = layer * offloaded * in_flight * factor;
  /* zero 3 gathers each layer's bf16 weights whole before it runs (FSDP's unsharded parameters), and with
   * prefetch holds the next one's too: the stage's largest layer, 1 + gather_ahead times, when DP shards it */
  if (lay->zero >= 3 && lay->dp > 1) {
    double largest = 0;
    for (int i = 0; i < rs_layout_chunks(lay); i++) {
      int first = rs_layout_chunk_first_layer(lay, m, stage, i);
      for (int k = first; k < first + rs_layout_chunk_layers(lay, m, stage, i); k++)
        if (rs_model_layer_params(m, k) > largest)
          largest = rs_model_layer_params(m, k);
    }
    r.gathered = 2 * largest / lay->tp * (1 + lay->gather_ahead);
  }
  r.total = r.weights + r.grads + r.optimizer + r.activations + r.gathered;
  return r;
}

rs_mem_t rs_layout_train_memory_max(const rs_layout_t* lay, const rs_model_t* m, int* stage)
{
  rs_mem_t best = rs_layout_train_memory(lay, m, 0);
  *stage        = 0;
  for (int s = 1; s < lay->pp; s++) {
    rs_mem_t r = rs_layout_train_memory(lay, m, s);
    if (r.total > best.total) {
      best   = r;
      *stage = s;
    }
  }
  return best;
}
