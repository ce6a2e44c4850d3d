/* check_table.c -- Check suite for the rs-table tool: runs the built binary (RS_TABLE_BIN) on small CSV
 * fixtures written into a mkdtemp directory, and checks what it prints and its exit status. See LICENSE. */
#include "check_util.h"

#include <check.h>
#include <string.h>

#ifndef RS_TABLE_BIN
#error "RS_TABLE_BIN must name the rs-table binary"
#endif

#define OUT_LEN 4096

static char tmpdir[64]; /* made by the checked fixture, in the forked child */

/* Sessions as racksim writes them: root sessions have parent -1; one label holds a comma. */
static const char sessions[] = "workload,session,parent,start_s,end_s,label\n"
                               "agents,0,-1,0,10,\"a,b\"\n"
                               "agents,1,-1,2,5,plain\n"
                               "agents,2,0,3,5,child\n"
                               "agents,3,-1.0,5,7,touching\n"
                               "other,4,-1,4.5,6,x\n";

static void make_tmpdir(void)
{
  rs_test_tmpdir(tmpdir, sizeof tmpdir, "table");
  rs_test_write(tmpdir, "s.csv", sessions);
}

static void remove_tmpdir(void)
{
  rs_test_rmdir(tmpdir);
}

/* Runs "rs-table ARGS" in tmpdir, stdout and stderr together into out; returns its exit status. */
#define run_table(out, ...) rs_test_run((out), OUT_LEN, tmpdir, RS_TABLE_BIN, __VA_ARGS__)

/* Expects "rs-table ARGS" to exit with rc and print exactly want. */
#define assert_run(rc, want, ...)                                                                                      \
  do {                                                                                                                 \
    char out_[OUT_LEN];                                                                                                \
    ck_assert_int_eq(run_table(out_, __VA_ARGS__), (rc));                                                              \
    ck_assert_str_eq(out_, want);                                                                                      \
  } while (0)
#define assert_prints(want, ...) assert_run(0, want, __VA_ARGS__)
#define assert_refused(want, ...) assert_run(2, want, __VA_ARGS__) /* one message */

/* ---- answers ---- */

START_TEST(test_get)
{
  assert_prints("0\n", "get s.csv start_s");
  assert_prints("2\n", "get s.csv start_s --row 2");
  assert_prints("4.5\n", "get s.csv start_s --row=5");
  assert_prints("4.50\n", "get s.csv start_s --row 5 --format %%.2f");
  assert_prints("4.5\n", "get s.csv start_s --where workload=other");
  assert_prints("child\n", "get s.csv label --where parent=0");
  assert_prints("[7.000 s]\n", "get s.csv end_s --where label=touching --format '[%%.3f s]'");
}
END_TEST

START_TEST(test_quoted_cell)
{
  assert_prints("a,b\n", "get s.csv label");
  assert_prints("10\n", "get s.csv end_s --where label=a,b");
  rs_test_write(tmpdir, "q.csv", "name,\"x,y\"\n\"line\nbreak\",3\n");
  assert_prints("3\n", "get q.csv x,y");
}
END_TEST

START_TEST(test_max)
{
  assert_prints("10\n", "max s.csv end_s");
  assert_prints("4.5\n", "max s.csv start_s --where workload=other");
  assert_prints("6.0\n", "max s.csv end_s --where workload=other --format %%.1f");
  assert_prints("5\n", "max s.csv start_s --where parent=-1"); /* -1.0 is -1 */
}
END_TEST

START_TEST(test_peak)
{
  /* roots [0,10) [2,5) [5,7) [4.5,6): three open at 4.5, and at 5 [2,5) ends before [5,7) starts;
   * with the child [3,5), four at 4.5 */
  assert_prints("3\n", "peak s.csv start_s end_s --where parent=-1");
  assert_prints("4\n", "peak s.csv start_s end_s");
  assert_prints("1\n", "peak s.csv start_s end_s --where workload=other");
  assert_prints("0\n", "peak s.csv start_s end_s --where workload=none");
  assert_prints("3.0\n", "peak s.csv start_s end_s --where parent=-1 --format %%.1f");
  rs_test_write(tmpdir, "t.csv", "start_s,end_s\n1,2\n2,3\n0,1\n");
  assert_prints("1\n", "peak t.csv start_s end_s"); /* touching intervals do not overlap */
}
END_TEST

/* ---- bad input ---- */

START_TEST(test_bad_cells)
{
  rs_test_write(tmpdir, "n.csv", "x,y\n1,2\n\"a\nb\",oops\n3,\n");
  assert_refused("rs-table: n.csv:3: y: expected a number, got 'oops'\n", "max n.csv y");
  assert_refused("rs-table: n.csv:3: x: expected a number, got 'a\nb'\n", "get n.csv x --row 2 --format %%g");
  assert_refused("rs-table: n.csv:5: y: expected a number, got ''\n", "peak n.csv x y --where x=3");
  assert_refused("rs-table: s.csv:2: parent: expected a number >= start_s (0), got '-1'\n",
                 "peak s.csv start_s parent");
}
END_TEST

START_TEST(test_bad_tables)
{
  assert_refused("rs-table: missing.csv: cannot open: No such file or directory\n", "get missing.csv x");
  assert_refused("rs-table: s.csv:1: header: expected a column 'nope', got none\n", "get s.csv nope");
  assert_refused("rs-table: s.csv:1: header: expected a column 'kind', got none\n", "max s.csv end_s --where kind=x");
  assert_refused("rs-table: s.csv: --row: expected a row from 1 to 5, got '6'\n", "get s.csv session --row 6");
  assert_refused("rs-table: s.csv: expected a row where workload=none, got none\n",
                 "get s.csv session --where workload=none");
  rs_test_write(tmpdir, "h.csv", "x,y\n");
  assert_refused("rs-table: h.csv: expected a data row, got none\n", "max h.csv x");
  rs_test_write(tmpdir, "bad.csv", "x\n\"open\n");
  assert_refused("rs-table: bad.csv:2: not valid CSV (quoted field not closed)\n", "get bad.csv x");
}
END_TEST

START_TEST(test_bad_usage)
{
  char out[OUT_LEN];
  const char* bad[] = {"",
                       "sum s.csv x",
                       "get s.csv",
                       "get s.csv x y",
                       "peak s.csv start_s",
                       "get s.csv x --row 0",
                       "get s.csv x --row 2x",
                       "get s.csv x --row",
                       "max s.csv x --row 1",
                       "get s.csv x --row 1 --where a=b",
                       "get s.csv x --where ab",
                       "get s.csv x --format %%d",
                       "get s.csv x --format '%%f %%f'",
                       "get s.csv x --format %%s",
                       "get s.csv x --frobnicate"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ck_assert_msg(run_table(out, bad[i], "") == 2, "'%s' accepted: %s", bad[i], out);
    ck_assert_msg(strncmp(out, "rs-table: ", 10) == 0 && strstr(out, "Try 'rs-table --help'.\n") != NULL, "%s", out);
  }
  ck_assert_int_eq(run_table(out, "--help"), 0);
  ck_assert_ptr_nonnull(strstr(out, "Usage: rs-table get FILE COLUMN"));
}
END_TEST

static Suite* table_suite(void)
{
  Suite* s     = suite_create("table");
  TCase* good  = tcase_create("answers");
  TCase* wrong = tcase_create("bad");
  tcase_add_checked_fixture(good, make_tmpdir, remove_tmpdir);
  tcase_add_checked_fixture(wrong, make_tmpdir, remove_tmpdir);
  tcase_add_test(good, test_get);
  tcase_add_test(good, test_quoted_cell);
  tcase_add_test(good, test_max);
  tcase_add_test(good, test_peak);
  tcase_add_test(wrong, test_bad_cells);
  tcase_add_test(wrong, test_bad_tables);
  tcase_add_test(wrong, test_bad_usage);
  suite_add_tcase(s, good);
  suite_add_tcase(s, wrong);
  return s;
}

RS_CHECK_MAIN(table_suite)
