/* layout.c -- rank coordinates and per-GPU memory of a parallel layout. Memory accounting follows
 * Megatron-Core's distributed optimizer: bf16 weights, gradients in bf16 or fp32, fp32 main weights and
 * Adam moments, sharded over data-parallel ranks by ZeRO stage; activations from model.c. See LICENSE. */
#include "model/model.h"

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
  if (m->layers < lay->pp * lay->vp)
    return rs_err_set(err, "pp x vp = %d stages for %d layers: a stage needs at least one layer", lay->pp * lay->vp,
                      m->layers);
  if (lay->vp > 1 && lay->pp < 2)
    return rs_err_set(err, "interleaved pipelines (vp = %d) need pp of at least 2", lay->vp);
  for (int s = 0; s < lay->pp && lay->vp > 1; s++)
    if (rs_layout_stage_layers(lay, m, s) % lay->vp != 0)
      return rs_err_set(err, "vp = %d does not divide the %d layers of pipeline stage %d", lay->vp,
                        rs_layout_stage_layers(lay, m, s), s);
  if (lay->global_batch % (lay->micro_batch * lay->dp) != 0)
    return rs_err_set(err, "global_batch %d is not a multiple of micro_batch x dp = %d x %d", lay->global_batch,
                      lay->micro_batch, lay->dp);
  lay->n_micro = lay->global_batch / (lay->micro_batch * lay->dp);
  if (lay->vp > 1 && lay->n_micro % lay->pp != 0)
    return rs_err_set(
        err, "interleaved pipelines (vp = %d) need micro-batches per pipeline (%d) to be a multiple of pp (%d)",
        lay->vp, lay->n_micro, lay->pp);
  if (lay->zero < 0 || lay->zero > 3)
    return rs_err_set(err, "zero must be 0, 1, 2 or 3");
  return RS_OK;
}

rs_coords_t rs_layout_coords(const rs_layout_t* lay, int rank)
{
  rs_coords_t c;
  c.tp = rank % lay->tp;
  rank /= lay->tp;
  c.cp = rank % lay->cp;
  rank /= lay->cp;
  c.dp = rank % lay->dp;
  c.pp = rank / lay->dp;
  c.ep = c.dp % lay->ep;
  return c;
}

int rs_layout_rank(const rs_layout_t* lay, rs_coords_t c)
{
  return ((c.pp * lay->dp + c.dp) * lay->cp + c.cp) * lay->tp + c.tp;
}

int rs_layout_stage_layers(const rs_layout_t* lay, const rs_model_t* m, int stage)
{
  return m->layers / lay->pp + (stage < m->layers % lay->pp);
}

int rs_layout_stage_first_layer(const rs_layout_t* lay, const rs_model_t* m, int stage)
{
  int first = 0;
  for (int s = 0; s < stage; s++)
    first += rs_layout_stage_layers(lay, m, s);
  return first;
}

/* Megatron's interleaving: virtual stage chunk x pp + stage holds the chunk-th 1/vp of the stage's layers,
 * so chunk k of every stage comes after all of chunk k-1 in the model. */
int rs_layout_chunk_first_layer(const rs_layout_t* lay, const rs_model_t* m, int stage, int chunk)
{
  return chunk * (m->layers / lay->vp) + rs_layout_stage_first_layer(lay, m, stage) / lay->vp;
}

double rs_layout_stage_params(const rs_layout_t* lay, const rs_model_t* m, int stage)
{
  double p     = 0;
  int first    = rs_layout_stage_first_layer(lay, m, stage);
  int n_layers = rs_layout_stage_layers(lay, m, stage);
  for (int i = first; i < first + n_layers; i++) {
    double layer = rs_model_layer_params(m, i);
    if (m->experts > 0 && i >= m->dense_layers) { /* expert slots are split over EP, the rest is not */
      double expert = (m->gated ? 3.0 : 2.0) * m->hidden * m->expert_ffn;
      layer         = layer - m->experts * expert + (m->experts + lay->redundant) * expert / lay->ep;
    }
    p += layer;
  }
  if (stage == 0)
    p += rs_model_input_params(m);
  if (stage == lay->pp - 1)
    p += rs_model_output_params(m);
  return p / lay->tp;
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
   * for the first stage, Narayanan et al.); each holds its layers' activations, split over CP. */
  int in_flight = lay->pp - stage < lay->n_micro ? lay->pp - stage : lay->n_micro;
  double layer =
      rs_model_layer_activation_bytes(m, lay->micro_batch, lay->tp, lay->recompute, lay->attention) / lay->cp;
  double factor = lay->vp > 1 ? 1 + (lay->pp - 1.0) / (lay->pp * lay->vp) : 1;
  r.activations = layer * rs_layout_stage_layers(lay, m, stage) * in_flight * factor;
  r.total       = r.weights + r.grads + r.optimizer + r.activations;
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
