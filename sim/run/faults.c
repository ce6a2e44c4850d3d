/* faults.c -- the run's fault process: random failures of every component class drawn from the
 * scenario's rates with one stream of the run's generator, the scheduled outages and degradations, and
 * their repairs, told to every workload as they happen (rs_wl_ops_t.fault) and written to events.csv.
 *
 * A component that is down is never turned off in SimGrid: 3.32 aborts on a link turned off under a
 * flow (simgrid-notes.md) and kills the actors of a host turned off. The workloads stop using what is
 * down instead, so no activity fails inside the engine and no exception can escape. Degradations are
 * real engine changes: a link class's bandwidth (sg_link_set_bandwidth, at run time) and a GPU's speed
 * (a speed profile set before the run, faults_sg.cpp). Knows no workload kind. See LICENSE. */
#include "run/run.h"
#include "run/run_int.h"

#include <math.h>
#include <simgrid/actor.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/link.h>
#include <simgrid/zone.h>
#include <stdlib.h>
#include <string.h>
#include <xbt/log.h>
#include <xbt/sysdep.h>

XBT_LOG_NEW_DEFAULT_SUBCATEGORY(rs_faults, racksim, "failures and repairs");

/* How a class's units are counted on the platform, and what one unit's failure takes down. */
typedef enum { G_GPU, G_SERVER, G_DOMAIN, G_RACK, G_LEAF, G_POD, G_SITE, G_CPU, G_COUNT } group_t;
static const char* const group_words[G_COUNT] = {"GPU",  "server", "NVLink domain", "rack",
                                                 "leaf", "pod",    "site",          "CPU host"};

/* GPUs of one GB200 NVL72 compute tray, and NVLink switch trays of one NVL72 rack (hardware.md:
 * 18 compute trays of 4 GPUs, 9 NVLink switch trays). A domain of at most 8 GPUs is one server whose
 * NVSwitch baseboard counts as one switch tray (unverified). */
#define NVL72_TRAY_GPUS 4
#define NVL72_SWITCH_TRAYS 9
#define BIG_DOMAIN 8

/* One random class on the platform. */
typedef struct fclass {
  const rs_sc_fail_class_t* sc;
  group_t group;
  int per_group; /* units per group (NVLink switch trays per domain) */
  int units;
  double scale_s;      /* exponential: mean time to the class's next failure over every unit; Weibull: per unit */
  double next_s;       /* exponential: the class's next draw */
  double* unit_next_s; /* Weibull: each unit's next failure */
  char* down;          /* [units]: in repair */
} fclass_t;

/* A failure waiting for its repair. */
typedef struct pending {
  long long id;
  double repair_s;
  int cls;  /* index in classes, or -1 for a scheduled outage */
  int unit; /* or the event's index */
  int* gpus;
  int n_gpus;
  int* cpus;
  int n_cpus;
  char component[48];
  const char* cause;
  rs_fail_class_t fc;
} pending_t;

/* A scheduled event, resolved against the platform. */
typedef struct sched {
  const rs_sc_fail_event_t* sc;
  int index;
  group_t group;  /* what it names (down or GPU degrade) */
  int unit;       /* which one; -1 for a provider's sites (sites[]) */
  char* sites;    /* provider: [n_sites], the sites it names */
  int link_class; /* link class degrade: an rs_link_class_t; -1 otherwise */
  int started, ended;
} sched_t;

struct rs_faults {
  rs_run_t* run;
  rs_rng_t rng;
  int n_groups[G_COUNT];
  int* group_of[G_COUNT]; /* [n_gpus]: each GPU's group (G_CPU: unused) */
  int* down_gpu;          /* [n_gpus]: failures holding it down */
  int* down_cpu;          /* [n_cpus] */
  fclass_t* classes;
  int n_classes;
  sched_t* events;
  int n_events;
  pending_t* pending;
  int n_pending, cap_pending;
  long long next_id;
  int* buf_gpus; /* scratch: a blast's GPUs and CPUs */
  int* buf_cpus;
  double link_factor[RS_LINK_CLASS_COUNT]; /* product of the active degradations of each class */
  sg_link_t* links;                        /* every link, and its bandwidth before any degradation */
  double* link_bw;
  int n_links;
};

/* ---- the platform's groups -------------------------------------------------------------------- */

/* GPUs of GPU g's server: its NVLink domain of at most 8, or an NVL72 compute tray. */
static int server_gpus(const rs_platform_t* p, int g)
{
  int dsize = rs_platform_domain_size(p, g);
  return dsize > BIG_DOMAIN ? NVL72_TRAY_GPUS : dsize;
}

/* Numbers GPU i's groups in GPU order (site, domain, local): a group id grows whenever its key changes. */
static void number_groups(rs_faults_t* f, const rs_platform_t* p)
{
  for (int g = 0; g < G_COUNT; g++)
    f->group_of[g] = xbt_new0(int, p->n_gpus > 0 ? p->n_gpus : 1);
  f->group_of[G_GPU][0] = 0;
  int leaves_cap        = 0;
  for (int i = 0; i < p->n_gpus; i++) {
    const rs_gpu_t* g        = &p->gpus[i];
    const rs_gpu_t* q        = i > 0 ? &p->gpus[i - 1] : NULL;
    int per_server           = server_gpus(p, i);
    int new_domain           = q == NULL || q->site != g->site || q->domain != g->domain;
    int new_server           = new_domain || q->local / per_server != g->local / per_server;
    int new_rack             = q == NULL || q->site != g->site || q->rack != g->rack;
    int new_pod              = q == NULL || q->site != g->site || q->pod != g->pod || (g->pod < 0 && new_domain);
    f->group_of[G_GPU][i]    = i;
    f->group_of[G_SERVER][i] = q ? f->group_of[G_SERVER][i - 1] + new_server : 0;
    f->group_of[G_DOMAIN][i] = q ? f->group_of[G_DOMAIN][i - 1] + new_domain : 0;
    f->group_of[G_RACK][i]   = q ? f->group_of[G_RACK][i - 1] + new_rack : 0;
    f->group_of[G_POD][i]    = q ? f->group_of[G_POD][i - 1] + new_pod : 0;
    f->group_of[G_SITE][i]   = g->site;
    /* a rail leaf serves the GPUs of one rail (local position) in one pod */
    if (g->local + 1 > leaves_cap)
      leaves_cap = g->local + 1;
  }
  for (int i = 0; i < p->n_gpus; i++)
    f->group_of[G_LEAF][i] = f->group_of[G_POD][i] * leaves_cap + p->gpus[i].local;
  for (int g = 0; g < G_COUNT; g++)
    f->n_groups[g] = p->n_gpus > 0 ? f->group_of[g][p->n_gpus - 1] + 1 : 0;
  f->n_groups[G_SITE] = p->n_sites;
  f->n_groups[G_LEAF] = p->n_gpus > 0 ? f->n_groups[G_POD] * leaves_cap : 0;
  f->n_groups[G_CPU]  = p->n_cpus;
}

static group_t class_group(rs_fail_class_t c)
{
  switch (c) {
  case RS_FAIL_HOST:
  case RS_FAIL_STORAGE:
    return G_SERVER;
  case RS_FAIL_NVLINK_SWITCH_TRAY:
    return G_DOMAIN;
  case RS_FAIL_POWER_SHELF:
    return G_RACK;
  case RS_FAIL_LEAF_SWITCH:
    return G_LEAF;
  case RS_FAIL_SPINE_SWITCH:
    return G_POD;
  case RS_FAIL_CPU_HOST:
    return G_CPU;
  default: /* gpu, hbm, nic, link, software: one GPU, its NIC, its link or its rank */
    return G_GPU;
  }
}

/* Fills f->buf_gpus and f->buf_cpus with what unit `unit` of group g takes down (sites: a provider's
 * sites, one flag per site, instead of one site); returns the GPU count, *n_cpus the CPU count. */
static int blast(const rs_faults_t* f, group_t g, int unit, const char* sites, int* n_cpus)
{
  const rs_platform_t* p = f->run->plat;
  int n = 0, m = 0;
  if (g == G_CPU) {
    f->buf_cpus[m++] = unit;
    *n_cpus          = m;
    return 0;
  }
  for (int i = 0; i < p->n_gpus; i++)
    if (sites ? sites[p->gpus[i].site] : f->group_of[g][i] == unit)
      f->buf_gpus[n++] = i;
  /* the CPU hosts of those GPUs' servers (rs.cpu), and for a rack or site every CPU host in it */
  for (int c = 0; c < p->n_cpus; c++) {
    const rs_cpu_t* cpu = &p->cpus[c];
    int hit             = 0;
    if (sites || g == G_SITE)
      hit = sites ? sites[cpu->site] : cpu->site == unit;
    else
      for (int k = 0; k < n && !hit; k++)
        hit = p->gpus[f->buf_gpus[k]].cpu == c ||
              (g == G_RACK && cpu->rack >= 0 && cpu->rack == p->gpus[f->buf_gpus[k]].rack &&
               cpu->site == p->gpus[f->buf_gpus[k]].site);
    if (hit)
      f->buf_cpus[m++] = c;
  }
  *n_cpus = m;
  return n;
}

/* ---- checks of the scheduled events' targets against the platform ---------------------------- */

/* The index written for a target of `count` units, or RS_ERR with a located message. */
static int target_index(const rs_run_t* run, int e, const char* key, const char* words, int count, int* out,
                        rs_err_t* err)
{
  const char* name = run->sc->failures.events[e].name;
  char path[64];
  snprintf(path, sizeof path, "failures.events[%d].%s", e, key);
  double v;
  if (!rs_csv_number(name, &v) || v != floor(v) || v < 0 || v >= count) {
    if (count == 0)
      return rs_scenario_err(run->sc, err, path, "expected a %s of the platform, which has none, got '%s'", words,
                             name);
    return rs_scenario_err(run->sc, err, path, "expected a %s index from 0 to %d (the platform has %d %s%s), got '%s'",
                           words, count - 1, count, words, count == 1 ? "" : "s", name);
  }
  *out = (int)v;
  return RS_OK;
}

/* A site's provider: the rs.provider property of its zone ("s<site>", as the generator names it). */
static const char* site_provider(int site)
{
  char zone[32];
  snprintf(zone, sizeof zone, "s%d", site);
  sg_netzone_t z = sg_zone_get_by_name(zone);
  return z ? sg_zone_get_property_value(z, "rs.provider") : NULL;
}

static int resolve_event(rs_faults_t* f, int e, rs_err_t* err)
{
  const rs_run_t* run         = f->run;
  const rs_sc_fail_event_t* s = &run->sc->failures.events[e];
  sched_t* x                  = &f->events[e];
  const char* key             = rs_fail_target_name(s->target);
  char path[64];
  snprintf(path, sizeof path, "failures.events[%d].%s", e, key);
  *x = (sched_t){.sc = s, .index = e, .link_class = -1, .unit = -1};
  switch (s->target) {
  case RS_TARGET_LINK_CLASS: {
    for (int c = 0; c < RS_LINK_CLASS_COUNT; c++)
      if (strcmp(rs_link_class_name(c), s->name) == 0)
        x->link_class = c;
    int have = 0;
    for (int l = 0; x->link_class >= 0 && l < f->n_links; l++)
      have += (int)rs_platform_link_class(sg_link_get_name(f->links[l])) == x->link_class;
    if (!have)
      return rs_scenario_err(run->sc, err, path,
                             "expected a link class the platform has links of (nvlink, c2c, nic, leaf_uplink, "
                             "spine, fleet_nic, wan, ...), got '%s'",
                             s->name);
    if (s->kind == RS_EVENT_DOWN) {
      snprintf(path, sizeof path, "failures.events[%d].kind", e);
      return rs_scenario_err(run->sc, err, path,
                             "expected degrade for a link class (racksim does not take a whole link class down: "
                             "name the racks, pods or sites behind it), got 'down'");
    }
    return RS_OK;
  }
  case RS_TARGET_PROVIDER: {
    const rs_platform_t* p = run->plat;
    x->group               = G_SITE;
    x->sites               = xbt_new0(char, p->n_sites > 0 ? p->n_sites : 1);
    int any = 0, stated = 0;
    for (int k = 0; k < p->n_sites; k++) {
      const char* prov = site_provider(k);
      stated += prov != NULL;
      if (prov && strcmp(prov, s->name) == 0)
        x->sites[k] = 1, any = 1;
    }
    if (!any)
      return rs_scenario_err(run->sc, err, path,
                             "expected a provider that a site of the platform states (rs.provider on its zone; %s), "
                             "got '%s'",
                             stated ? "none states it" : "no site states one", s->name);
    return RS_OK;
  }
  case RS_TARGET_RACK:
    x->group = G_RACK;
    break;
  case RS_TARGET_SERVER:
    x->group = G_SERVER;
    break;
  case RS_TARGET_GPU:
    x->group = G_GPU;
    break;
  case RS_TARGET_POD:
    x->group = G_POD;
    break;
  default:
    x->group = G_SITE;
    break;
  }
  return target_index(run, e, key, group_words[x->group], f->n_groups[x->group], &x->unit, err);
}

/* ---- drawing ------------------------------------------------------------------------------------ */

/* A Weibull time to failure of one unit, mean mean_s, shape k (exponential when k is 1). */
static double weibull(rs_rng_t* g, double mean_s, double k)
{
  double scale = mean_s / tgamma(1 + 1 / k);
  return scale * pow(-log(rs_rng_unit(g)), 1 / k);
}

/* A repair time: fixed, exponential, or lognormal with a coefficient of variation of 1 (unverified). */
static double repair_time(rs_rng_t* g, rs_dist_t d, double mean_s)
{
  if (d == RS_DIST_EXPONENTIAL)
    return rs_rng_exponential(g, mean_s);
  if (d == RS_DIST_LOGNORMAL) {
    double s2 = log(2.0);
    return exp(log(mean_s) - s2 / 2 + sqrt(s2) * rs_rng_normal(g));
  }
  return mean_s;
}

static void class_init(rs_faults_t* f, fclass_t* c, const rs_sc_fail_class_t* sc)
{
  c->sc        = sc;
  c->group     = class_group(sc->cls);
  c->per_group = 1;
  if (sc->cls == RS_FAIL_NVLINK_SWITCH_TRAY && f->run->plat->n_gpus > 0 &&
      rs_platform_domain_size(f->run->plat, 0) > BIG_DOMAIN)
    c->per_group = NVL72_SWITCH_TRAYS;
  c->units = f->n_groups[c->group] * c->per_group;
  c->down  = xbt_new0(char, c->units > 0 ? c->units : 1);
  if (c->units == 0) {
    c->next_s = INFINITY;
    return;
  }
  double mtbf_s = sc->mtbf_h * 3600;
  if (sc->distribution == RS_TTF_EXPONENTIAL) {
    c->scale_s = mtbf_s / c->units;
    c->next_s  = rs_rng_exponential(&f->rng, c->scale_s);
    return;
  }
  c->scale_s     = mtbf_s;
  c->unit_next_s = xbt_new(double, c->units);
  c->next_s      = INFINITY;
  for (int u = 0; u < c->units; u++) {
    c->unit_next_s[u] = weibull(&f->rng, mtbf_s, sc->shape);
    if (c->unit_next_s[u] < c->next_s)
      c->next_s = c->unit_next_s[u];
  }
}

/* ---- set-up ------------------------------------------------------------------------------------ */

int rs_run_faults_prepare(rs_run_t* run, rs_err_t* err)
{
  const rs_sc_failures_t* sf = &run->sc->failures;
  if (sf->n_classes == 0 && sf->n_events == 0)
    return RS_OK;
  const rs_platform_t* p = run->plat;
  rs_faults_t* f         = xbt_new0(rs_faults_t, 1);
  run->faults            = f;
  f->run                 = run;
  /* a stream of its own, so that the failures do not depend on what the workloads draw */
  rs_rng_seed(&f->rng, run->sc->seed ^ 0x6661756c7473ULL);
  number_groups(f, p);
  f->down_gpu = xbt_new0(int, p->n_gpus + 1);
  f->down_cpu = xbt_new0(int, p->n_cpus + 1);
  f->buf_gpus = xbt_new(int, p->n_gpus + 1);
  f->buf_cpus = xbt_new(int, p->n_cpus + 1);
  f->n_links  = (int)sg_link_count();
  f->links    = sg_link_list();
  f->link_bw  = xbt_new(double, f->n_links + 1);
  for (int l = 0; l < f->n_links; l++)
    f->link_bw[l] = sg_link_get_bandwidth(f->links[l]);
  for (int c = 0; c < RS_LINK_CLASS_COUNT; c++)
    f->link_factor[c] = 1;
  f->events   = xbt_new0(sched_t, sf->n_events + 1);
  f->n_events = sf->n_events;
  for (int e = 0; e < sf->n_events; e++)
    if (resolve_event(f, e, err) != RS_OK)
      return RS_ERR;
  f->classes   = xbt_new0(fclass_t, sf->n_classes + 1);
  f->n_classes = sf->n_classes;
  for (int c = 0; c < sf->n_classes; c++)
    class_init(f, &f->classes[c], &sf->classes[c]);
  return RS_OK;
}

void rs_run_faults_free(rs_faults_t* f)
{
  if (f == NULL)
    return;
  for (int g = 0; g < G_COUNT; g++)
    free(f->group_of[g]);
  for (int c = 0; c < f->n_classes; c++) {
    free(f->classes[c].unit_next_s);
    free(f->classes[c].down);
  }
  for (int e = 0; e < f->n_events; e++)
    free(f->events[e].sites);
  for (int k = 0; k < f->n_pending; k++) {
    free(f->pending[k].gpus);
    free(f->pending[k].cpus);
  }
  free(f->pending);
  free(f->classes);
  free(f->events);
  free(f->down_gpu);
  free(f->down_cpu);
  free(f->buf_gpus);
  free(f->buf_cpus);
  free(f->links);
  free(f->link_bw);
  free(f);
}

int rs_run_server_gpus(const rs_run_t* run, int g)
{
  return server_gpus(run->plat, g);
}

double rs_run_fault_rate_per_s(const rs_run_t* run, int first, int n)
{
  const rs_faults_t* f = run->faults;
  if (f == NULL)
    return 0;
  double rate = 0;
  for (int c = 0; c < f->n_classes; c++) {
    const fclass_t* k = &f->classes[c];
    if (k->group == G_CPU || k->units == 0)
      continue;
    /* groups touching [first, first + n): the GPUs are in group order, so count the changes */
    int groups = 0;
    for (int i = first; i < first + n && i < run->plat->n_gpus; i++)
      groups += i == first || f->group_of[k->group][i] != f->group_of[k->group][i - 1];
    rate += groups * k->per_group / (k->sc->mtbf_h * 3600);
  }
  return rate;
}

int rs_run_gpu_down(const rs_run_t* run, int g)
{
  return run->faults != NULL && run->faults->down_gpu[g] > 0;
}

double rs_run_daly_interval_s(double write_s, double mtbf_s)
{
  if (write_s >= 2 * mtbf_s)
    return mtbf_s;
  double r = write_s / (2 * mtbf_s);
  return sqrt(2 * write_s * mtbf_s) * (1 + sqrt(r) / 3 + r / 9) - write_s;
}

/* The scheduled GPU degradations as each GPU's speed profile (the product of the fractions active). */
static void speed_profiles(rs_faults_t* f)
{
  const rs_platform_t* p = f->run->plat;
  int n_ev               = f->n_events;
  char* hit              = xbt_new0(char, (size_t)p->n_gpus*(n_ev > 0 ? n_ev : 1) + 1);
  int any                = 0;
  for (int e = 0; e < n_ev; e++) {
    sched_t* x = &f->events[e];
    if (x->sc->kind != RS_EVENT_DEGRADE || x->link_class >= 0)
      continue;
    int nc, n = blast(f, x->group, x->unit, x->sites, &nc);
    for (int k = 0; k < n; k++)
      hit[(size_t)f->buf_gpus[k] * n_ev + e] = any = 1;
  }
  double* times = xbt_new(double, 2 * n_ev + 1);
  double* scale = xbt_new(double, 2 * n_ev + 1);
  for (int i = 0; any && i < p->n_gpus; i++) {
    int m      = 0;
    times[m++] = 0;
    for (int e = 0; e < n_ev; e++)
      if (hit[(size_t)i * n_ev + e]) {
        times[m++] = f->events[e].sc->at_h * 3600;
        times[m++] = (f->events[e].sc->at_h + f->events[e].sc->for_h) * 3600;
      }
    if (m == 1)
      continue;
    /* sort the breakpoints, then the scale at each is the product of the windows covering it */
    for (int a = 1; a < m; a++)
      for (int b = a; b > 0 && times[b] < times[b - 1]; b--) {
        double t = times[b];
        times[b] = times[b - 1], times[b - 1] = t;
      }
    for (int k = 0; k < m; k++) {
      scale[k] = 1;
      for (int e = 0; e < n_ev; e++)
        if (hit[(size_t)i * n_ev + e] && times[k] >= f->events[e].sc->at_h * 3600 &&
            times[k] < (f->events[e].sc->at_h + f->events[e].sc->for_h) * 3600)
          scale[k] *= f->events[e].sc->fraction;
    }
    char name[64];
    snprintf(name, sizeof name, "racksim-speed-gpu-%d", i);
    rs_run__speed_profile(p->gpus[i].host, name, times, scale, m);
  }
  free(times);
  free(scale);
  free(hit);
}

/* ---- the actor --------------------------------------------------------------------------------- */

static void tell(rs_faults_t* f, const rs_fault_t* ft)
{
  rs_run_t* run = f->run;
  for (int i = 0; i < run->sc->n_workloads; i++)
    if (run->wls[i].ops->fault)
      run->wls[i].ops->fault(run, i, run->wls[i].state, ft);
}

/* Takes the blast in f->buf_* down until repair_s: counts, events.csv, the workloads, the repair queue. */
static void go_down(rs_faults_t* f, int cls, int unit, const char* cause, rs_fail_class_t fc, const char* component,
                    int n, int nc, double repair_s)
{
  double now = simgrid_get_clock();
  if (f->n_pending == f->cap_pending) {
    f->cap_pending = f->cap_pending ? 2 * f->cap_pending : 16;
    f->pending     = xbt_realloc(f->pending, f->cap_pending * sizeof *f->pending);
  }
  pending_t* q = &f->pending[f->n_pending++];
  *q           = (pending_t){.id       = f->next_id++,
                             .repair_s = repair_s,
                             .cls      = cls,
                             .unit     = unit,
                             .n_gpus   = n,
                             .n_cpus   = nc,
                             .cause    = cause,
                             .fc       = fc};
  snprintf(q->component, sizeof q->component, "%s", component);
  q->gpus = xbt_new(int, n + 1);
  q->cpus = xbt_new(int, nc + 1);
  memcpy(q->gpus, f->buf_gpus, n * sizeof(int));
  memcpy(q->cpus, f->buf_cpus, nc * sizeof(int));
  for (int k = 0; k < n; k++)
    f->down_gpu[q->gpus[k]]++;
  for (int k = 0; k < nc; k++)
    f->down_cpu[q->cpus[k]]++;
  char detail[128];
  snprintf(detail, sizeof detail, "%s: %s (%d GPUs, %d CPU hosts)", cause, component, n, nc);
  rs_run_event(f->run, now, repair_s, "faults", "failure", detail);
  rs_fault_t ft = {q->id, 0, repair_s, fc, cause, q->component, q->gpus, n, q->cpus, nc};
  tell(f, &ft);
}

static void repair(rs_faults_t* f, int k)
{
  pending_t q = f->pending[k];
  memmove(&f->pending[k], &f->pending[k + 1], (f->n_pending - k - 1) * sizeof q);
  f->n_pending--;
  double now = simgrid_get_clock();
  for (int j = 0; j < q.n_gpus; j++)
    f->down_gpu[q.gpus[j]]--;
  for (int j = 0; j < q.n_cpus; j++)
    f->down_cpu[q.cpus[j]]--;
  if (q.cls >= 0) {
    fclass_t* c     = &f->classes[q.cls];
    c->down[q.unit] = 0;
    if (c->unit_next_s) { /* Weibull: the repaired unit is as new */
      c->unit_next_s[q.unit] = now + weibull(&f->rng, c->scale_s, c->sc->shape);
      if (c->unit_next_s[q.unit] < c->next_s)
        c->next_s = c->unit_next_s[q.unit];
    }
  }
  char detail[128];
  snprintf(detail, sizeof detail, "%s: %s", q.cause, q.component);
  rs_run_event(f->run, now, now, "faults", "repair", detail);
  rs_fault_t ft = {q.id, 1, now, q.fc, q.cause, q.component, q.gpus, q.n_gpus, q.cpus, q.n_cpus};
  tell(f, &ft);
  free(q.gpus);
  free(q.cpus);
}

/* The class c's failure due now: a unit drawn (exponential; one in repair is passed over, which keeps
 * the rate at the units up) or the earliest unit (Weibull), then the class's next draw. */
static void class_fires(rs_faults_t* f, int ci)
{
  fclass_t* c = &f->classes[ci];
  double now  = simgrid_get_clock();
  int unit;
  if (c->unit_next_s == NULL) {
    unit      = (int)(rs_rng_unit(&f->rng) * c->units);
    unit      = unit >= c->units ? c->units - 1 : unit;
    c->next_s = now + rs_rng_exponential(&f->rng, c->scale_s);
    if (c->down[unit])
      return;
  } else {
    unit = 0;
    for (int u = 1; u < c->units; u++)
      if (c->unit_next_s[u] < c->unit_next_s[unit])
        unit = u;
    c->unit_next_s[unit] = INFINITY;
    c->next_s            = INFINITY;
    for (int u = 0; u < c->units; u++)
      if (c->unit_next_s[u] < c->next_s)
        c->next_s = c->unit_next_s[u];
  }
  c->down[unit]   = 1;
  double repair_s = now + repair_time(&f->rng, c->sc->repair_dist, c->sc->repair_mean_h * 3600);
  int group_unit  = unit / c->per_group;
  char component[48];
  if (c->per_group > 1)
    snprintf(component, sizeof component, "%s %d switch tray %d", group_words[c->group], group_unit,
             unit % c->per_group);
  else
    snprintf(component, sizeof component, "%s %d", group_words[c->group], group_unit);
  int nc, n = blast(f, c->group, group_unit, NULL, &nc);
  go_down(f, ci, unit, c->sc->cause, c->sc->cls, component, n, nc, repair_s);
}

static void set_links(rs_faults_t* f, int cls)
{
  for (int l = 0; l < f->n_links; l++)
    if ((int)rs_platform_link_class(sg_link_get_name(f->links[l])) == cls)
      sg_link_set_bandwidth(f->links[l], f->link_bw[l] * f->link_factor[cls]);
}

static void event_starts(rs_faults_t* f, sched_t* x)
{
  double now      = simgrid_get_clock();
  double end_s    = (x->sc->at_h + x->sc->for_h) * 3600;
  x->started      = 1;
  const char* key = rs_fail_target_name(x->sc->target);
  char component[48];
  snprintf(component, sizeof component, "%s %s", key, x->sc->name);
  if (x->sc->kind == RS_EVENT_DEGRADE) {
    char detail[128];
    snprintf(detail, sizeof detail, "scheduled: %s at %g of its %s", component, x->sc->fraction,
             x->link_class >= 0 ? "bandwidth" : "speed");
    rs_run_event(f->run, now, end_s, "faults", "degrade", detail);
    if (x->link_class >= 0) {
      f->link_factor[x->link_class] *= x->sc->fraction;
      set_links(f, x->link_class);
    }
    return;
  }
  int nc, n = blast(f, x->group, x->unit, x->sites, &nc);
  go_down(f, -1, x->index, "scheduled", x->group == G_CPU ? RS_FAIL_CPU_HOST : RS_FAIL_HOST, component, n, nc, end_s);
  x->ended = 1; /* its end is the pending repair */
}

static void event_ends(rs_faults_t* f, sched_t* x)
{
  x->ended = 1;
  if (x->link_class >= 0) {
    f->link_factor[x->link_class] /= x->sc->fraction;
    set_links(f, x->link_class);
  }
}

/* Sleeps until the next failure, repair, or scheduled start or end, and applies it; forever (a daemon,
 * killed when the workloads are done). Ties go repairs, then scheduled events, then classes in order. */
static void fault_actor(int argc, char** argv)
{
  rs_faults_t* f = sg_actor_self_get_data();
  for (;;) {
    double t = INFINITY;
    int kind = -1, which = -1;
    for (int k = 0; k < f->n_pending; k++)
      if (f->pending[k].repair_s < t)
        t = f->pending[k].repair_s, kind = 0, which = k;
    for (int e = 0; e < f->n_events; e++) {
      sched_t* x = &f->events[e];
      double at  = !x->started ? x->sc->at_h * 3600 : !x->ended ? (x->sc->at_h + x->sc->for_h) * 3600 : INFINITY;
      if (at < t)
        t = at, kind = 1, which = e;
    }
    for (int c = 0; c < f->n_classes; c++)
      if (f->classes[c].next_s < t)
        t = f->classes[c].next_s, kind = 2, which = c;
    if (kind < 0)
      return;
    if (t > simgrid_get_clock())
      sg_actor_sleep_until(t);
    if (kind == 0)
      repair(f, which);
    else if (kind == 1 && !f->events[which].started)
      event_starts(f, &f->events[which]);
    else if (kind == 1)
      event_ends(f, &f->events[which]);
    else
      class_fires(f, which);
  }
}

void rs_run_faults_start(rs_run_t* run)
{
  rs_faults_t* f = run->faults;
  if (f == NULL || run->plat->n_gpus + run->plat->n_cpus == 0)
    return;
  speed_profiles(f);
  sg_host_t where = run->plat->n_gpus > 0 ? run->plat->gpus[0].host : run->plat->cpus[0].host;
  sg_actor_t a    = sg_actor_init("faults", where);
  sg_actor_set_data(a, f);
  sg_actor_start(a, fault_actor, 0, NULL);
  sg_actor_daemonize(a);
}
