/* error.h -- racksim's error reporting: one fixed buffer per failure, filled where it happens.
 * Fallible functions return RS_OK or RS_ERR and write the reason into a caller's rs_err_t;
 * only main prints it and chooses the exit code. See LICENSE. */
#ifndef RS_ERROR_H
#define RS_ERROR_H

#define RS_OK 0
#define RS_ERR (-1)

/* Exit codes of the racksim command. */
#define RS_EXIT_OK 0
#define RS_EXIT_SIM 1   /* the simulation itself failed */
#define RS_EXIT_INPUT 2 /* bad input or usage */

#define RS_ERR_LEN 1024

typedef struct rs_err {
  char msg[RS_ERR_LEN];
} rs_err_t;

/* Formats the reason into err (ignored when err is NULL); always returns RS_ERR. */
int rs_err_set(rs_err_t* err, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

/* Same, prefixed by "file:line: key: " (line <= 0 and key NULL are left out); returns RS_ERR. */
int rs_err_at(rs_err_t* err, const char* file, int line, const char* key, const char* fmt, ...)
    __attribute__((format(printf, 5, 6)));

#endif
