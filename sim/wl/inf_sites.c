/* inf_sites.c -- an inference service over several sites (regions or cloud providers): each request
 * has a home site, and the router serves it there while a replica of that site is up; when none is
 * (a site or provider outage) it fails over to the nearest site with a replica up (the lowest WAN
 * latency from its home, the lower site number among equals), and a request served away from home
 * pays the WAN's round trip (the prompt goes out, the tokens come back) on its first token and its
 * last. Homes are spread over the sites as their replicas are (request i's is that of replica i mod
 * the replica count), so each site's load matches its capacity. Mixed replicas only: disaggregated
 * serving routes as on one site. See LICENSE. */
#include "wl/inf_int.h"

#include <math.h>
#include <simgrid/host.h>
#include <stdlib.h>
#include <xbt/sysdep.h>

/* The site of replica r: its first GPU's. */
static int site_of(const rs_inf_wl_t* w, int r)
{
  return w->reps[r].gpus[0]->site;
}

void rs_inf__sites_start(rs_inf_wl_t* w)
{
  int n = w->n_replicas, runs = 1;
  if (w->cfg->prefill_replicas > 0 || n == 0)
    return;
  for (int r = 1; r < n; r++)
    runs += site_of(w, r) != site_of(w, r - 1); /* replicas follow the GPUs' order: site by site */

  if (runs < 2)
    return;
  w->n_sites    = runs;
  w->site_pools = xbt_new0(rs_inf_pool_t, runs);
  w->rep_site   = xbt_new(int, n);
  for (int r = 0, s = 0; r < n; r++) {
    if (r > 0 && site_of(w, r) != site_of(w, r - 1))
      w->site_pools[++s].lo = r;
    w->site_pools[s].hi = r + 1;
    w->rep_site[r]      = s;
  }
  w->wan_rtt = xbt_new(double, runs* runs);
  for (int k = 0; k < runs * runs; k++)
    w->wan_rtt[k] = NAN; /* found on first use, from an actor (SimGrid routes only there) */
}

/* The round trip between site pools a and b: their first replicas' route latency both ways, found on
 * first use (from an actor: SimGrid routes only there). */
static double site_rtt(rs_inf_wl_t* w, int a, int b)
{
  double* rtt = &w->wan_rtt[a * w->n_sites + b];
  if (isnan(*rtt))
    *rtt = a == b ? 0
                  : 2 * sg_host_get_route_latency(w->reps[w->site_pools[a].lo].gpus[0]->host,
                                                  w->reps[w->site_pools[b].lo].gpus[0]->host);
  return *rtt;
}

/* The site pool nearest home with a replica up: the lowest round trip, the first in site order among
 * equals (site pools follow the platform's site numbers); -1 when every site is down. */
static int nearest_up(rs_inf_wl_t* w, int home)
{
  int best = -1;
  for (int s = 0; s < w->n_sites; s++)
    if (!rs_inf__pool_all_down(&w->router, &w->site_pools[s]) &&
        (best < 0 || site_rtt(w, home, s) < site_rtt(w, home, best)))
      best = s;
  return best;
}

rs_inf_pool_t* rs_inf__pool_for(rs_inf_wl_t* w, int i)
{
  if (w->n_sites == 0)
    return &w->pools[0];
  int home = w->rep_site[i % w->n_replicas];
  if (w->router.down == NULL || !rs_inf__pool_all_down(&w->router, &w->site_pools[home]))
    return &w->site_pools[home];
  int near = nearest_up(w, home);
  return near >= 0 ? &w->site_pools[near] : &w->pools[0]; /* every site down: requests wait for a repair */
}

double rs_inf__wan_s(rs_inf_wl_t* w, int i, int r)
{
  return w->n_sites == 0 ? 0 : site_rtt(w, w->rep_site[i % w->n_replicas], w->rep_site[r]);
}
