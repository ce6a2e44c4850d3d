/* compute.c -- turns FLOPs and bytes into seconds on one GPU, with the GPU type's one calibration and
 * its power cap's speed factor. See LICENSE. */
#include "model/model.h"

#include "hw/hw.h"

/* A capped GPU computes slower; an uncapped one (cap_speed 0, as a model built by hand leaves it) not. */
static double cap_speed(const rs_gpu_model_t* gpu)
{
  return gpu->cap_speed > 0 ? gpu->cap_speed : 1;
}

double rs_gpu_cap_speed(const rs_gpu_model_t* gpu, double cap_w)
{
  const rs_hw_power_t* hp = rs_hw_power(gpu->name);
  if (hp == NULL || hp->curve == NULL || !(cap_w > gpu->idle_watts) || !(gpu->tdp_watts > 0))
    return -1;
  const rs_hw_cap_curve_t* c = hp->curve;
  double f                   = cap_w / gpu->tdp_watts;
  if (f >= c->cap_frac[0])
    return c->speed[0];
  for (int k = 1; k < RS_HW_CAP_POINTS; k++)
    if (f >= c->cap_frac[k]) {
      double u = (f - c->cap_frac[k]) / (c->cap_frac[k - 1] - c->cap_frac[k]);
      return c->speed[k] + u * (c->speed[k - 1] - c->speed[k]);
    }
  return -1; /* below the curve's last point */
}

double rs_gpu_busy_watts(const rs_gpu_model_t* gpu)
{
  return gpu->cap_watts > 0 ? gpu->cap_watts : gpu->tdp_watts;
}

/* A matmul streams its operands while it computes, so its time is the larger of the two (roofline) at
 * fraction eff of the dense peak; a power cap slows the compute side only. */
static double roofline(const rs_gpu_model_t* gpu, rs_prec_t prec, double eff, double flops, double bytes)
{
  double t_flops = flops > 0 ? flops / (gpu->peak_flops[prec] * eff * cap_speed(gpu)) : 0;
  double t_bytes = rs_gpu_stream_seconds(gpu, bytes);
  return t_flops > t_bytes ? t_flops : t_bytes;
}

double rs_gpu_seconds(const rs_gpu_model_t* gpu, rs_prec_t prec, double flops, double bytes)
{
  return roofline(gpu, prec, gpu->calib->matmul_eff[prec], flops, bytes);
}

/* The measured rate of a lone forward GEMM where the type has one at prec, else the calibration's. */
double rs_gpu_serve_gemm_eff(const rs_gpu_model_t* gpu, rs_prec_t prec)
{
  const rs_hw_calib_t* c = gpu->calib;
  return c->serve_gemm_eff[prec] > 0 ? c->serve_gemm_eff[prec] : c->matmul_eff[prec];
}

double rs_gpu_serve_seconds(const rs_gpu_model_t* gpu, rs_prec_t prec, double flops, double bytes)
{
  return roofline(gpu, prec, rs_gpu_serve_gemm_eff(gpu, prec), flops, bytes);
}

/* The GEMM efficiency of class work at prec: serving's measured one or training's fitted one. */
static double gemm_eff(const rs_gpu_model_t* gpu, const rs_work_t* w, rs_prec_t prec)
{
  return w->serving ? rs_gpu_serve_gemm_eff(gpu, prec) : gpu->calib->matmul_eff[prec];
}

double rs_gpu_stream_seconds(const rs_gpu_model_t* gpu, double bytes)
{
  return bytes / (gpu->hbm_bytes_per_s * gpu->calib->hbm_eff);
}

/* Attention runs on the same tensor cores as the matmuls and, flash-style, streams Q, K and V through
 * HBM while it computes (scores stay on chip), so it gets the matmul roofline at its own precision:
 * FlashAttention-3 reaches 740 of H100's 989 BF16 TF/s (75%), about what large GEMMs reach. It keeps the
 * calibration's figure when serving: no measured rate of the engines' attention kernels is at hand. */
double rs_gpu_work_seconds(const rs_gpu_model_t* gpu, const rs_work_t* w)
{
  double moe = 0;
  if (w->moe_flops > 0 || w->moe_bytes > 0) {
    const rs_hw_calib_t* c = gpu->calib;
    double t_flops =
        w->moe_flops / (gpu->peak_flops[w->moe_prec] * gemm_eff(gpu, w, w->moe_prec) * c->grouped_eff * cap_speed(gpu));
    double t_bytes = rs_gpu_stream_seconds(gpu, w->moe_bytes);
    moe            = t_flops > t_bytes ? t_flops : t_bytes;
  }
  return moe + roofline(gpu, w->gemm_prec, gemm_eff(gpu, w, w->gemm_prec), w->gemm_flops, w->gemm_bytes) +
         rs_gpu_seconds(gpu, w->attn_prec, w->attn_flops, w->attn_bytes) + rs_gpu_stream_seconds(gpu, w->stream_bytes);
}

/* 2 GiB for the runtime: a CUDA context takes about 0.5 GiB on Hopper and Blackwell, NCCL's buffers
 * (NCCL_BUFFSIZE 4 MiB per channel and peer) and cuBLAS's workspaces most of the rest (unverified: an
 * order of magnitude from nvidia-smi readings of idle processes, not fitted). */
double rs_gpu_tensor_bytes(const rs_gpu_model_t* gpu)
{
  return gpu->hbm_bytes - RS_RUNTIME_RESERVE_BYTES;
}
