/* faults_sg.cpp -- what SimGrid 3.32 offers only through its C++ API: the speed profile of a degraded GPU
 * host (s4u::Host::set_speed_profile), and the signals that say SimGrid itself turned a host or a link
 * off (s4u::Host::on_state_change, s4u::Link::on_state_change); power_sg.cpp, wl/agent_sg.cpp and
 * hw/build_sg.cpp are C++ for the same reason. See LICENSE. */
#include "run/run_int.h"

extern "C" {
#include "base/base.h" /* rs_cleanup_now, RS_EXIT_SIM: a C header without extern "C" of its own */
}

#include <simgrid/kernel/ProfileBuilder.hpp>
#include <simgrid/s4u/Engine.hpp>
#include <simgrid/s4u/Host.hpp>
#include <simgrid/s4u/Link.hpp>

#include <cstdio>
#include <string>
#include <unistd.h>

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

/* racksim never turns anything off in SimGrid (its failures are told to the workloads), so an off here
 * comes from the platform file: a state_file of a host or a link. */
static void engine_fault(const char* what, const char* name)
{
  std::fprintf(stderr,
               "racksim: %s %s was turned off by SimGrid (a state profile of the platform file) at simulated time "
               "%.6g s: a workload cannot go on with it; take components down with the scenario's failures "
               "section instead (docs/scenario-format.md)\n",
               what, name, simgrid::s4u::Engine::get_clock());
  std::fflush(stderr);
  rs_cleanup_now(); /* no table of the run is left, as for every failed run */
  _exit(RS_EXIT_SIM);
}

void rs_run__watch_engine_faults()
{
  static bool watching = false; /* the signals outlive a run; one process runs once */
  if (watching)
    return;
  watching = true;
  simgrid::s4u::Host::on_state_change_cb([](simgrid::s4u::Host const& h) {
    if (!h.is_on())
      engine_fault("host", h.get_cname());
  });
  simgrid::s4u::Link::on_state_change_cb([](simgrid::s4u::Link const& l) {
    if (!l.is_on())
      engine_fault("link", l.get_cname());
  });
}
