#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llmt/error.h"

#include "core/utf8.h"
#include "llmt/provider.h"

static const struct {
    const char *name;
    const char *text;
    bool retryable;
} status_table[LLMT_STATUS_COUNT_] = {
    [LLMT_OK] = {"ok", "no error", false},
    [LLMT_E_AUTH] = {"auth", "authentication failed or API key missing", false},
    [LLMT_E_PERMISSION] = {"permission", "not permitted", false},
    [LLMT_E_NOT_FOUND] = {"not_found", "model or endpoint not found", false},
    [LLMT_E_BAD_REQUEST] = {"bad_request", "request rejected by the provider", false},
    [LLMT_E_CONTEXT_LENGTH] = {"context_length", "input exceeds the model's context length", false},
    [LLMT_E_CONTENT_FILTER] = {"content_filter", "blocked by a content filter", false},
    [LLMT_E_RATE_LIMIT] = {"rate_limit", "rate limited", true},
    [LLMT_E_QUOTA] = {"quota", "quota or credit exhausted", false},
    [LLMT_E_TIMEOUT] = {"timeout", "request timed out", true},
    [LLMT_E_NETWORK] = {"network", "network error", true},
    [LLMT_E_SERVER] = {"server", "provider server error", true},
    [LLMT_E_OVERLOADED] = {"overloaded", "provider overloaded", true},
    [LLMT_E_BAD_RESPONSE] = {"bad_response", "unusable response from the provider", false},
    [LLMT_E_UNSUPPORTED] = {"unsupported", "not supported by this provider or model", false},
    [LLMT_E_CONFIG] = {"config", "invalid configuration", false},
    [LLMT_E_BUDGET] = {"budget", "skipped: budget would be exceeded", false},
    [LLMT_E_CANCELLED] = {"cancelled", "cancelled", false},
    [LLMT_E_INTERNAL] = {"internal", "internal error", false},
    [LLMT_E_INVALID_ARG] = {"invalid_argument", "invalid argument", false},
    [LLMT_E_NOMEM] = {"nomem", "out of memory", false},
    [LLMT_E_IO] = {"io", "input/output error", false},
    [LLMT_E_PARSE] = {"parse", "malformed input", false},
    [LLMT_E_PLUGIN] = {"plugin", "plugin refused", false},
    [LLMT_E_NOT_RECORDED] = {"not_recorded", "not in the replay cassette", false},
};

const char *llmt_status_name(llmt_status st)
{
    if ((int)st < 0 || st >= LLMT_STATUS_COUNT_)
        return "unknown";
    return status_table[st].name;
}

bool llmt_status_from_name(const char *name, llmt_status *out)
{
    int i;
    if (!name)
        return false;
    for (i = 0; i < LLMT_STATUS_COUNT_; i++) {
        if (strcmp(status_table[i].name, name) == 0) {
            *out = (llmt_status)i;
            return true;
        }
    }
    return false;
}

const char *llmt_strerror(llmt_status st)
{
    if ((int)st < 0 || st >= LLMT_STATUS_COUNT_)
        return "unknown status";
    return status_table[st].text;
}

bool llmt_status_retryable(llmt_status st)
{
    return (int)st >= 0 && st < LLMT_STATUS_COUNT_ && status_table[st].retryable;
}

void llmt_error_clear(llmt_error *err)
{
    if (!err)
        return;
    memset(err, 0, sizeof(*err));
    err->retry_after_s = -1;
}

llmt_status llmt_error_set(llmt_error *err, llmt_status st, const char *fmt, ...)
{
    va_list ap;
    if (!err)
        return st;
    llmt_error_clear(err);
    err->status = st;
    err->retryable = llmt_status_retryable(st);
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    /* a message cut inside a character by the buffer, or quoting a provider's raw bytes,
     * must still be writable to results files (JSON strings are UTF-8) */
    llmt_utf8_scrub(err->message);
    return st;
}

void llmt_http_request_clear(llmt_http_request *r)
{
    size_t i;
    if (!r)
        return;
    for (i = 0; i < r->n_headers; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    free(r->headers);
    free(r->method);
    free(r->url);
    free(r->body);
    memset(r, 0, sizeof(*r));
}

void llmt_response_clear(llmt_response *r)
{
    if (!r)
        return;
    free(r->text);
    free(r->model);
    free(r->stop_reason);
    free(r->request_id);
    free(r->schema_relaxed);
    memset(r, 0, sizeof(*r));
}

void llmt_catalog_entries_free(llmt_catalog_entry *entries, size_t n)
{
    size_t i;
    if (!entries)
        return;
    for (i = 0; i < n; i++) {
        free(entries[i].id);
        free(entries[i].name);
    }
    free(entries);
}
