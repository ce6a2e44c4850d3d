/* power.c -- part of the run module: the power a run draws, by site and scope, and what it costs.
 * A daemon actor reads, at the end of each window, the joules SimGrid's host energy plugin has counted
 * on every GPU and CPU host, and the bytes the network meter has counted on every scale-out link; it adds
 * the scale-out ports' power (idle plus a share linear in their load) and each server's constant
 * overhead, the DC load; its power supplies lose a share of what they draw at the wall, so IT power =
 * (GPU + CPU + network + overhead) / power.psu_efficiency, and facility power = IT x the site's PUE; the
 * hot spare servers a training job holds add their idle power over its span.
 * From these it writes power.csv and power_summary.csv, and gives each workload its energy at three
 * scopes and its cost (summary.csv). It also sets the GPUs' power caps (power.gpu_cap_w, or a site budget
 * with over_budget: cap): a capped GPU draws at most its cap and computes at its curve's speed. See LICENSE. */
#include "run/run.h"
#include "run/run_int.h"

#include "model/model.h"

#include <math.h>
#include <simgrid/actor.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/link.h>
#include <simgrid/plugins/energy.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xbt/sysdep.h>

/* What one window holds, per site: joules by part. */
enum { PART_GPU, PART_CPU, PART_NET, PART_OVERHEAD, N_PARTS };
static const char* const part_names[N_PARTS] = {"gpu", "cpu", "network", "overhead"};

/* A scale-out link the ports' power follows: its class, how many 400 Gb/s port-pairs it stands for,
 * and the share of them this SimGrid link is (one half of a split-duplex link: 0.5). */
typedef struct power_link {
  double idle_w, dyn_w; /* of one port-pair at idle, and added at full load */
  double capacity;      /* bytes/s of this SimGrid link */
  const double* count;  /* its bytes, counted by the network meter (NULL: none counted) */
  double last_bytes;
  int by_fleet; /* 1: a CPU fleet host's NIC, shared among sites by fleet hosts; 0: by GPUs */
  int uplink;   /* 1: a leaf's uplink */
  double ports; /* port-pairs of the physical link */
  double share; /* of the physical link this SimGrid link is: 0.5 for a split-duplex half, else 1 */
} power_link_t;

/* outputs.link_windows: every link's bytes by class in each window, for link_windows.csv (the timeline's
 * link counters). Off by default: a reading then walks every SimGrid link, not only the scale-out ones. */
typedef struct class_meter {
  sg_link_t* links; /* every link, in name order so that the sums do not depend on SimGrid's storage */
  int* cls;         /* per link: its rs_link_class_t */
  double* last;     /* per link: its bytes at the last reading */
  size_t n;
  double capacity[RS_LINK_CLASS_COUNT]; /* bytes/s per direction, summed over the class's links */
  double* bytes;                        /* [cap_win][RS_LINK_CLASS_COUNT] */
} class_meter_t;

/* Power above idle that n GPUs from `first` drew from t0 to t1 without executing (rs_run_power_add_busy). */
typedef struct busy {
  int first, n;
  double t0, t1, watts;
} busy_t;

/* GPUs that aggregated training stands for with its live ones: each draws the live ones' mean. */
typedef struct stand_in {
  const rs_gpu_t* const* live;
  int n_live;
  double* stood_per_site; /* GPUs stood for, per site */
  double live_j;          /* the live GPUs' joules in the window being read */
} stand_in_t;

struct rs_power {
  rs_run_t* run;
  int n_sites;
  double *pue, *usd_per_kwh, *overhead_w; /* per site */
  double psu;                             /* DC load over the power drawn at the wall (power.psu_efficiency) */
  double *gpu_share, *fleet_share;        /* per site: its fraction of the GPUs, of the CPU fleet hosts */
  int* site_gpus;                         /* per site */
  double* gpu_last;                       /* per GPU: joules at the last reading */
  int* role;                              /* per GPU: -1, or the stand-in it is live in (>= 0), or -2 stood for */
  double* cpu_last;                       /* per CPU host; NAN for a host that states no power */
  double nic_idle_w_per_gpu;              /* the GPU NICs' idle port power over the GPUs (a spare's share) */
  power_link_t* links;
  int n_links;
  stand_in_t* stands;
  int n_stands;
  double window, t_last;
  double* j;       /* [n_win][n_sites][N_PARTS] */
  double* added_j; /* the same, added after the run (spare servers, busy time a fast path skipped); or NULL */
  busy_t* busy;    /* rs_run_power_add_busy's segments */
  int n_busy, cap_busy;
  double* t0; /* [n_win] window starts; ends are the next start, or t_end */
  double t_end;
  class_meter_t* classes; /* NULL: no link_windows.csv */
  int n_win, cap_win;
  int finished;
};

/* ---- set-up ------------------------------------------------------------------------------------- */

static double site_figure(const rs_sc_power_t* c, int s, int pue)
{
  if (s < c->n_sites)
    return pue ? c->sites[s].pue : c->sites[s].usd_per_kwh;
  return pue ? c->pue : c->usd_per_kwh;
}

static double overhead_w_per_gpu(const rs_sc_power_t* c, const rs_gpu_model_t* m)
{
  if (c->overhead_w_per_gpu > 0)
    return c->overhead_w_per_gpu;
  const rs_hw_power_t* hp = rs_hw_power(m->name);
  return hp ? hp->overhead_w_per_gpu : 0;
}

/* 400 Gb/s (50 GB/s per direction) is one port: a NIC link of more stands for several. */
#define PORT_BYTES_PER_S 50e9

/* Takes l when its class draws port power: its share of a physical link (a split-duplex half is 0.5)
 * and, for a NIC, its ports; an uplink's ports are set once all NICs are counted (set_uplinks). */
static void add_link(rs_power_t* p, sg_link_t l, const rs_sc_power_t* c)
{
  const char* name    = sg_link_get_name(l);
  rs_link_class_t cls = rs_platform_link_class(name);
  double idle, max;
  if (cls == RS_LINK_NIC || cls == RS_LINK_FLEET_NIC) { /* a NIC and its switch port */
    idle = c->nic_idle_w + c->switch_port_idle_w;
    max  = c->nic_max_w + c->switch_port_max_w;
  } else if (cls == RS_LINK_LEAF_UPLINK) { /* a switch port at each end */
    idle = 2 * c->switch_port_idle_w;
    max  = 2 * c->switch_port_max_w;
  } else
    return; /* NVLink and C2C are in the GPUs' and the overhead's power; spine, hops and WAN not modelled */
  double cap      = sg_link_get_bandwidth(l);
  double share    = rs_platform_link_is_half(name) ? 0.5 : 1;
  double ports    = cls == RS_LINK_LEAF_UPLINK ? 0 : fmax(1, ceil(cap / PORT_BYTES_PER_S - 1e-9));
  power_link_t* k = &p->links[p->n_links++];
  *k              = (power_link_t){.idle_w   = idle,
                                   .dyn_w    = max - idle,
                                   .capacity = cap,
                                   .count    = rs_net_link_counter(l),
                                   .by_fleet = cls == RS_LINK_FLEET_NIC,
                                   .uplink   = cls == RS_LINK_LEAF_UPLINK,
                                   .ports    = ports,
                                   .share    = share};
}

/* Takes the n links (the caller's sg_link_list, now the meter's) for link_windows.csv. */
static class_meter_t* class_meter_new(sg_link_t* links, size_t n)
{
  class_meter_t* m = xbt_new0(class_meter_t, 1);
  qsort(links, n, sizeof *links, rs_run__cmp_link_name);
  m->links = links;
  m->n     = n;
  m->cls   = xbt_new(int, n ? n : 1);
  m->last  = xbt_new0(double, n ? n : 1);
  for (size_t i = 0; i < n; i++) {
    m->cls[i] = rs_platform_link_class(sg_link_get_name(links[i]));
    m->capacity[m->cls[i]] += sg_link_get_bandwidth(links[i]);
  }
  return m;
}

static void class_meter_free(class_meter_t* m)
{
  if (m == NULL)
    return;
  free(m->links);
  free(m->cls);
  free(m->last);
  free(m->bytes);
  free(m);
}

/* Window w's bytes by class: what the send path counted on each link since the last reading. */
static void class_meter_read(class_meter_t* m, int w)
{
  double* b = m->bytes + (size_t)w * RS_LINK_CLASS_COUNT;
  memset(b, 0, RS_LINK_CLASS_COUNT * sizeof *b);
  for (size_t i = 0; i < m->n; i++) {
    double now = rs_net_link_bytes(m->links[i]);
    b[m->cls[i]] += now - m->last[i];
    m->last[i] = now;
  }
}

/* A generated leaf's uplink carries a whole pod's bandwidth even when the pod holds fewer servers, so
 * its capacity does not count ports: the uplink ports are the GPU NIC ports over the oversubscription,
 * shared evenly among the uplinks. */
static void set_uplinks(rs_power_t* p, double oversubscription)
{
  double nic_ports = 0, uplinks = 0;
  for (int k = 0; k < p->n_links; k++) {
    const power_link_t* l = &p->links[k];
    if (l->uplink)
      uplinks += l->share;
    else if (!l->by_fleet)
      nic_ports += l->ports * l->share;
  }
  for (int k = 0; k < p->n_links; k++)
    if (p->links[k].uplink)
      p->links[k].ports = nic_ports / fmax(1, oversubscription) / uplinks;
}

rs_power_t* rs_run_power_new(rs_run_t* run)
{
  const rs_platform_t* pl = run->plat;
  const rs_sc_power_t* c  = &run->sc->power;
  rs_power_t* p           = xbt_new0(rs_power_t, 1);
  p->run                  = run;
  p->n_sites              = pl->n_sites > 0 ? pl->n_sites : 1;
  p->pue                  = xbt_new0(double, p->n_sites);
  p->usd_per_kwh          = xbt_new0(double, p->n_sites);
  p->overhead_w           = xbt_new0(double, p->n_sites);
  p->gpu_share            = xbt_new0(double, p->n_sites);
  p->fleet_share          = xbt_new0(double, p->n_sites);
  p->site_gpus            = xbt_new0(int, p->n_sites);
  for (int s = 0; s < p->n_sites; s++) {
    p->pue[s]         = site_figure(c, s, 1);
    p->usd_per_kwh[s] = site_figure(c, s, 0);
  }
  int fleet = 0;
  for (int g = 0; g < pl->n_gpus; g++) {
    p->site_gpus[pl->gpus[g].site]++;
    p->overhead_w[pl->gpus[g].site] += overhead_w_per_gpu(c, pl->gpus[g].model);
  }
  for (int i = 0; i < pl->n_cpus; i++)
    fleet += pl->cpus[i].rack < 0;
  for (int s = 0; s < p->n_sites; s++)
    p->gpu_share[s] = pl->n_gpus ? (double)p->site_gpus[s] / pl->n_gpus : 1.0 / p->n_sites;
  for (int i = 0; i < pl->n_cpus; i++)
    if (pl->cpus[i].rack < 0)
      p->fleet_share[pl->cpus[i].site] += 1.0 / fleet;
  if (fleet == 0)
    memcpy(p->fleet_share, p->gpu_share, p->n_sites * sizeof(double));
  p->gpu_last = xbt_new0(double, pl->n_gpus);
  p->role     = xbt_new(int, pl->n_gpus);
  for (int g = 0; g < pl->n_gpus; g++)
    p->role[g] = -1;
  p->cpu_last = xbt_new0(double, pl->n_cpus);
  for (int i = 0; i < pl->n_cpus; i++) /* the plugin aborts on a host without power figures */
    p->cpu_last[i] = sg_host_get_property_value(pl->cpus[i].host, "wattage_per_state") ? 0 : NAN;
  size_t n_links   = sg_link_count();
  sg_link_t* links = sg_link_list();
  p->links         = xbt_new(power_link_t, n_links ? n_links : 1);
  for (size_t i = 0; i < n_links; i++)
    add_link(p, links[i], c);
  if (run->sc->outputs.link_windows)
    p->classes = class_meter_new(links, n_links);
  else
    free(links);
  set_uplinks(p, pl->oversubscription);
  for (int k = 0; k < p->n_links && pl->n_gpus > 0; k++)
    if (!p->links[k].uplink && !p->links[k].by_fleet)
      p->nic_idle_w_per_gpu += p->links[k].ports * p->links[k].share * p->links[k].idle_w / pl->n_gpus;
  p->window = c->window_s;
  p->psu    = c->psu_efficiency > 0 ? c->psu_efficiency : 1; /* 0: a scenario built by hand, no loss */
  return p;
}

void rs_run_power_free(rs_power_t* p)
{
  if (p == NULL)
    return;
  for (int k = 0; k < p->n_stands; k++)
    free(p->stands[k].stood_per_site);
  free(p->stands);
  free(p->pue);
  free(p->usd_per_kwh);
  free(p->overhead_w);
  free(p->gpu_share);
  free(p->fleet_share);
  free(p->site_gpus);
  free(p->gpu_last);
  free(p->role);
  free(p->cpu_last);
  free(p->links);
  free(p->j);
  free(p->added_j);
  free(p->busy);
  free(p->t0);
  class_meter_free(p->classes);
  free(p);
}

void rs_run_power_stand_for(rs_run_t* run, const rs_gpu_t* const* live, int n_live, const rs_gpu_t* first, int n)
{
  rs_power_t* p = run->power;
  if (p == NULL || n_live <= 0 || n_live >= n)
    return;
  const rs_gpu_t* base = run->plat->gpus;
  p->stands            = xbt_realloc(p->stands, (p->n_stands + 1) * sizeof *p->stands);
  stand_in_t* st       = &p->stands[p->n_stands];
  *st                  = (stand_in_t){live, n_live, xbt_new0(double, p->n_sites), 0};
  for (int g = 0; g < n; g++)
    p->role[first - base + g] = -2;
  for (int k = 0; k < n_live; k++)
    p->role[live[k] - base] = p->n_stands;
  for (int g = 0; g < n; g++)
    if (p->role[first - base + g] == -2)
      st->stood_per_site[first[g].site]++;
  p->n_stands++;
}

/* The most a CPU host draws: the last figure of its wattage_per_state ("idle:one core:all cores"). */
static double cpu_max_w(const rs_cpu_t* c)
{
  const char* w    = sg_host_get_property_value(c->host, "wattage_per_state");
  const char* last = w ? strrchr(w, ':') : NULL;
  return last ? strtod(last + 1, NULL) : 0;
}

/* What a CPU host draws idle: the first figure of its wattage_per_state (0 when it states none). */
static double cpu_idle_w(const rs_cpu_t* c)
{
  const char* w = sg_host_get_property_value(c->host, "wattage_per_state");
  return w ? strtod(w, NULL) : 0;
}

/* What one spare server like the one holding GPU `first` draws idle, by part, in w (watts), and their
 * sum: a hot spare is powered on and waits, so its GPUs, its share of its rack's CPU hosts (the rack's
 * per GPU), its NICs' ports (the platform's GPU NIC ports per GPU, with their switch ports) and its
 * overhead all draw their idle power. */
static double spare_server_w(const rs_power_t* p, int first, double w[N_PARTS])
{
  const rs_run_t* run     = p->run;
  const rs_platform_t* pl = run->plat;
  const rs_gpu_t* f       = &pl->gpus[first];
  int n = rs_run_server_gpus(run, first), rack_gpus = 0;
  memset(w, 0, N_PARTS * sizeof *w);
  for (int g = first; g < first + n && g < pl->n_gpus; g++) {
    w[PART_GPU] += pl->gpus[g].model->idle_watts;
    w[PART_NET] += p->nic_idle_w_per_gpu;
    w[PART_OVERHEAD] += overhead_w_per_gpu(&run->sc->power, pl->gpus[g].model);
  }
  for (int g = 0; g < pl->n_gpus; g++)
    rack_gpus += pl->gpus[g].site == f->site && pl->gpus[g].rack == f->rack;
  for (int i = 0; i < pl->n_cpus; i++)
    if (pl->cpus[i].site == f->site && pl->cpus[i].rack == f->rack && !isnan(p->cpu_last[i]))
      w[PART_CPU] += cpu_idle_w(&pl->cpus[i]) * n / rack_gpus;
  return w[PART_GPU] + w[PART_CPU] + w[PART_NET] + w[PART_OVERHEAD];
}

/* Spare servers workload i will hold, before it starts (for the site budget; its kind says). */
static int spares_planned(const rs_run_t* run, int i)
{
  const rs_wl_ops_t* o = run->wls[i].ops;
  if (o->spare_servers == NULL || run->sc->workloads[i].first_gpu >= run->plat->n_gpus)
    return 0;
  return o->spare_servers(run, i);
}

/* Idle watts, by part in w, of the spare servers workload i held (its row's spare_gpus), and their sum. */
static double spare_w(const rs_power_t* p, int i, double w[N_PARTS])
{
  const rs_run_t* run  = p->run;
  const rs_wl_row_t* r = &run->wls[i].row;
  int first            = run->sc->workloads[i].first_gpu;
  memset(w, 0, N_PARTS * sizeof *w);
  if (r->spare_gpus <= 0 || first >= run->plat->n_gpus)
    return 0;
  double servers = (double)r->spare_gpus / rs_run_server_gpus(run, first);
  double sum     = servers * spare_server_w(p, first, w);
  for (int k = 0; k < N_PARTS; k++)
    w[k] *= servers;
  return sum;
}

/* Caps GPU type m at cap_w (nothing at or above its TDP), with the speed its curve gives; key names the
 * scenario key the cap came from, for the message. */
static int cap_model(const rs_run_t* run, rs_gpu_model_t* m, double cap_w, const char* key, rs_err_t* err)
{
  if (cap_w >= rs_gpu_busy_watts(m))
    return RS_OK;
  if (!(cap_w > m->idle_watts))
    return rs_scenario_err(run->sc, err, key, "expected a GPU power cap above %s's idle power (%g W), got '%g W'",
                           m->name, m->idle_watts, cap_w);
  const rs_hw_power_t* hp = rs_hw_power(m->name);
  if (hp == NULL || hp->curve == NULL)
    return rs_scenario_err(run->sc, err, key,
                           "expected no cap on %s (racksim has no performance-vs-power curve for it), got '%g W'",
                           m->name, cap_w);
  double speed = rs_gpu_cap_speed(m, cap_w);
  if (speed <= 0) /* above idle, but under the curve's last point */
    return rs_scenario_err(run->sc, err, key,
                           "expected a cap above %g W, where %s's performance-vs-power curve ends, got '%g W'",
                           hp->curve->cap_frac[RS_HW_CAP_POINTS - 1] * m->tdp_watts, m->name, cap_w);
  m->cap_watts = cap_w;
  m->cap_speed = speed;
  return RS_OK;
}

/* What each site draws at full load beside its GPUs (CPUs at TDP, ports at their maximum, overhead), in
 * other[], and its GPUs busy (at their caps) in gpu[], and at idle in idle[]. */
static void full_load(const rs_power_t* p, const rs_platform_t* pl, double* gpu, double* idle, double* other)
{
  for (int g = 0; g < pl->n_gpus; g++) {
    gpu[pl->gpus[g].site] += rs_gpu_busy_watts(pl->gpus[g].model);
    idle[pl->gpus[g].site] += pl->gpus[g].model->idle_watts;
  }
  for (int i = 0; i < pl->n_cpus; i++)
    other[pl->cpus[i].site] += cpu_max_w(&pl->cpus[i]);
  for (int k = 0; k < p->n_links; k++) {
    const power_link_t* l = &p->links[k];
    for (int s = 0; s < p->n_sites; s++)
      other[s] += l->ports * l->share * (l->idle_w + l->dyn_w) * (l->by_fleet ? p->fleet_share : p->gpu_share)[s];
  }
  for (int s = 0; s < p->n_sites; s++)
    other[s] += p->overhead_w[s];
  for (int i = 0; i < p->run->sc->n_workloads; i++) { /* spare servers, idle at their job's site */
    int n = spares_planned(p->run, i), first = p->run->sc->workloads[i].first_gpu;
    double w[N_PARTS];
    if (n > 0)
      other[pl->gpus[first].site] += n * spare_server_w(p, first, w);
  }
}

/* The share of its busy power every GPU keeps so that the tightest site fits the budget (1: all fit),
 * or RS_ERR where a site cannot fit even with its GPUs capped down to their idle power, or may not be
 * capped (over_budget: refuse). */
static int budget_fraction(const rs_run_t* run, double budget, double* frac, rs_err_t* err)
{
  const rs_power_t* p = run->power;
  int n               = p->n_sites;
  double* w           = xbt_new0(double, 3 * n); /* gpu, idle, other */
  full_load(p, run->plat, w, w + n, w + 2 * n);
  int capping = run->sc->power.over_budget == RS_BUDGET_CAP;
  int rc      = RS_OK;
  *frac       = 1;
  for (int s = 0; s < n && rc == RS_OK; s++) {
    double gpu = w[s], idle = w[n + s], other = w[2 * n + s], pue = p->pue[s] / p->psu; /* DC to facility */
    if ((gpu + other) * pue <= budget)
      continue;
    if (!capping)
      rc = rs_scenario_err(
          run->sc, err, "power.site_budget_mw",
          "expected at least %.6g MW, what site %d draws at full load (its %d GPUs and its CPUs at TDP, ports "
          "at their maximum, overhead, spare servers idle, power supplies at %g, PUE %g; over_budget: cap would cap "
          "the GPUs), got '%g'",
          (gpu + other) * pue / 1e6, s, p->site_gpus[s], p->psu, p->pue[s], budget / 1e6);
    else if ((idle + other) * pue >= budget)
      rc = rs_scenario_err(run->sc, err, "power.site_budget_mw",
                           "expected more than %.6g MW, what site %d draws at full load with its %d GPUs capped "
                           "down to their idle power (power supplies at %g, PUE %g), got '%g'",
                           (idle + other) * pue / 1e6, s, p->site_gpus[s], p->psu, p->pue[s], budget / 1e6);
    else if (budget / pue - other < *frac * gpu)
      *frac = (budget / pue - other) / gpu;
  }
  free(w);
  return rc;
}

/* A capped GPU host draws at most its cap when busy: its wattage_per_state (Idle:OneCore:AllCores)
 * becomes idle:cap:cap. SimGrid's energy plugin reads the property when it first accounts the host,
 * so this must run before the simulation does. */
static void cap_hosts(const rs_platform_t* pl)
{
  for (int g = 0; g < pl->n_gpus; g++) {
    const rs_gpu_model_t* m = pl->gpus[g].model;
    if (m->cap_watts <= 0)
      continue;
    char buf[96];
    snprintf(buf, sizeof buf, "%.17g:%.17g:%.17g", m->idle_watts, m->cap_watts, m->cap_watts);
    sg_host_set_property_value(pl->gpus[g].host, "wattage_per_state", buf);
  }
}

int rs_run_power_check(const rs_run_t* run, rs_err_t* err)
{
  const rs_platform_t* pl = run->plat;
  const rs_sc_power_t* c  = &run->sc->power;
  for (int i = 0; i < pl->n_models; i++)
    if (c->gpu_cap_w > 0 && cap_model(run, &pl->models[i], c->gpu_cap_w, "power.gpu_cap_w", err) != RS_OK)
      return RS_ERR;
  double frac = 1;
  if (c->site_budget_mw > 0 && budget_fraction(run, c->site_budget_mw * 1e6, &frac, err) != RS_OK)
    return RS_ERR;
  for (int i = 0; i < pl->n_models && frac < 1; i++) {
    rs_gpu_model_t* m = &pl->models[i];
    if (cap_model(run, m, frac * rs_gpu_busy_watts(m), "power.site_budget_mw", err) != RS_OK)
      return RS_ERR;
  }
  cap_hosts(pl);
  return RS_OK;
}

/* ---- readings ------------------------------------------------------------------------------------ */

/* Where window w's parts at site begin in p->j and p->added_j. */
static size_t window_at(const rs_power_t* p, int w, int site)
{
  return ((size_t)w * p->n_sites + site) * N_PARTS;
}

static double* window_j(const rs_power_t* p, int w, int site)
{
  return p->j + window_at(p, w, site);
}

/* Two neighbouring windows become one, so that power.csv stays under RS_POWER_MAX_WINDOWS rows per site. */
static void merge_pairs(rs_power_t* p)
{
  int n = p->n_win / 2;
  for (int w = 0; w < n; w++) {
    p->t0[w] = p->t0[2 * w];
    for (int s = 0; s < p->n_sites; s++)
      for (int k = 0; k < N_PARTS; k++)
        window_j(p, w, s)[k] = window_j(p, 2 * w, s)[k] + window_j(p, 2 * w + 1, s)[k];
    for (int c = 0; p->classes && c < RS_LINK_CLASS_COUNT; c++)
      p->classes->bytes[(size_t)w * RS_LINK_CLASS_COUNT + c] =
          p->classes->bytes[(size_t)2 * w * RS_LINK_CLASS_COUNT + c] +
          p->classes->bytes[(size_t)(2 * w + 1) * RS_LINK_CLASS_COUNT + c];
  }
  p->n_win = n;
  p->window *= 2;
}

/* Closes the window from t_last to now: every host's joules since the last reading, the ports'. */
static void read_window(rs_power_t* p, double now)
{
  const rs_platform_t* pl = p->run->plat;
  double dt               = now - p->t_last;
  if (!(dt > 0))
    return;
  if (p->n_win == p->cap_win) {
    p->cap_win = p->cap_win ? 2 * p->cap_win : 64;
    p->j       = xbt_realloc(p->j, (size_t)p->cap_win * p->n_sites * N_PARTS * sizeof(double));
    p->t0      = xbt_realloc(p->t0, (size_t)p->cap_win * sizeof(double));
    if (p->classes)
      p->classes->bytes = xbt_realloc(p->classes->bytes, (size_t)p->cap_win * RS_LINK_CLASS_COUNT * sizeof(double));
  }
  int w    = p->n_win++;
  p->t0[w] = p->t_last;
  memset(window_j(p, w, 0), 0, (size_t)p->n_sites * N_PARTS * sizeof(double));
  for (int k = 0; k < p->n_stands; k++)
    p->stands[k].live_j = 0;
  for (int g = 0; g < pl->n_gpus; g++) {
    if (p->role[g] == -2)
      continue;
    double e = sg_host_get_consumed_energy(pl->gpus[g].host), d = e - p->gpu_last[g];
    p->gpu_last[g] = e;
    window_j(p, w, pl->gpus[g].site)[PART_GPU] += d;
    if (p->role[g] >= 0)
      p->stands[p->role[g]].live_j += d;
  }
  for (int k = 0; k < p->n_stands; k++)
    for (int s = 0; s < p->n_sites; s++)
      window_j(p, w, s)[PART_GPU] += p->stands[k].stood_per_site[s] * p->stands[k].live_j / p->stands[k].n_live;
  for (int i = 0; i < pl->n_cpus; i++) {
    if (isnan(p->cpu_last[i]))
      continue;
    double e = sg_host_get_consumed_energy(pl->cpus[i].host);
    window_j(p, w, pl->cpus[i].site)[PART_CPU] += e - p->cpu_last[i];
    p->cpu_last[i] = e;
  }
  for (int k = 0; k < p->n_links; k++) {
    power_link_t* l = &p->links[k];
    double b = l->count ? *l->count : 0, util = fmin(1, (b - l->last_bytes) / (l->capacity * dt));
    l->last_bytes       = b;
    double joules       = l->ports * l->share * (l->idle_w + l->dyn_w * util) * dt;
    const double* share = l->by_fleet ? p->fleet_share : p->gpu_share;
    for (int s = 0; s < p->n_sites; s++)
      window_j(p, w, s)[PART_NET] += joules * share[s];
  }
  for (int s = 0; s < p->n_sites; s++)
    window_j(p, w, s)[PART_OVERHEAD] = p->overhead_w[s] * dt;
  if (p->classes)
    class_meter_read(p->classes, w);
  p->t_last = now;
  if (p->n_win >= RS_POWER_MAX_WINDOWS)
    merge_pairs(p);
}

/* read_window at the clock, for rs_run__in_kernel. */
static void read_window_now(void* p)
{
  read_window(p, simgrid_get_clock());
}

/* Reads every window's end until the run ends (a daemon: the run does not wait for it). Each reading
 * runs in the kernel, one simcall for all the hosts instead of one per host (power_sg.cpp). */
static void power_sampler(int argc, char** argv)
{
  rs_power_t* p = sg_actor_self_get_data();
  sg_actor_daemonize(sg_actor_self());
  for (;;) {
    sg_actor_sleep_until(p->t_last + p->window);
    rs_run__in_kernel(read_window_now, p);
  }
}

void rs_run_power_start(rs_run_t* run)
{
  rs_power_t* p = run->power;
  sg_host_t h   = run->plat->n_gpus ? run->plat->gpus[0].host : run->plat->cpus[0].host;
  sg_actor_t a  = sg_actor_init("power-sampler", h);
  sg_actor_set_data(a, p);
  sg_actor_start(a, power_sampler, 0, NULL);
}

/* ---- after the run -------------------------------------------------------------------------------- */

static double window_end(const rs_power_t* p, int w)
{
  return w + 1 < p->n_win ? p->t0[w + 1] : p->t_end;
}

/* The DC load's joules: what the parts draw behind the power supplies. */
static double dc_j(const double* j)
{
  return j[PART_GPU] + j[PART_CPU] + j[PART_NET] + j[PART_OVERHEAD];
}

static const rs_col_t power_cols[] = {
    {"start_s", RS_COL_NUM}, {"end_s", RS_COL_NUM}, {"site", RS_COL_INT}, {"scope", RS_COL_TEXT}, {"kw", RS_COL_NUM},
};
static const rs_col_t summary_cols[] = {
    {"site", RS_COL_TEXT},   {"scope", RS_COL_TEXT}, {"energy_mwh", RS_COL_NUM}, {"mean_mw", RS_COL_NUM},
    {"peak_mw", RS_COL_NUM}, {"min_mw", RS_COL_NUM}, {"swing_mw", RS_COL_NUM},   {"window_s", RS_COL_NUM},
};
static const rs_col_t link_windows_cols[] = {
    {"start_s", RS_COL_NUM}, {"end_s", RS_COL_NUM},       {"class", RS_COL_TEXT},
    {"bytes", RS_COL_NUM},   {"bytes_per_s", RS_COL_NUM}, {"utilisation", RS_COL_NUM},
};
#define N_COLS(c) ((int)(sizeof c / sizeof c[0]))

/* Scopes as power.csv names them: the four parts (the DC load), then psu (what the power supplies lose
 * converting it), it (the two together: what the servers draw at the wall) and facility (it x PUE). */
enum { SCOPE_PSU = N_PARTS, SCOPE_IT, SCOPE_FACILITY, N_SCOPES };
static const char* scope_name(int k)
{
  static const char* const names[] = {"psu", "it", "facility"};
  return k < N_PARTS ? part_names[k] : names[k - N_PARTS];
}

/* Joules at the wall for dc joules of DC load. */
static double wall_j(const rs_power_t* p, double dc)
{
  return dc / p->psu;
}

/* Joules of scope k in window w at site s (s = -1: every site). */
static double joules(const rs_power_t* p, int w, int s, int k)
{
  if (s < 0) {
    double sum = 0;
    for (int t = 0; t < p->n_sites; t++)
      sum += joules(p, w, t, k);
    return sum;
  }
  const double* read  = window_j(p, w, s);
  const double* added = p->added_j ? p->added_j + window_at(p, w, s) : NULL;
  double j[N_PARTS];
  for (int q = 0; q < N_PARTS; q++)
    j[q] = read[q] + (added ? added[q] : 0);
  if (k < N_PARTS)
    return j[k];
  double dc = dc_j(j);
  return k == SCOPE_PSU ? wall_j(p, dc) - dc : k == SCOPE_IT ? wall_j(p, dc) : wall_j(p, dc) * p->pue[s];
}

/* One site's (or every site's, s = -1) figures of scope k over the windows. */
typedef struct power_stats {
  double joules, mean_w, peak_w, min_w;
} power_stats_t;

static power_stats_t stats(const rs_power_t* p, int s, int k)
{
  power_stats_t st = {0, NAN, NAN, NAN};
  for (int w = 0; w < p->n_win; w++) {
    double len = window_end(p, w) - p->t0[w], j = joules(p, w, s, k), watts = j / len;
    st.joules += j;
    /* the run's last window may be a sliver (its last collective, say): peaks and swings are over
     * windows of at least half the window, unless there are no others */
    if (len < 0.5 * p->window && p->n_win > 1)
      continue;
    st.peak_w = isnan(st.peak_w) ? watts : fmax(st.peak_w, watts);
    st.min_w  = isnan(st.min_w) ? watts : fmin(st.min_w, watts);
  }
  if (p->n_win > 0 && p->t_end > p->t0[0])
    st.mean_w = st.joules / (p->t_end - p->t0[0]);
  return st;
}

static void write_stats(rs_table_t* t, const rs_power_t* p, int s, int k)
{
  power_stats_t st = stats(p, s, k);
  char site[16];
  snprintf(site, sizeof site, "%d", s);
  rs_cell_text(t, s < 0 ? "all" : site);
  rs_cell_text(t, scope_name(k));
  rs_cell_num(t, st.joules / 3.6e9);
  rs_cell_num(t, st.mean_w / 1e6);
  rs_cell_num(t, st.peak_w / 1e6);
  rs_cell_num(t, st.min_w / 1e6);
  rs_cell_num(t, (st.peak_w - st.min_w) / 1e6);
  rs_cell_num(t, p->window);
  rs_row_end(t);
}

/* link_windows.csv: per window, each class the platform has: its bytes over its capacity. */
static int write_link_windows(rs_run_t* run, const rs_power_t* p, rs_err_t* err)
{
  const class_meter_t* m = p->classes;
  rs_table_t* t          = rs_run_table(run, "link_windows", link_windows_cols, N_COLS(link_windows_cols), err);
  if (t == NULL)
    return RS_ERR;
  for (int w = 0; w < p->n_win; w++)
    for (int c = 0; c < RS_LINK_CLASS_COUNT; c++) {
      if (!(m->capacity[c] > 0))
        continue;
      double len = window_end(p, w) - p->t0[w], b = m->bytes[(size_t)w * RS_LINK_CLASS_COUNT + c];
      rs_cell_num(t, p->t0[w]);
      rs_cell_num(t, window_end(p, w));
      rs_cell_text(t, rs_link_class_name(c));
      rs_cell_num(t, b);
      rs_cell_num(t, b / len);
      rs_cell_num(t, b / (m->capacity[c] * len));
      rs_row_end(t);
    }
  return RS_OK;
}

/* Adds w watts of part q at site s over [a, b] to the windows' joules added after the run. */
static void add_after(rs_power_t* p, int s, int q, double a, double b, double w)
{
  if (p->added_j == NULL)
    p->added_j = xbt_new0(double, (size_t)(p->n_win ? p->n_win : 1) * p->n_sites * N_PARTS);
  int lo = 0, hi = p->n_win; /* the first window that ends after a */
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (window_end(p, mid) <= a)
      lo = mid + 1;
    else
      hi = mid;
  }
  for (int k = lo; k < p->n_win && p->t0[k] < b; k++) {
    double from = fmax(a, p->t0[k]), to = fmin(b, window_end(p, k));
    if (to > from)
      p->added_j[window_at(p, k, s) + q] += w * (to - from);
  }
}

/* After the run, apart from the readings (so that a workload's share of its site's other power, other_j,
 * does not spread one job's spares over the others): spare servers draw their idle power over their
 * workload's span, at its first GPU's site; the busy segments a fast path stated go to their GPUs' sites. */
static void add_spares_and_busy(rs_power_t* p)
{
  const rs_run_t* run = p->run;
  for (int i = 0; i < run->sc->n_workloads; i++) {
    const rs_wl_row_t* r = &run->wls[i].row;
    double w[N_PARTS];
    if (!(spare_w(p, i, w) > 0))
      continue;
    int s = run->plat->gpus[run->sc->workloads[i].first_gpu].site;
    for (int q = 0; q < N_PARTS; q++)
      add_after(p, s, q, r->start_s, r->end_s, w[q]);
  }
  const rs_gpu_t* gpus = run->plat->gpus;
  for (int k = 0; k < p->n_busy; k++) {
    const busy_t* b = &p->busy[k];
    int from = b->first, end = b->first + b->n;
    for (int g = b->first; g < end; g++) /* each run of GPUs at one site, its share */
      if (g + 1 == end || gpus[g + 1].site != gpus[g].site) {
        add_after(p, gpus[g].site, PART_GPU, b->t0, b->t1, b->watts * (g + 1 - from) / b->n);
        from = g + 1;
      }
  }
}

void rs_run_power_add_busy(rs_run_t* run, int first, int n, double t0, double t1, double watts)
{
  rs_power_t* p = run->power;
  if (p == NULL || n <= 0 || !(t1 > t0) || !(watts > 0))
    return;
  if (p->n_busy == p->cap_busy) {
    p->cap_busy = p->cap_busy ? 2 * p->cap_busy : 64;
    p->busy     = xbt_realloc(p->busy, (size_t)p->cap_busy * sizeof *p->busy);
  }
  p->busy[p->n_busy++] = (busy_t){first, n, t0, t1, watts};
}

int rs_run_power_finish(rs_run_t* run, rs_err_t* err)
{
  rs_power_t* p = run->power;
  p->t_end      = simgrid_get_clock();
  read_window(p, p->t_end);
  add_spares_and_busy(p);
  p->finished   = 1;
  rs_table_t* t = rs_run_table(run, "power", power_cols, N_COLS(power_cols), err);
  rs_table_t* u = t ? rs_run_table(run, "power_summary", summary_cols, N_COLS(summary_cols), err) : NULL;
  if (u == NULL)
    return RS_ERR;
  for (int w = 0; w < p->n_win; w++)
    for (int s = 0; s < p->n_sites; s++)
      for (int k = 0; k < N_SCOPES; k++) {
        rs_cell_num(t, p->t0[w]);
        rs_cell_num(t, window_end(p, w));
        rs_cell_int(t, s);
        rs_cell_text(t, scope_name(k));
        rs_cell_num(t, joules(p, w, s, k) / (window_end(p, w) - p->t0[w]) / 1e3);
        rs_row_end(t);
      }
  for (int s = p->n_sites > 1 ? -1 : 0; s < p->n_sites; s++)
    for (int k = 0; k < N_SCOPES; k++)
      write_stats(u, p, s, k);
  return p->classes ? write_link_windows(run, p, err) : RS_OK;
}

/* ---- a workload's energy and cost (summary.csv) ---------------------------------------------------- */

/* The price of one GPU-hour of model m: the scenario's, else the type's default; NAN when none. */
static double gpu_price(const rs_sc_power_t* c, const rs_gpu_model_t* m)
{
  if (c->usd_per_gpu_hour > 0)
    return c->usd_per_gpu_hour;
  const rs_hw_power_t* hp = rs_hw_power(m->name);
  return hp && hp->usd_per_gpu_hour > 0 ? hp->usd_per_gpu_hour : NAN;
}

/* What `hosts` CPU fleet hosts of `cores` cores in all cost per hour: per instance-hour, else per
 * core-hour; NAN when there are none or neither price is given. */
static double cpu_usd_per_hour(const rs_sc_power_t* c, int hosts, double cores)
{
  if (hosts <= 0)
    return NAN;
  if (c->usd_per_cpu_host_hour > 0)
    return hosts * c->usd_per_cpu_host_hour;
  if (c->usd_per_cpu_core_hour > 0)
    return cores * c->usd_per_cpu_core_hour;
  return NAN;
}

/* What a CPU workload's fleet hosts cost over its span; NAN when unpriced (agentic pools; their power
 * is in power.csv's cpu scope). */
static double cpu_cost(const rs_sc_power_t* c, const rs_wl_row_t* r)
{
  double hours = (r->end_s - r->start_s) / 3600;
  return cpu_usd_per_hour(c, r->cpu_hosts, r->cpu_cores) * hours;
}

/* DC joules at site s that are not a GPU's (CPUs, network, overhead) over [from, to]. */
static double other_j(const rs_power_t* p, int s, double from, double to)
{
  double sum = 0;
  for (int w = 0; w < p->n_win; w++) {
    double a = fmax(from, p->t0[w]), b = fmin(to, window_end(p, w));
    if (b > a) {
      const double* j = window_j(p, w, s);
      sum += (dc_j(j) - j[PART_GPU]) * (b - a) / (window_end(p, w) - p->t0[w]);
    }
  }
  return sum;
}

rs_power_wl_t rs_run_power_wl(const rs_run_t* run, int i)
{
  const rs_power_t* p    = run->power;
  const rs_wl_row_t* r   = &run->wls[i].row;
  const rs_sc_power_t* c = &run->sc->power;
  rs_power_wl_t o        = {NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN};
  if (p == NULL || !p->finished)
    return o;
  if (r->gpus <= 0) {
    o.cost_usd = cpu_cost(c, r);
    if (r->tokens > 0)
      o.usd_per_million_tokens = o.cost_usd / r->tokens * 1e6;
    return o;
  }
  int first = run->sc->workloads[i].first_gpu;
  double it = 0, fac = 0, dur = r->end_s - r->start_s, usd = 0;
  for (int s = 0; s < p->n_sites; s++) {
    int here = 0;
    for (int g = first; g < first + r->gpus && g < run->plat->n_gpus; g++)
      here += run->plat->gpus[g].site == s;
    if (here == 0)
      continue;
    double gpu_part = r->energy_j * here / r->gpus;
    double others   = other_j(p, s, r->start_s, r->end_s) * here / p->site_gpus[s];
    double wall     = wall_j(p, gpu_part + others);
    it += wall;
    fac += wall * p->pue[s];
    usd += wall * p->pue[s] / 3.6e6 * p->usd_per_kwh[s];
  }
  double sw[N_PARTS], spare = wall_j(p, spare_w(p, i, sw) * dur); /* its spare servers, idle over its span */
  if (spare > 0) {
    int s = run->plat->gpus[first].site;
    it += spare;
    fac += spare * p->pue[s];
    usd += spare * p->pue[s] / 3.6e6 * p->usd_per_kwh[s];
  }
  double cost = 0;
  for (int g = first; g < first + r->gpus && g < run->plat->n_gpus; g++)
    cost += gpu_price(c, run->plat->gpus[g].model) * dur / 3600;
  if (r->spare_gpus > 0 && first < run->plat->n_gpus) /* spare servers are of the job's GPU type */
    cost += r->spare_gpus * gpu_price(c, run->plat->gpus[first].model) * dur / 3600;
  o.energy_gpu_kwh      = r->energy_j / 3.6e6;
  o.energy_it_kwh       = it / 3.6e6;
  o.energy_facility_kwh = fac / 3.6e6;
  o.energy_cost_usd     = usd;
  o.cost_usd            = cost;
  if (r->tokens > 0) {
    o.joules_per_token_it       = it / r->tokens;
    o.joules_per_token_facility = fac / r->tokens;
    o.usd_per_million_tokens    = cost / r->tokens * 1e6;
  }
  return o;
}

/* ---- the lines a person reads --------------------------------------------------------------------- */

void rs_run_power_report(const rs_run_t* run, FILE* fp)
{
  const rs_power_t* p = run->power;
  if (p == NULL || !p->finished)
    return;
  for (int s = p->n_sites > 1 ? -1 : 0; s < p->n_sites; s++) {
    power_stats_t it = stats(p, s, SCOPE_IT), fac = stats(p, s, SCOPE_FACILITY);
    char site[24];
    snprintf(site, sizeof site, s < 0 ? "every site" : "site %d", s);
    fprintf(fp,
            "  power, %s (windows of %g s): IT mean %.4g MW, peak %.4g MW, swing %.4g MW, %.4g MWh; facility mean "
            "%.4g MW, peak %.4g MW, %.4g MWh\n",
            site, p->window, it.mean_w / 1e6, it.peak_w / 1e6, (it.peak_w - it.min_w) / 1e6, it.joules / 3.6e9,
            fac.mean_w / 1e6, fac.peak_w / 1e6, fac.joules / 3.6e9);
  }
  const rs_sc_power_t* c = &run->sc->power;
  double cost = 0, hours = p->t_end / 3600;
  int priced = 1;
  for (int g = 0; g < run->plat->n_gpus; g++) {
    double price = gpu_price(c, run->plat->gpus[g].model);
    priced &= !isnan(price);
    cost += isnan(price) ? 0 : price * hours;
  }
  int fleet = 0, fleet_cores = 0;
  for (int i = 0; i < run->plat->n_cpus; i++)
    if (run->plat->cpus[i].rack < 0) {
      fleet++;
      fleet_cores += run->plat->cpus[i].cores;
    }
  double fleet_usd_h = cpu_usd_per_hour(c, fleet, fleet_cores);
  if (!isnan(fleet_usd_h))
    cost += fleet_usd_h * hours;
  if (run->plat->n_gpus > 0 && !priced)
    fprintf(fp, "  cost: no price for %s GPUs (set pricing.usd_per_gpu_hour)\n", run->plat->gpus[0].model->name);
  else
    fprintf(fp, "  cost of the whole platform over the run (%.4g h, every GPU%s paid): $%.6g\n", hours,
            isnan(fleet_usd_h) ? "" : " and CPU fleet host", cost);
}
