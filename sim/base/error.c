/* error.c -- formatting of racksim's error messages ("file:line: key: what was expected").
 * Does not print: main alone prints and exits. See LICENSE. */
#include "base/base.h"

#include <stdarg.h>
#include <stdio.h>

static void err_vformat(rs_err_t* err, size_t used, const char* fmt, va_list ap)
{
  if (used < sizeof err->msg)
    vsnprintf(err->msg + used, sizeof err->msg - used, fmt, ap);
}

int rs_err_set(rs_err_t* err, const char* fmt, ...)
{
  if (err == NULL)
    return RS_ERR;
  va_list ap;
  va_start(ap, fmt);
  err_vformat(err, 0, fmt, ap);
  va_end(ap);
  return RS_ERR;
}

int rs_err_at(rs_err_t* err, const char* file, int line, const char* key, const char* fmt, ...)
{
  if (err == NULL)
    return RS_ERR;
  int used = 0;
  if (line > 0)
    used = snprintf(err->msg, sizeof err->msg, "%s:%d: ", file, line);
  else
    used = snprintf(err->msg, sizeof err->msg, "%s: ", file);
  if (key != NULL && used >= 0 && (size_t)used < sizeof err->msg)
    used += snprintf(err->msg + used, sizeof err->msg - used, "%s: ", key);
  va_list ap;
  va_start(ap, fmt);
  err_vformat(err, used < 0 ? 0 : (size_t)used, fmt, ap);
  va_end(ap);
  return RS_ERR;
}
