/* rs-compare.c -- golden-trace comparison: are two CSV files, or two directories of CSV files, the same
 * up to a numeric tolerance? Prints the first difference of each file and exits 0 (same), 1 (different)
 * or 2 (bad usage or unreadable input). Used by the regression tests against tests/golden. See LICENSE. */
#include "cli.h"
#include "base/base.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xbt/misc.h>
#include <xbt/sysdep.h>

#define EXIT_SAME 0
#define EXIT_DIFFERENT 1
#define EXIT_USAGE RS_CLI_EXIT_USAGE
#define CONTINUE (-1) /* parse_args: go on and compare */

static const char usage_text[] =
    "Usage: rs-compare [--rtol X] [--atol Y] [--quiet] A B\n"
    "Compares two CSV files, or every *.csv file of two directories (a file on one side only is a\n"
    "difference). Headers, row counts and text cells must be identical; two numeric cells a and b\n"
    "are equal when |a-b| <= atol + rtol*max(|a|,|b|). A holds the expected values, B the new ones.\n"
    "\n"
    "  --rtol X   relative tolerance, X >= 0 (default 0)\n"
    "  --atol Y   absolute tolerance, Y >= 0 (default 0)\n"
    "  --quiet    no summary line at the end\n"
    "  --help     this text\n"
    "\n"
    "Prints the first difference of each file. Exit status: 0 all equal, 1 some difference,\n"
    "2 bad usage or unreadable or invalid input.\n";

typedef struct opts {
  double rtol;
  double atol;
  int quiet;
  char* path_a; /* expected */
  char* path_b; /* got */
} opts_t;

typedef struct tally {
  int files;
  int differ;
} tally_t;

typedef struct names {
  char** v;
  size_t n;
  size_t cap;
} names_t;

/* ---- command line ---- */

static int usage_error(const char* fmt, const char* arg)
{
  return rs_cli_usage_error("rs-compare", fmt, arg);
}

static int parse_tolerance(const char* opt, const char* text, double* out)
{
  char* end = NULL;
  errno     = 0;
  double v  = strtod(text, &end);
  if (text[0] == '\0' || *end != '\0' || errno == ERANGE || !isfinite(v) || v < 0) {
    fprintf(stderr, "rs-compare: %s: '%s' is not a number >= 0\nTry 'rs-compare --help'.\n", opt, text);
    return RS_ERR;
  }
  *out = v;
  return RS_OK;
}

static int add_path(opts_t* o, char* path, int* n_paths)
{
  if (*n_paths == 2)
    return usage_error("too many arguments ('%s'): give two paths, A and B", path);
  *(*n_paths == 0 ? &o->path_a : &o->path_b) = path;
  ++*n_paths;
  return CONTINUE;
}

/* One argument at argv[*i]: an option (with its value) or a path. Returns CONTINUE or an exit code. */
static int parse_one(int argc, char** argv, int* i, opts_t* o, int* n_paths)
{
  const char* arg   = argv[*i];
  const char* value = NULL;
  if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
    fputs(usage_text, stdout);
    return EXIT_SAME;
  }
  if (strcmp(arg, "--quiet") == 0 || strcmp(arg, "-q") == 0) {
    o->quiet = 1;
    return CONTINUE;
  }
  int is_rtol = rs_cli_option_value(argc, argv, i, "--rtol", &value);
  if (is_rtol || rs_cli_option_value(argc, argv, i, "--atol", &value)) {
    const char* opt = is_rtol ? "--rtol" : "--atol";
    if (value == NULL)
      return usage_error("%s needs a value", opt);
    return parse_tolerance(opt, value, is_rtol ? &o->rtol : &o->atol) == RS_OK ? CONTINUE : EXIT_USAGE;
  }
  if (arg[0] == '-' && arg[1] != '\0')
    return usage_error("unknown option '%s'", arg);
  return add_path(o, argv[*i], n_paths);
}

static int parse_args(int argc, char** argv, opts_t* o)
{
  int n_paths    = 0;
  int only_paths = 0; /* after "--" */
  for (int i = 1; i < argc; i++) {
    int rc = CONTINUE;
    if (!only_paths && strcmp(argv[i], "--") == 0)
      only_paths = 1;
    else
      rc = only_paths ? add_path(o, argv[i], &n_paths) : parse_one(argc, argv, &i, o, &n_paths);
    if (rc != CONTINUE)
      return rc;
  }
  if (n_paths < 2)
    return usage_error("%s", "give two paths, A (expected) and B (got)");
  return CONTINUE;
}

/* ---- cells ---- */

/* Prints s on one line: backslash and control characters escaped C-style. */
static void print_escaped(const char* s)
{
  for (const unsigned char* p = (const unsigned char*)s; *p; p++) {
    if (*p == '\\')
      fputs("\\\\", stdout);
    else if (*p == '\n')
      fputs("\\n", stdout);
    else if (*p == '\r')
      fputs("\\r", stdout);
    else if (*p == '\t')
      fputs("\\t", stdout);
    else if (*p < 0x20 || *p == 0x7f)
      printf("\\x%02x", *p);
    else
      putchar(*p);
  }
}

static void print_quoted(const char* s)
{
  putchar('\'');
  print_escaped(s);
  putchar('\'');
}

/* "(relative difference 1.3e-02 > rtol 1e-06)" or the like, for two numbers found unequal. */
static void print_excess(const opts_t* o, double a, double b)
{
  double diff = fabs(a - b);
  double mag  = fmax(fabs(a), fabs(b));
  if (o->atol == 0)
    printf("(relative difference %.1e > rtol %g)", diff / mag, o->rtol);
  else if (o->rtol == 0)
    printf("(absolute difference %.1e > atol %g)", diff, o->atol);
  else
    printf("(absolute difference %.1e > atol %g + rtol %g * %g)", diff, o->atol, o->rtol, mag);
}

static int numbers_equal(const opts_t* o, double x, double y)
{
  return fabs(x - y) <= o->atol + o->rtol * fmax(fabs(x), fabs(y));
}

static int cells_equal(const opts_t* o, const char* a, const char* b)
{
  double x;
  double y;
  if (rs_csv_number(a, &x) && rs_csv_number(b, &y))
    return numbers_equal(o, x, y);
  return strcmp(a, b) == 0;
}

/* "expected 123.4, got 125.0 (relative ...)" for numbers, "expected 'x', got 'y'" for text. */
static void print_cell_difference(const opts_t* o, const char* a, const char* b)
{
  double x;
  double y;
  if (rs_csv_number(a, &x) && rs_csv_number(b, &y)) {
    printf("expected %s, got %s ", a, b);
    print_excess(o, x, y);
    return;
  }
  fputs("expected ", stdout);
  print_quoted(a);
  fputs(", got ", stdout);
  print_quoted(b);
}

/* ---- tables ---- */

static void print_where(const char* path, int line)
{
  if (line > 0)
    printf("%s:%d: ", path, line);
  else
    printf("%s: ", path);
}

static const rs_csv_row_t empty_row = {NULL, 0, 0};

static const rs_csv_row_t* header_of(const rs_csv_t* csv)
{
  return csv->n_rows > 0 ? &csv->rows[0] : &empty_row;
}

/* Returns 1 when the headers are identical; otherwise prints the difference and returns 0. */
static int headers_equal(const rs_csv_t* a, const rs_csv_t* b, const char* path_b)
{
  const rs_csv_row_t* ha = header_of(a);
  const rs_csv_row_t* hb = header_of(b);
  for (size_t j = 0; j < ha->n_cells && j < hb->n_cells; j++) {
    if (strcmp(ha->cells[j], hb->cells[j]) == 0)
      continue;
    print_where(path_b, hb->line);
    printf("header, column %zu: expected ", j + 1);
    print_quoted(ha->cells[j]);
    fputs(", got ", stdout);
    print_quoted(hb->cells[j]);
    putchar('\n');
    return 0;
  }
  if (ha->n_cells == hb->n_cells)
    return 1;
  print_where(path_b, hb->line);
  printf("header: expected %zu columns, got %zu\n", ha->n_cells, hb->n_cells);
  return 0;
}

/* Returns 1 when both files have as many data rows; otherwise prints the difference and returns 0. */
static int row_counts_equal(const rs_csv_t* a, const rs_csv_t* b, const char* path_b)
{
  if (a->n_rows == b->n_rows)
    return 1;
  size_t rows_a = a->n_rows > 0 ? a->n_rows - 1 : 0;
  size_t rows_b = b->n_rows > 0 ? b->n_rows - 1 : 0;
  int extra     = b->n_rows > a->n_rows;
  print_where(path_b, extra ? b->rows[a->n_rows].line : 0);
  printf("expected %zu data rows, got %zu%s\n", rows_a, rows_b, extra ? " (first extra row here)" : "");
  return 0;
}

/* Returns 1 when data row i is the same in both files; otherwise prints the difference and returns 0.
 * Called once the headers are known identical. */
static int rows_equal(const opts_t* o, const rs_csv_t* a, const rs_csv_t* b, size_t i, const char* path_b)
{
  const rs_csv_row_t* ra     = &a->rows[i];
  const rs_csv_row_t* rb     = &b->rows[i];
  const rs_csv_row_t* header = &b->rows[0];
  for (size_t j = 0; j < ra->n_cells && j < rb->n_cells; j++) {
    if (cells_equal(o, ra->cells[j], rb->cells[j]))
      continue;
    print_where(path_b, rb->line);
    if (j < header->n_cells) {
      fputs("column '", stdout);
      print_escaped(header->cells[j]);
      printf("' (row %zu): ", i);
    } else {
      printf("field %zu, past the header (row %zu): ", j + 1, i);
    }
    print_cell_difference(o, ra->cells[j], rb->cells[j]);
    putchar('\n');
    return 0;
  }
  if (ra->n_cells == rb->n_cells)
    return 1;
  print_where(path_b, rb->line);
  printf("row %zu: expected %zu fields, got %zu\n", i, ra->n_cells, rb->n_cells);
  return 0;
}

/* Returns 1 when the tables are the same; otherwise prints their first difference and returns 0. */
static int tables_equal(const opts_t* o, const rs_csv_t* a, const rs_csv_t* b, const char* path_b)
{
  if (!headers_equal(a, b, path_b) || !row_counts_equal(a, b, path_b))
    return 0;
  for (size_t i = 1; i < a->n_rows; i++)
    if (!rows_equal(o, a, b, i, path_b))
      return 0;
  return 1;
}

/* Compares two CSV files and counts them in t; RS_ERR and err when either cannot be read. */
static int compare_files(const opts_t* o, const char* path_a, const char* path_b, tally_t* t, rs_err_t* err)
{
  rs_csv_t* a = rs_csv_read(path_a, err);
  if (a == NULL)
    return RS_ERR;
  rs_csv_t* b = rs_csv_read(path_b, err);
  if (b == NULL) {
    rs_csv_free(a);
    return RS_ERR;
  }
  t->files++;
  t->differ += !tables_equal(o, a, b, path_b);
  rs_csv_free(a);
  rs_csv_free(b);
  return RS_OK;
}

/* ---- directories ---- */

/* Names ending in ".csv", without hidden ones (as the shell's *.csv). */
static int is_csv_name(const char* name)
{
  size_t n = strlen(name);
  return name[0] != '.' && n > 4 && strcmp(name + n - 4, ".csv") == 0;
}

static int compare_names(const void* x, const void* y)
{
  return strcmp(*(char* const*)x, *(char* const*)y);
}

static void names_add(names_t* l, const char* name)
{
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 16;
    l->v   = xbt_realloc(l->v, l->cap * sizeof *l->v);
  }
  l->v[l->n++] = xbt_strdup(name);
}

static void names_free(names_t* l)
{
  for (size_t i = 0; i < l->n; i++)
    free(l->v[i]);
  free(l->v);
}

/* The *.csv names of dir, sorted bytewise; RS_ERR and err when dir cannot be listed. */
static int list_csv(const char* dir, names_t* l, rs_err_t* err)
{
  DIR* d = opendir(dir);
  if (d == NULL)
    return rs_err_set(err, "%s: cannot list: %s", dir, strerror(errno));
  errno = 0;
  for (struct dirent* e = readdir(d); e != NULL; e = readdir(d))
    if (is_csv_name(e->d_name))
      names_add(l, e->d_name);
  int failed = errno != 0;
  closedir(d);
  if (failed)
    return rs_err_set(err, "%s: cannot list: %s", dir, strerror(errno));
  if (l->n > 0)
    qsort(l->v, l->n, sizeof *l->v, compare_names);
  return RS_OK;
}

/* A file on one side only: one line, counted as a difference. */
static void report_lonely(const opts_t* o, const char* name, int in_a, tally_t* t)
{
  if (in_a)
    printf("%s/%s: missing (%s/%s has no counterpart)\n", o->path_b, name, o->path_a, name);
  else
    printf("%s/%s: unexpected file (not in %s)\n", o->path_b, name, o->path_a);
  t->files++;
  t->differ++;
}

static int compare_named(const opts_t* o, const char* name, tally_t* t, rs_err_t* err)
{
  char* path_a = bprintf("%s/%s", o->path_a, name);
  char* path_b = bprintf("%s/%s", o->path_b, name);
  int rc       = compare_files(o, path_a, path_b, t, err);
  free(path_a);
  free(path_b);
  return rc;
}

/* Walks both sorted name lists together, as a merge. */
static int compare_lists(const opts_t* o, const names_t* la, const names_t* lb, tally_t* t, rs_err_t* err)
{
  size_t i = 0;
  size_t j = 0;
  while (i < la->n || j < lb->n) {
    int c = i == la->n ? 1 : j == lb->n ? -1 : strcmp(la->v[i], lb->v[j]);
    if (c < 0)
      report_lonely(o, la->v[i++], 1, t);
    else if (c > 0)
      report_lonely(o, lb->v[j++], 0, t);
    else if (compare_named(o, la->v[i++], t, err) != RS_OK)
      return RS_ERR;
    else
      j++;
  }
  return RS_OK;
}

static int compare_dirs(const opts_t* o, tally_t* t, rs_err_t* err)
{
  names_t la = {0};
  names_t lb = {0};
  int rc     = list_csv(o->path_a, &la, err);
  if (rc == RS_OK)
    rc = list_csv(o->path_b, &lb, err);
  if (rc == RS_OK)
    rc = compare_lists(o, &la, &lb, t, err);
  names_free(&la);
  names_free(&lb);
  return rc;
}

/* ---- main ---- */

/* Drops trailing slashes (but keeps "/"), so that joined paths read "B/x.csv". */
static void trim_slashes(char* path)
{
  size_t n = strlen(path);
  while (n > 1 && path[n - 1] == '/')
    path[--n] = '\0';
}

/* Compares A and B, files or directories; RS_ERR and err on unusable input. */
static int compare_paths(const opts_t* o, tally_t* t, rs_err_t* err)
{
  struct stat sa;
  struct stat sb;
  if (stat(o->path_a, &sa) != 0)
    return rs_err_set(err, "%s: cannot access: %s", o->path_a, strerror(errno));
  if (stat(o->path_b, &sb) != 0)
    return rs_err_set(err, "%s: cannot access: %s", o->path_b, strerror(errno));
  int dir_a = S_ISDIR(sa.st_mode);
  if (dir_a != S_ISDIR(sb.st_mode))
    return rs_err_set(err, "'%s' and '%s' must be both files or both directories", o->path_a, o->path_b);
  return dir_a ? compare_dirs(o, t, err) : compare_files(o, o->path_a, o->path_b, t, err);
}

int main(int argc, char** argv)
{
  opts_t o = {0};
  int rc   = parse_args(argc, argv, &o);
  if (rc != CONTINUE)
    return rc;
  trim_slashes(o.path_a);
  trim_slashes(o.path_b);
  tally_t t = {0};
  rs_err_t err;
  if (compare_paths(&o, &t, &err) != RS_OK) {
    fflush(stdout);
    fprintf(stderr, "rs-compare: %s\n", err.msg);
    return EXIT_USAGE;
  }
  if (!o.quiet)
    printf("rs-compare: %d files compared, %d differ\n", t.files, t.differ);
  return t.differ > 0 ? EXIT_DIFFERENT : EXIT_SAME;
}
