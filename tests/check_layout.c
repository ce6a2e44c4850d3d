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

static Suite* layout_suite(void)
{
  Suite* s  = suite_create("layout");
  TCase* tc = tcase_create("layout");
  tcase_add_test(tc, coords_round_trip);
  tcase_add_test(tc, bad_layouts_are_refused_with_reasons);
  tcase_add_test(tc, ep_needs_redundant_experts_that_fill_it);
  tcase_add_test(tc, weights_grads_optimizer);
  tcase_add_test(tc, activations_in_flight);
  suite_add_tcase(s, tc);
  return s;
}

RS_CHECK_MAIN(layout_suite)
