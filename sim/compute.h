/* compute.h -- seconds of GPU work from a GPU model's calibrated matmul and HBM rates.
 * The one place where FLOPs and bytes become time, with the one calibration per GPU type (hardware.h).
 * See LICENSE. */
#ifndef RS_COMPUTE_H
#define RS_COMPUTE_H

#include "platform.h"

/* Seconds of matmul kernels doing `flops` at precision prec while reading `bytes` (their weights and
 * operands) through HBM: the larger of the compute time at the calibrated fraction of the dense peak
 * and the memory time at the calibrated fraction of HBM bandwidth (roofline). The precision must exist
 * on the GPU when flops > 0. */
double rs_gpu_seconds(const rs_gpu_model_t* gpu, rs_prec_t prec, double flops, double bytes);
/* Seconds of memory-bound kernels (norms, softmax, element-wise ops) moving `bytes` through HBM. They
 * run between a layer's matmuls, so callers add this time to rs_gpu_seconds' rather than overlap it. */
double rs_gpu_stream_seconds(const rs_gpu_model_t* gpu, double bytes);

#endif
