/* check_validate.c -- Check suite for the rs-validate tool: runs the built binary (RS_VALIDATE_BIN) on small
 * fixture CSVs and documents in a mkdtemp directory, and checks its exit status and what it prints or
 * writes: the Markdown table, the splice between the markers, a case waiting for its mode, bad input.
 * See LICENSE. */
#include "check_util.h"
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef RS_VALIDATE_BIN
#error "RS_VALIDATE_BIN must name the rs-validate binary"
#endif

#define OUT_LEN 16384

/* The test's temporary directory, made by the checked fixture in the forked child. */
static char tmpdir[64];

static void make_tmpdir(void)
{
  rs_test_tmpdir(tmpdir, sizeof tmpdir, "validate");
}

static void remove_tmpdir(void)
{
  rs_test_rmdir(tmpdir);
}

/* Writes content to tmpdir/rel, making scenarios/validation/ on the way when rel is under it. */
static void fixture(const char* rel, const char* content)
{
  char path[256];
  snprintf(path, sizeof path, "%s/scenarios", tmpdir);
  mkdir(path, 0777);
  snprintf(path, sizeof path, "%s/scenarios/validation", tmpdir);
  mkdir(path, 0777);
  rs_test_write(tmpdir, rel, content);
}

/* The content of tmpdir/rel into out. */
static void slurp(const char* rel, char* out)
{
  char path[256];
  snprintf(path, sizeof path, "%s/%s", tmpdir, rel);
  FILE* fp = fopen(path, "rb");
  ck_assert_msg(fp != NULL, "cannot read %s", path);
  size_t n = fread(out, 1, OUT_LEN - 1, fp);
  out[n]   = '\0';
  fclose(fp);
}

/* Runs "rs-validate ARGS" in tmpdir, stdout and stderr together into out; returns its exit status. */
#define run_validate(out, ...) rs_test_run((out), OUT_LEN, tmpdir, RS_VALIDATE_BIN, __VA_ARGS__)

static const char results[] = "case,gpu,fit,mode,metric,published,racksim,error_pct,status\n"
                              "small,A100,fitted,faithful,TF/GPU,137,136.962,-0.03,ran\n"
                              "big,A100,out of sample,aggregated,TF/GPU,148,,,waits for the aggregated mode\n"
                              "nccl,H100,out of sample,faithful,GB/s busbw,375,252.104,-32.77,ran\n"
                              "ring,H100,out of sample,faithful,GB/s busbw,367.5,367.147,-0.10,ran\n";

static const char results_table[] =
    "| case | GPU | fit | figure | published | racksim | error |\n"
    "|---|---|---|---|---|---|---|\n"
    "| `small` | A100 | fitted | TF/GPU | 137 | 136.962 | -0.0% |\n"
    "| `big` | A100 | out of sample | TF/GPU | 148 | - | waits for the aggregated mode |\n"
    "| `nccl` | H100 | out of sample | GB/s busbw | 375 | 252.104 | -32.8% |\n"
    "| `ring` | H100 | out of sample | GB/s busbw | 367.5 | 367.147 | -0.1% |\n"
    "\n"
    "3 cases ran: largest error 32.8%, median 0.1%; out of sample: 2, largest 32.8%, median 16.4%.\n";

START_TEST(test_table)
{
  char out[OUT_LEN];
  fixture("results.csv", results);
  ck_assert_int_eq(run_validate(out, "table results.csv"), 0);
  ck_assert_str_eq(out, results_table);
}
END_TEST

START_TEST(test_table_median_of_even_count)
{
  char out[OUT_LEN];
  fixture("results.csv", "case,gpu,fit,mode,metric,published,racksim,error_pct,status\n"
                         "a,A100,fitted,faithful,TF/GPU,1,1,1.00,ran\n"
                         "b,A100,out of sample,faithful,TF/GPU,1,1,-4.00,ran\n");
  ck_assert_int_eq(run_validate(out, "table results.csv"), 0);
  ck_assert_ptr_nonnull(
      strstr(out, "\n2 cases ran: largest error 4.0%, median 2.5%; out of sample: 1, largest 4.0%, median 4.0%.\n"));
}
END_TEST

START_TEST(test_table_none_ran)
{
  char out[OUT_LEN];
  fixture("results.csv", "case,gpu,fit,mode,metric,published,racksim,error_pct,status\n");
  ck_assert_int_eq(run_validate(out, "table results.csv"), 0);
  ck_assert_ptr_nonnull(
      strstr(out, "\n0 cases ran: largest error 0.0%, median 0.0%; out of sample: 0, largest 0.0%, median 0.0%.\n"));
}
END_TEST

START_TEST(test_splice)
{
  char out[OUT_LEN];
  char doc[OUT_LEN];
  char want[OUT_LEN];
  fixture("results.csv", results);
  fixture("doc.md", "# Title\n\n<!-- validation table -->\nold table\n\nold summary\n"
                    "<!-- end validation table -->\n\nText after.\n");
  ck_assert_int_eq(run_validate(out, "splice results.csv doc.md"), 0);
  ck_assert_str_eq(out, "");
  slurp("doc.md", doc);
  snprintf(want, sizeof want, "# Title\n\n<!-- validation table -->\n%s<!-- end validation table -->\n\nText after.\n",
           results_table);
  ck_assert_str_eq(doc, want);
}
END_TEST

START_TEST(test_splice_without_markers)
{
  char out[OUT_LEN];
  char doc[OUT_LEN];
  fixture("results.csv", results);
  fixture("doc.md", "# Title\n\n<!-- validation table -->\nno end marker\n");
  ck_assert_int_eq(run_validate(out, "splice results.csv doc.md"), 2);
  ck_assert_str_eq(out, "rs-validate: doc.md: no lines '<!-- validation table -->' and then "
                        "'<!-- end validation table -->'\n");
  slurp("doc.md", doc);
  ck_assert_str_eq(doc, "# Title\n\n<!-- validation table -->\nno end marker\n");
}
END_TEST

static const char cases_header[] = "case,gpu,fit,mode,fast,table,column,per,published,unit,source\n";

/* A case whose mode racksim does not accept is listed as waiting, without running it. */
START_TEST(test_run_case_waits_for_mode)
{
  char out[OUT_LEN];
  char csv[OUT_LEN];
  char cases[1024];
  snprintf(cases, sizeof cases,
           "%sbig,A100,out of sample,aggregated,0,iterations,hw_tflops_per_gpu,1,148,TF/GPU,\"paper, p. 1\"\n",
           cases_header);
  fixture("scenarios/validation/cases.csv", cases);
  ck_assert_int_eq(run_validate(out, "run '%s' out.csv", RS_RACKSIM_BIN), 0);
  ck_assert_str_eq(out, "");
  slurp("out.csv", csv);
  ck_assert_str_eq(csv, "case,gpu,fit,mode,metric,published,racksim,error_pct,status\n"
                        "big,A100,out of sample,aggregated,TF/GPU,148,,,waits for the aggregated mode\n");
  ck_assert_int_eq(run_validate(out, "run '%s' fast.csv --fast", RS_RACKSIM_BIN), 0);
  slurp("fast.csv", csv);
  ck_assert_str_eq(csv, "case,gpu,fit,mode,metric,published,racksim,error_pct,status\n");
}
END_TEST

START_TEST(test_run_bad_row)
{
  char out[OUT_LEN];
  char cases[1024];
  snprintf(cases, sizeof cases,
           "%sok,A100,fitted,faithful,1,iterations,hw_tflops_per_gpu,1,137,TF/GPU,x\n"
           "bad,A100,fitted,faithful,yes,iterations,hw_tflops_per_gpu,1,137,TF/GPU,x\n",
           cases_header);
  fixture("scenarios/validation/cases.csv", cases);
  ck_assert_int_eq(run_validate(out, "run '%s' out.csv --fast", RS_RACKSIM_BIN), 2);
  ck_assert_str_eq(out, "rs-validate: scenarios/validation/cases.csv:3: fast: expected 0 or 1, got 'yes'\n");
  snprintf(cases, sizeof cases, "%s../up,A100,fitted,faithful,1,iterations,c,1,137,TF/GPU,x\n", cases_header);
  fixture("scenarios/validation/cases.csv", cases);
  ck_assert_int_eq(run_validate(out, "run '%s' out.csv", RS_RACKSIM_BIN), 2);
  ck_assert_str_eq(out, "rs-validate: scenarios/validation/cases.csv:2: case: expected a name of letters, "
                        "digits, '.', '-' or '_', got '../up'\n");
  snprintf(cases, sizeof cases, "%sa,A100,fitted,faithful,1,iterations,c,0,137,TF/GPU,x\n", cases_header);
  fixture("scenarios/validation/cases.csv", cases);
  ck_assert_int_eq(run_validate(out, "run '%s' out.csv", RS_RACKSIM_BIN), 2);
  ck_assert_str_eq(out, "rs-validate: scenarios/validation/cases.csv:2: per: expected a number > 0, got '0'\n");
}
END_TEST

/* Rows naming one scenario (the column scenario) run it once, each reading its own figure from that run;
 * rows that run one scenario must ask for one mode. */
START_TEST(test_run_shared_scenario)
{
  char out[OUT_LEN];
  char csv[OUT_LEN];
  char path[256];
  /* A stand-in for racksim: "run SCENARIO -o DIR ..." logs the scenario and writes DIR/summary.csv. */
  rs_test_write(tmpdir, "fake-racksim",
                "#!/bin/sh\necho \"$2\" >> calls.log\nmkdir -p \"$4\"\n"
                "printf 'ttft_p99_s,tpot_p99_s\\n3.3,0.15\\n' > \"$4/summary.csv\"\n");
  snprintf(path, sizeof path, "%s/fake-racksim", tmpdir);
  chmod(path, 0755);
  fixture("scenarios/validation/cases.csv",
          "case,gpu,fit,mode,fast,table,column,per,published,unit,scenario\n"
          "srv,GB200,out of sample,faithful,1,summary,ttft_p99_s,1,3.31,s TTFT p99,\n"
          "srv-tpot,GB200,out of sample,faithful,1,summary,tpot_p99_s,1,0.134,s TPOT p99,srv\n");
  ck_assert_int_eq(run_validate(out, "run ./fake-racksim out.csv"), 0);
  ck_assert_str_eq(out, "rs-validate: srv\nrs-validate: srv-tpot\n");
  slurp("calls.log", csv);
  ck_assert_str_eq(csv, "scenarios/validation/srv.yaml\n");
  slurp("out.csv", csv);
  ck_assert_str_eq(csv, "case,gpu,fit,mode,metric,published,racksim,error_pct,status\n"
                        "srv,GB200,out of sample,faithful,s TTFT p99,3.31,3.3,-0.30,ran\n"
                        "srv-tpot,GB200,out of sample,faithful,s TPOT p99,0.134,0.15,11.94,ran\n");
  fixture("scenarios/validation/cases.csv",
          "case,gpu,fit,mode,fast,table,column,per,published,unit,scenario\n"
          "srv,GB200,out of sample,faithful,1,summary,ttft_p99_s,1,3.31,s,\n"
          "srv-tpot,GB200,out of sample,aggregated,1,summary,tpot_p99_s,1,0.134,s,srv\n");
  ck_assert_int_eq(run_validate(out, "run ./fake-racksim out.csv"), 2);
  ck_assert_str_eq(out, "rs-validate: scenarios/validation/cases.csv:3: mode: expected 'faithful' as on line 2, "
                        "which runs the same scenario, got 'aggregated'\n");
  fixture("scenarios/validation/cases.csv", "case,gpu,fit,mode,fast,table,column,per,published,unit,scenario\n"
                                            "srv,GB200,out of sample,faithful,1,summary,ttft_p99_s,1,3.31,s,../x\n");
  ck_assert_int_eq(run_validate(out, "run ./fake-racksim out.csv"), 2);
  ck_assert_str_eq(out, "rs-validate: scenarios/validation/cases.csv:2: scenario: expected a name of letters, "
                        "digits, '.', '-' or '_', got '../x'\n");
}
END_TEST

START_TEST(test_bad_input)
{
  char out[OUT_LEN];
  ck_assert_int_eq(run_validate(out, "table missing.csv"), 2);
  ck_assert_str_eq(out, "rs-validate: missing.csv: cannot open: No such file or directory\n");
  fixture("results.csv", "case,gpu,fit,mode,metric,published,racksim,error_pct,status\n"
                         "a,A100,fitted,faithful,TF/GPU,1,1,lots,ran\n");
  ck_assert_int_eq(run_validate(out, "table results.csv"), 2);
  ck_assert_str_eq(out, "rs-validate: results.csv:2: error_pct: expected a number or nothing, got 'lots'\n");
  fixture("results.csv", "case,gpu,fit,metric\n");
  ck_assert_int_eq(run_validate(out, "table results.csv"), 2);
  ck_assert_str_eq(out, "rs-validate: results.csv:1: header: expected a column 'published', got none\n");
}
END_TEST

START_TEST(test_bad_usage)
{
  char out[OUT_LEN];
  ck_assert_int_eq(run_validate(out, "run racksim out.csv --fastest"), 2);
  ck_assert_ptr_nonnull(strstr(out, "rs-validate: unknown option '--fastest'\nUsage: rs-validate run"));
  ck_assert_int_eq(run_validate(out, "%s", ""), 2);
  ck_assert_int_eq(run_validate(out, "splice only.csv"), 2);
  ck_assert_int_eq(run_validate(out, "--help"), 0);
  ck_assert_ptr_nonnull(strstr(out, "rs-validate splice IN.csv DOC.md"));
}
END_TEST

static Suite* validate_suite(void)
{
  Suite* s     = suite_create("validate");
  TCase* table = tcase_create("table");
  tcase_add_checked_fixture(table, make_tmpdir, remove_tmpdir);
  tcase_add_test(table, test_table);
  tcase_add_test(table, test_table_median_of_even_count);
  tcase_add_test(table, test_table_none_ran);
  tcase_add_test(table, test_splice);
  tcase_add_test(table, test_splice_without_markers);
  suite_add_tcase(s, table);

  TCase* run = tcase_create("run");
  tcase_add_checked_fixture(run, make_tmpdir, remove_tmpdir);
  tcase_add_test(run, test_run_case_waits_for_mode);
  tcase_add_test(run, test_run_bad_row);
  tcase_add_test(run, test_run_shared_scenario);
  tcase_add_test(run, test_bad_input);
  tcase_add_test(run, test_bad_usage);
  suite_add_tcase(s, run);
  return s;
}

RS_CHECK_MAIN(validate_suite)
