/* csvread.c -- CSV files into memory through libcsv's strict parser, keeping line numbers for messages.
 * See LICENSE. */
#include "base/base.h"

#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <xbt/sysdep.h>

typedef struct reader {
  rs_csv_t* csv;
  size_t rows_cap;
  size_t cells_cap;
  int line;           /* current line of the input, counted as bytes go by */
  int row_start_line; /* line where the row being built started */
  int in_row;
  int row_open; /* a line with content was fed since the last row ended */
} reader_t;

static rs_csv_row_t* current_row(reader_t* r)
{
  if (!r->in_row) {
    if (r->csv->n_rows == r->rows_cap) {
      r->rows_cap  = r->rows_cap ? 2 * r->rows_cap : 64;
      r->csv->rows = xbt_realloc(r->csv->rows, r->rows_cap * sizeof *r->csv->rows);
    }
    rs_csv_row_t* row = &r->csv->rows[r->csv->n_rows++];
    memset(row, 0, sizeof *row);
    row->line    = r->row_start_line;
    r->cells_cap = 0;
    r->in_row    = 1;
  }
  return &r->csv->rows[r->csv->n_rows - 1];
}

static void on_field(void* data, size_t len, void* userdata)
{
  reader_t* r       = userdata;
  rs_csv_row_t* row = current_row(r);
  if (row->n_cells == r->cells_cap) {
    r->cells_cap = r->cells_cap ? 2 * r->cells_cap : 8;
    row->cells   = xbt_realloc(row->cells, r->cells_cap * sizeof *row->cells);
  }
  char* cell = xbt_malloc(len + 1);
  if (len)
    memcpy(cell, data, len);
  cell[len]                  = '\0';
  row->cells[row->n_cells++] = cell;
}

static void on_row_end(int c, void* userdata)
{
  reader_t* r = userdata;
  current_row(r); /* an empty line still makes a row only if it had fields: libcsv skips blank lines */
  r->in_row   = 0;
  r->row_open = 0;
}

static int count_newlines(const char* buf, size_t n)
{
  int lines = 0;
  for (size_t i = 0; i < n; i++)
    lines += buf[i] == '\n';
  return lines;
}

/* True when a line holds something besides line ends: only then can it start a row (libcsv skips blank lines). */
static int has_content(const char* buf, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (buf[i] != '\n' && buf[i] != '\r')
      return 1;
  return 0;
}

/* Parses one line of the file; RS_ERR and err on a NUL byte or a parse error. */
static int parse_line(struct csv_parser* parser, reader_t* r, const char* buf, size_t n, const char* path,
                      rs_err_t* err)
{
  if (memchr(buf, '\0', n) != NULL)
    return rs_err_set(err, "%s:%d: not valid CSV (NUL byte)", path, r->line);
  /* A row starts at the first line with content after the previous row: its first field may be a
   * quoted one that spans lines, in which case no field callback has run yet. */
  if (!r->in_row && !r->row_open && has_content(buf, n)) {
    r->row_start_line = r->line;
    r->row_open       = 1;
  }
  if (csv_parse(parser, buf, n, on_field, on_row_end, r) != n)
    return rs_err_set(err, "%s:%d: not valid CSV (%s)", path, r->line, csv_strerror(csv_error(parser)));
  r->line += count_newlines(buf, n);
  return RS_OK;
}

rs_csv_t* rs_csv_read(const char* path, rs_err_t* err)
{
  FILE* fp = fopen(path, "rb");
  if (fp == NULL) {
    rs_err_set(err, "%s: cannot open: %s", path, strerror(errno));
    return NULL;
  }
  struct csv_parser parser;
  csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL);
  reader_t r = {.csv = xbt_new0(rs_csv_t, 1), .line = 1, .row_start_line = 1};
  char* buf  = NULL;
  size_t cap = 0;
  ssize_t n;
  int ok = 1;
  /* Feed line by line so that a parse error and each row start can be given a line number;
   * getline gives the true length, so that a NUL byte is seen instead of cutting the line. */
  while (ok && (n = getline(&buf, &cap, fp)) > 0)
    ok = parse_line(&parser, &r, buf, (size_t)n, path, err) == RS_OK;
  if (ok && ferror(fp)) {
    rs_err_set(err, "%s: cannot read: %s", path, strerror(errno));
    ok = 0;
  }
  /* In strict mode csv_fini fails only on a quoted field left open: point at the row it is in. */
  if (ok && csv_fini(&parser, on_field, on_row_end, &r) != 0) {
    rs_err_set(err, "%s:%d: not valid CSV (quoted field not closed)", path, r.row_start_line);
    ok = 0;
  }
  free(buf);
  csv_free(&parser);
  fclose(fp);
  if (!ok) {
    rs_csv_free(r.csv);
    return NULL;
  }
  return r.csv;
}

int rs_csv_column(const rs_csv_t* csv, const char* name)
{
  if (csv->n_rows == 0)
    return -1;
  for (size_t i = 0; i < csv->rows[0].n_cells; i++)
    if (strcmp(csv->rows[0].cells[i], name) == 0)
      return (int)i;
  return -1;
}

const char* rs_csv_cell(const rs_csv_row_t* row, int col)
{
  return col >= 0 && (size_t)col < row->n_cells ? row->cells[col] : "";
}

int rs_csv_number(const char* s, double* v)
{
  if (s[0] == '\0' || s[0] == ' ' || s[0] == '\t' || s[0] == '\n' || s[0] == '\r')
    return 0;
  char* end = NULL;
  *v        = strtod(s, &end);
  return *end == '\0' && isfinite(*v);
}

void rs_csv_free(rs_csv_t* csv)
{
  if (csv == NULL)
    return;
  for (size_t i = 0; i < csv->n_rows; i++) {
    for (size_t j = 0; j < csv->rows[i].n_cells; j++)
      free(csv->rows[i].cells[j]);
    free(csv->rows[i].cells);
  }
  free(csv->rows);
  free(csv);
}
