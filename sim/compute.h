/* compute.h -- seconds of GPU work from a GPU model's calibrated matmul and HBM rates.
 * The one place where FLOPs and bytes become time, with the one calibration per GPU type (hardware.h).
 * See LICENSE. */
#ifndef RS_COMPUTE_H
#define RS_COMPUTE_H

#include "platform.h"

/* Seconds for work of `flops` at precision prec that moves `bytes` through HBM: the compute time at
 * the calibrated fraction of the dense peak plus the memory time at the calibrated fraction of HBM
 * bandwidth (a layer's kernels run in turn). The precision must exist on the GPU when flops > 0. */
double rs_gpu_seconds(const rs_gpu_model_t* gpu, rs_prec_t prec, double flops, double bytes);

#endif
