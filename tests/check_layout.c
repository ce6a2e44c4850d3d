/* check_layout.c -- tests of layout.c: rank coordinates, refusals with their reasons, and memory per
 * GPU against Megatron-LM's accounting (18 bytes per parameter before ZeRO, activations per layer). */
#include "check_util.h"
#include "model/model.h"

static rs_model_t preset(const char* name)
{
  rs_model_t m;
  ck_assert(rs_model_preset(name, &m) == RS_OK);
  return m;
}

static rs_layout_t layout(int tp, int cp, int pp, int mb, int gb)
{
  return (rs_layout_t){.tp = tp, .cp = cp, .ep = 1, .pp = pp, .vp = 1, .micro_batch = mb, .global_batch = gb};
}

START_TEST(coords_round_trip)
{
  rs_model_t m    = preset("gpt-145.6b");
  rs_layout_t lay = layout(8, 1, 8, 1, 2304);
  rs_err_t err    = {{0}};
  ck_assert_int_eq(rs_layout_resolve(&lay, &m, 1536, &err), RS_OK);
  ck_assert_int_eq(lay.dp, 24);
  ck_assert_int_eq(lay.n_micro, 96);
  for (int r = 0; r < 1536; r++)
    ck_assert_int_eq(rs_layout_rank(&lay, rs_layout_coords(&lay, r)), r);
  rs_coords_t c = rs_layout_coords(&lay, 8 * 24 + 9); /* second stage starts at rank 192: dp 1, tp 1 */
  ck_assert_int_eq(c.pp, 1);
  ck_assert_int_eq(c.dp, 1);
  ck_assert_int_eq(c.tp, 1);
  ck_assert_int_eq(rs_layout_coords(&lay, 7).tp, 7); /* TP fastest: neighbours share a node */
  ck_assert_int_eq(rs_layout_stage_layers(&lay, &m, 0), 10);
}
END_TEST

START_TEST(bad_layouts_are_refused_with_reasons)
{
  rs_model_t m    = preset("llama3-70b");
  rs_err_t err    = {{0}};
  rs_layout_t lay = layout(8, 1, 6, 1, 64);
  ck_assert_int_eq(rs_layout_resolve(&lay, &m, 128, &err), RS_ERR);
  ck_assert_str_eq(err.msg, "tp x cp x pp = 48 does not divide the 128 GPUs");
  lay = layout(8, 1, 4, 1, 102);
  ck_assert_int_eq(rs_layout_resolve(&lay, &m, 128, &err), RS_ERR);
  ck_assert_str_eq(err.msg, "global_batch 102 is not a multiple of micro_batch x dp = 1 x 4");
  lay = layout(3, 1, 1, 1, 64);
  ck_assert_int_eq(rs_layout_resolve(&lay, &m, 96, &err), RS_ERR);
  ck_assert_str_eq(err.msg, "tp = 3 does not divide the model's 64 attention heads");
  lay    = layout(8, 1, 1, 1, 64);
  lay.ep = 2;
  ck_assert_int_eq(rs_layout_resolve(&lay, &m, 64, &err), RS_ERR); /* dense model */
}
END_TEST

/* EP48 of DeepSeek-V3's 256 experts runs only with redundant experts that make the slots a multiple of
 * 48 (SGLang: 256 + 32); each GPU then holds 6 slots. */
START_TEST(ep_needs_redundant_experts_that_fill_it)
{
  rs_model_t m    = preset("deepseek-v3");
  rs_err_t err    = {{0}};
  rs_layout_t lay = layout(1, 1, 1, 1, 48);
  lay.ep          = 48;
  ck_assert_int_eq(rs_layout_resolve(&lay, &m, 48, &err), RS_ERR);
  ck_assert_str_eq(err.msg, "ep = 48 divides neither the 256 experts nor the 256 expert slots with 0 redundant "
                            "experts: give redundant experts that make the slots a multiple of ep (SGLang runs 256 + "
                            "32 on EP48)");
  lay.redundant = 16;
  ck_assert_int_eq(rs_layout_resolve(&lay, &m, 48, &err), RS_ERR);
  lay.redundant = 32;
  ck_assert_int_eq(rs_layout_resolve(&lay, &m, 48, &err), RS_OK);
  double expert = 3.0 * m.hidden * m.expert_ffn, moe_layers = m.layers - m.dense_layers;
  rs_layout_t one = layout(1, 1, 1, 1, 1);
  ck_assert_int_eq(rs_layout_resolve(&one, &m, 1, &err), RS_OK);
  double expected = rs_layout_stage_params(&one, &m, 0) - moe_layers * (256 - 6) * expert;
  ck_assert_double_eq_tol(rs_layout_stage_params(&lay, &m, 0), expected, expected * 1e-12);
}
END_TEST

/* The MTP modules' layers are shaped as the last layer: their experts are split over EP when it is a MoE
 * layer, and there is nothing to split when dense_layers covers every layer, experts or not. Llama 3 8B
 * with 8 experts declared but all 32 layers dense, EP2: one module is the dense layer, 4096 (4096 + 2 x 1024
 * + 4096) + 3 x 4096 x 14336 + 2 x 4096 = 218,112,000, plus 2 x 4096^2 + 3 x 4096 = 251,678,720. DeepSeek-V3
 * on EP8: its module's 256 routed experts of 3 x 7168 x 2048 become 32 on each rank, 224 x 44,040,192 =
 * 9,865,003,008 fewer. */
START_TEST(mtp_experts_split_only_when_the_last_layer_is_moe)
{
  rs_model_t m = preset("llama3-8b");
  rs_err_t err = {{0}};
  m.experts = 8, m.experts_per_token = 2, m.expert_ffn = 14336, m.dense_layers = m.layers;
  rs_layout_t lay = layout(1, 1, 1, 1, 2);
  lay.ep          = 2;
  ck_assert_int_eq(rs_layout_resolve(&lay, &m, 2, &err), RS_OK);
  double p0   = rs_layout_stage_params(&lay, &m, 0);
  m.mtp_depth = 1;
  ck_assert_double_eq(rs_layout_stage_params(&lay, &m, 0) - p0, 251678720);
  m      = preset("deepseek-v3");
  lay    = layout(1, 1, 1, 1, 8);
  lay.ep = 8;
  ck_assert_int_eq(rs_layout_resolve(&lay, &m, 8, &err), RS_OK);
  p0          = rs_layout_stage_params(&lay, &m, 0);
  m.mtp_depth = 1;
  ck_assert_double_eq(rs_layout_stage_params(&lay, &m, 0) - p0, rs_model_mtp_params(&m) - 9865003008.0);
}
END_TEST

/* Megatron-Core's distributed-optimizer table, bytes per parameter: bf16 gradients 2 + 2 + 16 (4 + 16/d
 * sharded), fp32 gradients 2 + 4 + 12 (6 + 12/d); ZeRO-2 shards the gradients too, ZeRO-3 everything. */
START_TEST(weights_grads_optimizer)
{
  rs_model_t m    = preset("llama3-8b");
  rs_layout_t lay = layout(1, 1, 1, 1, 64);
  rs_err_t err    = {{0}};
  ck_assert_int_eq(rs_layout_resolve(&lay, &m, 8, &err), RS_OK);
  double p   = rs_model_params(&m);
  rs_mem_t r = rs_layout_train_memory(&lay, &m, 0);
  ck_assert_double_eq_tol(r.grads, 2 * p, p * 1e-9);
  ck_assert_double_eq_tol(r.weights + r.grads + r.optimizer, 20 * p, p * 1e-9);
  lay.zero = 1;
  r        = rs_layout_train_memory(&lay, &m, 0);
  ck_assert_double_eq_tol(r.weights + r.grads + r.optimizer, (4 + 16.0 / 8) * p, p * 1e-9);
  lay.grad_precision = RS_GRAD_FP32;
  r                  = rs_layout_train_memory(&lay, &m, 0);
  ck_assert_double_eq_tol(r.weights + r.grads + r.optimizer, (6 + 12.0 / 8) * p, p * 1e-9);
  lay.zero = 0;
  r        = rs_layout_train_memory(&lay, &m, 0);
  ck_assert_double_eq_tol(r.weights + r.grads + r.optimizer, 18 * p, p * 1e-9);
  lay.zero = 3;
  r        = rs_layout_train_memory(&lay, &m, 0);
  ck_assert_double_eq_tol(r.weights + r.grads + r.optimizer, 18 * p / 8, p * 1e-9);
}
END_TEST

/* ZeRO-3 gathers a layer's bf16 weights whole (its TP shard) before it runs, and FSDP's prefetch holds the
 * next layer's beside it: both count in the total, the largest layer's (Llama 3 8B's layers are alike);
 * nothing without ZeRO-3 or without DP to shard over. */
START_TEST(zero3_counts_its_gathered_layers)
{
  rs_model_t m    = preset("llama3-8b");
  rs_layout_t lay = layout(2, 1, 1, 1, 64);
  rs_err_t err    = {{0}};
  lay.zero        = 3;
  ck_assert_int_eq(rs_layout_resolve(&lay, &m, 8, &err), RS_OK);
  double layer = 2 * rs_model_layer_params(&m, 0) / 2;
  rs_mem_t r   = rs_layout_train_memory(&lay, &m, 0);
  ck_assert_double_eq_tol(r.gathered, layer, layer * 1e-12);
  ck_assert_double_eq_tol(r.total, r.weights + r.grads + r.optimizer + r.activations + layer, layer * 1e-9);
  lay.gather_ahead = 1;
  r                = rs_layout_train_memory(&lay, &m, 0);
  ck_assert_double_eq_tol(r.gathered, 2 * layer, layer * 1e-12);
  lay.zero = 1;
  ck_assert(rs_layout_train_memory(&lay, &m, 0).gathered == 0);
  lay      = layout(8, 1, 1, 1, 64);
  lay.zero = 3;
  ck_assert_int_eq(rs_layout_resolve(&lay, &m, 8, &err), RS_OK); /* dp 1: nothing sharded, nothing gathered */
  ck_assert(rs_layout_train_memory(&lay, &m, 0).gathered == 0);
}
END_TEST

/* Block recomputation (recompute_layers n): the first n layers of each virtual stage keep only their input,
 * the others all their activations. */
START_TEST(block_recompute_keeps_the_rest)
{
  rs_model_t m         = preset("llama3-8b");
  rs_layout_t lay      = layout(8, 1, 2, 1, 64);
  rs_err_t err         = {{0}};
  lay.vp               = 2;
  lay.recompute        = RS_RECOMPUTE_FULL;
  lay.recompute_layers = 3;
  ck_assert_int_eq(rs_layout_resolve(&lay, &m, 16, &err), RS_OK);
  double full = rs_model_layer_activation_bytes(&m, 1, 8, RS_RECOMPUTE_FULL, RS_ATTN_FLASH);
  double none = rs_model_layer_activation_bytes(&m, 1, 8, RS_RECOMPUTE_NONE, RS_ATTN_FLASH);
  /* stage 1 of PP2 VP2: two chunks of 8 layers, 1 micro-batch in flight, interleaving's 1 + 1/4 */
  double want = 2 * (3 * full + 5 * none) * 1 * 1.25;
  ck_assert_double_eq_tol(rs_layout_train_memory(&lay, &m, 1).activations, want, want * 1e-12);
  ck_assert_int_eq(rs_layout_layer_recompute(&lay, 2), RS_RECOMPUTE_FULL);
  ck_assert_int_eq(rs_layout_layer_recompute(&lay, 3), RS_RECOMPUTE_NONE);
  lay.recompute_layers = 0;
  want                 = 16 * full * 1.25;
  ck_assert_double_eq_tol(rs_layout_train_memory(&lay, &m, 1).activations, want, want * 1e-12);
}
END_TEST

/* Under 1F1B the first stage keeps pp micro-batches in flight, the last one. */
START_TEST(activations_in_flight)
{
  rs_model_t m    = preset("gpt-145.6b");
  rs_layout_t lay = layout(8, 1, 8, 1, 2304);
  lay.recompute   = RS_RECOMPUTE_FULL;
  rs_err_t err    = {{0}};
  ck_assert_int_eq(rs_layout_resolve(&lay, &m, 1536, &err), RS_OK);
  double layer = rs_model_layer_activation_bytes(&m, 1, 8, RS_RECOMPUTE_FULL, RS_ATTN_FLASH);
  ck_assert_double_eq_tol(rs_layout_train_memory(&lay, &m, 0).activations, layer * 10 * 8, 1);
  ck_assert_double_eq_tol(rs_layout_train_memory(&lay, &m, 7).activations, layer * 10 * 1, 1);
  int stage;
  rs_mem_t worst = rs_layout_train_memory_max(&lay, &m, &stage);
  ck_assert(worst.total < 80e9); /* it ran on 80 GB A100s */
}
END_TEST

/* DualPipe (DeepSeek-V3 report, Table 2): 2x the parameters per rank (stage s holds stage s of the plain
 * split and its mirror pp - 1 - s, the two end ranks both the embedding and the output layer) and pp + 1
 * micro-batches' activations of a chunk; GPT 145.6B (80 layers) on pp 8: 10 layers a chunk, so 20 layers
 * x 9/2 = 90 layer-activations against 1F1B's first stage's 10 x 8 = 80; its refusals. */
START_TEST(dualpipe_holds_two_stages)
{
  rs_model_t m    = preset("gpt-145.6b");
  rs_layout_t one = layout(8, 1, 8, 1, 2304), dual = one;
  dual.dualpipe = 1;
  rs_err_t err  = {{0}};
  ck_assert_int_eq(rs_layout_resolve(&one, &m, 1536, &err), RS_OK);
  ck_assert_int_eq(rs_layout_resolve(&dual, &m, 1536, &err), RS_OK);
  for (int s = 0; s < 8; s++) {
    ck_assert_double_eq_tol(rs_layout_stage_params(&dual, &m, s),
                            rs_layout_stage_params(&one, &m, s) + rs_layout_stage_params(&one, &m, 7 - s), 1);
    int near = s < 7 - s ? s : 7 - s;
    ck_assert_int_eq(rs_layout_chunk_first_layer(&dual, &m, s, 0), 10 * near);
    ck_assert_int_eq(rs_layout_chunk_first_layer(&dual, &m, s, 1), 10 * (7 - near));
  }
  double layer = rs_model_layer_activation_bytes(&m, 1, 8, RS_RECOMPUTE_NONE, RS_ATTN_FLASH);
  for (int s = 0; s < 8; s++)
    ck_assert_double_eq_tol(rs_layout_train_memory(&dual, &m, s).activations, layer * 90, 1);
  ck_assert_double_eq_tol(rs_layout_train_memory(&one, &m, 0).activations, layer * 80, 1);
  ck_assert_double_eq_tol(rs_layout_train_memory(&dual, &m, 3).weights, 2 * rs_layout_train_memory(&one, &m, 3).weights,
                          1);
  rs_layout_t odd = layout(8, 1, 5, 1, 2304);
  odd.dualpipe    = 1;
  ck_assert_int_eq(rs_layout_resolve(&odd, &m, 1280, &err), RS_ERR);
  ck_assert_str_eq(err.msg, "dualpipe needs an even pp of at least 2 and vp = 1 (it holds two chunks per rank), got pp "
                            "= 5, vp = 1");
  rs_layout_t few = layout(8, 1, 8, 1, 24 * 15);
  few.dualpipe    = 1;
  ck_assert_int_eq(rs_layout_resolve(&few, &m, 1536, &err), RS_ERR);
  ck_assert_str_eq(err.msg, "dualpipe needs an even number of micro-batches per pipeline, at least 2 x pp = 16 (half "
                            "fed from each end, as DeepSeek's DualPipe asserts), got 15");
}
END_TEST

/* Offloaded layers keep their activations on the CPU host: the GPU's drop by offload_layers x a layer's
 * (one micro-batch in flight at pp = 1); Megatron-Core's three refusals. */
START_TEST(offloaded_activations_leave_the_gpu)
{
  rs_model_t m    = preset("llama3-8b");
  rs_layout_t lay = layout(1, 1, 1, 1, 8);
  lay.recompute   = RS_RECOMPUTE_NONE;
  rs_err_t err    = {{0}};
  ck_assert_int_eq(rs_layout_resolve(&lay, &m, 8, &err), RS_OK);
  rs_mem_t all       = rs_layout_train_memory(&lay, &m, 0);
  double layer       = rs_model_layer_activation_bytes(&m, 1, 1, RS_RECOMPUTE_NONE, RS_ATTN_FLASH);
  lay.offload_layers = 24;
  ck_assert_int_eq(rs_layout_resolve(&lay, &m, 8, &err), RS_OK);
  rs_mem_t off = rs_layout_train_memory(&lay, &m, 0);
  ck_assert_double_eq_tol(all.activations, 32 * layer, 1);
  ck_assert_double_eq_tol(off.activations, 8 * layer, 1);
  ck_assert_double_eq_tol(off.offloaded, 24 * layer, 1);
  ck_assert_double_eq_tol(all.total - off.total, 24 * layer, 1);
  lay.offload_layers = 32;
  ck_assert_int_eq(rs_layout_resolve(&lay, &m, 8, &err), RS_ERR);
  ck_assert_str_eq(err.msg, "offload_layers must be 0 to 31 (fewer than the model's 32 layers), got 32");
  lay.offload_layers = 4;
  lay.recompute      = RS_RECOMPUTE_FULL;
  ck_assert_int_eq(rs_layout_resolve(&lay, &m, 8, &err), RS_ERR);
  ck_assert_str_eq(err.msg, "activation offload does not work with recomputation (Megatron-Core): set recompute: none");
  lay.recompute = RS_RECOMPUTE_NONE;
  lay.pp        = 2;
  ck_assert_int_eq(rs_layout_resolve(&lay, &m, 8, &err), RS_ERR);
  ck_assert_str_eq(err.msg, "activation offload needs pp = 1, as Megatron-Core's CPU offloading does, got pp = 2");
}
END_TEST

/* Every layer is held exactly once, in model order: virtual stage chunk x pp + stage after all before it. */
static void assert_split_covers(const rs_layout_t* lay, const rs_model_t* m)
{
  int next = 0;
  for (int v = 0; v < lay->pp * lay->vp; v++) {
    ck_assert_int_eq(rs_layout_chunk_first_layer(lay, m, v % lay->pp, v / lay->pp), next);
    next += rs_layout_chunk_layers(lay, m, v % lay->pp, v / lay->pp);
  }
  ck_assert_int_eq(next, m->layers);
  double params = 0;
  for (int s = 0; s < lay->pp; s++)
    params += rs_layout_stage_params(lay, m, s) * lay->tp;
  ck_assert_double_eq_tol(params, rs_model_params(m), rs_model_params(m) * 1e-12);
}

/* Llama 3.1 405B's 126 layers as NeMo's recipe splits them on PP8 VP8: the embedding and the loss count as
 * two more slots (Megatron-Core's account_for_embedding/loss_in_pipeline_split), 128 slots of 2 per
 * virtual stage, so the first virtual stage holds 1 layer, the last 1, every other 2. */
START_TEST(embedding_and_loss_in_the_split)
{
  rs_model_t m = preset("llama3-405b");
  ck_assert_int_eq(m.layers, 126);
  rs_layout_t lay    = layout(4, 2, 8, 1, 64);
  lay.vp             = 8;
  lay.embedding_slot = lay.loss_slot = 1;
  rs_err_t err                       = {{0}};
  ck_assert_int_eq(rs_layout_resolve(&lay, &m, 128, &err), RS_OK);
  ck_assert_int_eq(rs_layout_chunk_layers(&lay, &m, 0, 0), 1);
  ck_assert_int_eq(rs_layout_chunk_layers(&lay, &m, 7, 7), 1);
  for (int v = 1; v < 63; v++)
    ck_assert_int_eq(rs_layout_chunk_layers(&lay, &m, v % 8, v / 8), 2);
  ck_assert_int_eq(rs_layout_stage_layers(&lay, &m, 0), 15);
  ck_assert_int_eq(rs_layout_stage_layers(&lay, &m, 3), 16);
  ck_assert_int_eq(rs_layout_chunk_first_layer(&lay, &m, 1, 0), 1);
  ck_assert_int_eq(rs_layout_chunk_first_layer(&lay, &m, 0, 1), 15); /* after the 8 chunks 0: 1 + 7 x 2 */
  assert_split_covers(&lay, &m);
  /* without the slots 126 layers over 64 virtual stages: 62 of 2 and 2 of 1, counts differ by one */
  lay.embedding_slot = lay.loss_slot = 0;
  ck_assert_int_eq(rs_layout_resolve(&lay, &m, 128, &err), RS_OK);
  ck_assert_int_eq(rs_layout_chunk_layers(&lay, &m, 5, 7), 2);
  ck_assert_int_eq(rs_layout_chunk_layers(&lay, &m, 6, 7), 1);
  ck_assert_int_eq(rs_layout_chunk_layers(&lay, &m, 7, 7), 1);
  assert_split_covers(&lay, &m);
}
END_TEST

/* 126 layers over 16 stages with vp 2: 32 virtual stages of 4 or 3 layers; and with a layer moved off the
 * first and last stages (num_layers_in_first/last_pipeline_stage 7): 8 on each of the 14 middle ones. */
START_TEST(uneven_virtual_stages)
{
  rs_model_t m    = preset("llama3-405b");
  rs_layout_t lay = layout(8, 1, 16, 1, 64);
  lay.vp          = 2;
  rs_err_t err    = {{0}};
  ck_assert_int_eq(rs_layout_resolve(&lay, &m, 128, &err), RS_OK);
  int small = 0;
  for (int v = 0; v < 32; v++) {
    int n = rs_layout_chunk_layers(&lay, &m, v % 16, v / 16);
    ck_assert(n == 3 || n == 4);
    small += n == 3;
  }
  ck_assert_int_eq(small, 2);
  assert_split_covers(&lay, &m);
  lay.first_stage_layers = lay.last_stage_layers = 7;
  ck_assert_int_eq(rs_layout_resolve(&lay, &m, 128, &err), RS_OK);
  ck_assert_int_eq(rs_layout_stage_layers(&lay, &m, 0), 7);
  ck_assert_int_eq(rs_layout_stage_layers(&lay, &m, 15), 7);
  ck_assert_int_eq(rs_layout_chunk_layers(&lay, &m, 0, 0), 4);
  ck_assert_int_eq(rs_layout_chunk_layers(&lay, &m, 0, 1), 3);
  for (int s = 1; s < 15; s++)
    ck_assert_int_eq(rs_layout_stage_layers(&lay, &m, s), 8);
  assert_split_covers(&lay, &m);
  /* vp = 1: the plain split keeps its old rule, extra layers on the first stages */
  lay = layout(8, 1, 16, 1, 64);
  ck_assert_int_eq(rs_layout_resolve(&lay, &m, 128, &err), RS_OK);
  ck_assert_int_eq(rs_layout_stage_layers(&lay, &m, 13), 8);
  ck_assert_int_eq(rs_layout_stage_layers(&lay, &m, 14), 7);
  ck_assert_int_eq(rs_layout_stage_first_layer(&lay, &m, 15), 119);
}
END_TEST

START_TEST(bad_splits_are_refused)
{
  rs_model_t m           = preset("llama3-405b");
  rs_layout_t lay        = layout(8, 1, 16, 1, 64);
  lay.first_stage_layers = 7;
  lay.embedding_slot     = 1;
  rs_err_t err           = {{0}};
  ck_assert_int_eq(rs_layout_resolve(&lay, &m, 128, &err), RS_ERR);
  ck_assert_str_eq(err.msg, "first_stage_layers and last_stage_layers cannot be set with the embedding or the loss "
                            "counted in the pipeline split (as Megatron-Core refuses)");
  lay                    = layout(8, 1, 2, 1, 64);
  lay.first_stage_layers = 60;
  lay.last_stage_layers  = 60;
  ck_assert_int_eq(rs_layout_resolve(&lay, &m, 16, &err), RS_ERR);
  ck_assert_str_eq(err.msg, "first_stage_layers 60 and last_stage_layers 60 leave 6 layers for 0 middle stages");
  lay                    = layout(8, 1, 8, 1, 64);
  lay.vp                 = 8;
  lay.first_stage_layers = 4;
  ck_assert_int_eq(rs_layout_resolve(&lay, &m, 64, &err), RS_ERR);
  ck_assert_str_eq(err.msg, "virtual stage 4 of pipeline stage 0 gets no layer: fewer virtual stages, or other "
                            "first_stage_layers and last_stage_layers");
}
END_TEST

/* rank_order: Megatron-Core's default tp-cp-ep-dp-pp is racksim's unset order; tp-cp-ep-pp-dp (Megatron's
 * --use-tp-pp-dp-mapping) puts the pipeline inside and DP outermost; a written order may leave out a
 * dimension of size 1 (tp-dp-pp without cp), never a larger one. */
START_TEST(rank_orders)
{
  rs_model_t m     = preset("llama3-70b");
  rs_layout_t def  = layout(2, 1, 2, 1, 64);
  rs_layout_t meg  = def;
  rs_layout_t tppd = def;
  rs_err_t err     = {{0}};
  ck_assert_int_eq(rs_layout_parse_order("tp-cp-ep-dp-pp", &meg.order, &err), RS_OK);
  ck_assert_int_eq(rs_layout_parse_order("tp-cp-ep-pp-dp", &tppd.order, &err), RS_OK);
  ck_assert_int_eq(rs_layout_resolve(&def, &m, 8, &err), RS_OK);
  ck_assert_int_eq(rs_layout_resolve(&meg, &m, 8, &err), RS_OK);
  ck_assert_int_eq(rs_layout_resolve(&tppd, &m, 8, &err), RS_OK);
  for (int r = 0; r < 8; r++) {
    rs_coords_t a = rs_layout_coords(&def, r), b = rs_layout_coords(&meg, r);
    ck_assert(a.tp == b.tp && a.cp == b.cp && a.dp == b.dp && a.pp == b.pp);
    ck_assert_int_eq(rs_layout_rank(&tppd, rs_layout_coords(&tppd, r)), r);
  }
  ck_assert_int_eq(rs_layout_coords(&def, 2).dp, 1);  /* dp before pp: rank 2 is the second replica */
  ck_assert_int_eq(rs_layout_coords(&tppd, 2).pp, 1); /* pp before dp: rank 2 is the next stage */
  ck_assert_int_eq(rs_layout_coords(&tppd, 4).dp, 1);
  char name[32];
  ck_assert_str_eq(rs_layout_order_name(&tppd, name, sizeof name), "tp-cp-pp-ep-dp");
  rs_layout_t short_ = def;
  ck_assert_int_eq(rs_layout_parse_order("tp-dp-pp", &short_.order, &err), RS_OK);
  ck_assert_int_eq(rs_layout_resolve(&short_, &m, 8, &err), RS_OK);
  ck_assert_str_eq(rs_layout_order_name(&short_, name, sizeof name), "tp-ep-dp-pp");
  short_.cp = 2;
  ck_assert_int_eq(rs_layout_resolve(&short_, &m, 16, &err), RS_ERR);
  ck_assert_str_eq(err.msg, "rank_order tp-ep-dp-pp leaves out cp, whose size is 2: name it");
  ck_assert_int_eq(rs_layout_parse_order("tp-pp-tp", &short_.order, &err), RS_ERR);
  ck_assert_str_eq(err.msg, "expected tp, cp, dp and pp at most once each, fastest first, joined by '-' (ep right "
                            "before dp), such as tp-cp-ep-dp-pp, got 'tp-pp-tp'");
}
END_TEST

static Suite* layout_suite(void)
{
  Suite* s  = suite_create("layout");
  TCase* tc = tcase_create("layout");
  tcase_add_test(tc, coords_round_trip);
  tcase_add_test(tc, bad_layouts_are_refused_with_reasons);
  tcase_add_test(tc, ep_needs_redundant_experts_that_fill_it);
  tcase_add_test(tc, mtp_experts_split_only_when_the_last_layer_is_moe);
  tcase_add_test(tc, weights_grads_optimizer);
  tcase_add_test(tc, zero3_counts_its_gathered_layers);
  tcase_add_test(tc, block_recompute_keeps_the_rest);
  tcase_add_test(tc, activations_in_flight);
  tcase_add_test(tc, offloaded_activations_leave_the_gpu);
  tcase_add_test(tc, embedding_and_loss_in_the_split);
  tcase_add_test(tc, uneven_virtual_stages);
  tcase_add_test(tc, bad_splits_are_refused);
  tcase_add_test(tc, rank_orders);
  tcase_add_test(tc, dualpipe_holds_two_stages);
  suite_add_tcase(s, tc);
  return s;
}

RS_CHECK_MAIN(layout_suite)
