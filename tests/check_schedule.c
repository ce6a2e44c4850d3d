/* check_schedule.c -- tests of the pipeline orders (train_schedule.c), called directly, without a
 * SimGrid engine: the warm-up of plain and interleaved 1F1B against Megatron-LM's formulas; one forward
 * and one backward per micro-batch and chunk, each backward after its forward; strict alternation after
 * the warm-up, which bounds the micro-batches in flight; a hand-worked interleaved order; and, over the
 * schedules of all stages together, that each rank receives activations and gradients in the order its
 * neighbour sends them (so the rank actors need no chunk label) and that the pipeline never deadlocks;
 * DualPipe's order: every pass once, and its bubble against the DeepSeek-V3 report's formula, timed
 * pass by pass over all stages. */
#include "check_util.h"
#include "wl/train_int.h"

#include <stdlib.h>

/* The layouts tried: pp, vp and micro-batches per pipeline. As rs_layout_resolve demands, an interleaved
 * pipeline has pp >= 2 and a multiple of pp micro-batches; plain 1F1B also runs fewer micro-batches
 * than stages. */
typedef struct shape {
  int pp, vp, n_micro;
} shape_t;

static const shape_t shapes[] = {
    {1, 1, 1}, {1, 1, 4}, {2, 1, 1}, {2, 1, 8}, {4, 1, 2},  {4, 1, 4},  {4, 1, 16}, {8, 1, 5},  {8, 1, 64},
    {2, 2, 2}, {2, 2, 8}, {4, 2, 4}, {4, 2, 8}, {4, 3, 12}, {4, 4, 16}, {8, 2, 8},  {8, 4, 32}, {3, 2, 6},
};
#define N_SHAPES (sizeof shapes / sizeof shapes[0])

/* Megatron-LM's warm-up, as megatron/core/pipeline_parallel/schedules.py computes it
 * (get_pp_rank_microbatches, formerly inline in each schedule): pp - rank - 1 forwards without
 * interleaving; with it, (pp - rank - 1) x 2 + (chunks - 1) x microbatch_group_size_per_vp_stage, the
 * group size defaulting to pp; then capped at every pass of the stage. */
static int megatron_warmup(int pp, int vp, int rank, int n_micro)
{
  int total = n_micro * vp;
  int n     = vp == 1 ? pp - rank - 1 : (pp - rank - 1) * 2 + (vp - 1) * pp;
  return n >= total ? total : n;
}

/* Stage's schedule, in a fresh array of 2 vp n_micro steps; fails the test if the count is wrong. */
static rs_train_step_t* schedule(shape_t s, int stage)
{
  int n                  = 2 * s.vp * s.n_micro;
  rs_train_step_t* steps = calloc(n, sizeof *steps);
  ck_assert_int_eq(rs_train__schedule(s.pp, s.vp, stage, s.n_micro, steps), n);
  return steps;
}

/* Forward passes before the first backward. */
static int forwards_before_backward(const rs_train_step_t* steps, int n)
{
  int k = 0;
  while (k < n && !steps[k].backward)
    k++;
  return k;
}

START_TEST(plain_warmup_is_megatrons)
{
  for (int pp = 1; pp <= 8; pp++)
    for (int m = 1; m <= 3 * pp; m++)
      for (int stage = 0; stage < pp; stage++) {
        int want = megatron_warmup(pp, 1, stage, m);
        ck_assert_int_eq(want, pp - stage - 1 < m ? pp - stage - 1 : m);
        ck_assert_int_eq(rs_train__warmup(pp, 1, stage, m), want);
        rs_train_step_t* steps = schedule((shape_t){pp, 1, m}, stage);
        /* with no more passes to fill, all forwards come first: the warm-up plus one */
        int seen = forwards_before_backward(steps, 2 * m);
        ck_assert_int_eq(seen, want < m ? want + 1 : m);
        free(steps);
      }
}
END_TEST

START_TEST(interleaved_warmup_is_megatrons)
{
  for (int pp = 2; pp <= 8; pp++)
    for (int vp = 2; vp <= 4; vp++)
      for (int m = pp; m <= 4 * pp; m += pp)
        for (int stage = 0; stage < pp; stage++)
          ck_assert_int_eq(rs_train__warmup(pp, vp, stage, m), megatron_warmup(pp, vp, stage, m));
  /* the figures by hand: pp 4, vp 2, 8 micro-batches: stage 0 fills 6 + 4 passes, the last stage 4 */
  ck_assert_int_eq(rs_train__warmup(4, 2, 0, 8), 10);
  ck_assert_int_eq(rs_train__warmup(4, 2, 3, 8), 4);
  /* capped: pp 4, vp 4, 4 micro-batches: stage 0 would fill 6 + 12 of its 16 passes */
  ck_assert_int_eq(rs_train__warmup(4, 4, 0, 4), 16);
}
END_TEST

/* Every (chunk, micro-batch) of the stage once forward and once backward, the backward later. */
START_TEST(one_forward_and_one_backward_per_micro_batch_and_chunk)
{
  for (size_t i = 0; i < N_SHAPES; i++) {
    shape_t s = shapes[i];
    for (int stage = 0; stage < s.pp; stage++) {
      int n                  = 2 * s.vp * s.n_micro;
      rs_train_step_t* steps = schedule(s, stage);
      int* fwd_at            = malloc(s.vp * s.n_micro * sizeof(int));
      int* bwd_at            = malloc(s.vp * s.n_micro * sizeof(int));
      for (int k = 0; k < s.vp * s.n_micro; k++)
        fwd_at[k] = bwd_at[k] = -1;
      for (int k = 0; k < n; k++) {
        ck_assert(steps[k].chunk >= 0 && steps[k].chunk < s.vp);
        ck_assert(steps[k].micro >= 0 && steps[k].micro < s.n_micro);
        int* at = steps[k].backward ? bwd_at : fwd_at;
        int id  = steps[k].chunk * s.n_micro + steps[k].micro;
        ck_assert_msg(at[id] < 0, "pp %d vp %d stage %d: chunk %d micro %d twice", s.pp, s.vp, stage, steps[k].chunk,
                      steps[k].micro);
        at[id] = k;
      }
      for (int id = 0; id < s.vp * s.n_micro; id++) {
        ck_assert(fwd_at[id] >= 0 && bwd_at[id] >= 0);
        ck_assert_msg(bwd_at[id] > fwd_at[id], "pp %d vp %d stage %d: backward of %d before its forward", s.pp, s.vp,
                      stage, id);
      }
      free(fwd_at);
      free(bwd_at);
      free(steps);
    }
  }
}
END_TEST

/* After the warm-up, forwards and backwards alternate until the forwards run out, so a stage never holds
 * the activations of more than warm-up + 1 passes (pp - stage for plain 1F1B: 1F1B's memory bound). */
START_TEST(steady_state_alternates_and_bounds_passes_in_flight)
{
  for (size_t i = 0; i < N_SHAPES; i++) {
    shape_t s = shapes[i];
    for (int stage = 0; stage < s.pp; stage++) {
      int n = 2 * s.vp * s.n_micro, passes = s.vp * s.n_micro;
      int warmup             = rs_train__warmup(s.pp, s.vp, stage, s.n_micro);
      rs_train_step_t* steps = schedule(s, stage);
      int in_flight = 0, most = 0;
      for (int k = 0; k < n; k++) {
        in_flight += steps[k].backward ? -1 : 1;
        most = in_flight > most ? in_flight : most;
        if (k < warmup)
          ck_assert(!steps[k].backward);
        else if (k < warmup + 2 * (passes - warmup))
          ck_assert_int_eq(steps[k].backward, (k - warmup) % 2);
        else
          ck_assert(steps[k].backward);
      }
      ck_assert_int_eq(in_flight, 0);
      ck_assert_int_eq(most, warmup < passes ? warmup + 1 : passes);
      if (s.vp == 1)
        ck_assert_int_le(most, s.pp - stage);
      free(steps);
    }
  }
}
END_TEST

/* pp 2, vp 2, 4 micro-batches, stage 0, worked by hand from Megatron's chunk and micro-batch ids: groups
 * of pp micro-batches chunk by chunk, the backward from the last chunk. */
START_TEST(interleaved_order_by_hand)
{
  static const rs_train_step_t want[] = {
      {0, 0, 0}, {0, 0, 1}, {0, 1, 0}, {0, 1, 1},                                             /* warm-up: 2 + 2 */
      {0, 0, 2}, {1, 1, 0}, {0, 0, 3}, {1, 1, 1}, {0, 1, 2}, {1, 0, 0}, {0, 1, 3}, {1, 0, 1}, /* 1F1B */
      {1, 1, 2}, {1, 1, 3}, {1, 0, 2}, {1, 0, 3},                                             /* drain */
  };
  rs_train_step_t* steps = schedule((shape_t){2, 2, 4}, 0);
  for (int k = 0; k < 16; k++) {
    ck_assert_msg(
        steps[k].backward == want[k].backward && steps[k].chunk == want[k].chunk && steps[k].micro == want[k].micro,
        "step %d: got %c chunk %d micro %d", k, steps[k].backward ? 'B' : 'F', steps[k].chunk, steps[k].micro);
  }
  free(steps);
  /* plain 1F1B, pp 4, stage 1, 5 micro-batches: F0 F1 F2, then B0 F3 B1 F4 B2, then B3 B4 */
  static const rs_train_step_t plain[] = {
      {0, 0, 0}, {0, 0, 1}, {0, 0, 2}, {1, 0, 0}, {0, 0, 3}, {1, 0, 1}, {0, 0, 4}, {1, 0, 2}, {1, 0, 3}, {1, 0, 4},
  };
  steps = schedule((shape_t){4, 1, 5}, 1);
  for (int k = 0; k < 10; k++)
    ck_assert(steps[k].backward == plain[k].backward && steps[k].micro == plain[k].micro && steps[k].chunk == 0);
  free(steps);
}
END_TEST

/* ---- all stages together ------------------------------------------------------------------------ */

/* Virtual stage of chunk c on stage s: the order activations flow through (Megatron's model chunks). */
static int virtual_stage(shape_t s, int stage, int chunk)
{
  return chunk * s.pp + stage;
}

/* The passes stage `to` receives from its neighbour (gradients when backward), in the order it takes
 * them, against those the neighbour sends it, in the order it sends them, as (virtual stage, micro) ids. */
static void check_fifo(shape_t s, rs_train_step_t** sched, int to, int backward)
{
  int n = 2 * s.vp * s.n_micro, last = s.pp * s.vp - 1;
  int from = backward ? (to + 1) % s.pp : (to + s.pp - 1) % s.pp;
  int *got = malloc(n * sizeof(int)), *sent = malloc(n * sizeof(int)), n_got = 0, n_sent = 0;
  for (int k = 0; k < n; k++) {
    const rs_train_step_t* r = &sched[to][k];
    int v                    = virtual_stage(s, to, r->chunk);
    if (r->backward == backward && v != (backward ? last : 0)) /* the ends receive nothing */
      got[n_got++] = (backward ? v + 1 : v - 1) * s.n_micro + r->micro;
    const rs_train_step_t* t = &sched[from][k];
    int u                    = virtual_stage(s, from, t->chunk);
    if (t->backward == backward && u != (backward ? 0 : last)) /* nor send anything on */
      sent[n_sent++] = u * s.n_micro + t->micro;
  }
  ck_assert_int_eq(n_got, n_sent);
  for (int k = 0; k < n_got; k++)
    ck_assert_msg(got[k] == sent[k], "pp %d vp %d: stage %d takes its %s #%d out of order", s.pp, s.vp, to,
                  backward ? "gradients" : "activations", k);
  free(got);
  free(sent);
}

/* Runs the stages' schedules against one another, sends never blocking (as the actors' detached puts):
 * a forward waits for the previous virtual stage's forward of its micro-batch, a backward for the next
 * one's backward. Every stage must get to its end. */
static void check_no_deadlock(shape_t s, rs_train_step_t** sched)
{
  int n = 2 * s.vp * s.n_micro, v_count = s.pp * s.vp;
  char* done = calloc(2 * v_count * s.n_micro, 1); /* [backward][virtual stage][micro] */
  int* next  = calloc(s.pp, sizeof(int));
  for (int progress = 1; progress;) {
    progress = 0;
    for (int st = 0; st < s.pp; st++) {
      while (next[st] < n) {
        const rs_train_step_t* p = &sched[st][next[st]];
        int v                    = virtual_stage(s, st, p->chunk);
        int dep = p->backward ? (v == v_count - 1 ? -1 : v + 1) : v - 1; /* -1: the end of the pipeline */
        if (dep >= 0 && !done[(p->backward * v_count + dep) * s.n_micro + p->micro])
          break;
        done[(p->backward * v_count + v) * s.n_micro + p->micro] = 1;
        next[st]++;
        progress = 1;
      }
    }
  }
  for (int st = 0; st < s.pp; st++)
    ck_assert_msg(next[st] == n, "pp %d vp %d n_micro %d: stage %d stuck at step %d", s.pp, s.vp, s.n_micro, st,
                  next[st]);
  free(done);
  free(next);
}

START_TEST(stages_take_messages_in_order_and_never_deadlock)
{
  for (size_t i = 0; i < N_SHAPES; i++) {
    shape_t s               = shapes[i];
    rs_train_step_t** sched = malloc(s.pp * sizeof *sched);
    for (int st = 0; st < s.pp; st++)
      sched[st] = schedule(s, st);
    for (int st = 0; st < s.pp; st++) {
      check_fifo(s, sched, st, 0);
      check_fifo(s, sched, st, 1);
    }
    check_no_deadlock(s, sched);
    for (int st = 0; st < s.pp; st++)
      free(sched[st]);
    free(sched);
  }
}
END_TEST

/* ---- DualPipe ---- */

/* The direction (0: from stage 0 on, 1: from stage pp - 1 back) of phase `chunk` of stage s, and the
 * stage's position along it (train_int.h). */
static int dual_dir(int pp, int s, int chunk)
{
  return s < pp / 2 ? chunk : 1 - chunk;
}
static int dual_pos(int pp, int s, int dir)
{
  return dir == 0 ? s : pp - 1 - s;
}

/* Pass durations: a forward chunk, a full backward, its weight part, and a forward and a backward
 * overlapped (DualPipe's F, B, W and F&B); a split backward takes B - W. */
typedef struct dual_times {
  double f, b, w, fb;
} dual_times_t;

#define DUAL_MAX_PP 16
#define DUAL_MAX_M 128

/* Runs every stage's DualPipe order with those durations and free communication, each pass as soon as
 * its stage is free and its input is there (a forward: the previous position's forward of that
 * micro-batch; a backward: the next position's backward, or at the last position its own forward; a
 * weight pass: its split backward); fails the test on a deadlock. Returns the makespan; idle[s] is the
 * time stage s does not compute within it. */
static double dual_run(int pp, int n_micro, dual_times_t t, double* idle)
{
  static double fdone[2][DUAL_MAX_PP][DUAL_MAX_M], bdone[2][DUAL_MAX_PP][DUAL_MAX_M];
  rs_train_step_t* steps[DUAL_MAX_PP];
  int n[DUAL_MAX_PP], at[DUAL_MAX_PP] = {0};
  double free_at[DUAL_MAX_PP] = {0}, busy[DUAL_MAX_PP] = {0};
  for (int d = 0; d < 2; d++)
    for (int k = 0; k < pp; k++)
      for (int m = 0; m < n_micro; m++)
        fdone[d][k][m] = bdone[d][k][m] = -1;
  for (int s = 0; s < pp; s++) {
    steps[s] = calloc(RS_TRAIN_DUALPIPE_STEPS(n_micro), sizeof(rs_train_step_t));
    n[s]     = rs_train__dualpipe(pp, s, n_micro, steps[s]);
  }
  for (int progress = 1; progress;) {
    progress = 0;
    for (int s = 0; s < pp; s++)
      while (at[s] < n[s]) {
        rs_train_step_t* a = &steps[s][at[s]];
        int pair           = a->paired;
        double ready       = free_at[s];
        int blocked        = 0;
        for (int j = 0; j <= pair; j++) {
          rs_train_step_t* x = a + j;
          int d = dual_dir(pp, s, x->chunk), k = dual_pos(pp, s, d);
          double dep;
          if (x->weights)
            dep = bdone[d][k][x->micro];
          else if (!x->backward)
            dep = k == 0 ? 0 : fdone[d][k - 1][x->micro];
          else
            dep = k == pp - 1 ? fdone[d][k][x->micro] : bdone[d][k + 1][x->micro];
          blocked |= dep < 0;
          ready = dep > ready ? dep : ready;
        }
        if (blocked)
          break;
        double len = pair ? t.fb : a->weights ? t.w : a->backward ? (a->split ? t.b - t.w : t.b) : t.f;
        double end = ready + len;
        for (int j = 0; j <= pair; j++) {
          rs_train_step_t* x = a + j;
          int d = dual_dir(pp, s, x->chunk), k = dual_pos(pp, s, d);
          if (!x->weights)
            (x->backward ? bdone : fdone)[d][k][x->micro] = end;
        }
        free_at[s] = end;
        busy[s] += len;
        at[s] += 1 + pair;
        progress = 1;
      }
  }
  double span = 0;
  for (int s = 0; s < pp; s++) {
    ck_assert_msg(at[s] == n[s], "pp %d, %d micro-batches: stage %d deadlocks at pass %d of %d", pp, n_micro, s, at[s],
                  n[s]);
    span = free_at[s] > span ? free_at[s] : span;
    free(steps[s]);
  }
  for (int s = 0; s < pp; s++)
    idle[s] = span - busy[s];
  return span;
}

static const int dual_shapes[][2] = {{2, 4}, {4, 8}, {4, 12}, {8, 16}, {8, 20}, {8, 64}, {16, 32}, {16, 48}};
#define N_DUAL (sizeof dual_shapes / sizeof dual_shapes[0])

/* Every micro-batch of each direction once forward and once backward through each of a stage's two
 * chunks, each split backward followed later by its weight pass, and the phases' chunks the stage's
 * two mirror positions. */
START_TEST(dualpipe_runs_every_pass_once)
{
  for (size_t i = 0; i < N_DUAL; i++) {
    int pp = dual_shapes[i][0], m = dual_shapes[i][1];
    for (int s = 0; s < pp; s++) {
      rs_train_step_t* st    = calloc(RS_TRAIN_DUALPIPE_STEPS(m), sizeof *st);
      int n                  = rs_train__dualpipe(pp, s, m, st);
      int fwd[2][DUAL_MAX_M] = {{0}}, bwd[2][DUAL_MAX_M] = {{0}}, w[2][DUAL_MAX_M] = {{0}}, split = 0;
      for (int k = 0; k < n; k++) {
        rs_train_step_t* x = &st[k];
        ck_assert(x->chunk == 0 || x->chunk == 1);
        ck_assert(x->micro >= 0 && x->micro < m / 2);
        if (x->weights) {
          ck_assert_msg(bwd[x->chunk][x->micro] == 2, "a weight pass before its split backward");
          w[x->chunk][x->micro]++;
        } else if (x->backward) {
          ck_assert(fwd[x->chunk][x->micro]);
          bwd[x->chunk][x->micro] = 1 + x->split;
          split += x->split;
        } else
          fwd[x->chunk][x->micro]++;
        if (x->paired)
          ck_assert(k + 1 < n && st[k + 1].backward && !st[k + 1].split && st[k + 1].chunk != x->chunk);
      }
      ck_assert_int_eq(n, 2 * m + split);
      for (int c = 0; c < 2; c++)
        for (int k = 0; k < m / 2; k++) {
          ck_assert_int_eq(fwd[c][k], 1);
          ck_assert(bwd[c][k] > 0);
          ck_assert_int_eq(w[c][k], bwd[c][k] == 2);
        }
      free(st);
    }
  }
}
END_TEST

/* The bubble of DeepSeek-V3's Table 2, (PP/2 - 1)(F&B + B - 3W), on hand-computable durations: with
 * F = 1, B = 2, W = 1 (the weight half of a backward twice a forward) and F&B = 3 (no overlap gain) it
 * is 2 (PP/2 - 1); with F&B = 2.5 (half a forward hidden), 1.5 (PP/2 - 1): the stages next to the middle
 * idle exactly that, every other stage less. With a smaller weight part (F = 2, B = 4, W = 1.5, F&B =
 * 5) the formula bounds it (4 against 4.5 at PP 4). Every case is well under 1F1B's (PP - 1)(F + B). */
START_TEST(dualpipe_bubble_is_the_reports)
{
  const dual_times_t cases[] = {{1, 2, 1, 3}, {1, 2, 1, 2.5}, {2, 4, 1.5, 5}};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
    for (size_t i = 0; i < N_DUAL; i++) {
      int pp = dual_shapes[i][0], m = dual_shapes[i][1];
      dual_times_t t = cases[c];
      double idle[DUAL_MAX_PP];
      dual_run(pp, m, t, idle);
      double report = (pp / 2 - 1) * (t.fb + t.b - 3 * t.w), most = 0;
      for (int s = 0; s < pp; s++)
        most = idle[s] > most ? idle[s] : most;
      if (t.b == 2 * t.w)
        ck_assert_double_eq_tol(idle[pp / 2 - 1], report, 1e-9);
      else if (pp == 4)
        ck_assert_double_eq_tol(most, 4, 1e-9);
      ck_assert_double_le_tol(most, report, 1e-9);
      ck_assert(pp == 2 || most < (pp - 1) * (t.f + t.b) / 2);
    }
}
END_TEST

static Suite* schedule_suite(void)
{
  Suite* s     = suite_create("schedule");
  TCase* warm  = tcase_create("warm-up");
  TCase* order = tcase_create("order");
  TCase* all   = tcase_create("stages together");
  tcase_add_test(warm, plain_warmup_is_megatrons);
  tcase_add_test(warm, interleaved_warmup_is_megatrons);
  tcase_add_test(order, one_forward_and_one_backward_per_micro_batch_and_chunk);
  tcase_add_test(order, steady_state_alternates_and_bounds_passes_in_flight);
  tcase_add_test(order, interleaved_order_by_hand);
  tcase_add_test(all, stages_take_messages_in_order_and_never_deadlock);
  tcase_add_test(all, dualpipe_runs_every_pass_once);
  tcase_add_test(all, dualpipe_bubble_is_the_reports);
  suite_add_tcase(s, warm);
  suite_add_tcase(s, order);
  suite_add_tcase(s, all);
  return s;
}

RS_CHECK_MAIN(schedule_suite)
