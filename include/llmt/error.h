/*
 * One error model for the whole library.
 *
 * Every public function returns an llmt_status and, when it fails, fills an
 * llmt_error (when the caller passed one). The status doubles as the error
 * class of a failed provider call: a provider call that hit a rate limit returns
 * LLMT_E_RATE_LIMIT and its llmt_error says which provider, which HTTP status,
 * what the provider said and when to retry. The library never prints.
 *
 * The enum is append-only: values keep their number forever (like CURLcode),
 * and llmt_status_name()/llmt_strerror() know every value.
 *
 * This header is self-sufficient so that plugins can compile against it alone.
 */
#ifndef LLMT_ERROR_H
#define LLMT_ERROR_H

#include "common.h"

LLMT_BEGIN_DECLS

typedef enum llmt_status {
    LLMT_OK = 0,
    /* classes of a failed provider call */
    LLMT_E_AUTH = 1,           /* missing/invalid API key */
    LLMT_E_PERMISSION = 2,     /* key valid but not allowed (403) */
    LLMT_E_NOT_FOUND = 3,      /* unknown model or endpoint */
    LLMT_E_BAD_REQUEST = 4,    /* the provider rejected the request */
    LLMT_E_CONTEXT_LENGTH = 5, /* input too long for the model */
    LLMT_E_CONTENT_FILTER = 6, /* refused by a safety filter */
    LLMT_E_RATE_LIMIT = 7,     /* transient 429; retry after retry_after_s */
    LLMT_E_QUOTA = 8,          /* credit exhausted / daily cap: never retried */
    LLMT_E_TIMEOUT = 9,
    LLMT_E_NETWORK = 10,       /* DNS, connect, reset, TLS */
    LLMT_E_SERVER = 11,        /* 5xx */
    LLMT_E_OVERLOADED = 12,    /* 503/529 overloaded */
    LLMT_E_BAD_RESPONSE = 13,  /* unparseable, truncated or empty reply */
    LLMT_E_UNSUPPORTED = 14,   /* e.g. files sent to a provider without file support */
    LLMT_E_CONFIG = 15,        /* invalid configuration (file, JSON path, expectation) */
    LLMT_E_BUDGET = 16,        /* not started: would exceed the run's budget */
    LLMT_E_CANCELLED = 17,     /* interrupted (Ctrl-C) */
    LLMT_E_INTERNAL = 18,      /* a bug in llm-tester */
    /* general library statuses */
    LLMT_E_INVALID_ARG = 19,   /* caller passed something unusable */
    LLMT_E_NOMEM = 20,
    LLMT_E_IO = 21,            /* file could not be read or written */
    LLMT_E_PARSE = 22,         /* malformed JSON or other input */
    LLMT_E_PLUGIN = 23,        /* a plugin was refused (ABI, ops, config) */
    LLMT_E_NOT_RECORDED = 24,  /* --replay: the request is not in the cassette */
    LLMT_STATUS_COUNT_         /* not a status; keep last */
} llmt_status;

/* Detail of the last failure. Plain data: copy it, keep it, no free needed. */
typedef struct llmt_error {
    llmt_status status;
    bool retryable;            /* default from the class; providers may refine */
    int http_status;           /* 0 when no HTTP exchange happened */
    double retry_after_s;      /* < 0 when the provider gave no hint */
    char provider[64];         /* "" when not provider related */
    char code[64];             /* the provider's own error code/type, if any */
    char request_id[128];      /* the provider's request id header, if any */
    char message[1024];        /* human readable; never contains secrets */
} llmt_error;

/* Short stable name of a status, as written in results files: "rate_limit", "quota", ...
 * Returns a static string; "unknown" for values outside the enum. */
LLMT_API const char *llmt_status_name(llmt_status st);

/* Parses a name produced by llmt_status_name(). Returns false when unknown. */
LLMT_API bool llmt_status_from_name(const char *name, llmt_status *out);

/* One-line description of a status (static string). */
LLMT_API const char *llmt_strerror(llmt_status st);

/* Whether a failure of this class is worth retrying by default
 * (rate_limit, timeout, network, server, overloaded). */
LLMT_API bool llmt_status_retryable(llmt_status st);

/* Resets an error detail to "no error". NULL is ignored. */
LLMT_API void llmt_error_clear(llmt_error *err);

/* Fills err (when not NULL) with status, default retryable flag and a printf-style
 * message, and returns st, so that `return llmt_error_set(err, ...);` reads well. */
LLMT_API llmt_status llmt_error_set(llmt_error *err, llmt_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

LLMT_END_DECLS

#endif
