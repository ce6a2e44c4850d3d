/* power_sg.cpp -- a power window's readings in the simulation kernel. An actor that asks for a host's
 * joules (sg_host_get_consumed_energy) makes the energy plugin bring them up to date in a simcall: a
 * switch to the kernel and back per host, which at 52,090 CPU hosts per window was most of the
 * sampler's time. Called from within one simcall, every reading is a plain call: the same updates at
 * the same instant, so the same joules to the last bit. SimGrid 3.32 runs code in the kernel only
 * through its C++ API (simgrid::kernel::actor::simcall_answered), so this one function is C++. See
 * LICENSE. */
#include "run/run_int.h"

#include <simgrid/simix.hpp>

void rs_run__in_kernel(void (*fn)(void*), void* arg)
{
  simgrid::kernel::actor::simcall_answered([fn, arg] { fn(arg); });
}
