/* fuzz_file.h -- where a fuzz target writes each input before a reader that takes a path opens it:
 * /dev/shm when it exists, since on a disk /tmp the kernel's writeback of one file per execution took
 * most of the time (perf on fuzz_csv, 2026-12-03). See LICENSE. */
#ifndef RS_FUZZ_FILE_H
#define RS_FUZZ_FILE_H

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

/* Fills path (once per process) with a file name of this process ending in suffix. */
static inline void rs_fuzz_path(char* path, size_t size, const char* name, const char* suffix)
{
  if (path[0] != '\0')
    return;
  struct stat st;
  const char* dir = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp";
  snprintf(path, size, "%s/rs-fuzz-%s-%d%s", dir, name, (int)getpid(), suffix);
}

#endif
