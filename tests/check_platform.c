/* check_platform.c -- tests of platform.c and the shipped platform files: counts, figures read from
 * host properties, routes that keep GPU traffic on NVLink, real link sharing, and clean refusal of bad
 * files. Each test forks (Check's default): SimGrid allows one engine per process. */
#include "check_util.h"
#include "hw/hw.h"

#include <check.h>
#include <simgrid/actor.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xbt/dynar.h>

START_TEST(gb200x72_counts_and_figures)
{
  rs_platform_t* p = rs_test_load_preset("u-p6e-gb200x72");
  ck_assert_int_eq(p->n_gpus, 72);
  ck_assert_int_eq(p->n_cpus, 36);
  ck_assert_int_eq(p->n_domains, 1);
  ck_assert_int_eq(p->n_models, 1);
  const rs_gpu_model_t* m = p->gpus[0].model;
  ck_assert_str_eq(m->name, "GB200");
  ck_assert_double_eq_tol(m->peak_flops[RS_PREC_BF16], 2.5e15, 1);
  ck_assert_double_eq_tol(m->peak_flops[RS_PREC_FP4], 10e15, 1);
  ck_assert_double_eq_tol(m->hbm_bytes, 189471 * 1048576.0, 1e6); /* the driver's 189,471 MiB, in 6 digits */
  ck_assert_double_eq_tol(m->nvlink_bytes_per_s, 900e9, 1);
  ck_assert_double_eq_tol(m->nic_bytes_per_s, 50e9, 1); /* 400 Gb/s = 50 GB/s: bits vs bytes */
  ck_assert_double_eq_tol(sg_host_get_speed(p->gpus[5].host), 2.5e15, 1);
  ck_assert_int_eq(p->cpus[0].cores, 72);
  for (int i = 0; i < p->n_gpus; i++)
    ck_assert_int_eq(p->gpus[i].local, i); /* ordered by position, not by name */
  ck_assert_int_eq(rs_platform_domain_size(p, 10), 72);
  /* each Grace CPU hangs off two GPUs' NVLink-C2C (rs.cpu): GPUs 2k and 2k + 1 on us0-cpuk */
  for (int i = 0; i < p->n_gpus; i++) {
    char name[32];
    snprintf(name, sizeof name, "us0-cpu%d", i / 2);
    ck_assert_int_ge(p->gpus[i].cpu, 0);
    ck_assert_str_eq(sg_host_get_name(p->cpus[p->gpus[i].cpu].host), name);
  }
  rs_platform_free(p);
}
END_TEST

/* A platform without NVLink-C2C states no CPU host for its GPUs: racksim models no PCIe path. */
START_TEST(pcie_servers_name_no_cpu_host)
{
  rs_platform_t* p = rs_test_load_preset("p5.48xlarge");
  ck_assert_int_eq(p->n_cpus, 2);
  for (int i = 0; i < p->n_gpus; i++)
    ck_assert_int_eq(p->gpus[i].cpu, -1);
  rs_platform_free(p);
}
END_TEST

/* Every preset file loads, with the GPU and CPU counts of its preset. */
START_TEST(every_preset_loads)
{
  const rs_hw_server_t* s = rs_hw_server_at(_i);
  rs_platform_t* p        = rs_test_load_preset(s->name);
  ck_assert_int_eq(p->n_gpus, s->gpus);
  ck_assert_int_eq(p->n_cpus, s->cpus);
  ck_assert_str_eq(p->gpus[0].model->name, s->gpu->model);
  rs_platform_free(p);
}
END_TEST

/* ---- routes: queried from an actor, since Dijkstra zones are sealed inside simgrid_run -------- */

typedef struct probe {
  rs_platform_t* p;
  double bw_gpu_gpu, lat_gpu_gpu, bw_cpu_gpu, bw_gpu_efa;
  long links_gpu_gpu;
  double t_one_flow, t_two_flows;
} probe_t;

static void probe_routes(int argc, char** argv)
{
  probe_t* pr      = sg_actor_self_get_data();
  rs_platform_t* p = pr->p;
  sg_host_t g0 = p->gpus[0].host, g1 = p->gpus[1].host;
  pr->bw_gpu_gpu    = sg_host_get_route_bandwidth(g0, g1);
  pr->lat_gpu_gpu   = sg_host_get_route_latency(g0, g1);
  pr->bw_cpu_gpu    = sg_host_get_route_bandwidth(p->cpus[0].host, g0);
  xbt_dynar_t links = xbt_dynar_new(sizeof(sg_link_t), NULL);
  sg_host_get_route(g0, g1, links);
  pr->links_gpu_gpu = xbt_dynar_length(links);
  for (unsigned i = 0; i < xbt_dynar_length(links); i++) {
    const char* name = sg_link_get_name(xbt_dynar_get_as(links, i, sg_link_t));
    ck_assert_msg(strstr(name, "nvlink") != NULL, "GPU-GPU route goes through %s", name);
  }
  xbt_dynar_free(&links);
}

static void send_flow(int argc, char** argv)
{
  sg_host_t* pair = sg_actor_self_get_data();
  sg_host_sendto(pair[0], pair[1], 9e9);
}

START_TEST(routes_stay_on_nvlink)
{
  probe_t pr   = {.p = rs_test_load_preset("u-p6e-gb200x72")};
  sg_actor_t a = sg_actor_init("probe", pr.p->gpus[0].host);
  sg_actor_set_data(a, &pr);
  sg_actor_start(a, probe_routes, 0, NULL);
  simgrid_run();
  ck_assert_double_eq_tol(pr.bw_gpu_gpu, 900e9, 1);
  ck_assert_double_eq_tol(pr.lat_gpu_gpu, 0, 1e-12);
  ck_assert_int_eq(pr.links_gpu_gpu, 2);            /* GPU0 up-link, GPU1 down-link: no C2C, no NIC */
  ck_assert_double_eq_tol(pr.bw_cpu_gpu, 450e9, 1); /* NVLink-C2C per direction, below Grace's 512 GB/s memory */
  rs_platform_free(pr.p);
}
END_TEST

/* Two flows into one GPU share its NVLink down-link: 9 GB each take twice as long as one alone. */
START_TEST(flows_share_a_link)
{
  rs_platform_t* p = rs_test_load_preset("u-p6e-gb200x72");
  static sg_host_t pairs[2][2];
  pairs[0][0] = p->gpus[0].host, pairs[0][1] = p->gpus[2].host;
  pairs[1][0] = p->gpus[1].host, pairs[1][1] = p->gpus[2].host;
  for (int i = 0; i < 2; i++) {
    sg_actor_t a = sg_actor_init("flow", pairs[i][0]);
    sg_actor_set_data(a, pairs[i]);
    sg_actor_start(a, send_flow, 0, NULL);
  }
  simgrid_run();
  ck_assert_double_eq_tol(simgrid_get_clock(), 2 * 9e9 / 900e9, 1e-9);
  rs_platform_free(p);
}
END_TEST

START_TEST(disjoint_flows_do_not_share)
{
  rs_platform_t* p = rs_test_load_preset("u-p6e-gb200x72");
  static sg_host_t pairs[2][2];
  pairs[0][0] = p->gpus[0].host, pairs[0][1] = p->gpus[2].host;
  pairs[1][0] = p->gpus[1].host, pairs[1][1] = p->gpus[3].host;
  for (int i = 0; i < 2; i++) {
    sg_actor_t a = sg_actor_init("flow", pairs[i][0]);
    sg_actor_set_data(a, pairs[i]);
    sg_actor_start(a, send_flow, 0, NULL);
  }
  simgrid_run();
  ck_assert_double_eq_tol(simgrid_get_clock(), 9e9 / 900e9, 1e-9); /* the NVSwitch is non-blocking */
  rs_platform_free(p);
}
END_TEST

/* ---- bad platform files -------------------------------------------------------------------- */

static void write_file(const char* path, const char* text, size_t len)
{
  FILE* fp = fopen(path, "wb");
  ck_assert_ptr_nonnull(fp);
  fwrite(text, 1, len, fp);
  fclose(fp);
}

static int try_load(const char* path, rs_err_t* err)
{
  rs_test_simgrid_init();
  rs_platform_t* p = NULL;
  int rc           = rs_platform_load(path, &p, err);
  rs_platform_free(p);
  return rc;
}

START_TEST(empty_and_binary_files_are_refused)
{
  rs_err_t err = {{0}};
  write_file("/tmp/rs-empty.xml", "", 0);
  ck_assert_int_eq(try_load("/tmp/rs-empty.xml", &err), RS_ERR);
  ck_assert_str_eq(err.msg, "/tmp/rs-empty.xml: the platform file is empty: expected SimGrid platform XML");
  write_file("/tmp/rs-binary.xml",
             "\x7f"
             "ELF\0\0\1",
             7);
  ck_assert_int_eq(try_load("/tmp/rs-binary.xml", &err), RS_ERR);
  ck_assert_str_eq(err.msg, "/tmp/rs-binary.xml:1: not a SimGrid platform: expected XML starting with <?xml ...?>");
  ck_assert_int_eq(try_load("/tmp/rs-does-not-exist.xml", &err), RS_ERR);
  ck_assert_str_eq(err.msg, "/tmp/rs-does-not-exist.xml: cannot open the platform: No such file or directory");
  unlink("/tmp/rs-empty.xml");
  unlink("/tmp/rs-binary.xml");
}
END_TEST

/* A GPU type racksim has no calibration for is refused by name, not timed with another type's figures. */
START_TEST(uncalibrated_gpu_is_refused)
{
  FILE* in = fopen(RS_SOURCE_DIR "/platforms/p5.48xlarge.xml", "rb");
  ck_assert_ptr_nonnull(in);
  static char xml[1 << 20];
  size_t n = fread(xml, 1, sizeof xml - 1, in);
  fclose(in);
  xml[n] = '\0';
  static char out[1 << 20];
  size_t k = 0;
  for (const char* p = xml; *p; p++) { /* every rs.model "H100" becomes "X900" */
    if (strncmp(p, "value=\"H100\"", 12) == 0) {
      memcpy(out + k, "value=\"X900\"", 12);
      k += 12;
      p += 11;
    } else
      out[k++] = *p;
  }
  write_file("/tmp/rs-uncalibrated.xml", out, k);
  rs_err_t err = {{0}};
  ck_assert_int_eq(try_load("/tmp/rs-uncalibrated.xml", &err), RS_ERR);
  ck_assert_str_eq(err.msg, "/tmp/rs-uncalibrated.xml: GPU model X900 (rs.model) has no calibration; racksim is "
                            "calibrated for GB200, GB300, B200, B300, H100, H800, H200, A100");
  unlink("/tmp/rs-uncalibrated.xml");
}
END_TEST

/* SimGrid aborts on a malformed file; racksim turns that into exit code 2 (checked by the exit status). */
START_TEST(malformed_xml_exits_2)
{
  const char* xml = "<?xml version='1.0'?>\n<!DOCTYPE platform SYSTEM \"https://simgrid.org/simgrid.dtd\">\n"
                    "<platform version=\"4.1\">\n<zone id=\"z\" routing=\"Full\">\n<host id=\"h\" speed=\"1Gf\">\n"
                    "</zone></platform>\n";
  write_file("/tmp/rs-malformed.xml", xml, strlen(xml));
  rs_err_t err = {{0}};
  try_load("/tmp/rs-malformed.xml", &err);
}
END_TEST

static Suite* platform_suite(void)
{
  Suite* s  = suite_create("platform");
  TCase* tc = tcase_create("presets");
  int n     = 0;
  while (rs_hw_server_at(n))
    n++;
  tcase_add_test(tc, gb200x72_counts_and_figures);
  tcase_add_test(tc, pcie_servers_name_no_cpu_host);
  tcase_add_loop_test(tc, every_preset_loads, 0, n);
  suite_add_tcase(s, tc);
  tc = tcase_create("routes");
  tcase_add_test(tc, routes_stay_on_nvlink);
  tcase_add_test(tc, flows_share_a_link);
  tcase_add_test(tc, disjoint_flows_do_not_share);
  suite_add_tcase(s, tc);
  tc = tcase_create("bad files");
  tcase_add_test(tc, empty_and_binary_files_are_refused);
  tcase_add_test(tc, uncalibrated_gpu_is_refused);
  tcase_add_exit_test(tc, malformed_xml_exits_2, 2);
  suite_add_tcase(s, tc);
  return s;
}

RS_CHECK_MAIN(platform_suite)
