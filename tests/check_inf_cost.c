/* check_inf_cost.c -- unit tests of the step-time model (sim/wl/inf_cost.c) on hand-computable cases,
 * called directly without a SimGrid engine: one decode step and one prefill chunk of a one-layer dense
 * model, and one MoE layer whose busiest EP rank has 1.5 times the mean tokens; each against the formula
 * it implements, written out here from the model's shape (docs/model.md, "Step time"). Also the derived
 * imbalance against the measurement it scales, latent attention's two forms, and serving's GEMMs at the
 * measured cuBLASLt rate where training's run at the fit. */
#include "check_util.h"
#include "wl/inf_int.h"

#include <math.h>
#include <stdlib.h>

/* A GPU of round figures, with H100's calibration. */
static rs_gpu_model_t gpu(void)
{
  rs_gpu_model_t g           = {.name = "H100", .hbm_bytes_per_s = 4e12, .calib = rs_hw_calib("H100")};
  g.peak_flops[RS_PREC_BF16] = 1e15;
  g.peak_flops[RS_PREC_FP8]  = 2e15;
  return g;
}

/* The roofline of one kernel class: FLOPs at `peak` x eff against bytes at the calibrated HBM rate. */
static double roof(const rs_gpu_model_t* g, double flops, double peak, double eff, double bytes)
{
  double t_f = flops / (peak * eff), t_b = bytes / (g->hbm_bytes_per_s * g->calib->hbm_eff);
  return t_f > t_b ? t_f : t_b;
}

/* A workload of one replica of model m on layout tp x ep, FP8 weights and KV cache, planned. */
static rs_inf_wl_t plan(const rs_model_t* m, rs_sc_inference_t* cfg, const rs_gpu_model_t* g, int tp, int ep)
{
  rs_inf_wl_t w = {.m = m, .cfg = cfg, .gpu = g};
  w.lay         = (rs_layout_t){.tp = tp, .cp = 1, .ep = ep, .pp = 1, .vp = 1, .micro_batch = 1, .global_batch = ep};
  rs_err_t err;
  ck_assert_msg(rs_layout_resolve(&w.lay, m, tp * ep, &err) == RS_OK, "%s", err.msg);
  rs_inf__plan_stages(&w);
  return w;
}

/* One layer, h 1024, f 4096 (SwiGLU), 8 heads of 128 with 2 KV heads, vocabulary 1000. */
static const rs_model_t dense = {"dense", 1, 1024, 4096, 8, 2, 1000, 4096, 1, 0};

/* Its per-token figures, from the shape: attention projections Q and O h^2 each, K and V h k d each;
 * SwiGLU 3 h f; the logits 2 h V per produced token; memory-bound kernels 8 h (norms) + 2 (h + 2 k d)
 * (rotary and KV write) + 3 f (activation) values of 2 bytes; FP8 weights (1 byte). */
#define H 1024.0
#define F 4096.0
#define KD (2 * 128.0) /* k d: values of one of K or V */
#define PROJ (2 * H * H + 2 * H * KD)
#define MLP (3 * H * F)
#define STREAM_BYTES (2 * (8 * H + 2 * (H + 2 * KD) + 3 * F))

/* A decode step of 4 sequences, each with 100 tokens cached: GEMMs of 4 tokens and 4 logits reading
 * their weights (memory-bound), the projections the same, attention of 4 x 101 pairs at 4 h FLOPs each
 * in FP8 (the KV cache is FP8) reading 404 tokens' KV (2 k d bytes each), and the streams of 4 tokens. */
START_TEST(one_decode_step)
{
  rs_gpu_model_t g       = gpu();
  rs_sc_inference_t cfg  = {.precision = RS_PREC_FP8, .kv_precision = RS_PREC_FP8};
  rs_inf_wl_t w          = plan(&dense, &cfg, &g, 1, 1);
  rs_inf_step_t st       = {.tokens = 4, .pairs = 4 * 101, .kv_read = 404, .produced = 4, .seqs = 4};
  const rs_hw_calib_t* c = g.calib;
  double e8 = c->matmul_eff[RS_PREC_FP8], s8 = c->serve_gemm_eff[RS_PREC_FP8]; /* attention; the GEMMs */
  double weights  = MLP + 2 * H + 1000 * H; /* MLP, two norms, output layer (FP8: bytes) */
  double expected = roof(&g, 4 * 2 * MLP + 4 * 2 * H * 1000, 2e15, s8, weights) +
                    roof(&g, 4 * 2 * PROJ, 2e15, s8, PROJ) + roof(&g, 404 * 4 * H, 2e15, e8, 404 * 2 * KD) +
                    4 * STREAM_BYTES / (4e12 * c->hbm_eff);
  ck_assert_double_eq_tol(rs_inf__stage_seconds(&w, 0, &st), expected, expected * 1e-12);
  ck_assert_int_eq(w.attn_prec, RS_PREC_FP8);
  ck_assert_double_eq(w.kvc.token_bytes, 2 * KD);
  free(w.stages);
}
END_TEST

/* A prefill chunk of 512 tokens after 512 cached ones of a 2,048-token prompt, on TP2: every GEMM and
 * attention split over the two GPUs (compute-bound), 512 x 512 + 512 x 513 / 2 causal pairs, each GPU
 * reading its one KV head's cache of 1,024 tokens, the norms on both GPUs and the rest halved; BF16
 * attention when asked for. */
START_TEST(one_prefill_chunk)
{
  rs_gpu_model_t g      = gpu();
  rs_sc_inference_t cfg = {.precision = RS_PREC_FP8, .kv_precision = RS_PREC_FP8, .attention_precision = 1};
  rs_inf_wl_t w         = plan(&dense, &cfg, &g, 2, 1);
  double pairs          = 512.0 * 512 + 512.0 * 513 / 2;
  rs_inf_step_t st = {.tokens = 512, .pairs = pairs, .ctx_tokens = 512, .ctx_pairs = pairs, .kv_read = 1024, .seqs = 1};
  const rs_hw_calib_t* c = g.calib;
  double s8 = c->serve_gemm_eff[RS_PREC_FP8], e16 = c->matmul_eff[RS_PREC_BF16];
  double weights  = (MLP + 2 * H + 1000 * H) / 2;
  double stream   = 512 * 2 * (8 * H + (2 * (H + 2 * KD) + 3 * F) / 2);
  double expected = roof(&g, 512 * 2 * MLP / 2, 2e15, s8, weights) + roof(&g, 512 * 2 * PROJ / 2, 2e15, s8, PROJ / 2) +
                    roof(&g, pairs * 4 * H / 2, 1e15, e16, 1024 * 2 * KD / 2) + stream / (4e12 * c->hbm_eff);
  ck_assert_double_eq_tol(rs_inf__stage_seconds(&w, 0, &st), expected, expected * 1e-12);
  ck_assert_int_eq(w.attn_prec, RS_PREC_BF16);
  free(w.stages);
}
END_TEST

/* One MoE layer (8 experts of FFN 512, 2 per token, 1 shared) on EP4 with a busiest rank at 1.5 times
 * the mean: each GPU holds 2 experts; a step of 64 tokens (16 per attention-DP rank) sends 64 x 2 token
 * copies to the experts, 32 per rank on average and 48 to the busiest, whose grouped GEMMs set the time
 * (at grouped_eff of the GEMM rate), reading both its experts (each is picked with probability
 * 1 - (1 - 2/8)^64). The shared expert and the router run on every rank's own 16 tokens. */
START_TEST(moe_layer_with_imbalance)
{
  rs_model_t moe         = {"moe", 1, 1024, 4096, 8, 2, 1000, 4096, 1, 0, 8, 2, 1, 512};
  rs_gpu_model_t g       = gpu();
  rs_sc_inference_t cfg  = {.precision = RS_PREC_FP8, .kv_precision = RS_PREC_FP8, .moe_imbalance = 1.5};
  rs_inf_wl_t w          = plan(&moe, &cfg, &g, 1, 4);
  rs_inf_step_t st       = {.tokens = 64, .pairs = 64 * 51, .kv_read = 64 * 51, .produced = 64, .seqs = 64};
  const rs_hw_calib_t* c = g.calib;
  double e8 = c->matmul_eff[RS_PREC_FP8], s8 = c->serve_gemm_eff[RS_PREC_FP8], expert = 3 * H * 512;
  double dense_w  = expert + 8 * H + 2 * H + 1000 * H; /* shared expert, router, norms, output layer */
  double touched  = 1 - pow(0.75, 64);
  double routed_t = 48 * 2 * expert / (2e15 * s8 * c->grouped_eff),
         routed_b = 2 * expert * touched / (4e12 * c->hbm_eff);
  double expected = roof(&g, 16 * (2 * expert + 2 * H * 8) + 16 * 2 * H * 1000, 2e15, s8, dense_w) +
                    (routed_t > routed_b ? routed_t : routed_b) + roof(&g, 16 * 2 * PROJ, 2e15, s8, PROJ) +
                    roof(&g, 16 * 51 * 4 * H, 2e15, e8, 16 * 51 * 2 * KD) +
                    16 * 2 * (8 * H + 2 * (H + 2 * KD) + 3 * 512 * 3 + 2 * 3 * H) / (4e12 * c->hbm_eff);
  ck_assert_double_eq_tol(rs_inf__stage_seconds(&w, 0, &st), expected, expected * 1e-12);
  ck_assert_int_eq(w.stages[0].moe_layers, 1);
  free(w.stages);
}
END_TEST

/* Serving's GEMMs run at the measured rate of a lone cuBLASLt FP8 GEMM of 8,192^3 (Azure's
 * AI-benchmarking-guide: 1,290.1 TF on H100, 1,300.6 on H200, 2,876.6 on GB200, over the dense peaks of
 * 1,979 and 5,000 TF), not at training's fit; attention keeps the fit. A compute-bound prefill chunk of
 * 1,536 tokens on the dense layer: its GEMM classes take (FLOPs / (peak x 0.652)), its attention
 * (FLOPs / (peak x matmul_eff)); against training's rate everywhere, the GEMMs alone are faster, by
 * 0.652 / 0.509. Where no rate is measured (FP4, BF16) serving keeps matmul_eff. */
START_TEST(serving_gemms_at_the_measured_rate)
{
  ck_assert_double_eq(rs_hw_calib("H100")->serve_gemm_eff[RS_PREC_FP8], 0.652);
  ck_assert_double_eq(rs_hw_calib("H200")->serve_gemm_eff[RS_PREC_FP8], 0.657);
  ck_assert_double_eq(rs_hw_calib("GB200")->serve_gemm_eff[RS_PREC_FP8], 0.575);
  ck_assert_double_eq_tol(1290.1 / 1979, 0.652, 5e-4);
  ck_assert_double_eq_tol(1300.6 / 1979, 0.657, 5e-4);
  ck_assert_double_eq_tol(2876.6 / 5000, 0.575, 5e-4);
  rs_gpu_model_t g = gpu();
  ck_assert_double_eq(rs_gpu_serve_gemm_eff(&g, RS_PREC_FP8), 0.652);
  ck_assert_double_eq(rs_gpu_serve_gemm_eff(&g, RS_PREC_BF16), g.calib->matmul_eff[RS_PREC_BF16]);
  ck_assert_double_eq(rs_gpu_serve_gemm_eff(&g, RS_PREC_FP4), g.calib->matmul_eff[RS_PREC_FP4]);
  rs_gpu_model_t b = {.name = "B200", .hbm_bytes_per_s = 4e12, .calib = rs_hw_calib("B200")};
  ck_assert_double_eq(rs_gpu_serve_gemm_eff(&b, RS_PREC_FP4), 0.438); /* FP4: its inference fit */
  rs_sc_inference_t cfg = {.precision = RS_PREC_FP8, .kv_precision = RS_PREC_FP8};
  rs_inf_wl_t w         = plan(&dense, &cfg, &g, 1, 1);
  double pairs          = 1536.0 * 1537 / 2;
  rs_inf_step_t st      = {
           .tokens = 1536, .pairs = pairs, .ctx_tokens = 1536, .ctx_pairs = pairs, .kv_read = 1536, .seqs = 1};
  double gemm = 1536 * 2 * (MLP + PROJ), attn = pairs * 4 * H, stream = 1536 * STREAM_BYTES / (4e12 * g.calib->hbm_eff);
  double e8       = g.calib->matmul_eff[RS_PREC_FP8];
  double expected = gemm / (2e15 * 0.652) + attn / (2e15 * e8) + stream;
  ck_assert_double_eq_tol(rs_inf__stage_seconds(&w, 0, &st), expected, expected * 1e-12);
  double trained = gemm / (2e15 * e8) + attn / (2e15 * e8) + stream;
  ck_assert_double_eq_tol(trained - expected, gemm / 2e15 * (1 / e8 - 1 / 0.652), expected * 1e-12);
  /* the same kernels priced as a training pass (serving 0) take the fit */
  rs_work_t k    = rs_inf__stage_work(&w, 0, &st);
  double t_serve = rs_gpu_work_seconds(&g, &k);
  k.serving      = 0;
  ck_assert_double_eq_tol(rs_gpu_work_seconds(&g, &k) - t_serve, 1536 * 2 * MLP / 2e15 * (1 / e8 - 1 / 0.652),
                          t_serve * 1e-12);
  free(w.stages);
}
END_TEST

/* The kernel floor: a decode step of one sequence of the dense layer, whose every kernel does less than
 * a millisecond's work, takes the floor once per kernel (2 MLP GEMMs and the logits, 2 projections,
 * attention, 2 norms and the activation: 9 ms at 1 ms each); with a floor under every kernel's
 * roofline the step is the rooflines' sum (the floor-free formula of one_decode_step). The MoE layer
 * launches the router, the shared expert's 2 GEMMs and the logits, 2 grouped GEMMs, and 6 memory-bound
 * kernels (norms, activation, top-k, permutation and back). */
START_TEST(kernel_floor)
{
  rs_gpu_model_t g      = gpu();
  rs_sc_inference_t cfg = {.precision = RS_PREC_FP8, .kv_precision = RS_PREC_FP8, .kernel_floor_s = 1e-3};
  rs_inf_wl_t w         = plan(&dense, &cfg, &g, 1, 1);
  rs_inf_step_t st      = {.tokens = 1, .pairs = 101, .kv_read = 101, .produced = 1, .seqs = 1};
  ck_assert_double_eq_tol(rs_inf__stage_seconds(&w, 0, &st), 9e-3, 1e-15);
  double floored     = rs_inf__stage_seconds(&w, 0, &st);
  cfg.kernel_floor_s = 1e-12;
  double small       = rs_inf__stage_seconds(&w, 0, &st);
  cfg.kernel_floor_s = 0;
  ck_assert_double_eq(small, rs_inf__stage_seconds(&w, 0, &st));
  ck_assert(small < floored / 100);
  free(w.stages);
  rs_model_t moe          = {"moe", 1, 1024, 4096, 8, 2, 1000, 4096, 1, 0, 8, 2, 1, 512};
  w                       = plan(&moe, &cfg, &g, 1, 4);
  const rs_inf_stage_t* s = &w.stages[0];
  ck_assert_int_eq(s->k_gemm, 4);
  ck_assert_int_eq(s->k_moe, 2);
  ck_assert_int_eq(s->k_proj, 2);
  ck_assert_int_eq(s->k_attn, 1);
  ck_assert_int_eq(s->k_stream, 6);
  free(w.stages);
}
END_TEST

/* The derived imbalance is the measured one where it was measured (EP32, 8 experts per rank: 1 + 1.564
 * without and 1 + 0.115 with redundant experts), 1 without EP, and the scenario's when given. */
START_TEST(derived_imbalance)
{
  rs_model_t v3;
  ck_assert(rs_model_preset("deepseek-v3", &v3) == RS_OK);
  rs_sc_inference_t cfg = {0};
  ck_assert_double_eq_tol(rs_inf__moe_imbalance(&cfg, &v3, 32), 2.564, 1e-12);
  ck_assert_double_eq(rs_inf__moe_imbalance(&cfg, &v3, 1), 1);
  double ep8 = 1 + 1.564 * sqrt(8.0 / 32) * sqrt(log(8) / log(32));
  ck_assert_double_eq_tol(rs_inf__moe_imbalance(&cfg, &v3, 8), ep8, 1e-12);
  cfg.redundant_experts = 32;
  ck_assert_double_eq_tol(rs_inf__moe_imbalance(&cfg, &v3, 36), 1 + 0.115 * sqrt(8.0 / 8) * sqrt(log(36) / log(32)),
                          1e-12);
  cfg.moe_imbalance = 1.25;
  ck_assert_double_eq(rs_inf__moe_imbalance(&cfg, &v3, 36), 1.25);
}
END_TEST

/* DeepSeek-V3's latent attention: 128 heads, kv_lora_rank 512, qk_rope 64, qk_nope 128, v_head 128.
 * Decode (absorbed): 128 x (2 x (512 + 64) + 2 x 512) = 278,528 FLOPs per cached token and layer;
 * prefill: 128 x (2 x (128 + 64) + 2 x 128) = 81,920. Llama 2 70B's GQA: 4 h in both. */
START_TEST(attention_forms)
{
  rs_model_t v3, l2;
  ck_assert(rs_model_preset("deepseek-v3", &v3) == RS_OK);
  ck_assert(rs_model_preset("llama2-70b", &l2) == RS_OK);
  ck_assert_double_eq(rs_model_attn_pair_flops(&v3, RS_ATTN_DECODE), 128.0 * (2 * (512 + 64) + 2 * 512));
  ck_assert_double_eq(rs_model_attn_pair_flops(&v3, RS_ATTN_DECODE), 278528);
  ck_assert_double_eq(rs_model_attn_pair_flops(&v3, RS_ATTN_PREFILL), 81920);
  ck_assert_double_eq(rs_model_attn_pair_flops(&l2, RS_ATTN_DECODE), 4.0 * 8192);
  ck_assert_double_eq(rs_model_attn_pair_flops(&l2, RS_ATTN_PREFILL), 4.0 * 8192);
}
END_TEST

static Suite* inf_cost_suite(void)
{
  Suite* s  = suite_create("inf_cost");
  TCase* tc = tcase_create("step time");
  tcase_add_test(tc, one_decode_step);
  tcase_add_test(tc, one_prefill_chunk);
  tcase_add_test(tc, moe_layer_with_imbalance);
  tcase_add_test(tc, derived_imbalance);
  tcase_add_test(tc, attention_forms);
  tcase_add_test(tc, kernel_floor);
  tcase_add_test(tc, serving_gemms_at_the_measured_rate);
  suite_add_tcase(s, tc);
  return s;
}

RS_CHECK_MAIN(inf_cost_suite)
