/* check_output.c -- Check suite for the CSV writer (sim/output.h) and reader (sim/csvread.h):
 * header, quoting round trips, number format, the temporary-file-then-rename protocol, nested output
 * directories, what a signal leaves (nothing of the run it ends), and the reader's line numbers and
 * rejections. Each test works in its own mkdtemp
 * directory. See LICENSE. */
#define _GNU_SOURCE /* nftw */
#include "check_util.h"
#include "base/base.h"

#include <check.h>
#include <float.h>
#include <limits.h>
#include <ftw.h>
#include <math.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The test's temporary directory, made by a fixture: checked ones run in the forked child. */
static char tmpdir[64];

static void make_tmpdir(void)
{
  strcpy(tmpdir, "/tmp/rs-check-output-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static int remove_entry(const char* path, const struct stat* st, int flag, struct FTW* ftw)
{
  return remove(path);
}

static void remove_tmpdir(void)
{
  nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* tmpdir/name, in a buffer of the caller's. */
static const char* tmp_path(char* buf, size_t size, const char* name)
{
  snprintf(buf, size, "%s/%s", tmpdir, name);
  return buf;
}

static int exists(const char* path)
{
  struct stat st;
  return stat(path, &st) == 0;
}

/* Whole content of a file, NUL-terminated; the caller frees it. */
static char* slurp(const char* path)
{
  FILE* fp = fopen(path, "rb");
  ck_assert_msg(fp != NULL, "cannot open %s", path);
  char* buf = calloc(1, 65536);
  size_t n  = fread(buf, 1, 65535, fp);
  buf[n]    = '\0';
  fclose(fp);
  return buf;
}

static void write_file(const char* path, const char* content, size_t len)
{
  FILE* fp = fopen(path, "wb");
  ck_assert_ptr_nonnull(fp);
  ck_assert_uint_eq(fwrite(content, 1, len, fp), len);
  ck_assert_int_eq(fclose(fp), 0);
}

/* Writes a file of the given text into tmpdir and reads it back; *err gets the reader's message. */
static rs_csv_t* read_text(const char* content, size_t len, rs_err_t* err)
{
  char path[256];
  tmp_path(path, sizeof path, "in.csv");
  write_file(path, content, len);
  err->msg[0] = '\0';
  return rs_csv_read(path, err);
}

static const rs_col_t two_cols[] = {{"name", RS_COL_TEXT}, {"value_s", RS_COL_NUM}};

static rs_out_t* open_out(void)
{
  rs_err_t err;
  rs_out_t* out = rs_out_open(tmpdir, &err);
  ck_assert_msg(out != NULL, "rs_out_open: %s", err.msg);
  return out;
}

static rs_table_t* open_table(rs_out_t* out, const char* name, const rs_col_t* cols, int n)
{
  rs_err_t err;
  rs_table_t* t = rs_out_table(out, name, cols, n, &err);
  ck_assert_msg(t != NULL, "rs_out_table: %s", err.msg);
  return t;
}

static void commit(rs_out_t* out)
{
  rs_err_t err;
  ck_assert_msg(rs_out_commit(out, &err) == RS_OK, "rs_out_commit: %s", err.msg);
}

/* ---- writer ---- */

START_TEST(test_header)
{
  rs_out_t* out = open_out();
  rs_table_t* t = open_table(out, "runs", two_cols, 2);
  ck_assert_uint_eq(rs_table_rows(t), 0);
  commit(out);
  rs_out_close(out);

  char path[256];
  char* raw = slurp(tmp_path(path, sizeof path, "runs.csv"));
  ck_assert_str_eq(raw, "name,value_s\r\n");
  free(raw);
  rs_err_t err;
  rs_csv_t* csv = rs_csv_read(path, &err);
  ck_assert_msg(csv != NULL, "%s", err.msg);
  ck_assert_uint_eq(csv->n_rows, 1);
  ck_assert_uint_eq(csv->rows[0].n_cells, 2);
  ck_assert_str_eq(csv->rows[0].cells[0], "name");
  ck_assert_str_eq(csv->rows[0].cells[1], "value_s");
  ck_assert_int_eq(csv->rows[0].line, 1);
  rs_csv_free(csv);
}
END_TEST

static const char* const tricky[] = {
    "comma, inside",
    "double \"quote\"",
    "new\nline",
    " leading space",
    "trailing space ",
    "\ttab",
    "crlf\r\ninside",
    "",
    "plain",
    "\"",
    ",",
};
#define N_TRICKY ((int)(sizeof tricky / sizeof tricky[0]))

START_TEST(test_text_round_trip)
{
  rs_col_t cols[N_TRICKY];
  char names[N_TRICKY][16];
  for (int i = 0; i < N_TRICKY; i++) {
    snprintf(names[i], sizeof names[i], "c%d", i);
    cols[i] = (rs_col_t){names[i], RS_COL_TEXT};
  }
  rs_out_t* out = open_out();
  rs_table_t* t = open_table(out, "text", cols, N_TRICKY);
  for (int row = 0; row < 2; row++) { /* twice: the second row must start where the first ended */
    for (int i = 0; i < N_TRICKY; i++)
      rs_cell_text(t, tricky[i]);
    rs_row_end(t);
  }
  ck_assert_uint_eq(rs_table_rows(t), 2);
  commit(out);
  rs_out_close(out);

  char path[256];
  rs_err_t err;
  rs_csv_t* csv = rs_csv_read(tmp_path(path, sizeof path, "text.csv"), &err);
  ck_assert_msg(csv != NULL, "%s", err.msg);
  ck_assert_uint_eq(csv->n_rows, 3);
  for (size_t row = 1; row < 3; row++) {
    ck_assert_uint_eq(csv->rows[row].n_cells, N_TRICKY);
    for (int i = 0; i < N_TRICKY; i++)
      ck_assert_msg(strcmp(csv->rows[row].cells[i], tricky[i]) == 0, "row %zu cell %d: wrote '%s', read '%s'", row, i,
                    tricky[i], csv->rows[row].cells[i]);
  }
  ck_assert_int_eq(csv->rows[1].line, 2);
  ck_assert_int_eq(csv->rows[2].line, 5); /* row 1 is lines 2-4: "new\nline" and "crlf\r\ninside" add one each */
  rs_csv_free(csv);
}
END_TEST

START_TEST(test_number_format)
{
  static const rs_col_t cols[] = {{"third", RS_COL_NUM},   {"big", RS_COL_NUM}, {"whole", RS_COL_NUM},
                                  {"negzero", RS_COL_NUM}, {"nan", RS_COL_NUM}, {"inf", RS_COL_NUM},
                                  {"count", RS_COL_INT},   {"gap", RS_COL_NUM}, {"tiny", RS_COL_NUM}};
  rs_out_t* out                = open_out();
  rs_table_t* t                = open_table(out, "nums", cols, 9);
  rs_cell_num(t, 1.0 / 3.0);
  rs_cell_num(t, 1e20);
  rs_cell_num(t, 42.0);
  rs_cell_num(t, -0.0);
  rs_cell_num(t, NAN);
  rs_cell_num(t, INFINITY);
  rs_cell_int(t, -7);
  rs_cell_empty(t);
  rs_cell_num(t, 1.5e-300);
  rs_row_end(t);
  commit(out);
  rs_out_close(out);

  char path[256];
  char* raw = slurp(tmp_path(path, sizeof path, "nums.csv"));
  ck_assert_str_eq(raw, "third,big,whole,negzero,nan,inf,count,gap,tiny\r\n"
                        "0.333333333333,1e+20,42,0,,,-7,,1.5e-300\r\n");
  free(raw);

  char buf[32];
  ck_assert_str_eq(rs_out_format_num(buf, 2.0 / 3.0), "0.666666666667");
  ck_assert_str_eq(rs_out_format_num(buf, 123456789012345.0), "1.23456789012e+14");
  ck_assert_str_eq(rs_out_format_num(buf, -NAN), "");
  ck_assert_str_eq(rs_out_format_num(buf, -INFINITY), "");
}
END_TEST

/* The number writer formats without printf where it can be sure of the digits: it must write printf's
 * bytes for every value, so it is compared on 2.1 million values of every kind: random bit patterns, short decimals
 * (the tables' usual cells: times, watts, ratios), integers, powers of ten and their neighbours, and
 * values a hair from a rounding tie at the 12th digit, where it has to leave the work to printf. */
static void expect_printf(double v)
{
  char got[32], want[32];
  rs_out_format_num(got, v);
  snprintf(want, sizeof want, "%.12g", v == 0.0 ? 0.0 : v);
  if (!isfinite(v))
    want[0] = '\0';
  ck_assert_msg(strcmp(got, want) == 0, "%.17g: wrote '%s', printf writes '%s'", v, got, want);
}

START_TEST(test_number_format_is_printf)
{
  uint64_t x = 88172645463325252ULL; /* xorshift64 */
  for (int i = 0; i < 300000; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    double bits;
    memcpy(&bits, &x, sizeof bits);
    expect_printf(bits);
    double u = (double)(x >> 11) / 9007199254740992.0; /* uniform in [0, 1) */
    int sh   = (int)(x % 61) - 30;
    expect_printf(u * pow(10, sh));
    expect_printf((double)(x % 100000000) / pow(10, (int)(x % 13)));
    expect_printf(-(double)(x % 1000000000000000ULL));
    double tie = (floor(u * 1e12) + 0.5) / pow(10, (int)(x % 20)); /* next to a tie of the 12th digit */
    expect_printf(tie);
    expect_printf(nextafter(tie, 0));
    expect_printf(nextafter(tie, 1e300));
  }
  for (int p = -320; p <= 308; p++) {
    double t = pow(10, p);
    expect_printf(t);
    expect_printf(nextafter(t, 0));
    expect_printf(nextafter(t, INFINITY));
    expect_printf(-t * 9.999999999995);
    expect_printf(t * 9.9999999999949);
    expect_printf(t * 9.99999999999951);
  }
  double special[] = {
      0.0,  -0.0,           1.0,     -1.0,    0.5,          1e-5, 1e-4,     9.99999999999e-5, 999999999999.0,
      1e12, 123456789012.5, DBL_MIN, DBL_MAX, DBL_TRUE_MIN, NAN,  INFINITY, -INFINITY};
  for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
    expect_printf(special[i]);
}
END_TEST

/* Integers are written without printf too: the extremes and zero, as "%lld" writes them. */
START_TEST(test_int_format)
{
  static const rs_col_t cols[] = {{"min", RS_COL_INT}, {"zero", RS_COL_INT}, {"max", RS_COL_INT}, {"ten", RS_COL_INT}};
  rs_out_t* out                = open_out();
  rs_table_t* t                = open_table(out, "ints", cols, 4);
  rs_cell_int(t, LLONG_MIN);
  rs_cell_int(t, 0);
  rs_cell_int(t, LLONG_MAX);
  rs_cell_int(t, -10);
  rs_row_end(t);
  commit(out);
  rs_out_close(out);
  char path[256];
  char* raw = slurp(tmp_path(path, sizeof path, "ints.csv"));
  ck_assert_str_eq(raw, "min,zero,max,ten\r\n-9223372036854775808,0,9223372036854775807,-10\r\n");
  free(raw);
}
END_TEST

START_TEST(test_partial_until_commit)
{
  char final[256];
  char partial[256];
  tmp_path(final, sizeof final, "steps.csv");
  tmp_path(partial, sizeof partial, ".steps.csv.partial");
  rs_out_t* out = open_out();
  rs_table_t* t = open_table(out, "steps", two_cols, 2);
  rs_cell_text(t, "a");
  rs_cell_num(t, 1);
  rs_row_end(t);
  ck_assert_msg(exists(partial), "%s should exist before commit", partial);
  ck_assert_msg(!exists(final), "%s should not exist before commit", final);

  commit(out);
  ck_assert_msg(exists(final), "%s should exist after commit", final);
  ck_assert_msg(!exists(partial), "%s should be gone after commit", partial);
  rs_out_close(out);
  ck_assert_msg(exists(final), "rs_out_close after commit must keep %s", final);
  char* raw = slurp(final);
  ck_assert_str_eq(raw, "name,value_s\r\na,1\r\n");
  free(raw);
}
END_TEST

START_TEST(test_close_without_commit)
{
  char final[256];
  char partial[256];
  tmp_path(final, sizeof final, "steps.csv");
  tmp_path(partial, sizeof partial, ".steps.csv.partial");
  rs_out_t* out = open_out();
  rs_table_t* t = open_table(out, "steps", two_cols, 2);
  rs_cell_text(t, "a");
  rs_cell_num(t, 1);
  rs_row_end(t);
  ck_assert(exists(partial));
  rs_out_close(out);
  ck_assert_msg(!exists(partial), "%s left behind", partial);
  ck_assert_msg(!exists(final), "%s written without commit", final);
}
END_TEST

START_TEST(test_nested_dirs)
{
  char dir[256];
  tmp_path(dir, sizeof dir, "a/b/c/");
  rs_err_t err;
  rs_out_t* out = rs_out_open(dir, &err);
  ck_assert_msg(out != NULL, "rs_out_open: %s", err.msg);
  struct stat st;
  ck_assert_int_eq(stat(tmp_path(dir, sizeof dir, "a/b/c"), &st), 0);
  ck_assert(S_ISDIR(st.st_mode));
  rs_table_t* t = open_table(out, "deep", two_cols, 2);
  rs_cell_text(t, "x");
  rs_cell_num(t, 2.5);
  rs_row_end(t);
  commit(out);
  rs_out_close(out);
  char path[256];
  ck_assert(exists(tmp_path(path, sizeof path, "a/b/c/deep.csv")));

  /* an existing output directory is fine too */
  out = rs_out_open(tmp_path(dir, sizeof dir, "a/b"), &err);
  ck_assert_msg(out != NULL, "rs_out_open on an existing directory: %s", err.msg);
  rs_out_close(out);
}
END_TEST

START_TEST(test_open_fails_under_a_file)
{
  char file[256];
  char dir[256];
  write_file(tmp_path(file, sizeof file, "plain"), "x", 1);
  rs_err_t err  = {{0}};
  rs_out_t* out = rs_out_open(tmp_path(dir, sizeof dir, "plain/sub"), &err);
  ck_assert_ptr_null(out);
  ck_assert_msg(strstr(err.msg, "plain") != NULL, "message should name the directory: '%s'", err.msg);
}
END_TEST

START_TEST(test_short_row_aborts)
{
  rs_out_t* out = open_out();
  rs_table_t* t = open_table(out, "bad", two_cols, 2);
  rs_cell_text(t, "only one");
  rs_row_end(t); /* a bug in the caller: xbt_assert aborts */
}
END_TEST

/* ---- signals: the shared cleanup (cleanup.c) ---- */

/* Names in dir, sorted and joined by spaces ("" when empty); the caller frees the text. */
static char* listing(const char* dir)
{
  char cmd[300];
  snprintf(cmd, sizeof cmd, "ls -A '%s' 2>/dev/null | tr '\\n' ' '", dir);
  FILE* fp = popen(cmd, "r");
  ck_assert_ptr_nonnull(fp);
  char* buf = calloc(1, 4096);
  size_t n  = fread(buf, 1, 4095, fp);
  buf[n]    = '\0';
  pclose(fp);
  return buf;
}

/* Forks a child that opens an output set in dir, writes a table, run.yaml and an external file, then
 * raises sig with everything still unfinished; returns the child's wait status. */
static int die_mid_run(const char* dir, int sig)
{
  static const rs_col_t cols[] = {{"name", RS_COL_TEXT}, {"value_s", RS_COL_NUM}};
  fflush(NULL);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    rs_err_t err;
    rs_out_t* out = rs_out_open(dir, &err);
    rs_table_t* t = out ? rs_out_table(out, "steps", cols, 2, &err) : NULL;
    FILE* yaml    = out ? rs_out_file(out, "run.yaml", &err) : NULL;
    const char* x = out ? rs_out_external(out, "simgrid.trace", &err) : NULL;
    if (t == NULL || yaml == NULL || x == NULL)
      _exit(3);
    rs_cell_text(t, "a");
    rs_cell_num(t, 1);
    rs_row_end(t);
    fflush(NULL);
    raise(sig);
    _exit(4); /* only when sig is ignored */
  }
  int st;
  ck_assert_int_eq(waitpid(pid, &st, 0), pid);
  return st;
}

/* A signal mid-run removes every temporary file, the lock and the directory the run created, and the
 * process still ends by that signal. */
START_TEST(test_signal_leaves_nothing)
{
  static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGABRT};
  int sig                 = sigs[_i];
  char dir[256];
  tmp_path(dir, sizeof dir, "made/by/run");
  int st = die_mid_run(dir, sig);
  ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == sig, "child ended with status %d, not signal %d", st, sig);
  ck_assert_msg(!exists(dir), "%s left behind after signal %d", dir, sig);
}
END_TEST

/* Into a directory of an earlier run: that run's files stay as they were, nothing of the new one does. */
START_TEST(test_signal_keeps_earlier_run)
{
  static const rs_col_t cols[] = {{"name", RS_COL_TEXT}, {"value_s", RS_COL_NUM}};
  rs_out_t* out                = open_out();
  rs_table_t* t                = open_table(out, "steps", cols, 2);
  rs_cell_text(t, "earlier");
  rs_cell_num(t, 2);
  rs_row_end(t);
  commit(out);
  rs_out_close(out);
  char* before = listing(tmpdir);
  int st       = die_mid_run(tmpdir, SIGTERM);
  ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
  char* after = listing(tmpdir);
  ck_assert_str_eq(after, before);
  ck_assert_str_eq(before, ".racksim-files steps.csv ");
  char path[256];
  char* raw = slurp(tmp_path(path, sizeof path, "steps.csv"));
  ck_assert_str_eq(raw, "name,value_s\r\nearlier,2\r\n");
  free(raw);
  free(before);
  free(after);
}
END_TEST

/* A SIGHUP ignored before the run (nohup) stays ignored: the run goes on. */
START_TEST(test_ignored_hangup_stays_ignored)
{
  char dir[256];
  tmp_path(dir, sizeof dir, "nohup");
  signal(SIGHUP, SIG_IGN);
  int st = die_mid_run(dir, SIGHUP);
  signal(SIGHUP, SIG_DFL);
  ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 4, "status %d: an ignored SIGHUP ended the run", st);
}
END_TEST

/* The registry itself: a dropped path is kept, a registered one goes, an empty directory goes too. */
START_TEST(test_cleanup_registry)
{
  char kept[256], gone[256], dir[256];
  tmp_path(kept, sizeof kept, "kept");
  tmp_path(gone, sizeof gone, "sub/gone");
  tmp_path(dir, sizeof dir, "sub");
  ck_assert_int_eq(mkdir(dir, 0777), 0);
  write_file(kept, "k", 1);
  write_file(gone, "g", 1);
  int a = rs_cleanup_add(dir);
  int b = rs_cleanup_add(kept);
  int c = rs_cleanup_add(gone);
  ck_assert(a >= 0 && b >= 0 && c >= 0 && a != b && b != c);
  rs_cleanup_drop(b);
  rs_cleanup_now();
  ck_assert(exists(kept));
  ck_assert(!exists(gone));
  ck_assert(!exists(dir));
  rs_cleanup_drop(a);
  rs_cleanup_drop(c);
  rs_cleanup_drop(-1);
}
END_TEST

/* ---- reader ---- */

START_TEST(test_read_lines)
{
  static const char text[] = "h1,h2\n\"multi\nline\",x\n\nlast,\"y\"\n";
  rs_err_t err;
  rs_csv_t* csv = read_text(text, sizeof text - 1, &err);
  ck_assert_msg(csv != NULL, "%s", err.msg);
  ck_assert_uint_eq(csv->n_rows, 3); /* the blank line is no row */
  ck_assert_int_eq(csv->rows[0].line, 1);
  ck_assert_int_eq(csv->rows[1].line, 2); /* starts with a quoted field over two lines */
  ck_assert_str_eq(csv->rows[1].cells[0], "multi\nline");
  ck_assert_int_eq(csv->rows[2].line, 5);
  ck_assert_str_eq(csv->rows[2].cells[1], "y");
  rs_csv_free(csv);
}
END_TEST

START_TEST(test_read_unterminated_quote)
{
  static const char text[] = "a,b\n1,2\n3,\"open\n4,5\n";
  rs_err_t err;
  rs_csv_t* csv = read_text(text, sizeof text - 1, &err);
  ck_assert_ptr_null(csv);
  ck_assert_msg(strstr(err.msg, "in.csv:3:") != NULL, "expected the row's line 3 in '%s'", err.msg);
}
END_TEST

START_TEST(test_read_bad_quote_mid_file)
{
  static const char text[] = "a,b\n1,2\n\"x\"y,3\n";
  rs_err_t err;
  rs_csv_t* csv = read_text(text, sizeof text - 1, &err);
  ck_assert_ptr_null(csv);
  ck_assert_msg(strstr(err.msg, "in.csv:3:") != NULL, "expected line 3 in '%s'", err.msg);
}
END_TEST

START_TEST(test_read_rejects_nul)
{
  static const char text[] = "a,b\n1,2\n3,4\0junk\n";
  rs_err_t err;
  rs_csv_t* csv = read_text(text, sizeof text - 1, &err);
  ck_assert_ptr_null(csv);
  ck_assert_msg(strstr(err.msg, "in.csv:3:") != NULL, "expected line 3 in '%s'", err.msg);
}
END_TEST

START_TEST(test_read_missing_file)
{
  char path[256];
  rs_err_t err  = {{0}};
  rs_csv_t* csv = rs_csv_read(tmp_path(path, sizeof path, "absent.csv"), &err);
  ck_assert_ptr_null(csv);
  ck_assert_msg(strstr(err.msg, "absent.csv") != NULL, "message should name the file: '%s'", err.msg);
}
END_TEST

START_TEST(test_read_long_line)
{
  size_t n   = 10000; /* longer than any fixed line buffer */
  char* text = malloc(n + 16);
  strcpy(text, "h\n");
  memset(text + 2, 'v', n);
  strcpy(text + 2 + n, "\nw\n");
  rs_err_t err;
  rs_csv_t* csv = read_text(text, strlen(text), &err);
  ck_assert_msg(csv != NULL, "%s", err.msg);
  ck_assert_uint_eq(csv->n_rows, 3);
  ck_assert_uint_eq(strlen(csv->rows[1].cells[0]), n);
  ck_assert_int_eq(csv->rows[2].line, 3);
  rs_csv_free(csv);
  free(text);
}
END_TEST

START_TEST(test_column_lookup)
{
  static const char text[] = "start_s,bytes,tflops\n1,2,3\n";
  rs_err_t err;
  rs_csv_t* csv = read_text(text, sizeof text - 1, &err);
  ck_assert_msg(csv != NULL, "%s", err.msg);
  ck_assert_int_eq(rs_csv_column(csv, "start_s"), 0);
  ck_assert_int_eq(rs_csv_column(csv, "tflops"), 2);
  ck_assert_int_eq(rs_csv_column(csv, "bytes"), 1);
  ck_assert_int_eq(rs_csv_column(csv, "1"), -1); /* data rows are not the header */
  ck_assert_int_eq(rs_csv_column(csv, "start"), -1);
  rs_csv_free(csv);

  csv = read_text("", 0, &err);
  ck_assert_msg(csv != NULL, "%s", err.msg);
  ck_assert_uint_eq(csv->n_rows, 0);
  ck_assert_int_eq(rs_csv_column(csv, "start_s"), -1);
  rs_csv_free(csv);
}
END_TEST

static Suite* output_suite(void)
{
  Suite* s     = suite_create("output");
  TCase* write = tcase_create("write");
  tcase_add_checked_fixture(write, make_tmpdir, remove_tmpdir);
  tcase_add_test(write, test_header);
  tcase_add_test(write, test_text_round_trip);
  tcase_add_test(write, test_number_format);
  tcase_add_test(write, test_number_format_is_printf);
  tcase_add_test(write, test_int_format);
  tcase_add_test(write, test_partial_until_commit);
  tcase_add_test(write, test_close_without_commit);
  tcase_add_test(write, test_nested_dirs);
  tcase_add_test(write, test_open_fails_under_a_file);
  suite_add_tcase(s, write);

  /* The child dies there, so its directory is made and removed by the parent, around the fork. */
  TCase* abort_case = tcase_create("abort");
  tcase_add_unchecked_fixture(abort_case, make_tmpdir, remove_tmpdir);
  tcase_add_test_raise_signal(abort_case, test_short_row_aborts, SIGABRT);
  suite_add_tcase(s, abort_case);

  /* Children are forked by the tests themselves, which wait for them and look at what is left. */
  TCase* sig = tcase_create("signals");
  tcase_add_checked_fixture(sig, make_tmpdir, remove_tmpdir);
  tcase_add_loop_test(sig, test_signal_leaves_nothing, 0, 4);
  tcase_add_test(sig, test_signal_keeps_earlier_run);
  tcase_add_test(sig, test_ignored_hangup_stays_ignored);
  tcase_add_test(sig, test_cleanup_registry);
  suite_add_tcase(s, sig);

  TCase* read = tcase_create("read");
  tcase_add_checked_fixture(read, make_tmpdir, remove_tmpdir);
  tcase_add_test(read, test_read_lines);
  tcase_add_test(read, test_read_unterminated_quote);
  tcase_add_test(read, test_read_bad_quote_mid_file);
  tcase_add_test(read, test_read_rejects_nul);
  tcase_add_test(read, test_read_missing_file);
  tcase_add_test(read, test_read_long_line);
  tcase_add_test(read, test_column_lookup);
  suite_add_tcase(s, read);
  return s;
}

RS_CHECK_MAIN(output_suite)
