/* train_schedule.c -- the order in which one pipeline stage runs its forward and backward passes:
 * plain 1F1B, Megatron's interleaved 1F1B over virtual stages (vp > 1), or DeepSeek's DualPipe. Pure arithmetic, no
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

/* ---- DualPipe --------------------------------------------------------------------------------- */

/* A DualPipe order being written: the next micro-batch of each phase forward and backward, and the split
 * backwards whose weight passes are still to come, first in, first out: the `owed` split steps from
 * steps[head] on (the weight passes take them in the order they were written). */
typedef struct dual {
  rs_train_step_t* steps;
  int n;
  int fwd[2], bwd[2];
  int head, owed;
} dual_t;

static void dual_f(dual_t* d, int phase, int paired)
{
  d->steps[d->n++] = (rs_train_step_t){.chunk = phase, .micro = d->fwd[phase]++, .paired = paired};
}

static void dual_b(dual_t* d, int phase, int split)
{
  d->owed += split;
  d->steps[d->n++] = (rs_train_step_t){.backward = 1, .chunk = phase, .micro = d->bwd[phase]++, .split = split};
}

static void dual_w(dual_t* d)
{
  while (!d->steps[d->head].split)
    d->head++;
  rs_train_step_t* b = &d->steps[d->head++];
  d->owed--;
  d->steps[d->n++] = (rs_train_step_t){.backward = 1, .chunk = b->chunk, .micro = b->micro, .weights = 1};
}

/* A forward of one phase overlapped with a full backward of the other. */
static void dual_fb(dual_t* d, int forward, int backward)
{
  dual_f(d, forward, 1);
  dual_b(d, backward, 0);
}

/* The eight steps of DualPipe's schedule for a rank at distance h from the nearer end (DualPipe's
 * dualpipe.py, step by step): forwards to fill both directions, then pairs of a forward and a backward
 * overlapped, then the backwards draining, their second half split so that the weight passes fill the
 * bubbles (zero bubble). */
int rs_train__dualpipe(int pp, int stage, int n_micro, rs_train_step_t* steps)
{
  int half = pp / 2, h = stage < pp - 1 - stage ? stage : pp - 1 - stage, m2 = n_micro / 2;
  int middle = h == half - 1, rest = half - h - 1;
  dual_t d = {.steps = steps};
  for (int i = 0; i < 2 * rest; i++) /* 1: phase 0 forwards */
    dual_f(&d, 0, 0);
  for (int i = 0; i <= h; i++) { /* 2: both phases */
    dual_f(&d, 0, 0);
    dual_f(&d, 1, 0);
  }
  for (int i = 0; i < rest; i++) { /* 3: phase 1 backward (split), a weight pass, phase 1 forward */
    dual_b(&d, 1, 1);
    dual_w(&d);
    dual_f(&d, 1, 0);
  }
  for (int i = 0; i < m2 - pp + h + 1; i++) { /* 4, the main step: pairs both ways */
    if (i == 0 && middle) {                   /* not overlapped there, to shorten the bubble */
      dual_f(&d, 0, 0);
      dual_b(&d, 1, 0);
    } else
      dual_fb(&d, 0, 1);
    dual_fb(&d, 1, 0);
  }
  for (int i = 0; i < rest; i++) { /* 5: phase 1 backward, then a pair */
    dual_b(&d, 1, 0);
    dual_fb(&d, 1, 0);
  }
  int split = 0;
  for (int i = 0; i <= h; i++) { /* 6: both backwards, the second half split */
    if (i == (h + 1) / 2 && h % 2 == 1)
      split = 1;
    dual_b(&d, 1, split);
    if (i == (h + 1) / 2 && h % 2 == 0)
      split = 1;
    dual_b(&d, 0, split);
  }
  for (int i = 0; i < rest; i++) { /* 7: a weight pass, then a split phase 0 backward */
    dual_w(&d);
    dual_b(&d, 0, 1);
  }
  while (d.owed > 0) /* 8: the remaining weight passes */
    dual_w(&d);
  return d.n;
}
