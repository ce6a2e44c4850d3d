/* compute.c -- turns FLOPs and bytes into seconds on one GPU, with the GPU type's one calibration.
 * See LICENSE. */
#include "compute.h"

#include "hardware.h"

/* The kernels of one piece of work (a layer's matmuls, then its softmax, norms and element-wise ops)
 * run one after the other, so the matmul time and the memory-bound time add up rather than overlap
 * as in a single-kernel roofline. */
double rs_gpu_seconds(const rs_gpu_model_t* gpu, rs_prec_t prec, double flops, double bytes)
{
  const rs_hw_calib_t* c = rs_hw_calib(gpu->name);
  double t_flops         = flops > 0 ? flops / (gpu->peak_flops[prec] * c->matmul_eff[prec]) : 0;
  return t_flops + bytes / (gpu->hbm_bytes_per_s * c->hbm_eff);
}
