/* compute.c -- the roofline that turns FLOPs and bytes into seconds on one GPU. See LICENSE. */
#include "compute.h"

#include "hardware.h"

double rs_gpu_seconds(const rs_gpu_model_t* gpu, rs_prec_t prec, double flops, double bytes)
{
  const rs_hw_calib_t* c = rs_hw_calib(gpu->name);
  double t_flops         = flops / (gpu->peak_flops[prec] * c->matmul_eff[prec]);
  double t_bytes         = bytes / (gpu->hbm_bytes_per_s * c->hbm_eff);
  return t_flops > t_bytes ? t_flops : t_bytes;
}
