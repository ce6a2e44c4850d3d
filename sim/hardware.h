/* hardware.h -- racksim's hardware presets: GPU, CPU and server figures, each citing its source.
 * The platform generator writes them into SimGrid XML; workloads read them back through platform.h,
 * never from here, so a hand-written platform file is as good as a generated one. See LICENSE. */
#ifndef RS_HARDWARE_H
#define RS_HARDWARE_H

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
  int c2c; /* 1: each CPU reaches its GPUs over NVLink-C2C; 0: over PCIe, not modelled */
  double c2c_gbytes_per_s; /* per direction */
} rs_hw_server_t;

/* The one calibration of a GPU type: what NCCL achieves of the link bandwidth, and its latencies.
 * Fitted once per type on the measurements cited in hardware.c, never per scenario. */
typedef struct rs_hw_calib {
  const char* gpu_model;
  double nvlink_ring_eff; /* achieved ring bus bandwidth / NVLink bandwidth */
  double nvls_eff;        /* NVLink SHARP: achieved per-GPU traffic rate / NVLink bandwidth; 0: not available */
  double net_ring_eff;    /* achieved ring bus bandwidth / NIC bandwidth across servers */
  double nvlink_hop_s;    /* NCCL per-hop latency on NVLink (Simple protocol) */
  double net_hop_s;       /* NCCL per-hop latency on the network (Simple protocol) */
  double base_s;          /* NCCL ring base latency (Simple protocol) */
  double nvls_s;          /* NCCL NVLS latency */
  double matmul_eff[3];   /* achieved fraction of the dense peak in large matmuls, per precision (BF16, FP8, FP4) */
  double hbm_eff;         /* achieved fraction of HBM bandwidth in streaming kernels */
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

/* The calibration of a GPU model; a conservative default for a model racksim was not calibrated on. */
const rs_hw_calib_t* rs_hw_calib(const char* gpu_model);

/* The CPU model named name ("grace", "graviton4", case ignored), or NULL. */
const rs_hw_cpu_t* rs_hw_cpu(const char* name);

/* The preset named name, or NULL. */
const rs_hw_server_t* rs_hw_server(const char* name);
/* The i-th preset, or NULL past the end. */
const rs_hw_server_t* rs_hw_server_at(int i);

#endif
