/* agent_sg.cpp -- an exec of several threads, one per core: SimGrid 3.32 sets an exec's thread count
 * only through its C++ API (s4u::Exec::set_thread_count), so this one function is C++. One exec of k
 * threads is one action on the host's CPU with k cores' bound and load (cpu_cas01.cpp), so the energy
 * plugin counts k busy cores from one variable. agent_run.c makes each host's busy cores one such exec.
 * See LICENSE. */
#include <simgrid/forward.h>
#include <simgrid/s4u/Exec.hpp>
#include <simgrid/s4u/Host.hpp>

/* Declared for agent_run.c in agent_int.h. */
extern "C" sg_exec_t rs_agent__exec_start(sg_host_t host, double flops_per_thread, int threads);

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
