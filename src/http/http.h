/* Performs one provider HTTP request with libcurl (blocking). The concurrent engine
 * uses the same request/response types over the curl multi interface. */
#ifndef LLMT_HTTP_H
#define LLMT_HTTP_H

#include "core/util.h"
#include "llmt/log.h"
#include "llmt/provider.h"

typedef struct llmt_http_options {
    long timeout_ms;          /* total */
    long connect_timeout_ms;
    const char *secret;       /* redacted wherever it would appear in logs */
    const llmt_logger *logger;
} llmt_http_options;

/* Owns what came back. */
typedef struct llmt_http_result {
    long status;
    llmt_buf body;
    llmt_http_header *headers; /* names lower-cased */
    size_t n_headers;
} llmt_http_result;

/* Transport failures become LLMT_E_TIMEOUT or LLMT_E_NETWORK; any HTTP status is
 * success here (the provider classifies non-2xx). */
llmt_status llmt_http_perform(const llmt_http_request *req, const llmt_http_options *opts,
                              llmt_http_result *out, llmt_error *err);
void llmt_http_result_free(llmt_http_result *r);
/* Borrowed view for providers. */
llmt_http_response llmt_http_result_view(const llmt_http_result *r);

/* Logs a request at debug level with secrets redacted. */
void llmt_http_log_request(const llmt_logger *lg, const llmt_http_request *req, const char *secret);

/* Header callback helper: parses "Name: value\r\n" into the result's header list. */
void llmt_http_result_add_header_line(llmt_http_result *r, const char *line, size_t n);

#endif

/* ---- for the concurrent engine (curl multi) ---- */
/* Configures a fresh or reset easy handle to perform `req` into `out` (zeroed first).
 * *hdrs receives the header list the handle points to: free it with curl_slist_free_all
 * after the transfer. `errbuf` (CURL_ERROR_SIZE bytes) must live as long as the
 * transfer. The handle is typed void* so this header does not need curl.h. */
llmt_status llmt_http_setup_easy(void *easy, const llmt_http_request *req,
                                 const llmt_http_options *opts, llmt_http_result *out,
                                 void **hdrs, char *errbuf, llmt_error *err);
/* Turns a failed transfer (CURLcode `rc`) into a status with the secret redacted from
 * the message: LLMT_E_TIMEOUT, LLMT_E_NETWORK, or for a body cut short of its announced
 * length (after `received` bytes) a retryable LLMT_E_BAD_RESPONSE. */
llmt_status llmt_http_transport_error(int rc, const char *errbuf, const char *secret,
                                      size_t received, llmt_error *err);
