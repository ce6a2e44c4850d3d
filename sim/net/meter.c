/* meter.c -- part of the network layer: bytes carried by each link, counted by the one send path
 * (send.c) before it hands a message to SimGrid. Each link's data slot holds its count; each host's data slot holds the
 * routes it has sent on, so a route is looked up once per pair of hosts. Does not time anything:
 * SimGrid does. See LICENSE. */
#include "net/net_int.h"

#include <simgrid/host.h>
#include <simgrid/link.h>
#include <stdint.h>
#include <stdlib.h>
#include <xbt/dynar.h>
#include <xbt/sysdep.h>

/* The counters of the links from one host to another. */
typedef struct route {
  sg_host_t dst;
  int n;
  double** counts;
} route_t;

/* Routes a host has sent on so far, in an open-addressing hash table keyed by destination (a free
 * slot has dst NULL): an all-to-all sends to every peer, so a list scanned per message would not do. */
typedef struct sender {
  route_t* routes;
  int n, cap; /* cap is 0 or a power of two */
} sender_t;

struct rs_net_meter {
  double* counts; /* one per link, in sg_link_list order */
  size_t n_links;
  sender_t* senders; /* one per host, in sg_host_list order */
  size_t n_hosts;
  sg_host_t* hosts;
  sg_link_t* links;
};

rs_net_meter_t* rs_net_meter_start(void)
{
  rs_net_meter_t* m = xbt_new0(rs_net_meter_t, 1);
  m->n_links        = sg_link_count();
  m->links          = sg_link_list();
  m->counts         = xbt_new0(double, m->n_links);
  for (size_t i = 0; i < m->n_links; i++)
    sg_link_set_data(m->links[i], &m->counts[i]);
  m->n_hosts = sg_host_count();
  m->hosts   = sg_host_list();
  m->senders = xbt_new0(sender_t, m->n_hosts);
  for (size_t i = 0; i < m->n_hosts; i++)
    sg_host_set_data(m->hosts[i], &m->senders[i]);
  return m;
}

static size_t slot_of(const route_t* routes, int cap, sg_host_t dst)
{
  size_t mask = (size_t)cap - 1;
  size_t i    = ((uintptr_t)dst >> 4) * 0x9E3779B97F4A7C15ULL >> 16 & mask;
  while (routes[i].dst != NULL && routes[i].dst != dst)
    i = (i + 1) & mask;
  return i;
}

/* Doubles the table, keeping every route. */
static void grow(sender_t* s)
{
  int cap         = s->cap ? 2 * s->cap : 8;
  route_t* routes = xbt_new0(route_t, cap);
  for (int i = 0; i < s->cap; i++)
    if (s->routes[i].dst != NULL)
      routes[slot_of(routes, cap, s->routes[i].dst)] = s->routes[i];
  free(s->routes);
  s->routes = routes;
  s->cap    = cap;
}

/* The link counters of the route from src to dst, looked up in SimGrid the first time. */
static const route_t* route_to(sender_t* s, sg_host_t src, sg_host_t dst)
{
  if (s->cap != 0) {
    route_t* r = &s->routes[slot_of(s->routes, s->cap, dst)];
    if (r->dst == dst)
      return r;
  }
  if (2 * (s->n + 1) > s->cap)
    grow(s);
  xbt_dynar_t links = xbt_dynar_new(sizeof(sg_link_t), NULL);
  sg_host_get_route(src, dst, links);
  route_t* r = &s->routes[slot_of(s->routes, s->cap, dst)];
  s->n++;
  r->dst    = dst;
  r->n      = (int)xbt_dynar_length(links);
  r->counts = xbt_new(double*, r->n);
  for (int i = 0; i < r->n; i++)
    r->counts[i] = sg_link_get_data(xbt_dynar_get_as(links, i, sg_link_t));
  xbt_dynar_free(&links);
  return r;
}

void rs_net__count(sg_host_t src, sg_host_t dst, double bytes)
{
  sender_t* s = sg_host_get_data(src);
  if (s == NULL || src == dst)
    return;
  const route_t* r = route_to(s, src, dst);
  for (int i = 0; i < r->n; i++)
    if (r->counts[i] != NULL)
      *r->counts[i] += bytes;
}

void rs_net__count_spread(sg_host_t src, sg_host_t dst, double bytes, int k, const sg_link_t* ends)
{
  sender_t* s = sg_host_get_data(src);
  if (s == NULL || src == dst)
    return;
  const double* own[2] = {sg_link_get_data(ends[0]), sg_link_get_data(ends[1])}; /* src's and dst's */
  const route_t* r     = route_to(s, src, dst);
  for (int i = 0; i < r->n; i++)
    if (r->counts[i] != NULL && r->counts[i] != own[0] && r->counts[i] != own[1])
      *r->counts[i] += k * bytes;
  for (int i = 0; i < 2 * k; i++) {
    double* count = sg_link_get_data(ends[i]);
    if (count != NULL)
      *count += bytes;
  }
}

const double* rs_net_link_counter(const_sg_link_t l)
{
  return sg_link_get_data(l);
}

double rs_net_link_bytes(const_sg_link_t l)
{
  const double* count = rs_net_link_counter(l);
  return count ? *count : 0;
}

void rs_net_meter_free(rs_net_meter_t* m)
{
  if (m == NULL)
    return;
  for (size_t i = 0; i < m->n_hosts; i++) {
    for (int k = 0; k < m->senders[i].cap; k++)
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
}
