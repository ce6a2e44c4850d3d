/* platgen.h -- writes SimGrid platform XML for racksim's hardware: one server, or an EC2 UltraCluster
 * of many UltraServers on a rail-optimised two-tier fat-tree, with CPU fleets, over several sites.
 * The ready files in platforms/ are made by it, so generated and shipped platforms cannot drift apart.
 * See LICENSE. */
#ifndef RS_PLATGEN_H
#define RS_PLATGEN_H

#include "error.h"
#include "hardware.h"

#include <stdio.h>

/* Default latency of one scale-out switch hop. hardware.md: no public absolute EFA latency, so
 * "a few microseconds per hop" is a documented default that a scenario may override. */
#define RS_EFA_HOP_LATENCY_US 2.0
/* Default rail-leaf down ports: servers under one set of rail leaves (one pod). A 51.2 Tb/s switch
 * has 128 x 400 Gb/s ports, 64 down and 64 up when non-blocking (unverified default). */
#define RS_SERVERS_PER_POD 64

typedef struct rs_platgen_spec {
  const rs_hw_server_t* server; /* the server (UltraServer) every pod is built of */
  int servers;                  /* per site */
  int servers_per_pod;          /* servers under one set of rail leaves */
  double oversubscription;      /* leaf down bandwidth / leaf up bandwidth, >= 1 */
  double hop_latency_us;        /* one switch traversal */
  int sites;                    /* regions or providers, joined by WAN links */
  double wan_gbits_per_s;       /* per site pair, per direction */
  double wan_latency_ms;
  int cpu_hosts;                /* CPU fleet hosts per site (0: none) */
  const rs_hw_cpu_t* fleet_cpu; /* their model */
} rs_platgen_spec_t;

/* A spec of one site of `servers` servers with default fabric, no CPU fleet. */
rs_platgen_spec_t rs_platgen_default(const rs_hw_server_t* server, int servers);
/* Writes the platform of spec to fp; RS_ERR and err on a spec that cannot be built or a write error. */
int rs_platgen_write(FILE* fp, const rs_platgen_spec_t* spec, rs_err_t* err);
/* Writes it to a new temporary file whose path is returned (the caller unlinks and frees it); NULL and err. */
char* rs_platgen_temp(const rs_platgen_spec_t* spec, rs_err_t* err);

#endif
