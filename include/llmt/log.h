/* Logging hook: the library never prints; it hands messages to the application. */
#ifndef LLMT_LOG_H
#define LLMT_LOG_H

#include "common.h"

LLMT_BEGIN_DECLS

typedef enum llmt_log_level {
    LLMT_LOG_ERROR = 0,
    LLMT_LOG_WARN = 1,
    LLMT_LOG_INFO = 2,  /* -v: discovery, what was loaded or refused and why */
    LLMT_LOG_DEBUG = 3  /* -vv: HTTP requests (secrets redacted) and bodies */
} llmt_log_level;

/* Called synchronously; `msg` is valid only during the call. Must be thread-safe
 * if the application uses the library from several threads. */
typedef void (*llmt_log_fn)(void *userdata, llmt_log_level level, const char *msg);

typedef struct llmt_logger {
    llmt_log_fn fn;        /* NULL: discard everything */
    void *userdata;
    llmt_log_level level;  /* messages above this level are not formatted at all */
} llmt_logger;

LLMT_END_DECLS

#endif
