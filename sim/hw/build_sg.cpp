/* build_sg.cpp -- a generated platform built straight in SimGrid's engine through its s4u API, which
 * SimGrid 3.32 offers only in C++ (so this file is C++). It makes what rs_platgen_write's XML describes
 * (generate.c says why the fabric is laid out so), in the XML's order and with its names and figures:
 * the engine numbers its points and Dijkstra breaks ties by that order, so every route, and with it
 * every result, is the same. What it saves: writing and lexing about 1.3 kB of XML per GPU (1,259 bytes
 * at 256 UltraServers, measured 2026-12-03), and above all the parser's look-up of every route's links
 * by name from the root zone, depth first through every pod (O(links x pods)): here each link is at
 * hand. The hosts' rs.* properties go to racksim's host table (gen_hosts.c); only the energy plugin's
 * wattage_per_state stays a SimGrid property. The CPU fleet and storage tiers, DijkstraCache stars in the
 * XML, are a zone class of this file (tier_zone) that gives the same routes by look-up. See LICENSE. */
/* C's hw.h names functions after their structs (rs_hw_cpu); C++ warns that one hides the other's
 * constructor, which C code never calls. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#include "hw/hw_int.h"
#pragma GCC diagnostic pop

#include <simgrid/kernel/routing/NetPoint.hpp>
#include <simgrid/kernel/routing/NetZoneImpl.hpp>
#include <simgrid/s4u/Engine.hpp>
#include <simgrid/s4u/Host.hpp>
#include <simgrid/s4u/Link.hpp>
#include <simgrid/s4u/NetZone.hpp>
#include <xbt/config.hpp>
#include <xbt/parse_units.hpp>

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace sg4 = simgrid::s4u;
using simgrid::kernel::routing::NetPoint;
using Dir = sg4::LinkInRoute::Direction;

namespace
{

/* Every figure of the platform in SimGrid's units, read by SimGrid's own unit parser from the very text
 * the XML carries ("%g" and a unit), so that a rounded "%g" rounds here too. */
struct figures {
  double gpu_speed, cpu_speed, fleet_speed, storage_speed;
  double nvlink_bw, nic_bw, c2c_bw, mem_bw, fast_bw, up_bw, fleet_nic_bw, wan_bw, storage_bw;
  double no_lat, leaf_lat, spine_lat, wan_lat;
};

double speed(double v, const char* unit)
{
  char text[64];
  std::snprintf(text, sizeof text, "%g%s", v, unit);
  return xbt_parse_get_all_speeds("", 0, text, "").at(0);
}

double bandwidth(double v, const char* unit)
{
  char text[64];
  std::snprintf(text, sizeof text, "%g%s", v, unit);
  return xbt_parse_get_bandwidths("", 0, text, "").at(0);
}

double latency_us(double us)
{
  char text[64];
  std::snprintf(text, sizeof text, "%gus", us);
  return xbt_parse_get_time("", 0, text, "");
}

figures read_figures(const rs_platgen_spec_t* sp)
{
  const rs_hw_server_t* s = sp->server;
  const rs_hw_cpu_t* f    = sp->fleet_cpu;
  figures x{};
  x.gpu_speed     = speed(s->gpu->bf16_tflops, "Tf");
  x.cpu_speed     = speed(s->cpu->core_gflops, "Gf");
  x.fleet_speed   = f ? speed(f->core_gflops, "Gf") : 0;
  x.nvlink_bw     = bandwidth(s->gpu->nvlink_gbytes_per_s, "GBps");
  x.nic_bw        = bandwidth(s->gpu->nic_gbits_per_s, "Gbps");
  x.c2c_bw        = bandwidth(s->c2c_gbytes_per_s, "GBps");
  x.mem_bw        = bandwidth(s->cpu->mem_gbytes_per_s, "GBps");
  x.fast_bw       = bandwidth(RS_HW_LATENCY_ONLY_GBYTES_PER_S, "GBps");
  x.up_bw         = bandwidth(rs_hw__uplink_gbits(sp), "Gbps");
  x.fleet_nic_bw  = f ? bandwidth(f->nic_gbits_per_s, "Gbps") : 0;
  x.wan_bw        = bandwidth(sp->wan_gbits_per_s, "Gbps");
  x.storage_speed = speed(RS_HW_STORAGE_HOST_GFLOPS, "Gf");
  x.storage_bw    = bandwidth(sp->storage_gbits_per_s, "Gbps");
  x.no_lat        = latency_us(0);
  x.leaf_lat      = latency_us(sp->hop_latency_us / 2);
  x.spine_lat     = latency_us(sp->hop_latency_us);
  x.wan_lat       = latency_us(sp->wan_latency_ms * 1000);
  return x;
}

/* What check_resources checks of a loaded file: SimGrid aborts mid-run on a speed or bandwidth of 0.
 * Only the figures of links and hosts the platform has count (no C2C on a PCIe server, no fleet). */
bool usable(const figures& x, const rs_platgen_spec_t* sp)
{
  bool fleet = sp->cpu_hosts > 0, c2c = sp->server->c2c != 0, storage = sp->storage_hosts > 0;
  double v[] = {x.gpu_speed,
                x.cpu_speed,
                x.nvlink_bw,
                x.nic_bw,
                x.mem_bw,
                x.fast_bw,
                x.up_bw,
                x.wan_bw,
                c2c ? x.c2c_bw : 1,
                fleet ? x.fleet_speed : 1,
                fleet ? x.fleet_nic_bw : 1,
                storage ? x.storage_bw : 1};
  return std::all_of(std::begin(v), std::end(v), [](double d) { return d > 0 && std::isfinite(d); });
}

/* The builder's state: the spec, its figures, the host table it fills, a buffer for names. */
struct builder {
  const rs_platgen_spec_t* sp;
  figures f;
  rs_gen_t* table;
  char name[128];
};

const char* name(builder& b, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
const char* name(builder& b, const char* fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(b.name, sizeof b.name, fmt, ap);
  va_end(ap);
  return b.name;
}

/* A new zone of the given routing, not yet in the tree, with the engine's models (which set_parent would
 * copy from its parent): SimGrid 3.32 checks each new host and link for a duplicate name by searching
 * every zone of the tree from the root, depth first, so a pod filled while the earlier ones hang in the
 * tree would cost O(pods) map look-ups per link. A zone is hung in the tree (attach) once it is complete,
 * in the XML's order, so the engine numbers every point as it does for the XML. */
sg4::NetZone* detached_zone(sg4::NetZone* z)
{
  auto* impl        = z->get_impl();
  const auto* model = sg4::Engine::get_instance()->get_netzone_root()->get_impl();
  impl->set_network_model(model->get_network_model());
  impl->set_cpu_pm_model(model->get_cpu_pm_model());
  impl->set_cpu_vm_model(model->get_cpu_vm_model());
  impl->set_disk_model(model->get_disk_model());
  impl->set_host_model(model->get_host_model());
  return z;
}

/* A link as the parser makes one from <link>: a split-duplex pair, or one link of the given policy. */
sg4::Link* split_duplex(sg4::NetZone* z, const char* id, double bw, double lat)
{
  sg4::Link* l = z->create_split_duplex_link(id, bw);
  l->set_latency(lat);
  return l->seal();
}

sg4::Link* single(sg4::NetZone* z, const char* id, double bw, double lat, sg4::Link::SharingPolicy policy)
{
  sg4::Link* l = z->create_link(id, bw);
  l->set_sharing_policy(policy);
  l->set_latency(lat);
  return l->seal();
}

/* A route through one split-duplex link (UP from src) and optionally one more link (generate.c's route). */
void route(sg4::NetZone* z, NetPoint* src, NetPoint* dst, const sg4::Link* l1, const sg4::Link* l2)
{
  std::vector<sg4::LinkInRoute> links{sg4::LinkInRoute(l1, Dir::UP)};
  if (l2)
    links.emplace_back(l2);
  z->add_route(src, dst, nullptr, nullptr, links, true);
}

/* A host with its energy plugin's property, set before seal() as the parser does (the plugin reads it
 * when the host is sealed); its rs.* properties go to the table. The XML's wattage_off of 0 W is the
 * plugin's default, so it is left out: one map node less per host, 140 MB at 1,048,576 GPUs. */
sg4::Host* host(sg4::NetZone* z, const char* id, double spd, int cores, const char* watts)
{
  sg4::Host* h = z->create_host(id, spd);
  h->set_core_count(cores);
  if (watts)
    h->set_property("wattage_per_state", watts);
  return h->seal();
}

/* One server's hosts, router and links, kept for its routes (generate.c's write_server, routes == 0). */
struct server {
  std::vector<sg4::Host*> gpus, cpus;
  NetPoint* nvswitch;
  std::vector<sg4::Link*> nvlink, nic, mem, c2c;
};

void build_server(builder& b, sg4::NetZone* z, int pod_index, int us, int site, server& sv)
{
  const rs_hw_server_t* s = b.sp->server;
  int per_cpu             = s->gpus / s->cpus;
  int first               = (int)b.table->n_hosts;
  for (int i = 0; i < s->gpus; i++) {
    sv.gpus.push_back(host(z, name(b, "us%d-gpu%d", us, i), b.f.gpu_speed, 1, b.table->gpu_watts));
    int cpu = s->c2c ? first + s->gpus + i / per_cpu : -1;
    rs_hw__gen_add(b.table, {nullptr, sv.gpus.back(), RS_GEN_GPU, us, i, site, pod_index, cpu});
  }
  for (int i = 0; i < s->cpus; i++) {
    const char* w = b.table->cpu_states_watts ? b.table->cpu_watts : nullptr;
    sv.cpus.push_back(host(z, name(b, "us%d-cpu%d", us, i), b.f.cpu_speed, s->cpu->cores, w));
    rs_hw__gen_add(b.table, {nullptr, sv.cpus.back(), RS_GEN_CPU, us, i, site, pod_index, -1});
  }
  sv.nvswitch = z->create_router(name(b, "us%d-nvswitch", us));
  for (int i = 0; i < s->gpus; i++) {
    sv.nvlink.push_back(split_duplex(z, name(b, "us%d-gpu%d-nvlink", us, i), b.f.nvlink_bw, b.f.no_lat));
    sv.nic.push_back(split_duplex(z, name(b, "us%d-gpu%d-nic", us, i), b.f.nic_bw, b.f.no_lat));
  }
  for (int i = 0; i < s->cpus; i++) {
    sv.mem.push_back(
        single(z, name(b, "us%d-cpu%d-mem", us, i), b.f.mem_bw, b.f.no_lat, sg4::Link::SharingPolicy::SHARED));
    for (int k = 0; s->c2c && k < per_cpu; k++)
      sv.c2c.push_back(split_duplex(z, name(b, "us%d-cpu%d-c2c%d", us, i, k), b.f.c2c_bw, b.f.no_lat));
  }
}

/* The server's routes (write_server, routes == 1), after every host and link of the pod. */
void route_server(builder& b, sg4::NetZone* z, const server& sv, const std::vector<NetPoint*>& rails,
                  const sg4::Link* leafhop)
{
  const rs_hw_server_t* s = b.sp->server;
  int per_cpu             = s->gpus / s->cpus;
  for (int i = 0; i < s->gpus; i++) {
    route(z, sv.gpus[i]->get_netpoint(), sv.nvswitch, sv.nvlink[i], nullptr);
    route(z, sv.gpus[i]->get_netpoint(), rails[i], sv.nic[i], leafhop);
  }
  for (int i = 0; s->c2c && i < s->cpus; i++)
    for (int k = 0; k < per_cpu; k++)
      route(z, sv.cpus[i]->get_netpoint(), sv.gpus[i * per_cpu + k]->get_netpoint(), sv.c2c[i * per_cpu + k],
            sv.mem[i]);
}

/* A zone of a site and its gateway, for the site's zone routes. */
struct member {
  sg4::NetZone* zone;
  NetPoint* gw;
};

/* A pod: its servers, one leaf router per rail with its uplink, and the pod's spine gateway. */
member build_pod(builder& b, int site, int pod, int first_us, int n_us)
{
  const rs_hw_server_t* s = b.sp->server;
  std::string id          = name(b, "s%d-pod%d", site, pod);
  sg4::NetZone* z         = detached_zone(sg4::create_dijkstra_zone(id, true));
  sg4::Link* leafhop =
      single(z, (id + "-leafhop").c_str(), b.f.fast_bw, b.f.leaf_lat, sg4::Link::SharingPolicy::FATPIPE);
  sg4::Link* spinehop =
      single(z, (id + "-spinehop").c_str(), b.f.fast_bw, b.f.spine_lat, sg4::Link::SharingPolicy::FATPIPE);
  std::vector<NetPoint*> rails;
  for (int k = 0; k < s->gpus; k++)
    rails.push_back(z->create_router(name(b, "%s-rail%d", id.c_str(), k)));
  NetPoint* spine = z->create_router(id + "-spine");
  std::vector<sg4::Link*> up;
  for (int k = 0; k < s->gpus; k++)
    up.push_back(split_duplex(z, name(b, "%s-rail%d-up", id.c_str(), k), b.f.up_bw, b.f.no_lat));
  std::vector<server> servers(n_us);
  for (int u = 0; u < n_us; u++)
    build_server(b, z, pod, first_us + u, site, servers[u]);
  for (int u = 0; u < n_us; u++)
    route_server(b, z, servers[u], rails, leafhop);
  for (int k = 0; k < s->gpus; k++)
    route(z, rails[k], spine, up[k], spinehop);
  return {z, spine};
}

/* A tier's zone: every host behind its own NIC to the gateway, and nothing else. The XML makes it a
 * DijkstraCache zone, whose routes this zone gives link for link, in Dijkstra's order, with the same
 * latency sums: host to gateway its NIC up, gateway to host its NIC down, host to host through the
 * gateway, a point to itself the network model's loopback (the edge Dijkstra's seal adds to every
 * node). Dijkstra inserts each edge's links at the front of the route it is given, the links of the
 * zones before it included, and walks the path from its end: so does this zone. What it saves: 3.32's
 * Dijkstra checks each new edge against every edge out of its source, the gateway's n (n^2 / 2 edge
 * visits to build it: 7.5 s of the 8.8 s load of 52,090 fleet hosts), and scans them again to route
 * into the tier; here every route is a look-up. */
class tier_zone : public simgrid::kernel::routing::NetZoneImpl
{
  using link_impl = simgrid::kernel::resource::StandardLinkImpl;
  struct spoke {
    link_impl *up = nullptr, *down = nullptr;
    double up_lat = 0, down_lat = 0;
  };
  std::vector<spoke> spokes_; /* by netpoint id (its index in this zone); the gateway's stays empty */
  NetPoint* gw_        = nullptr;
  link_impl* loopback_ = nullptr;
  double loopback_lat_ = 0;

  static void insert_front(simgrid::kernel::routing::Route* into, link_impl* l, double lat, double* latency)
  {
    into->link_list_.insert(into->link_list_.begin(), l);
    if (latency)
      *latency += lat;
  }
  const spoke& spoke_of(const NetPoint* p) const
  {
    if (p->id() >= spokes_.size() || spokes_[p->id()].up == nullptr)
      throw std::invalid_argument("No route from '" + p->get_name() + "' in zone " + get_name());
    return spokes_[p->id()];
  }
  /* As Dijkstra's seal: the loopback edge of every node, where the network model has a loopback. */
  void do_seal() override
  {
    if (get_hierarchy() != RoutingMode::base)
      return;
    if (const sg4::Link* l = sg4::Link::by_name_or_null("__loopback__")) {
      loopback_     = l->get_impl();
      loopback_lat_ = l->get_latency();
    }
  }

public:
  explicit tier_zone(const std::string& name) : NetZoneImpl(name) {}
  void set_gateway(NetPoint* gw) { gw_ = gw; }
  /* Host h's NIC to the gateway (the XML's symmetrical route through it, UP from the host). */
  void add_spoke(const NetPoint* h, sg4::SplitDuplexLink* nic)
  {
    std::vector<sg4::LinkInRoute> l{sg4::LinkInRoute(nic, Dir::UP)};
    if (spokes_.size() <= h->id())
      spokes_.resize(h->id() + 1);
    spoke& s   = spokes_[h->id()];
    s.up       = get_link_list_impl(l, false).at(0);
    s.down     = get_link_list_impl(l, true).at(0);
    s.up_lat   = nic->get_link_up()->get_latency();
    s.down_lat = nic->get_link_down()->get_latency();
  }
  void get_local_route(const NetPoint* src, const NetPoint* dst, simgrid::kernel::routing::Route* into,
                       double* latency) override
  {
    if (src == dst) {
      if (loopback_ == nullptr)
        throw std::invalid_argument("No route from '" + src->get_name() + "' to '" + dst->get_name() + "'");
      insert_front(into, loopback_, loopback_lat_, latency);
      return;
    }
    if (dst != gw_) { /* the path's last edge first, as Dijkstra walks it */
      const spoke& d = spoke_of(dst);
      insert_front(into, d.down, d.down_lat, latency);
    }
    if (src != gw_) {
      const spoke& s = spoke_of(src);
      insert_front(into, s.up, s.up_lat, latency);
    }
  }
};

/* A tier of the site's hosts, each behind its NIC to the tier's gateway (generate.c's write_tier): the
 * CPU fleet, or the storage tier. */
member build_tier(builder& b, int site, const char* tier)
{
  bool storage    = std::strcmp(tier, "storage") == 0;
  int n           = storage ? b.sp->storage_hosts : b.sp->cpu_hosts;
  double spd      = storage ? b.f.storage_speed : b.f.fleet_speed;
  int cores       = storage ? 1 : b.sp->fleet_cpu->cores;
  const char* w   = !storage && b.table->fleet_states_watts ? b.table->fleet_watts : nullptr;
  double bw       = storage ? b.f.storage_bw : b.f.fleet_nic_bw;
  auto* impl      = new tier_zone(name(b, "s%d-%s", site, tier));
  sg4::NetZone* z = detached_zone(impl->get_iface());
  NetPoint* gw    = z->create_router(name(b, "s%d-%s-gw", site, tier));
  impl->set_gateway(gw);
  std::vector<sg4::Host*> hosts;
  std::vector<sg4::SplitDuplexLink*> nics;
  for (int i = 0; i < n; i++) {
    hosts.push_back(host(z, name(b, "s%d-%s%d", site, tier, i), spd, cores, w));
    rs_hw__gen_add(b.table, {nullptr, hosts.back(), storage ? RS_GEN_STORAGE : RS_GEN_FLEET, -1, i, site, -1, -1});
    sg4::SplitDuplexLink* l = z->create_split_duplex_link(name(b, "s%d-%s%d-nic", site, tier, i), bw);
    l->set_latency(b.f.leaf_lat);
    l->seal();
    nics.push_back(l);
  }
  for (int i = 0; i < n; i++)
    impl->add_spoke(hosts[i]->get_netpoint(), nics[i]);
  return {z, gw};
}

/* The site's cloud provider, entry `site` of the providers list (generate.c's write_provider). */
void set_provider(const rs_platgen_spec_t* sp, sg4::NetZone* z, int site)
{
  int len;
  const char* p = rs_hw__provider(sp, site, &len);
  if (p != nullptr)
    z->set_property("rs.provider", std::string(p, (size_t)len));
}

/* A site: its pods, its CPU fleet, its storage tier and its border, joined by the site's spine. */
member build_site(builder& b, int site)
{
  const rs_platgen_spec_t* sp = b.sp;
  int pods                    = (sp->servers + sp->servers_per_pod - 1) / sp->servers_per_pod;
  sg4::NetZone* z             = detached_zone(sg4::create_full_zone(name(b, "s%d", site)));
  std::vector<member> m;
  for (int p = 0; p < pods; p++) {
    int first = p * sp->servers_per_pod;
    int count = std::min(sp->servers - first, sp->servers_per_pod);
    m.push_back(build_pod(b, site, p, site * sp->servers + first, count));
  }
  if (sp->cpu_hosts > 0)
    m.push_back(build_tier(b, site, "fleet"));
  if (sp->storage_hosts > 0)
    m.push_back(build_tier(b, site, "storage"));
  sg4::NetZone* edge = detached_zone(sg4::create_full_zone(name(b, "s%d-edge", site)));
  NetPoint* border   = edge->create_router(name(b, "s%d-border", site));
  m.push_back({edge, border});
  for (const member& x : m)
    x.zone->set_parent(z);
  /* The spine between the site's zones: non-blocking, so a latency-only link. */
  sg4::Link* spine = single(z, name(b, "s%d-spine", site), b.f.fast_bw, b.f.no_lat, sg4::Link::SharingPolicy::FATPIPE);
  for (size_t i = 0; i < m.size(); i++)
    for (size_t j = i + 1; j < m.size(); j++)
      z->add_route(m[i].zone->get_netpoint(), m[j].zone->get_netpoint(), m[i].gw, m[j].gw, {sg4::LinkInRoute(spine)},
                   true);
  set_provider(sp, z, site);
  return {z, border};
}

/* The <config> block of the XML: each key, in sorted order, only where the user left its default. */
void configure()
{
  static const char* const keys[][2] = {
      {"network/TCP-gamma", "0"}, {"network/crosstraffic", "0"}, {"network/model", "CM02"}};
  for (const auto& kv : keys)
    if (simgrid::config::is_default(kv[0]))
      simgrid::config::set_parse(std::string(kv[0]) + ":" + kv[1]);
}

void build(builder& b)
{
  const rs_platgen_spec_t* sp = b.sp;
  configure();
  sg4::NetZone* world = sg4::create_full_zone("world");
  std::vector<member> sites;
  for (int s = 0; s < sp->sites; s++)
    sites.push_back(build_site(b, s));
  for (const member& x : sites)
    x.zone->set_parent(world);
  std::vector<sg4::Link*> wan;
  for (int s = 0; s < sp->sites; s++)
    for (int t = s + 1; t < sp->sites; t++)
      wan.push_back(split_duplex(world, name(b, "wan-s%d-s%d", s, t), b.f.wan_bw, b.f.wan_lat));
  for (int s = 0, k = 0; s < sp->sites; s++)
    for (int t = s + 1; t < sp->sites; t++, k++)
      world->add_route(sites[s].zone->get_netpoint(), sites[t].zone->get_netpoint(), sites[s].gw, sites[t].gw,
                       {sg4::LinkInRoute(wan[k], Dir::UP)}, true);
  char v[64];
  std::snprintf(v, sizeof v, "%g", sp->oversubscription);
  world->set_property("rs.oversubscription", v);
  std::snprintf(v, sizeof v, "%g", sp->hop_latency_us);
  world->set_property("rs.hop_latency_us", v);
  sg4::Engine::on_platform_created(); /* as the parser signals at </platform> */
}

} // namespace

extern "C" int rs_hw__build(const rs_platgen_spec_t* sp, rs_gen_t* table, rs_err_t* err)
{
  if (sg4::Engine::get_instance()->get_netzone_root() != nullptr)
    return rs_err_set(err, "cannot build a generated platform: the engine already holds a platform");
  try {
    builder b{sp, read_figures(sp), table, {0}};
    if (!usable(b.f, sp))
      return rs_err_set(err, "cannot build the generated platform: a speed or bandwidth of its hardware is not a "
                             "positive finite number");
    build(b);
  } catch (const std::exception& e) {
    return rs_err_set(err, "SimGrid refused the generated platform: %s", e.what());
  }
  return RS_OK;
}
