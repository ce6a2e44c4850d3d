/* platform_int.h -- private to the platform module's files (platform.c, platform_meter.c). */
#ifndef RS_PLATFORM_INT_H
#define RS_PLATFORM_INT_H

#include "platform.h"

/* Stops counting bytes per link and frees the counts; accepts a platform that never started. */
void rs_platform__meter_free(rs_platform_t* p);

#endif
