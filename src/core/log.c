#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>

void llmt_logf(const llmt_logger *lg, llmt_log_level level, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    if (!lg || !lg->fn || level > lg->level)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    lg->fn(lg->userdata, level, msg);
}
