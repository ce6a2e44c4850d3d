/* inference.c -- the inference workload: requests served by replicas of a model, each replica a
 * serving engine (continuous batching under a token budget, chunked prefill, a paged KV cache sized
 * from the HBM left after weights, admission control, preemption by recompute or swap, prefix caching)
 * whose every step is timed by the roofline of its FLOPs and bytes (compute.c) plus its TP all-reduces
 * and EP all-to-alls on the real links (collectives.c). One actor per replica runs the step loop,
 * helper actors join its collectives, one router actor releases requests (offline, Poisson, gamma,
 * a rate table or a CSV trace) to replicas, and when prefill and decode are disaggregated one actor
 * per prefill GPU sends KV caches over the real routes. It does not simulate one actor per request,
 * and it never calls training code. See LICENSE. */
#include "net/net.h"
#include "model/model.h"
#include "base/base.h"
#include "wl/wl_int.h"

#include <math.h>
#include <simgrid/actor.h>
#include <simgrid/barrier.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/mailbox.h>
#include <simgrid/semaphore.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xbt/asserts.h>
#include <xbt/log.h>
#include <xbt/sysdep.h>

XBT_LOG_NEW_DEFAULT_SUBCATEGORY(rs_inference, racksim, "inference workload");

/* One request, from arrival to its last token. Times are absolute simulated seconds; -1: not yet. */
typedef struct req {
  double arrival, scheduled, first_token, finish;
  int prompt, output;
  int computed;            /* tokens whose keys and values are in the cache (or swapped out) */
  int generated;           /* output tokens produced */
  int blocks;              /* KV blocks held */
  int n_step;              /* tokens processed in the current step */
  int replica;             /* where it is served (decoded, when disaggregated) */
  int prefill_replica;     /* where its prompt was prefilled */
  int routed;              /* tokens counted in its replica's outstanding */
  int shards_left;         /* KV shards still in flight to the decode replica */
  int shared;              /* prompt tokens whose KV blocks it borrows from its replica's prefix cache */
  double kv_start, kv_end; /* KV transfer, when disaggregated; -1: none */
  int preemptions;
  int swapped; /* 1: its KV blocks wait in host memory */
} req_t;

/* A double-ended queue of request indices: arrivals at the back, preempted requests at the front. */
typedef struct idxq {
  int* v;
  int cap, head, n;
} idxq_t;

typedef struct inf_wl inf_wl_t;

/* Figures of one pipeline stage of a replica, per GPU where it says so. */
typedef struct stage {
  double lin_flops;    /* FLOPs per new token of the stage's layers, without attention scores */
  double key_flops;    /* FLOPs per (query, key) pair of attention scores over the stage's layers */
  double weight_bytes; /* per GPU: weights read by every step (all but routed experts) */
  double expert_bytes; /* per GPU: routed experts, read when a token of the step picks them */
  double kv_bytes;     /* per GPU and per cached token of one sequence (before the EP split) */
  double held_bytes;   /* per GPU: weights held (with the input embedding) */
  int layers, moe_layers;
} stage_t;

typedef enum { ROLE_MIXED, ROLE_PREFILL, ROLE_DECODE } role_t;

/* One GPU of a prefill replica sending its shard of each finished prompt's KV cache to the decode
 * replica, over the real route, one request after another. */
typedef struct mover {
  struct replica* r;
  int g; /* GPU index in the replica */
  idxq_t jobs;
  sg_sem_t wake;
  int idle;
} mover_t;

/* Replicas one routing decision chooses among. */
typedef struct pool {
  int lo, hi;
  long long rr_next;
} pool_t;

typedef struct replica {
  inf_wl_t* w;
  int id;
  role_t role;
  mover_t* movers;       /* [gpus_per_replica] on prefill replicas */
  const rs_gpu_t** gpus; /* stage by stage, each stage EP-major then TP */
  long free_blocks, total_blocks;
  int warm; /* prefix caching: the shared prefix's blocks are held here */
  idxq_t waiting;
  long waiting_blocks; /* blocks the waiting requests need for what they know, for kv-aware routing */
  int* run;            /* running requests, in admission order */
  int n_run;
  double outstanding; /* prompt + output tokens of the requests routed here and not finished */
  int heap_pos;       /* place in the router's least-outstanding heap */
  rs_comm_t** tp;     /* [pp x ep]: TP group of each stage and attention-DP rank; NULL for 1-GPU stages */
  rs_comm_t** ep;     /* [pp x tp]: EP group of each stage and TP position */
  sg_bar_t* bar;      /* [pp]: a stage's GPUs, plus the leader when it is not one of them */
  double* memo;       /* [pp x (max_batch_tokens + 1)]: seconds of a stage's collectives by step tokens; NaN: not yet */
  sg_sem_t wake;
  int idle;
  int quit;                  /* tells helpers to stop */
  double tp_bytes, ep_bytes; /* of the stage being run, for helpers */
  struct helper* helpers;
  int n_helpers;
  /* replicas.csv interval being accumulated */
  double sample_t0, busy, seq_area, kv_area, kv_max;
  long long sample_preempt;
} replica_t;

/* A GPU of a replica other than its leader: it joins the collectives of its stage. */
typedef struct helper {
  replica_t* r;
  int stage, e, t;
  sg_sem_t go;
} helper_t;

/* Its columns of summary.csv: percentiles p50/p90/p99 over every request. */
typedef struct inf_summary {
  double tokens_per_s; /* output tokens */
  double energy_j;     /* joules of its replicas' GPUs from its start to its end */
  double joules_per_token;
  double requests;
  double tokens_per_s_per_gpu;
  double ttft_s[3], tpot_s[3], latency_s[3];
  double goodput_requests_per_s; /* requests within both latency objectives, per second */
  double slo_attainment;         /* fraction of requests within both objectives */
  double preemptions;
} inf_summary_t;

struct inf_wl {
  rs_run_t* run; /* set by start */
  const rs_scenario_t* sc;
  const rs_platform_t* plat;
  const rs_sc_workload_t* wl;
  const rs_sc_inference_t* cfg;
  const rs_model_t* m;
  rs_wl_row_t* row;
  inf_summary_t sum;
  rs_layout_t lay; /* one replica's: tp, ep (= attention dp), pp */
  int gpus_per_replica, n_replicas, stage_gpus;
  stage_t* stages;
  replica_t* reps;
  double energy0_j; /* the replicas' GPUs' energy at start_s */
  req_t* reqs;
  int n_reqs;
  int* order;                   /* requests by arrival time */
  double *tab_start, *tab_rate; /* arrival: table, one period's piecewise-constant rates */
  int n_tab;
  int *len_prompt, *len_output; /* length_table rows, drawn uniformly */
  int n_len;
  long block_tokens;
  double kv_token_bytes_replica; /* bytes of KV per token over the whole replica, for swaps */
  double logits_flops;
  int arrivals_done, replicas_left;
  pool_t pools[2]; /* where arrivals go (every replica, or the prefill ones); the decode replicas */
  /* calls from other workloads (service.h): requests n_reqs.. n_reqs + n_ext - 1 */
  int router_done, clients_left, n_ext, cap_ext;
  rs_svc_call_t** calls; /* [n_ext]: the caller's call of each external request */
  int* heap;             /* least-outstanding: replicas ordered by (outstanding, id) */
  /* results */
  rs_table_t *requests, *replicas;
  double *ttft, *tpot, *latency;
  long long n_done, n_tpot, n_good, out_tokens, in_tokens, preemptions;
  double last_finish;
};

/* ---- requests: generated or read from a trace ------------------------------------------------- */

static int len_draw(rs_rng_t* g, rs_len_dist_t d, int mean)
{
  switch (d) {
  case RS_LEN_UNIFORM: /* 1 .. 2 mean - 1: the mean is exact */
    return 1 + (int)(rs_rng_unit(g) * (2 * mean - 1));
  case RS_LEN_EXPONENTIAL: { /* capped at 8 means, a 0.03% tail */
    int v = (int)lround(-mean * log(rs_rng_unit(g)));
    return v < 1 ? 1 : v > 8 * mean ? 8 * mean : v;
  }
  default:
    return mean;
  }
}

/* Gaps between arrivals: exponential (Poisson) or gamma with squared coefficient of variation
 * `burstiness`, both of mean 1 / rate. */
static double gap_draw(rs_rng_t* g, const rs_sc_inference_t* c)
{
  if (c->arrival == RS_ARRIVAL_GAMMA) {
    double k = 1 / c->burstiness;
    return rs_rng_gamma(g, k) / (k * c->rate_per_s);
  }
  return -log(rs_rng_unit(g)) / c->rate_per_s;
}

/* Next arrival after t under the rate table: exponential gaps at each segment's rate; a gap that
 * crosses the segment's end restarts there (the process is memoryless), so rates change on time. */
static double table_next(rs_rng_t* g, const inf_wl_t* w, double t)
{
  double period = w->cfg->rate_period_s;
  for (;;) {
    double base = floor(t / period) * period, p = t - base;
    int k = 0;
    while (k + 1 < w->n_tab && w->tab_start[k + 1] <= p)
      k++;
    double end = base + (k + 1 < w->n_tab ? w->tab_start[k + 1] : period);
    double gap = w->tab_rate[k] > 0 ? -log(rs_rng_unit(g)) / w->tab_rate[k] : INFINITY;
    if (t + gap < end)
      return t + gap;
    t = end;
  }
}

static void generate_requests(inf_wl_t* w, uint64_t seed)
{
  const rs_sc_inference_t* c = w->cfg;
  rs_rng_t g;
  rs_rng_seed(&g, seed ^ (0x5851f42d4c957f2dULL * (uint64_t)(w->wl->index + 1)));
  w->n_reqs = c->requests;
  w->reqs   = xbt_new0(req_t, w->n_reqs);
  double t  = 0;
  for (int i = 0; i < w->n_reqs; i++) {
    req_t* q  = &w->reqs[i];
    int row   = w->n_len > 0 ? (int)(rs_rng_unit(&g) * w->n_len) : 0; /* one row gives both lengths */
    q->prompt = c->prompt_dist == RS_LEN_TABLE ? w->len_prompt[row] : len_draw(&g, c->prompt_dist, c->prompt_tokens);
    q->output = c->output_dist == RS_LEN_TABLE ? w->len_output[row] : len_draw(&g, c->output_dist, c->output_tokens);
    if (c->mode == RS_MODE_SERVER)
      t = c->arrival == RS_ARRIVAL_TABLE ? table_next(&g, w, t) : t + gap_draw(&g, c);
    q->arrival = t;
  }
}

/* One token count of a trace or length table; RS_ERR with "file:line: column: expected ..., got '...'" otherwise. */
static int trace_int(const rs_csv_row_t* row, int col, const char* name, const char* file, int* v, rs_err_t* err)
{
  const char* text = col < (int)row->n_cells ? row->cells[col] : "";
  char* end;
  long long x = strtoll(text, &end, 10);
  if (end == text || *end != '\0' || x < 1 || x > 10000000)
    return rs_err_at(err, file, row->line, name, "expected an integer from 1 to 10000000, got '%s'", text);
  *v = (int)x;
  return RS_OK;
}

/* One number cell, at least 0; RS_ERR with "file:line: column: expected WHAT, got '...'" otherwise. */
static int csv_number(const rs_csv_row_t* row, int col, const char* name, const char* what, const char* file, double* v,
                      rs_err_t* err)
{
  const char* text = col < (int)row->n_cells ? row->cells[col] : "";
  char* end;
  double x = strtod(text, &end);
  if (end == text || *end != '\0' || !isfinite(x) || x < 0)
    return rs_err_at(err, file, row->line, name, "expected %s, got '%s'", what, text);
  *v = x;
  return RS_OK;
}

/* Reads file and finds its columns names[0..n-1] (any order, others ignored); NULL and
 * "file:1: expected a header with columns ..." when one is missing or no row follows the header. */
static rs_csv_t* open_table(const char* file, const char* const* names, int* cols, int n, rs_err_t* err)
{
  rs_csv_t* csv = rs_csv_read(file, err);
  if (csv == NULL)
    return NULL;
  int ok = csv->n_rows >= 2;
  for (int k = 0; k < n; k++)
    ok &= (cols[k] = rs_csv_column(csv, names[k])) >= 0;
  if (ok)
    return csv;
  char list[128] = "";
  for (int k = 0; k < n; k++)
    snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k ? ", " : "", names[k]);
  rs_err_at(err, file, 1, NULL, "expected a header with columns %s and at least one row", list);
  rs_csv_free(csv);
  return NULL;
}

/* The rate table: a header naming start_s and rate_per_s, then rows of increasing start_s from 0 within
 * the period, each rate holding until the next row's start (the last, until the period ends). */
static int read_rate_table(inf_wl_t* w, rs_err_t* err)
{
  static const char* const names[] = {"start_s", "rate_per_s"};
  const char* file                 = w->cfg->rate_table;
  int cols[2];
  rs_csv_t* csv = open_table(file, names, cols, 2, err);
  if (csv == NULL)
    return RS_ERR;
  int cs = cols[0], cr = cols[1], rc = RS_OK;
  w->n_tab     = (int)csv->n_rows - 1;
  w->tab_start = xbt_new0(double, w->n_tab + 1);
  w->tab_rate  = xbt_new0(double, w->n_tab + 1);
  double total = 0;
  for (int k = 0; rc == RS_OK && k < w->n_tab; k++) {
    const rs_csv_row_t* row = &csv->rows[k + 1];
    if (csv_number(row, cs, "start_s", "a number of seconds from 0", file, &w->tab_start[k], err) != RS_OK ||
        csv_number(row, cr, "rate_per_s", "a rate per second from 0", file, &w->tab_rate[k], err) != RS_OK)
      rc = RS_ERR;
    else if (k == 0 && w->tab_start[0] != 0)
      rc = rs_err_at(err, file, row->line, "start_s", "expected 0 on the first row (the period's start), got '%s'",
                     row->cells[cs]);
    else if (k > 0 && (w->tab_start[k] <= w->tab_start[k - 1] || w->tab_start[k] >= w->cfg->rate_period_s))
      rc = rs_err_at(err, file, row->line, "start_s",
                     "expected more than the row above (%g) and less than "
                     "rate_period_s (%g), got '%s'",
                     w->tab_start[k - 1], w->cfg->rate_period_s, row->cells[cs]);
    total += w->tab_rate[k];
  }
  if (rc == RS_OK && total <= 0)
    rc = rs_err_at(err, file, 2, "rate_per_s", "expected at least one rate above 0, got only zeros");
  rs_csv_free(csv);
  return rc;
}

/* Reads the trace: a header naming arrival_s, prompt_tokens and output_tokens (any order, other
 * columns ignored), then one request per row. Offline mode keeps the lengths and drops the times. */
static int read_trace(inf_wl_t* w, rs_err_t* err)
{
  const char* file = w->cfg->trace;
  rs_csv_t* csv    = rs_csv_read(file, err);
  if (csv == NULL)
    return RS_ERR;
  int ca = rs_csv_column(csv, "arrival_s"), cp = rs_csv_column(csv, "prompt_tokens");
  int co = rs_csv_column(csv, "output_tokens");
  int rc = RS_OK;
  if (csv->n_rows < 2 || ca < 0 || cp < 0 || co < 0)
    rc = rs_err_at(err, file, 1, NULL,
                   "expected a header with columns arrival_s, prompt_tokens, output_tokens and "
                   "at least one request row");
  w->n_reqs = rc == RS_OK ? (int)csv->n_rows - 1 : 0;
  w->reqs   = xbt_new0(req_t, w->n_reqs > 0 ? w->n_reqs : 1);
  for (int i = 0; rc == RS_OK && i < w->n_reqs; i++) {
    const rs_csv_row_t* row = &csv->rows[i + 1];
    req_t* q                = &w->reqs[i];
    if (csv_number(row, ca, "arrival_s", "a number of seconds from 0", file, &q->arrival, err) != RS_OK ||
        trace_int(row, cp, "prompt_tokens", file, &q->prompt, err) != RS_OK ||
        trace_int(row, co, "output_tokens", file, &q->output, err) != RS_OK)
      rc = RS_ERR;
    if (w->cfg->mode == RS_MODE_OFFLINE)
      q->arrival = 0;
  }
  rs_csv_free(csv);
  return rc;
}

/* The empirical length table: a header naming prompt_tokens and output_tokens, one observed request per
 * row; each generated request draws one row uniformly. */
static int read_length_table(inf_wl_t* w, rs_err_t* err)
{
  static const char* const names[] = {"prompt_tokens", "output_tokens"};
  const char* file                 = w->cfg->length_table;
  int cols[2];
  rs_csv_t* csv = open_table(file, names, cols, 2, err);
  if (csv == NULL)
    return RS_ERR;
  int rc        = RS_OK;
  w->n_len      = (int)csv->n_rows - 1;
  w->len_prompt = xbt_new(int, w->n_len);
  w->len_output = xbt_new(int, w->n_len);
  for (int k = 0; rc == RS_OK && k < w->n_len; k++)
    if (trace_int(&csv->rows[k + 1], cols[0], names[0], file, &w->len_prompt[k], err) != RS_OK ||
        trace_int(&csv->rows[k + 1], cols[1], names[1], file, &w->len_output[k], err) != RS_OK)
      rc = RS_ERR;
  rs_csv_free(csv);
  return rc;
}

typedef struct arrival_key {
  double t;
  int i;
} arrival_key_t;

static int by_arrival(const void* a, const void* b)
{
  const arrival_key_t *x = a, *y = b;
  if (x->t != y->t)
    return x->t < y->t ? -1 : 1;
  return x->i - y->i; /* stable: the file's order among equal times */
}

static void sort_by_arrival(inf_wl_t* w)
{
  arrival_key_t* keys = xbt_new(arrival_key_t, w->n_reqs);
  for (int i = 0; i < w->n_reqs; i++)
    keys[i] = (arrival_key_t){w->reqs[i].arrival, i};
  qsort(keys, w->n_reqs, sizeof *keys, by_arrival);
  w->order = xbt_new(int, w->n_reqs);
  for (int i = 0; i < w->n_reqs; i++)
    w->order[i] = keys[i].i;
  free(keys);
}

/* ---- queues and the KV cache -------------------------------------------------------------------- */

static void idxq_grow(idxq_t* q)
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

static void idxq_push_back(idxq_t* q, int i)
{
  if (q->n == q->cap)
    idxq_grow(q);
  q->v[(q->head + q->n++) % q->cap] = i;
}

static void idxq_push_front(idxq_t* q, int i)
{
  if (q->n == q->cap)
    idxq_grow(q);
  q->head       = (q->head + q->cap - 1) % q->cap;
  q->v[q->head] = i;
  q->n++;
}

static int idxq_front(const idxq_t* q)
{
  return q->v[q->head];
}

static void idxq_pop_front(idxq_t* q)
{
  q->head = (q->head + 1) % q->cap;
  q->n--;
}

static long blocks_for(const inf_wl_t* w, long tokens)
{
  return (tokens + w->block_tokens - 1) / w->block_tokens;
}

/* Blocks request q holds itself for `tokens` tokens: those of a borrowed prefix are the replica's. */
static long own_blocks(const inf_wl_t* w, const req_t* q, long tokens)
{
  return blocks_for(w, tokens) - q->shared / w->block_tokens;
}

/* The shared prefix in whole blocks (a partly filled last block is not shared). */
static int prefix_tokens(const inf_wl_t* w)
{
  return w->cfg->prefix_caching ? (int)(w->cfg->shared_prefix_tokens / w->block_tokens * w->block_tokens) : 0;
}

/* A request about to (re)start its prefill borrows the cached prefix of a warm replica; at least one
 * prompt token is left to compute, for its logits. */
static void borrow_prefix(const replica_t* r, req_t* q)
{
  if (q->swapped || q->computed > 0)
    return;
  int keep    = (int)((q->prompt - 1) / r->w->block_tokens * r->w->block_tokens);
  q->shared   = r->warm ? (prefix_tokens(r->w) < keep ? prefix_tokens(r->w) : keep) : 0;
  q->computed = q->shared;
}

/* The first request to compute the whole prefix on a replica leaves its blocks cached there. */
static void warm_up(replica_t* r, const req_t* q)
{
  long pin = prefix_tokens(r->w) / r->w->block_tokens;
  if (r->warm || pin == 0 || q->shared > 0 || q->computed < prefix_tokens(r->w) || r->free_blocks < pin)
    return;
  r->free_blocks -= pin;
  r->warm = 1;
}

/* Blocks a waiting request needs to hold every token it knows (for kv-aware routing). */
static long known_blocks(const inf_wl_t* w, const req_t* q)
{
  return blocks_for(w, q->prompt + q->generated);
}

static void wait_push(replica_t* r, int i, int front)
{
  (front ? idxq_push_front : idxq_push_back)(&r->waiting, i);
  r->waiting_blocks += known_blocks(r->w, &r->w->reqs[i]);
}

static void wait_pop(replica_t* r)
{
  r->waiting_blocks -= known_blocks(r->w, &r->w->reqs[idxq_front(&r->waiting)]);
  idxq_pop_front(&r->waiting);
}

/* ---- routing --------------------------------------------------------------------------------------- */

/* The least-outstanding heap orders replicas by outstanding tokens, then by index (deterministic). */
static int heap_less(const inf_wl_t* w, int a, int b)
{
  const replica_t *x = &w->reps[a], *y = &w->reps[b];
  return x->outstanding != y->outstanding ? x->outstanding < y->outstanding : a < b;
}

static void heap_swap(inf_wl_t* w, int i, int j)
{
  int t                        = w->heap[i];
  w->heap[i]                   = w->heap[j];
  w->heap[j]                   = t;
  w->reps[w->heap[i]].heap_pos = i;
  w->reps[w->heap[j]].heap_pos = j;
}

/* Restores the heap after replica r's outstanding tokens changed. */
static void heap_fix(inf_wl_t* w, int r)
{
  if (w->cfg->prefill_replicas > 0)
    return; /* two pools: routing scans them */
  int i = w->reps[r].heap_pos;
  while (i > 0 && heap_less(w, w->heap[i], w->heap[(i - 1) / 2])) {
    heap_swap(w, i, (i - 1) / 2);
    i = (i - 1) / 2;
  }
  for (;;) {
    int l = 2 * i + 1, best = i;
    if (l < w->n_replicas && heap_less(w, w->heap[l], w->heap[best]))
      best = l;
    if (l + 1 < w->n_replicas && heap_less(w, w->heap[l + 1], w->heap[best]))
      best = l + 1;
    if (best == i)
      return;
    heap_swap(w, i, best);
    i = best;
  }
}

static void wake(replica_t* r)
{
  if (r->idle) {
    r->idle = 0;
    sg_sem_release(r->wake);
  }
}

static void add_outstanding(inf_wl_t* w, int r, double tokens)
{
  w->reps[r].outstanding += tokens;
  heap_fix(w, r);
}

/* The replica of the pool with the highest score (the first of equals). kv-aware scores the KV blocks
 * left once its waiting requests are admitted, plus those its cached prefix saves; least-outstanding,
 * minus the outstanding tokens. */
static int best_in_pool(const inf_wl_t* w, const pool_t* p)
{
  int best          = p->lo;
  double best_score = -INFINITY;
  for (int r = p->lo; r < p->hi; r++) {
    const replica_t* x = &w->reps[r];
    double blocks      = x->free_blocks - x->waiting_blocks + (x->warm ? prefix_tokens(w) / w->block_tokens : 0);
    double score       = w->cfg->routing == RS_ROUTE_KV_AWARE ? blocks : -x->outstanding;
    if (score > best_score)
      best = r, best_score = score;
  }
  return best;
}

static int route(inf_wl_t* w, pool_t* p)
{
  if (w->cfg->routing == RS_ROUTE_ROUND_ROBIN)
    return p->lo + (int)(p->rr_next++ % (p->hi - p->lo));
  if (w->cfg->routing == RS_ROUTE_LEAST_OUTSTANDING && w->cfg->prefill_replicas == 0)
    return w->heap[0]; /* one pool: the heap answers in log time */
  return best_in_pool(w, p);
}

/* Sends request i to replica r of its pool, counting `tokens` as outstanding there. */
static void assign(inf_wl_t* w, int i, int r, int tokens)
{
  req_t* q   = &w->reqs[i];
  q->replica = r;
  q->routed  = tokens;
  wait_push(&w->reps[r], i, 0);
  add_outstanding(w, r, tokens);
  wake(&w->reps[r]);
}

/* Gives request i, arriving now, to a replica of the first pool (the prefill ones when disaggregated). */
static void release(inf_wl_t* w, int i)
{
  req_t* q           = &w->reqs[i];
  int r              = route(w, &w->pools[0]);
  q->prefill_replica = r;
  assign(w, i, r, w->cfg->prefill_replicas > 0 ? q->prompt : q->prompt + q->output);
}

/* Every request, its own and the calls of other workloads, is done and no more will come. */
static int all_served(const inf_wl_t* w)
{
  return w->arrivals_done && w->n_done == w->n_reqs + w->n_ext;
}

/* No request will come any more once the router is done and every client has said goodbye. */
static void close_arrivals(inf_wl_t* w)
{
  if (!w->router_done || w->clients_left > 0)
    return;
  w->arrivals_done = 1;
  for (int r = 0; r < w->n_replicas; r++)
    wake(&w->reps[r]);
}

/* Releases every request at its arrival time to the replica the routing policy picks. */
static void router(int argc, char** argv)
{
  inf_wl_t* w = sg_actor_self_get_data();
  double t0   = w->wl->start_s;
  for (int k = 0; k < w->n_reqs; k++) {
    int i = w->order[k];
    w->reqs[i].arrival += t0;
    if (w->reqs[i].arrival > simgrid_get_clock()) /* reqs may grow while it sleeps: no pointer kept */
      sg_actor_sleep_until(w->reqs[i].arrival);
    release(w, i);
  }
  w->router_done = 1;
  close_arrivals(w);
}

/* ---- calls from other workloads (service.h) ------------------------------------------------------- */

/* Answers a call: the same message goes back to the caller, over the network, with the reply times. */
static void reply_call(rs_svc_call_t* m, double first_token, double finish, int ok)
{
  m->first_token_s = first_token;
  m->finish_s      = finish;
  m->ok            = ok;
  rs_service_reply(m, (ok ? m->output_tokens : 1) * RS_SVC_BYTES_PER_TOKEN);
}

/* Room for one more request and its results; the arrays move, so nobody keeps pointers across a wait. */
static void grow_for_call(inf_wl_t* w)
{
  if (w->n_ext < w->cap_ext)
    return;
  w->cap_ext = w->cap_ext ? 2 * w->cap_ext : 1024;
  size_t n   = (size_t)w->n_reqs + w->cap_ext;
  w->reqs    = xbt_realloc(w->reqs, n * sizeof *w->reqs);
  w->ttft    = xbt_realloc(w->ttft, n * sizeof *w->ttft);
  w->tpot    = xbt_realloc(w->tpot, n * sizeof *w->tpot);
  w->latency = xbt_realloc(w->latency, n * sizeof *w->latency);
  w->calls   = xbt_realloc(w->calls, w->cap_ext * sizeof *w->calls);
}

/* A call becomes a request arriving now; one that no replica's KV cache could ever hold is refused. */
static void admit_call(inf_wl_t* w, rs_svc_call_t* m)
{
  int prompt = (int)ceil(m->prompt_tokens), output = m->output_tokens < 1 ? 1 : (int)ceil(m->output_tokens);
  if (blocks_for(w, (long)prompt + output) > w->reps[0].total_blocks) {
    reply_call(m, NAN, simgrid_get_clock(), 0);
    return;
  }
  grow_for_call(w);
  int i                = w->n_reqs + w->n_ext;
  w->reqs[i]           = (req_t){.arrival     = simgrid_get_clock(),
                                 .prompt      = prompt,
                                 .output      = output,
                                 .scheduled   = -1,
                                 .first_token = -1,
                                 .finish      = -1,
                                 .kv_start    = -1,
                                 .kv_end      = -1};
  w->calls[w->n_ext++] = m;
  release(w, i);
}

/* Takes calls from other workloads on this workload's service mailbox until every client said bye. */
static void service_door(int argc, char** argv)
{
  inf_wl_t* w       = sg_actor_self_get_data();
  sg_mailbox_t door = rs_service_mailbox(w->wl->name);
  while (w->clients_left > 0) {
    rs_svc_call_t* m = sg_mailbox_get(door);
    if (m->kind == RS_SVC_BYE) {
      w->clients_left--;
      free(m);
    } else {
      admit_call(w, m);
    }
  }
  close_arrivals(w);
}

/* ---- the engine: scheduling one step ------------------------------------------------------------- */

/* What one step does, summed over its sequences, for the roofline. */
typedef struct step {
  double tokens;   /* new tokens processed */
  double pairs;    /* (query, key) pairs of attention scores */
  double kv_read;  /* cached tokens read, summed over sequences */
  double produced; /* sequences that produce a token (logits) */
  double swap_bytes;
  int seqs;
  int preempted;
} step_t;

/* Evicts the most recently admitted running request: with recompute its KV is dropped and rebuilt
 * later; with swap it goes to host memory and comes back. Either way it waits at the front. */
static void preempt_last(replica_t* r, step_t* st)
{
  inf_wl_t* w = r->w;
  int i       = r->run[--r->n_run];
  req_t* q    = &w->reqs[i];
  r->free_blocks += q->blocks;
  q->blocks = 0;
  q->n_step = 0;
  q->preemptions++;
  w->preemptions++;
  r->sample_preempt++;
  st->preempted++;
  if (w->cfg->preemption == RS_PREEMPT_SWAP) {
    q->swapped = 1;
    st->swap_bytes += q->computed * w->kv_token_bytes_replica;
  } else {
    q->computed = 0;
  }
  wait_push(r, i, 1);
}

/* Tokens request q may process within `budget`: all it has pending, or a chunk of it when prefill
 * is chunked; without chunking a prompt that does not fit waits, unless it is alone in the step. */
static int step_tokens(const inf_wl_t* w, const req_t* q, int budget, int first)
{
  int pending = q->prompt + q->generated - q->computed;
  if (pending <= budget)
    return pending;
  return w->cfg->chunked_prefill ? budget : first ? pending : 0;
}

static void take(replica_t* r, req_t* q, int n, step_t* st)
{
  long need = own_blocks(r->w, q, q->computed + n) - q->blocks;
  r->free_blocks -= need;
  q->blocks += need;
  q->n_step = n;
  st->tokens += n;
  st->pairs += (double)n * q->computed + (double)n * (n + 1) / 2;
  st->kv_read += q->computed + n;
  st->produced += q->computed + n == q->prompt + q->generated;
  st->seqs++;
}

/* Running requests first, in admission order, each growing its blocks; when blocks run out the
 * newest running requests are preempted. */
static void schedule_running(replica_t* r, step_t* st, int* budget)
{
  inf_wl_t* w = r->w;
  for (int k = 0; k < r->n_run; k++)
    w->reqs[r->run[k]].n_step = 0;
  for (int k = 0; k<r->n_run&& * budget> 0; k++) {
    req_t* q = &w->reqs[r->run[k]];
    int n    = step_tokens(w, q, *budget, st->seqs == 0);
    if (n == 0)
      continue;
    long need = own_blocks(w, q, q->computed + n) - q->blocks;
    while (need > r->free_blocks && r->n_run - 1 > k)
      preempt_last(r, st);
    if (need > r->free_blocks) { /* q is the newest left: it gives way itself */
      preempt_last(r, st);
      break;
    }
    take(r, q, n, st);
    *budget -= n;
  }
}

/* Then waiting requests, first come first served, while the budget, the sequence limit and the free
 * blocks allow (admission control); none in a step that had to preempt. */
static void schedule_waiting(replica_t* r, step_t* st, int budget, double now)
{
  inf_wl_t* w = r->w;
  while (st->preempted == 0 && budget > 0 && r->n_run < w->cfg->max_seqs && r->waiting.n > 0) {
    int i    = idxq_front(&r->waiting);
    req_t* q = &w->reqs[i];
    borrow_prefix(r, q);
    int n = step_tokens(w, q, budget, st->seqs == 0);
    if (n == 0 || own_blocks(w, q, q->computed + n) > r->free_blocks)
      return;
    wait_pop(r);
    if (q->swapped) {
      st->swap_bytes += q->computed * w->kv_token_bytes_replica;
      q->swapped = 0;
    }
    if (q->scheduled < 0)
      q->scheduled = now;
    r->run[r->n_run++] = i;
    take(r, q, n, st);
    budget -= n;
  }
}

/* ---- the engine: timing one step ----------------------------------------------------------------- */

static double act_bytes(const inf_wl_t* w)
{
  return 2.0 * w->m->hidden;
} /* one token's activations, bf16 */

/* One GPU's part of stage s's collectives for this step: the layers' TP all-reduces (two per layer)
 * and EP all-to-alls (dispatch and combine per MoE layer), each run as one collective of the summed
 * bytes on the real links, plus the latency of the others from NCCL's cost model. */
static void stage_collectives(replica_t* r, int s, int e, int t)
{
  const stage_t* st    = &r->w->stages[s];
  const rs_layout_t* l = &r->w->lay;
  struct {
    rs_comm_t* comm;
    int rank, count;
    rs_coll_op_t op;
    double bytes;
  } parts[] = {{r->tp[s * l->ep + e], t, 2 * st->layers, RS_OP_ALLREDUCE, r->tp_bytes},
               {r->ep[s * l->tp + t], e, 2 * st->moe_layers, RS_OP_ALLTOALL, r->ep_bytes}};
  for (int k = 0; k < 2; k++) {
    if (rs_comm_size(parts[k].comm) < 2 || parts[k].count == 0 || parts[k].bytes <= 0)
      continue;
    rs_coll_algo_t algo = rs_coll_choose(parts[k].comm, parts[k].op, parts[k].bytes);
    rs_coll_run(parts[k].comm, parts[k].rank, parts[k].op, algo, parts[k].bytes);
    sg_actor_sleep_for((parts[k].count - 1) * rs_coll_predict(parts[k].comm, parts[k].op, algo, 0));
  }
}

/* A GPU of a replica other than its leader: joins its stage's collectives each step the leader runs. */
static void replica_helper(int argc, char** argv)
{
  helper_t* h = sg_actor_self_get_data();
  for (;;) {
    sg_sem_acquire(h->go);
    if (h->r->quit)
      return;
    stage_collectives(h->r, h->stage, h->e, h->t);
    sg_barrier_wait(h->r->bar[h->stage]);
  }
}

/* Stage s's collectives with its helpers on the real links; with collective_memo, each step size is
 * timed so once and later steps of that size take the same time without sending anything. */
static void stage_sync(replica_t* r, int s, int tokens)
{
  const inf_wl_t* w = r->w;
  int cap           = w->cfg->max_batch_tokens + 1;
  double* memo      = r->memo && tokens < cap ? &r->memo[s * cap + tokens] : NULL;
  if (memo && !isnan(*memo)) {
    sg_actor_sleep_for(*memo);
    return;
  }
  double t0 = simgrid_get_clock();
  for (int k = 0; k < r->n_helpers; k++)
    if (r->helpers[k].stage == s)
      sg_sem_release(r->helpers[k].go);
  if (s == 0)
    stage_collectives(r, 0, 0, 0);
  sg_barrier_wait(r->bar[s]);
  if (memo)
    *memo = simgrid_get_clock() - t0;
}

/* Expected share of the routed experts that at least one of `tokens` tokens picks (each picks
 * experts_per_token of them, uniformly): small decode batches read few experts' weights. */
static double experts_touched(const rs_model_t* m, double tokens)
{
  return m->experts > 0 ? 1 - pow(1 - (double)m->experts_per_token / m->experts, tokens) : 0;
}

/* Seconds of stage s's matmuls and HBM traffic on one of its GPUs. */
static double stage_compute_s(const inf_wl_t* w, int s, const step_t* st)
{
  const stage_t* sg = &w->stages[s];
  double split      = (double)w->lay.tp * w->lay.ep;
  double flops      = sg->lin_flops * st->tokens + sg->key_flops * st->pairs;
  if (s == w->lay.pp - 1)
    flops += w->logits_flops * st->produced;
  double bytes =
      sg->weight_bytes + sg->expert_bytes * experts_touched(w->m, st->tokens) + sg->kv_bytes * st->kv_read / w->lay.ep;
  return rs_gpu_seconds(w->reps[0].gpus[0]->model, w->cfg->precision, flops / split, bytes);
}

/* Runs one step: each stage computes, then runs its collectives with its helpers, then hands its
 * activations to the next stage over the real link; swapped KV moves over the host link. */
static void run_step(replica_t* r, const step_t* st)
{
  inf_wl_t* w = r->w;
  int per     = w->stage_gpus;
  if (st->swap_bytes > 0)
    sg_actor_sleep_for(st->swap_bytes / w->gpus_per_replica / (w->cfg->swap_gbytes_per_s * 1e9));
  for (int s = 0; s < w->lay.pp; s++) {
    double t = stage_compute_s(w, s, st);
    sg_actor_execute(t * sg_host_get_speed(sg_host_self())); /* every GPU of a replica is the same model */
    r->tp_bytes = st->tokens / w->lay.ep * act_bytes(w);
    r->ep_bytes = st->tokens / w->lay.ep * act_bytes(w) * w->m->experts_per_token;
    if (per > 1)
      stage_sync(r, s, (int)st->tokens);
    if (s + 1 < w->lay.pp)
      rs_net_flow(r->gpus[s * per]->host, r->gpus[(s + 1) * per]->host, st->tokens / w->lay.ep * act_bytes(w));
  }
}

static void summarize(inf_wl_t* w);

/* ---- the engine: after a step ---------------------------------------------------------------------- */

static const rs_col_t request_cols[] = {
    {"workload", RS_COL_TEXT},     {"request", RS_COL_INT},       {"replica", RS_COL_INT},
    {"arrival_s", RS_COL_NUM},     {"scheduled_s", RS_COL_NUM},   {"first_token_s", RS_COL_NUM},
    {"finish_s", RS_COL_NUM},      {"queue_s", RS_COL_NUM},       {"prompt_tokens", RS_COL_INT},
    {"output_tokens", RS_COL_INT}, {"ttft_s", RS_COL_NUM},        {"tpot_s", RS_COL_NUM},
    {"latency_s", RS_COL_NUM},     {"preemptions", RS_COL_INT},   {"prefill_replica", RS_COL_INT},
    {"kv_transfer_s", RS_COL_NUM}, {"cached_tokens", RS_COL_INT},
};

static const rs_col_t replica_cols[] = {
    {"workload", RS_COL_TEXT},  {"replica", RS_COL_INT},      {"role", RS_COL_TEXT},
    {"start_s", RS_COL_NUM},    {"end_s", RS_COL_NUM},        {"busy_fraction", RS_COL_NUM},
    {"batch_mean", RS_COL_NUM}, {"kv_used_mean", RS_COL_NUM}, {"kv_used_max", RS_COL_NUM},
    {"waiting", RS_COL_INT},    {"running", RS_COL_INT},      {"preemptions", RS_COL_INT},
};

#define N_COLS(c) ((int)(sizeof c / sizeof c[0]))

/* Time per output token after the first; NaN for one-token outputs. */
static double tpot_of(const req_t* q)
{
  return q->output > 1 ? (q->finish - q->first_token) / (q->output - 1) : NAN;
}

static void finish_request(inf_wl_t* w, int i)
{
  const req_t* q = &w->reqs[i];
  double ttft = q->first_token - q->arrival, tpot = tpot_of(q), lat = q->finish - q->arrival;
  rs_table_t* t = w->requests;
  rs_cell_text(t, w->wl->name);
  rs_cell_int(t, i);
  rs_cell_int(t, q->replica);
  rs_cell_num(t, q->arrival);
  rs_cell_num(t, q->scheduled);
  rs_cell_num(t, q->first_token);
  rs_cell_num(t, q->finish);
  rs_cell_num(t, q->scheduled - q->arrival);
  rs_cell_int(t, q->prompt);
  rs_cell_int(t, q->output);
  rs_cell_num(t, ttft);
  rs_cell_num(t, tpot);
  rs_cell_num(t, lat);
  rs_cell_int(t, q->preemptions);
  rs_cell_int(t, q->prefill_replica);
  rs_cell_num(t, q->kv_end >= 0 ? q->kv_end - q->kv_start : NAN);
  rs_cell_int(t, q->shared);
  rs_row_end(t);
  w->ttft[w->n_done]    = ttft;
  w->latency[w->n_done] = lat;
  w->n_done++;
  if (!isnan(tpot))
    w->tpot[w->n_tpot++] = tpot;
  if (ttft <= w->cfg->slo_ttft_s && (isnan(tpot) || tpot <= w->cfg->slo_tpot_s))
    w->n_good++;
  w->out_tokens += q->output;
  w->in_tokens += q->prompt;
  w->last_finish = q->finish;
  rs_run_progress(w->run, 1);
  if (i >= w->n_reqs)
    reply_call(w->calls[i - w->n_reqs], q->first_token, q->finish, 1);
  for (int r = 0; all_served(w) && r < w->n_replicas; r++)
    wake(&w->reps[r]); /* decode replicas wait for hand-offs until the last request is done */
}

/* ---- disaggregated serving: the KV cache goes from a prefill replica to a decode replica ------------ */

/* The last shard of request i arrived: it joins its decode replica's queue with its cache in place. */
static void deliver(inf_wl_t* w, int i)
{
  req_t* q  = &w->reqs[i];
  q->kv_end = simgrid_get_clock();
  q->shared = 0; /* its whole cache came over, the prefix included */
  assign(w, i, q->replica, q->output);
}

/* A GPU of a prefill replica: sends its shard of each handed-off request's KV cache over the real route
 * to the GPU at the same position of the decode replica, so transfers share links with everything else. */
static void mover_loop(int argc, char** argv)
{
  mover_t* m  = sg_actor_self_get_data();
  inf_wl_t* w = m->r->w;
  for (;;) {
    if (m->jobs.n == 0) {
      m->idle = 1;
      sg_sem_acquire(m->wake);
      continue;
    }
    int i = idxq_front(&m->jobs);
    idxq_pop_front(&m->jobs);
    req_t* q            = &w->reqs[i];
    double shard        = q->computed * w->kv_token_bytes_replica / w->gpus_per_replica;
    const replica_t* to = &w->reps[q->replica];
    rs_net_flow(m->r->gpus[m->g]->host, to->gpus[m->g]->host, shard);
    if (--q->shards_left == 0)
      deliver(w, i);
  }
}

/* Request i has its first token on prefill replica r: pick its decode replica and start the transfer. */
static void hand_off(replica_t* r, int i, double now)
{
  inf_wl_t* w    = r->w;
  req_t* q       = &w->reqs[i];
  q->replica     = route(w, &w->pools[1]);
  q->kv_start    = now;
  q->shards_left = w->gpus_per_replica;
  for (int g = 0; g < w->gpus_per_replica; g++) {
    mover_t* m = &r->movers[g];
    idxq_push_back(&m->jobs, i);
    if (m->idle) {
      m->idle = 0;
      sg_sem_release(m->wake);
    }
  }
}

/* Advances every scheduled request by its tokens; finished ones free their blocks and leave, and on a
 * prefill replica so do those with their first token, toward a decode replica. */
static void apply_step(replica_t* r, double now)
{
  inf_wl_t* w = r->w;
  int kept    = 0;
  for (int k = 0; k < r->n_run; k++) {
    int i    = r->run[k];
    req_t* q = &w->reqs[i];
    if (q->n_step > 0) {
      q->computed += q->n_step;
      q->n_step = 0;
      warm_up(r, q);
      if (q->computed == q->prompt + q->generated && ++q->generated == 1)
        q->first_token = now;
    }
    int leaves = q->generated == q->output || (r->role == ROLE_PREFILL && q->generated > 0);
    if (!leaves) {
      r->run[kept++] = i;
      continue;
    }
    r->free_blocks += q->blocks;
    q->blocks = 0;
    add_outstanding(w, r->id, -q->routed);
    if (q->generated == q->output) {
      q->finish = now;
      finish_request(w, i);
    } else {
      hand_off(r, i, now);
    }
  }
  r->n_run = kept;
}

/* replicas.csv: the interval [sample_t0, end) of replica r, then a fresh one. */
static void sample_row(replica_t* r, double end)
{
  inf_wl_t* w   = r->w;
  double len    = end - r->sample_t0;
  rs_table_t* t = w->replicas;
  rs_cell_text(t, w->wl->name);
  rs_cell_int(t, r->id);
  rs_cell_text(t, r->role == ROLE_PREFILL ? "prefill" : r->role == ROLE_DECODE ? "decode" : "mixed");
  rs_cell_num(t, r->sample_t0);
  rs_cell_num(t, end);
  rs_cell_num(t, r->busy / len);
  rs_cell_num(t, r->busy > 0 ? r->seq_area / r->busy : 0);
  rs_cell_num(t, r->kv_area / len / r->total_blocks);
  rs_cell_num(t, r->kv_max / r->total_blocks);
  rs_cell_int(t, r->waiting.n);
  rs_cell_int(t, r->n_run);
  rs_cell_int(t, r->sample_preempt);
  rs_row_end(t);
  r->sample_t0 = end;
  r->busy = r->seq_area = r->kv_area = r->kv_max = 0;
  r->sample_preempt                              = 0;
}

/* Accounts [a, b) to replicas.csv intervals: busy or idle, with `seqs` sequences and `used` blocks. */
static void account(replica_t* r, double a, double b, int busy, int seqs, double used)
{
  double dt = r->w->cfg->sample_s;
  while (a < b) {
    double edge = r->sample_t0 + dt;
    double end  = b < edge ? b : edge;
    double len  = end - a;
    r->busy += busy ? len : 0;
    r->seq_area += busy ? seqs * len : 0;
    r->kv_area += used * len;
    if (used > r->kv_max)
      r->kv_max = used;
    a = end;
    if (end >= edge)
      sample_row(r, edge);
  }
}

/* ---- the engine: runs of identical decode steps --------------------------------------------------- */

#define RS_FF_MAX_STEPS 4096 /* steps timed ahead at most, to bound the work lost to an early arrival */

/* Seconds of a decode step of n sequences reading `cached` tokens (pipeline of one stage). */
static double decode_step_s(const replica_t* r, int n, double cached)
{
  const inf_wl_t* w = r->w;
  step_t st         = {.tokens = n, .pairs = cached, .kv_read = cached, .produced = n, .seqs = n};
  double t          = stage_compute_s(w, 0, &st);
  return r->memo ? t + r->memo[n] : t;
}

/* How many decode steps can run with nothing but contexts changing: every running request decodes, none
 * waits, none finishes before the last of them, and the free blocks cover their growth. Fills ends[]
 * with each step's end time from now. */
static int plan_decode_run(const replica_t* r, double now, double* ends)
{
  const inf_wl_t* w = r->w;
  int n = r->n_run, k = RS_FF_MAX_STEPS, B = (int)w->block_tokens;
  if (w->lay.pp > 1 || r->waiting.n > 0 || n == 0 || n > w->cfg->max_batch_tokens ||
      (w->stage_gpus > 1 && (r->memo == NULL || isnan(r->memo[n]))))
    return 0;
  double cached = 0;
  int* residues = xbt_new0(int, B);
  for (int j = 0; j < n; j++) {
    const req_t* q = &w->reqs[r->run[j]];
    if (q->prompt + q->generated - q->computed != 1)
      k = 0;
    if (q->output - q->generated < k)
      k = q->output - q->generated;
    cached += q->computed + 1;
    residues[q->computed % B]++;
  }
  long free_blocks = r->free_blocks;
  double t         = now;
  int steps        = 0;
  for (; steps < k; steps++) { /* step j grows by a block every request whose context is a multiple of B */
    free_blocks -= residues[(B - steps % B) % B];
    if (free_blocks < 0)
      break;
    t += decode_step_s(r, n, cached + (double)steps * n);
    ends[steps] = t;
  }
  free(residues);
  return steps;
}

/* Runs a planned series of decode steps as one wait, cut short at the end of the step in progress when a
 * request arrives; then applies each step done, as run_step and apply_step would have. Returns 0 when
 * no series of two or more steps is possible. */
static int fast_forward(replica_t* r)
{
  double now   = simgrid_get_clock();
  double* ends = xbt_new(double, RS_FF_MAX_STEPS);
  int k        = plan_decode_run(r, now, ends);
  if (k < 2) {
    free(ends);
    return 0;
  }
  r->idle   = 1; /* an arrival wakes us, as when idle */
  int woken = sg_sem_acquire_timeout(r->wake, ends[k - 1] - now) == 0;
  r->idle   = 0;
  int done  = k;
  if (woken) {
    double t = simgrid_get_clock();
    for (done = 1; done < k && ends[done - 1] <= t; done++)
      ;
    sg_actor_sleep_until(ends[done - 1]);
  }
  double start = now;
  for (int j = 0; j < done; j++) {
    step_t st = {0};
    for (int i = 0; i < r->n_run; i++)
      take(r, &r->w->reqs[r->run[i]], 1, &st);
    double used = r->total_blocks - r->free_blocks;
    apply_step(r, ends[j]);
    account(r, start, ends[j], 1, st.seqs, used);
    start = ends[j];
  }
  free(ends);
  return 1;
}

/* Energy the replicas' GPUs have drawn since the simulation began. */
static double replicas_energy_j(const inf_wl_t* w)
{
  double joules = 0;
  for (int i = 0; i < w->n_replicas; i++)
    joules += rs_run_gpu_energy_j(w->reps[i].gpus, w->gpus_per_replica);
  return joules;
}

/* One replica's serving engine: schedule a step, run it, apply it, until every request is served. */
static void replica_loop(int argc, char** argv)
{
  replica_t* r = sg_actor_self_get_data();
  inf_wl_t* w  = r->w;
  sg_actor_sleep_until(w->wl->start_s);
  r->sample_t0 = w->wl->start_s;
  if (r->id == 0)
    w->energy0_j = replicas_energy_j(w);
  for (;;) {
    double now = simgrid_get_clock();
    if (r->n_run == 0 && r->waiting.n == 0) {
      if (r->role == ROLE_DECODE ? all_served(w) : w->arrivals_done)
        break;
      r->idle = 1;
      sg_sem_acquire(r->wake);
      account(r, now, simgrid_get_clock(), 0, 0, r->total_blocks - r->free_blocks);
      continue;
    }
    if (fast_forward(r))
      continue;
    step_t st  = {0};
    int budget = w->cfg->max_batch_tokens;
    schedule_running(r, &st, &budget);
    schedule_waiting(r, &st, budget, now);
    xbt_assert(st.seqs > 0, "replica %d scheduled nothing with %d running and %d waiting", r->id, r->n_run,
               r->waiting.n);
    double used = r->total_blocks - r->free_blocks;
    run_step(r, &st);
    double end = simgrid_get_clock();
    apply_step(r, end);
    account(r, now, end, 1, st.seqs, used);
  }
  double end = simgrid_get_clock();
  if (end > r->sample_t0)
    sample_row(r, end);
  r->quit = 1;
  for (int k = 0; k < r->n_helpers; k++)
    sg_sem_release(r->helpers[k].go);
  if (--w->replicas_left == 0)
    summarize(w);
}

/* ---- the summary: exact percentiles over every request ------------------------------------------- */

static void summarize(inf_wl_t* w)
{
  inf_summary_t* s        = &w->sum;
  double duration         = w->last_finish - w->wl->start_s;
  w->row->end_s           = w->last_finish;
  w->row->operations      = w->n_done;
  s->requests             = w->n_done;
  s->tokens_per_s         = w->out_tokens / duration;
  s->tokens_per_s_per_gpu = s->tokens_per_s / w->row->gpus;
  rs_run_percentiles(w->ttft, w->n_done, s->ttft_s);
  rs_run_percentiles(w->tpot, w->n_tpot, s->tpot_s);
  rs_run_percentiles(w->latency, w->n_done, s->latency_s);
  s->goodput_requests_per_s = w->n_good / duration;
  s->slo_attainment         = (double)w->n_good / w->n_done;
  s->preemptions            = w->preemptions;
  s->energy_j               = replicas_energy_j(w) - w->energy0_j;
  s->joules_per_token       = s->energy_j / w->out_tokens;
  rs_run_event(w->run, w->wl->start_s, w->row->end_s, w->wl->name, "serving", w->m->name);
  w->row->finished = 1;
}

/* ---- set-up: replicas, memory and the KV cache ------------------------------------------------- */

static double prec_bytes(rs_prec_t p)
{
  return p == RS_PREC_BF16 ? 2 : p == RS_PREC_FP8 ? 1 : 0.5;
}

/* Per-stage FLOPs, weights and KV bytes per GPU, from model.c and layout.c. */
static void plan_stages(inf_wl_t* w)
{
  const rs_model_t* m  = w->m;
  const rs_layout_t* l = &w->lay;
  double wb = prec_bytes(w->cfg->precision), kvb = prec_bytes(w->cfg->kv_precision);
  int kv_split = m->kv_lora_rank > 0 ? 1 : l->tp < m->kv_heads ? l->tp : m->kv_heads; /* heads beyond: copies */
  w->stages    = xbt_new0(stage_t, l->pp);
  for (int s = 0; s < l->pp; s++) {
    stage_t* st = &w->stages[s];
    int first   = rs_layout_stage_first_layer(l, m, s);
    st->layers  = rs_layout_stage_layers(l, m, s);
    for (int i = first; i < first + st->layers; i++) {
      double f0 = rs_model_layer_infer_flops(m, i, 1, 0), per_key = rs_model_layer_infer_flops(m, i, 1, 1) - f0;
      st->key_flops += per_key;
      st->lin_flops += f0 - per_key;
      st->moe_layers += m->experts > 0 && i >= m->dense_layers;
      st->expert_bytes += rs_model_layer_routed_params(m, i) / (l->tp * l->ep) * wb;
    }
    st->held_bytes = rs_layout_stage_params(l, m, s) * wb;
    /* the input embedding is a look-up: a step reads a few rows of it, not all */
    st->weight_bytes = st->held_bytes - st->expert_bytes - (s == 0 ? rs_model_input_params(m) / l->tp * wb : 0);
    st->kv_bytes     = rs_model_kv_values_per_token(m) * kvb * st->layers / kv_split;
    w->kv_token_bytes_replica += st->kv_bytes * l->tp;
  }
  w->logits_flops = rs_model_logits_fwd_flops(m);
}

/* The longest request the workload will see, in tokens. */
static long longest_request(const inf_wl_t* w)
{
  long best = 0;
  for (int i = 0; i < w->n_reqs; i++)
    if (w->reqs[i].prompt + w->reqs[i].output > best)
      best = w->reqs[i].prompt + w->reqs[i].output;
  return best;
}

/* KV blocks per replica from the HBM left after weights; refuses weights that do not fit and a cache
 * too small for the longest request. */
static int plan_kv(inf_wl_t* w, const rs_gpu_model_t* gpu, const char* key, rs_err_t* err)
{
  double allowed = w->cfg->hbm_utilization * gpu->hbm_bytes, tokens = INFINITY;
  int worst = 0;
  for (int s = 0; s < w->lay.pp; s++) {
    const stage_t* st = &w->stages[s];
    if (st->held_bytes >= allowed)
      return rs_scenario_err(w->sc, err, key,
                             "weights need %.1f GB per GPU (stage %d, %s, tp %d ep %d pp %d), more than the %.1f GB "
                             "allowed (hbm_utilization %g of %s's %.0f GB): no room for a KV cache",
                             st->held_bytes / 1e9, s, rs_prec_name(w->cfg->precision), w->lay.tp, w->lay.ep, w->lay.pp,
                             allowed / 1e9, w->cfg->hbm_utilization, gpu->name, gpu->hbm_bytes / 1e9);
    double t = (allowed - st->held_bytes) / st->kv_bytes * w->lay.ep;
    if (t < tokens)
      tokens = t, worst = s;
  }
  w->block_tokens = w->cfg->kv_block_tokens;
  long blocks     = (long)(tokens / w->block_tokens);
  long need       = longest_request(w);
  if (blocks_for(w, need) > blocks)
    return rs_scenario_err(w->sc, err, key,
                           "the KV cache of a replica holds %ld tokens (%.1f GB per GPU left after %.1f GB of weights "
                           "on stage %d), the longest request needs %ld: weights plus KV cache do not fit in HBM",
                           blocks * w->block_tokens, (allowed - w->stages[worst].held_bytes) / 1e9,
                           w->stages[worst].held_bytes / 1e9, worst, need);
  for (int r = 0; r < w->n_replicas; r++)
    w->reps[r].free_blocks = w->reps[r].total_blocks = blocks;
  return RS_OK;
}

/* Each stage's GPUs (tp x ep of them) must share an NVLink domain unless the scenario allows otherwise. */
static int check_domains(const inf_wl_t* w, const rs_platform_t* p, const char* key, rs_err_t* err)
{
  int n = w->n_replicas * w->gpus_per_replica;
  for (int g = w->wl->first_gpu; g < w->wl->first_gpu + n && !w->cfg->tp_across_domains; g++) {
    int base = g - (g - w->wl->first_gpu) % w->stage_gpus;
    if (p->gpus[g].domain != p->gpus[base].domain || p->gpus[g].site != p->gpus[base].site)
      return rs_scenario_err(w->sc, err, key,
                             "tp x ep = %d crosses an NVLink domain (GPUs %d and %d): choose a group that divides the "
                             "domain size %d, or set tp_across_domains: true",
                             w->stage_gpus, base, g, rs_platform_domain_size(p, 0));
  }
  return RS_OK;
}

static inf_wl_t* wl_new(const rs_run_t* run, int i)
{
  inf_wl_t* w = xbt_new0(inf_wl_t, 1);
  w->sc       = run->sc;
  w->plat     = run->plat;
  w->wl       = &run->sc->workloads[i];
  w->cfg      = &w->wl->u.inf;
  w->m        = &w->cfg->model;
  w->sum = (inf_summary_t){NAN, NAN, NAN, NAN, NAN, {NAN, NAN, NAN}, {NAN, NAN, NAN}, {NAN, NAN, NAN}, NAN, NAN, NAN};
  w->lay = (rs_layout_t){.tp           = w->cfg->tp,
                         .cp           = 1,
                         .ep           = w->cfg->ep,
                         .pp           = w->cfg->pp,
                         .vp           = 1,
                         .micro_batch  = 1,
                         .global_batch = w->cfg->ep};
  w->stage_gpus       = w->cfg->tp * w->cfg->ep;
  w->gpus_per_replica = w->stage_gpus * w->cfg->pp;
  return w;
}

static int load_requests(inf_wl_t* w, rs_err_t* err)
{
  if (w->cfg->arrival == RS_ARRIVAL_TRACE && read_trace(w, err) != RS_OK)
    return RS_ERR;
  if (w->cfg->arrival == RS_ARRIVAL_TABLE && read_rate_table(w, err) != RS_OK)
    return RS_ERR;
  if (w->cfg->length_table && read_length_table(w, err) != RS_OK)
    return RS_ERR;
  if (w->cfg->arrival != RS_ARRIVAL_TRACE)
    generate_requests(w, w->sc->seed);
  for (int i = 0; i < w->n_reqs; i++) {
    req_t* q     = &w->reqs[i];
    q->scheduled = q->first_token = q->finish = q->kv_start = q->kv_end = -1;
  }
  sort_by_arrival(w);
  return RS_OK;
}

static void inf_free(void* state);
static int inf_check(const rs_run_t* run, int i, inf_wl_t* w, rs_err_t* err);

/* Checks the layout against the platform and memory, reads or draws the requests, plans the KV cache. */
static int inf_prepare(const rs_run_t* run, int i, void** state, rs_err_t* err)
{
  inf_wl_t* w = wl_new(run, i);
  if (inf_check(run, i, w, err) != RS_OK) {
    inf_free(w);
    return RS_ERR;
  }
  *state = w;
  return RS_OK;
}

static int inf_check(const rs_run_t* run, int i, inf_wl_t* w, rs_err_t* err)
{
  const rs_platform_t* p = run->plat;
  char key[64], gkey[64];
  snprintf(key, sizeof key, "workloads[%d]", i);
  snprintf(gkey, sizeof gkey, "workloads[%d].gpus", i);
  int first = w->wl->first_gpu, n = w->cfg->gpus > 0 ? w->cfg->gpus : p->n_gpus - first;
  if (p->n_gpus == 0 || n < 1 || first + n > p->n_gpus)
    return rs_scenario_err(run->sc, err, gkey, "expected at most the platform's %d GPUs, got %d", p->n_gpus - first, n);
  if (n % w->gpus_per_replica != 0)
    return rs_scenario_err(run->sc, err, gkey, "a replica of tp x ep x pp = %d GPUs does not divide the %d GPUs",
                           w->gpus_per_replica, n);
  w->n_replicas = n / w->gpus_per_replica;
  rs_err_t why;
  if (rs_layout_resolve(&w->lay, w->m, w->gpus_per_replica, &why) != RS_OK)
    return rs_scenario_err(run->sc, err, key, "this replica layout cannot run: %s", why.msg);
  const rs_gpu_model_t* gpu = p->gpus[0].model;
  if (gpu->peak_flops[w->cfg->precision] <= 0)
    return rs_scenario_err(run->sc, err, key, "precision %s: %s GPUs have no %s units", rs_prec_name(w->cfg->precision),
                           gpu->name, rs_prec_name(w->cfg->precision));
  if (w->cfg->prefill_replicas >= w->n_replicas) {
    snprintf(gkey, sizeof gkey, "workloads[%d].prefill_replicas", i);
    return rs_scenario_err(run->sc, err, gkey, "expected fewer than the %d replicas, so that some decode, got %d",
                           w->n_replicas, w->cfg->prefill_replicas);
  }
  if (check_domains(w, p, key, err) != RS_OK || load_requests(w, err) != RS_OK)
    return RS_ERR;
  w->reps = xbt_new0(replica_t, w->n_replicas);
  plan_stages(w);
  return plan_kv(w, gpu, key, err);
}

/* ---- start, free, report ----------------------------------------------------------------------------- */

/* The communicators of one replica: per stage, a TP group per attention-DP rank and an EP group per TP
 * position, with a barrier that closes each stage's collectives. */
static void replica_groups(inf_wl_t* w, replica_t* r)
{
  const rs_layout_t* l     = &w->lay;
  int per                  = w->stage_gpus;
  r->tp                    = xbt_new0(rs_comm_t*, l->pp * l->ep);
  r->ep                    = xbt_new0(rs_comm_t*, l->pp * l->tp);
  r->bar                   = xbt_new0(sg_bar_t, l->pp);
  const rs_gpu_t** members = xbt_new(const rs_gpu_t*, per);
  for (int s = 0; s < l->pp; s++) {
    const rs_gpu_t** stage = r->gpus + s * per;
    for (int e = 0; e < l->ep; e++) {
      char* name           = bprintf("%s:r%d:s%d:tp%d", w->wl->name, r->id, s, e);
      r->tp[s * l->ep + e] = rs_comm_new(name, stage + e * l->tp, l->tp);
      free(name);
    }
    for (int t = 0; t < l->tp; t++) {
      for (int e = 0; e < l->ep; e++)
        members[e] = stage[e * l->tp + t];
      char* name           = bprintf("%s:r%d:s%d:ep%d", w->wl->name, r->id, s, t);
      r->ep[s * l->tp + t] = rs_comm_new(name, members, l->ep);
      free(name);
    }
    r->bar[s] = sg_barrier_init(per + (s > 0));
  }
  free(members);
  if (w->cfg->collective_memo) {
    int n   = l->pp * (w->cfg->max_batch_tokens + 1);
    r->memo = xbt_new(double, n);
    for (int k = 0; k < n; k++)
      r->memo[k] = NAN;
  }
}

static void start_actor(const char* name, sg_host_t host, void* data, void (*code)(int, char**))
{
  sg_actor_t a = sg_actor_init(name, host);
  sg_actor_set_data(a, data);
  sg_actor_start(a, code, 0, NULL);
}

/* One daemon per GPU of a prefill replica: they outlive no one, so they need no stop message. */
static void movers_start(inf_wl_t* w, replica_t* r)
{
  r->movers = xbt_new0(mover_t, w->gpus_per_replica);
  for (int g = 0; g < w->gpus_per_replica; g++) {
    mover_t* m   = &r->movers[g];
    *m           = (mover_t){.r = r, .g = g, .wake = sg_sem_init(0)};
    char* name   = bprintf("%s-replica%d-kv%d", w->wl->name, r->id, g);
    sg_actor_t a = sg_actor_init(name, r->gpus[g]->host);
    sg_actor_set_data(a, m);
    sg_actor_daemonize(a);
    sg_actor_start(a, mover_loop, 0, NULL);
    free(name);
  }
}

static void replica_start(inf_wl_t* w, int id)
{
  replica_t* r = &w->reps[id];
  r->w         = w;
  r->id        = id;
  r->gpus      = xbt_new(const rs_gpu_t*, w->gpus_per_replica);
  for (int g = 0; g < w->gpus_per_replica; g++)
    r->gpus[g] = &w->plat->gpus[w->wl->first_gpu + id * w->gpus_per_replica + g];
  r->run      = xbt_new(int, w->cfg->max_seqs);
  r->wake     = sg_sem_init(0);
  r->heap_pos = id;
  w->heap[id] = id;
  int prefill = w->cfg->prefill_replicas;
  r->role     = prefill == 0 ? ROLE_MIXED : id < prefill ? ROLE_PREFILL : ROLE_DECODE;
  char* name  = bprintf("%s-replica%d", w->wl->name, id);
  start_actor(name, r->gpus[0]->host, r, replica_loop);
  free(name);
  if (r->role == ROLE_PREFILL)
    movers_start(w, r);
  if (w->stage_gpus == 1)
    return; /* pipeline stages of one GPU each talk by plain transfers */
  replica_groups(w, r);
  r->n_helpers = w->gpus_per_replica - 1;
  r->helpers   = xbt_new0(helper_t, r->n_helpers);
  for (int g = 1; g < w->gpus_per_replica; g++) {
    helper_t* h = &r->helpers[g - 1];
    int rem     = g % w->stage_gpus;
    *h          = (helper_t){r, g / w->stage_gpus, rem / w->lay.tp, rem % w->lay.tp, sg_sem_init(0)};
    name        = bprintf("%s-replica%d-gpu%d", w->wl->name, id, g);
    start_actor(name, r->gpus[g]->host, h, replica_helper);
    free(name);
  }
}

static int inf_start(rs_run_t* run, int i, void* state, rs_wl_row_t* row, rs_err_t* err)
{
  inf_wl_t* w = state;
  w->run      = run;
  w->row      = row;
  if ((w->requests = rs_run_table(run, "requests", request_cols, N_COLS(request_cols), err)) == NULL ||
      (w->replicas = rs_run_table(run, "replicas", replica_cols, N_COLS(replica_cols), err)) == NULL)
    return RS_ERR;
  w->ttft          = xbt_new(double, w->n_reqs);
  w->tpot          = xbt_new(double, w->n_reqs);
  w->latency       = xbt_new(double, w->n_reqs);
  w->heap          = xbt_new(int, w->n_replicas);
  w->replicas_left = w->n_replicas;
  row->gpus        = w->n_replicas * w->gpus_per_replica;
  run->work_total += w->n_reqs;
  int prefill = w->cfg->prefill_replicas;
  w->pools[0] = (pool_t){0, prefill > 0 ? prefill : w->n_replicas, 0};
  w->pools[1] = (pool_t){prefill, w->n_replicas, 0};
  for (int r = 0; r < w->n_replicas; r++)
    replica_start(w, r);
  char* name = bprintf("%s-router", w->wl->name);
  start_actor(name, w->reps[0].gpus[0]->host, w, router);
  free(name);
  w->clients_left = rs_service_clients(run, w->wl->name);
  if (w->clients_left > 0) {
    rs_service_listen(run, i, w->reps[0].gpus[0]->host);
    name = bprintf("%s-service", w->wl->name);
    start_actor(name, w->reps[0].gpus[0]->host, w, service_door);
    free(name);
  }
  return RS_OK;
}

static void replica_free(inf_wl_t* w, replica_t* r)
{
  int groups = w->stage_gpus > 1 ? w->lay.pp : 0;
  for (int k = 0; r->tp && k < groups * w->lay.ep; k++)
    rs_comm_free(r->tp[k]);
  for (int k = 0; r->ep && k < groups * w->lay.tp; k++)
    rs_comm_free(r->ep[k]);
  for (int s = 0; r->bar && s < w->lay.pp; s++)
    sg_barrier_destroy(r->bar[s]);
  for (int k = 0; k < r->n_helpers; k++)
    sg_sem_destroy(r->helpers[k].go);
  if (r->wake)
    sg_sem_destroy(r->wake);
  free(r->tp);
  free(r->ep);
  for (int g = 0; r->movers && g < w->gpus_per_replica; g++) {
    sg_sem_destroy(r->movers[g].wake);
    free(r->movers[g].jobs.v);
  }
  free(r->movers);
  free(r->bar);
  free(r->memo);
  free(r->helpers);
  free(r->gpus);
  free(r->run);
  free(r->waiting.v);
}

static void inf_free(void* state)
{
  inf_wl_t* w = state;
  if (w == NULL)
    return;
  for (int r = 0; w->reps && r < w->n_replicas; r++)
    replica_free(w, &w->reps[r]);
  free(w->reps);
  free(w->stages);
  free(w->reqs);
  free(w->order);
  free(w->tab_start);
  free(w->tab_rate);
  free(w->len_prompt);
  free(w->len_output);
  free(w->ttft);
  free(w->tpot);
  free(w->latency);
  free(w->heap);
  free(w->calls);
  free(w);
}

static void inf_report(const rs_run_t* run, int i, const void* state, FILE* fp)
{
  const inf_wl_t* w          = state;
  const rs_sc_workload_t* wl = w->wl;
  const inf_summary_t* s     = &w->sum;
  fprintf(fp, "  %s (inference, %s): %s, %d replicas of TP%d EP%d PP%d (%d GPUs), %s, %ld KV tokens per replica\n",
          wl->name, wl->u.inf.mode == RS_MODE_OFFLINE ? "offline" : "server", w->m->name, w->n_replicas, w->lay.tp,
          w->lay.ep, w->lay.pp, w->row->gpus, rs_prec_name(wl->u.inf.precision),
          w->reps[0].total_blocks * w->block_tokens);
  fprintf(fp,
          "    %.0f requests: %.0f output tokens/s (%.1f per GPU); TTFT p50/p99 %.3g/%.3g s, TPOT p50/p99 "
          "%.3g/%.3g s; goodput %.3g req/s (%.1f%% within the objective); %.0f preemptions\n",
          s->requests, s->tokens_per_s, s->tokens_per_s_per_gpu, s->ttft_s[0], s->ttft_s[2], s->tpot_s[0], s->tpot_s[2],
          s->goodput_requests_per_s, 100 * s->slo_attainment, s->preemptions);
  fprintf(fp, "    GPU energy %.4g kJ, %.4g J per output token\n", s->energy_j / 1e3, s->joules_per_token);
}

static const void* inf_summary(const void* state)
{
  return &((const inf_wl_t*)state)->sum;
}

#define INF_COL(name, field)                                                                                           \
  {                                                                                                                    \
    name, offsetof(inf_summary_t, field)                                                                               \
  }
static const rs_wl_col_t inf_cols[] = {
    INF_COL("tokens_per_s", tokens_per_s),
    INF_COL("energy_j", energy_j),
    INF_COL("joules_per_token", joules_per_token),
    INF_COL("requests", requests),
    INF_COL("tokens_per_s_per_gpu", tokens_per_s_per_gpu),
    INF_COL("ttft_p50_s", ttft_s[0]),
    INF_COL("ttft_p90_s", ttft_s[1]),
    INF_COL("ttft_p99_s", ttft_s[2]),
    INF_COL("tpot_p50_s", tpot_s[0]),
    INF_COL("tpot_p90_s", tpot_s[1]),
    INF_COL("tpot_p99_s", tpot_s[2]),
    INF_COL("latency_p50_s", latency_s[0]),
    INF_COL("latency_p90_s", latency_s[1]),
    INF_COL("latency_p99_s", latency_s[2]),
    INF_COL("goodput_requests_per_s", goodput_requests_per_s),
    INF_COL("slo_attainment", slo_attainment),
    INF_COL("preemptions", preemptions),
};

const rs_wl_ops_t rs_wl__inference = {
    .kind    = "inference",
    .cols    = inf_cols,
    .n_cols  = sizeof inf_cols / sizeof inf_cols[0],
    .prepare = inf_prepare,
    .start   = inf_start,
    .summary = inf_summary,
    .report  = inf_report,
    .free    = inf_free,
    .serves  = 1,
};
