/* inf_kv.c -- the KV-cache scheduler of one replica, as serving engines such as vLLM run it: a paged
 * cache of fixed-size blocks, continuous batching under a token budget and a sequence limit, chunked
 * prefill, admission while blocks last, preemption of the newest requests (by recompute or swap) when
 * they run out, and a cached shared prefix. Pure functions over plain structs: no SimGrid, no time of
 * its own (the engine passes `now` and times the step, inf_engine.c). See LICENSE. */
#include "wl/inf_int.h"

#include <stdlib.h>
#include <xbt/sysdep.h>

/* ---- queues ------------------------------------------------------------------------------------- */

static void q_grow(rs_inf_idxq_t* q)
{
  int cap = q->cap ? 2 * q->cap : 64;
  int* v  = xbt_new(int, cap);
  for (int k = 0; k < q->n; k++)
    v[k] = q->v[(q->head + k) % q->cap];
  free(q->v);
  q->v    = v;
  q->cap  = cap;
  q->head = 0;
}

void rs_inf__q_push_back(rs_inf_idxq_t* q, int i)
{
  if (q->n == q->cap)
    q_grow(q);
  q->v[(q->head + q->n++) % q->cap] = i;
}

static void q_push_front(rs_inf_idxq_t* q, int i)
{
  if (q->n == q->cap)
    q_grow(q);
  q->head       = (q->head + q->cap - 1) % q->cap;
  q->v[q->head] = i;
  q->n++;
}

int rs_inf__q_front(const rs_inf_idxq_t* q)
{
  return q->v[q->head];
}

void rs_inf__q_pop_front(rs_inf_idxq_t* q)
{
  q->head = (q->head + 1) % q->cap;
  q->n--;
}

/* ---- blocks and the shared prefix ----------------------------------------------------------------- */

void rs_inf__kv_init(rs_inf_kv_t* kv, const rs_inf_kv_cfg_t* cfg, long blocks)
{
  /* The running set starts small and grows: max_seqs may be up to 1e7 on each of thousands of replicas. */
  int cap = cfg->max_seqs < 64 ? cfg->max_seqs : 64;
  *kv     = (rs_inf_kv_t){
          .cfg = cfg, .free_blocks = blocks, .total_blocks = blocks, .run = xbt_new(int, cap), .cap_run = cap};
}

void rs_inf__kv_free(rs_inf_kv_t* kv)
{
  free(kv->run);
  free(kv->waiting.v);
  kv->run       = NULL;
  kv->waiting.v = NULL;
}

long rs_inf__kv_blocks(const rs_inf_kv_cfg_t* cfg, long tokens)
{
  return (tokens + cfg->block_tokens - 1) / cfg->block_tokens;
}

/* Blocks request q holds itself for `tokens` tokens: those of a borrowed prefix are the replica's. */
static long own_blocks(const rs_inf_kv_cfg_t* cfg, const rs_inf_req_t* q, long tokens)
{
  return rs_inf__kv_blocks(cfg, tokens) - q->shared / cfg->block_tokens;
}

/* A request about to (re)start its prefill borrows the cached prefix of a warm replica; at least one
 * prompt token is left to compute, for its logits. */
static void borrow_prefix(const rs_inf_kv_t* kv, rs_inf_req_t* q)
{
  if (q->swapped || q->computed > 0)
    return;
  long bt     = kv->cfg->block_tokens;
  int prefix  = kv->cfg->prefix_tokens;
  int keep    = (int)((q->prompt - 1) / bt * bt);
  q->shared   = kv->warm ? (prefix < keep ? prefix : keep) : 0;
  q->computed = q->shared;
}

/* The first request to compute the whole prefix on a replica leaves its blocks cached there. */
static void warm_up(rs_inf_kv_t* kv, const rs_inf_req_t* q)
{
  int prefix = kv->cfg->prefix_tokens;
  long pin   = prefix / kv->cfg->block_tokens;
  if (kv->warm || pin == 0 || q->shared > 0 || q->computed < prefix || kv->free_blocks < pin)
    return;
  kv->free_blocks -= pin;
  kv->warm = 1;
}

/* Blocks a waiting request needs to hold every token it knows (for kv-aware routing). */
static long known_blocks(const rs_inf_kv_cfg_t* cfg, const rs_inf_req_t* q)
{
  return rs_inf__kv_blocks(cfg, q->prompt + q->generated);
}

void rs_inf__kv_wait(rs_inf_kv_t* kv, const rs_inf_req_t* reqs, int i, int front)
{
  (front ? q_push_front : rs_inf__q_push_back)(&kv->waiting, i);
  kv->waiting_blocks += known_blocks(kv->cfg, &reqs[i]);
}

static void wait_pop(rs_inf_kv_t* kv, const rs_inf_req_t* reqs)
{
  kv->waiting_blocks -= known_blocks(kv->cfg, &reqs[rs_inf__q_front(&kv->waiting)]);
  rs_inf__q_pop_front(&kv->waiting);
}

/* ---- one step's schedule -------------------------------------------------------------------------- */

/* Evicts the most recently admitted running request: with recompute its KV is dropped and rebuilt
 * later; with swap it goes to host memory and comes back. Either way it waits at the front. */
static void preempt_last(rs_inf_kv_t* kv, rs_inf_req_t* reqs, rs_inf_step_t* st)
{
  int i           = kv->run[--kv->n_run];
  rs_inf_req_t* q = &reqs[i];
  kv->free_blocks += q->blocks;
  q->blocks = 0;
  q->n_step = 0;
  q->preemptions++;
  st->preempted++;
  if (kv->cfg->swap) {
    q->swapped = 1;
    st->swap_bytes += q->computed * kv->cfg->token_bytes;
  } else {
    q->computed = 0;
  }
  rs_inf__kv_wait(kv, reqs, i, 1);
}

/* Tokens request q may process within `budget`: all it has pending, or a chunk of it when prefill
 * is chunked; without chunking a prompt that does not fit waits, unless it is alone in the step. With
 * chunk_in_blocks a chunk that does not end the prompt is whole KV blocks, as TensorRT-LLM's chunked
 * context requires ("except for the last chunk, the size of each context chunk needs to be an integer
 * multiple of the kv-cache block size", its GPT attention docs): the budget rounded down to blocks, or
 * the whole budget where that leaves nothing and q is alone in the step (so that it progresses). */
static int step_tokens(const rs_inf_kv_cfg_t* cfg, const rs_inf_req_t* q, int budget, int first)
{
  int pending = q->prompt + q->generated - q->computed;
  if (pending <= budget)
    return pending;
  if (!cfg->chunked_prefill)
    return first ? pending : 0;
  int chunk = cfg->chunk_in_blocks ? (int)(budget / cfg->block_tokens * cfg->block_tokens) : budget;
  return chunk > 0 ? chunk : first ? budget : 0;
}

/* Request q processes n tokens this step: it grows its blocks, and the step its work. */
static void take(rs_inf_kv_t* kv, rs_inf_req_t* q, int n, rs_inf_step_t* st)
{
  long need = own_blocks(kv->cfg, q, q->computed + n) - q->blocks;
  kv->free_blocks -= need;
  q->blocks += need;
  q->n_step    = n;
  double pairs = (double)n * q->computed + (double)n * (n + 1) / 2;
  st->tokens += n;
  st->pairs += pairs;
  if (n > 1 || q->computed < q->prompt) { /* the context phase: a prompt, its chunk, or a recompute */
    st->ctx_tokens += n;
    st->ctx_pairs += pairs;
  }
  st->kv_read += q->computed + n;
  st->produced += q->computed + n == q->prompt + q->generated;
  st->seqs++;
}

/* Whether q's next token is a decode: its prompt is done and only the token it generated is pending. */
static int decoding(const rs_inf_req_t* q)
{
  return q->generated > 0 && q->prompt + q->generated - q->computed == 1;
}

/* Running requests first, in admission order, each growing its blocks; when blocks run out the
 * newest running requests are preempted. With decode_first, only the decodes (pass 1), or only the
 * others (pass 2), which preempt only requests newer than themselves that the step has not taken, and
 * otherwise wait for the next step unless they are the newest. */
static void schedule_running(rs_inf_kv_t* kv, rs_inf_req_t* reqs, rs_inf_step_t* st, int* budget, int pass)
{
  for (int k = 0; k < kv->n_run && pass < 2; k++)
    reqs[kv->run[k]].n_step = 0;
  for (int k = 0; k<kv->n_run&& * budget> 0; k++) {
    rs_inf_req_t* q = &reqs[kv->run[k]];
    if ((pass == 1 && !decoding(q)) || (pass == 2 && (q->n_step > 0 || decoding(q))))
      continue;
    int n = step_tokens(kv->cfg, q, *budget, st->seqs == 0);
    if (n == 0)
      continue;
    if (pass == 2) {
      long need = own_blocks(kv->cfg, q, q->computed + n) - q->blocks;
      while (need > kv->free_blocks && kv->n_run - 1 > k && reqs[kv->run[kv->n_run - 1]].n_step == 0)
        preempt_last(kv, reqs, st);
      if (need > kv->free_blocks && kv->n_run - 1 == k) {
        preempt_last(kv, reqs, st);
        break;
      }
      if (need > kv->free_blocks)
        continue;
      take(kv, q, n, st);
      *budget -= n;
      continue;
    }
    long need = own_blocks(kv->cfg, q, q->computed + n) - q->blocks;
    while (need > kv->free_blocks && kv->n_run - 1 > k)
      preempt_last(kv, reqs, st);
    if (need > kv->free_blocks) { /* q is the newest left: it gives way itself */
      preempt_last(kv, reqs, st);
      break;
    }
    take(kv, q, n, st);
    *budget -= n;
  }
}

/* Then waiting requests, first come first served, while the budget, the sequence limit and the free
 * blocks allow (admission control); none in a step that had to preempt. */
static void schedule_waiting(rs_inf_kv_t* kv, rs_inf_req_t* reqs, rs_inf_step_t* st, int budget, double now)
{
  const rs_inf_kv_cfg_t* cfg = kv->cfg;
  while (st->preempted == 0 && budget > 0 && kv->n_run < cfg->max_seqs && kv->waiting.n > 0) {
    int i           = rs_inf__q_front(&kv->waiting);
    rs_inf_req_t* q = &reqs[i];
    borrow_prefix(kv, q);
    int n = step_tokens(cfg, q, budget, st->seqs == 0);
    if (n == 0 || own_blocks(cfg, q, q->computed + n) > kv->free_blocks)
      return;
    wait_pop(kv, reqs);
    if (q->swapped) {
      st->swap_bytes += q->computed * cfg->token_bytes;
      st->swap_in_bytes += q->computed * cfg->token_bytes;
      q->swapped = 0;
    }
    if (q->scheduled < 0)
      q->scheduled = now;
    if (kv->n_run == kv->cap_run) {
      kv->cap_run = kv->cap_run > cfg->max_seqs / 2 ? cfg->max_seqs : 2 * kv->cap_run;
      kv->run     = xbt_realloc(kv->run, kv->cap_run * sizeof *kv->run);
    }
    kv->run[kv->n_run++] = i;
    take(kv, q, n, st);
    budget -= n;
  }
}

void rs_inf__kv_schedule(rs_inf_kv_t* kv, rs_inf_req_t* reqs, double now, rs_inf_step_t* st)
{
  int budget = kv->cfg->max_batch_tokens;
  if (kv->cfg->decode_first) {
    schedule_running(kv, reqs, st, &budget, 1);
    schedule_running(kv, reqs, st, &budget, 2);
  } else {
    schedule_running(kv, reqs, st, &budget, 0);
  }
  schedule_waiting(kv, reqs, st, budget, now);
}

int rs_inf__kv_full(const rs_inf_kv_t* kv, const rs_inf_req_t* reqs)
{
  if (kv->n_run >= kv->cfg->max_seqs)
    return 1;
  if (kv->waiting.n == 0)
    return 0;
  const rs_inf_req_t* q = &reqs[rs_inf__q_front(&kv->waiting)];
  return own_blocks(kv->cfg, q, q->prompt + q->generated) > kv->free_blocks;
}

void rs_inf__kv_decode(rs_inf_kv_t* kv, rs_inf_req_t* reqs, rs_inf_step_t* st)
{
  for (int k = 0; k < kv->n_run; k++)
    take(kv, &reqs[kv->run[k]], 1, st);
}

int rs_inf__kv_decode_steps(const rs_inf_kv_t* kv, const rs_inf_req_t* reqs, int limit, double* cached)
{
  int n = kv->n_run, k = limit, B = (int)kv->cfg->block_tokens;
  *cached = 0;
  if (kv->waiting.n > 0 || n == 0 || n > kv->cfg->max_batch_tokens)
    return 0;
  int* residues = xbt_new0(int, B);
  for (int j = 0; j < n; j++) {
    const rs_inf_req_t* q = &reqs[kv->run[j]];
    if (q->prompt + q->generated - q->computed != 1)
      k = 0;
    if (q->output - q->generated < k)
      k = q->output - q->generated;
    *cached += q->computed + 1;
    residues[q->computed % B]++;
  }
  long free_blocks = kv->free_blocks;
  int steps        = 0;
  for (; steps < k; steps++) { /* step j grows by a block every request whose context is a multiple of B */
    free_blocks -= residues[(B - steps % B) % B];
    if (free_blocks < 0)
      break;
  }
  free(residues);
  return steps;
}

int rs_inf__kv_advance(rs_inf_kv_t* kv, rs_inf_req_t* reqs, double now, int prefill_only, int* left)
{
  int kept = 0, n_left = 0;
  for (int k = 0; k < kv->n_run; k++) {
    int i           = kv->run[k];
    rs_inf_req_t* q = &reqs[i];
    if (q->n_step > 0) {
      q->computed += q->n_step;
      q->n_step = 0;
      warm_up(kv, q);
      if (q->computed == q->prompt + q->generated && ++q->generated == 1)
        q->first_token = now;
    }
    if (!(q->generated == q->output || (prefill_only && q->generated > 0))) {
      kv->run[kept++] = i;
      continue;
    }
    kv->free_blocks += q->blocks;
    q->blocks      = 0;
    left[n_left++] = i;
  }
  kv->n_run = kept;
  return n_left;
}
