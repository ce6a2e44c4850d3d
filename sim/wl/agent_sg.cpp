/* agent_sg.cpp -- what agent_run.c needs of SimGrid 3.32's C++ API: an exec of several threads, one per
 * core (s4u::Exec::set_thread_count), and word of a host's speed changing (s4u::Host::on_speed_change).
 * One exec of k threads is one action on the host's CPU with k cores' bound and load (cpu_cas01.cpp), so
 * the energy plugin counts k busy cores from one variable. agent_run.c makes each host's busy cores one
 * such exec, and re-times its calls' work when their host's speed changes. See LICENSE. */
#include <simgrid/forward.h>
#include <simgrid/s4u/Exec.hpp>
#include <simgrid/s4u/Host.hpp>

/* Declared for agent_run.c in agent_int.h. */
extern "C" sg_exec_t rs_agent__exec_start(sg_host_t host, double flops_per_thread, int threads);
extern "C" unsigned rs_agent__speed_watch(void (*changed)(void* data, sg_host_t host), void* data);
extern "C" void rs_agent__speed_unwatch(unsigned id);

sg_exec_t rs_agent__exec_start(sg_host_t host, double flops_per_thread, int threads)
{
  simgrid::s4u::ExecPtr e = simgrid::s4u::Exec::init();
  e->set_flops_amount(flops_per_thread);
  e->set_host(host);
  e->set_thread_count(threads);
  e->start();
  e->add_ref(); /* the C API's handle, released by sg_exec_test or sg_exec_wait */
  return e.get();
}

unsigned rs_agent__speed_watch(void (*changed)(void* data, sg_host_t host), void* data)
{
  /* the signal passes a const host; the C API takes hosts as non-const handles */
  return simgrid::s4u::Host::on_speed_change.connect(
      [changed, data](simgrid::s4u::Host const& h) { changed(data, const_cast<simgrid::s4u::Host*>(&h)); });
}

void rs_agent__speed_unwatch(unsigned id)
{
  simgrid::s4u::Host::on_speed_change.disconnect(id);
}
