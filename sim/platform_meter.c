/* platform_meter.c -- part of the platform module: bytes carried by each link, counted from the
 * messages workloads send. Each link's data slot holds its count; each host's data slot holds the
 * routes it has sent on, so a route is looked up once per pair of hosts. Does not time anything:
 * SimGrid does. See LICENSE. */
#include "platform.h"
#include "platform_int.h"

#include <simgrid/host.h>
#include <simgrid/link.h>
#include <stdlib.h>
#include <xbt/dynar.h>
#include <xbt/sysdep.h>

/* The counters of the links from one host to another. */
typedef struct route {
  sg_host_t dst;
  int n;
  double** counts;
} route_t;

/* Routes a host has sent on so far: most hosts talk to a few peers, so a short list is enough. */
typedef struct sender {
  route_t* routes;
  int n, cap;
} sender_t;

struct rs_meter {
  double* counts; /* one per link, in sg_link_list order */
  size_t n_links;
  sender_t* senders; /* one per host, in sg_host_list order */
  size_t n_hosts;
  sg_host_t* hosts;
  sg_link_t* links;
};

void rs_platform_meter_start(rs_platform_t* p)
{
  if (p->meter != NULL)
    return;
  struct rs_meter* m = xbt_new0(struct rs_meter, 1);
  m->n_links         = sg_link_count();
  m->links           = sg_link_list();
  m->counts          = xbt_new0(double, m->n_links);
  for (size_t i = 0; i < m->n_links; i++)
    sg_link_set_data(m->links[i], &m->counts[i]);
  m->n_hosts = sg_host_count();
  m->hosts   = sg_host_list();
  m->senders = xbt_new0(sender_t, m->n_hosts);
  for (size_t i = 0; i < m->n_hosts; i++)
    sg_host_set_data(m->hosts[i], &m->senders[i]);
  p->meter = m;
}

/* The link counters of the route from src to dst, looked up in SimGrid the first time. */
static const route_t* route_to(sender_t* s, sg_host_t src, sg_host_t dst)
{
  for (int i = 0; i < s->n; i++)
    if (s->routes[i].dst == dst)
      return &s->routes[i];
  if (s->n == s->cap) {
    s->cap    = s->cap ? 2 * s->cap : 4;
    s->routes = xbt_realloc(s->routes, s->cap * sizeof *s->routes);
  }
  xbt_dynar_t links = xbt_dynar_new(sizeof(sg_link_t), NULL);
  sg_host_get_route(src, dst, links);
  route_t* r = &s->routes[s->n++];
  r->dst     = dst;
  r->n       = (int)xbt_dynar_length(links);
  r->counts  = xbt_new(double*, r->n);
  for (int i = 0; i < r->n; i++)
    r->counts[i] = sg_link_get_data(xbt_dynar_get_as(links, i, sg_link_t));
  xbt_dynar_free(&links);
  return r;
}

void rs_platform_count(sg_host_t src, sg_host_t dst, double bytes)
{
  sender_t* s = sg_host_get_data(src);
  if (s == NULL || src == dst)
    return;
  const route_t* r = route_to(s, src, dst);
  for (int i = 0; i < r->n; i++)
    if (r->counts[i] != NULL)
      *r->counts[i] += bytes;
}

double rs_platform_link_bytes(const_sg_link_t l)
{
  const double* count = sg_link_get_data(l);
  return count ? *count : 0;
}

void rs_platform__meter_free(rs_platform_t* p)
{
  struct rs_meter* m = p->meter;
  if (m == NULL)
    return;
  for (size_t i = 0; i < m->n_hosts; i++) {
    for (int k = 0; k < m->senders[i].n; k++)
      free(m->senders[i].routes[k].counts);
    free(m->senders[i].routes);
    sg_host_set_data(m->hosts[i], NULL);
  }
  for (size_t i = 0; i < m->n_links; i++)
    sg_link_set_data(m->links[i], NULL);
  free(m->senders);
  free(m->hosts);
  free(m->counts);
  free(m->links);
  free(m);
  p->meter = NULL;
}
