/* platform.h -- the hardware a run simulates: loads a SimGrid platform file and indexes its hosts by
 * role (GPU, CPU), NVLink domain, rack and site, with each GPU model's figures read once from the
 * host properties the platform files carry. Workloads ask here; nobody parses host names. See LICENSE. */
#ifndef RS_PLATFORM_H
#define RS_PLATFORM_H

#include "error.h"

#include <simgrid/forward.h>
#include <stdio.h>

typedef enum { RS_PREC_BF16, RS_PREC_FP8, RS_PREC_FP4, RS_PREC_COUNT } rs_prec_t;

/* Figures shared by every GPU of one model, in SI units: flop/s, bytes, bytes/s (per direction), watts. */
typedef struct rs_gpu_model {
  char* name;
  double peak_flops[RS_PREC_COUNT]; /* dense; 0 where the GPU lacks the precision */
  double hbm_bytes;
  double hbm_bytes_per_s;
  double nvlink_bytes_per_s;
  double nic_bytes_per_s;
  double tdp_watts;
  double idle_watts; /* from SimGrid's wattage_per_state, used by its energy plugin */
} rs_gpu_model_t;

typedef struct rs_gpu {
  sg_host_t host;
  const rs_gpu_model_t* model;
  int domain; /* NVLink domain: GPUs with the same value share an NVSwitch fabric */
  int rack;
  int local; /* position in the domain, from 0 (also its rail in rail-optimised fabrics) */
  int site;
  int pod; /* servers under one set of rail leaves, numbered per site; -1 when the platform does not say */
} rs_gpu_t;

typedef struct rs_cpu {
  sg_host_t host;
  const char* model; /* borrowed from SimGrid's properties */
  int cores;
  double core_flops;
  double mem_bytes;
  int rack; /* -1 for a CPU fleet host */
  int site;
} rs_cpu_t;

typedef struct rs_platform {
  char* file; /* what was loaded, as shown to people (a generated platform says so) */
  rs_gpu_t* gpus; /* ordered by (site, domain, local) */
  int n_gpus;
  rs_cpu_t* cpus; /* ordered by (site, rack, name) */
  int n_cpus;
  rs_gpu_model_t* models;
  int n_models;
  int n_domains;
  int n_sites;
  double oversubscription; /* of the scale-out fabric (1 when the platform does not say) */
  struct rs_meter* meter;  /* bytes per link, once rs_platform_meter_start ran (platform_meter.c) */
} rs_platform_t;

/* Loads file into the SimGrid engine (simgrid_init must have run) and indexes it. On a file SimGrid
 * rejects, prints nothing of SimGrid's and returns RS_ERR with "file:line: ..." in err. */
int rs_platform_load(const char* file, rs_platform_t** out, rs_err_t* err);
void rs_platform_free(rs_platform_t* p); /* accepts NULL */

/* A summary a person can check at a glance: GPUs and CPUs by model, peaks, HBM, bandwidths. */
void rs_platform_describe(const rs_platform_t* p, FILE* fp);

/* Number of GPUs in the NVLink domain of gpus[i] (the platform's domains are contiguous). */
int rs_platform_domain_size(const rs_platform_t* p, int i);

/* What a link is part of, for links.csv. Read from the link names that racksim's platforms use
 * (platgen.c writes them; platforms/README.md lists them): nobody else looks inside link names. */
typedef enum {
  RS_LINK_NVLINK,      /* GPU to its NVSwitch */
  RS_LINK_C2C,         /* NVLink-C2C between a Grace CPU and a GPU */
  RS_LINK_CPU_MEMORY,  /* a CPU's memory, on the CPU-GPU path */
  RS_LINK_NIC,         /* a GPU's scale-out NIC to its rail leaf */
  RS_LINK_LEAF_UPLINK, /* rail leaf to pod spine: where oversubscription bites */
  RS_LINK_SPINE,       /* between pods, the CPU fleet and the site's border (latency only) */
  RS_LINK_SWITCH_HOP,  /* a switch hop's latency (latency only) */
  RS_LINK_FLEET_NIC,   /* a CPU fleet host's NIC */
  RS_LINK_WAN,         /* between sites */
  RS_LINK_OTHER,       /* any other name (hand-written platforms) */
  RS_LINK_CLASS_COUNT
} rs_link_class_t;

/* The class of the link named `name` (a split-duplex link's _UP/_DOWN half counts as the link). */
rs_link_class_t rs_platform_link_class(const char* name);
/* As links.csv writes it: nvlink, c2c, cpu_memory, nic, leaf_uplink, spine, switch_hop, fleet_nic, wan, other. */
const char* rs_link_class_name(rs_link_class_t c);

/* ---- bytes per link (platform_meter.c) ------------------------------------------------------------
 * SimGrid 3.32's link load plugin cannot track the halves of SPLITDUPLEX links (it crashes), so racksim
 * counts itself: every message a workload sends is counted on each link of its route. The counts live
 * in the data slots of SimGrid's links and hosts, which belong to this module. */

/* Starts counting; call once, before simgrid_run. rs_platform_free stops and frees. */
void rs_platform_meter_start(rs_platform_t* p);
/* Counts `bytes` sent from src to dst on every link of the route (a no-op unless started). From an actor. */
void rs_platform_count(sg_host_t src, sg_host_t dst, double bytes);
/* Bytes counted on link l (each half of a SPLITDUPLEX link is its own link); 0 when not counted. */
double rs_platform_link_bytes(const_sg_link_t l);

#endif
