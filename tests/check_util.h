/* check_util.h -- what racksim's Check suites share: starting SimGrid quietly, loading a shipped
 * platform, and the one main every suite has. Header-only: each suite is its own program. */
#ifndef RS_CHECK_UTIL_H
#define RS_CHECK_UTIL_H

#include "base/base.h"
#include "hw/hw.h"

#include <check.h>
#include <simgrid/engine.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Starts the engine (once per forked test: SimGrid allows one engine per process). */
static inline void rs_test_simgrid_init(void)
{
  static char* argv[] = {"racksim-check", "--log=root.thres:critical", NULL};
  int argc            = 2;
  simgrid_init(&argc, argv);
}

/* Starts the engine and loads platforms/NAME.xml; fails the test on error. */
static inline rs_platform_t* rs_test_load_preset(const char* name)
{
  rs_test_simgrid_init();
  char path[512];
  snprintf(path, sizeof path, "%s/platforms/%s.xml", RS_SOURCE_DIR, name);
  rs_platform_t* p = NULL;
  rs_err_t err     = {{0}};
  ck_assert_msg(rs_platform_load(path, &p, &err) == RS_OK, "%s", err.msg);
  return p;
}

/* Starts the engine and builds the platform of spec in it, as a run does; fails the test on error. */
static inline rs_platform_t* rs_test_generate(rs_platgen_spec_t spec)
{
  rs_test_simgrid_init();
  rs_err_t err     = {{0}};
  rs_platform_t* p = NULL;
  ck_assert_msg(rs_platform_generate(&spec, "generated", &p, &err) == RS_OK, "%s", err.msg);
  return p;
}

/* Starts the engine, then writes the XML of spec, loads and deletes it; fails the test on error. */
static inline rs_platform_t* rs_test_generate_xml(rs_platgen_spec_t spec)
{
  rs_test_simgrid_init();
  rs_err_t err = {{0}};
  char* file   = rs_platgen_temp(&spec, &err);
  ck_assert_msg(file != NULL, "%s", err.msg);
  rs_platform_t* p = NULL;
  ck_assert_msg(rs_platform_load(file, &p, &err) == RS_OK, "%s", err.msg);
  unlink(file);
  free(file);
  return p;
}

/* Makes a fresh directory /tmp/rs-check-NAME-XXXXXX into dir (len bytes); fails the test on error. */
static inline void rs_test_tmpdir(char* dir, size_t len, const char* name)
{
  snprintf(dir, len, "/tmp/rs-check-%s-XXXXXX", name);
  ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* Removes dir and everything in it. */
static inline void rs_test_rmdir(const char* dir)
{
  char cmd[160];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  ck_assert_int_eq(system(cmd), 0);
}

/* Writes content to dir/rel; fails the test on error. */
static inline void rs_test_write(const char* dir, const char* rel, const char* content)
{
  char path[256];
  snprintf(path, sizeof path, "%s/%s", dir, rel);
  FILE* fp = fopen(path, "wb");
  ck_assert_msg(fp != NULL, "cannot write %s", path);
  fputs(content, fp);
  ck_assert_int_eq(fclose(fp), 0);
}

/* Runs "'bin' ARGS" (ARGS from args_fmt and ap, shell words) in dir, stdout and stderr together into
 * out (len bytes); returns its exit status, failing the test if it did not exit normally. */
static inline int rs_test_vrun(char* out, size_t len, const char* dir, const char* bin, const char* args_fmt,
                               va_list ap)
{
  char args[1024];
  char cmd[2048];
  vsnprintf(args, sizeof args, args_fmt, ap);
  snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s 2>&1", dir, bin, args);
  FILE* p = popen(cmd, "r");
  ck_assert_msg(p != NULL, "cannot run %s", cmd);
  size_t n = fread(out, 1, len - 1, p);
  out[n]   = '\0';
  int st   = pclose(p);
  ck_assert_msg(WIFEXITED(st), "%s did not exit normally: %s", bin, cmd);
  return WEXITSTATUS(st);
}

/* rs_test_vrun with the ARGS' values given directly. */
static inline int rs_test_run(char* out, size_t len, const char* dir, const char* bin, const char* args_fmt, ...)
    __attribute__((format(printf, 5, 6)));

static inline int rs_test_run(char* out, size_t len, const char* dir, const char* bin, const char* args_fmt, ...)
{
  va_list ap;
  va_start(ap, args_fmt);
  int rc = rs_test_vrun(out, len, dir, bin, args_fmt, ap);
  va_end(ap);
  return rc;
}

/* Writes the scenario text to DIR/s.yaml and runs racksim on it from the source tree, tables into
 * DIR/OUT, stderr into DIR/err, with the extra options; returns the exit code. */
static inline int rs_test_run_yaml(const char* dir, const char* yaml, const char* out, const char* extra)
{
  char path[128], cmd[1024];
  snprintf(path, sizeof path, "%s/s.yaml", dir);
  rs_test_write(dir, "s.yaml", yaml);
  snprintf(cmd, sizeof cmd, "cd %s && %s run %s -o %s/%s -q %s 2>%s/err", RS_SOURCE_DIR, RS_RACKSIM_BIN, path, dir, out,
           extra, dir);
  int st = system(cmd);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* DIR/OUT/FILE, a table racksim wrote, read through libcsv; fails the test if it cannot be read. */
static inline rs_csv_t* rs_test_table(const char* dir, const char* out, const char* file)
{
  char path[192];
  snprintf(path, sizeof path, "%s/%s/%s", dir, out, file);
  rs_err_t err  = {{0}};
  rs_csv_t* csv = rs_csv_read(path, &err);
  ck_assert_msg(csv != NULL, "%s", err.msg);
  return csv;
}

/* A number from row ROW (from 1) of DIR/OUT/FILE, a table racksim wrote; fails the test if the
 * column or the row is missing. */
static inline double rs_test_table_value(const char* dir, const char* out, const char* file, size_t row,
                                         const char* column)
{
  rs_csv_t* csv = rs_test_table(dir, out, file);
  int col       = rs_csv_column(csv, column);
  ck_assert_msg(col >= 0, "%s has no column %s", file, column);
  ck_assert(row < csv->n_rows);
  double v = strtod(csv->rows[row].cells[col], NULL);
  rs_csv_free(csv);
  return v;
}

/* A number from row 1 of DIR/OUT/iterations.csv (the first training iteration). */
static inline double rs_test_iteration_value(const char* dir, const char* out, const char* column)
{
  return rs_test_table_value(dir, out, "iterations.csv", 1, column);
}

/* Runs racksim on tests/bad/NAME.yaml (from the source directory, as a user would) into out: expects
 * exit code 2, one message that starts "racksim: tests/bad/" and contains reason, and no out. */
static inline void rs_test_refused(const char* name, const char* reason, const char* out)
{
  char cmd[512], err[1024] = "";
  snprintf(cmd, sizeof cmd, "cd %s && %s run tests/bad/%s.yaml -o %s 2>&1", RS_SOURCE_DIR, RS_RACKSIM_BIN, name, out);
  FILE* fp = popen(cmd, "r");
  ck_assert_ptr_nonnull(fp);
  size_t n = fread(err, 1, sizeof err - 1, fp);
  err[n]   = '\0';
  int st   = pclose(fp);
  ck_assert_int_eq(WEXITSTATUS(st), 2);
  ck_assert_msg(strstr(err, reason) != NULL, "%s: %s", name, err);
  ck_assert_msg(strncmp(err, "racksim: tests/bad/", 19) == 0, "%s", err);
  ck_assert(access(out, F_OK) != 0);
}

/* Whether DIR/NAME (a message file: err, out.txt) holds text, within its first 8 KiB. */
static inline int rs_test_file_has(const char* dir, const char* name, const char* text)
{
  char path[192], buf[8192];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE* fp = fopen(path, "r");
  ck_assert_ptr_nonnull(fp);
  size_t n = fread(buf, 1, sizeof buf - 1, fp);
  fclose(fp);
  buf[n] = '\0';
  return strstr(buf, text) != NULL;
}

/* main of a suite: run it in Check's default fork mode, fail if any test failed. */
#define RS_CHECK_MAIN(suite_fn)                                                                                        \
  int main(void)                                                                                                       \
  {                                                                                                                    \
    SRunner* sr = srunner_create(suite_fn());                                                                          \
    srunner_run_all(sr, CK_NORMAL);                                                                                    \
    int failed = srunner_ntests_failed(sr);                                                                            \
    srunner_free(sr);                                                                                                  \
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;                                                                       \
  }

#endif
