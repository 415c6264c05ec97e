#include "http/http.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    llmt_http_result *r = ud;
    if (r->max_body && size * nmemb > r->max_body - r->body.len) {
        r->too_large = true; /* returning less than given stops the transfer */
        return 0;
    }
    llmt_buf_append(&r->body, ptr, size * nmemb);
    return r->body.oom ? 0 : size * nmemb;
}

void llmt_http_result_add_header_line(llmt_http_result *r, const char *line, size_t n)
{
    if (n >= 5 && memcmp(line, "HTTP/", 5) == 0) {
        /* a new response (redirect, 100 Continue): forget earlier headers */
        r->head.len = 0;
        return;
    }
    if (!memchr(line, ':', n))
        return;
    if (!r->head.data) {
        /* room for a typical reply's header lines at once: growing from 64 bytes cost
         * three reallocs per reply */
        r->head.data = malloc(512);
        r->head.cap = r->head.data ? 512 : 0;
    }
    llmt_buf_append(&r->head, line, n);
}

/* Splits head into "name\0value\0" pairs in place and points headers at them. */
static void split_headers(llmt_http_result *r)
{
    char *p, *end;
    size_t cap = 0, i;
    r->split = true;
    if (!r->head.len || r->head.oom)
        return;
    p = r->head.data;
    end = p + r->head.len;
    for (i = 0; i < r->head.len; i++)
        cap += p[i] == '\n';
    r->headers = calloc(cap + 1, sizeof(*r->headers));
    if (!r->headers)
        return;
    while (p < end) {
        char *eol = memchr(p, '\n', (size_t)(end - p)), *colon, *v, *vend;
        if (!eol)
            eol = end;
        colon = memchr(p, ':', (size_t)(eol - p));
        if (colon && r->n_headers <= cap) {
            llmt_http_header *h = &r->headers[r->n_headers++];
            *colon = '\0';
            for (v = p; v < colon; v++)
                *v = (char)tolower((unsigned char)*v);
            v = colon + 1;
            while (v < eol && (*v == ' ' || *v == '\t'))
                v++;
            vend = eol;
            while (vend > v && (vend[-1] == '\r' || vend[-1] == '\n' || vend[-1] == ' '))
                vend--;
            if (vend < end)
                *vend = '\0';
            h->name = p;
            h->value = v;
        }
        p = eol + 1;
    }
    /* a last line without a terminator ends at the buffer's end, which llmt_buf keeps
     * NUL-terminated */
}

/* Called by libcurl right before it sends a request on a connection, once per request
 * sent. libcurl sends a request again on a fresh connection, on its own, when a reused
 * keep-alive connection dies before any byte of the reply (lib/transfer.c,
 * Curl_retry_request: "Connection died, retrying a fresh connect", up to 5 times); the
 * provider may have received, and billed, each of those requests while the engine saw
 * one attempt. A second request in one transfer is refused here (the transfer ends with
 * CURLE_ABORTED_BY_CALLBACK), and the engine's retry policy decides whether it goes out
 * again, as a counted attempt. */
static int on_prereq(void *ud, char *conn_primary_ip, char *conn_local_ip, int conn_primary_port,
                     int conn_local_port)
{
    llmt_http_result *r = ud;
    (void)conn_primary_ip;
    (void)conn_local_ip;
    (void)conn_primary_port;
    (void)conn_local_port;
    if (r->sent) {
        r->resend_refused = true;
        return CURL_PREREQFUNC_ABORT;
    }
    r->sent = true;
    return CURL_PREREQFUNC_OK;
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

/* NULL-safe: a request without a URL (a provider's bug) must not crash the -vv log */
static char *redact(const char *s, const char *secret)
{
    return llmt_redact_secret(s ? s : "(none)", secret);
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
    st = llmt_http_setup_easy(c, req, opts, out, NULL, &hdrs, errbuf, err);
    if (st != LLMT_OK)
        goto done;
    rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        st = llmt_http_result_error(out, (int)rc, errbuf, opts->secret, err);
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
    free(r->headers);
    llmt_buf_free(&r->body);
    llmt_buf_free(&r->head);
    memset(r, 0, sizeof(*r));
}

llmt_http_response llmt_http_result_view(llmt_http_result *r)
{
    llmt_http_response v;
    if (!r->split)
        split_headers(r);
    memset(&v, 0, sizeof v); /* received_at 0: hints read against now, unless stamped */
    v.status = r->status;
    v.body = r->body.data ? r->body.data : "";
    v.body_len = r->body.len;
    v.headers = r->headers;
    v.n_headers = r->n_headers;
    return v;
}

static bool same_headers(const llmt_http_header_cache *c, const llmt_http_request *req)
{
    size_t i;
    if (c->n_headers != req->n_headers)
        return false;
    for (i = 0; i < req->n_headers; i++)
        if (strcmp(c->headers[i].name, req->headers[i].name) != 0 ||
            strcmp(c->headers[i].value, req->headers[i].value) != 0)
            return false;
    return true;
}

static void wipe_free(char *s)
{
    if (s)
        memset(s, 0, strlen(s)); /* header values include credentials */
    free(s);
}

void llmt_http_header_cache_free(llmt_http_header_cache *c)
{
    size_t i;
    if (!c)
        return;
    for (i = 0; i < c->n_headers; i++) {
        free(c->headers[i].name);
        wipe_free(c->headers[i].value);
    }
    free(c->headers);
    curl_slist_free_all(c->list);
    memset(c, 0, sizeof(*c));
}

/* The curl list for req's headers (plus "Expect:"), or NULL when out of memory. */
static struct curl_slist *build_header_list(const llmt_http_request *req)
{
    struct curl_slist *hdrs = NULL, *n;
    llmt_buf line = {0};
    size_t i;
    for (i = 0; i < req->n_headers; i++) {
        line.len = 0;
        llmt_buf_puts(&line, req->headers[i].name);
        llmt_buf_puts(&line, ": ");
        llmt_buf_puts(&line, req->headers[i].value);
        n = line.oom ? NULL : curl_slist_append(hdrs, line.data);
        if (!n)
            goto fail;
        hdrs = n;
    }
    /* no "Expect: 100-continue" for large bodies: it costs a round trip (or a 1 s wait
     * on servers that never send 100 Continue) per request */
    n = curl_slist_append(hdrs, "Expect:");
    if (!n)
        goto fail;
    if (line.data)
        memset(line.data, 0, line.len);
    llmt_buf_free(&line);
    return n;
fail:
    if (line.data)
        memset(line.data, 0, line.len);
    llmt_buf_free(&line);
    curl_slist_free_all(hdrs);
    return NULL;
}

/* Fills an empty cache from req (best effort: on failure it stays unused). */
static void cache_fill(llmt_http_header_cache *c, const llmt_http_request *req)
{
    size_t i;
    c->tried = true;
    c->headers = calloc(req->n_headers + 1, sizeof(*c->headers));
    c->list = c->headers ? build_header_list(req) : NULL;
    for (i = 0; c->list && i < req->n_headers; i++, c->n_headers++) {
        c->headers[i].name = llmt_strdup(req->headers[i].name);
        c->headers[i].value = llmt_strdup(req->headers[i].value);
        if (!c->headers[i].name || !c->headers[i].value) {
            c->n_headers++;
            llmt_http_header_cache_free(c);
            c->tried = true;
            return;
        }
    }
    if (!c->list) {
        llmt_http_header_cache_free(c);
        c->tried = true;
    }
}

llmt_status llmt_http_setup_easy(void *easy, const llmt_http_request *req,
                                 const llmt_http_options *opts, llmt_http_result *out,
                                 llmt_http_header_cache *cache, void **hdrs_out, char *errbuf,
                                 llmt_error *err)
{
    CURL *c = easy;
    struct curl_slist *hdrs = NULL;
    memset(out, 0, sizeof(*out));
    out->max_body = opts->max_reply_bytes ? opts->max_reply_bytes : LLMT_DEFAULT_MAX_REPLY_BYTES;
    *hdrs_out = NULL;
    errbuf[0] = '\0';
    llmt_http_log_request(opts->logger, req, opts->secret);
    if (cache && !cache->tried)
        cache_fill(cache, req);
    if (cache && cache->list && same_headers(cache, req)) {
        hdrs = cache->list;
    } else {
        hdrs = build_header_list(req);
        if (!hdrs)
            return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
        *hdrs_out = hdrs;
    }
    curl_easy_setopt(c, CURLOPT_URL, req->url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    if (req->method && strcmp(req->method, "GET") == 0) {
        /* forget a reused handle's body (it points to freed memory), then GET: setting
         * POSTFIELDS selects POST, HTTPGET after it selects GET again */
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, (char *)NULL);
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    }
    /* one request per transfer: never sent again by curl itself (see on_prereq) */
    curl_easy_setopt(c, CURLOPT_PREREQFUNCTION, on_prereq);
    curl_easy_setopt(c, CURLOPT_PREREQDATA, out);
    /* NULL puts back the method the request type implies (a reused handle may carry
     * the previous request's) */
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST,
                     req->method && strcmp(req->method, "GET") != 0 && strcmp(req->method, "POST") != 0
                         ? req->method
                         : NULL);
    /* a Content-Length above the limit is refused before the body is read */
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)out->max_body);
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
    return LLMT_OK;
}

llmt_status llmt_http_result_error(const llmt_http_result *r, int rc, const char *errbuf,
                                   const char *secret, llmt_error *err)
{
    if (r->too_large || rc == CURLE_FILESIZE_EXCEEDED)
        return llmt_error_set(err, LLMT_E_BAD_RESPONSE,
                              "reply larger than %zu bytes (the provider's max_reply_bytes); "
                              "the rest was not read",
                              r->max_body);
    return llmt_http_transport_error(rc, errbuf, secret, r, err);
}

llmt_status llmt_http_transport_error(int rc, const char *errbuf, const char *secret,
                                      const llmt_http_result *res, llmt_error *err)
{
    size_t received = res ? res->body.len : 0;
    const char *msg = errbuf && errbuf[0] ? errbuf : curl_easy_strerror((CURLcode)rc);
    char *safe = redact(msg, secret);
    llmt_status st;
    if (rc == CURLE_ABORTED_BY_CALLBACK && res && res->resend_refused) {
        /* curl's own message would only say its callback stopped it: say why */
        st = llmt_error_set(err, LLMT_E_NETWORK,
                            "the connection closed after the request was sent, before any "
                            "reply (the provider may have received it); not sent again "
                            "behind the retry policy's back");
    } else if (rc == CURLE_PARTIAL_FILE) {
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
