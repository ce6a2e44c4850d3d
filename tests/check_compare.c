/* check_compare.c -- Check suite for the rs-compare tool: runs the built binary (RS_COMPARE_BIN) on small
 * CSV fixtures written into a mkdtemp directory, and checks its exit status and what it prints.
 * See LICENSE. */
#include "check_util.h"
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef RS_COMPARE_BIN
#error "RS_COMPARE_BIN must name the rs-compare binary"
#endif

#define OUT_LEN 16384

/* The test's temporary directory (made by the checked fixture, in the forked child), holding a/ and b/. */
static char tmpdir[64];

static void make_tmpdir(void)
{
  char path[128];
  rs_test_tmpdir(tmpdir, sizeof tmpdir, "compare");
  snprintf(path, sizeof path, "%s/a", tmpdir);
  ck_assert_int_eq(mkdir(path, 0777), 0);
  snprintf(path, sizeof path, "%s/b", tmpdir);
  ck_assert_int_eq(mkdir(path, 0777), 0);
}

static void remove_tmpdir(void)
{
  rs_test_rmdir(tmpdir);
}

/* Writes content to tmpdir/rel. */
static void fixture(const char* rel, const char* content)
{
  rs_test_write(tmpdir, rel, content);
}

/* The same content as a/name and b/name. */
static void fixture_both(const char* name, const char* content)
{
  char rel[128];
  snprintf(rel, sizeof rel, "a/%s", name);
  fixture(rel, content);
  snprintf(rel, sizeof rel, "b/%s", name);
  fixture(rel, content);
}

/* Runs "rs-compare ARGS" in tmpdir, stdout and stderr together into out; returns its exit status. */
#define run_compare(out, ...) rs_test_run((out), OUT_LEN, tmpdir, RS_COMPARE_BIN, __VA_ARGS__)

static int count_lines(const char* s)
{
  int n = 0;
  for (; *s; s++)
    n += *s == '\n';
  return n;
}

#define assert_has(out, text) ck_assert_msg(strstr((out), (text)) != NULL, "'%s' not in output:\n%s", (text), (out))

static const char bw_a[] = "size_bytes,busbw_gbytes_per_s,algo\n"
                           "1024,1.5,ring\n"
                           "2048,100.0,ring\n"
                           "4096,200,tree\n";

/* ---- equal ---- */

START_TEST(test_identical_dirs)
{
  char out[OUT_LEN];
  fixture_both("bw.csv", bw_a);
  fixture_both("steps.csv", "step,start_s\n1,0\n2,0.5\n");
  fixture_both("notes.txt", "not a table, and not compared\n");
  ck_assert_int_eq(run_compare(out, "a b"), 0);
  ck_assert_str_eq(out, "rs-compare: 2 files compared, 0 differ\n");
  ck_assert_int_eq(run_compare(out, "--quiet a/ b/"), 0);
  ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(test_identical_files)
{
  char out[OUT_LEN];
  fixture_both("bw.csv", bw_a);
  ck_assert_int_eq(run_compare(out, "a/bw.csv b/bw.csv"), 0);
  ck_assert_str_eq(out, "rs-compare: 1 files compared, 0 differ\n");
}
END_TEST

START_TEST(test_empty_dirs)
{
  char out[OUT_LEN];
  ck_assert_int_eq(run_compare(out, "a b"), 0);
  assert_has(out, "0 files compared, 0 differ");
}
END_TEST

START_TEST(test_numbers_compare_as_numbers)
{
  char out[OUT_LEN];
  fixture("a/n.csv", "x,y,z,w\n1.0,1e3,-0,\"2\"\n");
  fixture("b/n.csv", "x,y,z,w\n1,1000,0,2.000\n");
  ck_assert_int_eq(run_compare(out, "a b"), 0);
  assert_has(out, "1 files compared, 0 differ");
}
END_TEST

START_TEST(test_within_tolerance)
{
  char out[OUT_LEN];
  fixture("a/bw.csv", bw_a);
  fixture("b/bw.csv", "size_bytes,busbw_gbytes_per_s,algo\n1024,1.5,ring\n2048,100.05,ring\n4096,200,tree\n");
  ck_assert_int_eq(run_compare(out, "--rtol 1e-3 a b"), 0);
  ck_assert_int_eq(run_compare(out, "--rtol=1e-3 a b"), 0);
  ck_assert_int_eq(run_compare(out, "--atol 0.06 a b"), 0);
  ck_assert_int_eq(run_compare(out, "--atol=0.01 --rtol=4e-4 a b"), 0); /* 0.05 <= 0.01 + 4e-4 * 100.05 */
  assert_has(out, "1 files compared, 0 differ");
}
END_TEST

/* ---- different ---- */

START_TEST(test_outside_tolerance)
{
  char out[OUT_LEN];
  fixture("a/bw.csv", bw_a);
  fixture("b/bw.csv", "size_bytes,busbw_gbytes_per_s,algo\n1024,1.5,ring\n2048,100.5,ring\n4096,200,tree\n");
  ck_assert_int_eq(run_compare(out, "--rtol 1e-3 a b"), 1);
  assert_has(out, "b/bw.csv:3: column 'busbw_gbytes_per_s' (row 2): expected 100.0, got 100.5 "
                  "(relative difference 5.0e-03 > rtol 0.001)\n");
  assert_has(out, "rs-compare: 1 files compared, 1 differ\n");
  ck_assert_int_eq(count_lines(out), 2);
  ck_assert_int_eq(run_compare(out, "--atol 0.1 a b"), 1);
  assert_has(out, "(absolute difference 5.0e-01 > atol 0.1)");
  ck_assert_int_eq(run_compare(out, "a/bw.csv b/bw.csv"), 1); /* default: exact */
  assert_has(out, "b/bw.csv:3: column 'busbw_gbytes_per_s' (row 2)");
}
END_TEST

START_TEST(test_text_difference)
{
  char out[OUT_LEN];
  fixture("a/bw.csv", bw_a);
  fixture("b/bw.csv", "size_bytes,busbw_gbytes_per_s,algo\n1024,1.5,ring\n2048,100.0,ring\n4096,200,Tree\n");
  ck_assert_int_eq(run_compare(out, "--rtol 0.5 a b"), 1);
  assert_has(out, "b/bw.csv:4: column 'algo' (row 3): expected 'tree', got 'Tree'\n");
}
END_TEST

START_TEST(test_number_against_text)
{
  char out[OUT_LEN];
  fixture("a/t.csv", "v,w\n1.5,\n");
  fixture("b/t.csv", "v,w\n1.5,0\n");
  ck_assert_int_eq(run_compare(out, "--atol 10 a b"), 1); /* an empty cell is no number */
  assert_has(out, "b/t.csv:2: column 'w' (row 1): expected '', got '0'\n");
  fixture("b/t.csv", "v,w\nnan,\n");
  ck_assert_int_eq(run_compare(out, "--atol 10 a b"), 1);
  assert_has(out, "column 'v' (row 1): expected '1.5', got 'nan'\n");
}
END_TEST

START_TEST(test_header_difference)
{
  char out[OUT_LEN];
  fixture("a/bw.csv", bw_a);
  fixture("b/bw.csv", "size_bytes,busbw_gbps,algo\n1024,1.5,ring\n2048,100.0,ring\n4096,200,tree\n");
  ck_assert_int_eq(run_compare(out, "a b"), 1);
  assert_has(out, "b/bw.csv:1: header, column 2: expected 'busbw_gbytes_per_s', got 'busbw_gbps'\n");
  fixture("b/bw.csv", "size_bytes,busbw_gbytes_per_s\n1024,1.5\n2048,100.0\n4096,200\n");
  ck_assert_int_eq(run_compare(out, "a b"), 1);
  assert_has(out, "b/bw.csv:1: header: expected 3 columns, got 2\n");
}
END_TEST

START_TEST(test_row_count_difference)
{
  char out[OUT_LEN];
  fixture("a/bw.csv", bw_a);
  fixture("b/bw.csv",
          "size_bytes,busbw_gbytes_per_s,algo\n1024,1.5,ring\n2048,100.0,ring\n4096,200,tree\n8192,300,tree\n");
  ck_assert_int_eq(run_compare(out, "a b"), 1);
  assert_has(out, "b/bw.csv:5: expected 3 data rows, got 4");
  fixture("b/bw.csv", "size_bytes,busbw_gbytes_per_s,algo\n1024,1.5,ring\n");
  ck_assert_int_eq(run_compare(out, "a b"), 1);
  assert_has(out, "b/bw.csv: expected 3 data rows, got 1\n");
}
END_TEST

START_TEST(test_ragged_row)
{
  char out[OUT_LEN];
  fixture("a/r.csv", "x,y\n1,2\n");
  fixture("b/r.csv", "x,y\n1,2,3\n");
  ck_assert_int_eq(run_compare(out, "a b"), 1);
  assert_has(out, "b/r.csv:2: row 1: expected 2 fields, got 3\n");
}
END_TEST

START_TEST(test_file_missing_on_one_side)
{
  char out[OUT_LEN];
  fixture_both("bw.csv", bw_a);
  fixture("a/gone.csv", "x\n1\n");
  fixture("b/new.csv", "x\n1\n");
  ck_assert_int_eq(run_compare(out, "a b"), 1);
  assert_has(out, "b/gone.csv: missing");
  assert_has(out, "b/new.csv: unexpected file");
  assert_has(out, "rs-compare: 3 files compared, 2 differ\n");
  ck_assert_int_eq(count_lines(out), 3);
  /* sorted by name: bw, gone, new */
  const char* gone  = strstr(out, "gone.csv");
  const char* added = strstr(out, "new.csv");
  ck_assert(gone != NULL && added != NULL && gone < added);
}
END_TEST

START_TEST(test_one_line_per_file)
{
  char out[OUT_LEN];
  fixture("a/1.csv", "x,y\n1,2\n3,4\n");
  fixture("b/1.csv", "x,y\n1,5\n3,6\n"); /* two differences: only the first is told */
  fixture("a/2.csv", "name\nalpha\n");
  fixture("b/2.csv", "name\nbeta\n");
  ck_assert_int_eq(run_compare(out, "a b"), 1);
  ck_assert_str_eq(out, "b/1.csv:2: column 'y' (row 1): expected 2, got 5 (relative difference 6.0e-01 > rtol 0)\n"
                        "b/2.csv:2: column 'name' (row 1): expected 'alpha', got 'beta'\n"
                        "rs-compare: 2 files compared, 2 differ\n");
  ck_assert_int_eq(run_compare(out, "--quiet a b"), 1);
  ck_assert_int_eq(count_lines(out), 2);
}
END_TEST

START_TEST(test_multiline_cells_line_numbers)
{
  char out[OUT_LEN];
  fixture("a/m.csv", "note,v\n\"two\nlines\",1\n\"x\",2\n");
  fixture("b/m.csv", "note,v\n\"two\nlines\",1\n\"x\",3\n");
  ck_assert_int_eq(run_compare(out, "a b"), 1);
  assert_has(out, "b/m.csv:4: column 'v' (row 2): expected 2, got 3");
  fixture("b/m.csv", "note,v\n\"two\nLines\",1\n\"x\",2\n");
  ck_assert_int_eq(run_compare(out, "a b"), 1);
  assert_has(out, "b/m.csv:2: column 'note' (row 1): expected 'two\\nlines', got 'two\\nLines'\n");
}
END_TEST

/* ---- bad input ---- */

START_TEST(test_invalid_csv)
{
  char out[OUT_LEN];
  fixture("a/bw.csv", bw_a);
  fixture("b/bw.csv", "size_bytes,busbw_gbytes_per_s,algo\n1024,\"1.5,ring\n");
  ck_assert_int_eq(run_compare(out, "a b"), 2);
  assert_has(out, "b/bw.csv:2:");
  ck_assert_ptr_null(strstr(out, "files compared"));
}
END_TEST

START_TEST(test_unreadable_input)
{
  char out[OUT_LEN];
  fixture("a/bw.csv", bw_a);
  ck_assert_int_eq(run_compare(out, "a/bw.csv b/absent.csv"), 2);
  assert_has(out, "b/absent.csv");
  ck_assert_int_eq(run_compare(out, "a nowhere"), 2);
  assert_has(out, "nowhere");
  ck_assert_int_eq(run_compare(out, "a b/../a/bw.csv"), 2); /* a directory against a file */
  assert_has(out, "both files or both directories");
}
END_TEST

START_TEST(test_bad_usage)
{
  char out[OUT_LEN];
  fixture_both("bw.csv", bw_a);
  ck_assert_int_eq(run_compare(out, "--bogus a b"), 2);
  assert_has(out, "--bogus");
  ck_assert_int_eq(run_compare(out, "--rtol -1 a b"), 2);
  assert_has(out, "--rtol");
  ck_assert_int_eq(run_compare(out, "--rtol=abc a b"), 2);
  assert_has(out, "'abc'");
  ck_assert_int_eq(run_compare(out, "--atol 1e-3x a b"), 2);
  ck_assert_int_eq(run_compare(out, "--atol=nan a b"), 2);
  ck_assert_int_eq(run_compare(out, "a b --rtol"), 2);
  ck_assert_int_eq(run_compare(out, "a"), 2);
  ck_assert_int_eq(run_compare(out, "%s", ""), 2);
  ck_assert_int_eq(run_compare(out, "a b b"), 2);
}
END_TEST

START_TEST(test_help)
{
  char out[OUT_LEN];
  ck_assert_int_eq(run_compare(out, "--help"), 0);
  assert_has(out, "Usage: rs-compare");
  assert_has(out, "--rtol");
}
END_TEST

static Suite* compare_suite(void)
{
  Suite* s    = suite_create("compare");
  TCase* same = tcase_create("same");
  tcase_add_checked_fixture(same, make_tmpdir, remove_tmpdir);
  tcase_add_test(same, test_identical_dirs);
  tcase_add_test(same, test_identical_files);
  tcase_add_test(same, test_empty_dirs);
  tcase_add_test(same, test_numbers_compare_as_numbers);
  tcase_add_test(same, test_within_tolerance);
  suite_add_tcase(s, same);

  TCase* differ = tcase_create("differ");
  tcase_add_checked_fixture(differ, make_tmpdir, remove_tmpdir);
  tcase_add_test(differ, test_outside_tolerance);
  tcase_add_test(differ, test_text_difference);
  tcase_add_test(differ, test_number_against_text);
  tcase_add_test(differ, test_header_difference);
  tcase_add_test(differ, test_row_count_difference);
  tcase_add_test(differ, test_ragged_row);
  tcase_add_test(differ, test_file_missing_on_one_side);
  tcase_add_test(differ, test_one_line_per_file);
  tcase_add_test(differ, test_multiline_cells_line_numbers);
  suite_add_tcase(s, differ);

  TCase* bad = tcase_create("bad");
  tcase_add_checked_fixture(bad, make_tmpdir, remove_tmpdir);
  tcase_add_test(bad, test_invalid_csv);
  tcase_add_test(bad, test_unreadable_input);
  tcase_add_test(bad, test_bad_usage);
  tcase_add_test(bad, test_help);
  suite_add_tcase(s, bad);
  return s;
}

RS_CHECK_MAIN(compare_suite)
