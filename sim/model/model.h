/* model.h -- racksim's model layer, its whole public face: the arithmetic of an LLM (parameters,
 * FLOPs, bytes, memory), parallel layouts, and the one place where FLOPs and bytes become seconds with
 * a GPU type's calibration. Pure functions: no SimGrid activity, no scenario. See LICENSE. */
#ifndef RS_MODEL_H
#define RS_MODEL_H

#include "base/base.h"
#include "hw/hw.h"

/* ---- the arithmetic of an LLM: parameters, FLOPs and bytes of its layers, and the memory a
 * training layout needs per GPU. Pure functions of the model's shape; no SimGrid, no time: turning
 * FLOPs into seconds is the workloads' job, with the GPU's calibration. Formulas: docs/model.md.
 * */
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
  /* Multi-token prediction (DeepSeek-V3 report, section 2.2): mtp_depth sequential modules after the last
   * layer, each a projection of 2h to h, one transformer layer shaped as the last, three RMSNorms, and the
   * embedding and output head shared with the main model; 0: none. */
  int mtp_depth;
} rs_model_t;

/* Activation recomputation; AUTO is resolved by the workload (none, then selective, then full: the first
 * whose memory fits) before any count below sees it. */
typedef enum { RS_RECOMPUTE_NONE, RS_RECOMPUTE_SELECTIVE, RS_RECOMPUTE_FULL, RS_RECOMPUTE_AUTO } rs_recompute_t;
/* How attention runs: flash (FlashAttention, Dao et al. 2022: the s x s scores stay on chip, neither
 * stored for the backward nor written to HBM) or materialised (Megatron-LM 2021: scores, softmax and
 * dropout written out and kept). */
typedef enum { RS_ATTN_FLASH, RS_ATTN_MATERIALISED } rs_attn_t;
/* The precision the data-parallel gradients are kept and reduced in (Megatron-Core's main_grad buffer). */
typedef enum { RS_GRAD_BF16, RS_GRAD_FP32 } rs_grad_prec_t;

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
/* HBM bytes per token that one layer's materialised s x s attention scores move (scores, softmax,
 * dropout and their gradients, 16-bit, as Megatron-LM's unfused-attention kernels do), forward or
 * backward. 0 work is implied for flash attention, which never writes them: callers decide. */
double rs_model_attn_score_bytes(const rs_model_t* m, int backward);

/* FLOPs of one training step per token: "model" FLOPs (forward + backward = 3 x forward, what MFU and
 * NeMo's TF/GPU count) and "hardware" FLOPs (plus the recomputed forward, what Megatron-LM's TF/GPU counts). */
double rs_model_train_flops_per_token(const rs_model_t* m);
double rs_model_train_hw_flops_per_token(const rs_model_t* m, rs_recompute_t rc);

/* Multi-token prediction (mtp_depth modules): their parameters, D (layer + 2 h^2 + 3 h), and forward FLOPs
 * per token, D (layer + 2 x 2 h^2 + the shared output head's 2 h V), of which D (2 x 2 h^2 + 2 h V) is
 * outside their layers (the projections and the head, which run beside the main model's output layer);
 * all 0 without MTP. rs_model_params, rs_model_active_params and the training FLOPs above count them. */
double rs_model_mtp_params(const rs_model_t* m);
double rs_model_mtp_fwd_flops(const rs_model_t* m);
double rs_model_mtp_head_fwd_flops(const rs_model_t* m);

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

/* Inference: the two forms in which engines run attention. Prefill (a prompt or a chunk of it) and
 * decode (one new token of a sequence) differ for latent attention (MLA): engines up-project the cached
 * latent to per-head keys and values in prefill, and absorb the up-projections into the query and the
 * output in decode, attending over the latent itself (DeepSeek-V2 report, section 2.1.2; TensorRT-LLM
 * tech blog 3, "Weights absorb and MQA"). Grouped-query attention is the same in both. */
typedef enum { RS_ATTN_PREFILL, RS_ATTN_DECODE } rs_attn_form_t;
/* FLOPs of one (query, key) pair of attention scores in one layer, in that form: GQA 4 h (Q K^T and
 * scores x V, 2 h each); MLA prefill 2 a (d_nope + d_rope) + 2 a d_v (81,920 for DeepSeek-V3); MLA
 * decode 2 a (kv_lora + d_rope) + 2 a kv_lora (278,528 for DeepSeek-V3). */
double rs_model_attn_pair_flops(const rs_model_t* m, rs_attn_form_t form);

/* Inference: forward GEMM FLOPs per token of layer i, by the kernels that run them: the attention
 * projections (Q, K, V and output, or MLA's low-rank ones), the dense part (a dense MLP, or the shared
 * experts and the router of an MoE layer), and the routed experts (experts_per_token of them, as grouped
 * GEMMs). proj + dense + routed + attention scores make rs_model_layer_infer_flops. */
typedef struct rs_gemm_flops {
  double proj, dense, routed;
} rs_gemm_flops_t;
rs_gemm_flops_t rs_model_layer_gemm_flops(const rs_model_t* m, int i);

/* Inference: values the memory-bound kernels of layer i read and write per token (docs/model.md): those
 * every TP rank repeats (two fused residual-add + norm kernels, each reading and writing the hidden state
 * and the residual: 8 h) into *replicated, and those TP splits into *split (rotary embedding and the
 * KV-cache write, reading and writing Q, K and V; the MLP activation, SwiGLU reading gate and up and
 * writing their product, 3 f, or GELU, 2 f; in an MoE layer that of each active expert, plus the
 * permutation of each token to its experts and back, 2 (k + 1) h). */
void rs_model_layer_stream_values(const rs_model_t* m, int i, double* replicated, double* split);
/* Values per token that FP8 training quantises in layer i's Transformer Engine Linears, whole layer (over
 * TP, each rank casts 1/t of them): forward, every GEMM input (each Linear's K: GQA's QKV and output
 * projection h + h, the MLP h + f; MLA's down, up and output projections; an MoE layer's per active and
 * shared expert); backward, every GEMM output gradient (each Linear's N: QKV h + 2 h_kv, output h, the MLP
 * g f + h with g = 2 for SwiGLU). The router and the output layer are BF16 and not counted. */
void rs_model_layer_cast_values(const rs_model_t* m, int i, double* fwd, double* bwd);

/* Activation bytes one layer keeps per micro-batch of mb sequences, with tensor parallelism tp and
 * sequence parallelism (Korthikanti et al. 2022, 16-bit activations): the 5 a s^2 b / t bytes of scores
 * only when attention is materialised and not recomputed. rc is none, selective or full. */
double rs_model_layer_activation_bytes(const rs_model_t* m, int mb, int tp, rs_recompute_t rc, rs_attn_t attn);
/* Forward-equivalent multiples of rs_model_attn_score_fwd_flops that one layer's backward pass runs for
 * its attention scores: 2 for the gradients, plus the forward recomputed by selective or full
 * recomputation, plus, for flash attention, the Q K^T its backward kernel recomputes (FlashAttention-2,
 * Dao 2023: the backward is 2.5 times the forward's FLOPs). */
double rs_model_attn_bwd_multiple(rs_recompute_t rc, rs_attn_t attn);

/* The order in which ranks are laid out, the fastest-varying dimension first: 't', 'c', 'd', 'p'; all
 * zero: Megatron-Core's default, tp-cp-ep-dp-pp (EP groups are blocks of consecutive DP ranks, ep just
 * before dp, in every order). Dimensions the written order leaves out (Megatron allows it for those of
 * size 1) come last, and are flagged in `omitted` (bit 1 << k for dims[k]). */
typedef struct rs_rank_order {
  char dims[4];
  int omitted;
  int ep_apart; /* ep written elsewhere than right before dp: refused when ep > 1 */
} rs_rank_order_t;

/* ---- a parallel layout of a model on GPUs: tensor (TP), context (CP), expert (EP), data (DP)
 * and pipeline (PP) parallelism, ranks mapped Megatron-style (TP fastest, then CP, then DP, PP slowest,
 * EP inside DP), and the memory each GPU then needs. Pure arithmetic, shared by training and inference.
 * */
typedef struct rs_layout {
  int tp, cp, ep, pp, vp; /* vp: virtual (interleaved) stages per pipeline rank */
  /* Training: DeepSeek's DualPipe (1) instead of 1F1B: micro-batches fed from both ends, each rank holding
   * two chunks, stage min(s, pp - 1 - s) of one direction and its mirror of the other (vp stays 1) */
  int dualpipe;
  int dp;           /* derived: gpus / (tp cp pp) */
  int zero;         /* 0: replicated optimizer (DDP); 1: optimizer sharded over DP (distributed
                       optimizer); 2: and gradients; 3: and weights (FSDP) */
  int micro_batch;  /* sequences per micro-batch */
  int global_batch; /* sequences per iteration */
  int n_micro;      /* derived: micro-batches per pipeline per iteration */
  int redundant;    /* inference: redundant expert slots (copies of hot experts, as EPLB places them); ep
                       must divide experts + redundant */
  rs_recompute_t recompute;
  rs_attn_t attention;
  rs_grad_prec_t grad_precision;
  /* How the layers are split over the pp x vp virtual stages (Megatron-Core's TransformerConfig): as
   * evenly as the count allows (counts differ by at most one, the extra layers on the first virtual
   * stages in model order), with the embedding and the loss each counted as one more layer slot on the
   * first and the last virtual stage (account_for_embedding/loss_in_pipeline_split), or with the first
   * and last pipeline stages holding the given numbers of layers and the middle ones the rest
   * (num_layers_in_first/last_pipeline_stage; 0: not set). */
  int embedding_slot, loss_slot;
  int first_stage_layers, last_stage_layers;
  rs_rank_order_t order;
  /* Training: layers whose saved activations go to the GPU's CPU host in the forward and come back for
   * the backward (Megatron-Core's cpu_offloading_num_layers, the first ones in model order); 0: none.
   * Megatron-Core allows it only with pp = 1, without recomputation, and for fewer than all layers. */
  int offload_layers;
  /* Training with zero 3: layers whose gathered weights wait in HBM beside the one computing (FSDP's prefetch:
   * 1; none: 0). Set by the workload, not read from a scenario key of its own. */
  int gather_ahead;
  /* Training with full recomputation: only the first recompute_layers layers of each virtual stage are
   * recomputed, the others keep their activations (Megatron-Core's recompute_method block with
   * recompute_num_layers); 0: every layer. */
  int recompute_layers;
} rs_layout_t;

/* A rank's place in the layout. */
typedef struct rs_coords {
  int tp, cp, dp, pp, ep;
} rs_coords_t;

/* Bytes per GPU, by what they hold. */
typedef struct rs_mem {
  double weights, grads, optimizer, activations, total;
  double
      gathered; /* zero 3: the whole (TP-split) weights of the layer computing and of those gathered ahead (in total) */
  double offloaded; /* activations held in the CPU host's memory instead (not in total) */
} rs_mem_t;

/* Checks that the layout divides gpus and the model, and derives dp and n_micro; RS_ERR with the reason
 * ("tp x cp x pp = 48 does not divide the 128 GPUs") otherwise. */
int rs_layout_resolve(rs_layout_t* lay, const rs_model_t* m, int gpus, rs_err_t* err);
rs_coords_t rs_layout_coords(const rs_layout_t* lay, int rank);
/* Reads a rank order as Megatron writes it ("tp-cp-ep-dp-pp", "tp-cp-ep-pp-dp", "tp-dp-pp": tp, cp, dp
 * and pp at most once each, fastest first, ep optional; rs_layout_resolve refuses one that leaves out a
 * dimension larger than 1, or with ep > 1 puts ep elsewhere than right before dp) into order; RS_ERR
 * with the reason otherwise. */
int rs_layout_parse_order(const char* text, rs_rank_order_t* order, rs_err_t* err);
/* The layout's rank order in those words (Megatron's default when unset), into buf of len bytes. */
const char* rs_layout_order_name(const rs_layout_t* lay, char* buf, size_t len);
/* The rank at coordinates c (inverse of rs_layout_coords; c.ep is ignored). */
int rs_layout_rank(const rs_layout_t* lay, rs_coords_t c);
/* Chunks per rank: vp, or 2 under DualPipe. */
int rs_layout_chunks(const rs_layout_t* lay);
/* DualPipe: the stage of the plain pp split that chunk `chunk` of stage `stage` holds (min(stage,
 * pp - 1 - stage) for chunk 0, its mirror for chunk 1); without DualPipe, stage. */
int rs_layout_dual_position(const rs_layout_t* lay, int stage, int chunk);
/* Transformer layers held by virtual stage (interleaved chunk) `chunk` of pipeline stage `stage`, as the
 * layout's split puts them (0 only on a chunk whose one slot is the embedding or the loss). */
int rs_layout_chunk_layers(const rs_layout_t* lay, const rs_model_t* m, int stage, int chunk);
/* First layer of that chunk: virtual stage chunk x pp + stage comes after every virtual stage before it
 * in that order (Megatron's interleaving), so chunk k of every stage follows all of chunk k - 1. */
int rs_layout_chunk_first_layer(const rs_layout_t* lay, const rs_model_t* m, int stage, int chunk);
/* The recomputation of the layer at position pos (from 0) of its virtual stage: the layout's, except
 * none past the first recompute_layers under full recomputation with recompute_layers > 0. */
rs_recompute_t rs_layout_layer_recompute(const rs_layout_t* lay, int pos);
/* Transformer layers held by pipeline stage `stage`: the sum over its chunks. */
int rs_layout_stage_layers(const rs_layout_t* lay, const rs_model_t* m, int stage);
/* First layer of that stage (of its first chunk; with vp = 1 its layers are contiguous from there). */
int rs_layout_stage_first_layer(const rs_layout_t* lay, const rs_model_t* m, int stage);
/* Parameters one GPU of pipeline stage `stage` holds before any ZeRO sharding: its layers split over TP
 * (experts over EP too), the embedding on the first stage, the output layer on the last. */
double rs_layout_stage_params(const rs_layout_t* lay, const rs_model_t* m, int stage);
/* Memory of one GPU of pipeline stage `stage` in training, as Megatron-Core's distributed optimizer
 * keeps it (mixed precision with Adam, fp32 main weights): bf16 gradients 2 + 2 bytes per parameter and
 * 16 of optimizer state (main weights, a main-gradient copy, two moments), fp32 gradients 2 + 4 and 12;
 * activations of the micro-batches the 1F1B schedule keeps in flight, less those of the offloaded layers,
 * which the CPU host holds (`offloaded`). lay->recompute must be resolved. */
rs_mem_t rs_layout_train_memory(const rs_layout_t* lay, const rs_model_t* m, int stage);
/* The stage that needs the most memory, and that memory. */
rs_mem_t rs_layout_train_memory_max(const rs_layout_t* lay, const rs_model_t* m, int* stage);

/* ---- seconds of GPU work from a GPU model's calibrated matmul and HBM rates.
 * The one place where FLOPs and bytes become time, with the one calibration per GPU type (hardware.h).
 * */
/* Seconds of matmul kernels doing `flops` at precision prec while reading `bytes` (their weights and
 * operands) through HBM: the larger of the compute time at the calibrated fraction of the dense peak
 * and the memory time at the calibrated fraction of HBM bandwidth (roofline). The precision must exist
 * on the GPU when flops > 0. */
double rs_gpu_seconds(const rs_gpu_model_t* gpu, rs_prec_t prec, double flops, double bytes);
/* The same for a serving engine's forward GEMMs: at the measured fraction of the peak that a large
 * cuBLASLt GEMM reaches on the type at prec (rs_hw_calib_t serve_gemm_eff), or the calibration's
 * matmul_eff where none is measured (rs_gpu_serve_gemm_eff gives the fraction used). */
double rs_gpu_serve_seconds(const rs_gpu_model_t* gpu, rs_prec_t prec, double flops, double bytes);
double rs_gpu_serve_gemm_eff(const rs_gpu_model_t* gpu, rs_prec_t prec);
/* Seconds of memory-bound kernels (norms, softmax, element-wise ops) moving `bytes` through HBM. They
 * run between a layer's matmuls, so callers add this time to rs_gpu_seconds' rather than overlap it. */
double rs_gpu_stream_seconds(const rs_gpu_model_t* gpu, double bytes);

/* The kernels of one pass on one GPU, by class: each class has its own roofline and precision, and the
 * classes run one after the other, so their times add (a memory-bound attention does not hide under a
 * compute-bound GEMM). */
typedef struct rs_work {
  double gemm_flops, gemm_bytes; /* matmuls: FLOPs, and the weights and operands they read through HBM */
  rs_prec_t gemm_prec;           /* the weights' precision */
  double moe_flops, moe_bytes;   /* grouped GEMMs of routed experts: FLOPs, and the expert weights read */
  rs_prec_t moe_prec;            /* the experts' precision */
  double attn_flops, attn_bytes; /* attention (flash: scores never in HBM): FLOPs, and the Q, K, V (the KV
                                    cache, at its precision, in decode) read through HBM */
  rs_prec_t attn_prec;           /* the precision attention computes at (BF16 unless the engine runs FP8) */
  double stream_bytes;           /* memory-bound kernels: norms, activations, residuals */
  int serving;                   /* 1: the GEMMs and grouped GEMMs of a serving engine's forward step, at
                                    rs_gpu_serve_gemm_eff; 0: a training pass's, at matmul_eff */
} rs_work_t;

/* Seconds of w: each class by its roofline (rs_gpu_seconds at its precision, rs_gpu_serve_seconds for
 * the GEMMs of a serving step; grouped GEMMs at the calibration's grouped_eff of the GEMM rate), summed,
 * plus the memory-bound kernels; attention at matmul_eff either way. A precision must
 * exist on the GPU where its class has FLOPs. */
double rs_gpu_work_seconds(const rs_gpu_model_t* gpu, const rs_work_t* w);

/* What a training job's tensors may hold of one GPU's HBM: the driver's total less the runtime's own share
 * (RS_RUNTIME_RESERVE_BYTES: the CUDA context, cuBLAS and NCCL workspaces, allocator slack). */
#define RS_RUNTIME_RESERVE_BYTES (2.0 * 1073741824.0)
double rs_gpu_tensor_bytes(const rs_gpu_model_t* gpu);

/* The compute speed of GPU type gpu capped at cap_w watts, over its uncapped speed, along the type's
 * performance-vs-power curve (hw.h rs_hw_cap_curve_t; linear between its points): 1 at or above the TDP;
 * -1 when the type has no curve or cap_w is not above the idle power. Every FLOP-bound time above
 * (rs_gpu_seconds, rs_gpu_work_seconds) is divided by the speed a GPU model's cap_speed holds. */
double rs_gpu_cap_speed(const rs_gpu_model_t* gpu, double cap_w);

/* What a busy GPU of type gpu draws: its power cap where one is set (cap_watts), else its TDP. The one
 * place this rule lives: the power meter, the site budget and validate --format csv all ask here. */
double rs_gpu_busy_watts(const rs_gpu_model_t* gpu);

#endif
