/* cli.h -- what the command lines of the analysis/ tools share: options with a value, and the one
 * message (exit status 2) for bad usage. Header-only: each tool is its own program. See LICENSE. */
#ifndef RS_CLI_H
#define RS_CLI_H

#include <stdio.h>
#include <string.h>

#define RS_CLI_EXIT_USAGE 2

/* Prints "TOOL: " and fmt (with arg) and "Try 'TOOL --help'." to stderr; returns RS_CLI_EXIT_USAGE. */
static inline int rs_cli_usage_error(const char* tool, const char* fmt, const char* arg)
{
  fprintf(stderr, "%s: ", tool);
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\nTry '%s --help'.\n", tool);
  return RS_CLI_EXIT_USAGE;
}

/* If argv[*i] is "--name=X" or "--name X", sets *value (NULL when X is missing), advances *i past X
 * and returns 1; otherwise returns 0. */
static inline int rs_cli_option_value(int argc, char** argv, int* i, const char* name, const char** value)
{
  size_t len = strlen(name);
  if (strncmp(argv[*i], name, len) != 0)
    return 0;
  if (argv[*i][len] == '=') {
    *value = argv[*i] + len + 1;
    return 1;
  }
  if (argv[*i][len] != '\0')
    return 0;
  *value = *i + 1 < argc ? argv[++*i] : NULL;
  return 1;
}

#endif
