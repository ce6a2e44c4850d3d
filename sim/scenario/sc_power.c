/* sc_power.c -- the power: and pricing: sections of a scenario: how power.csv is sampled, each site's
 * PUE and electricity price, the power of what is not a GPU or CPU host (server overhead, scale-out
 * ports), and the price of a GPU-hour. Defaults cite their sources in sim/hw/presets.c and hw.h; it
 * computes no power (sim/run/power.c does). See LICENSE. */
#include "scenario/schema.h"

#include <stddef.h>

/* ---- power.sites ---------------------------------------------------------------------------------- */

/* A site's key left out (or usd_per_kwh 0) takes the section's value. */
#define FSI(m) offsetof(rs_sc_power_site_t, m)
static const rs_sc__field_t site_fields[] = {
    {"pue", RS_SC__NUM, FSI(pue), .min = 1, .max = 10},
    {"usd_per_kwh", RS_SC__NUM, FSI(usd_per_kwh), .min = 0, .max = 1e3},
};
static const rs_sc__table_t site_table = {RS_SC__FIELDS(site_fields)};

/* Sites that leave pue or usd_per_kwh out take the section's; a port's idle power cannot pass its maximum. */
static int check_power(rs_sc__walk_t* w, const rs_sc__loc_t* at, void* base)
{
  rs_sc_power_t* p = base;
  if (p->nic_idle_w > p->nic_max_w)
    return rs_sc__err_key(w, at, "nic_idle_w", "expected at most nic_max_w (%g W), got '%g'", p->nic_max_w,
                          p->nic_idle_w);
  if (p->switch_port_idle_w > p->switch_port_max_w)
    return rs_sc__err_key(w, at, "switch_port_idle_w", "expected at most switch_port_max_w (%g W), got '%g'",
                          p->switch_port_max_w, p->switch_port_idle_w);
  for (int i = 0; i < p->n_sites; i++) {
    if (p->sites[i].pue == 0) /* not given: the walk refuses anything under 1 */
      p->sites[i].pue = p->pue;
    if (p->sites[i].usd_per_kwh == 0)
      p->sites[i].usd_per_kwh = p->usd_per_kwh;
  }
  return RS_OK;
}

/* The defaults: window 1 s; PUE 1.15 (AWS's, docs/sources.md "Power"); electricity
 * $0.08 per kWh (unverified: about the US industrial average of recent years); ports as hw.h's
 * RS_HW_NIC_* and RS_HW_SWITCH_PORT_* (unverified); power supplies 0.96 efficient: 80 PLUS Titanium's
 * floor at half load for 230 V internal redundant supplies (90% at 10% load, 94% at 20%, 96% at 50%, 91%
 * at 100%; the 80 Plus program's table, as Wikipedia's "80 Plus" gives it), the load at which redundant
 * supplies sharing a server (N+N: NVL72 power shelves, 6 x 5.5 kW per shelf, 8 shelves for a 120-132 kW
 * rack, NVIDIA BCM "Power Shelf Integration"; HGX servers' supply pairs) run at its full load (unverified:
 * which tier each server's supplies meet; lower loads convert worse and racksim keeps one factor). */
#define FP(m) offsetof(rs_sc_power_t, m)
static const char* const budget_names[]    = {"refuse", "cap", NULL};
static const rs_sc__field_t power_fields[] = {
    {"window_s", RS_SC__NUM, FP(window_s), .min = 1e-6, .max = 1e9, .def = "1"},
    {"pue", RS_SC__NUM, FP(pue), .min = 1, .max = 10, .def = "1.15"},
    {"usd_per_kwh", RS_SC__NUM, FP(usd_per_kwh), .min = 0, .max = 1e3, .def = "0.08"},
    {"overhead_w_per_gpu", RS_SC__NUM, FP(overhead_w_per_gpu), .min = 0, .max = 1e5},
    {"psu_efficiency", RS_SC__NUM, FP(psu_efficiency), .min = 0.5, .max = 1, .def = "0.96"},
    {"nic_idle_w", RS_SC__NUM, FP(nic_idle_w), .min = 0, .max = 1e4, .def = "20"},
    {"nic_max_w", RS_SC__NUM, FP(nic_max_w), .min = 0, .max = 1e4, .def = "30"},
    {"switch_port_idle_w", RS_SC__NUM, FP(switch_port_idle_w), .min = 0, .max = 1e4, .def = "12"},
    {"switch_port_max_w", RS_SC__NUM, FP(switch_port_max_w), .min = 0, .max = 1e4, .def = "18"},
    {"site_budget_mw", RS_SC__NUM, FP(site_budget_mw), .min = 1e-6, .max = 1e6},
    {"over_budget", RS_SC__ENUM, FP(over_budget), .choices = budget_names, .def = "refuse"},
    {"gpu_cap_w", RS_SC__NUM, FP(gpu_cap_w), .min = 1e-6, .max = 1e5},
    {"sites", RS_SC__SEQ, FP(sites), .sub = &site_table, .count_off = FP(n_sites),
     .item_size = sizeof(rs_sc_power_site_t), .what = "a list of sites, in the platform's order ('- pue: ...')"},
};
const rs_sc__table_t rs_sc__power = {RS_SC__FIELDS(power_fields), .check = check_power};

/* pricing: into the same struct. 0 for usd_per_gpu_hour: the GPU type's default price (rs_hw_power). */
static const rs_sc__field_t pricing_fields[] = {
    {"usd_per_gpu_hour", RS_SC__NUM, FP(usd_per_gpu_hour), .min = 1e-6, .max = 1e6},
    {"usd_per_cpu_host_hour", RS_SC__NUM, FP(usd_per_cpu_host_hour), .min = 1e-6, .max = 1e6},
    {"usd_per_cpu_core_hour", RS_SC__NUM, FP(usd_per_cpu_core_hour), .min = 1e-6, .max = 1e6},
};
const rs_sc__table_t rs_sc__pricing = {RS_SC__FIELDS(pricing_fields)};
