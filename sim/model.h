/* model.h -- the arithmetic of an LLM: parameters, FLOPs and bytes of its layers, and the memory a
 * training layout needs per GPU. Pure functions of the model's shape; no SimGrid, no time: turning
 * FLOPs into seconds is the workloads' job, with the GPU's calibration. Formulas: docs/model.md.
 * See LICENSE. */
#ifndef RS_MODEL_H
#define RS_MODEL_H

#include "error.h"

/* A transformer's shape. Dense GPT and Llama models leave the MoE and MLA fields 0. */
typedef struct rs_model {
  char name[48];
  int layers, hidden, ffn, heads, kv_heads, vocab, seq_len;
  int gated; /* 1: SwiGLU MLP (three matrices), 0: GELU MLP (two) */
  int tied;  /* 1: input embedding and output layer share their weights */
  /* Mixture of experts: `experts` routed experts of FFN size expert_ffn, experts_per_token of them
   * active per token, plus shared_experts always active; the first dense_layers layers stay dense. */
  int experts, experts_per_token, shared_experts, expert_ffn, dense_layers;
  /* Multi-head latent attention (DeepSeek-V2/V3); kv_lora_rank 0 means ordinary (grouped-query) attention. */
  int q_lora_rank, kv_lora_rank, qk_nope_dim, qk_rope_dim, v_head_dim;
} rs_model_t;

typedef enum { RS_RECOMPUTE_NONE, RS_RECOMPUTE_SELECTIVE, RS_RECOMPUTE_FULL } rs_recompute_t;

/* Fills m with preset `name` (see rs_model_preset_at); RS_ERR when there is none. */
int rs_model_preset(const char* name, rs_model_t* m);
/* Name of the i-th preset, NULL past the end. */
const char* rs_model_preset_at(int i);
/* RS_ERR and a reason when the shape is not a model (zero sizes, heads not dividing hidden...). */
int rs_model_check(const rs_model_t* m, rs_err_t* err);

/* Parameters in all, and those one token uses (they differ for MoE). */
double rs_model_params(const rs_model_t* m);
double rs_model_active_params(const rs_model_t* m);
/* Parameters of layer i alone (attention, MLP or experts, norms); of the input side (token embedding,
 * plus learned positions for GPT); of the output layer (0 when tied to the embedding). */
double rs_model_layer_params(const rs_model_t* m, int i);
double rs_model_input_params(const rs_model_t* m);
double rs_model_output_params(const rs_model_t* m);

/* Forward FLOPs for one token at full sequence context: of layer i (attention and its MLP/experts),
 * and of the output layer (logits). Matmuls count 2 FLOPs per multiply-add; attention scores count
 * the whole s x s matrix, as Megatron-LM does. */
double rs_model_layer_fwd_flops(const rs_model_t* m, int i);
double rs_model_attn_score_fwd_flops(const rs_model_t* m); /* the s-dependent part of a layer's */
double rs_model_logits_fwd_flops(const rs_model_t* m);

/* FLOPs of one training step per token: "model" FLOPs (forward + backward = 3 x forward, what MFU and
 * NeMo's TF/GPU count) and "hardware" FLOPs (plus the recomputed forward, what Megatron-LM's TF/GPU counts). */
double rs_model_train_flops_per_token(const rs_model_t* m);
double rs_model_train_hw_flops_per_token(const rs_model_t* m, rs_recompute_t rc);

/* Parameters of layer i's routed experts alone (0 for a dense layer); shared experts not included. */
double rs_model_layer_routed_params(const rs_model_t* m, int i);

/* Inference: values the KV cache keeps per token and per layer (multiply by bytes per value): K and V
 * of every KV head, 2 kv_heads head_dim; or, with latent attention, the compressed latent and the
 * rotary key, kv_lora_rank + qk_rope_dim. */
double rs_model_kv_values_per_token(const rs_model_t* m);
/* Inference: forward FLOPs of layer i for `tokens` new tokens of one sequence that already has
 * `context` tokens in its KV cache: the linear part per token plus causal attention scores over
 * context + (tokens + 1) / 2 keys on average (rs_model_attn_score_fwd_flops scaled per key). */
double rs_model_layer_infer_flops(const rs_model_t* m, int i, double tokens, double context);

/* Activation bytes one layer keeps per micro-batch of mb sequences, with tensor parallelism tp and
 * sequence parallelism (Korthikanti et al. 2022, 16-bit activations). */
double rs_model_layer_activation_bytes(const rs_model_t* m, int mb, int tp, rs_recompute_t rc);

#endif
