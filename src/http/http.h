/* Performs one provider HTTP request with libcurl (blocking). The concurrent engine
 * uses the same request/response types over the curl multi interface. */
#ifndef LLMT_HTTP_H
#define LLMT_HTTP_H

#include "core/util.h"
#include "llmt/log.h"
#include "llmt/provider.h"

/* The largest reply body read by default (after decompression): four 100 MB replies at
 * once took 400 MB; a structured answer is far smaller. */
#define LLMT_DEFAULT_MAX_REPLY_BYTES ((size_t)8 * 1024 * 1024)

typedef struct llmt_http_options {
    long timeout_ms;          /* total */
    long connect_timeout_ms;
    const char *secret;       /* redacted wherever it would appear in logs */
    const llmt_logger *logger;
    size_t max_reply_bytes;   /* a longer body fails the transfer (bad_response);
                                 0 = LLMT_DEFAULT_MAX_REPLY_BYTES */
} llmt_http_options;

/* Owns what came back. The header lines of the final response are collected as they
 * arrive in `head` (one buffer: no allocation per header) and split into `headers`
 * by llmt_http_result_view. */
typedef struct llmt_http_result {
    long status;
    llmt_buf body;
    llmt_buf head;             /* raw "Name: value\r\n" lines, then split in place */
    llmt_http_header *headers; /* names lower-cased; point into head */
    size_t n_headers;
    bool split;                /* head has been split into headers */
    size_t max_body;           /* from llmt_http_options.max_reply_bytes */
    bool too_large;            /* the body went past max_body: the transfer was stopped */
    bool sent;                 /* the request went out (curl's pre-request callback) */
    bool resend_refused;       /* curl wanted to send it again: refused */
} llmt_http_result;

/* Transport failures become LLMT_E_TIMEOUT or LLMT_E_NETWORK; any HTTP status is
 * success here (the provider classifies non-2xx). */
llmt_status llmt_http_perform(const llmt_http_request *req, const llmt_http_options *opts,
                              llmt_http_result *out, llmt_error *err);
void llmt_http_result_free(llmt_http_result *r);
/* Borrowed view for providers (splits the header lines on first use). */
llmt_http_response llmt_http_result_view(llmt_http_result *r);

/* Logs a request at debug level with secrets redacted. */
void llmt_http_log_request(const llmt_logger *lg, const llmt_http_request *req, const char *secret);

/* Header callback helper: keeps one "Name: value\r\n" line for the result's header
 * list (a status line starts a new response: earlier lines are dropped). */
void llmt_http_result_add_header_line(llmt_http_result *r, const char *line, size_t n);

/* ---- for the concurrent engine (curl multi) ---- */

/* The curl header list of one set of request headers, kept to be reused by the
 * following requests that carry exactly the same headers (a provider sends the same
 * ones every time): building it costs a formatted line and two allocations per header
 * per request otherwise. Zero-initialise; free with llmt_http_header_cache_free. */
typedef struct llmt_http_header_cache {
    void *list;                /* struct curl_slist * */
    llmt_http_header *headers; /* copies of what it was built from */
    size_t n_headers;
    bool tried;                /* built once; never replaced (transfers may use it) */
} llmt_http_header_cache;
void llmt_http_header_cache_free(llmt_http_header_cache *c);

/* Configures an easy handle to perform `req` into `out` (zeroed first): a fresh handle,
 * or one that last ran a transfer set up by this function (every option it sets is set
 * again, so nothing of the previous request carries over; the engine's pool reuses
 * handles this way without curl_easy_reset, which freed and re-made every option string
 * for each request).
 * *hdrs receives a header list the caller must free with curl_slist_free_all after the
 * transfer, or NULL when the list came from `cache` (optional; it must outlive the
 * transfer). `errbuf` (CURL_ERROR_SIZE bytes) must live as long as the transfer. The
 * handle is typed void* so this header does not need curl.h. */
llmt_status llmt_http_setup_easy(void *easy, const llmt_http_request *req,
                                 const llmt_http_options *opts, llmt_http_result *out,
                                 llmt_http_header_cache *cache, void **hdrs, char *errbuf,
                                 llmt_error *err);
/* Turns a failed transfer (CURLcode `rc`) into a status with the secret redacted from
 * the message: LLMT_E_TIMEOUT, LLMT_E_NETWORK, or for a body cut short of its announced
 * length (after `received` bytes) a retryable LLMT_E_BAD_RESPONSE. `res` (may be NULL)
 * is the transfer's result: a request curl was refused to send twice (res->resend_refused)
 * is a retryable LLMT_E_NETWORK that says the request may have reached the server. */
llmt_status llmt_http_transport_error(int rc, const char *errbuf, const char *secret,
                                      const llmt_http_result *res, llmt_error *err);
/* llmt_http_transport_error for the transfer that filled r, which also knows a reply
 * stopped at its size limit: LLMT_E_BAD_RESPONSE (not retryable) naming the limit. */
llmt_status llmt_http_result_error(const llmt_http_result *r, int rc, const char *errbuf,
                                   const char *secret, llmt_error *err);

#endif
