/* hardware.c -- the figures of every hardware preset, with their sources.
 * Source of every figure unless said otherwise: docs/sources.md, the rows named in the
 * comments. Figures marked unverified are defaults a scenario may override. See LICENSE. */
#include "hw/hw.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* HBM capacity is what the driver reports (nvidia-smi memory.total, in MiB), not the nameplate: NVIDIA's "80 GB"
 * is 81,559 MiB (85.5e9 bytes), so a nameplate read as 1e9-byte GB hides 7% of every GPU's memory. Readings
 * from public nvidia-smi logs (secondary): A100-SXM4-80GB 81,920 MiB; H100 80GB HBM3 and H800 81,559; H200
 * 143,771; B200 183,359; B300 SXM6 AC 275,040; GB200 189,471; GB300 284,208. */
#define MIB_GB(mib) ((mib)*1048576.0 / 1e9)

/* A100: docs/sources.md (Selene, Narayanan et al. SC'21): 312 TF BF16, 80 GB at 2.0 TB/s,
 * 300 GB/s uni NVLink, 8 x 200 Gb/s HDR per node; TDP 400 W from NVIDIA's A100 SXM datasheet (unverified). */
static const rs_hw_gpu_t gpu_a100 = {"A100", 312, 0, 0, MIB_GB(81920), 2.0, 300, 200, 400};
/* hardware.md, table "GPUs" (NVIDIA product tables; MLPerf v5.x system descriptions for NICs). */
static const rs_hw_gpu_t gpu_h100  = {"H100", 989, 1979, 0, MIB_GB(81559), 3.35, 450, 400, 700};
static const rs_hw_gpu_t gpu_h200  = {"H200", 989, 1979, 0, MIB_GB(143771), 4.8, 450, 400, 700};
static const rs_hw_gpu_t gpu_b200  = {"B200", 2250, 4500, 9000, MIB_GB(183359), 7.7, 900, 400, 1000};
static const rs_hw_gpu_t gpu_gb200 = {"GB200", 2500, 5000, 10000, MIB_GB(189471), 8.0, 900, 400, 1200};
/* H800 SXM: the H100 die (compute, HBM and TDP as H100 SXM) with NVLink cut to 400 GB/s per GPU, both
 * directions together, so 200 GB/s per direction (NVIDIA's H800 product figures as reported in the
 * DeepSeek-V3 technical report, arXiv 2412.19437, section 3.2.2: NVLink 160 GB/s achieved against 50 GB/s
 * of InfiniBand per GPU, 400 Gb/s ConnectX-7; secondary: aiwiki.ai "NVIDIA H800"). Not in hardware.md. */
static const rs_hw_gpu_t gpu_h800 = {"H800", 989, 1979, 0, MIB_GB(81559), 3.35, 200, 400, 700};
/* B300 (HGX B300, Blackwell Ultra, 8 per baseboard): NVIDIA's HGX B300 table gives per baseboard 36 PF
 * BF16 and 72 PF FP8 with sparsity (2,250 and 4,500 TF dense per GPU, as B200), 105 PF dense FP4 (13,125
 * TF per GPU), 288 GB HBM3e at 8 TB/s per GPU, NVLink 5 at 1.8 TB/s both directions (900 per direction)
 * and 800 Gb/s ConnectX-8 per GPU (secondary: glennklockwood.com "B300", acecloud.ai "NVIDIA HGX B300";
 * not in hardware.md). HBM: the driver's reading (above); TDP 1,100 W (unverified: OEM
 * sheets of the air-cooled HGX board; GB300's is 1,400 W). */
static const rs_hw_gpu_t gpu_b300 = {"B300", 2250, 4500, 13125, MIB_GB(275040), 8.0, 900, 800, 1100};
/* GB300: 288 GB nameplate (the driver's reading above), 15 PF dense FP4, 800 Gb/s ConnectX-8 per GPU. */
static const rs_hw_gpu_t gpu_gb300 = {"GB300", 2500, 5000, 15000, MIB_GB(284208), 8.0, 900, 800, 1400};

/* hardware.md, "NVL72 rack": 72 Neoverse V2 cores and 480 GB LPDDR5X at 512 GB/s per Grace.
 * Per-core FP64: 7.1 TF for a 144-core Grace Superchip (NVIDIA Grace datasheet, unverified) = 49.3 GF.
 * Power 300 W with its LPDDR5X: a GB200 superchip is configurable up to 2,700 W (NVIDIA GB200 NVL72 page,
 * secondary; not in hardware.md) less its two GPUs' 1,200 W TDP (hardware.md) (derived, unverified). */
static const rs_hw_cpu_t cpu_grace = {"Grace", 72, 49.3, 480, 512, 0, 300};
/* hardware.md, "AWS instances": p5/p5en/p6-b200 have 192 vCPU and 2 TiB; modelled as 2 sockets of 48 cores
 * (96 physical cores, 192 vCPU) with 1 TiB each; per-core FP64 and memory bandwidth are unverified defaults. */
/* Power 280 W per socket: AMD's TDP of a 48-core EPYC 7003 part such as the 7R13 of p5 (unverified). */
static const rs_hw_cpu_t cpu_x86 = {"x86-48c", 48, 40.0, 1099.5, 300, 0, 280};
/* hardware.md "AWS instances", Graviton4 (r8g/c8g): 192 Neoverse V2 cores at 2.7-2.8 GHz, DDR5-5600 at about
 * 537 GB/s per socket. Per-core FP64: 4 x 128-bit FMA pipes = 16 flop/cycle x 2.8 GHz = 44.8 GF (derived).
 * Memory 384 GB and 50 Gb/s network: the c8g.48xlarge instance page (AWS; unverified here). */
/* AWS publishes no Graviton4 power: 250 W per socket is an unverified default. */
static const rs_hw_cpu_t cpu_graviton4 = {"Graviton4", 192, 44.8, 384, 537, 50, 250};

static const rs_hw_cpu_t* const cpus[] = {&cpu_grace, &cpu_graviton4, &cpu_x86};

static const rs_hw_server_t servers[] = {
    /* hardware.md "NVL72 rack" and "AWS instances": 72 GPUs, 36 Grace, NVLink-C2C 900 GB/s bi. */
    {"u-p6e-gb200x72", "EC2 u-p6e-gb200x72 UltraServer: one GB200 NVL72 rack", &gpu_gb200, 72, &cpu_grace, 36, 1, 450},
    {"u-p6e-gb200x36", "EC2 u-p6e-gb200x36 UltraServer: an NVLink domain of 36 GB200", &gpu_gb200, 36, &cpu_grace, 18,
     1, 450},
    {"u-p6e-gb300x72", "EC2 P6e-GB300 UltraServer: one GB300 NVL72 rack", &gpu_gb300, 72, &cpu_grace, 36, 1, 450},
    {"p5.48xlarge", "EC2 p5.48xlarge: 8 H100 SXM on NVSwitch", &gpu_h100, 8, &cpu_x86, 2, 0, 0},
    {"p5en.48xlarge", "EC2 p5en.48xlarge: 8 H200 SXM on NVSwitch", &gpu_h200, 8, &cpu_x86, 2, 0, 0},
    {"p6-b200.48xlarge", "EC2 p6-b200.48xlarge: 8 B200 on NVSwitch", &gpu_b200, 8, &cpu_x86, 2, 0, 0},
    {"hgx-b300", "NVIDIA HGX B300: 8 B300 (Blackwell Ultra) on NVSwitch, 800 Gb/s per GPU", &gpu_b300, 8, &cpu_x86, 2,
     0, 0},
    {"hgx-h800", "NVIDIA HGX H800: 8 H800 SXM on NVSwitch, NVLink 400 GB/s per GPU (both directions)", &gpu_h800, 8,
     &cpu_x86, 2, 0, 0},
    {"dgx-a100", "NVIDIA DGX A100 (Selene node): 8 A100 80GB on NVSwitch", &gpu_a100, 8, &cpu_x86, 2, 0, 0},
};

const rs_hw_server_t* rs_hw_server_at(int i)
{
  return i >= 0 && i < (int)(sizeof servers / sizeof servers[0]) ? &servers[i] : NULL;
}

static const rs_hw_cpu_t* cpu_at(int i)
{
  return i >= 0 && i < (int)(sizeof cpus / sizeof cpus[0]) ? cpus[i] : NULL;
}

const rs_hw_cpu_t* rs_hw_cpu(const char* name)
{
  for (int i = 0; cpu_at(i); i++)
    if (strcasecmp(cpus[i]->model, name) == 0)
      return cpus[i];
  return NULL;
}

const rs_hw_server_t* rs_hw_server(const char* name)
{
  for (int i = 0; rs_hw_server_at(i); i++)
    if (strcmp(servers[i].name, name) == 0)
      return &servers[i];
  return NULL;
}

/* NCCL latencies (hardware.md, "Collective and latency constants", from NVIDIA/nccl src/graph/tuning.cc):
 * per-hop 3.4 us on NVLink and 14 us on the network, base 8.4 us, NVLS 25 us (Simple protocol).
 * Efficiencies from hardware.md, "Measured NCCL all-reduce bus bandwidth, large messages":
 *   GB200 NVL72 ring: 835-847 GB/s busbw on 900 GB/s NVLink -> 841 / 900 = 0.934;
 *   8 x H100 ring: 365-370 GB/s on 450 GB/s -> 367.5 / 450 = 0.817;
 *   8 x H100 NVLS: each GPU moves (n-1)/n of the buffer each way, so busbw = 2 x rate:
 *     480 GB/s -> rate 240 GB/s on 450 -> 0.533;
 *   8 x H200: 475 GB/s (NVLS) -> 237.5 / 450 = 0.528;
 *   H100 across nodes over 8 x 400 Gb/s: 370-380 GB/s busbw per node = 46.9 GB/s per 50 GB/s NIC -> 0.938.
 * Types without a measurement of their own borrow the nearest generation's figure, as marked. */
/* Compute (docs/validation.md shows the fit and its errors): matmul_eff per precision (BF16, FP8, FP4),
 * then hbm_eff, then grouped_eff. Each GPU type x precision is fitted on at most one published case of
 * docs/sources.md (marked "fitted" in docs/validation.md), with every other figure fixed,
 * by solving for the value at which racksim reproduces the case's figure (secant or bisection on full
 * runs of the case, rounded to 3 decimals); never per scenario. The training GEMMs run at the training
 * precision's matmul_eff; attention and the output layer at BF16's (sim/wl/training.c); inference prices
 * each kernel class at its own precision (sim/wl/inf_cost.c):
 *   A100 BF16 0.652: the Selene GPT 1.7B case alone (137 TF/GPU; TP1, micro-batch 16, DDP overlapped, as
 *     Megatron-LM's examples/sc21/run_table_1.sh runs it); the nine other rows of SC'21 Table 1 check it.
 *     (0.673 before the measured hbm_eff below replaced 0.8; 0.687 before that: a least-squares fit on two
 *     cases, with micro-batch 1 and no DDP overlap assumed.)
 *   H100 FP8 0.509: the NeMo Llama 3 70B case (1,533 tokens/s per GPU), its only published case here, with
 *     the TP communication overlap its recipe runs (tp_comm_overlap) and Transformer Engine's FP8 casts
 *     priced (docs/model.md, "FP8 casts"; 0.515 at hbm_eff 0.8, 0.491 without the casts, 0.636 while the TP
 *     collectives were timed after the GEMMs, 0.534 before attention and the output layer ran at BF16's rate).
 *   GB200 FP8 0.434: the NeMo Llama 3.1 405B case (665 tokens/s per GPU), its only published case here,
 *     with tp_comm_overlap as its recipe runs it and the FP8 casts priced (0.438 at hbm_eff 0.8, 0.427
 *     without the casts, 0.485 without the overlap), with the model's real 126 layers split as NeMo's
 *     recipe splits them (the embedding and the loss as two more layer slots); 0.521 when it stood in with
 *     128 layers, whose last stage then carried the output layer on top of 16 layers and held the whole
 *     pipeline back.
 *   B200 FP4 0.438 (0.458 at hbm_eff 0.8): MLPerf Inference v5.0 Llama 2 70B Offline on 8 x B200, NVFP4
 *     (98,858 tokens/s): the one published FP4 case of a dense model with one GPU per replica, so no
 *     collective, pipeline or expert routing is in it, only the FP4 GEMMs (attention runs in FP8 and the
 *     memory-bound kernels on HBM, both priced by figures fixed before the fit); the value is what makes
 *     the case's output tokens/s match (bisection on the case).
 * Borrowed, as marked: H200 and H800 take H100's FP8 figure (same die; H800's fewer NVLinks keep NVLink 4's
 * ring efficiency, and it has no NVLS measurement); B200, B300 and GB300 take GB200's FP8 figure, and
 * GB200, B300 and GB300 take B200's FP4 figure (one Blackwell die: GB300's 15 PF FP4 peak stays as its preset
 * states, its attention and other non-GEMM kernels run at FP8/BF16 and on HBM, so its gain over GB200 is
 * the GEMMs' alone; unverified). Not fitted (no published case uses them): BF16 0.6 outside A100 and FP4
 * 0.5 on Hopper and A100 (which have no FP4 units), typical large-GEMM fractions (unverified;
 * FlashAttention-3 reaches 75% of H100's BF16 peak, Shah et al. 2024).
 * hbm_eff, measured, not fitted: the Triad kernel of BabelStream (reads two arrays, writes one, as the
 * element-wise kernels racksim streams do) in Azure's AI-benchmarking-guide results, over the preset's HBM
 * figure: A100 80GB 1.70 TB/s / 2.0 = 0.85 (ND A100 v4), H100 2.97 / 3.35 = 0.887 (ND H100 v5), H200
 * 4.15 / 4.8 = 0.865 (ND H200 v5); GB200 7.35 / 8.0 = 0.919 (ND GB200 v6, Azure's blog "Unpacking NVIDIA
 * GB200 GPU performance on Azure virtual machines", kernel unstated). H800 borrows H100's (same HBM3), and
 * B200, B300 and GB300 GB200's fraction (HBM3e on one Blackwell die; unverified). */
/* Grouped (MoE) GEMMs against dense GEMMs of the same N and K: DeepGEMM's published H800 FP8 table
 * (deepseek-ai/DeepGEMM README, February 2025): contiguous layout 1,297 and 1,288 TFLOPS at N 4096, K 7168
 * against 1,304 dense; 1,099 and 1,093 at N 7168, K 2048 against 1,025 dense: a mean ratio of 1.03, so
 * grouped GEMMs reach the dense efficiency (1.0). Their small per-expert batches are priced by the roofline
 * (expert weights against FLOPs), not by this factor. One Hopper measurement, used for every type
 * (unverified on Blackwell). */
#define RS_GROUPED_EFF 1.0
/* H100's FP8 matmul_eff, fitted as said above; H200 and H800 borrow it. */
#define RS_HOPPER_FP8_EFF 0.509
/* GB200's FP8 matmul_eff, fitted as said above; B200, B300 and GB300 borrow it. */
#define RS_BLACKWELL_FP8_EFF 0.434
/* B200's FP4 matmul_eff, fitted as said above; GB200 and GB300 borrow it. */
#define RS_BLACKWELL_FP4_EFF 0.438
/* Collective figures: GB300, B200 and B300 as GB200 (NVLink 5), H200 and H800 ring as H100 (NVLink 4), A100 as H100
 * (unverified). */
/* NCCL's Simple-protocol latencies (a hop on NVLink, a hop on the network, the ring base, NVLS), the same
 * for every type (sources above). */
#define RS_NCCL_LATENCIES 3.4e-6, 14e-6, 8.4e-6, 25e-6
/* Serving GEMMs (serve_gemm_eff), measured, not fitted: the cuBLASLt FP8 GEMM of 8,192^3 (random
 * data, 10,000 warm-up iterations) in Azure's AI-benchmarking-guide results over the preset's dense FP8
 * peak: H100 1,290.1 TF / 1,979 = 0.652 (ND H100 v5), H200 1,300.6 / 1,979 = 0.657 (ND H200 v5), GB200
 * 2,876.6 / 5,000 = 0.575 (ND GB200 v6; its 4,096^3 and 6,144 x 12,288 x 12,288 rows are 0.567 and
 * 0.579, H200's 0.631 and 0.666: an inference step's GEMMs of 1,536 tokens by 8,192-57,344 columns are
 * in that range). Training's fits (matmul_eff) reach 0.78 (H100) and 0.75 (GB200) of it: they fold in
 * what a training step adds to its GEMMs and inference's forward GEMMs do not run (docs/validation.md,
 * "One training-side gap"), so a serving engine's GEMMs run at the benchmark's rate. H800 borrows
 * H100's (same die), B200, B300 and GB300 GB200's fraction (one Blackwell die; unverified). FP4 has
 * none: its figure (matmul_eff, fitted on MLPerf's B200 FP4 case) is an inference fit already, and the
 * benchmark's FP4 GEMM of 8,192^3 on GB200 (7,535.6 TF, 0.754) is 1.72 times what that case's GEMMs
 * reach, a gap that is open (docs/validation.md). BF16: no measurement; matmul_eff. */
#define RS_HOPPER_SERVE_FP8 0.652
#define RS_H200_SERVE_FP8 0.657
#define RS_BLACKWELL_SERVE_FP8 0.575
/* Serving's measured GEMM rate per precision (BF16, FP8, FP4): FP8 only (above). */
#define RS_SERVE_FP8(eff)                                                                                              \
  {                                                                                                                    \
    0, eff, 0                                                                                                          \
  }
/* A Blackwell type: NVLink 5 collectives as GB200's, FP8 and FP4 as fitted above, BF16 unfitted. */
#define RS_BLACKWELL(name)                                                                                             \
  {                                                                                                                    \
    name, 0.934, 0, 0.938, RS_NCCL_LATENCIES, {0.6, RS_BLACKWELL_FP8_EFF, RS_BLACKWELL_FP4_EFF}, 0.919,                \
        RS_GROUPED_EFF, RS_SERVE_FP8(RS_BLACKWELL_SERVE_FP8)                                                           \
  }
/* A Hopper type: NVLink 4 ring as H100's, its NVLS efficiency (0: none), H100's FP8 fit, its HBM rate and
 * its serving FP8 rate. */
#define RS_HOPPER(name, nvls, hbm, serve)                                                                              \
  {                                                                                                                    \
    name, 0.817, nvls, 0.938, RS_NCCL_LATENCIES, {0.6, RS_HOPPER_FP8_EFF, 0.5}, hbm, RS_GROUPED_EFF,                   \
        RS_SERVE_FP8(serve)                                                                                            \
  }
static const rs_hw_calib_t calibs[] = {
    RS_BLACKWELL("GB200"),
    RS_BLACKWELL("GB300"),
    RS_BLACKWELL("B200"),
    RS_BLACKWELL("B300"),
    RS_HOPPER("H100", 0.533, 0.887, RS_HOPPER_SERVE_FP8),
    RS_HOPPER("H800", 0, 0.887, RS_HOPPER_SERVE_FP8), /* H800: no NVLS */
    RS_HOPPER("H200", 0.528, 0.865, RS_H200_SERVE_FP8),
    {"A100", 0.817, 0, 0.938, RS_NCCL_LATENCIES, {0.652, 0.5, 0.5}, 0.85, RS_GROUPED_EFF, {0, 0, 0}},
};

const rs_hw_calib_t* rs_hw_calib(const char* gpu_model)
{
  for (size_t i = 0; i < sizeof calibs / sizeof calibs[0]; i++)
    if (strcmp(calibs[i].gpu_model, gpu_model) == 0)
      return &calibs[i];
  return NULL;
}

void rs_hw_calib_names(char* buf, size_t len)
{
  buf[0] = '\0';
  for (size_t i = 0; i < sizeof calibs / sizeof calibs[0]; i++)
    snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? ", " : "", calibs[i].gpu_model);
}

/* LL and LL128 ring latencies: hardware.md, "Collective and latency constants" (NVIDIA/nccl
 * src/graph/tuning.cc, hwLat and baseLat): per hop 0.6 / 1.9 us on NVLink, 2.7 / 4.0 us on the network,
 * base 6.6 / 14 us. Bandwidth: LL carries 4 data bytes in each 8-byte line (1/2), LL128 120 in each
 * 128-byte line (15 of 16 lines carry data: 120/128, tuning.cc's LL128 factor). */
static const rs_hw_proto_t protos[] = {
    {"Simple", 0, 0, 0, 1.0},
    {"LL128", 1.9e-6, 4.0e-6, 14e-6, 120.0 / 128.0},
    {"LL", 0.6e-6, 2.7e-6, 6.6e-6, 0.5},
};

rs_hw_proto_t rs_hw_proto(const rs_hw_calib_t* c, rs_proto_t p)
{
  rs_hw_proto_t r = protos[p];
  if (p == RS_PROTO_SIMPLE) {
    r.nvlink_hop_s = c->nvlink_hop_s;
    r.net_hop_s    = c->net_hop_s;
    r.base_s       = c->base_s;
  }
  return r;
}

/* ---- power and price defaults per GPU type (the cost model; every one overridable in the scenario) ----
 * overhead_w_per_gpu: what a server draws beside its GPUs, CPUs and scale-out ports (fans, DC-DC,
 * NVSwitch chips or NVLink switch trays, drives, BMCs), shared per GPU, constant; the AC-to-DC loss of its
 * power supplies or power shelves is power.psu_efficiency's (power.c), not this figure's:
 *   NVL72 types (GB200, GB300): a compute tray about 6.5 kW, 117 kW for 18, and the 9 NVLink switch
 *     trays 3.6 kW in all (introl.com, "Why the NVIDIA GB300 NVL72 matters", its rack table citing
 *     Supermicro 2025; secondary). Beside its two superchips at 2,700 W (2 GPUs at TDP and a Grace with its
 *     LPDDR5X, presets above) a tray draws 6,500 - 5,400 = 1,100 W: 4 ConnectX-7 and 2 BlueField-3 (NVIDIA
 *     DGX GB200 user guide, "Compute Trays"), drives, fans for what is not cold-plated, BMC, DC-DC. Less
 *     the 4 NIC ports racksim meters itself at their 30 W maximum (hw.h RS_HW_NIC_MAX_W): 980 W; with
 *     half a switch tray (400 W each): 1,180 W per tray, 295 W per GPU. A maximum spread as a constant
 *     (no source found for how it follows load; the tray is cold-plated). Until 2026-12-03: 275 W, from
 *     700 W per tray and 800 W per switch tray (unverified guesses).
 *   8-GPU HGX/DGX types: about 1,500 W per server (4 NVSwitch chips, fans, power-supply losses; unverified)
 *     / 8 = 187.5 W. Chosen before power.psu_efficiency divided the DC load, so the supplies' loss may be
 *     counted twice here (unverified; the figure is kept as it was).
 * usd_per_gpu_hour: the default price of one GPU-hour (docs/sources.md, "Prices"):
 *   H100 6.88 (AWS p5.48xlarge on-demand, us-east-1, after the June 2025 cut, $55.04/h / 8; secondary),
 *   H200 7.912 (p5en.48xlarge $63.296/h / 8; secondary), B200 14.24 (p6-b200.48xlarge $113.93/h / 8;
 *   secondary), GB200 10.50 (CoreWeave list, read 2026-09, $42.00/h per 4-GPU instance).
 *   0 (no price found: set pricing.usd_per_gpu_hour): A100, H800, B300, GB300. */
/* Performance vs power cap, in fractions of TDP and of the uncapped compute speed (issue 12, point 3):
 *   Hopper (H100, H800, H200): capping an H100 SXM from 700 W to 600 W (0.857 of TDP) costs 10-15% of
 *     transformer-pretraining step throughput (factryze.ai, "Power capping", read 2026-12; secondary,
 *     unverified): 0.875, the middle. The H100/H200 power-capping study of arXiv 2604.11391 (DGEMM and
 *     Triad, caps 200-700 W) shows the SM clock, and with it compute-bound throughput, falling with the
 *     cap; below about half of TDP the speed is taken proportional to the cap (0.5 at 0.5: unverified,
 *     the voltage floor reached, clock then linear in dynamic power), and 0 at the idle power (10%).
 *   Blackwell (B200, B300, GB200, GB300) and Ampere (A100): no published curve was found; they take
 *     Hopper's shape in fractions of TDP (unverified). A check, not a fit: Meta's 83K-GB200 cluster
 *     (Ardestani et al., arXiv 2605.24461, 2026, as Supercomputing News reported it on 2026-05-30;
 *     secondary, the paper's own curve not read) found the cluster's performance per watt best near
 *     1,000 W of a GB200's 1,200 W and provisions 960 W; on this curve a GPU's speed per watt peaks at
 *     0.857 of TDP (1,029 W), 1.021 x the uncapped, and is 1.019 x at 0.8 (960 W).
 *   What was searched for a measured curve (2026-12): docs/sources.md, "Power caps".
 * The factor slows the compute (FLOP-bound) part of every kernel only; HBM-bound time is kept
 * (rs_gpu_seconds), as memory clocks are not what a power cap throttles first (the same secondary
 * source: 5-8% lost at 600 W for memory-bound inference). Not fitted to any case. */
static const rs_hw_cap_curve_t hopper_curve = {{1, 0.857, 0.5, RS_HW_GPU_IDLE_FRACTION}, {1, 0.875, 0.5, 0}};

static const rs_hw_power_t powers[] = {
    {"GB200", 295, 10.50, &hopper_curve},  {"GB300", 295, 0, &hopper_curve},     {"B200", 187.5, 14.24, &hopper_curve},
    {"B300", 187.5, 0, &hopper_curve},     {"H100", 187.5, 6.88, &hopper_curve}, {"H800", 187.5, 0, &hopper_curve},
    {"H200", 187.5, 7.912, &hopper_curve}, {"A100", 187.5, 0, &hopper_curve},
};

const rs_hw_power_t* rs_hw_power(const char* gpu_model)
{
  for (size_t i = 0; i < sizeof powers / sizeof powers[0]; i++)
    if (strcmp(powers[i].gpu_model, gpu_model) == 0)
      return &powers[i];
  return NULL;
}
