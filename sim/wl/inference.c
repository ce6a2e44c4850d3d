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
    joules += rs_run_gpu_energy_j(w->reps[i].gpus, w->gpus_per_replica);
  return joules;
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
  s->slo_attainment         = (double)rs->n_good / rs->n_done;
  s->preemptions            = rs->preemptions;
  s->energy_j               = rs_inf__energy_j(w) - w->energy0_j;
  s->joules_per_token       = s->energy_j / rs->out_tokens;
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
  k->swap                    = c->preemption == RS_PREEMPT_SWAP;
  k->prefix_tokens = c->prefix_caching ? (int)(c->shared_prefix_tokens / k->block_tokens * k->block_tokens) : 0;
}

/* KV blocks per replica from the HBM left after weights; refuses weights that do not fit and a cache
 * too small for the longest request. */
static int plan_kv(rs_inf_wl_t* w, const rs_gpu_model_t* gpu, const char* key, rs_err_t* err)
{
  double allowed = w->cfg->hbm_utilization * gpu->hbm_bytes, tokens = INFINITY;
  int worst = 0;
  for (int s = 0; s < w->lay.pp; s++) {
    const rs_inf_stage_t* st = &w->stages[s];
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
  long blocks = (long)(tokens / w->kvc.block_tokens);
  long need   = longest_request(w);
  if (rs_inf__kv_blocks(&w->kvc, need) > blocks)
    return rs_scenario_err(w->sc, err, key,
                           "the KV cache of a replica holds %ld tokens (%.1f GB per GPU left after %.1f GB of weights "
                           "on stage %d), the longest request needs %ld: weights plus KV cache do not fit in HBM",
                           blocks * w->kvc.block_tokens, (allowed - w->stages[worst].held_bytes) / 1e9,
                           w->stages[worst].held_bytes / 1e9, worst, need);
  w->kv = xbt_new0(rs_inf_kv_t, w->n_replicas);
  for (int r = 0; r < w->n_replicas; r++)
    rs_inf__kv_init(&w->kv[r], &w->kvc, blocks);
  return RS_OK;
}

/* Each stage's GPUs (tp x ep of them) must share an NVLink domain unless the scenario allows otherwise. */
static int check_domains(const rs_inf_wl_t* w, const rs_platform_t* p, const char* key, rs_err_t* err)
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

static rs_inf_wl_t* wl_new(const rs_run_t* run, int i)
{
  rs_inf_wl_t* w = xbt_new0(rs_inf_wl_t, 1);
  w->sc          = run->sc;
  w->plat        = run->plat;
  w->wl          = &run->sc->workloads[i];
  w->cfg         = &w->wl->u.inf;
  w->m           = &w->cfg->model;
  w->sum =
      (rs_inf_summary_t){NAN, NAN, NAN, NAN, NAN, {NAN, NAN, NAN}, {NAN, NAN, NAN}, {NAN, NAN, NAN}, NAN, NAN, NAN};
  w->lay              = (rs_layout_t){.tp           = w->cfg->tp,
                                      .cp           = 1,
                                      .ep           = w->cfg->ep,
                                      .pp           = w->cfg->pp,
                                      .vp           = 1,
                                      .micro_batch  = 1,
                                      .global_batch = w->cfg->ep,
                                      .redundant    = w->cfg->redundant_experts};
  w->stage_gpus       = w->cfg->tp * w->cfg->ep;
  w->gpus_per_replica = w->stage_gpus * w->cfg->pp;
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

/* Checks the layout against the platform and memory, reads or draws the requests, plans the KV cache. */
static int check(const rs_run_t* run, int i, rs_inf_wl_t* w, rs_err_t* err)
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
  if (check_moe_keys(run, i, w, gpu, err) != RS_OK)
    return RS_ERR;
  if (w->cfg->prefill_replicas >= w->n_replicas) {
    snprintf(gkey, sizeof gkey, "workloads[%d].prefill_replicas", i);
    return rs_scenario_err(run->sc, err, gkey, "expected fewer than the %d replicas, so that some decode, got %d",
                           w->n_replicas, w->cfg->prefill_replicas);
  }
  if (check_domains(w, p, key, err) != RS_OK || load_requests(w, err) != RS_OK)
    return RS_ERR;
  plan_scheduler(w);
  w->gpu = gpu;
  rs_inf__plan_stages(w);
  return plan_kv(w, gpu, key, err);
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
  if (w->cfg->collective_memo && l->pp == 1 && !w->cfg->tp_across_domains) {
    r->memo = xbt_new(double, w->cfg->max_seqs + 1);
    for (int n = 0; n <= w->cfg->max_seqs; n++)
      r->memo[n] = NAN;
  }
}

static void start_actor(const char* name, sg_host_t host, void* data, void (*code)(int, char**))
{
  sg_actor_t a = sg_actor_init(name, host);
  sg_actor_set_data(a, data);
  sg_actor_start(a, code, 0, NULL);
}

/* One helper actor per GPU of the replica but its leader's (the first). */
static void helpers_start(rs_inf_wl_t* w, rs_inf_replica_t* r)
{
  r->n_helpers = w->gpus_per_replica - 1;
  r->helpers   = xbt_new0(rs_inf_helper_t, r->n_helpers);
  for (int g = 1; g < w->gpus_per_replica; g++) {
    rs_inf_helper_t* h = &r->helpers[g - 1];
    int rem            = g % w->stage_gpus;
    *h                 = (rs_inf_helper_t){r, g / w->stage_gpus, rem / w->lay.tp, rem % w->lay.tp, sg_sem_init(0)};
    char* name         = bprintf("%s-replica%d-gpu%d", w->wl->name, r->id, g);
    start_actor(name, r->gpus[g]->host, h, rs_inf__helper_actor);
    free(name);
  }
}

static void replica_start(rs_inf_wl_t* w, int id)
{
  rs_inf_replica_t* r = &w->reps[id];
  r->w                = w;
  r->id               = id;
  r->kv               = &w->kv[id];
  r->left             = xbt_new(int, w->cfg->max_seqs);
  r->execs            = xbt_new(sg_exec_t, w->stage_gpus);
  r->run_steps        = 1;
  r->gpus             = xbt_new(const rs_gpu_t*, w->gpus_per_replica);
  for (int g = 0; g < w->gpus_per_replica; g++)
    r->gpus[g] = &w->plat->gpus[w->wl->first_gpu + id * w->gpus_per_replica + g];
  r->wake     = sg_sem_init(0);
  int prefill = w->cfg->prefill_replicas;
  r->role     = prefill == 0 ? RS_INF_MIXED : id < prefill ? RS_INF_PREFILL : RS_INF_DECODE;
  char* name  = bprintf("%s-replica%d", w->wl->name, id);
  start_actor(name, r->gpus[0]->host, r, rs_inf__replica_actor);
  free(name);
  if (r->role == RS_INF_PREFILL)
    rs_inf__movers_start(r);
  if (w->stage_gpus == 1)
    return; /* pipeline stages of one GPU each talk by plain transfers */
  replica_groups(w, r);
  helpers_start(w, r);
}

/* Opens requests.csv and replicas.csv, starts a serving actor per replica (with its helpers), the router
 * and, when other workloads call this one, its service door. */
static int inf_start(rs_run_t* run, int i, void* state, rs_wl_row_t* row, rs_err_t* err)
{
  rs_inf_wl_t* w = state;
  w->run         = run;
  w->row         = row;
  if (rs_inf__requests_open(w, err) != RS_OK || rs_inf__replicas_open(w, err) != RS_OK)
    return RS_ERR;
  w->res.ttft      = xbt_new(double, w->n_reqs);
  w->res.tpot      = xbt_new(double, w->n_reqs);
  w->res.latency   = xbt_new(double, w->n_reqs);
  w->replicas_left = w->n_replicas;
  w->next_arrival  = w->n_reqs > 0 ? w->reqs[w->order[0]].arrival + w->wl->start_s : INFINITY;
  row->gpus        = w->n_replicas * w->gpus_per_replica;
  run->work_total += w->n_reqs;
  int prefill = w->cfg->prefill_replicas;
  w->pools[0] = (rs_inf_pool_t){0, prefill > 0 ? prefill : w->n_replicas, 0};
  w->pools[1] = (rs_inf_pool_t){prefill, w->n_replicas, 0};
  rs_inf__router_init(&w->router, w->cfg->routing, w->n_replicas, w->kv, prefill == 0);
  w->reps = xbt_new0(rs_inf_replica_t, w->n_replicas);
  for (int r = 0; r < w->n_replicas; r++)
    replica_start(w, r);
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

static void replica_free(rs_inf_wl_t* w, rs_inf_replica_t* r)
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
  rs_inf__movers_free(r);
  free(r->tp);
  free(r->ep);
  free(r->bar);
  free(r->execs);
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
    replica_free(w, &w->reps[r]);
  for (int r = 0; w->kv && r < w->n_replicas; r++)
    rs_inf__kv_free(&w->kv[r]);
  rs_inf__router_free(&w->router);
  free(w->reps);
  free(w->kv);
  free(w->stages);
  free(w->reqs);
  free(w->order);
  free(w->res.ttft);
  free(w->res.tpot);
  free(w->res.latency);
  free(w->calls.calls);
  free(w);
}

static void inf_report(const rs_run_t* run, int i, const void* state, FILE* fp)
{
  const rs_inf_wl_t* w       = state;
  const rs_sc_workload_t* wl = w->wl;
  const rs_inf_summary_t* s  = &w->sum;
  fprintf(fp, "  %s (inference, %s): %s, %d replicas of TP%d EP%d PP%d (%d GPUs), %s, %ld KV tokens per replica\n",
          wl->name, wl->u.inf.mode == RS_MODE_OFFLINE ? "offline" : "server", w->m->name, w->n_replicas, w->lay.tp,
          w->lay.ep, w->lay.pp, w->row->gpus, rs_prec_name(wl->u.inf.precision),
          w->kv[0].total_blocks * w->kvc.block_tokens);
  fprintf(fp,
          "    %.0f requests: %.0f output tokens/s (%.1f per GPU); TTFT p50/p99 %.3g/%.3g s, TPOT p50/p99 "
          "%.3g/%.3g s; goodput %.3g req/s (%.1f%% within the objective); %.0f preemptions\n",
          s->requests, s->tokens_per_s, s->tokens_per_s_per_gpu, s->ttft_s[0], s->ttft_s[2], s->tpot_s[0], s->tpot_s[2],
          s->goodput_requests_per_s, 100 * s->slo_attainment, s->preemptions);
  fprintf(fp, "    GPU energy %.4g kJ, %.4g J per output token\n", s->energy_j / 1e3, s->joules_per_token);
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
