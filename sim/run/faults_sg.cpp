/* faults_sg.cpp -- the speed profile of a degraded GPU host: SimGrid 3.32 sets host speed profiles only
 * through its C++ API (s4u::Host::set_speed_profile), so this one function is C++ (as are
 * power_sg.cpp, wl/agent_sg.cpp and hw/build_sg.cpp, for the same reason). See LICENSE. */
#include "run/run_int.h"

#include <simgrid/kernel/ProfileBuilder.hpp>
#include <simgrid/s4u/Host.hpp>

#include <cstdio>
#include <string>

void rs_run__speed_profile(sg_host_t h, const char* name, const double* times, const double* scale, int n)
{
  std::string text;
  char line[96];
  for (int k = 0; k < n; k++) {
    std::snprintf(line, sizeof line, "%.17g %.17g\n", times[k], scale[k]);
    text += line;
  }
  h->set_speed_profile(simgrid::kernel::profile::ProfileBuilder::from_string(name, text, -1));
}
