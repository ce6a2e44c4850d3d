/* check_scenario.c -- Check suite for the scenario loader (sim/scenario/), called directly: every bad
 * fixture of tests/bad that the loader itself rejects, with its exact message; the values of a valid
 * scenario and the defaults; --set overrides; rs_parse_bytes; rs_scenario_err; scenarios with more keys
 * than any fixed array would hold. The walker alone is check_walk's. Runs in RS_SOURCE_DIR,
 * so that paths in messages read "tests/bad/NAME.yaml" as a user would type them. See LICENSE. */
#define _GNU_SOURCE
#include "scenario/scenario.h"

#include <check.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef RS_SOURCE_DIR
#error "RS_SOURCE_DIR must name the source directory"
#endif

#define QUICKSTART "scenarios/quickstart.yaml"
#define GIB 1073741824.0
#define MIB 1048576.0

/* Loads path with the given --set arguments (a NULL-terminated list, or NULL). */
static rs_scenario_t* load(const char* path, const char* const* sets, rs_err_t* err)
{
  int n = 0;
  while (sets && sets[n])
    n++;
  memset(err->msg, 0, sizeof err->msg);
  return rs_scenario_load(path, sets, n, err);
}

/* Loading path with sets must fail with exactly msg. */
static void assert_rejected(const char* path, const char* const* sets, const char* msg)
{
  rs_err_t err;
  rs_scenario_t* sc = load(path, sets, &err);
  ck_assert_msg(sc == NULL, "%s was accepted, expected: %s", path, msg);
  ck_assert_str_eq(err.msg, msg);
}

static rs_scenario_t* assert_loads(const char* path, const char* const* sets)
{
  rs_err_t err;
  rs_scenario_t* sc = load(path, sets, &err);
  ck_assert_msg(sc != NULL, "%s was rejected: %s", path, err.msg);
  return sc;
}

/* ---- bad fixtures the loader rejects ---- */

static const struct {
  const char* file;
  const char* msg;
} rejected[] = {
    {"tests/bad/empty.yaml",
     "tests/bad/empty.yaml: the file is empty: expected a YAML scenario with keys name, platform and workloads"},
    {"tests/bad/binary.yaml", "tests/bad/binary.yaml:2: not a text file (control byte 0x00): expected a YAML scenario "
                              "with keys name, platform and workloads"},
    {"tests/bad/syntax.yaml", "tests/bad/syntax.yaml:4: not valid YAML: flow sequence without a closing bracket"},
    {"tests/bad/top-list.yaml",
     "tests/bad/top-list.yaml:1: expected a mapping with keys name, platform and workloads at the top, got a list"},
    {"tests/bad/unknown-key.yaml", "tests/bad/unknown-key.yaml:3: workload: unknown key; expected one of: name, "
                                   "description, seed, platform, workloads, outputs, failures, power, pricing, record"},
    {"tests/bad/unknown-workload-key.yaml",
     "tests/bad/unknown-workload-key.yaml:5: workloads[0].max_size: unknown key; expected one of: name, kind, start_s, "
     "first_gpu, op, algorithm, gpus, min_bytes, max_bytes, factor, iterations"},
    {"tests/bad/seed-abc.yaml", "tests/bad/seed-abc.yaml:2: seed: expected a non-negative integer, got 'abc'"},
    {"tests/bad/gpus-many.yaml",
     "tests/bad/gpus-many.yaml:5: workloads[0].gpus: expected an integer from 2 to 100000000, got 'many'"},
    {"tests/bad/gpus-1.yaml",
     "tests/bad/gpus-1.yaml:5: workloads[0].gpus: expected an integer from 2 to 100000000, got '1'"},
    {"tests/bad/factor-1.yaml",
     "tests/bad/factor-1.yaml:5: workloads[0].factor: expected an integer from 2 to 1024, got '1'"},
    {"tests/bad/start-negative.yaml",
     "tests/bad/start-negative.yaml:5: workloads[0].start_s: expected a number from 0 to 1e+12, got '-1'"},
    {"tests/bad/op-bad.yaml", "tests/bad/op-bad.yaml:5: workloads[0].op: expected one of all-reduce, all-gather, "
                              "reduce-scatter, all-to-all, broadcast, send-recv, got 'allreduce'"},
    {"tests/bad/missing-name.yaml", "tests/bad/missing-name.yaml:1: missing required key 'name'"},
    {"tests/bad/missing-platform.yaml", "tests/bad/missing-platform.yaml:1: missing required key 'platform'"},
    {"tests/bad/missing-workloads.yaml", "tests/bad/missing-workloads.yaml:1: missing required key 'workloads'"},
    {"tests/bad/missing-kind.yaml", "tests/bad/missing-kind.yaml:4: workloads[0]: missing required key 'kind' (one of "
                                    "collective, training, inference, agentic)"},
    {"tests/bad/empty-workloads.yaml", "tests/bad/empty-workloads.yaml:3: workloads: expected a list of workloads "
                                       "(lines starting with '- kind: ...'), got an empty list"},
    {"tests/bad/platform-both.yaml", "tests/bad/platform-both.yaml:2: platform: expected exactly one of 'preset' (a "
                                     "platform shipped with racksim), 'file' (an XML file) or 'generate' (a cluster "
                                     "racksim builds)"},
    {"tests/bad/platform-file-missing.yaml",
     "tests/bad/platform-file-missing.yaml:3: platform.file: expected a SimGrid platform file, but "
     "'tests/bad/no-such-platform.xml' does not exist"},
    {"tests/bad/preset-unknown.yaml", "tests/bad/preset-unknown.yaml:3: platform.preset: expected the name of a "
                                      "platform in platforms/ (such as u-p6e-gb200x72), got 'u-p9-nosuch'"},
    {"tests/bad/min-gt-max.yaml", "tests/bad/min-gt-max.yaml:6: workloads[0].max_bytes: expected at least min_bytes "
                                  "(1073741824 bytes), got 1048576 bytes"},
    {"tests/bad/duplicate-names.yaml", "tests/bad/duplicate-names.yaml:6: workloads[1].name: expected a name no "
                                       "other workload has, got 'sweep', the name of workloads[0]"},
    {"tests/bad/inference-prefill-layout.yaml",
     "tests/bad/inference-prefill-layout.yaml:7: workloads[0].prefill_tp: expected no prefill_tp unless "
     "prefill_replicas is above 0 (a prefill pool), got 4"},
    {"tests/bad/inference-unknown-key.yaml",
     "tests/bad/inference-unknown-key.yaml:7: workloads[0].max_tokens: unknown key; expected one of: name, kind, "
     "start_s, first_gpu, model, gpus, tp, ep, pp, precision, kv_precision, mode, requests, arrival, rate_per_s, "
     "burstiness, trace, rate_table, length_table, rate_period_s, prompt_dist, prompt_tokens, output_dist, "
     "output_tokens, max_batch_tokens, max_seqs, chunked_prefill, chunk_in_blocks, kv_block_tokens, hbm_utilization, "
     "preemption, "
     "swap_gbytes_per_s, routing, slo_ttft_s, slo_tpot_s, sample_s, tp_across_domains, collective_memo, "
     "prefill_replicas, prefill_tp, prefill_ep, prefill_pp, shared_prefix_tokens, prefix_caching, redundant_experts, "
     "moe_imbalance, attention_precision, projection_precision, decode_first, kernel_floor_s"},
    {"tests/bad/fail-class-unknown.yaml",
     "tests/bad/fail-class-unknown.yaml:7: failures.classes[0].class: expected one of gpu, hbm, nic, host, "
     "nvlink_switch_tray, power_shelf, leaf_switch, spine_switch, link, cpu_host, storage, software, got 'toaster'"},
    {"tests/bad/platform-providers-count.yaml",
     "tests/bad/platform-providers-count.yaml:3: platform.generate.providers: expected 2 provider names (one per "
     "site, comma-separated: letters, digits, '-', '_'), got 'aws,azure,oracle'"},
    {"tests/bad/fail-retry-unknown.yaml",
     "tests/bad/fail-retry-unknown.yaml:6: failures.inference.retry: expected one of resubmit, lose, got 'forever'"},
    {"tests/bad/fail-mtbf-zero.yaml",
     "tests/bad/fail-mtbf-zero.yaml:8: failures.classes[0].mtbf_h: expected a number from 1e-06 to 1e+12, got '0'"},
    {"tests/bad/fail-mtbf-negative.yaml",
     "tests/bad/fail-mtbf-negative.yaml:8: failures.classes[0].mtbf_h: expected a number from 1e-06 to 1e+12, got "
     "'-5'"},
    {"tests/bad/fail-shape-exponential.yaml", "tests/bad/fail-shape-exponential.yaml:9: failures.classes[0].shape: "
                                              "expected no shape unless distribution: weibull, got '1.5'"},
    {"tests/bad/fail-degrade-above-1.yaml", "tests/bad/fail-degrade-above-1.yaml:11: failures.events[0].fraction: "
                                            "expected a number from 1e-06 to 1, got '1.5'"},
    {"tests/bad/fail-event-no-target.yaml",
     "tests/bad/fail-event-no-target.yaml:7: failures.events[0]: expected a target: one of rack, server, gpu, "
     "link_class, pod, site or provider"},
    {"tests/bad/fail-preset-no-repair.yaml",
     "tests/bad/fail-preset-no-repair.yaml:5: failures.repair: expected a repair: {mean_h: ...} with preset: llama3 "
     "(the paper gives no repair times)"},
};

#define N_REJECTED ((int)(sizeof rejected / sizeof rejected[0]))

START_TEST(test_bad_fixture)
{
  assert_rejected(rejected[_i].file, NULL, rejected[_i].msg);
}
END_TEST

START_TEST(test_cannot_open)
{
  assert_rejected("tests/bad/no-such-scenario.yaml", NULL,
                  "tests/bad/no-such-scenario.yaml: cannot open the scenario: No such file or directory");
  assert_rejected("tests/bad", NULL, "tests/bad: cannot read the scenario (is it a directory?)");
}
END_TEST

/* Inputs that once hung the loader: '%' then a byte that is not UTF-8 spins libfyaml 0.7.12's directive
 * scanner forever, and a FIFO blocks fopen until a writer comes. Both are refused before libfyaml. */
START_TEST(test_hostile_files_are_refused_at_once)
{
  const char* bad[] = {"%\x80", "name: x\n\xc3(\n", "name: \xed\xa0\x80\n", "name: \xf0\x9f\x98\n"};
  char path[64];
  for (int k = 0; k < 4; k++) {
    snprintf(path, sizeof path, "/tmp/rs-utf8-%d-%d.yaml", (int)getpid(), k);
    FILE* fp = fopen(path, "wb");
    ck_assert_ptr_nonnull(fp);
    fputs(bad[k], fp);
    fclose(fp);
    char msg[160];
    snprintf(msg, sizeof msg, "%s:%d: not UTF-8 text: expected a YAML scenario in UTF-8", path, k == 1 ? 2 : 1);
    assert_rejected(path, NULL, msg);
    unlink(path);
  }
  snprintf(path, sizeof path, "/tmp/rs-fifo-%d.yaml", (int)getpid());
  ck_assert_int_eq(mkfifo(path, 0600), 0);
  char msg[160];
  snprintf(msg, sizeof msg, "%s: cannot read the scenario: not a regular file (a FIFO or a device)", path);
  assert_rejected(path, NULL, msg);
  unlink(path);
  /* 10,000 levels of nesting stop at libfyaml's depth limit, at the line where they start */
  snprintf(path, sizeof path, "/tmp/rs-deep-%d.yaml", (int)getpid());
  FILE* deep = fopen(path, "wb");
  ck_assert_ptr_nonnull(deep);
  fputs("name: deep\nx: ", deep);
  for (int k = 0; k < 10000; k++)
    fputc('[', deep);
  for (int k = 0; k < 10000; k++)
    fputc(']', deep);
  fclose(deep);
  snprintf(msg, sizeof msg, "%s:2: not valid YAML: Max depth (64) exceeded", path);
  assert_rejected(path, NULL, msg);
  unlink(path);
  /* a 200 MB file is refused by its size, before a byte is read (a sparse file: no disk used) */
  snprintf(path, sizeof path, "/tmp/rs-huge-%d.yaml", (int)getpid());
  FILE* fp = fopen(path, "wb");
  ck_assert_ptr_nonnull(fp);
  ck_assert_int_eq(ftruncate(fileno(fp), 200000000), 0);
  fclose(fp);
  snprintf(msg, sizeof msg,
           "%s: the scenario is 200 MB: expected at most 16 MB of YAML (per-request data belongs in a CSV trace)",
           path);
  assert_rejected(path, NULL, msg);
  unlink(path);
}
END_TEST

/* Fixtures the loader accepts: their fault shows only against the platform (racksim rejects them,
 * see check_cli); rs_scenario_err must then point at the key's line. */
START_TEST(test_platform_faults_load)
{
  rs_err_t err;
  rs_scenario_t* sc = assert_loads("tests/bad/gpus-too-many.yaml", NULL);
  ck_assert_int_eq(sc->workloads[0].u.coll.gpus, 100);
  ck_assert_int_eq(rs_scenario_err(sc, &err, "workloads[0].gpus", "expected at most %d GPUs, got %d", 72, 100), RS_ERR);
  ck_assert_str_eq(err.msg, "tests/bad/gpus-too-many.yaml:5: workloads[0].gpus: expected at most 72 GPUs, got 100");
  rs_scenario_free(sc);

  sc = assert_loads("tests/bad/nvls-allgather.yaml", NULL);
  ck_assert_int_eq(sc->workloads[0].u.coll.op, RS_OP_ALLGATHER);
  ck_assert_int_eq(sc->workloads[0].u.coll.algorithm, RS_ALGO_NVLS);
  rs_scenario_err(sc, &err, "workloads[0].algorithm", "nvls runs all-reduce only");
  ck_assert_str_eq(err.msg, "tests/bad/nvls-allgather.yaml:6: workloads[0].algorithm: nvls runs all-reduce only");
  rs_scenario_free(sc);

  sc = assert_loads("tests/bad/platform-bad-xml.yaml", NULL);
  ck_assert_str_eq(sc->platform.file, "tests/bad/platform-bad.xml"); /* relative to the scenario */
  ck_assert_ptr_null(sc->platform.preset);
  rs_scenario_free(sc);
}
END_TEST

/* ---- valid scenarios ---- */

START_TEST(test_quickstart_values)
{
  rs_scenario_t* sc = assert_loads(QUICKSTART, NULL);
  ck_assert_str_eq(sc->path, QUICKSTART);
  ck_assert_str_eq(sc->name, "quickstart");
  ck_assert_str_eq(sc->description, "all-reduce sweep on one GB200 NVL72 UltraServer");
  ck_assert_uint_eq(sc->seed, 1);
  ck_assert_str_eq(sc->platform.preset, "u-p6e-gb200x72");
  const char* suffix = "/platforms/u-p6e-gb200x72.xml";
  size_t len         = strlen(sc->platform.file);
  ck_assert_uint_gt(len, strlen(suffix));
  ck_assert_str_eq(sc->platform.file + len - strlen(suffix), suffix);
  ck_assert_int_eq(access(sc->platform.file, R_OK), 0);
  ck_assert_int_eq(sc->n_workloads, 1);
  const rs_sc_workload_t* w = &sc->workloads[0];
  ck_assert_str_eq(w->name, "allreduce-sweep");
  ck_assert_int_eq(w->kind, RS_WL_COLLECTIVE);
  ck_assert_int_eq(w->index, 0);
  ck_assert_double_eq(w->start_s, 0);
  ck_assert_int_eq(w->u.coll.op, RS_OP_ALLREDUCE);
  ck_assert_int_eq(w->u.coll.algorithm, RS_ALGO_AUTO);
  ck_assert_int_eq(w->u.coll.gpus, 0); /* every GPU */
  ck_assert_double_eq(w->u.coll.min_bytes, MIB);
  ck_assert_double_eq(w->u.coll.max_bytes, 8 * GIB);
  ck_assert_int_eq(w->u.coll.factor, 2);
  ck_assert_int_eq(w->u.coll.iterations, 1);
  ck_assert_str_eq(sc->outputs.dir, "out/quickstart");
  ck_assert_int_eq(sc->outputs.events, 1);
  ck_assert_int_eq(sc->outputs.collectives_max_rows, 1000000);
  ck_assert_int_eq(sc->outputs.ops_max_rows, 0);
  ck_assert_int_eq(sc->outputs.links, RS_LINKS_CLASSES);
  rs_scenario_free(sc);
}
END_TEST

/* Writes content to a new temporary .yaml file; its path goes into path (64 bytes). */
static void temp_scenario(char* path, const char* content)
{
  strcpy(path, "/tmp/rs-check-scenario-XXXXXX.yaml");
  int fd = mkstemps(path, 5);
  ck_assert_int_ge(fd, 0);
  FILE* fp = fdopen(fd, "w");
  ck_assert_ptr_nonnull(fp);
  fputs(content, fp);
  ck_assert_int_eq(fclose(fp), 0);
}

START_TEST(test_defaults)
{
  char path[64];
  temp_scenario(path, "name: minimal\nplatform: {preset: u-p6e-gb200x36}\nworkloads:\n  - kind: collective\n");
  rs_err_t err;
  rs_scenario_t* sc = load(path, NULL, &err);
  unlink(path);
  ck_assert_msg(sc != NULL, "rejected: %s", err.msg);
  ck_assert_uint_eq(sc->seed, 1);
  ck_assert_ptr_null(sc->description);
  ck_assert_int_eq(sc->n_workloads, 1);
  const rs_sc_workload_t* w = &sc->workloads[0];
  ck_assert_str_eq(w->name, "collective-0");
  ck_assert_double_eq(w->start_s, 0);
  ck_assert_int_eq(w->u.coll.op, RS_OP_ALLREDUCE);
  ck_assert_int_eq(w->u.coll.algorithm, RS_ALGO_AUTO);
  ck_assert_int_eq(w->u.coll.gpus, 0);
  ck_assert_double_eq(w->u.coll.min_bytes, MIB);
  ck_assert_double_eq(w->u.coll.max_bytes, GIB);
  ck_assert_int_eq(w->u.coll.factor, 2);
  ck_assert_int_eq(w->u.coll.iterations, 1);
  ck_assert_int_eq(sc->outputs.events, 1);
  /* out/ and the file's name up to its first dot */
  char dir[64];
  snprintf(dir, sizeof dir, "out/%.*s", (int)strcspn(path + strlen("/tmp/"), "."), path + strlen("/tmp/"));
  ck_assert_str_eq(sc->outputs.dir, dir);
  rs_scenario_free(sc);
}
END_TEST

START_TEST(test_names_and_paths)
{
  ck_assert_str_eq(rs_coll_op_name(RS_OP_ALLREDUCE), "all-reduce");
  ck_assert_str_eq(rs_coll_op_name(RS_OP_ALLTOALL), "all-to-all");
  ck_assert_str_eq(rs_coll_algo_name(RS_ALGO_NVLS), "nvls");
  ck_assert_str_eq(rs_wl_kind_name(RS_WL_COLLECTIVE), "collective");
  /* a file: key is relative to the scenario's directory; a second workload gets its own default name */
  char path[64];
  temp_scenario(path, "name: two\nplatform:\n  file: " RS_SOURCE_DIR "/platforms/p5.48xlarge.xml\n"
                      "workloads:\n  - kind: collective\n  - kind: collective\n    start_s: 0.5\n"
                      "outputs: {dir: somewhere, events: off, ops_max_rows: 5000, collectives_max_rows: 0,\n"
                      "          links: all}\n");
  rs_err_t err;
  rs_scenario_t* sc = load(path, NULL, &err);
  unlink(path);
  ck_assert_msg(sc != NULL, "rejected: %s", err.msg);
  ck_assert_str_eq(sc->platform.file, RS_SOURCE_DIR "/platforms/p5.48xlarge.xml");
  ck_assert_ptr_null(sc->platform.preset);
  ck_assert_int_eq(sc->n_workloads, 2);
  ck_assert_str_eq(sc->workloads[1].name, "collective-1");
  ck_assert_int_eq(sc->workloads[1].index, 1);
  ck_assert_double_eq(sc->workloads[1].start_s, 0.5);
  ck_assert_str_eq(sc->outputs.dir, "somewhere");
  ck_assert_int_eq(sc->outputs.events, 0);
  ck_assert_int_eq(sc->outputs.ops_max_rows, 5000);
  ck_assert_int_eq(sc->outputs.collectives_max_rows, 0);
  ck_assert_int_eq(sc->outputs.links, RS_LINKS_ALL);
  rs_scenario_free(sc);
}
END_TEST

/* ---- --set ---- */

START_TEST(test_set_seed)
{
  const char* one[] = {"seed=7", NULL};
  rs_scenario_t* sc = assert_loads(QUICKSTART, one);
  ck_assert_uint_eq(sc->seed, 7);
  rs_scenario_free(sc);
  const char* two[] = {"seed=7", "seed=18446744073709551615", NULL}; /* the last wins; all of uint64 */
  sc                = assert_loads(QUICKSTART, two);
  ck_assert_uint_eq(sc->seed, UINT64_MAX);
  rs_scenario_free(sc);
}
END_TEST

START_TEST(test_set_workload_paths)
{
  static const char* const forms[] = {"workloads.0.max_bytes=1GiB", "workloads.allreduce-sweep.max_bytes=1GiB",
                                      "workloads[0].max_bytes=1GiB"};
  for (int i = 0; i < 3; i++) {
    const char* sets[] = {forms[i], NULL};
    rs_scenario_t* sc  = assert_loads(QUICKSTART, sets);
    ck_assert_msg(sc->workloads[0].u.coll.max_bytes == GIB, "%s: max_bytes %g", forms[i],
                  sc->workloads[0].u.coll.max_bytes);
    ck_assert_double_eq(sc->workloads[0].u.coll.min_bytes, MIB); /* untouched */
    rs_scenario_free(sc);
  }
}
END_TEST

START_TEST(test_set_new_keys)
{
  /* keys absent from the file, and a section made on the way */
  const char* sets[] = {"workloads.0.gpus=8",         "workloads.0.op=all-gather", "outputs.events=false",
                        "outputs.dir=/tmp/elsewhere", "description=changed",       NULL};
  rs_scenario_t* sc  = assert_loads(QUICKSTART, sets);
  ck_assert_int_eq(sc->workloads[0].u.coll.gpus, 8);
  ck_assert_int_eq(sc->workloads[0].u.coll.op, RS_OP_ALLGATHER);
  ck_assert_int_eq(sc->outputs.events, 0);
  ck_assert_str_eq(sc->outputs.dir, "/tmp/elsewhere");
  ck_assert_str_eq(sc->description, "changed");
  rs_scenario_free(sc);
}
END_TEST

START_TEST(test_set_bad_value)
{
  const char* gpus[] = {"workloads.0.gpus=1", NULL};
  assert_rejected(QUICKSTART, gpus,
                  "--set workloads.0.gpus=1: workloads[0].gpus: expected an integer from 2 to 100000000, got '1'");
  const char* op[] = {"workloads[0].op=allreduce", NULL};
  assert_rejected(QUICKSTART, op,
                  "--set workloads[0].op=allreduce: workloads[0].op: expected one of all-reduce, all-gather, "
                  "reduce-scatter, all-to-all, broadcast, send-recv, got 'allreduce'");
  const char* seed[] = {"seed=-3", NULL};
  assert_rejected(QUICKSTART, seed, "--set seed=-3: seed: expected a non-negative integer, got '-3'");
  /* the file's own faults are still found, with the file's line */
  const char* fine[] = {"seed=7", NULL};
  assert_rejected("tests/bad/factor-1.yaml", fine,
                  "tests/bad/factor-1.yaml:5: workloads[0].factor: expected an integer from 2 to 1024, got '1'");
}
END_TEST

START_TEST(test_set_bad_key)
{
  const char* unknown[] = {"nosuchkey=1", NULL};
  assert_rejected(QUICKSTART, unknown,
                  "--set nosuchkey=1: nosuchkey: unknown key; expected one of: name, "
                  "description, seed, platform, workloads, outputs, failures, power, pricing, record");
  const char* unknown_wl[] = {"workloads.0.x=1", NULL};
  assert_rejected(
      QUICKSTART, unknown_wl,
      "--set workloads.0.x=1: workloads[0].x: unknown key; expected one of: name, kind, start_s, first_gpu, op, "
      "algorithm, gpus, min_bytes, max_bytes, factor, iterations");
  const char* item[] = {"workloads.5.x=1", NULL};
  assert_rejected(QUICKSTART, item,
                  "--set workloads.5.x=1: no list item '5' (give an index from 0, or a workload's name)");
  const char* by_name[] = {"workloads.nosuch.gpus=8", NULL};
  assert_rejected(QUICKSTART, by_name,
                  "--set workloads.nosuch.gpus=8: no list item 'nosuch' (give an index from 0, or a workload's name)");
  const char* section[] = {"platform=3", NULL};
  assert_rejected(QUICKSTART, section, "--set platform=3: 'platform' is a section or a list, not a value");
  const char* list[] = {"workloads=3", NULL};
  assert_rejected(QUICKSTART, list, "--set workloads=3: 'workloads' is a section or a list, not a value");
  const char* inside[] = {"seed.x=1", NULL};
  assert_rejected(QUICKSTART, inside, "--set seed.x=1: 'x' is inside a value, not a section");
  /* the fuzzer's second find: a blank key made libfyaml parse it, print to stderr and refuse the nodes */
  const char* blank[] = {" =-k", NULL};
  assert_rejected(QUICKSTART, blank, "--set  =-k: ' ' is not a key or a list item (no blanks or YAML punctuation)");
  /* the scenario fuzzer's first find: a key that is not UTF-8 made libfyaml drop the value, which leaked */
  const char* binary[] = {" u-\x90\xbf=1", "a=\x01", NULL};
  for (int k = 0; k < 2; k++) {
    const char* one[] = {binary[k], NULL};
    assert_rejected(QUICKSTART, one,
                    "--set: an argument is not UTF-8 text without control characters: expected key=value, such as "
                    "seed=7 or workloads.0.max_bytes=8GiB");
  }
}
END_TEST

START_TEST(test_set_not_key_value)
{
  const char* foo[] = {"foo", NULL};
  assert_rejected(QUICKSTART, foo, "--set foo: expected key=value, such as seed=7 or workloads.0.max_bytes=8GiB");
  const char* nokey[] = {"=3", NULL};
  assert_rejected(QUICKSTART, nokey, "--set =3: expected key=value, such as seed=7 or workloads.0.max_bytes=8GiB");
  /* the first bad one is told, even after good ones */
  const char* later[] = {"seed=2", "foo", NULL};
  assert_rejected(QUICKSTART, later, "--set foo: expected key=value, such as seed=7 or workloads.0.max_bytes=8GiB");
}
END_TEST

/* ---- rs_parse_bytes ---- */

START_TEST(test_parse_bytes)
{
  static const struct {
    const char* text;
    double bytes;
  } good[] = {{"8GiB", 8 * GIB}, {"1.5 MB", 1.5e6},         {"4096", 4096}, {"1e3 KB", 1e6},
              {"1MiB", MIB},     {"2 TiB", 2 * 1024 * GIB}, {"512B", 512},  {"3TB", 3e12}};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    double v = -1;
    ck_assert_msg(rs_parse_bytes(good[i].text, &v) == RS_OK, "'%s' not parsed", good[i].text);
    ck_assert_msg(v == good[i].bytes, "'%s': %.17g, expected %.17g", good[i].text, v, good[i].bytes);
  }
  static const char* const bad[] = {"8 parsecs", "", "GiB", "8gib", "8 GiB extra", "inf", "nan MB", "1e999"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    double v = 0;
    ck_assert_msg(rs_parse_bytes(bad[i], &v) == RS_ERR, "'%s' parsed as %g", bad[i], v);
  }
}
END_TEST

/* ---- rs_scenario_err ---- */

START_TEST(test_scenario_err_locates)
{
  rs_err_t err;
  rs_scenario_t* sc = assert_loads(QUICKSTART, NULL);
  /* a key that was in the file: its own line */
  ck_assert_int_eq(rs_scenario_err(sc, &err, "workloads[0].max_bytes", "too big by %d", 2), RS_ERR);
  ck_assert_str_eq(err.msg, "scenarios/quickstart.yaml:14: workloads[0].max_bytes: too big by 2");
  rs_scenario_err(sc, &err, "platform.preset", "no");
  ck_assert_str_eq(err.msg, "scenarios/quickstart.yaml:7: platform.preset: no");
  /* absent (gpus left to its default): the workload's line, still naming the key asked for */
  rs_scenario_err(sc, &err, "workloads[0].gpus", "expected at most 72 GPUs, got 100");
  ck_assert_str_eq(err.msg, "scenarios/quickstart.yaml:9: workloads[0].gpus: expected at most 72 GPUs, got 100");
  /* nothing of it recorded: the file alone */
  rs_scenario_err(sc, &err, "nosuch.key", "odd");
  ck_assert_str_eq(err.msg, "scenarios/quickstart.yaml: nosuch.key: odd");
  rs_scenario_free(sc);

  const char* sets[] = {"workloads.0.gpus=64", NULL};
  sc                 = assert_loads(QUICKSTART, sets);
  rs_scenario_err(sc, &err, "workloads[0].gpus", "expected at most 36 GPUs, got 64");
  ck_assert_str_eq(err.msg, "--set workloads.0.gpus=64: workloads[0].gpus: expected at most 36 GPUs, got 64");
  rs_scenario_free(sc);
}
END_TEST

/* ---- more keys than any fixed array would hold ---- */

/* An inference workload giving 43 of its 44 keys (rate_table and trace exclude each other), its files
 * beside the scenario. */
START_TEST(test_every_inference_key)
{
  char dir[64] = "/tmp/rs-check-scenario-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char path[128], csv[128];
  snprintf(csv, sizeof csv, "%s/trace.csv", dir);
  FILE* fp = fopen(csv, "w");
  ck_assert_ptr_nonnull(fp);
  fputs("arrival_s,prompt_tokens,output_tokens\n0,10,10\n", fp);
  ck_assert_int_eq(fclose(fp), 0);
  snprintf(path, sizeof path, "%s/every.yaml", dir);
  fp = fopen(path, "w");
  ck_assert_ptr_nonnull(fp);
  fputs("name: every\nplatform: {preset: u-p6e-gb200x72}\nworkloads:\n  - name: chat\n    kind: inference\n"
        "    start_s: 1\n    first_gpu: 8\n    model: {preset: llama3-8b}\n    gpus: 16\n    tp: 2\n    ep: 1\n"
        "    pp: 2\n    precision: fp8\n    kv_precision: fp8\n    mode: offline\n    requests: 7\n"
        "    arrival: trace\n    rate_per_s: 3\n    burstiness: 2\n    trace: trace.csv\n"
        "    length_table: trace.csv\n    rate_period_s: 60\n    prompt_dist: table\n    prompt_tokens: 100\n"
        "    output_dist: uniform\n    output_tokens: 50\n    max_batch_tokens: 4096\n    max_seqs: 64\n"
        "    chunked_prefill: false\n    kv_block_tokens: 32\n    hbm_utilization: 0.8\n    preemption: swap\n"
        "    swap_gbytes_per_s: 32\n    routing: kv-aware\n    slo_ttft_s: 1\n    slo_tpot_s: 0.05\n"
        "    sample_s: 0.5\n    tp_across_domains: true\n    collective_memo: false\n    prefill_replicas: 1\n"
        "    shared_prefix_tokens: 20\n    prefix_caching: true\n    redundant_experts: 0\n"
        "    moe_imbalance: 1.5\n    attention_precision: fp8\n    projection_precision: bf16\n",
        fp);
  ck_assert_int_eq(fclose(fp), 0);
  rs_scenario_t* sc            = assert_loads(path, NULL);
  const rs_sc_inference_t* inf = &sc->workloads[0].u.inf;
  ck_assert_int_eq(inf->gpus, 16);
  ck_assert_int_eq(inf->precision, RS_PREC_FP8);
  ck_assert_int_eq(inf->mode, RS_MODE_OFFLINE);
  ck_assert_int_eq(inf->arrival, RS_ARRIVAL_TRACE);
  ck_assert_str_eq(inf->trace, csv); /* relative to the scenario */
  ck_assert_str_eq(inf->length_table, csv);
  ck_assert_ptr_null(inf->rate_table);
  ck_assert_int_eq(inf->output_dist, RS_LEN_UNIFORM);
  ck_assert_int_eq(inf->preemption, RS_PREEMPT_SWAP);
  ck_assert_int_eq(inf->routing, RS_ROUTE_KV_AWARE);
  ck_assert_int_eq(inf->chunked_prefill, 0);
  ck_assert_int_eq(inf->prefix_caching, 1);
  ck_assert_int_eq(inf->shared_prefix_tokens, 20);
  ck_assert_double_eq(inf->moe_imbalance, 1.5);
  ck_assert_int_eq(inf->attention_precision, RS_PREC_FP8 + 1);
  ck_assert_int_eq(inf->projection_precision, RS_PREC_BF16 + 1);
  rs_err_t err;
  rs_scenario_err(sc, &err, "workloads[0].prefix_caching", "last");
  char msg[256];
  snprintf(msg, sizeof msg, "%s:42: workloads[0].prefix_caching: last", path);
  ck_assert_str_eq(err.msg, msg);
  rs_scenario_free(sc);
  unlink(path);
  unlink(csv);
  rmdir(dir);
}
END_TEST

/* Writes a scenario of n collective workloads of 7 keys each to path (64 bytes); the last one's
 * factor is given as last_factor. */
static void many_workloads(char* path, int n, const char* last_factor)
{
  size_t len = 128 + (size_t)n * 160;
  char* yaml = malloc(len);
  snprintf(yaml, len, "name: many\nplatform: {preset: u-p6e-gb200x72}\nworkloads:\n");
  for (int i = 0; i < n; i++)
    snprintf(yaml + strlen(yaml), len - strlen(yaml),
             "  - name: w%d\n    kind: collective\n    gpus: 8\n    min_bytes: 1MiB\n    max_bytes: 2MiB\n"
             "    iterations: 2\n    factor: %s\n",
             i, i == n - 1 ? last_factor : "2");
  temp_scenario(path, yaml);
  free(yaml);
}

START_TEST(test_many_keys)
{
  /* 100 workloads of 7 keys: a where map of 800 entries, more than 512 */
  char path[64];
  many_workloads(path, 100, "4");
  rs_scenario_t* sc = assert_loads(path, NULL);
  ck_assert_int_eq(sc->n_workloads, 100);
  ck_assert_str_eq(sc->workloads[99].name, "w99");
  ck_assert_int_eq(sc->workloads[99].index, 99);
  ck_assert_int_eq(sc->workloads[99].u.coll.factor, 4);
  rs_err_t err;
  rs_scenario_err(sc, &err, "workloads[99].factor", "last");
  char msg[256];
  snprintf(msg, sizeof msg, "%s:703: workloads[99].factor: last", path); /* 3 header lines, then 7 a workload */
  ck_assert_str_eq(err.msg, msg);
  rs_scenario_free(sc);
  unlink(path);

  /* and a fault after them all, told exactly */
  many_workloads(path, 100, "1");
  snprintf(msg, sizeof msg, "%s:703: workloads[99].factor: expected an integer from 2 to 1024, got '1'", path);
  assert_rejected(path, NULL, msg);
  unlink(path);
}
END_TEST

/* ---- failures ---- */

#define FAIL_HEAD "name: f\nplatform: {preset: u-p6e-gb200x72}\nworkloads:\n  - kind: collective\n"

START_TEST(test_failures_absent)
{
  rs_scenario_t* sc = assert_loads(QUICKSTART, NULL);
  ck_assert_int_eq(sc->failures.preset, RS_FAIL_PRESET_NONE);
  ck_assert_int_eq(sc->failures.n_classes, 0);
  ck_assert_ptr_null(sc->failures.classes);
  ck_assert_int_eq(sc->failures.n_events, 0);
  rs_scenario_free(sc);
}
END_TEST

START_TEST(test_failures_values)
{
  char path[64];
  temp_scenario(path, FAIL_HEAD "failures:\n"
                                "  classes:\n"
                                "    - {class: gpu, mtbf_h: 50000, repair: {mean_h: 4}}\n"
                                "    - class: spine_switch\n"
                                "      cause: spine reboot\n"
                                "      mtbf_h: 2e5\n"
                                "      distribution: weibull\n"
                                "      shape: 0.7\n"
                                "      repair: {distribution: lognormal, mean_h: 0.5}\n"
                                "  events:\n"
                                "    - {at_h: 0, for_h: 2, provider: aws}\n"
                                "    - {at_h: 1.5, for_h: 0.25, link_class: spine, kind: degrade, fraction: 0.5}\n"
                                "    - {at_h: 3, for_h: 1, gpu: 17, kind: degrade, fraction: 0.8}\n");
  rs_err_t err;
  rs_scenario_t* sc = load(path, NULL, &err);
  unlink(path);
  ck_assert_msg(sc != NULL, "rejected: %s", err.msg);
  const rs_sc_failures_t* f = &sc->failures;
  ck_assert_int_eq(f->n_classes, 2);
  ck_assert_int_eq(f->classes[0].cls, RS_FAIL_GPU);
  ck_assert_str_eq(f->classes[0].cause, "gpu");
  ck_assert_double_eq(f->classes[0].mtbf_h, 50000);
  ck_assert_int_eq(f->classes[0].distribution, RS_TTF_EXPONENTIAL);
  ck_assert_double_eq(f->classes[0].shape, 1);
  ck_assert_int_eq(f->classes[0].repair_dist, RS_DIST_FIXED);
  ck_assert_double_eq(f->classes[0].repair_mean_h, 4);
  ck_assert_int_eq(f->classes[1].cls, RS_FAIL_SPINE_SWITCH);
  ck_assert_str_eq(f->classes[1].cause, "spine reboot");
  ck_assert_double_eq(f->classes[1].mtbf_h, 2e5);
  ck_assert_int_eq(f->classes[1].distribution, RS_TTF_WEIBULL);
  ck_assert_double_eq(f->classes[1].shape, 0.7);
  ck_assert_int_eq(f->classes[1].repair_dist, RS_DIST_LOGNORMAL);
  ck_assert_double_eq(f->classes[1].repair_mean_h, 0.5);
  ck_assert_int_eq(f->n_events, 3);
  ck_assert_int_eq(f->events[0].target, RS_TARGET_PROVIDER);
  ck_assert_str_eq(f->events[0].name, "aws");
  ck_assert_int_eq(f->events[0].kind, RS_EVENT_DOWN);
  ck_assert_double_eq(f->events[0].for_h, 2);
  ck_assert_int_eq(f->events[1].target, RS_TARGET_LINK_CLASS);
  ck_assert_int_eq(f->events[1].kind, RS_EVENT_DEGRADE);
  ck_assert_double_eq(f->events[1].fraction, 0.5);
  ck_assert_double_eq(f->events[1].at_h, 1.5);
  ck_assert_int_eq(f->events[2].target, RS_TARGET_GPU);
  ck_assert_str_eq(f->events[2].name, "17");
  ck_assert_str_eq(rs_fail_target_name(f->events[2].target), "gpu");
  rs_scenario_free(sc);
}
END_TEST

/* Faults that need the other keys of their item: a fixture each would say the same. */
START_TEST(test_failures_cross_keys)
{
  static const struct {
    const char* yaml;
    const char* msg; /* after "PATH:" */
  } cases[] = {
      {"  classes:\n    - {class: gpu, mtbf_h: 1, distribution: weibull, repair: {mean_h: 1}}\n",
       "7: failures.classes[0].shape: expected a shape (a number from 0.001 to 100) with distribution: weibull"},
      {"  classes:\n    - {class: gpu, mtbf_h: 1}\n", "7: failures.classes[0]: missing required key 'repair'"},
      {"  events:\n    - {at_h: 1, for_h: 1, rack: r0, kind: degrade}\n",
       "7: failures.events[0].fraction: expected a fraction (a number from 1e-06 to 1) with kind: degrade"},
      {"  events:\n    - {at_h: 1, for_h: 1, rack: r0, fraction: 0.5}\n",
       "7: failures.events[0].fraction: expected no fraction unless kind: degrade, got '0.5'"},
      {"  events:\n    - {at_h: 1, for_h: 1, rack: r0, site: 1}\n",
       "7: failures.events[0].site: expected one target, got both rack and site"},
      {"  events:\n    - {at_h: 1, for_h: 0, pod: 2}\n",
       "7: failures.events[0].for_h: expected a number from 1e-06 to 1e+09, got '0'"},
      {"  events:\n    - {at_h: -1, for_h: 1, pod: 2}\n",
       "7: failures.events[0].at_h: expected a number from 0 to 1e+09, got '-1'"},
      {"  repair: {mean_h: 3}\n", "6: failures.repair: expected no repair unless a preset is given"},
      {"  preset: llama2\n", "6: failures.preset: expected one of none, llama3, got 'llama2'"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char path[64], yaml[1024], msg[RS_ERR_LEN];
    snprintf(yaml, sizeof yaml, FAIL_HEAD "failures:\n%s", cases[i].yaml);
    temp_scenario(path, yaml);
    snprintf(msg, sizeof msg, "%s:%s", path, cases[i].msg);
    assert_rejected(path, NULL, msg);
    unlink(path);
  }
}
END_TEST

/* The preset's rates times the Llama 3 fleet give back Table 5's counts over 54 days, 419 in all. */
START_TEST(test_failures_llama3_preset)
{
  rs_fail_cause_t causes[RS_LLAMA3_CAUSES];
  int n = rs_failures_preset_llama3(causes);
  ck_assert_int_eq(n, RS_LLAMA3_CAUSES);
  double total = 0;
  int count    = 0;
  for (int i = 0; i < n; i++) {
    double units    = causes[i].per_host ? RS_LLAMA3_HOSTS : RS_LLAMA3_GPUS;
    double expected = units * RS_LLAMA3_DAYS * 24.0 / causes[i].mtbf_h;
    ck_assert_double_eq_tol(expected, causes[i].count, 1e-9);
    total += expected;
    count += causes[i].count;
  }
  ck_assert_int_eq(count, 419);
  ck_assert_double_eq_tol(total, 419, 1e-9);
  ck_assert_str_eq(causes[0].cause, "faulty GPU");
  ck_assert_int_eq(causes[0].count, 148);
  ck_assert_double_eq_tol(causes[0].mtbf_h, 16384 * 1296.0 / 148, 1e-6); /* 143,470.7 h */
  ck_assert_int_eq(causes[4].cls, RS_FAIL_HOST);
  ck_assert_double_eq_tol(causes[4].mtbf_h, 82944, 1e-6); /* host maintenance: 2,048 x 1,296 h / 32 */

  /* In a scenario: the preset's causes follow the classes written, with the section's repair. */
  char path[64];
  temp_scenario(path, FAIL_HEAD "failures:\n  preset: llama3\n  repair: {distribution: exponential, mean_h: 2}\n"
                                "  classes:\n    - {class: power_shelf, mtbf_h: 1e5, repair: {mean_h: 8}}\n");
  rs_err_t err;
  rs_scenario_t* sc = load(path, NULL, &err);
  unlink(path);
  ck_assert_msg(sc != NULL, "rejected: %s", err.msg);
  ck_assert_int_eq(sc->failures.preset, RS_FAIL_PRESET_LLAMA3);
  ck_assert_int_eq(sc->failures.n_classes, 1 + RS_LLAMA3_CAUSES);
  ck_assert_int_eq(sc->failures.classes[0].cls, RS_FAIL_POWER_SHELF);
  const rs_sc_fail_class_t* hbm = &sc->failures.classes[2];
  ck_assert_str_eq(hbm->cause, "GPU HBM3 memory");
  ck_assert_int_eq(hbm->cls, RS_FAIL_HBM);
  ck_assert_double_eq_tol(hbm->mtbf_h, 16384 * 1296.0 / 72, 1e-6);
  ck_assert_int_eq(hbm->repair_dist, RS_DIST_EXPONENTIAL);
  ck_assert_double_eq(hbm->repair_mean_h, 2);
  rs_scenario_free(sc);

  /* --set reaches the section like any other. */
  const char* sets[] = {"failures.preset=llama3", "failures.repair.mean_h=1", NULL};
  sc                 = assert_loads(QUICKSTART, sets);
  ck_assert_int_eq(sc->failures.n_classes, RS_LLAMA3_CAUSES);
  rs_scenario_free(sc);
}
END_TEST

static Suite* scenario_suite(void)
{
  Suite* s   = suite_create("scenario");
  TCase* bad = tcase_create("bad");
  tcase_add_loop_test(bad, test_bad_fixture, 0, N_REJECTED);
  tcase_add_test(bad, test_cannot_open);
  tcase_add_test(bad, test_hostile_files_are_refused_at_once);
  tcase_add_test(bad, test_platform_faults_load);
  suite_add_tcase(s, bad);

  TCase* good = tcase_create("good");
  tcase_add_test(good, test_quickstart_values);
  tcase_add_test(good, test_defaults);
  tcase_add_test(good, test_names_and_paths);
  suite_add_tcase(s, good);

  TCase* set = tcase_create("set");
  tcase_add_test(set, test_set_seed);
  tcase_add_test(set, test_set_workload_paths);
  tcase_add_test(set, test_set_new_keys);
  tcase_add_test(set, test_set_bad_value);
  tcase_add_test(set, test_set_bad_key);
  tcase_add_test(set, test_set_not_key_value);
  suite_add_tcase(s, set);

  TCase* misc = tcase_create("misc");
  tcase_add_test(misc, test_parse_bytes);
  tcase_add_test(misc, test_scenario_err_locates);
  suite_add_tcase(s, misc);

  TCase* failures = tcase_create("failures");
  tcase_add_test(failures, test_failures_absent);
  tcase_add_test(failures, test_failures_values);
  tcase_add_test(failures, test_failures_cross_keys);
  tcase_add_test(failures, test_failures_llama3_preset);
  suite_add_tcase(s, failures);

  TCase* limits = tcase_create("limits");
  tcase_add_test(limits, test_every_inference_key);
  tcase_add_test(limits, test_many_keys);
  suite_add_tcase(s, limits);
  return s;
}

int main(void)
{
  /* Messages name files as given: relative to the source directory, where CTest runs us. */
  if (chdir(RS_SOURCE_DIR) != 0) {
    perror(RS_SOURCE_DIR);
    return EXIT_FAILURE;
  }
  unsetenv("RACKSIM_DATADIR"); /* presets come from this tree */
  SRunner* sr = srunner_create(scenario_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
