#include "http/http.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    llmt_http_result *r = ud;
    llmt_buf_append(&r->body, ptr, size * nmemb);
    return r->body.oom ? 0 : size * nmemb;
}

void llmt_http_result_add_header_line(llmt_http_result *r, const char *line, size_t n)
{
    const char *colon = memchr(line, ':', n);
    llmt_http_header *h;
    size_t name_len, i;
    const char *v, *end = line + n;
    if (n >= 5 && memcmp(line, "HTTP/", 5) == 0) {
        /* a new response (redirect, 100 Continue): forget earlier headers */
        for (i = 0; i < r->n_headers; i++) {
            free(r->headers[i].name);
            free(r->headers[i].value);
        }
        r->n_headers = 0;
        return;
    }
    if (!colon)
        return;
    h = realloc(r->headers, (r->n_headers + 1) * sizeof(*h));
    if (!h)
        return;
    r->headers = h;
    name_len = (size_t)(colon - line);
    v = colon + 1;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    h[r->n_headers].name = llmt_strndup(line, name_len);
    h[r->n_headers].value = llmt_strndup(v, (size_t)(end - v));
    if (!h[r->n_headers].name || !h[r->n_headers].value) {
        free(h[r->n_headers].name);
        free(h[r->n_headers].value);
        return;
    }
    for (i = 0; i < name_len; i++)
        h[r->n_headers].name[i] = (char)tolower((unsigned char)h[r->n_headers].name[i]);
    r->n_headers++;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
    llmt_http_result_add_header_line(ud, ptr, size * nmemb);
    return size * nmemb;
}

static bool is_secret_header(const char *name)
{
    return llmt_strcasecmp(name, "authorization") == 0 || llmt_strcasecmp(name, "x-api-key") == 0 ||
           llmt_strcasecmp(name, "x-goog-api-key") == 0 || llmt_strcasecmp(name, "api-key") == 0;
}

static char *redact(const char *s, const char *secret)
{
    llmt_buf b = {0};
    size_t sl = secret ? strlen(secret) : 0;
    const char *p = s, *hit;
    if (!sl)
        return llmt_strdup(s);
    while ((hit = strstr(p, secret)) != NULL) {
        llmt_buf_append(&b, p, (size_t)(hit - p));
        llmt_buf_puts(&b, "[REDACTED]");
        p = hit + sl;
    }
    llmt_buf_puts(&b, p);
    return llmt_buf_steal(&b);
}

void llmt_http_log_request(const llmt_logger *lg, const llmt_http_request *req, const char *secret)
{
    size_t i;
    char *url;
    if (!lg || !lg->fn || lg->level < LLMT_LOG_DEBUG)
        return;
    url = redact(req->url, secret);
    llmt_logf(lg, LLMT_LOG_DEBUG, "HTTP %s %s", req->method ? req->method : "POST", url);
    free(url);
    for (i = 0; i < req->n_headers; i++) {
        char *v = is_secret_header(req->headers[i].name) ? llmt_strdup("[REDACTED]")
                                                          : redact(req->headers[i].value, secret);
        llmt_logf(lg, LLMT_LOG_DEBUG, "  %s: %s", req->headers[i].name, v ? v : "");
        free(v);
    }
    if (req->body) {
        char *b = redact(req->body, secret);
        llmt_logf(lg, LLMT_LOG_DEBUG, "  body: %.1500s", b ? b : "");
        free(b);
    }
}

llmt_status llmt_http_perform(const llmt_http_request *req, const llmt_http_options *opts,
                              llmt_http_result *out, llmt_error *err)
{
    CURL *c = curl_easy_init();
    void *hdrs = NULL;
    char errbuf[CURL_ERROR_SIZE];
    CURLcode rc;
    llmt_status st;
    memset(out, 0, sizeof(*out));
    if (!c)
        return llmt_error_set(err, LLMT_E_INTERNAL, "curl_easy_init failed");
    /* the same transfer set-up as the engine's, performed here without a multi handle */
    st = llmt_http_setup_easy(c, req, opts, out, &hdrs, errbuf, err);
    if (st != LLMT_OK)
        goto done;
    rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        st = llmt_http_transport_error((int)rc, errbuf, opts->secret, out->body.len, err);
        goto done;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    if (out->body.oom)
        st = llmt_error_set(err, LLMT_E_NOMEM, "out of memory reading the reply");
done:
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    if (st != LLMT_OK)
        llmt_http_result_free(out);
    return st;
}

void llmt_http_result_free(llmt_http_result *r)
{
    size_t i;
    for (i = 0; i < r->n_headers; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    free(r->headers);
    llmt_buf_free(&r->body);
    memset(r, 0, sizeof(*r));
}

llmt_http_response llmt_http_result_view(const llmt_http_result *r)
{
    llmt_http_response v;
    v.status = r->status;
    v.body = r->body.data ? r->body.data : "";
    v.body_len = r->body.len;
    v.headers = r->headers;
    v.n_headers = r->n_headers;
    return v;
}

llmt_status llmt_http_setup_easy(void *easy, const llmt_http_request *req,
                                 const llmt_http_options *opts, llmt_http_result *out,
                                 void **hdrs_out, char *errbuf, llmt_error *err)
{
    CURL *c = easy;
    struct curl_slist *hdrs = NULL;
    size_t i;
    memset(out, 0, sizeof(*out));
    *hdrs_out = NULL;
    errbuf[0] = '\0';
    llmt_http_log_request(opts->logger, req, opts->secret);
    for (i = 0; i < req->n_headers; i++) {
        char *line = llmt_asprintf("%s: %s", req->headers[i].name, req->headers[i].value);
        struct curl_slist *n = line ? curl_slist_append(hdrs, line) : NULL;
        free(line);
        if (!n) {
            curl_slist_free_all(hdrs);
            return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
        }
        hdrs = n;
    }
    {
        /* no "Expect: 100-continue" for large bodies: it costs a round trip (or a 1 s
         * wait on servers that never send 100 Continue) per request */
        struct curl_slist *n = curl_slist_append(hdrs, "Expect:");
        if (!n) {
            curl_slist_free_all(hdrs);
            return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
        }
        hdrs = n;
    }
    curl_easy_setopt(c, CURLOPT_URL, req->url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    if (req->method && strcmp(req->method, "GET") == 0) {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        if (req->method && strcmp(req->method, "POST") != 0)
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
    }
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, opts->timeout_ms > 0 ? opts->timeout_ms : 120000L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : 10000L);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    /* HTTP/2 where the server offers it over TLS (one connection multiplexes many
     * requests); HTTP/1.1 keep-alive otherwise. */
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    *hdrs_out = hdrs;
    return LLMT_OK;
}

llmt_status llmt_http_transport_error(int rc, const char *errbuf, const char *secret,
                                      size_t received, llmt_error *err)
{
    const char *msg = errbuf && errbuf[0] ? errbuf : curl_easy_strerror((CURLcode)rc);
    char *safe = redact(msg, secret);
    llmt_status st;
    if (rc == CURLE_PARTIAL_FILE) {
        /* The body stopped short of its announced length: a truncated reply. Worth
         * retrying (the cause is the connection, not the request). */
        st = llmt_error_set(err, LLMT_E_BAD_RESPONSE, "truncated reply (%zu bytes received): %s",
                            received, safe ? safe : msg);
        if (err)
            err->retryable = true;
    } else {
        st = llmt_error_set(err, rc == CURLE_OPERATION_TIMEDOUT ? LLMT_E_TIMEOUT : LLMT_E_NETWORK,
                            "%s", safe ? safe : msg);
    }
    free(safe);
    return st;
}
