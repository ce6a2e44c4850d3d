/* check_model.c -- tests of model.c against published figures: parameter counts of Narayanan et al.'s
 * GPT family, Llama 3 and DeepSeek-V3, and Megatron-LM's FLOP formula, which TF/GPU figures assume. */
#include "check_util.h"
#include "hw/hw.h"
#include "model/model.h"

#include <math.h>

static rs_model_t preset(const char* name)
{
  rs_model_t m;
  ck_assert_msg(rs_model_preset(name, &m) == RS_OK, "no preset %s", name);
  return m;
}

/* Narayanan et al. SC'21, Table 1: the parameter counts their TF/GPU figures are for. */
START_TEST(gpt_family_has_table_1_sizes)
{
  static const struct {
    const char* name;
    double billions;
  } t1[] = {{"gpt-1.7b", 1.7},     {"gpt-3.6b", 3.6},    {"gpt-7.5b", 7.5},     {"gpt-18.4b", 18.4},
            {"gpt-39.1b", 39.1},   {"gpt-76.1b", 76.1},  {"gpt-145.6b", 145.6}, {"gpt-310.1b", 310.1},
            {"gpt-529.6b", 529.6}, {"gpt-1008b", 1008.0}};
  for (size_t i = 0; i < sizeof t1 / sizeof t1[0]; i++) {
    rs_model_t m = preset(t1[i].name);
    double p     = rs_model_params(&m) / 1e9;
    ck_assert_msg(fabs(p - t1[i].billions) / t1[i].billions < 0.03, "%s: %.2fB parameters", t1[i].name, p);
  }
}
END_TEST

/* Megatron-LM's count with full recomputation, per token: 96 l h^2 (1 + s/(6h) + V/(16 l h)). */
START_TEST(gpt_flops_match_megatron_formula)
{
  rs_model_t m = preset("gpt-145.6b");
  double l = m.layers, h = m.hidden, s = m.seq_len, V = m.vocab;
  double expected = 96 * l * h * h * (1 + s / (6 * h) + V / (16 * l * h));
  ck_assert_double_eq_tol(rs_model_train_hw_flops_per_token(&m, RS_RECOMPUTE_FULL), expected, expected * 1e-12);
  /* without recomputation: 72 l h^2 (1 + s/(6h) + V/(12 l h)) */
  expected = 72 * l * h * h * (1 + s / (6 * h) + V / (12 * l * h));
  ck_assert_double_eq_tol(rs_model_train_flops_per_token(&m), expected, expected * 1e-12);
  ck_assert_double_eq_tol(rs_model_train_hw_flops_per_token(&m, RS_RECOMPUTE_NONE), expected, expected * 1e-12);
  double selective = rs_model_train_hw_flops_per_token(&m, RS_RECOMPUTE_SELECTIVE);
  ck_assert(selective > expected && selective < rs_model_train_hw_flops_per_token(&m, RS_RECOMPUTE_FULL));
}
END_TEST

/* Meta's model cards: 8.03B, 70.6B and 405.9B parameters (GQA, SwiGLU, untied output). */
START_TEST(llama3_sizes)
{
  rs_model_t m = preset("llama3-8b");
  ck_assert_double_eq_tol(rs_model_params(&m) / 1e9, 8.03, 0.01);
  m = preset("llama3-70b");
  ck_assert_double_eq_tol(rs_model_params(&m) / 1e9, 70.55, 0.05);
  m = preset("llama3-405b");
  ck_assert_double_eq_tol(rs_model_params(&m) / 1e9, 405.85, 0.2);
  ck_assert_double_eq_tol(rs_model_active_params(&m), rs_model_params(&m), 1); /* dense */
  /* 6 N per token plus attention: the "6N" rule of thumb within 10% at 8K context */
  double f = rs_model_train_flops_per_token(&m);
  ck_assert(f > 6 * rs_model_params(&m) && f < 1.1 * 6 * rs_model_params(&m));
}
END_TEST

/* DeepSeek-V3 technical report: 671B parameters in all, 37B active per token (MLA, 256 experts, 8 active). */
START_TEST(deepseek_v3_sizes)
{
  rs_model_t m = preset("deepseek-v3");
  ck_assert_double_eq_tol(rs_model_params(&m) / 1e9, 671, 671 * 0.01);
  ck_assert_double_eq_tol(rs_model_active_params(&m) / 1e9, 37, 37 * 0.03);
  ck_assert(rs_model_layer_params(&m, 0) < rs_model_layer_params(&m, 3)); /* first 3 layers dense */
}
END_TEST

/* Multi-token prediction (DeepSeek-V3 report, section 2.2), depth 1: one module of a layer shaped as the
 * last (MoE), a 2h x h projection and three RMSNorms, the embedding and output head shared. The report's
 * Hugging Face release counts 685B = 671B + 14B of MTP module, whose checkpoint stores its own copies of
 * the embedding and the head (2 V h = 1.85B): with them, 685B. Its FLOPs per token: 3 x (the layer's
 * forward, 2 x 2 h^2 of projection, 2 h V of the shared head) more per training step, the last two
 * beside the output layer. */
START_TEST(mtp_module_params_and_flops)
{
  rs_model_t m = preset("deepseek-v3");
  double p0 = rs_model_params(&m), a0 = rs_model_active_params(&m), f0 = rs_model_train_flops_per_token(&m);
  double h = m.hidden, V = m.vocab;
  m.mtp_depth   = 1;
  double module = rs_model_layer_params(&m, m.layers - 1) + 2 * h * h + 3 * h;
  ck_assert_double_eq_tol(rs_model_mtp_params(&m), module, 1);
  ck_assert_double_eq_tol(rs_model_params(&m) - p0, module, 1);
  ck_assert_double_eq_tol((rs_model_params(&m) + 2 * V * h) / 1e9, 685, 685 * 0.005);
  double routed_idle = (m.experts - m.experts_per_token) * 3.0 * h * m.expert_ffn;
  ck_assert_double_eq_tol(rs_model_active_params(&m) - a0, module - routed_idle, 1);
  double fwd = rs_model_layer_fwd_flops(&m, m.layers - 1) + 4 * h * h + 2 * h * V;
  ck_assert_double_eq_tol(rs_model_train_flops_per_token(&m) - f0, 3 * fwd, 1e-6 * f0);
  m.mtp_depth = 2;
  ck_assert_double_eq_tol(rs_model_mtp_params(&m), 2 * module, 1);
  ck_assert_double_eq_tol(rs_model_mtp_fwd_flops(&m), 2 * fwd, 1e-9 * fwd);
  /* outside their layers, per token: 2 x (4 x 7168^2 + 2 x 7168 x 129280) = 2 x (205,520,896 + 1,853,358,080) */
  ck_assert_double_eq(rs_model_mtp_head_fwd_flops(&m), 4117757952.0);
  ck_assert_double_eq_tol(rs_model_mtp_fwd_flops(&m) - rs_model_mtp_head_fwd_flops(&m),
                          2 * rs_model_layer_fwd_flops(&m, m.layers - 1), 1e-9 * fwd);
}
END_TEST

/* Llama 2 70B keeps 2 x 8 KV heads x 128 values per token and layer (320 KiB per token in bf16 over 80
 * layers); one decode token at context c costs the linear FLOPs plus 4 h (c + 1) of attention. */
START_TEST(inference_kv_and_flops)
{
  rs_model_t m;
  ck_assert(rs_model_preset("llama2-70b", &m) == RS_OK);
  ck_assert_double_eq(rs_model_kv_values_per_token(&m), 2048);
  ck_assert_double_eq_tol(rs_model_kv_values_per_token(&m) * 2 * m.layers, 327680, 1e-9);
  double linear = rs_model_layer_fwd_flops(&m, 0) - rs_model_attn_score_fwd_flops(&m);
  ck_assert_double_eq_tol(rs_model_layer_infer_flops(&m, 0, 1, 1000), linear + 4.0 * m.hidden * 1001, 1);
  /* a whole prompt at once costs what its tokens cost one by one */
  double chunked = 0;
  for (int c = 0; c < 100; c++)
    chunked += rs_model_layer_infer_flops(&m, 0, 1, c);
  ck_assert_double_eq_tol(rs_model_layer_infer_flops(&m, 0, 100, 0), chunked, chunked * 1e-12);
  rs_model_t v3;
  ck_assert(rs_model_preset("deepseek-v3", &v3) == RS_OK);
  ck_assert_double_eq(rs_model_kv_values_per_token(&v3), 576);
  ck_assert_double_eq(rs_model_layer_routed_params(&v3, 0), 0); /* a dense layer */
  ck_assert_double_eq(rs_model_layer_routed_params(&v3, 3), 256.0 * 3 * 7168 * 2048);
  ck_assert_double_eq(rs_model_layer_routed_params(&m, 5), 0);
  ck_assert_double_eq_tol(rs_model_params(&m) / 1e9, 69.0, 0.1);
}
END_TEST

START_TEST(bad_shapes_are_refused)
{
  rs_err_t err = {{0}};
  rs_model_t m = preset("llama3-8b");
  ck_assert_int_eq(rs_model_check(&m, &err), RS_OK);
  m.heads = 33;
  ck_assert_int_eq(rs_model_check(&m, &err), RS_ERR);
  ck_assert_str_eq(err.msg, "heads (33) must divide hidden (4096)");
  m        = preset("llama3-8b");
  m.layers = 0;
  ck_assert_int_eq(rs_model_check(&m, &err), RS_ERR);
  m                   = preset("deepseek-v3");
  m.experts_per_token = 300;
  ck_assert_int_eq(rs_model_check(&m, &err), RS_ERR);
  ck_assert_int_eq(rs_model_preset("gpt-5", &m), RS_ERR);
}
END_TEST

/* Korthikanti et al. 2022, section 4, per layer with tensor and sequence parallelism t, itemised: the
 * attention block keeps 11 s b h + 5 a s^2 b bytes (QKV input 2, Q and K 4, softmax output 2 a s^2 b,
 * its dropout mask a s^2 b and output 2 a s^2 b, V 2, the output projection's input 2 and its dropout
 * mask 1), the MLP 19 s b h (input 2, first matmul output 8, GeLU output 8, dropout mask 1), the two
 * LayerNorms 4 s b h; all of it split over t. Selective recomputation keeps all but the 5 a s^2 b, full
 * only the layer's input 2 s b h / t; flash attention never keeps the scores, whatever the mode. */
START_TEST(activation_memory_terms)
{
  rs_model_t m = preset("gpt3-175b");
  double s = 2048, h = 12288, a = 96, t = 8;
  for (int b = 1; b <= 2; b++) {
    double sbh       = s * b * h;
    double attention = 11 * sbh + 5 * a * s * s * b, mlp = 19 * sbh, norms = 4 * sbh;
    double scores = 5 * a * s * s * b;
    double all    = (attention + mlp + norms) / t;
    ck_assert_double_eq_tol(rs_model_layer_activation_bytes(&m, b, 8, RS_RECOMPUTE_NONE, RS_ATTN_MATERIALISED), all, 1);
    ck_assert_double_eq_tol(rs_model_layer_activation_bytes(&m, b, 8, RS_RECOMPUTE_SELECTIVE, RS_ATTN_MATERIALISED),
                            all - scores / t, 1);
    ck_assert_double_eq_tol(rs_model_layer_activation_bytes(&m, b, 8, RS_RECOMPUTE_FULL, RS_ATTN_MATERIALISED),
                            2 * sbh / t, 1);
    ck_assert_double_eq_tol(rs_model_layer_activation_bytes(&m, b, 8, RS_RECOMPUTE_NONE, RS_ATTN_FLASH),
                            all - scores / t, 1);
    ck_assert_double_eq_tol(rs_model_layer_activation_bytes(&m, b, 8, RS_RECOMPUTE_SELECTIVE, RS_ATTN_FLASH),
                            all - scores / t, 1);
    ck_assert_double_eq_tol(rs_model_layer_activation_bytes(&m, b, 8, RS_RECOMPUTE_FULL, RS_ATTN_FLASH), 2 * sbh / t,
                            1);
  }
  /* Korthikanti et al.'s Table 2 ratio for GPT-3 175B: 5 a s / h = 80 against 34 without recomputation,
   * so the scores are 80 / 114 of a layer's activations */
  double none = rs_model_layer_activation_bytes(&m, 1, 1, RS_RECOMPUTE_NONE, RS_ATTN_MATERIALISED);
  double sel  = rs_model_layer_activation_bytes(&m, 1, 1, RS_RECOMPUTE_SELECTIVE, RS_ATTN_MATERIALISED);
  ck_assert_double_eq_tol((none - sel) / none, 80.0 / 114, 1e-12);
}
END_TEST

/* The same items for Llama 3.1 405B (h 16,384, f 53,248, 8 KV heads of 128, no dropout, SwiGLU): per
 * token, attention 2h + 2h + 2 h_kv + 2 h_kv + 2h with h_kv = 1,024, MLP 2h + 6f, norms 4h: 31.75 h
 * against GPT's 34 h. */
START_TEST(activation_memory_gqa_swiglu)
{
  rs_model_t m = preset("llama3-405b");
  double h = 16384, f = 53248, hkv = 8 * 128, s = 8192;
  double per_token = (6 * h + 4 * hkv) + (2 * h + 6 * f) + 4 * h;
  ck_assert_double_eq_tol(per_token / h, 31.75, 1e-12);
  ck_assert_double_eq_tol(rs_model_layer_activation_bytes(&m, 1, 4, RS_RECOMPUTE_NONE, RS_ATTN_FLASH),
                          s * per_token / 4, 1);
  /* materialised without dropout: softmax output only, 2 a s per token */
  ck_assert_double_eq_tol(rs_model_layer_activation_bytes(&m, 1, 4, RS_RECOMPUTE_NONE, RS_ATTN_MATERIALISED),
                          s * (per_token + 2 * 128 * s) / 4, 1);
  ck_assert_double_eq_tol(rs_model_layer_activation_bytes(&m, 1, 4, RS_RECOMPUTE_FULL, RS_ATTN_FLASH), 2 * s * h / 4,
                          1);
}
END_TEST

/* Backward FLOPs of the scores, in forward multiples: 2 for the gradients, 1 more for a recomputed
 * forward, and flash's backward recomputes Q K^T, half of the forward's two matmuls (FlashAttention-2:
 * backward 2.5 x forward). */
START_TEST(attention_backward_multiples)
{
  ck_assert_double_eq(rs_model_attn_bwd_multiple(RS_RECOMPUTE_NONE, RS_ATTN_MATERIALISED), 2);
  ck_assert_double_eq(rs_model_attn_bwd_multiple(RS_RECOMPUTE_SELECTIVE, RS_ATTN_MATERIALISED), 3);
  ck_assert_double_eq(rs_model_attn_bwd_multiple(RS_RECOMPUTE_FULL, RS_ATTN_MATERIALISED), 3);
  ck_assert_double_eq(rs_model_attn_bwd_multiple(RS_RECOMPUTE_NONE, RS_ATTN_FLASH), 2.5);
  ck_assert_double_eq(rs_model_attn_bwd_multiple(RS_RECOMPUTE_FULL, RS_ATTN_FLASH), 3.5);
}
END_TEST

/* The scores Korthikanti et al. store (5 a s bytes per token: softmax output, dropout mask and output)
 * are among those the attention kernels move: 13 bytes per score element forward, 17 backward. */
START_TEST(attention_score_traffic)
{
  rs_model_t m = preset("gpt-1.7b");
  ck_assert_double_eq_tol(rs_model_attn_score_bytes(&m, 0), 13.0 * 24 * 2048, 1e-6);
  ck_assert_double_eq_tol(rs_model_attn_score_bytes(&m, 1), 17.0 * 24 * 2048, 1e-6);
  ck_assert(rs_model_attn_score_bytes(&m, 0) > 5.0 * m.heads * m.seq_len);
}
END_TEST

/* Kernel classes add: a memory-bound attention does not hide under a compute-bound GEMM, and each
 * class runs at its own precision. */
/* FP8 training's casts: each Linear's input (its K) forward and its output gradient (its N) backward. */
START_TEST(fp8_cast_values_per_linear)
{
  rs_model_t m = preset("llama3-70b"); /* h 8,192, f 28,672, 8 KV heads of 128 */
  double fwd, bwd;
  rs_model_layer_cast_values(&m, 0, &fwd, &bwd);
  /* QKV h, output projection h, FC1 h, FC2 f */
  ck_assert_double_eq_tol(fwd, 3 * 8192.0 + 28672, 1e-9);
  /* QKV h + 2 x 8 x 128, output h, FC1 2 f (SwiGLU), FC2 h */
  ck_assert_double_eq_tol(bwd, 8192 + 2048 + 8192 + 2 * 28672.0 + 8192, 1e-9);
  rs_model_t gpt = preset("gpt-1.7b"); /* GELU: FC1's output is f wide */
  rs_model_layer_cast_values(&gpt, 0, &fwd, &bwd);
  double h = gpt.hidden, f = gpt.ffn;
  ck_assert_double_eq_tol(bwd, h + 2 * h + h + f + h, 1e-9);
  rs_model_t v3 = preset("deepseek-v3"); /* an MoE layer: 8 routed + 1 shared expert of FFN 2,048 */
  rs_model_layer_cast_values(&v3, 10, &fwd, &bwd);
  /* q down h, kv down h, q up q_lora, kv up kv_lora, output a d_v; then 9 x (h + f_e) */
  ck_assert_double_eq_tol(fwd, 7168 + 7168 + 1536 + 512 + 128 * 128.0 + 9 * (7168 + 2048.0), 1e-9);
  /* q down q_lora, q up a (d_nope + d_rope), kv down kv_lora + d_rope, kv up a (d_nope + d_v), output h;
   * then 9 x (2 f_e + h) */
  ck_assert_double_eq_tol(bwd, 1536 + 128 * 192.0 + 512 + 64 + 128 * 256.0 + 7168 + 9 * (2 * 2048.0 + 7168), 1e-9);
  rs_model_layer_cast_values(&v3, 0, &fwd, &bwd); /* a dense layer: one MLP of FFN 18,432 */
  ck_assert_double_eq_tol(fwd, 7168 + 7168 + 1536 + 512 + 128 * 128.0 + 7168 + 18432.0, 1e-9);
}
END_TEST

START_TEST(kernel_classes_add)
{
  rs_gpu_model_t g           = {.name = "H100", .hbm_bytes_per_s = 3.35e12, .calib = rs_hw_calib("H100")};
  g.peak_flops[RS_PREC_BF16] = 989e12;
  g.peak_flops[RS_PREC_FP8]  = 1979e12;
  const rs_hw_calib_t* c     = g.calib;
  rs_work_t w                = {.gemm_flops   = 2e12,
                                .gemm_bytes   = 1e9,
                                .gemm_prec    = RS_PREC_FP8,
                                .attn_flops   = 1e10,
                                .attn_bytes   = 2e10,
                                .attn_prec    = RS_PREC_BF16,
                                .stream_bytes = 1e9};
  double gemm                = 2e12 / (1979e12 * c->matmul_eff[RS_PREC_FP8]); /* compute-bound */
  double attn                = 2e10 / (3.35e12 * c->hbm_eff);                 /* memory-bound */
  double stream              = 1e9 / (3.35e12 * c->hbm_eff);
  ck_assert_double_eq_tol(rs_gpu_work_seconds(&g, &w), gemm + attn + stream, 1e-15);
  /* one roofline over everything at the GEMM's precision would hide the attention's bytes */
  double one = rs_gpu_seconds(&g, RS_PREC_FP8, 2e12 + 1e10, 1e9 + 2e10) + stream;
  ck_assert_double_eq_tol(rs_gpu_work_seconds(&g, &w) - one, gemm - 1e9 / (3.35e12 * c->hbm_eff), 1e-15);
  /* attention FLOPs are priced at the attention's precision, not the weights' */
  rs_work_t a = {.attn_flops = 1e13, .attn_prec = RS_PREC_BF16, .gemm_prec = RS_PREC_FP8};
  ck_assert_double_eq_tol(rs_gpu_work_seconds(&g, &a), 1e13 / (989e12 * c->matmul_eff[RS_PREC_BF16]), 1e-15);
}
END_TEST

/* A serving step's GEMMs: the same roofline at the measured rate where the type has one (H100 FP8:
 * 1,290.1 of 1,979 TF, 0.652), the fit where not (BF16); memory-bound GEMMs take their bytes' time either
 * way; a power cap slows the serving rate as it slows the fit. Grouped GEMMs of a serving step take
 * grouped_eff of the serving rate; a training pass (serving 0) keeps matmul_eff. */
START_TEST(serving_gemm_rate)
{
  rs_gpu_model_t g           = {.name = "H100", .hbm_bytes_per_s = 3.35e12, .calib = rs_hw_calib("H100")};
  g.peak_flops[RS_PREC_BF16] = 989e12;
  g.peak_flops[RS_PREC_FP8]  = 1979e12;
  const rs_hw_calib_t* c     = g.calib;
  ck_assert_double_eq_tol(rs_gpu_serve_seconds(&g, RS_PREC_FP8, 1e13, 1e9), 1e13 / (1979e12 * 0.652), 1e-15);
  ck_assert_double_eq_tol(rs_gpu_serve_seconds(&g, RS_PREC_FP8, 1e9, 1e10), 1e10 / (3.35e12 * c->hbm_eff), 1e-15);
  ck_assert_double_eq(rs_gpu_serve_seconds(&g, RS_PREC_BF16, 1e13, 1e9), rs_gpu_seconds(&g, RS_PREC_BF16, 1e13, 1e9));
  ck_assert(rs_gpu_serve_seconds(&g, RS_PREC_FP8, 1e13, 0) < rs_gpu_seconds(&g, RS_PREC_FP8, 1e13, 0));
  g.cap_speed = 0.5;
  ck_assert_double_eq_tol(rs_gpu_serve_seconds(&g, RS_PREC_FP8, 1e13, 0), 1e13 / (1979e12 * 0.652 * 0.5), 1e-15);
  g.cap_speed = 0;
  rs_work_t w = {.moe_flops  = 1e13,
                 .moe_prec   = RS_PREC_FP8,
                 .gemm_prec  = RS_PREC_FP8,
                 .attn_prec  = RS_PREC_FP8,
                 .attn_flops = 1e12,
                 .serving    = 1};
  double attn = 1e12 / (1979e12 * c->matmul_eff[RS_PREC_FP8]);
  ck_assert_double_eq_tol(rs_gpu_work_seconds(&g, &w), 1e13 / (1979e12 * 0.652 * c->grouped_eff) + attn, 1e-15);
  w.serving = 0;
  ck_assert_double_eq_tol(rs_gpu_work_seconds(&g, &w),
                          1e13 / (1979e12 * c->matmul_eff[RS_PREC_FP8] * c->grouped_eff) + attn, 1e-15);
}
END_TEST

static Suite* model_suite(void)
{
  Suite* s  = suite_create("model");
  TCase* tc = tcase_create("published sizes");
  tcase_add_test(tc, gpt_family_has_table_1_sizes);
  tcase_add_test(tc, llama3_sizes);
  tcase_add_test(tc, deepseek_v3_sizes);
  suite_add_tcase(s, tc);
  tc = tcase_create("flops and memory");
  tcase_add_test(tc, gpt_flops_match_megatron_formula);
  tcase_add_test(tc, activation_memory_terms);
  tcase_add_test(tc, attention_backward_multiples);
  tcase_add_test(tc, activation_memory_gqa_swiglu);
  tcase_add_test(tc, inference_kv_and_flops);
  tcase_add_test(tc, attention_score_traffic);
  tcase_add_test(tc, bad_shapes_are_refused);
  tcase_add_test(tc, kernel_classes_add);
  tcase_add_test(tc, serving_gemm_rate);
  tcase_add_test(tc, fp8_cast_values_per_linear);
  tcase_add_test(tc, mtp_module_params_and_flops);
  suite_add_tcase(s, tc);
  return s;
}

RS_CHECK_MAIN(model_suite)
