/* The host's toolkit (llmt_host_api, src/provider/host_api.c): every slot of the current
 * version is filled, the JSON writer prints as the library does, the wire state's public
 * view, the init op's refusal of an older host, the files + batches ops of a described
 * API, the end of a reply parse, and the batch joins (a caller's writer per line). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include <math.h>

#include "core/jsonw.h"
#include "llmt/provider.h"
#include "provider/host_api.h"

/* The slots are function pointers after `version`: none may be NULL. */
static void every_slot_filled(void **state)
{
    const llmt_host_api *h = llmt_host();
    const unsigned char *p = (const unsigned char *)h + offsetof(llmt_host_api, error_set);
    const unsigned char *end = (const unsigned char *)h + sizeof *h;
    size_t n = 0;
    (void)state;
    assert_int_equal(h->version, LLMT_HOST_API_VERSION);
    assert_true(LLMT_HOST_HAS_V2(h));
    for (; p + sizeof(void (*)(void)) <= end; p += sizeof(void (*)(void)), n++) {
        void (*fn)(void);
        memcpy(&fn, p, sizeof fn);
        if (!fn)
            fail_msg("slot %zu of llmt_host_api is NULL", n);
    }
    assert_true(n > 50);
}

/* jw_* write what the library's printer writes for the same tree. */
static void writer_prints_as_the_library(void **state)
{
    const llmt_host_api *h = llmt_host();
    llmt_host_jw *w = h->jw_new();
    json_t *tree = json_pack("{s:s, s:f, s:I, s:[s]}", "text", "caf\xc3\xa9 \"q\"\n", "t",
                             0.7, "n", (json_int_t)-42, "a", "x");
    char *want = llmt_json_dumps_compact(tree, false), *got;
    size_t len = 0;
    (void)state;
    assert_non_null(w);
    h->jw_raw(w, "{\"text\":");
    assert_true(h->jw_string(w, "caf\xc3\xa9 \"q\"\n"));
    h->jw_raw(w, ",\"t\":");
    assert_true(h->jw_number(w, 0.7));
    h->jw_raw(w, ",\"n\":");
    h->jw_integer(w, -42);
    h->jw_raw(w, ",\"a\":[");
    assert_true(h->jw_string(w, "x"));
    h->jw_raw(w, "]}");
    got = h->jw_finish(w, &len);
    assert_string_equal(got, want);
    assert_int_equal(len, strlen(want));
    /* not UTF-8, not finite: refused */
    w = h->jw_new();
    assert_false(h->jw_string(w, "\xff"));
    assert_false(h->jw_number(w, HUGE_VAL));
    free(h->jw_finish(w, NULL));
    assert_null(h->jw_finish(NULL, NULL));
    free(got);
    free(want);
    json_decref(tree);
}

static void settings_for(llmt_provider_settings *s, const char *key)
{
    memset(s, 0, sizeof *s);
    s->version = LLMT_PROVIDER_SETTINGS_VERSION;
    s->name = "acme";
    s->base_url = "http://127.0.0.1:9/v1/";
    s->api_key = key;
    s->config_json = "{\"options\": {\"org\": \"o-1\", \"num_ctx\": 4096, \"bad\": 1.5}}";
    s->host = llmt_host();
}

static void wire_state_and_requests(void **state)
{
    llmt_provider_settings s;
    llmt_http_request out;
    llmt_error err;
    void *w = NULL;
    const llmt_host_wire *pub;
    char *body;
    (void)state;
    settings_for(&s, "sk-1");
    assert_int_equal(llmt_host_wire_init_op(&w, &s, &err), LLMT_OK);
    pub = w;
    assert_ptr_equal(LLMT_HOST_OF(w), llmt_host());
    assert_string_equal(pub->name, "acme");
    assert_string_equal(pub->base_url, "http://127.0.0.1:9/v1/");
    assert_string_equal(pub->api_key, "sk-1");
    assert_string_equal(pub->host->option(w, "org", "x"), "o-1");
    assert_string_equal(pub->host->option(w, "nope", "x"), "x");
    assert_int_equal(pub->host->option_integer(w, "num_ctx", 0), 4096);
    assert_int_equal(pub->host->option_integer(w, "bad", -1), -1);

    /* a body and the key in a named header */
    memset(&out, 0, sizeof out);
    body = strdup("{}");
    assert_int_equal(pub->host->http_request(w, "POST", "/jobs", body, 2, "x-api-key", &out, &err),
                     LLMT_OK);
    assert_string_equal(out.url, "http://127.0.0.1:9/v1/jobs");
    assert_string_equal(out.method, "POST");
    assert_string_equal(out.body, "{}");
    assert_int_equal(out.n_headers, 2);
    assert_string_equal(out.headers[0].name, "Content-Type");
    assert_string_equal(out.headers[1].name, "x-api-key");
    assert_string_equal(out.headers[1].value, "sk-1");
    llmt_http_request_clear(&out);
    /* no body, a bearer key, the id in the path */
    assert_int_equal(pub->host->id_request(w, "GET", "jobs/%s", "b-7", &out, &err), LLMT_OK);
    assert_string_equal(out.url, "http://127.0.0.1:9/v1/jobs/b-7");
    assert_null(out.body);
    assert_int_equal(out.n_headers, 1);
    assert_string_equal(out.headers[0].value, "Bearer sk-1");
    llmt_http_request_clear(&out);
    llmt_host_wire_destroy_op(w);
    llmt_host_wire_destroy_op(NULL);
}

/* A host of version 1 (or settings without one) cannot run a provider built on v2. */
static void init_op_refuses_an_older_host(void **state)
{
    llmt_host_api old = *llmt_host();
    llmt_provider_settings s;
    llmt_error err;
    void *w = NULL;
    (void)state;
    old.version = 1;
    settings_for(&s, NULL);
    s.host = &old;
    assert_int_equal(llmt_host_wire_init_op(&w, &s, &err), LLMT_E_PLUGIN);
    assert_non_null(strstr(err.message, "version 2"));
    assert_null(w);
    s.host = NULL;
    assert_int_equal(llmt_host_wire_init_op(&w, &s, &err), LLMT_E_PLUGIN);
    assert_null(w);
}

static llmt_status build_echo(void *state, const llmt_request *req, llmt_http_request *out,
                              llmt_error *err)
{
    (void)state;
    (void)err;
    out->body = strdup(req->model);
    out->body_len = strlen(out->body);
    return LLMT_OK;
}

static char *create_body(const llmt_host_api *h, const llmt_batch_submit *s)
{
    return h->format("{\"file\":\"%s\"}", s->scratch);
}

static void read_status(const llmt_host_api *h, const json_t *root, const char *status,
                        llmt_batch_status *st)
{
    st->state = strcmp(status, "done") == 0 ? LLMT_BATCH_ENDED : LLMT_BATCH_RUNNING;
    st->total = h->json_long(json_object_get(root, "n"), -1);
}

static const llmt_host_files_batch api = {
    .limits = {.max_requests = 7, .max_bytes = 1000},
    .build = build_echo,
    .line_members = "\"m\":1",
    .jobs_path = "jobs",
    .create_body = create_body,
    .read_status = read_status,
};

static void files_batch_ops(void **state)
{
    llmt_provider_settings s;
    llmt_http_request out;
    llmt_http_response reply;
    llmt_batch_limits lim = {0};
    llmt_batch_status st;
    llmt_request req;
    llmt_error err;
    void *w = NULL;
    char *line = NULL;
    size_t len = 0;
    (void)state;
    settings_for(&s, "sk-1");
    /* without a described API the ops say so */
    assert_int_equal(llmt_host_wire_init_op(&w, &s, &err), LLMT_OK);
    memset(&out, 0, sizeof out);
    assert_int_equal(llmt_host_files_batch_poll_op(w, "b", &out, &err), LLMT_E_INTERNAL);
    llmt_host_wire_destroy_op(w);

    assert_int_equal(llmt_host_files_batch_init(&w, &s, &err, &api), LLMT_OK);
    llmt_host_files_batch_limits_op(w, &lim);
    assert_int_equal(lim.max_requests, 7);
    memset(&req, 0, sizeof req);
    req.model = "{\"x\":1}";
    assert_int_equal(llmt_host_files_batch_line_op(w, &req, "c-1", &line, &len, &err), LLMT_OK);
    assert_string_equal(line, "{\"custom_id\":\"c-1\",\"m\":1,\"body\":{\"x\":1}}");
    assert_int_equal(len, strlen(line));
    free(line);
    assert_int_equal(llmt_host_files_batch_cancel_op(w, "b-1", &out, &err), LLMT_OK);
    assert_string_equal(out.url, "http://127.0.0.1:9/v1/jobs/b-1/cancel");
    assert_string_equal(out.method, "POST");
    llmt_http_request_clear(&out);
    assert_int_equal(llmt_host_files_batch_poll_op(w, "b-1", &out, &err), LLMT_OK);
    assert_string_equal(out.url, "http://127.0.0.1:9/v1/jobs/b-1");
    assert_string_equal(out.method, "GET");
    llmt_http_request_clear(&out);

    memset(&reply, 0, sizeof reply);
    reply.status = 200;
    reply.body = "{\"status\":\"done\",\"n\":3}";
    reply.body_len = strlen(reply.body);
    memset(&st, 0, sizeof st);
    assert_int_equal(llmt_host_files_batch_status_op(w, &reply, &st, &err), LLMT_OK);
    assert_string_equal(st.state_text, "done");
    assert_int_equal(st.state, LLMT_BATCH_ENDED);
    assert_int_equal(st.total, 3);
    llmt_batch_status_clear(&st);
    reply.body = "{\"n\":3}";
    reply.body_len = strlen(reply.body);
    assert_int_equal(llmt_host_files_batch_status_op(w, &reply, &st, &err), LLMT_E_BAD_RESPONSE);
    assert_non_null(strstr(err.message, "acme: the batch has no status"));
    llmt_batch_status_clear(&st);
    llmt_host_wire_destroy_op(w);
}

static void reply_end(void **state)
{
    const llmt_host_api *h = llmt_host();
    llmt_http_response http;
    llmt_response out;
    llmt_error err;
    (void)state;
    memset(&http, 0, sizeof http);
    http.status = 200;
    http.body = "{\"text\":\"\"}";
    http.body_len = strlen(http.body);
    memset(&out, 0, sizeof out);
    out.model = strdup("m");
    assert_int_equal(h->reply_end(&http, LLMT_OK, "stop", "length", &out, &err),
                     LLMT_E_BAD_RESPONSE);
    assert_string_equal(err.message, "the reply has no text (stop length): {\"text\":\"\"}");
    assert_null(out.model); /* cleared */
    out.text = strdup("hi");
    assert_int_equal(h->reply_end(&http, LLMT_OK, "stop", NULL, &out, &err), LLMT_OK);
    assert_string_equal(out.text, "hi");
    /* an earlier failure stands, and clears the reply */
    assert_int_equal(h->reply_end(&http, LLMT_E_SERVER, "stop", NULL, &out, &err), LLMT_E_SERVER);
    assert_null(out.text);
}

/* batch_join_with's writer: each line upper-cased through jw_bytes; "bad" is refused */
static llmt_status upper_line(void *ud, llmt_host_jw *w, const char *line, size_t n,
                              llmt_error *err)
{
    const llmt_host_api *h = ud;
    char buf[16];
    size_t i;
    if (n == 3 && memcmp(line, "bad", 3) == 0)
        return h->error_set(err, LLMT_E_INVALID_ARG, "line %.*s refused", (int)n, line);
    assert_true(n < sizeof buf);
    for (i = 0; i < n; i++)
        buf[i] = (char)(line[i] >= 'a' && line[i] <= 'z' ? line[i] - 'a' + 'A' : line[i]);
    h->jw_raw(w, "\"");
    h->jw_bytes(w, buf, n);
    h->jw_raw(w, "\"");
    return LLMT_OK;
}

/* The batch joins: lines (empty ones skipped) between a prefix and a suffix, copied or
 * written by the caller's writer, whose failure ends the join. */
static void batch_joins(void **state)
{
    const llmt_host_api *h = llmt_host();
    static const char lines[] = "{\"a\":1}\n\n{\"b\":2}\n";
    llmt_batch_submit s;
    llmt_error err;
    char *body = NULL;
    size_t len = 0;
    (void)state;
    memset(&s, 0, sizeof s);
    s.lines = lines;
    s.lines_len = strlen(lines);
    assert_int_equal(h->batch_join(&s, "[", "]", &body, &len, &err), LLMT_OK);
    assert_string_equal(body, "[{\"a\":1},{\"b\":2}]");
    free(body);
    assert_int_equal(h->batch_join_with(&s, "[", "]", NULL, NULL, &body, &len, &err), LLMT_OK);
    assert_string_equal(body, "[{\"a\":1},{\"b\":2}]");
    free(body);
    s.lines = "ab\ncd";
    s.lines_len = 5;
    assert_int_equal(h->batch_join_with(&s, "{\"x\":[", "]}", upper_line, (void *)h, &body, &len,
                                        &err),
                     LLMT_OK);
    assert_string_equal(body, "{\"x\":[\"AB\",\"CD\"]}");
    assert_int_equal(len, strlen(body));
    free(body);
    body = NULL;
    s.lines = "ok\nbad\nok";
    s.lines_len = strlen(s.lines);
    assert_int_equal(h->batch_join_with(&s, "[", "]", upper_line, (void *)h, &body, &len, &err),
                     LLMT_E_INVALID_ARG);
    assert_string_equal(err.message, "line bad refused");
    assert_null(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_slot_filled),
        cmocka_unit_test(writer_prints_as_the_library),
        cmocka_unit_test(wire_state_and_requests),
        cmocka_unit_test(init_op_refuses_an_older_host),
        cmocka_unit_test(files_batch_ops),
        cmocka_unit_test(reply_end),
        cmocka_unit_test(batch_joins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
