/* run_int.h -- private to run/: the one call faults.c makes into SimGrid's C++ API (faults_sg.cpp),
 * which 3.32's C API lacks. See LICENSE. */
#ifndef RS_RUN_INT_H
#define RS_RUN_INT_H

#include <simgrid/forward.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Gives host h a speed profile before the simulation starts: from times[k] on (seconds, increasing,
 * times[0] = 0) it runs at scale[k] of its speed. name must be unique among profiles. */
void rs_run__speed_profile(sg_host_t h, const char* name, const double* times, const double* scale, int n);

#ifdef __cplusplus
}
#endif

#endif
