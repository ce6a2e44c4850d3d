/* run_int.h -- private to run/: the calls faults.c and power.c make into SimGrid's C++ API
 * (faults_sg.cpp, power_sg.cpp), which 3.32's C API lacks, and the link order the link tables share.
 * See LICENSE. */
#ifndef RS_RUN_INT_H
#define RS_RUN_INT_H

#include <simgrid/forward.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Gives host h a speed profile before the simulation starts: from times[k] on (seconds, increasing,
 * times[0] = 0) it runs at scale[k] of its speed. name must be unique among profiles. */
void rs_run__speed_profile(sg_host_t h, const char* name, const double* times, const double* scale, int n);

/* Runs fn(arg) in the simulation kernel, from an actor, in one simcall: the SimGrid calls fn makes that
 * would each be a simcall from an actor are then plain calls (power.c's readings). fn must not block. */
void rs_run__in_kernel(void (*fn)(void*), void* arg);

/* Ends the process with exit 1 and one message when SimGrid itself turns a host or a link off during the
 * run (a state profile of the platform file): SimGrid then kills the host's actors, fails the flows on
 * the link, or (3.32, a SPLITDUPLEX link) aborts, none of which a workload can react to. Outputs of the
 * run are removed first (rs_cleanup_now). Call before simgrid_run. */
void rs_run__watch_engine_faults(void);

/* qsort comparator of sg_link_t by name (meter.c), so that links.csv and link_windows.csv do not depend
 * on how SimGrid stores its links. */
int rs_run__cmp_link_name(const void* a, const void* b);

#ifdef __cplusplus
}
#endif

#endif
