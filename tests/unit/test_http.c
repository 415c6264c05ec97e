/* http/http.c against the fake server: the reply's header lines are split into
 * lower-cased, trimmed name/value pairs (one buffer per reply), requests with the
 * same headers share one cached curl header list while others get their own, and a
 * reused handle carries nothing of its previous request. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "fake_http.h"
#include "http/http.h"

static void add_header(llmt_http_request *r, const char *name, const char *value)
{
    assert_true(llmt_http_request_add_header(r, name, value));
}

static void test_reply_headers(void **state)
{
    fake_http_server *srv;
    fake_http_reply rep = {0};
    llmt_http_request req;
    llmt_http_options o;
    llmt_http_result res;
    llmt_http_response view;
    llmt_error err;
    char url[128];
    (void)state;
    assert_int_equal(fake_http_start(&srv), 0);
    rep.status = 429;
    rep.headers = "Retry-After:   7  \r\nX-Request-ID: req-1\r\nX-Empty:\r\nx-ratelimit-reset-requests: 2s\r\n";
    rep.body = "{\"error\":{}}";
    rep.body_len = -1;
    fake_http_push_reply(srv, &rep);
    memset(&req, 0, sizeof req);
    snprintf(url, sizeof url, "%s/v1/x", fake_http_url(srv));
    req.method = strdup("POST");
    req.url = strdup(url);
    req.body = strdup("{}");
    req.body_len = 2;
    add_header(&req, "Content-Type", "application/json");
    memset(&o, 0, sizeof o);
    o.timeout_ms = 5000;
    assert_int_equal(llmt_http_perform(&req, &o, &res, &err), LLMT_OK);
    view = llmt_http_result_view(&res);
    assert_int_equal(view.status, 429);
    assert_string_equal(view.body, "{\"error\":{}}");
    assert_string_equal(llmt_http_response_header(&view, "retry-after"), "7");
    assert_string_equal(llmt_http_response_header(&view, "X-Request-Id"), "req-1");
    assert_string_equal(llmt_http_response_header(&view, "x-empty"), "");
    assert_string_equal(llmt_http_response_header(&view, "x-ratelimit-reset-requests"), "2s");
    assert_null(llmt_http_response_header(&view, "x-absent"));
    /* names are stored lower-cased */
    {
        size_t i;
        bool seen = false;
        for (i = 0; i < view.n_headers; i++) {
            if (strcmp(view.headers[i].name, "x-request-id") == 0)
                seen = true;
            assert_null(strpbrk(view.headers[i].name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"));
        }
        assert_true(seen);
    }
    /* a second view splits nothing again */
    view = llmt_http_result_view(&res);
    assert_string_equal(llmt_http_response_header(&view, "retry-after"), "7");
    llmt_http_result_free(&res);
    llmt_http_request_clear(&req);
    fake_http_stop(srv);
}

static void test_header_cache(void **state)
{
    llmt_http_header_cache cache;
    llmt_http_request a, b;
    llmt_http_options o;
    llmt_http_result res;
    llmt_error err;
    char errbuf[CURL_ERROR_SIZE];
    void *own = NULL;
    CURL *easy = curl_easy_init();
    (void)state;
    assert_non_null(easy);
    memset(&cache, 0, sizeof cache);
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    memset(&o, 0, sizeof o);
    a.url = strdup("http://127.0.0.1:1/");
    b.url = strdup("http://127.0.0.1:1/");
    add_header(&a, "Authorization", "Bearer one");
    add_header(&b, "Authorization", "Bearer two");
    /* the first request fills the cache and uses it */
    assert_int_equal(llmt_http_setup_easy(easy, &a, &o, &res, &cache, &own, errbuf, &err), LLMT_OK);
    assert_null(own);
    assert_non_null(cache.list);
    assert_string_equal(((struct curl_slist *)cache.list)->data, "Authorization: Bearer one");
    assert_string_equal(((struct curl_slist *)cache.list)->next->data, "Expect:");
    /* the same headers again: still the cached list */
    curl_easy_reset(easy);
    assert_int_equal(llmt_http_setup_easy(easy, &a, &o, &res, &cache, &own, errbuf, &err), LLMT_OK);
    assert_null(own);
    /* other headers: a list of its own, the cache untouched */
    curl_easy_reset(easy);
    assert_int_equal(llmt_http_setup_easy(easy, &b, &o, &res, &cache, &own, errbuf, &err), LLMT_OK);
    assert_non_null(own);
    assert_string_equal(((struct curl_slist *)own)->data, "Authorization: Bearer two");
    assert_string_equal(((struct curl_slist *)cache.list)->data, "Authorization: Bearer one");
    curl_easy_cleanup(easy);
    curl_slist_free_all(own);
    llmt_http_header_cache_free(&cache);
    assert_null(cache.list);
    llmt_http_request_clear(&a);
    llmt_http_request_clear(&b);
}

/* One easy handle runs POST, GET, PUT and POST again with no curl_easy_reset between
 * them (as the engine's pool reuses handles): each request goes out with its own method
 * and body, nothing of the one before. */
static void test_reused_handle(void **state)
{
    static const char *const methods[] = {"POST", "GET", "PUT", NULL};
    static const char *const bodies[] = {"{\"a\":1}", NULL, "{\"put\":true}", "{\"b\":2}"};
    static const char *const seen_methods[] = {"POST", "GET", "PUT", "POST"};
    fake_http_server *srv;
    llmt_http_options o;
    llmt_error err;
    char errbuf[CURL_ERROR_SIZE], url[128];
    CURL *easy = curl_easy_init();
    size_t i;
    (void)state;
    assert_non_null(easy);
    assert_int_equal(fake_http_start(&srv), 0);
    memset(&o, 0, sizeof o);
    o.timeout_ms = 5000;
    for (i = 0; i < 4; i++) {
        llmt_http_request req;
        llmt_http_result res;
        void *own = NULL;
        memset(&req, 0, sizeof req);
        snprintf(url, sizeof url, "%s/v1/r%zu", fake_http_url(srv), i);
        req.method = methods[i] ? strdup(methods[i]) : NULL;
        req.url = strdup(url);
        if (bodies[i]) {
            req.body = strdup(bodies[i]);
            req.body_len = strlen(bodies[i]);
        }
        add_header(&req, "Content-Type", "application/json");
        assert_int_equal(llmt_http_setup_easy(easy, &req, &o, &res, NULL, &own, errbuf, &err), LLMT_OK);
        assert_int_equal(curl_easy_perform(easy), CURLE_OK);
        curl_slist_free_all(own);
        llmt_http_result_free(&res);
        llmt_http_request_clear(&req);
    }
    assert_int_equal(fake_http_request_count(srv), 4);
    for (i = 0; i < 4; i++) {
        const fake_http_request *r = fake_http_request_at(srv, i);
        char path[32];
        snprintf(path, sizeof path, "/v1/r%zu", i);
        assert_string_equal(r->method, seen_methods[i]);
        assert_string_equal(r->path, path);
        assert_string_equal(r->body, bodies[i] ? bodies[i] : "");
    }
    curl_easy_cleanup(easy);
    fake_http_stop(srv);
}

/* One POST to srv answered with a body of n 'x' bytes (chunked when `chunked`), read
 * with a reply limit of `cap` (0 = the default). */
static llmt_status fetch_body(fake_http_server *srv, size_t n, bool chunked, size_t cap,
                              llmt_error *err)
{
    fake_http_reply rep = {0};
    llmt_http_request req;
    llmt_http_options o;
    llmt_http_result res;
    char url[128], *body = malloc(n + 1);
    llmt_status st;
    assert_non_null(body);
    memset(body, 'x', n);
    body[n] = '\0';
    rep.body = body;
    rep.body_len = (long)n;
    rep.stream = chunked;
    fake_http_push_reply(srv, &rep);
    memset(&req, 0, sizeof req);
    snprintf(url, sizeof url, "%s/v1/x", fake_http_url(srv));
    req.url = strdup(url);
    req.body = strdup("{}");
    req.body_len = 2;
    memset(&o, 0, sizeof o);
    o.timeout_ms = 10000;
    o.max_reply_bytes = cap;
    llmt_error_clear(err);
    st = llmt_http_perform(&req, &o, &res, err);
    if (st == LLMT_OK) {
        assert_int_equal(res.body.len, n);
        llmt_http_result_free(&res);
    }
    llmt_http_request_clear(&req);
    free(body);
    return st;
}

static void test_reply_size_limit(void **state)
{
    fake_http_server *srv;
    llmt_error err;
    (void)state;
    assert_int_equal(fake_http_start(&srv), 0);
    /* at the limit: read; one byte more: bad_response naming the limit, not retried,
     * whether the length is announced (refused before reading) or not (chunked) */
    assert_int_equal(fetch_body(srv, 1000, false, 1000, &err), LLMT_OK);
    assert_int_equal(fetch_body(srv, 1001, false, 1000, &err), LLMT_E_BAD_RESPONSE);
    assert_non_null(strstr(err.message, "reply larger than 1000 bytes"));
    assert_false(err.retryable);
    assert_int_equal(fetch_body(srv, 5000, true, 1000, &err), LLMT_E_BAD_RESPONSE);
    assert_non_null(strstr(err.message, "reply larger than 1000 bytes"));
    /* the default: a few MB */
    assert_int_equal(fetch_body(srv, LLMT_DEFAULT_MAX_REPLY_BYTES, false, 0, &err), LLMT_OK);
    assert_int_equal(fetch_body(srv, LLMT_DEFAULT_MAX_REPLY_BYTES + 1, true, 0, &err),
                     LLMT_E_BAD_RESPONSE);
    fake_http_stop(srv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reply_headers),
        cmocka_unit_test(test_header_cache),
        cmocka_unit_test(test_reused_handle),
        cmocka_unit_test(test_reply_size_limit),
    };
    int rc;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
