/* run_meter.c -- part of the run module: what the hardware did over a run. links.csv: bytes and
 * average utilisation per link class (NVLink, C2C, NICs, leaf uplinks, WAN...) and optionally per
 * link, from the counts and classes of platform.h (nothing here reads link names). Energy: joules
 * from SimGrid's host energy plugin. See LICENSE. */
#include "run/run.h"
#include "run/run_int.h"

#include <math.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/link.h>
#include <simgrid/plugins/energy.h>
#include <stdlib.h>
#include <string.h>
#include <xbt/sysdep.h>

static const rs_col_t links_cols[] = {
    {"class", RS_COL_TEXT},          {"link", RS_COL_TEXT},
    {"links", RS_COL_INT},           {"capacity_bytes_per_s", RS_COL_NUM},
    {"bytes", RS_COL_NUM},           {"avg_bytes_per_s", RS_COL_NUM},
    {"avg_utilisation", RS_COL_NUM}, {"max_link_utilisation", RS_COL_NUM},
};

/* What a class of links, or one link, carried over the run. */
typedef struct link_use {
  int links;
  double capacity; /* bytes/s per direction, summed over the links */
  double bytes;
  double max_util; /* average utilisation of the busiest link */
} link_use_t;

int rs_run__cmp_link_name(const void* a, const void* b)
{
  return strcmp(sg_link_get_name(*(const sg_link_t*)a), sg_link_get_name(*(const sg_link_t*)b));
}

static double utilisation(double bytes, double capacity, double duration)
{
  return duration > 0 && capacity > 0 ? bytes / (capacity * duration) : NAN;
}

static link_use_t measure(const_sg_link_t l, double duration)
{
  link_use_t u = {1, sg_link_get_bandwidth(l), rs_net_link_bytes(l), 0};
  u.max_util   = utilisation(u.bytes, u.capacity, duration);
  return u;
}

static void add_use(link_use_t* sum, const link_use_t* u)
{
  sum->max_util = sum->links == 0 ? u->max_util : fmax(sum->max_util, u->max_util);
  sum->links += u->links;
  sum->capacity += u->capacity;
  sum->bytes += u->bytes;
}

static void write_use(rs_table_t* t, rs_link_class_t cls, const char* link, const link_use_t* u, double duration)
{
  rs_cell_text(t, rs_link_class_name(cls));
  if (link)
    rs_cell_text(t, link);
  else
    rs_cell_empty(t);
  rs_cell_int(t, u->links);
  rs_cell_num(t, u->capacity);
  rs_cell_num(t, u->bytes);
  rs_cell_num(t, duration > 0 ? u->bytes / duration : NAN);
  rs_cell_num(t, utilisation(u->bytes, u->capacity, duration));
  rs_cell_num(t, u->max_util);
  rs_row_end(t);
}

int rs_run_links_write(rs_run_t* run, rs_err_t* err)
{
  if (run->sc->outputs.links == RS_LINKS_NONE)
    return RS_OK;
  rs_table_t* t = rs_run_table(run, "links", links_cols, (int)(sizeof links_cols / sizeof links_cols[0]), err);
  if (t == NULL)
    return RS_ERR;
  double duration  = simgrid_get_clock();
  size_t n         = sg_link_count();
  sg_link_t* links = sg_link_list();
  qsort(links, n, sizeof *links, rs_run__cmp_link_name);
  link_use_t* uses = xbt_new(link_use_t, n);
  link_use_t sums[RS_LINK_CLASS_COUNT];
  memset(sums, 0, sizeof sums);
  for (size_t i = 0; i < n; i++) {
    uses[i] = measure(links[i], duration);
    add_use(&sums[rs_platform_link_class(sg_link_get_name(links[i]))], &uses[i]);
  }
  for (int c = 0; c < RS_LINK_CLASS_COUNT; c++)
    if (sums[c].links > 0)
      write_use(t, c, NULL, &sums[c], duration);
  for (size_t i = 0; i < n && run->sc->outputs.links == RS_LINKS_ALL; i++)
    write_use(t, rs_platform_link_class(sg_link_get_name(links[i])), sg_link_get_name(links[i]), &uses[i], duration);
  free(uses);
  free(links);
  return RS_OK;
}

/* ---- energy ------------------------------------------------------------------------------------ */

void rs_run_energy_init(void)
{
  sg_host_energy_plugin_init();
}

double rs_run_gpu_energy_j(const rs_gpu_t* const* gpus, int n)
{
  double joules = 0;
  for (int i = 0; i < n; i++)
    joules += sg_host_get_consumed_energy(gpus[i]->host);
  return joules;
}

double rs_run_energy_j(const rs_run_t* run)
{
  double joules = 0;
  for (int i = 0; i < run->plat->n_gpus; i++)
    joules += sg_host_get_consumed_energy(run->plat->gpus[i].host);
  for (int i = 0; i < run->plat->n_cpus; i++) /* the plugin aborts on a host without power figures */
    if (sg_host_get_property_value(run->plat->cpus[i].host, "wattage_per_state") != NULL)
      joules += sg_host_get_consumed_energy(run->plat->cpus[i].host);
  return joules;
}
