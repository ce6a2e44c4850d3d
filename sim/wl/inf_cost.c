/* inf_cost.c -- what one engine step costs on one GPU of a pipeline stage: the per-stage figures of a
 * replica (FLOPs and bytes from model.c and layout.c) and, for a step's tokens and attention pairs, the
 * kernels one GPU runs, each class by its own roofline and precision (model/compute.c): the GEMMs at
 * the weights' precision with their weight bytes (every GEMM class at the GPU type's measured serving
 * rate, rs_gpu_serve_gemm_eff, where one is measured), the attention projections at theirs, the routed
 * experts as grouped GEMMs on the busiest EP rank, attention in its prefill or decode form at the
 * precision the engine runs it with the KV cache read at its precision, and the memory-bound kernels on
 * HBM, one after the other. It does not run anything (inf_engine.c executes the seconds) and knows
 * nothing of collectives, which the engine times on the links. Formulas: docs/model.md. See LICENSE. */
#include "wl/inf_int.h"

#include <math.h>
#include <xbt/sysdep.h>

static double prec_bytes(rs_prec_t p)
{
  return p == RS_PREC_BF16 ? 2 : p == RS_PREC_FP8 ? 1 : 0.5;
}

/* Activations move in bf16 through the memory-bound kernels. */
#define ACT_BYTES 2.0

/* The precision attention runs at: the scenario's, or FP8 where the KV cache is FP8 and the GPU has FP8
 * units (TensorRT-LLM's FP8 context FMHA, use_fp8_context_fmha, and FP8 generation attention over an
 * FP8 KV cache: NVIDIA's MLPerf v5.0 Llama 3.1 405B harness configuration; TensorRT-LLM tech blog 3,
 * "FP8 KV cache"), else BF16. Never FP4: no engine runs attention in FP4. */
static rs_prec_t attention_precision(const rs_sc_inference_t* c, const rs_gpu_model_t* gpu)
{
  if (c->attention_precision > 0)
    return (rs_prec_t)(c->attention_precision - 1);
  return c->kv_precision == RS_PREC_FP8 && gpu->peak_flops[RS_PREC_FP8] > 0 ? RS_PREC_FP8 : RS_PREC_BF16;
}

/* TensorRT-LLM tech blog 4 (Scaling Expert Parallelism, Table 1), DeepSeek-R1 on 32 GB200 with EP32 and
 * 8 experts per rank: the busiest rank receives 1.564 times more routed tokens than the mean without a
 * load balancer, 0.115 times more with EPLB's redundant experts (288 slots). The per-expert spread there
 * (standard deviation 164.1 of a mean of 128, 1.28) over 8 experts per rank gives 1.28 / sqrt(8) = 0.45,
 * near the per-rank 0.48 measured: a rank's load is a sum of independent expert loads. So the excess
 * scales as 1 / sqrt(slots per rank), and as sqrt(ln ranks) for the largest of `ep` ranks (the maximum
 * of n draws); both scalings are unverified beyond the measured EP32. */
double rs_inf__moe_imbalance(const rs_sc_inference_t* cfg, const rs_model_t* m, int ep)
{
  if (m->experts == 0 || ep <= 1)
    return 1;
  if (cfg->moe_imbalance > 0)
    return cfg->moe_imbalance;
  double excess_ep32 = cfg->redundant_experts > 0 ? 0.115 : 1.564;
  double per_rank    = (double)(m->experts + cfg->redundant_experts) / ep;
  return 1 + excess_ep32 * sqrt(8.0 / per_rank) * sqrt(log(ep) / log(32));
}

/* The kernels of one layer of a step as a fused engine (TensorRT-LLM's) launches them, by class: the
 * attention projections (Q, K, V fused, and the output; MLA: the query's and the latent's down and up
 * projections, the absorbed W_UK and W_UV, the output), attention itself (RoPE and the KV-cache write
 * fused in), two residual-add + norm kernels and the MLP activation; a dense MLP's two GEMMs, or an MoE
 * layer's router, shared expert GEMMs, top-k, the permutation to the experts and back, and two grouped
 * GEMMs. Only their number matters: each takes at least kernel_floor_s (stage_seconds). */
static void count_kernels(const rs_model_t* m, int moe, rs_inf_stage_t* st)
{
  st->k_proj += m->kv_lora_rank > 0 ? 6 : 2;
  st->k_attn += 1;
  st->k_stream += 3;
  if (moe) {
    st->k_gemm += 1 + (m->shared_experts > 0 ? 2 : 0);
    st->k_moe += 2;
    st->k_stream += 3;
  } else {
    st->k_gemm += 2;
  }
}

void rs_inf__plan_stages(rs_inf_wl_t* w)
{
  const rs_model_t* m        = w->m;
  const rs_layout_t* l       = &w->lay;
  const rs_sc_inference_t* c = w->cfg;
  w->attn_prec               = attention_precision(c, w->gpu);
  w->proj_prec               = c->projection_precision > 0 ? (rs_prec_t)(c->projection_precision - 1) : c->precision;
  w->moe_imbalance           = rs_inf__moe_imbalance(c, m, l->ep);
  double wb = prec_bytes(c->precision), pb = prec_bytes(w->proj_prec), kvb = prec_bytes(c->kv_precision);
  double expert      = (m->gated ? 3.0 : 2.0) * m->hidden * m->expert_ffn; /* one expert's parameters */
  int kv_split       = m->kv_lora_rank > 0 ? 1 : l->tp < m->kv_heads ? l->tp : m->kv_heads; /* heads beyond: copies */
  w->stages          = xbt_new0(rs_inf_stage_t, l->pp);
  w->kvc.token_bytes = 0;
  for (int s = 0; s < l->pp; s++) {
    rs_inf_stage_t* st = &w->stages[s];
    int first          = rs_layout_stage_first_layer(l, m, s);
    st->layers         = rs_layout_stage_layers(l, m, s);
    double proj_params = 0;
    for (int i = first; i < first + st->layers; i++) {
      rs_gemm_flops_t g = rs_model_layer_gemm_flops(m, i);
      double rep, split;
      rs_model_layer_stream_values(m, i, &rep, &split);
      st->proj_flops += g.proj;
      st->dense_flops += g.dense;
      st->routed_flops += g.routed;
      st->pair_flops[RS_ATTN_PREFILL] += rs_model_attn_pair_flops(m, RS_ATTN_PREFILL);
      st->pair_flops[RS_ATTN_DECODE] += rs_model_attn_pair_flops(m, RS_ATTN_DECODE);
      st->stream_rep += rep * ACT_BYTES;
      st->stream_split += split * ACT_BYTES;
      proj_params += g.proj / 2;
      if (g.routed > 0) {
        st->moe_layers++;
        st->expert_bytes += (m->experts + l->redundant) * expert / l->ep / l->tp * wb;
      }
      count_kernels(m, g.routed > 0, st);
    }
    st->k_gemm += s == l->pp - 1; /* the logits */
    st->proj_bytes = proj_params / l->tp * pb;
    st->held_bytes = rs_layout_stage_params(l, m, s) * wb - proj_params / l->tp * wb + st->proj_bytes;
    /* the input embedding is a look-up: a step reads a few rows of it, not all */
    st->weight_bytes =
        st->held_bytes - st->expert_bytes - st->proj_bytes - (s == 0 ? rs_model_input_params(m) / l->tp * wb : 0);
    st->kv_bytes = rs_model_kv_values_per_token(m) * kvb * st->layers / kv_split;
    w->kvc.token_bytes += st->kv_bytes * l->tp;
  }
  w->logits_flops = rs_model_logits_fwd_flops(m);
}

/* Expected share of the routed experts that at least one of `tokens` tokens picks (each picks
 * experts_per_token of them, uniformly): small decode batches read few experts' weights. */
static double experts_touched(const rs_model_t* m, double tokens)
{
  return m->experts > 0 ? 1 - pow(1 - (double)m->experts_per_token / m->experts, tokens) : 0;
}

/* The kernels of one GPU of stage s in step st, but the attention projections (stage_seconds adds
 * them at their own precision). Tokens are spread over the attention-DP (EP) ranks and each rank's
 * GEMMs and heads over its TP group; the routed experts' tokens are those of the busiest EP rank. */
rs_work_t rs_inf__stage_work(const rs_inf_wl_t* w, int s, const rs_inf_step_t* st)
{
  const rs_inf_stage_t* sg = &w->stages[s];
  double tp = w->lay.tp, ep = w->lay.ep, split = tp * ep;
  double gemm = sg->dense_flops * st->tokens;
  if (s == w->lay.pp - 1)
    gemm += w->logits_flops * st->produced;
  double dec_pairs = st->pairs - st->ctx_pairs;
  return (rs_work_t){
      .gemm_flops = gemm / split,
      .gemm_bytes = sg->weight_bytes,
      .gemm_prec  = w->cfg->precision,
      .moe_flops  = sg->routed_flops * st->tokens * w->moe_imbalance / split,
      .moe_bytes  = sg->expert_bytes * experts_touched(w->m, st->tokens),
      .moe_prec   = w->cfg->precision,
      .attn_flops =
          (sg->pair_flops[RS_ATTN_PREFILL] * st->ctx_pairs + sg->pair_flops[RS_ATTN_DECODE] * dec_pairs) / split,
      .attn_bytes   = sg->kv_bytes * st->kv_read / ep,
      .attn_prec    = w->attn_prec,
      .stream_bytes = (sg->stream_rep + sg->stream_split / tp) * st->tokens / ep,
      .serving      = 1,
  };
}

/* Seconds of a class of kernels: their roofline, but at least `kernels` x floor (a kernel takes a few
 * microseconds however little it does: launch, ramp-up and tail, which a small decode batch exposes). */
static double floored(double roofline, int kernels, double floor)
{
  double least = kernels * floor;
  return roofline > least ? roofline : least;
}

double rs_inf__stage_seconds(const rs_inf_wl_t* w, int s, const rs_inf_step_t* st)
{
  const rs_inf_stage_t* sg = &w->stages[s];
  const rs_gpu_model_t* g  = w->gpu;
  rs_work_t k              = rs_inf__stage_work(w, s, st);
  double split             = (double)w->lay.tp * w->lay.ep;
  double f                 = w->cfg->kernel_floor_s;
  rs_work_t gemm = {.gemm_flops = k.gemm_flops, .gemm_bytes = k.gemm_bytes, .gemm_prec = k.gemm_prec, .serving = 1};
  rs_work_t moe  = {.moe_flops = k.moe_flops, .moe_bytes = k.moe_bytes, .moe_prec = k.moe_prec, .serving = 1};
  rs_work_t attn = {.attn_flops = k.attn_flops, .attn_bytes = k.attn_bytes, .attn_prec = k.attn_prec};
  return floored(rs_gpu_work_seconds(g, &gemm), sg->k_gemm, f) + floored(rs_gpu_work_seconds(g, &moe), sg->k_moe, f) +
         floored(rs_gpu_work_seconds(g, &attn), sg->k_attn, f) +
         floored(rs_gpu_stream_seconds(g, k.stream_bytes), sg->k_stream, f) +
         floored(rs_gpu_serve_seconds(g, w->proj_prec, sg->proj_flops * st->tokens / split, sg->proj_bytes), sg->k_proj,
                 f);
}
