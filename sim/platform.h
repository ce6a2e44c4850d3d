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
} rs_platform_t;

/* Loads file into the SimGrid engine (simgrid_init must have run) and indexes it. On a file SimGrid
 * rejects, prints nothing of SimGrid's and returns RS_ERR with "file:line: ..." in err. */
int rs_platform_load(const char* file, rs_platform_t** out, rs_err_t* err);
void rs_platform_free(rs_platform_t* p); /* accepts NULL */

/* A summary a person can check at a glance: GPUs and CPUs by model, peaks, HBM, bandwidths. */
void rs_platform_describe(const rs_platform_t* p, FILE* fp);

/* Number of GPUs in the NVLink domain of gpus[i] (the platform's domains are contiguous). */
int rs_platform_domain_size(const rs_platform_t* p, int i);

#endif
