/* hw_int.h -- private to hw/: the table of a generated platform's hosts, which the builder
 * (build_sg.cpp, C++ because SimGrid 3.32 builds platforms in code only through s4u) fills and the
 * index (gen_hosts.c, platform.c) reads; and the generator's spec check, shared by the XML writer and
 * the builder. See LICENSE. */
#ifndef RS_HW_INT_H
#define RS_HW_INT_H

#include <simgrid/forward.h> /* before extern "C": in C++ it declares SimGrid's classes */
#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "hw/hw.h"

/* What a host of a generated platform is: its rs.role, and which figures its properties state. */
typedef enum { RS_GEN_GPU, RS_GEN_CPU, RS_GEN_FLEET, RS_GEN_STORAGE } rs_gen_role_t;

struct rs_gen;

/* How many model figures (rs.bf16_tflops ... rs.tdp_watts) a server's first GPU states. */
#define RS_HW_GPU_FIGS 8

/* One host as the builder made it: what the rs.* properties of its XML would say, in numbers. */
typedef struct rs_gen_host {
  const struct rs_gen* gen; /* the table, for the strings its properties return */
  sg_host_t host;
  int role;  /* rs_gen_role_t */
  int us;    /* server, numbered over all sites: a GPU's rs.domain and rs.rack, a server CPU's rs.rack */
  int local; /* a GPU's position in its server (rs.local) */
  int site;
  int pod;
  int cpu; /* a GPU's CPU (rs.cpu), as an index in the table; -1: none */
} rs_gen_host_t;

/* Every host of a generated platform, in the order the builder made them, with the strings their
 * properties return, each formatted once as rs_platgen_write writes it (so read back, the same figure).
 * The strings live as long as the table, which the platform owns (rs_platform_t.gen). */
typedef struct rs_gen {
  rs_gen_host_t* hosts;
  size_t n_hosts, cap;
  char (*num)[12]; /* decimal strings of 0 .. n_num - 1 */
  int n_num;
  const char *gpu_model, *cpu_model, *fleet_model;
  char gpu_fig[RS_HW_GPU_FIGS][32]; /* rs.bf16_tflops ... rs.tdp_watts, in rs_hw__gpu_fig_keys' order */
  char gpu_watts[96], cpu_watts[96], fleet_watts[96];
  char cpu_mem[32], fleet_mem[32];
  char storage_nic[32];                     /* a storage host's rs.nic_gbits_per_s */
  int cpu_states_watts, fleet_states_watts; /* 0: that CPU model has no TDP, so no wattage properties */
} rs_gen_t;

/* A new, empty table for spec's hosts, its strings formatted. */
rs_gen_t* rs_hw__gen_new(const rs_platgen_spec_t* spec);
/* Appends a host. */
void rs_hw__gen_add(rs_gen_t* g, rs_gen_host_t h);
void rs_hw__gen_free(rs_gen_t* g); /* accepts NULL */
/* One view per host of g, in table order, for rs_platform_index (the caller frees the array). */
rs_host_view_t* rs_hw__gen_views(const rs_gen_t* g);

/* Builds spec's platform in the SimGrid engine (simgrid_init has run, no platform loaded yet) and
 * records its hosts in g: the zones, hosts, routers, links and routes of rs_platgen_write's XML, made in
 * the XML's order with its names and figures. RS_ERR and err when SimGrid refuses. */
int rs_hw__build(const rs_platgen_spec_t* spec, rs_gen_t* g, rs_err_t* err);

/* RS_OK when spec describes a platform the generator can make; RS_ERR and err otherwise. */
int rs_hw__check_spec(const rs_platgen_spec_t* spec, rs_err_t* err);

/* ---- figures the XML writer (generate.c) states and the builder and host table take from it, so the
 * two ways to make a platform cannot drift apart */
/* Bandwidth of links that stand for latency only (switch hops, the non-blocking spine): not a hardware
 * figure, just far above anything that crosses them, so they never limit a flow. */
#define RS_HW_LATENCY_ONLY_GBYTES_PER_S 1e6
/* A storage host's speed: it computes nothing, the figure only satisfies SimGrid (a speed of 0 aborts). */
#define RS_HW_STORAGE_HOST_GFLOPS 1
/* Each rail leaf's uplinks together: its servers' NIC bandwidth divided by the oversubscription. */
double rs_hw__uplink_gbits(const rs_platgen_spec_t* spec);
/* Entry `site` of spec's providers list, *len characters long; NULL when the list has none. */
const char* rs_hw__provider(const rs_platgen_spec_t* spec, int site, int* len);
/* A GPU's wattage_per_state, as SimGrid's energy plugin reads it (idle, busy, busy). */
void rs_hw__gpu_watts(char* buf, size_t size, const rs_hw_gpu_t* g);
/* A CPU's wattage_per_state, Idle:OneCore:AllCores, linear in the busy cores; 0 (and buf untouched)
 * when the CPU has no TDP, so no wattage property. */
int rs_hw__cpu_watts(char* buf, size_t size, const rs_hw_cpu_t* c);
/* The model figures the first GPU of each server states: their property keys and values, one order. */
extern const char* const rs_hw__gpu_fig_keys[RS_HW_GPU_FIGS];
void rs_hw__gpu_figs(const rs_hw_gpu_t* g, double v[RS_HW_GPU_FIGS]);

#ifdef __cplusplus
}
#endif

#endif
