/*
 * Self-test of the fake_http test server (cmocka + libcurl easy/multi).
 * Talks only to 127.0.0.1.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* POSIX.1-2008 only; no _GNU_SOURCE / _DEFAULT_SOURCE needed */
#endif
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fake_http.h"

/* ------------------------------------------------------------------------ */
/* helpers                                                                   */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

typedef struct buf {
    char *p;
    size_t len;
    int writes;           /* number of write callbacks */
    double first_write_at; /* now_s() of the first callback */
} buf;

static size_t buf_write(char *data, size_t sz, size_t n, void *ud)
{
    buf *b = ud;
    size_t add = sz * n;
    char *np = realloc(b->p, b->len + add + 1);
    assert_non_null(np);
    b->p = np;
    memcpy(b->p + b->len, data, add);
    b->len += add;
    b->p[b->len] = '\0';
    if (b->writes++ == 0)
        b->first_write_at = now_s();
    return add;
}

static void buf_free(buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* An easy handle aimed at url+path that never uses a proxy. */
static CURL *mk_easy(const fake_http_server *s, const char *path, buf *body, buf *hdrs)
{
    char url[256];
    CURL *h = curl_easy_init();
    assert_non_null(h);
    snprintf(url, sizeof url, "%s%s", fake_http_url(s), path);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
    if (body) {
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, buf_write);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
    }
    if (hdrs) {
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, buf_write);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, hdrs);
    }
    return h;
}

static long status_of(CURL *h)
{
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    return code;
}

/* GET path; returns the curl code, fills *status and body. */
static CURLcode do_get(const fake_http_server *s, const char *path, long *status, buf *body, buf *hdrs)
{
    CURL *h = mk_easy(s, path, body, hdrs);
    CURLcode rc = curl_easy_perform(h);
    if (status)
        *status = status_of(h);
    curl_easy_cleanup(h);
    return rc;
}

static int setup(void **state)
{
    fake_http_server *s = NULL;
    assert_int_equal(fake_http_start(&s), 0);
    assert_non_null(s);
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    fake_http_stop(*state);
    *state = NULL;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* tests                                                                     */

static void test_start_url_port(void **state)
{
    fake_http_server *s = *state;
    char expect[64];
    assert_true(fake_http_port(s) > 0);
    snprintf(expect, sizeof expect, "http://127.0.0.1:%d", fake_http_port(s));
    assert_string_equal(fake_http_url(s), expect);
    assert_int_equal(fake_http_request_count(s), 0);
    assert_null(fake_http_request_at(s, 0));
    assert_int_equal(fake_http_wait_requests(s, 1, 50), -1);
    assert_int_equal(fake_http_wait_requests(s, 0, 0), 0);
}

static void test_scripted_in_order(void **state)
{
    fake_http_server *s = *state;
    fake_http_reply r1 = {.status = 200, .body = "{\"n\":1}", .body_len = -1};
    fake_http_reply r2 = {.status = 429, .headers = "Retry-After: 2\r\n", .body = "{\"n\":2}", .body_len = -1};
    char heap_body[] = "third-XXX";
    fake_http_reply r3 = {.status = 201, .headers = "Content-Type: text/plain\r\nX-Test: yes", .body = heap_body,
                          .body_len = 5};
    fake_http_push_reply(s, &r1);
    fake_http_push_reply(s, &r2);
    fake_http_push_reply(s, &r3);
    memset(heap_body, 'Z', 5); /* the server must have copied it */

    long st = 0;
    buf b = {0}, h = {0};
    assert_int_equal(do_get(s, "/a", &st, &b, &h), CURLE_OK);
    assert_int_equal(st, 200);
    assert_string_equal(b.p, "{\"n\":1}");
    assert_non_null(strstr(h.p, "Content-Type: application/json\r\n"));
    assert_non_null(strstr(h.p, "Content-Length: 7\r\n"));
    buf_free(&b);
    buf_free(&h);

    assert_int_equal(do_get(s, "/b", &st, &b, &h), CURLE_OK);
    assert_int_equal(st, 429);
    assert_string_equal(b.p, "{\"n\":2}");
    assert_non_null(strstr(h.p, "Retry-After: 2\r\n"));
    buf_free(&b);
    buf_free(&h);

    assert_int_equal(do_get(s, "/c", &st, &b, &h), CURLE_OK);
    assert_int_equal(st, 201);
    assert_string_equal(b.p, "third");
    assert_non_null(strstr(h.p, "Content-Type: text/plain\r\n"));
    assert_null(strstr(h.p, "application/json"));
    assert_non_null(strstr(h.p, "X-Test: yes\r\n"));
    buf_free(&b);
    buf_free(&h);

    /* script exhausted: built-in default */
    assert_int_equal(do_get(s, "/d", &st, &b, NULL), CURLE_OK);
    assert_int_equal(st, 500);
    assert_string_equal(b.p, "{\"error\":\"no scripted reply\"}");
    buf_free(&b);

    assert_int_equal(fake_http_request_count(s), 4);
    assert_string_equal(fake_http_request_at(s, 0)->path, "/a");
    assert_string_equal(fake_http_request_at(s, 3)->path, "/d");
    assert_string_equal(fake_http_request_at(s, 3)->method, "GET");
}

static void test_default_reply(void **state)
{
    fake_http_server *s = *state;
    fake_http_reply d = {.status = 503, .body = "busy", .body_len = -1};
    fake_http_set_default_reply(s, &d);
    fake_http_reply once = {.body = "ok", .body_len = -1}; /* status 0 means 200 */
    fake_http_push_reply(s, &once);

    long st = 0;
    buf b = {0};
    assert_int_equal(do_get(s, "/", &st, &b, NULL), CURLE_OK);
    assert_int_equal(st, 200);
    assert_string_equal(b.p, "ok");
    buf_free(&b);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(do_get(s, "/", &st, &b, NULL), CURLE_OK);
        assert_int_equal(st, 503);
        assert_string_equal(b.p, "busy");
        buf_free(&b);
    }
    /* an empty default body */
    fake_http_reply empty = {.status = 204};
    fake_http_set_default_reply(s, &empty);
    assert_int_equal(do_get(s, "/", &st, &b, NULL), CURLE_OK);
    assert_int_equal(st, 204);
    assert_int_equal(b.len, 0);
}

typedef struct handler_ctx {
    pthread_mutex_t mu;
    int calls;
} handler_ctx;

static void echo_handler(const fake_http_request *req, fake_http_reply *out, void *ud)
{
    handler_ctx *ctx = ud;
    pthread_mutex_lock(&ctx->mu);
    int n = ++ctx->calls;
    pthread_mutex_unlock(&ctx->mu);
    if (strcmp(req->path, "/teapot") == 0) {
        out->status = 418;
        return;
    }
    out->headers = "X-Handler: 1\r\n";
    out->body = fake_http_printf(req, "{\"call\":%d,\"method\":\"%s\",\"path\":\"%s\",\"len\":%zu,\"body\":\"%s\"}", n,
                                 req->method, req->path, req->body_len, req->body);
}

static void test_handler(void **state)
{
    fake_http_server *s = *state;
    handler_ctx ctx = {.calls = 0};
    pthread_mutex_init(&ctx.mu, NULL);
    fake_http_reply ignored = {.status = 599, .body = "script", .body_len = -1};
    fake_http_push_reply(s, &ignored);
    fake_http_set_handler(s, echo_handler, &ctx);

    buf b = {0}, h = {0};
    CURL *c = mk_easy(s, "/v1/chat?x=1", &b, &h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, "hello");
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    assert_int_equal(status_of(c), 200);
    curl_easy_cleanup(c);
    assert_string_equal(b.p, "{\"call\":1,\"method\":\"POST\",\"path\":\"/v1/chat?x=1\",\"len\":5,\"body\":\"hello\"}");
    assert_non_null(strstr(h.p, "X-Handler: 1\r\n"));
    buf_free(&b);
    buf_free(&h);

    long st = 0;
    assert_int_equal(do_get(s, "/teapot", &st, &b, NULL), CURLE_OK);
    assert_int_equal(st, 418);
    assert_int_equal(b.len, 0);
    pthread_mutex_lock(&ctx.mu);
    int calls = ctx.calls;
    pthread_mutex_unlock(&ctx.mu);
    assert_int_equal(calls, 2);

    /* back to script mode: the pushed reply is still there */
    fake_http_set_handler(s, NULL, NULL);
    assert_int_equal(do_get(s, "/", &st, &b, NULL), CURLE_OK);
    assert_int_equal(st, 599);
    assert_string_equal(b.p, "script");
    buf_free(&b);

    const fake_http_request *r0 = fake_http_request_at(s, 0);
    assert_non_null(r0);
    assert_string_equal(r0->method, "POST");
    assert_string_equal(r0->path, "/v1/chat?x=1");
    assert_int_equal(r0->body_len, 5);
    assert_string_equal(r0->body, "hello");
    assert_true(r0->received_at > 0);
    assert_true(fake_http_request_at(s, 1)->received_at >= r0->received_at);
    pthread_mutex_destroy(&ctx.mu);
}

static void test_keep_alive(void **state)
{
    fake_http_server *s = *state;
    fake_http_reply d = {.status = 200, .body = "{}", .body_len = -1};
    fake_http_set_default_reply(s, &d);

    buf b = {0};
    long nconn = -1;
    CURL *c = mk_easy(s, "/one", &b, NULL);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &nconn);
    assert_int_equal(nconn, 1);
    assert_int_equal(curl_easy_perform(c), CURLE_OK); /* same handle: reuses the connection */
    curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &nconn);
    assert_int_equal(nconn, 0);
    assert_int_equal(fake_http_wait_requests(s, 2, 2000), 0);
    assert_int_equal(fake_http_request_count(s), 2);
    assert_int_equal(fake_http_request_at(s, 0)->connection_id, fake_http_request_at(s, 1)->connection_id);

    /* the client asks to close: the server says so and closes */
    struct curl_slist *hl = curl_slist_append(NULL, "Connection: close");
    buf h = {0};
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, buf_write);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    assert_non_null(strstr(h.p, "Connection: close\r\n"));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hl);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &nconn);
    assert_int_equal(nconn, 1); /* had to reconnect */
    curl_easy_cleanup(c);
    assert_int_equal(fake_http_request_count(s), 4);
    assert_int_equal(fake_http_request_at(s, 2)->connection_id, fake_http_request_at(s, 0)->connection_id);
    assert_true(fake_http_request_at(s, 3)->connection_id != fake_http_request_at(s, 0)->connection_id);
    buf_free(&b);
    buf_free(&h);
}

static void test_expect_100_continue(void **state)
{
    fake_http_server *s = *state;
    fake_http_reply ok = {.status = 200, .body = "{\"ok\":true}", .body_len = -1};
    fake_http_push_reply(s, &ok);

    size_t n = 200 * 1024;
    char *payload = malloc(n);
    assert_non_null(payload);
    for (size_t i = 0; i < n; i++)
        payload[i] = (char)('a' + i % 26);

    buf b = {0};
    CURL *c = mk_easy(s, "/upload", &b, NULL);
    struct curl_slist *hl = curl_slist_append(NULL, "Expect: 100-continue");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
    /* if the server did not send 100 Continue curl would wait this long */
    curl_easy_setopt(c, CURLOPT_EXPECT_100_TIMEOUT_MS, 8000L);
    double t0 = now_s();
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    double took = now_s() - t0;
    assert_int_equal(status_of(c), 200);
    curl_easy_cleanup(c);
    curl_slist_free_all(hl);
    assert_true(took < 4.0);
    assert_string_equal(b.p, "{\"ok\":true}");

    const fake_http_request *r = fake_http_request_at(s, 0);
    assert_non_null(r);
    assert_string_equal(fake_http_request_header(r, "expect"), "100-continue");
    assert_int_equal(r->body_len, n);
    assert_memory_equal(r->body, payload, n);
    free(payload);
    buf_free(&b);
}

typedef struct reader {
    const char *p;
    size_t len, off;
} reader;

static size_t read_cb(char *dst, size_t sz, size_t nm, void *ud)
{
    reader *r = ud;
    size_t n = sz * nm;
    if (n > 777) /* small pieces -> many chunks */
        n = 777;
    if (n > r->len - r->off)
        n = r->len - r->off;
    memcpy(dst, r->p + r->off, n);
    r->off += n;
    return n;
}

static void test_chunked_body(void **state)
{
    fake_http_server *s = *state;
    fake_http_reply ok = {.status = 200, .body = "{}", .body_len = -1};
    fake_http_push_reply(s, &ok);
    fake_http_push_reply(s, &ok);

    size_t n = 50000;
    char *payload = malloc(n);
    assert_non_null(payload);
    for (size_t i = 0; i < n; i++)
        payload[i] = (char)(i * 7 % 251); /* binary, includes NUL and CR/LF bytes */
    reader rd = {payload, n, 0};

    CURL *c = mk_easy(s, "/chunked", NULL, NULL);
    struct curl_slist *hl = curl_slist_append(NULL, "Transfer-Encoding: chunked");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(c, CURLOPT_READDATA, &rd);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, buf_write);
    buf b = {0};
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    assert_int_equal(status_of(c), 200);

    /* a second chunked request on the same connection */
    rd.off = 0;
    rd.len = 10;
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_cleanup(c);
    curl_slist_free_all(hl);
    buf_free(&b);

    assert_int_equal(fake_http_request_count(s), 2);
    const fake_http_request *r = fake_http_request_at(s, 0);
    assert_non_null(strstr(fake_http_request_header(r, "Transfer-Encoding"), "chunked"));
    assert_int_equal(r->body_len, n);
    assert_memory_equal(r->body, payload, n);
    r = fake_http_request_at(s, 1);
    assert_int_equal(r->body_len, 10);
    assert_memory_equal(r->body, payload, 10);
    assert_int_equal(r->connection_id, fake_http_request_at(s, 0)->connection_id);
    free(payload);
}

static void test_delay_and_timeout(void **state)
{
    fake_http_server *s = *state;
    fake_http_reply slow = {.status = 200, .body = "slow", .body_len = -1, .delay_ms = 300};
    fake_http_reply very_slow = {.status = 200, .body = "never", .body_len = -1, .delay_ms = 5000};
    fake_http_push_reply(s, &slow);
    fake_http_push_reply(s, &very_slow);

    /* a delay shorter than the client timeout: reply arrives late */
    buf b = {0};
    long st = 0;
    double t0 = now_s();
    assert_int_equal(do_get(s, "/slow", &st, &b, NULL), CURLE_OK);
    double took = now_s() - t0;
    assert_int_equal(st, 200);
    assert_string_equal(b.p, "slow");
    assert_true(took >= 0.29);
    buf_free(&b);

    /* a delay longer than the client timeout */
    CURL *c = mk_easy(s, "/very-slow", &b, NULL);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 200L);
    t0 = now_s();
    assert_int_equal(curl_easy_perform(c), CURLE_OPERATION_TIMEDOUT);
    took = now_s() - t0;
    curl_easy_cleanup(c);
    assert_true(took < 2.0);
    buf_free(&b);

    /* stopping cuts the pending 5 s delay short */
    assert_int_equal(fake_http_wait_requests(s, 2, 2000), 0);
    t0 = now_s();
    fake_http_stop(s);
    *state = NULL;
    assert_true(now_s() - t0 < 1.0);
}

static void test_truncated_body(void **state)
{
    fake_http_server *s = *state;
    char body[1000];
    memset(body, 'x', sizeof body);
    fake_http_reply tr = {.status = 200, .body = body, .body_len = (long)sizeof body, .truncate = 1};
    fake_http_push_reply(s, &tr);

    buf b = {0}, h = {0};
    long st = 0;
    assert_int_equal(do_get(s, "/trunc", &st, &b, &h), CURLE_PARTIAL_FILE);
    assert_int_equal(st, 200);
    assert_non_null(strstr(h.p, "Content-Length: 1000\r\n"));
    assert_int_equal(b.len, 500);
    buf_free(&b);
    buf_free(&h);
}

static void test_close_without_reply(void **state)
{
    fake_http_server *s = *state;
    fake_http_reply cl = {.close_without_reply = 1};
    fake_http_push_reply(s, &cl);
    fake_http_reply ok = {.status = 200, .body = "after", .body_len = -1};
    fake_http_push_reply(s, &ok);

    buf b = {0};
    long st = 0;
    CURLcode rc = do_get(s, "/drop", &st, &b, NULL);
    assert_int_not_equal(rc, CURLE_OK);
    assert_true(rc == CURLE_GOT_NOTHING || rc == CURLE_RECV_ERROR);
    assert_int_equal(b.len, 0);
    assert_int_equal(fake_http_request_count(s), 1); /* the request was still recorded */

    /* the server keeps working afterwards */
    assert_int_equal(do_get(s, "/next", &st, &b, NULL), CURLE_OK);
    assert_string_equal(b.p, "after");
    buf_free(&b);
}

static void test_header_lookup(void **state)
{
    fake_http_server *s = *state;
    fake_http_reply ok = {.status = 200, .body = "{}", .body_len = -1};
    fake_http_push_reply(s, &ok);

    CURL *c = mk_easy(s, "/h", NULL, NULL);
    struct curl_slist *hl = curl_slist_append(NULL, "X-Api-Key: secret");
    hl = curl_slist_append(hl, "authorization: Bearer tok");
    hl = curl_slist_append(hl, "X-Spaces:    padded value   ");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    buf b = {0};
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, buf_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_cleanup(c);
    curl_slist_free_all(hl);
    buf_free(&b);

    const fake_http_request *r = fake_http_request_at(s, 0);
    assert_non_null(r);
    assert_string_equal(fake_http_request_header(r, "x-api-key"), "secret");
    assert_string_equal(fake_http_request_header(r, "X-API-KEY"), "secret");
    assert_string_equal(fake_http_request_header(r, "Authorization"), "Bearer tok");
    assert_string_equal(fake_http_request_header(r, "x-spaces"), "padded value");
    assert_non_null(fake_http_request_header(r, "host"));
    assert_null(fake_http_request_header(r, "X-Missing"));
    assert_null(fake_http_request_header(r, "X-Api"));
    assert_null(fake_http_request_header(NULL, "Host"));
}

typedef struct conc_ctx {
    pthread_mutex_t mu;
    int inflight, max_inflight, calls;
} conc_ctx;

static void slow_handler(const fake_http_request *req, fake_http_reply *out, void *ud)
{
    conc_ctx *ctx = ud;
    pthread_mutex_lock(&ctx->mu);
    ctx->calls++;
    if (++ctx->inflight > ctx->max_inflight)
        ctx->max_inflight = ctx->inflight;
    pthread_mutex_unlock(&ctx->mu);
    sleep_ms(300);
    pthread_mutex_lock(&ctx->mu);
    ctx->inflight--;
    pthread_mutex_unlock(&ctx->mu);
    out->body = fake_http_printf(req, "{\"path\":\"%s\"}", req->path);
}

static void test_concurrent_64(void **state)
{
    enum { N = 64 };
    fake_http_server *s = *state;
    conc_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    pthread_mutex_init(&ctx.mu, NULL);
    fake_http_set_handler(s, slow_handler, &ctx);

    CURLM *m = curl_multi_init();
    assert_non_null(m);
    CURL *hs[N];
    buf bodies[N];
    memset(bodies, 0, sizeof bodies);
    for (int i = 0; i < N; i++) {
        char path[32];
        snprintf(path, sizeof path, "/req/%d", i);
        hs[i] = mk_easy(s, path, &bodies[i], NULL);
        curl_easy_setopt(hs[i], CURLOPT_PRIVATE, &bodies[i]);
        curl_multi_add_handle(m, hs[i]);
    }
    double t0 = now_s();
    int running = 1;
    while (running) {
        assert_int_equal(curl_multi_perform(m, &running), CURLM_OK);
        if (running)
            assert_int_equal(curl_multi_poll(m, NULL, 0, 1000, NULL), CURLM_OK);
    }
    double took = now_s() - t0;
    int done = 0;
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(m, &left))) {
        if (msg->msg == CURLMSG_DONE) {
            assert_int_equal(msg->data.result, CURLE_OK);
            assert_int_equal(status_of(msg->easy_handle), 200);
            done++;
        }
    }
    assert_int_equal(done, N);
    for (int i = 0; i < N; i++) {
        char expect[48];
        snprintf(expect, sizeof expect, "{\"path\":\"/req/%d\"}", i);
        assert_non_null(bodies[i].p);
        assert_string_equal(bodies[i].p, expect);
        curl_multi_remove_handle(m, hs[i]);
        curl_easy_cleanup(hs[i]);
        buf_free(&bodies[i]);
    }
    curl_multi_cleanup(m);

    assert_int_equal(fake_http_request_count(s), N);
    pthread_mutex_lock(&ctx.mu);
    int calls = ctx.calls, max_inflight = ctx.max_inflight;
    pthread_mutex_unlock(&ctx.mu);
    assert_int_equal(calls, N);
    /* served in parallel: 64 x 300 ms serially would take 19 s */
    assert_true(max_inflight >= N / 2);
    assert_true(took < 8.0);
    unsigned long ids_seen = 0;
    for (int i = 0; i < N; i++)
        ids_seen += fake_http_request_at(s, (size_t)i)->connection_id;
    assert_int_equal(ids_seen, (unsigned long)N * (N - 1) / 2); /* 64 distinct connections 0..63 */
    pthread_mutex_destroy(&ctx.mu);
}

static void test_streaming(void **state)
{
    fake_http_server *s = *state;
    const char *sse = "data: {\"t\":\"a\"}\n\ndata: {\"t\":\"b\"}\n\ndata: [DONE]\n\n";
    fake_http_reply st = {.status = 200,
                          .headers = "Content-Type: text/event-stream\r\n",
                          .body = sse,
                          .body_len = -1,
                          .stream_delay_ms = 150};
    fake_http_push_reply(s, &st);
    fake_http_reply trunc = st;
    trunc.truncate = 1;
    fake_http_push_reply(s, &trunc);

    buf b = {0}, h = {0};
    long code = 0;
    double t0 = now_s();
    assert_int_equal(do_get(s, "/stream", &code, &b, &h), CURLE_OK);
    double took = now_s() - t0;
    assert_int_equal(code, 200);
    assert_string_equal(b.p, sse);
    assert_non_null(strstr(h.p, "Transfer-Encoding: chunked\r\n"));
    assert_non_null(strstr(h.p, "Content-Type: text/event-stream\r\n"));
    assert_null(strstr(h.p, "Content-Length"));
    assert_true(b.writes >= 3);
    assert_true(took >= 0.29);                  /* two pauses of 150 ms */
    assert_true(took - (b.first_write_at - t0) >= 0.2); /* first event came well before the end */
    buf_free(&b);
    buf_free(&h);

    /* truncated stream: connection dropped before the last chunk */
    assert_int_not_equal(do_get(s, "/stream", &code, &b, NULL), CURLE_OK);
    assert_true(b.len < strlen(sse));
    buf_free(&b);
}

/* Raw socket: pipelined requests, HTTP/1.0, bad requests. */
static int raw_connect(const fake_http_server *s)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)fake_http_port(s));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

/* Reads until EOF (or 3 s); returns a malloc'd NUL-terminated string. */
static char *raw_read_all(int fd)
{
    size_t cap = 4096, len = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    double deadline = now_s() + 3.0;
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        int left = (int)((deadline - now_s()) * 1000);
        if (left <= 0 || poll(&p, 1, left) <= 0)
            break;
        if (len + 1024 > cap) {
            cap *= 2;
            out = realloc(out, cap);
            assert_non_null(out);
        }
        ssize_t n = recv(fd, out + len, cap - len - 1, 0);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    out[len] = '\0';
    return out;
}

static void test_raw_protocol(void **state)
{
    fake_http_server *s = *state;
    fake_http_reply a = {.body = "A", .body_len = -1};
    fake_http_reply b = {.body = "BB", .body_len = -1};
    fake_http_push_reply(s, &a);
    fake_http_push_reply(s, &b);

    /* two pipelined requests in one write; the second asks to close */
    int fd = raw_connect(s);
    const char *req = "POST /p1 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                      "GET /p2 HTTP/1.1\nHost: x\nConnection: close\n\n"; /* bare LF tolerated */
    assert_int_equal(send(fd, req, strlen(req), 0), (ssize_t)strlen(req));
    char *resp = raw_read_all(fd);
    close(fd);
    const char *second = strstr(resp, "HTTP/1.1 200 OK\r\n");
    assert_non_null(second);
    second = strstr(second + 1, "HTTP/1.1 200 OK\r\n");
    assert_non_null(second);
    assert_non_null(strstr(resp, "Content-Length: 1\r\n"));
    assert_non_null(strstr(second, "Connection: close\r\n"));
    assert_non_null(strstr(second, "\r\n\r\nBB"));
    free(resp);
    assert_int_equal(fake_http_request_count(s), 2);
    assert_string_equal(fake_http_request_at(s, 0)->body, "abc");
    assert_string_equal(fake_http_request_at(s, 1)->path, "/p2");

    /* HTTP/1.0 without keep-alive: server closes after the reply */
    fd = raw_connect(s);
    const char *r10 = "GET /old HTTP/1.0\r\n\r\n";
    assert_int_equal(send(fd, r10, strlen(r10), 0), (ssize_t)strlen(r10));
    resp = raw_read_all(fd);
    close(fd);
    assert_non_null(strstr(resp, "HTTP/1.1 500 Internal Server Error\r\n"));
    assert_non_null(strstr(resp, "Connection: close\r\n"));
    assert_non_null(strstr(resp, "{\"error\":\"no scripted reply\"}"));
    free(resp);

    /* garbage: 400 and close, nothing recorded */
    fd = raw_connect(s);
    const char *bad = "NONSENSE\r\n\r\n";
    assert_int_equal(send(fd, bad, strlen(bad), 0), (ssize_t)strlen(bad));
    resp = raw_read_all(fd);
    close(fd);
    assert_non_null(strstr(resp, "HTTP/1.1 400 Bad Request\r\n"));
    free(resp);

    /* a client that connects and leaves without sending anything */
    fd = raw_connect(s);
    close(fd);

    /* HEAD: headers with Content-Length, no body */
    fake_http_reply h = {.body = "12345", .body_len = -1};
    fake_http_push_reply(s, &h);
    fd = raw_connect(s);
    const char *head = "HEAD /h HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    assert_int_equal(send(fd, head, strlen(head), 0), (ssize_t)strlen(head));
    resp = raw_read_all(fd);
    close(fd);
    assert_non_null(strstr(resp, "Content-Length: 5\r\n"));
    assert_null(strstr(resp, "12345"));
    free(resp);
    assert_int_equal(fake_http_request_count(s), 4);
}

/* Sends all of data (a server that answers early may close first: errors are ignored). */
static void raw_send_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n <= 0)
            return;
        data += n;
        len -= (size_t)n;
    }
}

/* Trailers of a chunked body are read and dropped; the request line, headers and
 * trailers share one 1 MiB budget: many short header lines over it get 431. */
static void test_raw_trailers_and_header_budget(void **state)
{
    fake_http_server *s = *state;
    fake_http_reply a = {.body = "T", .body_len = -1};
    fake_http_push_reply(s, &a);
    int fd = raw_connect(s);
    const char *chunked = "POST /t HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                          "Connection: close\r\n\r\n3\r\nabc\r\n0\r\nX-Trailer: 1\r\n\r\n";
    raw_send_all(fd, chunked, strlen(chunked));
    char *resp = raw_read_all(fd);
    close(fd);
    assert_non_null(strstr(resp, "HTTP/1.1 200 OK\r\n"));
    assert_non_null(strstr(resp, "\r\n\r\nT"));
    free(resp);
    assert_int_equal(fake_http_request_count(s), 1);
    assert_string_equal(fake_http_request_at(s, 0)->body, "abc");
    assert_null(fake_http_request_header(fake_http_request_at(s, 0), "x-trailer"));

    /* 1100 header lines of 1000 bytes: each under the limit, together over it */
    size_t line_len = 1000, n_lines = 1100, len = 0;
    char *big = malloc(64 + line_len * n_lines);
    assert_non_null(big);
    len += (size_t)snprintf(big, 64, "GET /big HTTP/1.1\r\n");
    for (size_t i = 0; i < n_lines; i++) {
        int k = snprintf(big + len, 32, "X-H%zu: ", i);
        len += (size_t)k;
        memset(big + len, 'v', line_len - (size_t)k - 2);
        len += line_len - (size_t)k - 2;
        memcpy(big + len, "\r\n", 2);
        len += 2;
    }
    memcpy(big + len, "\r\n", 2);
    len += 2;
    fd = raw_connect(s);
    raw_send_all(fd, big, len);
    resp = raw_read_all(fd);
    close(fd);
    free(big);
    assert_non_null(strstr(resp, "HTTP/1.1 431 "));
    free(resp);
    assert_int_equal(fake_http_request_count(s), 1); /* not recorded */
}

static void test_stop_with_idle_connections(void **state)
{
    fake_http_server *s = *state;
    /* idle keep-alive connections and a half-sent request must not block stop */
    int fd1 = raw_connect(s);
    int fd2 = raw_connect(s);
    const char *partial = "POST /x HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc";
    assert_int_equal(send(fd2, partial, strlen(partial), 0), (ssize_t)strlen(partial));
    sleep_ms(50);
    double t0 = now_s();
    fake_http_stop(s);
    *state = NULL;
    assert_true(now_s() - t0 < 1.0);
    close(fd1);
    close(fd2);
    fake_http_stop(NULL);
}

int main(void)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_start_url_port, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scripted_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_reply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handler, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keep_alive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expect_100_continue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chunked_body, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delay_and_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_body, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_without_reply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_lookup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_64, setup, teardown),
        cmocka_unit_test_setup_teardown(test_streaming, setup, teardown),
        cmocka_unit_test_setup_teardown(test_raw_protocol, setup, teardown),
        cmocka_unit_test_setup_teardown(test_raw_trailers_and_header_budget, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_with_idle_connections, setup, teardown),
    };
    int failed = cmocka_run_group_tests_name("fake_http", tests, NULL, NULL);
    curl_global_cleanup();
    return failed;
}
