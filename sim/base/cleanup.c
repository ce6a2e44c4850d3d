/* cleanup.c -- the one place that removes racksim's unfinished files when a signal ends the process:
 * output tables under their temporary names, the output lock, a generated platform in $TMPDIR, a
 * trace SimGrid is writing. Users register paths; a handler removes them and raises the signal again,
 * so the process still ends as the signal says (exit status, core). See LICENSE. */
#include "base/base.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <unistd.h>

/* Tables (32 at most), the lock and the manifest of an output set, a generated platform, a trace and the
 * output directory itself, with room to spare. */
#define RS_CLEANUP_SLOTS 64

/* A handler may only read these and unlink: the pointers are written whole by the main flow, which is
 * the only writer, and NULL means a free slot. */
static const char* volatile slots[RS_CLEANUP_SLOTS];
static volatile sig_atomic_t installed;

/* Whether another handler already owns sig: a sanitizer's or SimGrid's report of a crash is worth more
 * than our cleanup, and a signal ignored on purpose (nohup) must stay ignored. */
static int taken(int sig, int only_if_default)
{
  struct sigaction old;
  if (sigaction(sig, NULL, &old) != 0 || old.sa_handler == SIG_IGN)
    return 1;
  return only_if_default && ((old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL);
}

static void on_signal(int sig)
{
  rs_cleanup_now();
  signal(sig, SIG_DFL);
  raise(sig); /* delivered when the handler returns, with the default action */
}

static void watch(int sig, int only_if_default)
{
  if (taken(sig, only_if_default))
    return;
  struct sigaction sa = {.sa_handler = on_signal};
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, NULL);
}

static void install(void)
{
  installed = 1;
  watch(SIGINT, 0);
  watch(SIGTERM, 0);
  watch(SIGHUP, 0);
  watch(SIGABRT, 1); /* SimGrid and xbt_assert abort on internal errors */
  watch(SIGSEGV, 1);
  watch(SIGBUS, 1);
  watch(SIGFPE, 1);
}

int rs_cleanup_add(const char* path)
{
  if (!installed)
    install();
  for (int i = 0; i < RS_CLEANUP_SLOTS; i++)
    if (slots[i] == NULL) {
      slots[i] = path;
      return i;
    }
  return -1;
}

void rs_cleanup_drop(int slot)
{
  if (slot >= 0 && slot < RS_CLEANUP_SLOTS)
    slots[slot] = NULL;
}

void rs_cleanup_now(void)
{
  int saved = errno;
  for (int i = 0; i < RS_CLEANUP_SLOTS; i++) /* files first, so that a directory they were in is empty */
    if (slots[i] != NULL)
      unlink(slots[i]);
  for (int i = 0; i < RS_CLEANUP_SLOTS; i++) /* rmdir removes only an empty directory, and no file */
    if (slots[i] != NULL)
      rmdir(slots[i]);
  errno = saved;
}
