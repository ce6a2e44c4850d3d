/* gen_hosts.c -- the host table of a generated platform: what each host's rs.* properties say, kept
 * as a few numbers per host instead of a dozen SimGrid property strings (1.5 million hosts at 1,048,576
 * GPUs), and read by the index through the same rs_host_view_t as a loaded file's hosts. Each string a
 * property returns is formatted once, exactly as rs_platgen_write writes it, so the index reads the
 * same figures from a built platform as from its XML. See LICENSE. */
#include "hw/hw_int.h"

#include <simgrid/host.h>
#include <stdlib.h>
#include <string.h>
#include <xbt/sysdep.h>

rs_gen_t* rs_hw__gen_new(const rs_platgen_spec_t* sp)
{
  const rs_hw_server_t* s = sp->server;
  const rs_hw_gpu_t* g    = s->gpu;
  rs_gen_t* t             = xbt_new0(rs_gen_t, 1);
  /* numbers a property states: servers over all sites (domain, rack), positions, pods, sites */
  long long most = (long long)sp->sites * sp->servers;
  if (most < s->gpus)
    most = s->gpus;
  if (most < sp->sites)
    most = sp->sites;
  t->n_num = (int)most + 1;
  t->num   = xbt_malloc((size_t)t->n_num * sizeof *t->num);
  for (int i = 0; i < t->n_num; i++)
    snprintf(t->num[i], sizeof t->num[i], "%d", i);
  t->gpu_model   = g->model;
  t->cpu_model   = s->cpu->model;
  t->fleet_model = sp->fleet_cpu ? sp->fleet_cpu->model : NULL;
  double figs[RS_HW_GPU_FIGS];
  rs_hw__gpu_figs(g, figs);
  for (int i = 0; i < RS_HW_GPU_FIGS; i++)
    snprintf(t->gpu_fig[i], sizeof t->gpu_fig[i], "%g", figs[i]);
  rs_hw__gpu_watts(t->gpu_watts, sizeof t->gpu_watts, g);
  t->cpu_states_watts = rs_hw__cpu_watts(t->cpu_watts, sizeof t->cpu_watts, s->cpu);
  snprintf(t->cpu_mem, sizeof t->cpu_mem, "%g", s->cpu->mem_gbytes);
  if (sp->fleet_cpu) {
    t->fleet_states_watts = rs_hw__cpu_watts(t->fleet_watts, sizeof t->fleet_watts, sp->fleet_cpu);
    snprintf(t->fleet_mem, sizeof t->fleet_mem, "%g", sp->fleet_cpu->mem_gbytes);
  }
  snprintf(t->storage_nic, sizeof t->storage_nic, "%g", sp->storage_gbits_per_s);
  return t;
}

void rs_hw__gen_add(rs_gen_t* t, rs_gen_host_t h)
{
  if (t->n_hosts == t->cap) {
    t->cap   = t->cap ? 2 * t->cap : 1024;
    t->hosts = xbt_realloc(t->hosts, t->cap * sizeof *t->hosts);
  }
  h.gen                  = t;
  t->hosts[t->n_hosts++] = h;
}

void rs_hw__gen_free(rs_gen_t* t)
{
  if (t == NULL)
    return;
  free(t->hosts);
  free(t->num);
  free(t);
}

/* A GPU's properties (write_gpu). The model's figures are on the first GPU of each server only. */
static const char* gpu_prop(const rs_gen_host_t* h, const char* key)
{
  const rs_gen_t* t = h->gen;
  if (strcmp(key, "rs.model") == 0)
    return t->gpu_model;
  if (strcmp(key, "rs.domain") == 0 || strcmp(key, "rs.rack") == 0)
    return t->num[h->us];
  if (strcmp(key, "rs.local") == 0)
    return t->num[h->local];
  if (strcmp(key, "rs.pod") == 0)
    return t->num[h->pod];
  if (strcmp(key, "rs.cpu") == 0)
    return h->cpu >= 0 ? sg_host_get_name(t->hosts[h->cpu].host) : NULL;
  if (strcmp(key, "wattage_per_state") == 0)
    return t->gpu_watts;
  for (int i = 0; h->local == 0 && i < RS_HW_GPU_FIGS; i++)
    if (strcmp(key, rs_hw__gpu_fig_keys[i]) == 0)
      return t->gpu_fig[i];
  return NULL;
}

/* A CPU's properties (write_cpu): a server's CPUs stand in its rack, a fleet's in none. */
static const char* cpu_prop(const rs_gen_host_t* h, const char* key)
{
  const rs_gen_t* t = h->gen;
  int fleet         = h->role == RS_GEN_FLEET;
  if (strcmp(key, "rs.model") == 0)
    return fleet ? t->fleet_model : t->cpu_model;
  if (strcmp(key, "rs.mem_gbytes") == 0)
    return fleet ? t->fleet_mem : t->cpu_mem;
  if (strcmp(key, "rs.rack") == 0)
    return fleet ? NULL : t->num[h->us];
  if (strcmp(key, "wattage_per_state") == 0 && (fleet ? t->fleet_states_watts : t->cpu_states_watts))
    return fleet ? t->fleet_watts : t->cpu_watts;
  return NULL;
}

/* A storage host's properties (write_storage): its NIC's bandwidth; no power stated. */
static const char* storage_prop(const rs_gen_host_t* h, const char* key)
{
  return strcmp(key, "rs.nic_gbits_per_s") == 0 ? h->gen->storage_nic : NULL;
}

static const char* gen_prop(const rs_host_view_t* v, const char* key)
{
  const rs_gen_host_t* h = v->data;
  if (strcmp(key, "rs.role") == 0)
    return h->role == RS_GEN_GPU ? "gpu" : h->role == RS_GEN_STORAGE ? "storage" : "cpu";
  if (strcmp(key, "rs.site") == 0)
    return h->gen->num[h->site];
  if (h->role == RS_GEN_STORAGE)
    return storage_prop(h, key);
  if (strcmp(key, "wattage_off") == 0) /* every host stating wattage_per_state states 0 W off */
    return (h->role == RS_GEN_GPU ? gpu_prop(h, "wattage_per_state") : cpu_prop(h, "wattage_per_state")) ? "0" : NULL;
  return h->role == RS_GEN_GPU ? gpu_prop(h, key) : cpu_prop(h, key);
}

rs_host_view_t* rs_hw__gen_views(const rs_gen_t* t)
{
  rs_host_view_t* v = xbt_new0(rs_host_view_t, t->n_hosts ? t->n_hosts : 1);
  for (size_t i = 0; i < t->n_hosts; i++) {
    sg_host_t host = t->hosts[i].host;
    v[i]           = (rs_host_view_t){.host  = host,
                                      .name  = sg_host_get_name(host),
                                      .speed = sg_host_get_speed(host),
                                      .cores = sg_host_core_count(host),
                                      .prop  = gen_prop,
                                      .data  = &t->hosts[i]};
  }
  return v;
}
