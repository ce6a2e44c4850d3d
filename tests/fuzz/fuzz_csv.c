/* fuzz_csv.c -- libFuzzer target of racksim's CSV reader (traces, length and rate tables) and of its
 * number reader, which every numeric cell goes through. See LICENSE. */
#include "base/base.h"
#include "fuzz_file.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  static char path[64];
  rs_fuzz_path(path, sizeof path, "csv", ".csv");
  FILE* fp = fopen(path, "wb");
  if (fp == NULL)
    abort();
  fwrite(data, 1, size, fp);
  fclose(fp);
  rs_err_t err;
  rs_csv_t* csv = rs_csv_read(path, &err);
  if (csv == NULL && err.msg[0] == '\0')
    abort();
  for (size_t r = 0; csv && r < csv->n_rows; r++)
    for (size_t c = 0; c <= csv->rows[r].n_cells; c++) { /* one past the end: "" */
      double v;
      if (rs_csv_number(rs_csv_cell(&csv->rows[r], (int)c), &v) && v != v)
        abort(); /* a NaN must not pass as a number */
    }
  if (csv && csv->n_rows > 0)
    (void)rs_csv_column(csv, "arrival_s");
  rs_csv_free(csv);
  return 0;
}
