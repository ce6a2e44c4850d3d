/* train_schedule.c -- the order in which one pipeline stage runs its forward and backward passes:
 * plain 1F1B, or Megatron's interleaved 1F1B over virtual stages (vp > 1). Pure arithmetic, no
 * SimGrid, no state: the rank actors (training.c) follow it, the tests call it directly. It does not
 * time anything or know what a pass costs. See LICENSE. */
#include "wl/train_int.h"

/* Megatron's order of a stage's vp x M passes in one direction: groups of pp micro-batches, chunk by
 * chunk, the backward running its chunks from the last (get_model_chunk_id and
 * get_microbatch_id_in_model_chunk in Megatron-LM's schedules.py, with a group of pp micro-batches). */
static rs_train_step_t pass(int pp, int vp, int k, int backward)
{
  int chunk = (k / pp) % vp;
  return (rs_train_step_t){
      .backward = backward,
      .chunk    = backward ? vp - 1 - chunk : chunk,
      .micro    = k / (pp * vp) * pp + k % pp,
  };
}

int rs_train__warmup(int pp, int vp, int stage, int n_micro)
{
  int n = vp == 1 ? pp - stage - 1 : 2 * (pp - stage - 1) + (vp - 1) * pp;
  return n < n_micro * vp ? n : n_micro * vp;
}

int rs_train__schedule(int pp, int vp, int stage, int n_micro, rs_train_step_t* steps)
{
  int passes = n_micro * vp;
  int warmup = rs_train__warmup(pp, vp, stage, n_micro);
  int n = 0, done = 0;
  for (int k = 0; k < warmup; k++) /* fill the pipeline */
    steps[n++] = pass(pp, vp, k, 0);
  for (int k = warmup; k < passes; k++) { /* steady state: one forward, one backward */
    steps[n++] = pass(pp, vp, k, 0);
    steps[n++] = pass(pp, vp, done++, 1);
  }
  while (done < passes) /* drain it */
    steps[n++] = pass(pp, vp, done++, 1);
  return n;
}
