/* csvread.h -- reads a whole CSV file (RFC 4180, through libcsv) into memory as rows of text cells.
 * For traces given to racksim, golden comparisons and tests; it does not interpret the cells. See LICENSE. */
#ifndef RS_CSVREAD_H
#define RS_CSVREAD_H

#include "error.h"

#include <stddef.h>

typedef struct rs_csv_row {
  char** cells;
  size_t n_cells;
  int line; /* line of the file where the row starts, from 1 */
} rs_csv_row_t;

typedef struct rs_csv {
  rs_csv_row_t* rows; /* rows[0] is the header when the file has one */
  size_t n_rows;
} rs_csv_t;

/* Reads path; NULL and err ("path:line: ...") when it cannot be opened or is not valid CSV.
 * The result is the caller's, to free with rs_csv_free. */
rs_csv_t* rs_csv_read(const char* path, rs_err_t* err);
/* Index of the header cell equal to name, or -1. */
int rs_csv_column(const rs_csv_t* csv, const char* name);
/* Cell col of row, or "" when the row is shorter (or col is negative). */
const char* rs_csv_cell(const rs_csv_row_t* row, int col);
/* True when the whole of s is a finite number (no surrounding blanks); *v is its value. */
int rs_csv_number(const char* s, double* v);
void rs_csv_free(rs_csv_t* csv); /* accepts NULL */

#endif
