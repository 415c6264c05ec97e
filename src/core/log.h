#ifndef LLMT_CORE_LOG_H
#define LLMT_CORE_LOG_H

#include "llmt/log.h"

void llmt_logf(const llmt_logger *lg, llmt_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
