/* send_sg.cpp -- part of the send path (send.c): a flow that stands for `weight` identical flows on the
 * links they share. SimGrid's max-min sharing gives each flow on a saturated link its capacity x
 * (1 / penalty) / (sum of every flow's 1 / penalty), where a flow's penalty under CM02 (weight-S 0, as
 * racksim runs it) is its route's latency; so one flow carrying weight x the bytes with its penalty
 * divided by weight takes weight shares and loads the link as the weight flows would. CM02 gives a
 * flow its penalty when its latency is paid; SimGrid 3.32 changes it only through the flow's kernel
 * action (simgrid/kernel/resource/Action.hpp, which the C API does not reach), so this one function is
 * C++. See LICENSE. */
/* hw.h, which net.h includes, names functions after its structs (rs_hw_proto): fine in C, a -Wshadow
 * warning in C++ */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#include "net/net_int.h"
#pragma GCC diagnostic pop

#include <simgrid/host.h>
#include <simgrid/kernel/resource/Action.hpp>
#include <simgrid/kernel/resource/Model.hpp>
#include <simgrid/kernel/resource/NetworkModelIntf.hpp>
#include <simgrid/s4u/Actor.hpp>
#include <simgrid/s4u/Comm.hpp>
#include <simgrid/s4u/Engine.hpp>
#include <simgrid/s4u/NetZone.hpp>
#include <simgrid/simix.hpp>
#include <xbt/asserts.h>

namespace
{

using simgrid::kernel::resource::Action;
using simgrid::kernel::resource::ActionHeap;

/* The network model's action of comm, or nullptr once it is done: its started actions are searched from
 * the newest, and comm's was made a moment ago. */
Action* action_of(const simgrid::s4u::Comm* comm)
{
  auto* intf  = simgrid::s4u::Engine::get_instance()->get_netzone_root()->get_network_model();
  auto* model = dynamic_cast<simgrid::kernel::resource::Model*>(intf);
  xbt_assert(model != nullptr, "the network model is not a resource model");
  auto* started = model->get_started_action_set();
  for (auto it = started->rbegin(); it != started->rend(); ++it)
    if (it->get_activity() == comm->get_impl())
      return &*it;
  return nullptr;
}

/* Gives comm's flow penalty / weight once its latency is paid; false while it is still being paid. */
bool weigh(const simgrid::s4u::Comm* comm, double penalty, double weight)
{
  bool paid = true;
  simgrid::kernel::actor::simcall_answered([comm, penalty, weight, &paid] {
    Action* a = action_of(comm);
    if (a == nullptr)
      return;
    if (a->get_type() == ActionHeap::Type::latency) {
      paid = false;
      return;
    }
    a->set_sharing_penalty(penalty / weight);
  });
  return paid;
}

} // namespace

void rs_net__sendto_weighted(sg_host_t src, sg_host_t dst, double bytes, double weight)
{
  double latency             = sg_host_get_route_latency(src, dst);
  simgrid::s4u::CommPtr comm = simgrid::s4u::Comm::sendto_init(src, dst);
  comm->set_payload_size(static_cast<uint64_t>(bytes));
  comm->start();
  /* CM02 sets a flow's penalty to its latency when that is paid (1 without latency): change it then,
   * within the same instant, before any byte moved at the plain share */
  if (latency > 0)
    simgrid::s4u::this_actor::sleep_for(latency);
  while (!weigh(comm.get(), latency > 0 ? latency : 1.0, weight))
    simgrid::s4u::this_actor::sleep_for(latency * 1e-12);
  comm->wait();
}
