/* inference.c -- the inference workload's entry (rs_wl__inference): requests served by replicas of a
 * model, each replica a serving engine (continuous batching under a token budget, chunked prefill, a
 * paged KV cache sized from the HBM left after weights, admission control, preemption by recompute or
 * swap, prefix caching) whose steps are timed on the real GPUs and links. Here: the checks of the
 * layout against the platform and memory, the per-stage figures, the start of the actors, the summary
 * and the report. The parts live in the inf_*.c files (inf_int.h lists them). It never simulates one
 * actor per request, and never calls training code. See LICENSE. */
#include "wl/inf_int.h"

#include <math.h>
#include <simgrid/actor.h>
#include <simgrid/barrier.h>
#include <simgrid/semaphore.h>
#include <stddef.h>
#include <stdlib.h>
#include <xbt/log.h>
#include <xbt/sysdep.h>

XBT_LOG_NEW_DEFAULT_SUBCATEGORY(rs_inference, racksim, "inference workload");

/* ---- the summary: exact percentiles over every request -------------------------------------------- */

double rs_inf__energy_j(const rs_inf_wl_t* w)
{
  double joules = 0;
  for (int i = 0; i < w->n_replicas; i++)
    joules += rs_run_gpu_energy_j(w->reps[i].gpus, w->reps[i].n_gpus);
  return joules;
}

void rs_inf__made(rs_inf_wl_t* w, double t, double tokens)
{
  rs_inf_results_t* rs = &w->res;
  if (tokens <= 0)
    return;
  if (rs->n_made == rs->cap_made) {
    rs->cap_made = rs->cap_made ? 2 * rs->cap_made : 4096;
    rs->made     = xbt_realloc(rs->made, 2 * rs->cap_made * sizeof *rs->made);
  }
  rs->made[2 * rs->n_made]     = t;
  rs->made[2 * rs->n_made + 1] = tokens;
  rs->n_made++;
}

/* The steady window: from when the last replica that decodes first had every engine run a full batch
 * (rs_inf__kv_full: max_seqs sequences, or the KV cache binding) to when the first of them admitted its
 * last request (its drain began); the output tokens every replica produced in steps that ended inside
 * it, finished or not, over its length. NaN when a replica never fills (a load below capacity) or the
 * window is empty. */
static void steady_window(rs_inf_wl_t* w, rs_inf_summary_t* s)
{
  double from = -INFINITY, to = INFINITY, tokens = 0;
  for (int r = 0; r < w->n_replicas; r++) {
    const rs_inf_replica_t* x = &w->reps[r];
    if (x->role == RS_INF_PREFILL)
      continue;
    from = isnan(x->first_full) || isnan(from) ? NAN : fmax(from, x->first_full);
    to   = isnan(x->last_admit) ? to : fmin(to, x->last_admit);
  }
  if (isnan(from) || !(to > from) || isinf(to))
    return;
  for (long long k = 0; k < w->res.n_made; k++)
    if (w->res.made[2 * k] > from && w->res.made[2 * k] <= to)
      tokens += w->res.made[2 * k + 1];
  s->steady_start_s      = from;
  s->steady_end_s        = to;
  s->steady_tokens_per_s = tokens / (to - from);
}

void rs_inf__summarize(rs_inf_wl_t* w)
{
  rs_inf_summary_t* s     = &w->sum;
  rs_inf_results_t* rs    = &w->res;
  double duration         = rs->last_finish - w->wl->start_s;
  w->row->end_s           = rs->last_finish;
  w->row->operations      = rs->n_done;
  s->requests             = rs->n_done;
  s->tokens_per_s         = rs->out_tokens / duration;
  s->tokens_per_s_per_gpu = s->tokens_per_s / w->row->gpus;
  rs_run_percentiles(rs->ttft, rs->n_done, s->ttft_s);
  rs_run_percentiles(rs->tpot, rs->n_tpot, s->tpot_s);
  rs_run_percentiles(rs->latency, rs->n_done, s->latency_s);
  s->goodput_requests_per_s = rs->n_good / duration;
  /* a lost request missed its objectives */
  s->slo_attainment     = (double)rs->n_good / (rs->n_done + rs->n_lost);
  s->failed_requests    = w->run->faults ? rs->n_lost : NAN;
  s->retried_requests   = w->run->faults ? rs->n_retried : NAN;
  s->availability       = w->run->faults ? rs_inf__availability(w, rs->last_finish) : NAN;
  s->lost_work_energy_j = w->run->faults ? rs->lost_work_j : NAN;
  rs_inf__windows_summarize(w);
  s->preemptions      = rs->preemptions;
  s->energy_j         = rs_inf__energy_j(w) - w->energy0_j;
  s->joules_per_token = s->energy_j / rs->out_tokens;
  w->row->energy_j    = s->energy_j;
  w->row->tokens      = rs->out_tokens;
  steady_window(w, s);
  rs_run_event(w->run, w->wl->start_s, w->row->end_s, w->wl->name, "serving", w->m->name);
  w->row->finished = 1;
}

/* ---- set-up: stages, memory and the KV cache -------------------------------------------------------- */

/* The longest request the workload will see, in tokens. */
static long longest_request(const rs_inf_wl_t* w)
{
  long best = 0;
  for (int i = 0; i < w->n_reqs; i++)
    if (w->reqs[i].prompt + w->reqs[i].output > best)
      best = w->reqs[i].prompt + w->reqs[i].output;
  return best;
}

/* What every replica's scheduler obeys, from the scenario (token_bytes comes from rs_inf__plan_stages). */
static void plan_scheduler(rs_inf_wl_t* w)
{
  const rs_sc_inference_t* c = w->cfg;
  rs_inf_kv_cfg_t* k         = &w->kvc;
  k->block_tokens            = c->kv_block_tokens;
  k->max_seqs                = c->max_seqs;
  k->max_batch_tokens        = c->max_batch_tokens;
  k->chunked_prefill         = c->chunked_prefill;
  k->chunk_in_blocks         = c->chunk_in_blocks;
  k->swap                    = c->preemption == RS_PREEMPT_SWAP;
  k->decode_first            = c->decode_first;
  k->prefix_tokens = c->prefix_caching ? (int)(c->shared_prefix_tokens / k->block_tokens * k->block_tokens) : 0;
}

/* KV blocks of each virtual engine of a replica of layout L (w, or the decode pool's view) from the
 * HBM left after weights, split evenly among its pp engines as vLLM splits them; refuses weights that
 * do not fit and an engine's cache too small for the longest request. */
static int plan_kv(const rs_inf_wl_t* w, const rs_inf_wl_t* L, const rs_gpu_model_t* gpu, const char* key,
                   long* ve_blocks, rs_err_t* err)
{
  double allowed = w->cfg->hbm_utilization * gpu->hbm_bytes, tokens = INFINITY;
  int worst = 0;
  for (int s = 0; s < L->lay.pp; s++) {
    const rs_inf_stage_t* st = &L->stages[s];
    if (st->held_bytes >= allowed)
      return rs_scenario_err(w->sc, err, key,
                             "weights need %.1f GB per GPU (stage %d, %s, tp %d ep %d pp %d), more than the %.1f GB "
                             "allowed (hbm_utilization %g of %s's %.0f GB): no room for a KV cache",
                             st->held_bytes / 1e9, s, rs_prec_name(w->cfg->precision), L->lay.tp, L->lay.ep, L->lay.pp,
                             allowed / 1e9, w->cfg->hbm_utilization, gpu->name, gpu->hbm_bytes / 1e9);
    double t = (allowed - st->held_bytes) / st->kv_bytes * L->lay.ep;
    if (t < tokens)
      tokens = t, worst = s;
  }
  long blocks = (long)(tokens / w->kvc.block_tokens) / L->lay.pp;
  long need   = longest_request(w);
  if (rs_inf__kv_blocks(&w->kvc, need) > blocks) {
    char whose[96] = "a replica";
    if (L->lay.pp > 1)
      snprintf(whose, sizeof whose, "a virtual engine (one of the %d of a pp %d replica)", L->lay.pp, L->lay.pp);
    return rs_scenario_err(w->sc, err, key,
                           "the KV cache of %s holds %ld tokens (%.1f GB per GPU left after %.1f GB of weights "
                           "on stage %d), the longest request needs %ld: weights plus KV cache do not fit in HBM",
                           whose, blocks * w->kvc.block_tokens, (allowed - L->stages[worst].held_bytes) / 1e9,
                           L->stages[worst].held_bytes / 1e9, worst, need);
  }
  *ve_blocks = blocks;
  return RS_OK;
}

/* The caches of every replica's virtual engines, replica by replica, with the blocks of its layout's. */
static void alloc_kv(rs_inf_wl_t* w, const long* ve_blocks)
{
  int prefill = w->cfg->prefill_replicas;
  w->kv_first = xbt_new(int, w->n_replicas + 1);
  for (int r = 0; r <= w->n_replicas; r++) {
    const rs_inf_wl_t* L = w->decode && r > prefill ? w->decode : w;
    w->kv_first[r]       = r == 0 ? 0 : w->kv_first[r - 1] + L->lay.pp;
  }
  w->kv = xbt_new0(rs_inf_kv_t, w->kv_first[w->n_replicas]);
  for (int r = 0; r < w->n_replicas; r++) {
    int dec              = w->decode && r >= prefill;
    const rs_inf_wl_t* L = dec ? w->decode : w;
    for (int k = w->kv_first[r]; k < w->kv_first[r + 1]; k++)
      rs_inf__kv_init(&w->kv[k], &L->kvc, ve_blocks[dec]);
  }
}

/* Each stage's GPUs (tp x ep = per of them) among the n GPUs from the workload's GPU `from` must share
 * an NVLink domain unless the scenario allows otherwise. */
static int check_domains(const rs_inf_wl_t* w, const rs_platform_t* p, int from, int n, int per, const char* key,
                         rs_err_t* err)
{
  int first = w->wl->first_gpu + from;
  for (int g = first; g < first + n && !w->cfg->tp_across_domains; g++) {
    int base = g - (g - first) % per;
    if (p->gpus[g].domain != p->gpus[base].domain || p->gpus[g].site != p->gpus[base].site)
      return rs_scenario_err(w->sc, err, key,
                             "tp x ep = %d crosses an NVLink domain (GPUs %d and %d): choose a group that divides the "
                             "domain size %d, or set tp_across_domains: true",
                             per, base, g, rs_platform_domain_size(p, 0));
  }
  return RS_OK;
}

/* The keys of the step's kernels: an imbalance is 0 (derived) or at least 1; the attention and projection
 * precisions exist on the GPU. */
static int check_moe_keys(const rs_run_t* run, int i, const rs_inf_wl_t* w, const rs_gpu_model_t* gpu, rs_err_t* err)
{
  const rs_sc_inference_t* c = w->cfg;
  char key[80];
  if (c->moe_imbalance > 0 && c->moe_imbalance < 1) {
    snprintf(key, sizeof key, "workloads[%d].moe_imbalance", i);
    return rs_scenario_err(run->sc, err, key,
                           "expected 0 (derived from the EP size) or at least 1 (the busiest EP rank's routed "
                           "tokens over the mean), got %g",
                           c->moe_imbalance);
  }
  const char* keys[] = {"attention_precision", "projection_precision"};
  int precs[]        = {c->attention_precision, c->projection_precision};
  for (int k = 0; k < 2; k++)
    if (precs[k] > 0 && gpu->peak_flops[precs[k] - 1] <= 0) {
      snprintf(key, sizeof key, "workloads[%d].%s", i, keys[k]);
      return rs_scenario_err(run->sc, err, key, "%s GPUs have no %s units", gpu->name,
                             rs_prec_name((rs_prec_t)(precs[k] - 1)));
    }
  return RS_OK;
}

static rs_layout_t layout_of(int tp, int ep, int pp)
{
  return (rs_layout_t){.tp = tp, .cp = 1, .ep = ep, .pp = pp, .vp = 1, .micro_batch = 1, .global_batch = ep};
}

/* The layout fields of w (or of its decode view) for a replica of tp x ep x pp. */
static void set_layout(rs_inf_wl_t* w, int tp, int ep, int pp)
{
  w->lay              = layout_of(tp, ep, pp);
  w->stage_gpus       = tp * ep;
  w->gpus_per_replica = w->stage_gpus * pp;
  w->lay.redundant    = w->cfg->redundant_experts; /* expert slots (EPLB), as the scenario says */
}

static rs_inf_wl_t* wl_new(const rs_run_t* run, int i)
{
  rs_inf_wl_t* w = xbt_new0(rs_inf_wl_t, 1);
  w->sc          = run->sc;
  w->plat        = run->plat;
  w->wl          = &run->sc->workloads[i];
  w->cfg         = &w->wl->u.inf;
  w->m           = &w->cfg->model;
  /* NaN: what summary.csv shows of a figure rs_inf__summarize leaves unset */
  w->sum = (rs_inf_summary_t){.tokens_per_s            = NAN,
                              .energy_j                = NAN,
                              .joules_per_token        = NAN,
                              .requests                = NAN,
                              .tokens_per_s_per_gpu    = NAN,
                              .ttft_s                  = RS_RUN_PERCENTILES_NAN,
                              .tpot_s                  = RS_RUN_PERCENTILES_NAN,
                              .latency_s               = RS_RUN_PERCENTILES_NAN,
                              .goodput_requests_per_s  = NAN,
                              .slo_attainment          = NAN,
                              .preemptions             = NAN,
                              .steady_tokens_per_s     = NAN,
                              .steady_start_s          = NAN,
                              .steady_end_s            = NAN,
                              .failed_requests         = NAN,
                              .retried_requests        = NAN,
                              .availability            = NAN,
                              .lost_work_energy_j      = NAN,
                              .slo_attainment_degraded = NAN,
                              .slo_attainment_healthy  = NAN};
  /* mixed replicas take tp, ep, pp; prefill ones prefill_tp, ... (the same unless given) */
  set_layout(w, w->cfg->prefill_tp, w->cfg->prefill_ep, w->cfg->prefill_pp);
  return w;
}

/* Reads or draws the requests into w, which owns them even when they are refused. */
static int load_requests(rs_inf_wl_t* w, rs_err_t* err)
{
  rs_inf_reqs_t rq;
  int rc    = rs_inf__reqs_load(&rq, w->cfg, w->sc->seed, w->wl->index, err);
  w->reqs   = rq.reqs;
  w->n_reqs = rq.n;
  w->order  = rq.order;
  return rc;
}

/* Whether the decode replicas of a disaggregated workload have a layout of their own. */
static int split_layouts(const rs_sc_inference_t* c)
{
  return c->prefill_replicas > 0 && (c->prefill_tp != c->tp || c->prefill_ep != c->ep || c->prefill_pp != c->pp);
}

/* How many replicas the n GPUs hold: of one layout, or prefill_replicas of the prefill layout and, on
 * the GPUs left, decode replicas of theirs (each dividing what it gets). */
static int count_replicas(const rs_run_t* run, int i, rs_inf_wl_t* w, int n, rs_err_t* err)
{
  const rs_sc_inference_t* c = w->cfg;
  char key[64];
  int prefill = c->prefill_replicas;
  if (!split_layouts(c)) {
    snprintf(key, sizeof key, "workloads[%d].gpus", i);
    if (n % w->gpus_per_replica != 0)
      return rs_scenario_err(run->sc, err, key, "a replica of tp x ep x pp = %d GPUs does not divide the %d GPUs",
                             w->gpus_per_replica, n);
    w->n_replicas = n / w->gpus_per_replica;
    return RS_OK;
  }
  int dec = c->tp * c->ep * c->pp;
  if ((long long)prefill * w->gpus_per_replica >= n) {
    snprintf(key, sizeof key, "workloads[%d].prefill_replicas", i);
    return rs_scenario_err(run->sc, err, key,
                           "expected prefill replicas of prefill_tp x prefill_ep x prefill_pp = %d GPUs each that "
                           "leave GPUs for decode replicas of tp x ep x pp = %d among the %d GPUs, got %d (%lld GPUs)",
                           w->gpus_per_replica, dec, n, prefill, (long long)prefill * w->gpus_per_replica);
  }
  int left = n - prefill * w->gpus_per_replica;
  if (left % dec != 0) {
    snprintf(key, sizeof key, "workloads[%d].gpus", i);
    return rs_scenario_err(run->sc, err, key,
                           "a decode replica of tp x ep x pp = %d GPUs does not divide the %d GPUs left after %d "
                           "prefill replicas of %d",
                           dec, left, prefill, w->gpus_per_replica);
  }
  w->n_replicas = prefill + left / dec;
  return RS_OK;
}

/* The decode pool's view of w (inf_int.h): a copy with the decode layout's fields, planned as w is. */
static int plan_decode_view(const rs_run_t* run, int i, rs_inf_wl_t* w, rs_err_t* err)
{
  const rs_sc_inference_t* c = w->cfg;
  rs_inf_wl_t* d             = xbt_new(rs_inf_wl_t, 1);
  *d                         = *w;
  d->decode                  = NULL;
  d->stages                  = NULL;
  d->kvc.token_bytes         = 0;
  w->decode                  = d;
  set_layout(d, c->tp, c->ep, c->pp);
  char key[64];
  snprintf(key, sizeof key, "workloads[%d]", i);
  rs_err_t why;
  if (rs_layout_resolve(&d->lay, w->m, d->gpus_per_replica, &why) != RS_OK)
    return rs_scenario_err(run->sc, err, key, "this decode layout (tp %d ep %d pp %d) cannot run: %s", c->tp, c->ep,
                           c->pp, why.msg);
  int from = c->prefill_replicas * w->gpus_per_replica;
  if (check_domains(w, run->plat, from, (w->n_replicas - c->prefill_replicas) * d->gpus_per_replica, d->stage_gpus, key,
                    err) != RS_OK)
    return RS_ERR;
  rs_inf__plan_stages(d); /* d->gpu is w's */
  return RS_OK;
}

/* Checks the layouts against the platform and memory, reads or draws the requests, plans the KV caches. */
static int check(const rs_run_t* run, int i, rs_inf_wl_t* w, rs_err_t* err)
{
  const rs_platform_t* p     = run->plat;
  const rs_sc_inference_t* c = w->cfg;
  char key[64], gkey[64];
  snprintf(key, sizeof key, "workloads[%d]", i);
  snprintf(gkey, sizeof gkey, "workloads[%d].gpus", i);
  int first = w->wl->first_gpu, n = c->gpus > 0 ? c->gpus : p->n_gpus - first;
  if (p->n_gpus == 0 || n < 1 || first + n > p->n_gpus)
    return rs_scenario_err(run->sc, err, gkey, "expected at most the platform's %d GPUs, got %d", p->n_gpus - first, n);
  if (count_replicas(run, i, w, n, err) != RS_OK)
    return RS_ERR;
  int split = split_layouts(c);
  rs_err_t why;
  if (rs_layout_resolve(&w->lay, w->m, w->gpus_per_replica, &why) != RS_OK) {
    if (split)
      return rs_scenario_err(run->sc, err, key,
                             "this prefill layout (prefill_tp %d prefill_ep %d prefill_pp %d) cannot run: %s",
                             w->lay.tp, w->lay.ep, w->lay.pp, why.msg);
    return rs_scenario_err(run->sc, err, key, "this replica layout cannot run: %s", why.msg);
  }
  const rs_gpu_model_t* gpu = p->gpus[0].model;
  if (gpu->peak_flops[c->precision] <= 0)
    return rs_scenario_err(run->sc, err, key, "precision %s: %s GPUs have no %s units", rs_prec_name(c->precision),
                           gpu->name, rs_prec_name(c->precision));
  if (check_moe_keys(run, i, w, gpu, err) != RS_OK)
    return RS_ERR;
  if (c->prefill_replicas >= w->n_replicas) {
    snprintf(gkey, sizeof gkey, "workloads[%d].prefill_replicas", i);
    return rs_scenario_err(run->sc, err, gkey, "expected fewer than the %d replicas, so that some decode, got %d",
                           w->n_replicas, c->prefill_replicas);
  }
  int pool0 = split ? c->prefill_replicas : w->n_replicas;
  if (check_domains(w, p, 0, pool0 * w->gpus_per_replica, w->stage_gpus, key, err) != RS_OK ||
      load_requests(w, err) != RS_OK)
    return RS_ERR;
  plan_scheduler(w);
  w->gpu = gpu;
  rs_inf__plan_stages(w);
  if (split && plan_decode_view(run, i, w, err) != RS_OK)
    return RS_ERR;
  long blocks[2];
  if (plan_kv(w, w, gpu, key, &blocks[0], err) != RS_OK ||
      (w->decode && plan_kv(w, w->decode, gpu, key, &blocks[1], err) != RS_OK))
    return RS_ERR;
  alloc_kv(w, blocks);
  return RS_OK;
}

static void inf_free(void* state);

static int inf_prepare(const rs_run_t* run, int i, void** state, rs_err_t* err)
{
  rs_inf_wl_t* w = wl_new(run, i);
  if (check(run, i, w, err) != RS_OK) {
    inf_free(w);
    return RS_ERR;
  }
  *state = w;
  return RS_OK;
}

/* ---- start --------------------------------------------------------------------------------------------- */

/* The communicators of one replica: per stage, a TP group per attention-DP rank and an EP group per TP
 * position, with a barrier that closes each stage's collectives. */
static void replica_groups(rs_inf_wl_t* w, rs_inf_replica_t* r)
{
  const rs_layout_t* l     = r->lay;
  int per                  = r->stage_gpus;
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
    r->bar[s] = sg_barrier_init(per);
  }
  free(members);
  if (w->cfg->collective_memo && l->pp == 1 && !w->cfg->tp_across_domains) {
    r->memo_n = (w->cfg->max_seqs < 256 ? w->cfg->max_seqs : 256) + 1; /* grows in timed_sync */
    r->memo   = xbt_new(double, r->memo_n);
    for (int n = 0; n < r->memo_n; n++)
      r->memo[n] = NAN;
  }
}

static void start_actor(const char* name, sg_host_t host, void* data, void (*code)(int, char**))
{
  sg_actor_t a = sg_actor_init(name, host);
  sg_actor_set_data(a, data);
  sg_actor_start(a, code, 0, NULL);
}

/* One helper actor per GPU of the replica but its stages' first ones (the replica's actor runs the one
 * stage's first GPU, a stage actor each stage's when pipelined). */
static void helpers_start(rs_inf_wl_t* w, rs_inf_replica_t* r)
{
  int per      = r->stage_gpus;
  r->n_helpers = r->n_gpus - r->lay->pp;
  r->helpers   = xbt_new0(rs_inf_helper_t, r->n_helpers);
  for (int g = 0, k = 0; g < r->n_gpus; g++) {
    int rem = g % per;
    if (rem == 0)
      continue;
    rs_inf_helper_t* h = &r->helpers[k++];
    *h                 = (rs_inf_helper_t){r, g / per, rem / r->lay->tp, rem % r->lay->tp, sg_sem_init(0)};
    char* name         = bprintf("%s-replica%d-gpu%d", w->wl->name, r->id, g);
    start_actor(name, r->gpus[g]->host, h, rs_inf__helper_actor);
    free(name);
  }
}

static void replica_start(rs_inf_wl_t* w, int id, int first)
{
  rs_inf_replica_t* r = &w->reps[id];
  int prefill         = w->cfg->prefill_replicas;
  r->w                = w;
  r->id               = id;
  r->role             = prefill == 0 ? RS_INF_MIXED : id < prefill ? RS_INF_PREFILL : RS_INF_DECODE;
  r->cost             = r->role == RS_INF_DECODE && w->decode ? w->decode : w;
  r->lay              = &r->cost->lay;
  r->stage_gpus       = r->cost->stage_gpus;
  r->n_gpus           = r->cost->gpus_per_replica;
  r->n_ve             = w->kv_first[id + 1] - w->kv_first[id];
  r->kv               = &w->kv[w->kv_first[id]];
  r->left             = NULL; /* grown to the running set in apply_step */
  r->batch            = xbt_new0(rs_inf_batch_t, r->n_ve);
  r->pipe             = xbt_new0(rs_inf_pipe_t, r->lay->pp);
  r->first_full       = NAN;
  r->last_admit       = NAN;
  for (int s = 0; s < r->lay->pp; s++)
    r->pipe[s] = (rs_inf_pipe_t){.r = r, .s = s, .run_steps = 1, .execs = xbt_new(sg_exec_t, r->stage_gpus)};
  r->gpus = xbt_new(const rs_gpu_t*, r->n_gpus);
  for (int g = 0; g < r->n_gpus; g++)
    r->gpus[g] = &w->plat->gpus[w->wl->first_gpu + first + g];
  r->wake    = sg_sem_init(0);
  r->swapped = sg_sem_init(0);
  char* name = bprintf("%s-replica%d", w->wl->name, id);
  start_actor(name, r->gpus[0]->host, r, rs_inf__replica_actor);
  free(name);
  rs_inf__stages_start(r);
  if (r->role == RS_INF_PREFILL)
    rs_inf__movers_start(r);
  if (r->stage_gpus == 1)
    return; /* pipeline stages of one GPU each talk by plain transfers */
  replica_groups(w, r);
  helpers_start(w, r);
}

/* The router, step-aware with decode_first: each replica's steps hold max_seqs sequences (or
 * max_batch_tokens, when fewer) per virtual engine. */
static void router_start(rs_inf_wl_t* w)
{
  const rs_sc_inference_t* c = w->cfg;
  rs_inf__router_init(&w->router, c->routing, w->n_replicas, w->kv, c->prefill_replicas == 0);
  w->router.kv_first = w->kv_first;
  if (!c->decode_first)
    return;
  int* slots = xbt_new(int, w->n_replicas);
  for (int r = 0; r < w->n_replicas; r++)
    slots[r] =
        (c->max_seqs < c->max_batch_tokens ? c->max_seqs : c->max_batch_tokens) * (w->kv_first[r + 1] - w->kv_first[r]);
  rs_inf__router_steps(&w->router, slots);
  free(slots);
}

/* Whether every GPU of the replicas has its CPU host on a path the platform models (rs.cpu). */
static int every_gpu_has_cpu_path(const rs_inf_wl_t* w)
{
  for (int r = 0; r < w->n_replicas; r++)
    for (int g = 0; g < w->reps[r].n_gpus; g++)
      if (w->reps[r].gpus[g]->cpu < 0)
        return 0;
  return 1;
}

/* Opens requests.csv, replicas.csv and (under failures) windows.csv, starts a serving actor per replica
 * (with its helpers and, when pipelined, its stages' actors), the router and, when other workloads call
 * this one, its service door. */
static int inf_start(rs_run_t* run, int i, void* state, rs_wl_row_t* row, rs_err_t* err)
{
  rs_inf_wl_t* w = state;
  w->run         = run;
  w->row         = row;
  if (rs_inf__requests_open(w, err) != RS_OK || rs_inf__replicas_open(w, err) != RS_OK ||
      rs_inf__windows_open(w, err) != RS_OK || rs_run_ops_open(run, err) != RS_OK)
    return RS_ERR;
  w->res.ttft      = xbt_new(double, w->n_reqs);
  w->res.tpot      = xbt_new(double, w->n_reqs);
  w->res.latency   = xbt_new(double, w->n_reqs);
  w->replicas_left = w->n_replicas;
  w->next_arrival  = w->n_reqs > 0 ? w->reqs[w->order[0]].arrival + w->wl->start_s : INFINITY;
  run->work_total += w->n_reqs;
  int prefill = w->cfg->prefill_replicas;
  w->pools[0] = (rs_inf_pool_t){0, prefill > 0 ? prefill : w->n_replicas, 0};
  w->pools[1] = (rs_inf_pool_t){prefill, w->n_replicas, 0};
  router_start(w);
  w->reps = xbt_new0(rs_inf_replica_t, w->n_replicas);
  if (w->decode)
    w->decode->reps = w->reps;
  int gpus = 0;
  for (int r = 0; r < w->n_replicas; r++) {
    replica_start(w, r, gpus);
    gpus += w->reps[r].n_gpus;
  }
  row->gpus = gpus;
  if (w->cfg->preemption == RS_PREEMPT_SWAP && every_gpu_has_cpu_path(w))
    w->copies = rs_flows_new(1); /* marks nothing: swaps stay on each GPU's own host link */
  rs_inf__sites_start(w);
  char* name = bprintf("%s-router", w->wl->name);
  start_actor(name, w->reps[0].gpus[0]->host, w, rs_inf__router_actor);
  free(name);
  w->calls.clients_left = rs_service_clients(run, w->wl->name);
  if (w->calls.clients_left > 0) {
    rs_service_listen(run, i, w->reps[0].gpus[0]->host);
    name = bprintf("%s-service", w->wl->name);
    start_actor(name, w->reps[0].gpus[0]->host, w, rs_inf__service_actor);
    free(name);
  }
  return RS_OK;
}

/* ---- free, report -------------------------------------------------------------------------------------- */

static void replica_free(rs_inf_replica_t* r)
{
  int groups = r->stage_gpus > 1 ? r->lay->pp : 0;
  for (int k = 0; r->tp && k < groups * r->lay->ep; k++)
    rs_comm_free(r->tp[k]);
  for (int k = 0; r->ep && k < groups * r->lay->tp; k++)
    rs_comm_free(r->ep[k]);
  for (int s = 0; r->bar && s < r->lay->pp; s++)
    sg_barrier_destroy(r->bar[s]);
  for (int k = 0; k < r->n_helpers; k++)
    sg_sem_destroy(r->helpers[k].go);
  for (int s = 0; r->pipe && s < r->lay->pp; s++) {
    if (r->pipe[s].ready)
      sg_sem_destroy(r->pipe[s].ready);
    free(r->pipe[s].execs);
    free(r->pipe[s].inbox.v);
  }
  if (r->wake)
    sg_sem_destroy(r->wake);
  if (r->swapped)
    sg_sem_destroy(r->swapped);
  rs_inf__movers_free(r);
  free(r->tp);
  free(r->ep);
  free(r->bar);
  free(r->pipe);
  free(r->batch);
  free(r->done.v);
  free(r->memo);
  free(r->helpers);
  free(r->gpus);
  free(r->left);
}

static void inf_free(void* state)
{
  rs_inf_wl_t* w = state;
  if (w == NULL)
    return;
  for (int r = 0; w->reps && r < w->n_replicas; r++)
    replica_free(&w->reps[r]);
  for (int k = 0; w->kv && k < w->kv_first[w->n_replicas]; k++)
    rs_inf__kv_free(&w->kv[k]);
  rs_inf__router_free(&w->router);
  rs_flows_free(w->copies);
  if (w->decode) {
    free(w->decode->stages);
    free(w->decode);
  }
  free(w->reps);
  free(w->kv);
  free(w->kv_first);
  free(w->stages);
  free(w->reqs);
  free(w->order);
  free(w->res.ttft);
  free(w->res.tpot);
  free(w->res.latency);
  free(w->res.made);
  free(w->res.change_t);
  free(w->res.change_n);
  free(w->site_pools);
  free(w->rep_site);
  free(w->wan_rtt);
  free(w->calls.calls);
  free(w->wire);
  free(w);
}

static void inf_report(const rs_run_t* run, int i, const void* state, FILE* fp)
{
  const rs_inf_wl_t* w       = state;
  const rs_sc_workload_t* wl = w->wl;
  const rs_inf_summary_t* s  = &w->sum;
  const char* mode           = wl->u.inf.mode == RS_MODE_OFFLINE ? "offline" : "server";
  const rs_inf_wl_t* d       = w->decode;
  if (d == NULL)
    fprintf(fp, "  %s (inference, %s): %s, %d replicas of TP%d EP%d PP%d (%d GPUs), %s, %ld KV tokens per replica\n",
            wl->name, mode, w->m->name, w->n_replicas, w->lay.tp, w->lay.ep, w->lay.pp, w->row->gpus,
            rs_prec_name(wl->u.inf.precision), w->reps[0].n_ve * w->kv[0].total_blocks * w->kvc.block_tokens);
  else
    fprintf(fp,
            "  %s (inference, %s): %s, %d prefill replicas of TP%d EP%d PP%d and %d decode replicas of TP%d EP%d PP%d "
            "(%d GPUs), %s, %ld and %ld KV tokens per replica\n",
            wl->name, mode, w->m->name, wl->u.inf.prefill_replicas, w->lay.tp, w->lay.ep, w->lay.pp,
            w->n_replicas - wl->u.inf.prefill_replicas, d->lay.tp, d->lay.ep, d->lay.pp, w->row->gpus,
            rs_prec_name(wl->u.inf.precision), w->reps[0].n_ve * w->kv[0].total_blocks * w->kvc.block_tokens,
            w->reps[w->n_replicas - 1].n_ve * w->kv[w->kv_first[w->n_replicas] - 1].total_blocks * w->kvc.block_tokens);
  fprintf(fp,
          "    %.0f requests: %.0f output tokens/s (%.1f per GPU); TTFT p50/p95/p99 %.3g/%.3g/%.3g s, TPOT "
          "p50/p95/p99 %.3g/%.3g/%.3g s; goodput %.3g req/s (%.1f%% within the objective); %.0f preemptions\n",
          s->requests, s->tokens_per_s, s->tokens_per_s_per_gpu, s->ttft_s[0], s->ttft_s[2], s->ttft_s[3], s->tpot_s[0],
          s->tpot_s[2], s->tpot_s[3], s->goodput_requests_per_s, 100 * s->slo_attainment, s->preemptions);
  fprintf(fp, "    GPU energy %.4g kJ, %.4g J per output token\n", s->energy_j / 1e3, s->joules_per_token);
  if (!isnan(s->availability))
    fprintf(fp,
            "    under failures: availability %.4f, %.0f requests retried, %.0f lost; SLO attainment %.1f%% of "
            "requests that met a failure, %.1f%% of the others\n",
            s->availability, s->retried_requests, s->failed_requests, 100 * s->slo_attainment_degraded,
            100 * s->slo_attainment_healthy);
}

static const void* inf_summary(const void* state)
{
  return &((const rs_inf_wl_t*)state)->sum;
}

#define INF_COL(name, field)                                                                                           \
  {                                                                                                                    \
    name, offsetof(rs_inf_summary_t, field)                                                                            \
  }
static const rs_wl_col_t inf_cols[] = {
    INF_COL("tokens_per_s", tokens_per_s),
    INF_COL("energy_j", energy_j),
    INF_COL("joules_per_token", joules_per_token),
    /* here, after columns training placed before it, so that summary.csv's header keeps its order */
    INF_COL("lost_work_energy_j", lost_work_energy_j),
    INF_COL("requests", requests),
    INF_COL("tokens_per_s_per_gpu", tokens_per_s_per_gpu),
    INF_COL("ttft_p50_s", ttft_s[0]),
    INF_COL("ttft_p90_s", ttft_s[1]),
    INF_COL("ttft_p95_s", ttft_s[2]),
    INF_COL("ttft_p99_s", ttft_s[3]),
    INF_COL("tpot_p50_s", tpot_s[0]),
    INF_COL("tpot_p90_s", tpot_s[1]),
    INF_COL("tpot_p95_s", tpot_s[2]),
    INF_COL("tpot_p99_s", tpot_s[3]),
    INF_COL("latency_p50_s", latency_s[0]),
    INF_COL("latency_p90_s", latency_s[1]),
    INF_COL("latency_p95_s", latency_s[2]),
    INF_COL("latency_p99_s", latency_s[3]),
    INF_COL("goodput_requests_per_s", goodput_requests_per_s),
    INF_COL("slo_attainment", slo_attainment),
    INF_COL("preemptions", preemptions),
    INF_COL("steady_tokens_per_s", steady_tokens_per_s),
    INF_COL("steady_start_s", steady_start_s),
    INF_COL("steady_end_s", steady_end_s),
    INF_COL("failed_requests", failed_requests),
    INF_COL("retried_requests", retried_requests),
    INF_COL("availability", availability),
    INF_COL("slo_attainment_degraded", slo_attainment_degraded),
    INF_COL("slo_attainment_healthy", slo_attainment_healthy),
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
    .fault   = rs_inf__fault,
    .serves  = 1,
};
