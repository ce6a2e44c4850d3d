/* layout.h -- a parallel layout of a model on GPUs: tensor (TP), context (CP), expert (EP), data (DP)
 * and pipeline (PP) parallelism, ranks mapped Megatron-style (TP fastest, then CP, then DP, PP slowest,
 * EP inside DP), and the memory each GPU then needs. Pure arithmetic, shared by training and inference.
 * See LICENSE. */
#ifndef RS_LAYOUT_H
#define RS_LAYOUT_H

#include "error.h"
#include "model.h"

typedef struct rs_layout {
  int tp, cp, ep, pp, vp; /* vp: virtual (interleaved) stages per pipeline rank */
  int dp;                 /* derived: gpus / (tp cp pp) */
  int zero;               /* 0: replicated optimizer (DDP); 1: optimizer sharded over DP (distributed
                             optimizer); 2: and gradients; 3: and weights (FSDP) */
  int micro_batch;        /* sequences per micro-batch */
  int global_batch;       /* sequences per iteration */
  int n_micro;            /* derived: micro-batches per pipeline per iteration */
  rs_recompute_t recompute;
} rs_layout_t;

/* A rank's place in the layout. */
typedef struct rs_coords {
  int tp, cp, dp, pp, ep;
} rs_coords_t;

/* Bytes per GPU, by what they hold. */
typedef struct rs_mem {
  double weights, grads, optimizer, activations, total;
} rs_mem_t;

/* Checks that the layout divides gpus and the model, and derives dp and n_micro; RS_ERR with the reason
 * ("tp x cp x pp = 48 does not divide the 128 GPUs") otherwise. */
int rs_layout_resolve(rs_layout_t* lay, const rs_model_t* m, int gpus, rs_err_t* err);
rs_coords_t rs_layout_coords(const rs_layout_t* lay, int rank);
/* The rank at coordinates c (inverse of rs_layout_coords; c.ep is ignored). */
int rs_layout_rank(const rs_layout_t* lay, rs_coords_t c);
/* Transformer layers held by pipeline stage `stage` (layers spread as evenly as the count allows). */
int rs_layout_stage_layers(const rs_layout_t* lay, const rs_model_t* m, int stage);
/* First layer of that stage. */
int rs_layout_stage_first_layer(const rs_layout_t* lay, const rs_model_t* m, int stage);
/* First layer of virtual stage (interleaved chunk) `chunk` of pipeline stage `stage`; each chunk holds
 * rs_layout_stage_layers / vp layers (rs_layout_resolve checks that vp divides them). With vp = 1 it is
 * rs_layout_stage_first_layer. */
int rs_layout_chunk_first_layer(const rs_layout_t* lay, const rs_model_t* m, int stage, int chunk);
/* Parameters one GPU of pipeline stage `stage` holds before any ZeRO sharding: its layers split over TP
 * (experts over EP too), the embedding on the first stage, the output layer on the last. */
double rs_layout_stage_params(const rs_layout_t* lay, const rs_model_t* m, int stage);
/* Memory of one GPU of pipeline stage `stage` in training (mixed precision with Adam: 2-byte weights,
 * 4-byte gradients, 12 bytes of optimizer state per parameter; activations of the micro-batches the
 * 1F1B schedule keeps in flight). */
rs_mem_t rs_layout_train_memory(const rs_layout_t* lay, const rs_model_t* m, int stage);
/* The stage that needs the most memory, and that memory. */
rs_mem_t rs_layout_train_memory_max(const rs_layout_t* lay, const rs_model_t* m, int* stage);

#endif
