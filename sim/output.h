/* output.h -- racksim's CSV tables: every table of a run goes through this one writer.
 * A table is written under a temporary name (".NAME.csv.partial") and renamed to NAME.csv only by
 * rs_out_commit, so a failed or interrupted run never leaves a file that looks complete. Numbers are
 * printed with a fixed format so that equal runs give byte-identical files. See LICENSE. */
#ifndef RS_OUTPUT_H
#define RS_OUTPUT_H

#include "error.h"

#include <stdint.h>
#include <stdio.h>

typedef enum { RS_COL_TEXT, RS_COL_INT, RS_COL_NUM } rs_col_type_t;

/* One column: its name carries its unit (start_s, bytes, tflops). */
typedef struct rs_col {
  const char* name;
  rs_col_type_t type;
} rs_col_t;

typedef struct rs_out rs_out_t;
typedef struct rs_table rs_table_t;

/* Creates DIR (and its parents) and returns the output set; NULL and err on failure. */
rs_out_t* rs_out_open(const char* dir, rs_err_t* err);
/* Opens DIR/NAME.csv (under its temporary name) and writes the header; NULL and err on failure.
 * The table belongs to out. cols must outlive the table. */
rs_table_t* rs_out_table(rs_out_t* out, const char* name, const rs_col_t* cols, int n_cols, rs_err_t* err);
/* Renames every table to its final name; RS_ERR and err if a write or rename failed. */
int rs_out_commit(rs_out_t* out, rs_err_t* err);
/* Removes every temporary file and frees out; accepts NULL. Call after commit too. */
void rs_out_close(rs_out_t* out);
const char* rs_out_dir(const rs_out_t* out);

/* Cells of the current row, in column order; rs_row_end checks the count (a bug if wrong). */
void rs_cell_text(rs_table_t* t, const char* s);
void rs_cell_int(rs_table_t* t, long long v);
void rs_cell_num(rs_table_t* t, double v); /* NaN or infinity give an empty cell */
void rs_cell_empty(rs_table_t* t);
void rs_row_end(rs_table_t* t);
/* Rows written so far (not counting the header). */
uint64_t rs_table_rows(const rs_table_t* t);

/* Caps t at max_rows rows, so that a huge run cannot fill a disk by accident (no cap until called). */
void rs_table_cap(rs_table_t* t, uint64_t max_rows);
/* Call before the cells of a row: 1 when the row may be written, 0 when the cap is reached (the row is
 * then counted as dropped and its cells must not be written). */
int rs_row_begin(rs_table_t* t);
/* Rows refused by the cap so far. */
uint64_t rs_table_dropped(const rs_table_t* t);

/* Writes s as one CSV field to fp, quoted (libcsv's csv_fwrite) only when a reader could otherwise split or
 * trim it: an empty s gives "". For CSV files outside a run's output set. */
void rs_out_write_text(FILE* fp, const char* s);

/* Formats a number the way every table does ("%.12g"); buf needs 32 bytes. */
const char* rs_out_format_num(char* buf, double v);

#endif
