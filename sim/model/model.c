/* model.c -- parameter, FLOP and activation counts of transformer LLMs, and the published presets.
 * Counts follow Narayanan et al. (SC'21) for GPT, so that TF/GPU means what their Table 1 means, and
 * extend them to grouped-query attention, SwiGLU, mixture of experts and latent attention.
 * See docs/model.md for every formula. See LICENSE. */
#include "model/model.h"

#include <stdio.h>
#include <string.h>

/* Shapes as published: Narayanan et al. SC'21 Table 1 (GPT family, vocabulary padded to 51,200,
 * sequence 2,048); Brown et al. 2020 (GPT-3); Meta's Llama 2 (Touvron et al. 2023, 70B) and Llama 3
 * model cards (params.json); DeepSeek-V3
 * technical report (config.json). Fields: name, layers, hidden, ffn, heads, kv_heads, vocab, seq,
 * gated, tied, experts, experts_per_token, shared, expert_ffn, dense_layers, q_lora, kv_lora,
 * qk_nope, qk_rope, v_head. */
static const rs_model_t presets[] = {
    {"gpt-1.7b", 24, 2304, 9216, 24, 24, 51200, 2048, 0, 1},
    {"gpt-3.6b", 30, 3072, 12288, 32, 32, 51200, 2048, 0, 1},
    {"gpt-7.5b", 36, 4096, 16384, 32, 32, 51200, 2048, 0, 1},
    {"gpt-18.4b", 40, 6144, 24576, 48, 48, 51200, 2048, 0, 1},
    {"gpt-39.1b", 48, 8192, 32768, 64, 64, 51200, 2048, 0, 1},
    {"gpt-76.1b", 60, 10240, 40960, 80, 80, 51200, 2048, 0, 1},
    {"gpt-145.6b", 80, 12288, 49152, 96, 96, 51200, 2048, 0, 1},
    {"gpt-310.1b", 96, 16384, 65536, 128, 128, 51200, 2048, 0, 1},
    {"gpt-529.6b", 105, 20480, 81920, 128, 128, 51200, 2048, 0, 1},
    {"gpt-1008b", 128, 25600, 102400, 160, 160, 51200, 2048, 0, 1},
    {"gpt3-175b", 96, 12288, 49152, 96, 96, 51200, 2048, 0, 1},
    {"llama2-70b", 80, 8192, 28672, 64, 8, 32000, 4096, 1, 0},
    {"llama3-8b", 32, 4096, 14336, 32, 8, 128256, 8192, 1, 0},
    {"llama3-70b", 80, 8192, 28672, 64, 8, 128256, 8192, 1, 0},
    {"llama3-405b", 126, 16384, 53248, 128, 8, 128256, 8192, 1, 0},
    {"deepseek-v3", 61, 7168, 18432, 128, 128, 129280, 4096, 1, 0, 256, 8, 1, 2048, 3, 1536, 512, 128, 64, 128},
};

#define N_PRESETS ((int)(sizeof presets / sizeof presets[0]))

const char* rs_model_preset_at(int i)
{
  return i >= 0 && i < N_PRESETS ? presets[i].name : NULL;
}

int rs_model_preset(const char* name, rs_model_t* m)
{
  for (int i = 0; i < N_PRESETS; i++)
    if (strcmp(presets[i].name, name) == 0) {
      *m = presets[i];
      return RS_OK;
    }
  return RS_ERR;
}

int rs_model_check(const rs_model_t* m, rs_err_t* err)
{
  if (m->layers < 1 || m->hidden < 1 || m->ffn < 1 || m->heads < 1 || m->kv_heads < 1 || m->vocab < 1 || m->seq_len < 1)
    return rs_err_set(err, "layers, hidden, ffn, heads, kv_heads, vocab and seq_len must all be at least 1");
  if (m->kv_lora_rank == 0 && m->hidden % m->heads != 0)
    return rs_err_set(err, "heads (%d) must divide hidden (%d)", m->heads, m->hidden);
  if (m->heads % m->kv_heads != 0)
    return rs_err_set(err, "kv_heads (%d) must divide heads (%d)", m->kv_heads, m->heads);
  if (m->experts > 0 && (m->experts_per_token < 1 || m->experts_per_token > m->experts || m->expert_ffn < 1))
    return rs_err_set(err, "a mixture of experts needs 1 <= experts_per_token <= experts and expert_ffn >= 1");
  if (m->dense_layers > m->layers)
    return rs_err_set(err, "dense_layers (%d) exceeds layers (%d)", m->dense_layers, m->layers);
  if (m->mtp_depth < 0 || m->mtp_depth > 16)
    return rs_err_set(err, "mtp_depth must be 0 to 16, got %d", m->mtp_depth);
  return RS_OK;
}

/* ---- parameters ------------------------------------------------------------------------------- */

static int is_moe_layer(const rs_model_t* m, int i)
{
  return m->experts > 0 && i >= m->dense_layers;
}

/* Attention projections: Q, K, V and output (GQA), or MLA's low-rank projections. */
static double attn_params(const rs_model_t* m)
{
  double h = m->hidden;
  if (m->kv_lora_rank > 0) {
    double qk = m->qk_nope_dim + m->qk_rope_dim;
    double q  = m->q_lora_rank > 0 ? h * m->q_lora_rank + (double)m->q_lora_rank * m->heads * qk : h * m->heads * qk;
    double kv =
        h * (m->kv_lora_rank + m->qk_rope_dim) + (double)m->kv_lora_rank * m->heads * (m->qk_nope_dim + m->v_head_dim);
    return q + kv + (double)m->heads * m->v_head_dim * h;
  }
  double head_dim = h / m->heads;
  return h * h + 2 * h * m->kv_heads * head_dim + h * h;
}

static double mlp_params(const rs_model_t* m, double ffn)
{
  return (m->gated ? 3.0 : 2.0) * m->hidden * ffn;
}

/* Norms and biases: GPT's two LayerNorms (4h) and linear biases (9h) make Megatron's 13h; RMSNorm, 2h. */
static double small_params(const rs_model_t* m)
{
  return m->gated ? 2.0 * m->hidden : 13.0 * m->hidden;
}

double rs_model_layer_params(const rs_model_t* m, int i)
{
  double p = attn_params(m) + small_params(m);
  if (!is_moe_layer(m, i))
    return p + mlp_params(m, m->ffn);
  return p + (m->experts + m->shared_experts) * mlp_params(m, m->expert_ffn) + (double)m->hidden * m->experts;
}

double rs_model_layer_routed_params(const rs_model_t* m, int i)
{
  return is_moe_layer(m, i) ? m->experts * mlp_params(m, m->expert_ffn) : 0;
}

/* Token embedding, and learned positions for GPT (Llama's rotary positions have no parameters). */
double rs_model_input_params(const rs_model_t* m)
{
  return (double)m->vocab * m->hidden + (m->gated ? 0 : (double)m->seq_len * m->hidden);
}

double rs_model_output_params(const rs_model_t* m)
{
  return m->tied ? 0 : (double)m->vocab * m->hidden;
}

/* One MTP module's own parameters: its layer (shaped as the main model's last), the projection of the
 * concatenated 2h normalised hidden state and embedding to h, and its three RMSNorms (of both inputs and
 * before the shared head). */
static double mtp_module_params(const rs_model_t* m)
{
  double h = m->hidden;
  return rs_model_layer_params(m, m->layers - 1) + 2 * h * h + 3 * h;
}

double rs_model_mtp_params(const rs_model_t* m)
{
  return m->mtp_depth * mtp_module_params(m);
}

double rs_model_mtp_head_fwd_flops(const rs_model_t* m)
{
  double h = m->hidden;
  return m->mtp_depth * (2 * 2 * h * h + rs_model_logits_fwd_flops(m));
}

double rs_model_mtp_fwd_flops(const rs_model_t* m)
{
  return m->mtp_depth * rs_model_layer_fwd_flops(m, m->layers - 1) + rs_model_mtp_head_fwd_flops(m);
}

double rs_model_params(const rs_model_t* m)
{
  double p = rs_model_input_params(m) + rs_model_output_params(m) + rs_model_mtp_params(m);
  for (int i = 0; i < m->layers; i++)
    p += rs_model_layer_params(m, i);
  return p;
}

double rs_model_active_params(const rs_model_t* m)
{
  double p = rs_model_input_params(m) + rs_model_output_params(m) + rs_model_mtp_params(m);
  for (int i = 0; i < m->layers; i++) {
    p += rs_model_layer_params(m, i);
    if (is_moe_layer(m, i))
      p -= (m->experts - m->experts_per_token) * mlp_params(m, m->expert_ffn);
  }
  if (is_moe_layer(m, m->layers - 1))
    p -= m->mtp_depth * (m->experts - m->experts_per_token) * mlp_params(m, m->expert_ffn);
  return p;
}

/* ---- FLOPs ------------------------------------------------------------------------------------- */

double rs_model_attn_score_fwd_flops(const rs_model_t* m)
{
  double s = m->seq_len;
  if (m->kv_lora_rank > 0)
    return 2 * s * m->heads * (m->qk_nope_dim + m->qk_rope_dim) + 2 * s * m->heads * m->v_head_dim;
  return 4 * s * m->hidden; /* Q K^T and attention x V, each 2 s h */
}

double rs_model_layer_fwd_flops(const rs_model_t* m, int i)
{
  double f = 2 * attn_params(m) + rs_model_attn_score_fwd_flops(m);
  if (!is_moe_layer(m, i))
    return f + 2 * mlp_params(m, m->ffn);
  return f + 2 * (m->experts_per_token + m->shared_experts) * mlp_params(m, m->expert_ffn) +
         2.0 * m->hidden * m->experts; /* router */
}

double rs_model_logits_fwd_flops(const rs_model_t* m)
{
  return 2.0 * m->hidden * m->vocab;
}

/* Per score element, forward: Q K^T writes it (2 bytes), the fused scale-mask-softmax reads it and writes
 * the probabilities (4), dropout reads them and writes its mask and output (5), the product with V reads
 * that (2): 13. Backward: that product writes the output gradient (2), dropout reads it and the mask and
 * writes (5), softmax reads the gradient and the probabilities and writes (6), the two Q K^T gradient
 * matmuls read it (4): 17. */
double rs_model_attn_score_bytes(const rs_model_t* m, int backward)
{
  return (backward ? 17.0 : 13.0) * m->heads * m->seq_len;
}

static double layers_fwd_flops(const rs_model_t* m)
{
  double f = 0;
  for (int i = 0; i < m->layers; i++)
    f += rs_model_layer_fwd_flops(m, i);
  return f;
}

double rs_model_train_flops_per_token(const rs_model_t* m)
{
  return 3 * (layers_fwd_flops(m) + rs_model_logits_fwd_flops(m) + rs_model_mtp_fwd_flops(m));
}

/* Full recomputation reruns every layer's forward; selective reruns attention scores only
 * (Korthikanti et al. 2022); the output layer is never recomputed. */
double rs_model_train_hw_flops_per_token(const rs_model_t* m, rs_recompute_t rc)
{
  double extra = 0;
  if (rc == RS_RECOMPUTE_FULL) /* the MTP modules' layers too */
    extra = layers_fwd_flops(m) + m->mtp_depth * rs_model_layer_fwd_flops(m, m->layers - 1);
  else if (rc == RS_RECOMPUTE_SELECTIVE)
    extra = (m->layers + m->mtp_depth) * rs_model_attn_score_fwd_flops(m);
  return rs_model_train_flops_per_token(m) + extra;
}

double rs_model_kv_values_per_token(const rs_model_t* m)
{
  if (m->kv_lora_rank > 0)
    return (double)m->kv_lora_rank + m->qk_rope_dim;
  return 2.0 * m->kv_heads * (m->hidden / m->heads);
}

double rs_model_layer_infer_flops(const rs_model_t* m, int i, double tokens, double context)
{
  double per_key = rs_model_attn_score_fwd_flops(m) / m->seq_len;
  double linear  = rs_model_layer_fwd_flops(m, i) - rs_model_attn_score_fwd_flops(m);
  return linear * tokens + per_key * (tokens * context + tokens * (tokens + 1) / 2);
}

/* ---- memory ------------------------------------------------------------------------------------ */

/* Korthikanti et al. 2022, section 4, item by item, per token of a layer in 16-bit values, then split over
 * t with sequence parallelism. Their GPT count, s b h (34/t + 5 a s / (h t)), is this with f = 4h, as many
 * KV heads as heads, and dropout:
 *   attention: its input 2h, Q 2h and K 2 h_kv (for Q K^T), V 2 h_kv, the output projection's input 2h,
 *     the dropout mask after it h; scores 5 a s (softmax output 2, dropout mask 1, dropout output 2), or
 *     2 a s without attention dropout;
 *   MLP: its input 2h, then GeLU's input and output 2f + 2f and the dropout mask h; SwiGLU keeps the gate
 *     and up outputs and their product, 6f;
 *   the two norms' inputs 4h.
 * Grouped-query attention (h_kv = kv_heads x head size) and SwiGLU follow from the same items. Dropout:
 * Megatron-LM's GPT runs use 0.1 (the ungated presets); the Llama recipes none (Meta's and NeMo's configs).
 * The scores are kept only when attention is materialised and not recomputed: selective recomputation
 * drops them, and flash attention never keeps them (only a per-row statistic, negligible). Full
 * recomputation keeps only the layer's input, 2 s b h / t. MoE and latent attention count as the dense
 * shape (not validated). */
double rs_model_layer_activation_bytes(const rs_model_t* m, int mb, int tp, rs_recompute_t rc, rs_attn_t attn)
{
  double h = m->hidden, s = m->seq_len, tokens = s * mb;
  if (rc == RS_RECOMPUTE_FULL)
    return 2 * tokens * h / tp;
  int dropout      = !m->gated;
  double h_kv      = (double)m->kv_heads * (h / m->heads);
  double attn_part = 2 * h + 2 * h + 2 * h_kv + 2 * h_kv + 2 * h + dropout * h;
  double mlp_part  = 2 * h + (m->gated ? 6.0 * m->ffn : 4.0 * m->ffn) + dropout * h;
  double norms     = 4 * h;
  double scores    = rc == RS_RECOMPUTE_NONE && attn == RS_ATTN_MATERIALISED ? (dropout ? 5.0 : 2.0) * m->heads * s : 0;
  return tokens * (attn_part + mlp_part + norms + scores) / tp;
}

double rs_model_attn_bwd_multiple(rs_recompute_t rc, rs_attn_t attn)
{
  return 2.0 + (rc == RS_RECOMPUTE_NONE ? 0 : 1) + (attn == RS_ATTN_FLASH ? 0.5 : 0);
}

double rs_model_attn_pair_flops(const rs_model_t* m, rs_attn_form_t form)
{
  if (m->kv_lora_rank == 0)
    return 4.0 * m->hidden;
  if (form == RS_ATTN_PREFILL)
    return rs_model_attn_score_fwd_flops(m) / m->seq_len;
  return 2.0 * m->heads * (m->kv_lora_rank + m->qk_rope_dim) + 2.0 * m->heads * m->kv_lora_rank;
}

rs_gemm_flops_t rs_model_layer_gemm_flops(const rs_model_t* m, int i)
{
  rs_gemm_flops_t g = {.proj = 2 * attn_params(m)};
  if (!is_moe_layer(m, i)) {
    g.dense = 2 * mlp_params(m, m->ffn);
    return g;
  }
  g.dense  = 2.0 * m->shared_experts * mlp_params(m, m->expert_ffn) + 2.0 * m->hidden * m->experts;
  g.routed = 2.0 * m->experts_per_token * mlp_params(m, m->expert_ffn);
  return g;
}

/* Q, K and V of one token as the rotary kernel and the KV-cache write see them: GQA's query and its KV
 * heads; MLA's per-head query and the latent with its rotary key. */
static double qkv_values(const rs_model_t* m)
{
  if (m->kv_lora_rank > 0)
    return (double)m->heads * (m->qk_nope_dim + m->qk_rope_dim) + m->kv_lora_rank + m->qk_rope_dim;
  return m->hidden + rs_model_kv_values_per_token(m);
}

void rs_model_layer_stream_values(const rs_model_t* m, int i, double* replicated, double* split)
{
  double act  = m->gated ? 3.0 : 2.0; /* SwiGLU reads gate and up, writes one; GELU reads one, writes one */
  *replicated = 8.0 * m->hidden;
  *split      = 2 * qkv_values(m);
  if (!is_moe_layer(m, i))
    *split += act * m->ffn;
  else
    *split +=
        act * m->expert_ffn * (m->experts_per_token + m->shared_experts) + 2.0 * (m->experts_per_token + 1) * m->hidden;
}

void rs_model_layer_cast_values(const rs_model_t* m, int i, double* fwd, double* bwd)
{
  double h = m->hidden;
  if (m->kv_lora_rank > 0) { /* MLA: K of each projection forward, N backward */
    double qk  = (double)m->heads * (m->qk_nope_dim + m->qk_rope_dim);
    double out = (double)m->heads * m->v_head_dim;
    *fwd       = (m->q_lora_rank > 0 ? h + m->q_lora_rank : h) + h + m->kv_lora_rank + out;
    *bwd       = (m->q_lora_rank > 0 ? m->q_lora_rank + qk : qk) + m->kv_lora_rank + m->qk_rope_dim +
           (double)m->heads * (m->qk_nope_dim + m->v_head_dim) + h;
  } else {
    *fwd = 2 * h;
    *bwd = h + rs_model_kv_values_per_token(m) + h; /* Q, K and V out; the output projection's h */
  }
  double gate = m->gated ? 2.0 : 1.0;
  double ffn = m->ffn, copies = 1;
  if (is_moe_layer(m, i)) {
    ffn    = m->expert_ffn;
    copies = m->experts_per_token + m->shared_experts;
  }
  *fwd += copies * (h + ffn);
  *bwd += copies * (gate * ffn + h);
}
