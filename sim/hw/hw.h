/* hw.h -- racksim's hardware layer, its whole public face: presets of GPUs, CPUs and servers with
 * their sources and the one calibration per GPU type, the platform generator (SimGrid XML, or the same
 * platform built straight in the engine), and the platform index (hosts by role, NVLink domain, rack,
 * site; links by class). See LICENSE. */
#ifndef RS_HW_H
#define RS_HW_H

#include "base/base.h"

#include <simgrid/forward.h>
#include <stdio.h>

/* ---- racksim's hardware presets: GPU, CPU and server figures, each citing its source.
 * The platform generator writes them into SimGrid XML; workloads read them back through platform.h,
 * never from here, so a hand-written platform file is as good as a generated one. */
/* One GPU type. Bandwidths are per direction; "bytes" are bytes, "bits" are bits. */
typedef struct rs_hw_gpu {
  const char* model;
  double bf16_tflops, fp8_tflops, fp4_tflops; /* dense peaks; 0 when the GPU has no such unit */
  double hbm_gbytes;
  double hbm_tbytes_per_s;
  double nvlink_gbytes_per_s; /* per GPU, per direction */
  double nic_gbits_per_s;     /* scale-out NIC per GPU */
  double tdp_watts;
} rs_hw_gpu_t;

/* GPU idle power as a fraction of TDP: no figure in hardware.md; about 70 W of 700 W is the usual
 * nvidia-smi reading of an idle H100 SXM (unverified default; a platform file may state its own). */
#define RS_HW_GPU_IDLE_FRACTION 0.10

typedef struct rs_hw_cpu {
  const char* model;
  int cores;
  double core_gflops; /* FP64 per core */
  double mem_gbytes;
  double mem_gbytes_per_s;
  double nic_gbits_per_s; /* for CPU fleet hosts: the instance's network bandwidth */
  double tdp_watts;       /* per socket; 0 when unknown */
} rs_hw_cpu_t;

/* A server or UltraServer: one NVLink domain of GPUs, with its CPUs. */
typedef struct rs_hw_server {
  const char* name; /* the platform file's name, without .xml */
  const char* description;
  const rs_hw_gpu_t* gpu;
  int gpus;
  const rs_hw_cpu_t* cpu;
  int cpus;
  int c2c;                 /* 1: each CPU reaches its GPUs over NVLink-C2C; 0: over PCIe, not modelled */
  double c2c_gbytes_per_s; /* per direction */
} rs_hw_server_t;

/* The one calibration of a GPU type: what NCCL achieves of the link bandwidth, and its latencies.
 * Fitted once per type on the measurements cited in hardware.c, never per scenario. */
typedef struct rs_hw_calib {
  const char* gpu_model;
  double nvlink_ring_eff;   /* achieved ring bus bandwidth / NVLink bandwidth */
  double nvls_eff;          /* NVLink SHARP: achieved per-GPU traffic rate / NVLink bandwidth; 0: not available */
  double net_ring_eff;      /* achieved ring bus bandwidth / NIC bandwidth across servers */
  double nvlink_hop_s;      /* NCCL per-hop latency on NVLink (Simple protocol) */
  double net_hop_s;         /* NCCL per-hop latency on the network (Simple protocol) */
  double base_s;            /* NCCL ring base latency (Simple protocol) */
  double nvls_s;            /* NCCL NVLS latency */
  double matmul_eff[3];     /* achieved fraction of the dense peak in large matmuls, per precision (BF16, FP8, FP4) */
  double hbm_eff;           /* achieved fraction of HBM bandwidth in streaming kernels */
  double grouped_eff;       /* grouped (MoE) GEMMs' achieved rate / that of dense GEMMs of the same shape */
  double serve_gemm_eff[3]; /* measured, not fitted: the fraction of the dense peak a large forward GEMM reaches
                               alone (cuBLASLt), per precision, which inference's GEMMs run at; 0: none
                               measured, they run at matmul_eff (presets.c) */
} rs_hw_calib_t;

/* NCCL's three protocols (NVIDIA/nccl src/graph/tuning.cc): LL (8-byte lines, 4 of data and a 4-byte
 * flag), LL128 (128-byte lines, 120 of data) and Simple (plain copies behind fences). */
typedef enum rs_proto { RS_PROTO_SIMPLE, RS_PROTO_LL128, RS_PROTO_LL } rs_proto_t;
#define RS_PROTO_COUNT 3

/* A protocol's ring latencies and the fraction of the Simple bandwidth it reaches. */
typedef struct rs_hw_proto {
  const char* name; /* "Simple", "LL128", "LL" */
  double nvlink_hop_s, net_hop_s, base_s;
  double bw_factor; /* achieved bandwidth / Simple's */
} rs_hw_proto_t;

/* Protocol p's figures for calibration c: Simple's latencies are c's own, LL's and LL128's NCCL's. */
rs_hw_proto_t rs_hw_proto(const rs_hw_calib_t* c, rs_proto_t p);

/* The calibration of a GPU model, or NULL for a model racksim was not calibrated on (the platform
 * loader then refuses the platform: a silent default would be a number without a source). */
const rs_hw_calib_t* rs_hw_calib(const char* gpu_model);
/* The calibrated models' names, comma-separated, into buf (for messages). */
void rs_hw_calib_names(char* buf, size_t len);

/* A GPU type's performance under a power cap: points (cap / TDP, compute speed / uncapped speed), the
 * cap falling, first (1, 1); between points the speed is linear in the cap (presets.c cites them). */
#define RS_HW_CAP_POINTS 4
typedef struct rs_hw_cap_curve {
  double cap_frac[RS_HW_CAP_POINTS];
  double speed[RS_HW_CAP_POINTS];
} rs_hw_cap_curve_t;

/* Power and price defaults of one GPU type (presets.c cites each). */
typedef struct rs_hw_power {
  const char* gpu_model;
  double overhead_w_per_gpu;      /* server power beside GPUs, CPUs and scale-out ports, per GPU, constant */
  double usd_per_gpu_hour;        /* default price; 0 when no price was found */
  const rs_hw_cap_curve_t* curve; /* performance vs power cap; NULL: the type cannot be capped */
} rs_hw_power_t;

/* The power and price defaults of a GPU model, or NULL for one racksim has none for. */
const rs_hw_power_t* rs_hw_power(const char* gpu_model);

/* CPU idle power as a fraction of its TDP (unverified default; a platform file may state its own). */
#define RS_HW_CPU_IDLE_FRACTION 0.3

/* Scale-out ports, per port and both directions together (unverified defaults, overridable in a
 * scenario's power section): a 400 Gb/s NIC such as ConnectX-7 with its transceiver, about 20 W idle and
 * 30 W at full load; a 400 Gb/s switch port with its transceiver, about 12 W idle and 18 W loaded (a
 * 51.2 Tb/s switch of 128 such ports at about 2.3 kW). Power rises linearly with the port's utilisation. */
#define RS_HW_NIC_IDLE_W 20.0
#define RS_HW_NIC_MAX_W 30.0
#define RS_HW_SWITCH_PORT_IDLE_W 12.0
#define RS_HW_SWITCH_PORT_MAX_W 18.0

/* The CPU model named name ("grace", "graviton4", case ignored), or NULL. */
const rs_hw_cpu_t* rs_hw_cpu(const char* name);

/* The preset named name, or NULL. */
const rs_hw_server_t* rs_hw_server(const char* name);
/* The i-th preset, or NULL past the end. */
const rs_hw_server_t* rs_hw_server_at(int i);

/* ---- the hardware a run simulates: loads a SimGrid platform file and indexes its hosts by
 * role (GPU, CPU), NVLink domain, rack and site, with each GPU model's figures read once from the
 * host properties the platform files carry. Workloads ask here; nobody parses host names. */
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
  double idle_watts;          /* from SimGrid's wattage_per_state, used by its energy plugin */
  const rs_hw_calib_t* calib; /* its one calibration, resolved when the platform is loaded */
  /* A power cap (issue 12): what a busy GPU then draws at most, and its compute speed over the
   * uncapped one (rs_gpu_cap_speed). 0 for both: not capped (the run layer sets them, before any
   * workload computes a time). */
  double cap_watts;
  double cap_speed;
} rs_gpu_model_t;

typedef struct rs_gpu {
  sg_host_t host;
  const rs_gpu_model_t* model;
  int domain; /* NVLink domain: GPUs with the same value share an NVSwitch fabric */
  int rack;
  int local; /* position in the domain, from 0 (also its rail in rail-optimised fabrics) */
  int site;
  int pod; /* servers under one set of rail leaves, numbered per site; -1 when the platform does not say */
  int cpu; /* index in rs_platform_t's cpus of the CPU host it hangs off (NVLink-C2C or PCIe: property rs.cpu);
              -1 when the platform names none, or models no path between them */
} rs_gpu_t;

typedef struct rs_cpu {
  sg_host_t host;
  const char* model; /* borrowed from SimGrid's properties */
  int cores;
  double core_flops;
  double mem_bytes;
  int rack; /* -1 for a CPU fleet host */
  int site;
  const char* name; /* the host's, borrowed */
} rs_cpu_t;

/* A storage host: one file server of the site's storage tier (an FSx-for-Lustre-like parallel file
 * system), reached over its own NIC, whose bandwidth it states (rs.nic_gbits_per_s). */
typedef struct rs_storage {
  sg_host_t host;
  int site;
  double bytes_per_s; /* its NIC, per direction */
  const char* name;   /* the host's, borrowed */
} rs_storage_t;

typedef struct rs_platform {
  char* file;     /* what was loaded, as shown to people (a generated platform says so) */
  rs_gpu_t* gpus; /* ordered by (site, domain, local) */
  int n_gpus;
  rs_cpu_t* cpus; /* ordered by (site, rack, name) */
  int n_cpus;
  rs_storage_t* storage; /* hosts of rs.role storage, ordered by (site, name) */
  int n_storage;
  rs_gpu_model_t* models;
  int n_models;
  int n_domains;
  int n_sites;
  double oversubscription; /* of the scale-out fabric (1 when the platform does not say) */
  struct rs_gen* gen;      /* a generated platform's host table (its hosts' rs.* properties); NULL for a file */
} rs_platform_t;

/* One host as racksim's checks of host properties see it: a SimGrid host (rs_platform_load), or one
 * standing alone (host NULL: the fuzz target tests/fuzz/fuzz_hosts.c). prop returns the value of
 * property key, or NULL; the strings it returns and name must outlive the platform. */
typedef struct rs_host_view {
  sg_host_t host;
  const char* name;
  double speed; /* flop/s per core */
  int cores;
  const char* (*prop)(const struct rs_host_view* h, const char* key);
  const void* data; /* for prop */
} rs_host_view_t;

/* Indexes n hosts into p (whose file names it in messages): GPUs and CPUs by their rs.role, each
 * GPU model's figures, domains, sites, every GPU's CPU; refuses a missing, malformed or out-of-range
 * property with RS_ERR and err. p's arrays are freed by rs_platform_free, even after a failure. */
int rs_platform_index(rs_platform_t* p, const rs_host_view_t* hosts, size_t n, rs_err_t* err);

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
  RS_LINK_STORAGE_NIC, /* a storage host's NIC */
  RS_LINK_OTHER,       /* any other name (hand-written platforms) */
  RS_LINK_CLASS_COUNT
} rs_link_class_t;

/* The class of the link named `name` (a split-duplex link's _UP/_DOWN half counts as the link). */
rs_link_class_t rs_platform_link_class(const char* name);
/* Every GPU's NIC halves, found once from the link names generated platforms give them (HOST-nic_UP
 * toward the rail leaf, HOST-nic_DOWN back): SimGrid 3.32 looks a link up by name through every zone. */
typedef struct rs_nic_index rs_nic_index_t;
rs_nic_index_t* rs_platform_nic_index(void);
/* GPU g's NIC half toward its rail leaf (up = 1) or back (up = 0); NULL when the platform has none so
 * named. */
sg_link_t rs_platform_gpu_nic(const rs_nic_index_t* x, const rs_gpu_t* g, int up);
void rs_platform_nic_index_free(rs_nic_index_t* x); /* accepts NULL */
/* 1 when `name` is one direction (_UP or _DOWN half) of a SPLITDUPLEX link, 0 otherwise. */
int rs_platform_link_is_half(const char* name);
/* As links.csv writes it: nvlink, c2c, cpu_memory, nic, leaf_uplink, spine, switch_hop, fleet_nic, wan,
 * storage_nic, other. */
const char* rs_link_class_name(rs_link_class_t c);

/* ---- writes SimGrid platform XML for racksim's hardware: one server, or an EC2 UltraCluster
 * of many UltraServers on a rail-optimised two-tier fat-tree, with CPU fleets, over several sites.
 * The ready files in platforms/ are made by it, so generated and shipped platforms cannot drift apart;
 * a run builds the same platform in the engine instead (rs_platform_generate, build_sg.cpp). */
/* Default latency of one scale-out switch hop. hardware.md: no public absolute EFA latency, so
 * "a few microseconds per hop" is a documented default that a scenario may override. */
#define RS_EFA_HOP_LATENCY_US 2.0
/* Default rail-leaf down ports: servers under one set of rail leaves (one pod). A 51.2 Tb/s switch
 * has 128 x 400 Gb/s ports, 64 down and 64 up when non-blocking (unverified default). */
#define RS_SERVERS_PER_POD 64
/* Default NIC of one storage tier host (a file server of an FSx-for-Lustre-like file system): 100 Gb/s,
 * unverified (AWS states FSx for Lustre's throughput per TiB stored, not per server). */
#define RS_STORAGE_GBITS_PER_S 100.0

typedef struct rs_platgen_spec {
  const rs_hw_server_t* server; /* the server (UltraServer) every pod is built of */
  int servers;                  /* per site */
  int servers_per_pod;          /* servers under one set of rail leaves */
  double oversubscription;      /* leaf down bandwidth / leaf up bandwidth, >= 1 */
  double hop_latency_us;        /* one switch traversal */
  int sites;                    /* regions or providers, joined by WAN links */
  const char* providers;        /* NULL, or one cloud provider per site, comma-separated (rs.provider of its zone) */
  double wan_gbits_per_s;       /* per site pair, per direction */
  double wan_latency_ms;
  int cpu_hosts;                /* CPU fleet hosts per site (0: none) */
  const rs_hw_cpu_t* fleet_cpu; /* their model */
  int storage_hosts;            /* storage tier hosts per site (0: none) */
  double storage_gbits_per_s;   /* each one's NIC, per direction */
} rs_platgen_spec_t;

/* The most hosts (GPUs, CPU sockets and fleet hosts over all sites) a generated platform may have.
 * Measured here (bench/README.md, 2026-12-03): built in the engine, a GB200 NVL72 cluster takes about
 * 5.6 kB per host (8.3 kB per GPU with its Grace CPUs) of SimGrid objects; 14,564 UltraServers (1,048,608
 * GPUs) are 1,572,912 hosts and about 9 GB. Two million hosts is then about 11 GB, more than that a run cannot hold
 * beside its workloads. The spec's maxima multiply to 460 million GPUs: a cluster past this is refused before anything
 * is built or a byte of XML is written. */
#define RS_PLATGEN_MAX_HOSTS 2000000
/* The hosts of spec's platform: sites x (servers x (GPUs + CPUs of a server) + cpu_hosts + storage_hosts). */
long long rs_platgen_hosts(const rs_platgen_spec_t* spec);

/* A spec of one site of `servers` servers with default fabric, no CPU fleet. */
rs_platgen_spec_t rs_platgen_default(const rs_hw_server_t* server, int servers);
/* Writes the platform of spec to fp; RS_ERR and err on a spec that cannot be built or a write error. */
int rs_platgen_write(FILE* fp, const rs_platgen_spec_t* spec, rs_err_t* err);
/* Writes it to a new temporary file whose path is returned (the caller removes it with
 * rs_platgen_temp_remove); NULL and err. Until then SIGINT, SIGTERM and SIGHUP remove it too. */
char* rs_platgen_temp(const rs_platgen_spec_t* spec, rs_err_t* err);
/* Removes and frees the file of rs_platgen_temp, and stops watching signals for it. */
void rs_platgen_temp_remove(char* path);
/* Builds the platform of spec in the SimGrid engine (simgrid_init must have run, no platform loaded)
 * without writing or parsing XML, and indexes it; `file` names it in messages and in p->file. The same
 * zones, hosts, links, routes and index as rs_platform_load of rs_platgen_write's file, so a run gives
 * the same results; only the hosts' rs.* properties are held by racksim (p->gen), not by SimGrid (the
 * energy plugin's wattage_per_state is SimGrid's; wattage_off, 0 W, its default). RS_ERR and err on a
 * refused spec. */
int rs_platform_generate(const rs_platgen_spec_t* spec, const char* file, rs_platform_t** out, rs_err_t* err);

#endif
