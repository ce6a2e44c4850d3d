/* check_inf_sched.c -- unit tests of the inference workload's pure parts, called directly without a
 * SimGrid engine: the KV-cache scheduler (admission under a token budget and max_seqs, chunked
 * prefill, block accounting, preemption by recompute and by swap when blocks run out, the cached
 * prefix) and the router (round robin, least outstanding with and without its heap, kv-aware). */
#include "check_util.h"
#include "wl/inf_int.h"

#define N_REQS 8

static rs_inf_req_t reqs[N_REQS];
static rs_inf_kv_cfg_t cfg;
static rs_inf_kv_t kv;

/* Blocks of 16 tokens, a budget of 100 tokens per step, 8 sequences, no chunking, recompute. */
static void setup(void)
{
  cfg = (rs_inf_kv_cfg_t){.block_tokens = 16, .max_seqs = 8, .max_batch_tokens = 100, .token_bytes = 1000};
  rs_inf__kv_init(&kv, &cfg, 64);
  for (int i = 0; i < N_REQS; i++)
    reqs[i] = (rs_inf_req_t){.prompt = 10, .output = 4, .scheduled = -1, .first_token = -1, .finish = -1};
}

static void teardown(void)
{
  rs_inf__kv_free(&kv);
}

/* Requests 0..n-1 arrive, with the given prompt lengths. */
static void arrive(int n, const int* prompts)
{
  for (int i = 0; i < n; i++) {
    reqs[i].prompt = prompts[i];
    rs_inf__kv_wait(&kv, reqs, i, 0);
  }
}

static rs_inf_step_t schedule(double now)
{
  rs_inf_step_t st = {0};
  rs_inf__kv_schedule(&kv, reqs, now, &st);
  return st;
}

static int advance(double now)
{
  int left[N_REQS];
  return rs_inf__kv_advance(&kv, reqs, now, 0, left);
}

/* ---- admission ----------------------------------------------------------------------------------- */

/* First come first served under the budget: a prompt that does not fit what is left waits (and so do
 * those behind it), even when a later one would fit. */
START_TEST(admission_stops_at_the_token_budget)
{
  arrive(3, (int[]){60, 50, 30});
  rs_inf_step_t st = schedule(1.5);
  ck_assert_int_eq(st.seqs, 1);
  ck_assert_double_eq(st.tokens, 60);
  ck_assert_int_eq(kv.n_run, 1);
  ck_assert_int_eq(kv.waiting.n, 2);
  ck_assert_double_eq(reqs[0].scheduled, 1.5);
  ck_assert_double_eq(reqs[1].scheduled, -1);
  ck_assert_int_eq(reqs[0].n_step, 60);
}
END_TEST

/* With chunked prefill the second prompt takes what is left of the budget and finishes next step. */
START_TEST(chunked_prefill_fills_the_budget)
{
  cfg.chunked_prefill = 1;
  arrive(3, (int[]){60, 50, 30});
  rs_inf_step_t st = schedule(0);
  ck_assert_int_eq(st.seqs, 2);
  ck_assert_double_eq(st.tokens, 100);
  ck_assert_int_eq(reqs[1].n_step, 40);
  ck_assert_int_eq(advance(1), 0);
  ck_assert_int_eq(reqs[0].generated, 1); /* its whole prompt: a first token */
  ck_assert_int_eq(reqs[1].generated, 0); /* a chunk: no token yet */
  ck_assert_double_eq(reqs[0].first_token, 1);
  st = schedule(1); /* request 0 decodes 1, request 1 its last 10, request 2 its 30 */
  ck_assert_double_eq(st.tokens, 41);
  ck_assert_int_eq(st.seqs, 3);
}
END_TEST

/* With chunk_in_blocks (TensorRT-LLM) a chunk that does not end its prompt is whole blocks of 16: the
 * second prompt's 40 tokens left in the budget become 32, and its next chunk starts on a block edge;
 * a prompt's last piece is any size. Alone in a step under one block of budget, a prompt takes the
 * budget (it must progress). */
START_TEST(chunks_in_whole_blocks)
{
  cfg.chunked_prefill = 1;
  cfg.chunk_in_blocks = 1;
  arrive(2, (int[]){60, 50});
  rs_inf_step_t st = schedule(0);
  ck_assert_double_eq(st.tokens, 60 + 32);
  ck_assert_int_eq(reqs[1].n_step, 32);
  advance(1);
  ck_assert_int_eq(reqs[1].computed, 32);
  st = schedule(1); /* request 0 decodes 1, request 1 its last 18 */
  ck_assert_int_eq(reqs[1].n_step, 18);
  ck_assert_double_eq(st.tokens, 19);
  rs_inf__kv_free(&kv);
  cfg.max_batch_tokens = 10;
  rs_inf__kv_init(&kv, &cfg, 64);
  reqs[2] = (rs_inf_req_t){.prompt = 50, .output = 4, .scheduled = -1, .first_token = -1, .finish = -1};
  rs_inf__kv_wait(&kv, reqs, 2, 0);
  st = schedule(2);
  ck_assert_int_eq(reqs[2].n_step, 10);
}
END_TEST

/* A lone prompt larger than the budget still runs when nothing else is in the step. */
START_TEST(a_lone_long_prompt_runs_whole)
{
  arrive(1, (int[]){300});
  rs_inf_step_t st = schedule(0);
  ck_assert_double_eq(st.tokens, 300);
}
END_TEST

START_TEST(admission_stops_at_max_seqs)
{
  cfg.max_seqs = 3;
  rs_inf__kv_free(&kv);
  rs_inf__kv_init(&kv, &cfg, 64);
  arrive(5, (int[]){10, 10, 10, 10, 10});
  rs_inf_step_t st = schedule(0);
  ck_assert_int_eq(st.seqs, 3);
  ck_assert_int_eq(kv.n_run, 3);
  ck_assert_int_eq(kv.waiting.n, 2);
}
END_TEST

/* A request whose prompt needs more blocks than are free waits: admission control. */
START_TEST(admission_needs_free_blocks)
{
  rs_inf__kv_free(&kv);
  rs_inf__kv_init(&kv, &cfg, 5);
  arrive(2, (int[]){48, 48}); /* 3 blocks each, 5 free */
  rs_inf_step_t st = schedule(0);
  ck_assert_int_eq(st.seqs, 1);
  ck_assert_int_eq(kv.free_blocks, 2);
  ck_assert_int_eq(kv.waiting.n, 1);
  ck_assert_int_eq(kv.waiting_blocks, 3);
}
END_TEST

/* ---- blocks ---------------------------------------------------------------------------------------- */

/* A request holds ceil(tokens / 16) blocks as its context grows, and gives them all back when done. */
START_TEST(blocks_follow_the_context_and_come_back)
{
  reqs[0].output = 20;
  arrive(1, (int[]){40});
  schedule(0);
  ck_assert_int_eq(reqs[0].blocks, 3);
  ck_assert_int_eq(kv.free_blocks, 61);
  ck_assert_int_eq(advance(1), 0);
  for (int step = 0; step < 8; step++) { /* contexts 41 .. 48 fit in 3 blocks */
    schedule(2 + step);
    ck_assert_int_eq(reqs[0].blocks, 3);
    advance(2 + step);
  }
  schedule(10); /* the 49th token opens a fourth block */
  ck_assert_int_eq(reqs[0].blocks, 4);
  ck_assert_int_eq(kv.free_blocks, 60);
  advance(10);
  int left[N_REQS], n = 0;
  for (double t = 11; n == 0; t++) {
    schedule(t);
    n = rs_inf__kv_advance(&kv, reqs, t, 0, left);
  }
  ck_assert_int_eq(n, 1);
  ck_assert_int_eq(left[0], 0);
  ck_assert_int_eq(reqs[0].generated, 20);
  ck_assert_int_eq(kv.free_blocks, 64);
  ck_assert_int_eq(kv.n_run, 0);
}
END_TEST

/* On a prefill-only replica a request leaves with its first token, its blocks freed. */
START_TEST(prefill_only_replicas_let_go_after_the_first_token)
{
  arrive(1, (int[]){40});
  schedule(0);
  int left[N_REQS];
  ck_assert_int_eq(rs_inf__kv_advance(&kv, reqs, 1, 1, left), 1);
  ck_assert_int_eq(reqs[0].generated, 1);
  ck_assert_int_eq(kv.free_blocks, 64);
}
END_TEST

/* ---- decode first and full batches ------------------------------------------------------------------ */

/* Request 0 (admitted first) is still in its chunked prompt while 1 and 2 decode: in admission order
 * the chunk takes the budget first and one decode waits; decode first, both decodes go, then the
 * chunk takes what is left. */
START_TEST(decode_first_takes_the_decodes_first)
{
  cfg.chunked_prefill  = 1;
  cfg.max_batch_tokens = 40;
  arrive(3, (int[]){200, 10, 10});
  for (int i = 0; i < 3; i++) /* as the scheduler would have left them */
    kv.run[kv.n_run++] = rs_inf__q_front(&kv.waiting), rs_inf__q_pop_front(&kv.waiting);
  kv.waiting_blocks = 0;
  reqs[0].computed  = 100; /* half its prompt */
  reqs[0].blocks    = 7;
  for (int i = 1; i < 3; i++)
    reqs[i].computed = 10, reqs[i].generated = 1, reqs[i].blocks = 1;
  kv.free_blocks -= 9;
  rs_inf_step_t st = schedule(0);
  ck_assert_int_eq(reqs[0].n_step, 40);
  ck_assert_int_eq(reqs[1].n_step, 0);
  ck_assert_int_eq(reqs[2].n_step, 0);
  ck_assert_int_eq(st.seqs, 1);
  cfg.decode_first = 1;
  st               = schedule(0);
  ck_assert_int_eq(reqs[1].n_step, 1);
  ck_assert_int_eq(reqs[2].n_step, 1);
  ck_assert_int_eq(reqs[0].n_step, 38);
  ck_assert_int_eq(st.seqs, 3);
  ck_assert_double_eq(st.tokens, 40);
}
END_TEST

/* One free block, wanted by the chunk of request 0 (admitted first) and by the decode of request 1: in
 * admission order the chunk takes it and the decode, the newest, gives way (preempted); decode first,
 * the decode takes it and the chunk waits for the next step, evicting nobody. */
START_TEST(decode_first_chunks_do_not_evict_decodes)
{
  cfg.chunked_prefill = 1;
  for (int pass = 0; pass < 2; pass++) {
    cfg.decode_first = pass;
    rs_inf__kv_free(&kv);
    rs_inf__kv_init(&kv, &cfg, 4);
    reqs[0]   = (rs_inf_req_t){.prompt = 40, .output = 4, .computed = 32, .blocks = 2, .scheduled = 0};
    reqs[1]   = (rs_inf_req_t){.prompt = 16, .output = 4, .computed = 16, .generated = 1, .blocks = 1, .scheduled = 0};
    kv.run[0] = 0, kv.run[1] = 1, kv.n_run = 2;
    kv.free_blocks   = 1;
    rs_inf_step_t st = schedule(0);
    ck_assert_int_eq(st.preempted, pass ? 0 : 1);
    ck_assert_int_eq(reqs[0].n_step, pass ? 0 : 8);
    ck_assert_int_eq(reqs[1].n_step, pass ? 1 : 0);
    ck_assert_int_eq(kv.n_run, pass ? 2 : 1);
    ck_assert_int_eq(kv.free_blocks, pass ? 0 : 1);
  }
}
END_TEST

/* A batch is full with max_seqs sequences, or when a request waits that the free blocks cannot hold;
 * a step whose token budget went to prompts is not. */
START_TEST(full_batches)
{
  arrive(3, (int[]){60, 50, 30});
  schedule(0);
  ck_assert_int_eq(rs_inf__kv_full(&kv, reqs), 0); /* budget-bound: 60 of 100 tokens, then 50 waits */
  cfg.max_seqs = 1;
  ck_assert_int_eq(rs_inf__kv_full(&kv, reqs), 1);
  cfg.max_seqs   = 8;
  kv.free_blocks = 3; /* request 1's 50 tokens need 4 blocks */
  ck_assert_int_eq(rs_inf__kv_full(&kv, reqs), 1);
}
END_TEST

/* ---- preemption ------------------------------------------------------------------------------------- */

/* Two prompts of 48 tokens fill 6 blocks; the next decode step needs a fourth block for each, so the
 * newest request is evicted (its KV dropped, to recompute) and waits at the front. */
START_TEST(preemption_by_recompute_when_blocks_run_out)
{
  rs_inf__kv_free(&kv);
  rs_inf__kv_init(&kv, &cfg, 6);
  arrive(3, (int[]){48, 48, 10});
  rs_inf_step_t st = schedule(0);
  ck_assert_int_eq(st.seqs, 2);
  ck_assert_int_eq(kv.free_blocks, 0);
  advance(1);
  st = schedule(1);
  ck_assert_int_eq(st.preempted, 1);
  ck_assert_int_eq(st.seqs, 1);
  ck_assert_int_eq(kv.n_run, 1);
  ck_assert_int_eq(kv.run[0], 0);
  ck_assert_int_eq(reqs[0].blocks, 4);
  ck_assert_int_eq(kv.free_blocks, 2);
  ck_assert_int_eq(reqs[1].computed, 0);
  ck_assert_int_eq(reqs[1].blocks, 0);
  ck_assert_int_eq(reqs[1].preemptions, 1);
  ck_assert_int_eq(rs_inf__q_front(&kv.waiting), 1); /* ahead of request 2, which came later */
  ck_assert_double_eq(st.swap_bytes, 0);
  ck_assert_int_eq(kv.waiting.n, 2); /* nothing admitted in a step that preempted */
}
END_TEST

/* With swap the evicted request keeps its computed tokens, whose KV goes out and later comes back. */
START_TEST(preemption_by_swap_keeps_the_work)
{
  cfg.swap = 1;
  rs_inf__kv_free(&kv);
  rs_inf__kv_init(&kv, &cfg, 6);
  arrive(2, (int[]){48, 48});
  schedule(0);
  advance(1);
  rs_inf_step_t st = schedule(1);
  ck_assert_int_eq(st.preempted, 1);
  ck_assert_int_eq(reqs[1].swapped, 1);
  ck_assert_int_eq(reqs[1].computed, 48);
  ck_assert_double_eq(st.swap_bytes, 48 * cfg.token_bytes);
}
END_TEST

/* A warm replica lends the shared prefix's blocks: the next prompt computes only the rest. */
START_TEST(cached_prefix_is_borrowed)
{
  cfg.prefix_tokens = 32;
  arrive(1, (int[]){50});
  schedule(0);
  advance(1);
  ck_assert_int_eq(kv.warm, 1);
  ck_assert_int_eq(kv.free_blocks, 64 - 4 - 2); /* its own 4 blocks, and 2 pinned for the prefix */
  reqs[1].prompt = 50;
  rs_inf__kv_wait(&kv, reqs, 1, 0);
  rs_inf_step_t st = schedule(1);
  ck_assert_int_eq(reqs[1].shared, 32);
  ck_assert_int_eq(reqs[1].n_step, 18);
  ck_assert_int_eq(reqs[1].blocks, 2); /* 4 blocks for 50 tokens, 2 of them borrowed */
  ck_assert_double_eq(st.tokens, 1 + 18);
}
END_TEST

/* A run of identical decode steps stops where the free blocks no longer cover the growth. */
START_TEST(decode_steps_stop_when_blocks_run_out)
{
  rs_inf__kv_free(&kv);
  rs_inf__kv_init(&kv, &cfg, 7);
  reqs[0].output = reqs[1].output = 100;
  arrive(2, (int[]){40, 40}); /* 3 blocks each, 1 left */
  schedule(0);
  advance(1);
  double cached;
  /* contexts 41..48 need no new block; the 49th token of each needs one: only one is free */
  ck_assert_int_eq(rs_inf__kv_decode_steps(&kv, reqs, 1000, &cached), 8);
  ck_assert_double_eq(cached, 2 * 41);
  ck_assert_int_eq(rs_inf__kv_decode_steps(&kv, reqs, 5, &cached), 5);
}
END_TEST

/* ---- routing ------------------------------------------------------------------------------------------ */

static rs_inf_kv_t kvs[4];

static void router_setup(void)
{
  cfg = (rs_inf_kv_cfg_t){.block_tokens = 16, .max_seqs = 8, .max_batch_tokens = 100};
  for (int r = 0; r < 4; r++)
    rs_inf__kv_init(&kvs[r], &cfg, 100);
}

static void router_teardown(void)
{
  for (int r = 0; r < 4; r++)
    rs_inf__kv_free(&kvs[r]);
}

START_TEST(round_robin_takes_turns_in_its_pool)
{
  rs_inf_router_t rt;
  rs_inf__router_init(&rt, RS_ROUTE_ROUND_ROBIN, 4, kvs, 0);
  rs_inf_pool_t p = {1, 4, 0};
  int picks[5];
  for (int k = 0; k < 5; k++)
    picks[k] = rs_inf__route(&rt, &p);
  ck_assert_int_eq(picks[0], 1);
  ck_assert_int_eq(picks[1], 2);
  ck_assert_int_eq(picks[2], 3);
  ck_assert_int_eq(picks[3], 1);
  ck_assert_int_eq(picks[4], 2);
  rs_inf__router_free(&rt);
}
END_TEST

/* The fewest outstanding tokens win, the lowest index among equals; the same with the heap (one
 * pool) and by scanning (two pools). */
static void least_outstanding(int one_pool)
{
  rs_inf_router_t rt;
  rs_inf__router_init(&rt, RS_ROUTE_LEAST_OUTSTANDING, 4, kvs, one_pool);
  rs_inf_pool_t p = {0, 4, 0};
  ck_assert_int_eq(rs_inf__route(&rt, &p), 0);
  rs_inf__router_add(&rt, 0, 100);
  ck_assert_int_eq(rs_inf__route(&rt, &p), 1);
  rs_inf__router_add(&rt, 1, 50);
  rs_inf__router_add(&rt, 2, 200);
  rs_inf__router_add(&rt, 3, 70);
  ck_assert_int_eq(rs_inf__route(&rt, &p), 1);
  rs_inf__router_add(&rt, 1, 100); /* 150 */
  ck_assert_int_eq(rs_inf__route(&rt, &p), 3);
  rs_inf__router_add(&rt, 3, 30); /* 100, as replica 0 */
  ck_assert_int_eq(rs_inf__route(&rt, &p), 0);
  rs_inf__router_add(&rt, 2, -200); /* a request left */
  ck_assert_int_eq(rs_inf__route(&rt, &p), 2);
  rs_inf__router_free(&rt);
}

START_TEST(least_outstanding_with_the_heap)
{
  least_outstanding(1);
}
END_TEST

START_TEST(least_outstanding_by_scanning)
{
  least_outstanding(0);
}
END_TEST

/* kv-aware: the most blocks left once the waiting requests are admitted, the cached prefix counted. */
START_TEST(kv_aware_picks_the_most_room)
{
  rs_inf_router_t rt;
  rs_inf__router_init(&rt, RS_ROUTE_KV_AWARE, 4, kvs, 1);
  rs_inf_pool_t p       = {0, 4, 0};
  kvs[0].free_blocks    = 80;
  kvs[1].free_blocks    = 90;
  kvs[1].waiting_blocks = 20; /* 70 once its queue is in */
  kvs[2].free_blocks    = 75;
  kvs[3].free_blocks    = 60;
  ck_assert_int_eq(rs_inf__route(&rt, &p), 0);
  cfg.prefix_tokens = 400; /* 25 blocks: 85 left */
  kvs[3].warm       = 1;
  ck_assert_int_eq(rs_inf__route(&rt, &p), 3);
  rs_inf__router_add(&rt, 3, 1e6); /* outstanding tokens do not matter to it */
  ck_assert_int_eq(rs_inf__route(&rt, &p), 3);
  rs_inf_pool_t decode = {0, 3, 0};
  ck_assert_int_eq(rs_inf__route(&rt, &decode), 0);
  rs_inf__router_free(&rt);
}
END_TEST

/* Step-aware: replicas whose steps' seats are all taken are passed over while one of the pool has a
 * free seat, by every policy; when none has, the policy alone decides. */
START_TEST(step_aware_routing_fills_free_seats)
{
  const rs_route_t policies[] = {RS_ROUTE_LEAST_OUTSTANDING, RS_ROUTE_ROUND_ROBIN, RS_ROUTE_KV_AWARE};
  for (int k = 0; k < 3; k++) {
    rs_inf_router_t rt;
    rs_inf__router_init(&rt, policies[k], 4, kvs, 1);
    rs_inf__router_steps(&rt, (int[]){2, 2, 1, 1});
    ck_assert_ptr_null(rt.heap);
    rs_inf_pool_t p = {0, 4, 0};
    int seen[4]     = {0};
    for (int j = 0; j < 6; j++) {
      int r = rs_inf__route(&rt, &p);
      seen[r]++;
      rs_inf__router_seat(&rt, r, 1);
      rs_inf__router_add(&rt, r, 100);
    }
    for (int r = 0; r < 4; r++)
      ck_assert_int_eq(seen[r], r < 2 ? 2 : 1);
    rs_inf__router_seat(&rt, 2, -1); /* a request left replica 2 */
    ck_assert_int_eq(rs_inf__route(&rt, &p), 2);
    rs_inf__router_free(&rt);
  }
}
END_TEST

static Suite* inf_sched_suite(void)
{
  Suite* s  = suite_create("inf_sched");
  TCase* tc = tcase_create("kv");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, admission_stops_at_the_token_budget);
  tcase_add_test(tc, chunked_prefill_fills_the_budget);
  tcase_add_test(tc, chunks_in_whole_blocks);
  tcase_add_test(tc, a_lone_long_prompt_runs_whole);
  tcase_add_test(tc, admission_stops_at_max_seqs);
  tcase_add_test(tc, admission_needs_free_blocks);
  tcase_add_test(tc, blocks_follow_the_context_and_come_back);
  tcase_add_test(tc, prefill_only_replicas_let_go_after_the_first_token);
  tcase_add_test(tc, preemption_by_recompute_when_blocks_run_out);
  tcase_add_test(tc, preemption_by_swap_keeps_the_work);
  tcase_add_test(tc, cached_prefix_is_borrowed);
  tcase_add_test(tc, decode_steps_stop_when_blocks_run_out);
  tcase_add_test(tc, decode_first_takes_the_decodes_first);
  tcase_add_test(tc, decode_first_chunks_do_not_evict_decodes);
  tcase_add_test(tc, full_batches);
  suite_add_tcase(s, tc);
  tc = tcase_create("router");
  tcase_add_checked_fixture(tc, router_setup, router_teardown);
  tcase_add_test(tc, round_robin_takes_turns_in_its_pool);
  tcase_add_test(tc, least_outstanding_with_the_heap);
  tcase_add_test(tc, least_outstanding_by_scanning);
  tcase_add_test(tc, kv_aware_picks_the_most_room);
  tcase_add_test(tc, step_aware_routing_fills_free_seats);
  suite_add_tcase(s, tc);
  return s;
}

RS_CHECK_MAIN(inf_sched_suite)
