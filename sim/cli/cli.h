/* cli.h -- racksim's command layer, its whole public face: the run, validate, platform, models and
 * sweep commands.
 * The top layer: it alone prints errors and chooses exit codes. See LICENSE. */
#ifndef RS_CLI_H
#define RS_CLI_H

#include "wl/wl.h"

/* Runs the command argv[0] ("run", "validate", "platform", "models" or "sweep") with its options argv[1..argc-1];
 * returns the exit code. */
int rs_cli_command(int argc, char** argv);
/* Prints "racksim: [command: ]<fmt with arg>" and a hint to --help on stderr; returns RS_EXIT_INPUT. */
int rs_cli_usage_error(const char* command, const char* fmt, const char* arg);

#endif
