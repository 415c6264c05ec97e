/* Cassettes: record, stable files without secrets, replay by identity and request,
 * misses that say what changed, re-recording that keeps the rest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/util.h"
#include "store/cassette.h"

#define SECRET "sk-test-SECRET-0123456789"

typedef struct fx {
    char dir[64];
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof f->dir, "/tmp/llmt-cassette-XXXXXX");
    if (!f || !mkdtemp(f->dir))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    char *cmd = llmt_asprintf("rm -rf '%s'", f->dir);
    if (cmd && system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", f->dir);
    free(cmd);
    free(f);
    return 0;
}

static llmt_cassette_entry exchange(const char *task, const char *kase, const char *model,
                                    int repeat, const char *request, const char *reply)
{
    llmt_cassette_entry e;
    memset(&e, 0, sizeof e);
    e.task = task;
    e.kase = kase;
    e.model = model;
    e.repeat = repeat;
    e.attempt = 1;
    e.key = "k";
    e.request = request;
    e.reply = reply;
    e.reply_len = reply ? strlen(reply) : 0;
    e.http_status = 200;
    e.input_tokens = 120;
    e.output_tokens = 30;
    e.latency_ms = 812.5;
    e.cost_known = true;
    e.cost_usd = 0.000123;
    return e;
}

static char *read_all(const char *dir, const char *name)
{
    char *path = llmt_path_join(dir, name), *text = NULL;
    llmt_error err;
    if (llmt_read_file(path, &text, NULL, &err) != LLMT_OK)
        text = NULL;
    free(path);
    return text;
}

static const char *REQ = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}],"
                         "\"temperature\":0}";

static void record(fx *f)
{
    llmt_cassette *c = NULL;
    llmt_error err;
    const char *secrets[] = {SECRET, "short"};
    llmt_cassette_entry e;
    assert_int_equal(llmt_cassette_open(&c, f->dir, LLMT_CASSETTE_RECORD, &err), LLMT_OK);
    assert_int_equal(llmt_cassette_redact(c, secrets, 2), LLMT_OK);
    e = exchange("t2", "b", "openai:m", 0, REQ, "{\"echo\":\"" SECRET "\"}");
    assert_int_equal(llmt_cassette_put(c, &e, &err), LLMT_OK);
    e = exchange("t1", "z", "openai:m", 1, REQ, "{\"id\":2}");
    assert_int_equal(llmt_cassette_put(c, &e, &err), LLMT_OK);
    e = exchange("t1", "a", "openai:m", 0, REQ, "{\"id\":1}\n\x01 raw");
    assert_int_equal(llmt_cassette_put(c, &e, &err), LLMT_OK);
    e = exchange("t1", "z", "openai:m", 0, REQ, "{\"id\":3}");
    assert_int_equal(llmt_cassette_put(c, &e, &err), LLMT_OK);
    assert_int_equal(llmt_cassette_count(c), 4);
    assert_int_equal(llmt_cassette_write(c, &err), LLMT_OK);
    llmt_cassette_free(c);
}

static void test_cassette_files_sorted_and_without_secrets(void **state)
{
    fx *f = *state;
    char *t1, *t2;
    record(f);
    t1 = read_all(f->dir, "t1.jsonl");
    t2 = read_all(f->dir, "t2.jsonl");
    assert_non_null(t1);
    assert_non_null(t2);
    /* one line per exchange, by case, then repeat; the request embedded as JSON */
    assert_true(strstr(t1, "\"case\":\"a\"") < strstr(t1, "\"case\":\"z\",\"model\":\"openai:m\",\"repeat\":0"));
    assert_true(strstr(t1, "\"repeat\":0,\"attempt\":1,\"status\":200") != NULL);
    assert_true(strstr(t1, "\"request\":{\"model\":\"m\",\"messages\":[{\"role\":\"user\"") != NULL);
    assert_null(strstr(t2, SECRET));
    assert_non_null(strstr(t2, "[REDACTED]"));
    free(t1);
    free(t2);
}

static void test_cassette_replay_finds_and_misses(void **state)
{
    fx *f = *state;
    llmt_cassette *c = NULL;
    llmt_error err;
    const llmt_cassette_entry *got = NULL;
    llmt_cassette_entry who = exchange("t1", "a", "openai:m", 0, NULL, NULL);
    record(f);
    assert_int_equal(llmt_cassette_open(&c, f->dir, LLMT_CASSETTE_REPLAY, &err), LLMT_OK);
    /* the same request, written otherwise (spacing, key order), is the same request */
    assert_int_equal(llmt_cassette_find(c, &who,
                                        "{\"temperature\":0, \"model\":\"m\",\"messages\":"
                                        "[{\"content\":\"hello\",\"role\":\"user\"}]}",
                                        &got, &err), LLMT_OK);
    assert_int_equal(got->reply_len, strlen("{\"id\":1}\n\x01 raw"));
    assert_memory_equal(got->reply, "{\"id\":1}\n\x01 raw", got->reply_len);
    assert_int_equal(got->input_tokens, 120);
    assert_true(got->cost_known);
    /* a changed prompt: the miss names the field */
    assert_int_equal(llmt_cassette_find(c, &who,
                                        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
                                        "\"content\":\"HELLO\"}],\"temperature\":0}",
                                        &got, &err), LLMT_E_NOT_RECORDED);
    assert_non_null(strstr(err.message, "t1/a with openai:m"));
    assert_non_null(strstr(err.message, "changed since it was recorded: /messages/0/content differs"));
    assert_non_null(strstr(err.message, "--record"));
    /* an added field */
    assert_int_equal(llmt_cassette_find(c, &who,
                                        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
                                        "\"content\":\"hello\"}],\"temperature\":0,\"seed\":1}",
                                        &got, &err), LLMT_E_NOT_RECORDED);
    assert_non_null(strstr(err.message, "/seed was added"));
    /* never recorded */
    who.kase = "new_case";
    assert_int_equal(llmt_cassette_find(c, &who, REQ, &got, &err), LLMT_E_NOT_RECORDED);
    assert_non_null(strstr(err.message, "t1/new_case with openai:m (repeat 0, attempt 1) is not recorded"));
    assert_string_equal(llmt_status_name(LLMT_E_NOT_RECORDED), "not_recorded");
    llmt_cassette_free(c);
}

static void test_cassette_rerecord_keeps_the_rest(void **state)
{
    fx *f = *state;
    llmt_cassette *c = NULL;
    llmt_error err;
    const llmt_cassette_entry *got = NULL;
    llmt_cassette_entry e = exchange("t1", "z", "openai:m", 0, REQ, "{\"id\":33}");
    record(f);
    assert_int_equal(llmt_cassette_open(&c, f->dir, LLMT_CASSETTE_RECORD, &err), LLMT_OK);
    assert_int_equal(llmt_cassette_count(c), 4);
    assert_int_equal(llmt_cassette_put(c, &e, &err), LLMT_OK);
    assert_int_equal(llmt_cassette_count(c), 4);
    assert_int_equal(llmt_cassette_write(c, &err), LLMT_OK);
    llmt_cassette_free(c);
    assert_int_equal(llmt_cassette_open(&c, f->dir, LLMT_CASSETTE_REPLAY, &err), LLMT_OK);
    assert_int_equal(llmt_cassette_find(c, &e, REQ, &got, &err), LLMT_OK);
    assert_string_equal(got->reply, "{\"id\":33}");
    e.kase = "a";
    assert_int_equal(llmt_cassette_find(c, &e, REQ, &got, &err), LLMT_OK);
    llmt_cassette_free(c);
}

static void test_cassette_bad_input_named(void **state)
{
    fx *f = *state;
    llmt_cassette *c = NULL;
    llmt_error err;
    char *missing = llmt_path_join(f->dir, "nothing"), *bad = llmt_path_join(f->dir, "t.jsonl");
    FILE *fp;
    assert_int_equal(llmt_cassette_open(&c, missing, LLMT_CASSETTE_REPLAY, &err), LLMT_E_CONFIG);
    assert_non_null(strstr(err.message, missing));
    assert_int_equal(llmt_cassette_open(&c, f->dir, LLMT_CASSETTE_REPLAY, &err), LLMT_E_CONFIG);
    assert_non_null(strstr(err.message, "no cassette there"));
    fp = fopen(bad, "w");
    assert_non_null(fp);
    fputs("{\"case\":\"a\",\"model\":\"m:x\",\"repeat\":0,\"attempt\":1}\n{\"case\":\"a\"\n", fp);
    fclose(fp);
    assert_int_equal(llmt_cassette_open(&c, f->dir, LLMT_CASSETTE_REPLAY, &err), LLMT_E_PARSE);
    assert_non_null(strstr(err.message, "t.jsonl line 2"));
    assert_null(c);
    free(missing);
    free(bad);
}

/* A 429 with its hint: only the allow-listed headers are kept (names lower-cased, a key
 * in a value redacted), and they come back on replay with the time the reply came. */
static void test_cassette_headers_allow_listed(void **state)
{
    fx *f = *state;
    llmt_cassette *c = NULL;
    llmt_error err;
    const char *secrets[] = {SECRET};
    const llmt_cassette_entry *got = NULL;
    llmt_http_header h[] = {{"Retry-After", "2"},
                            {"authorization", "Bearer " SECRET},
                            {"set-cookie", "session=abc"},
                            {"x-ratelimit-remaining-requests", "0"},
                            {"x-request-id", "req_" SECRET},
                            {"openai-organization", "org-1"}};
    llmt_http_response view;
    llmt_cassette_entry e = exchange("t1", "a", "openai:m", 0, REQ, "{\"error\":{}}");
    char *t1;
    e.http_status = 429;
    e.headers = h;
    e.n_headers = sizeof h / sizeof h[0];
    e.received_at = 1790000000.25;
    e.at_ms = 0;
    assert_int_equal(llmt_cassette_open(&c, f->dir, LLMT_CASSETTE_RECORD, &err), LLMT_OK);
    assert_int_equal(llmt_cassette_redact(c, secrets, 1), LLMT_OK);
    assert_int_equal(llmt_cassette_put(c, &e, &err), LLMT_OK);
    e.attempt = 2;
    e.http_status = 200;
    e.headers = NULL;
    e.n_headers = 0;
    e.at_ms = 2004.5;
    assert_int_equal(llmt_cassette_put(c, &e, &err), LLMT_OK);
    assert_int_equal(llmt_cassette_write(c, &err), LLMT_OK);
    llmt_cassette_free(c);
    t1 = read_all(f->dir, "t1.jsonl");
    assert_non_null(t1);
    assert_null(strstr(t1, SECRET));
    assert_null(strstr(t1, "uthorization"));
    assert_null(strstr(t1, "cookie"));
    assert_null(strstr(t1, "org-1"));
    assert_non_null(strstr(t1, "\"headers\":{\"retry-after\":\"2\",\"x-ratelimit-remaining-requests\":\"0\","
                               "\"x-request-id\":\"req_[REDACTED]\"}"));
    assert_non_null(strstr(t1, "\"format\":2,"));
    free(t1);
    assert_int_equal(llmt_cassette_open(&c, f->dir, LLMT_CASSETTE_REPLAY, &err), LLMT_OK);
    e.attempt = 1;
    assert_int_equal(llmt_cassette_find(c, &e, REQ, &got, &err), LLMT_OK);
    assert_int_equal(got->http_status, 429);
    assert_int_equal(got->n_headers, 3);
    memset(&view, 0, sizeof view);
    view.headers = got->headers;
    view.n_headers = got->n_headers;
    assert_string_equal(llmt_http_response_header(&view, "retry-after"), "2");
    assert_true(got->received_at == 1790000000.25);
    assert_true(got->at_ms == 0);
    e.attempt = 2;
    assert_int_equal(llmt_cassette_find(c, &e, REQ, &got, &err), LLMT_OK);
    assert_true(got->at_ms == 2004.5);
    assert_int_equal(got->n_headers, 0);
    llmt_cassette_free(c);
}

/* A failure without a reply keeps what steers its retry: retryable, HTTP status, hint. */
static void test_cassette_failure_detail(void **state)
{
    fx *f = *state;
    llmt_cassette *c = NULL;
    llmt_error err;
    const llmt_cassette_entry *got = NULL;
    llmt_cassette_entry e = exchange("t1", "a", "mock:rules", 0, "key-of-the-request", NULL);
    e.http_status = 0;
    e.error_class = "rate_limit";
    e.error_message = "mock: simulated rate_limit";
    e.error_detail = true;
    e.error_retryable = true;
    e.error_http_status = 429;
    e.error_retry_after_s = 1.5;
    e.error_code = "mock_rate_limit";
    assert_int_equal(llmt_cassette_open(&c, f->dir, LLMT_CASSETTE_RECORD, &err), LLMT_OK);
    assert_int_equal(llmt_cassette_put(c, &e, &err), LLMT_OK);
    assert_int_equal(llmt_cassette_write(c, &err), LLMT_OK);
    llmt_cassette_free(c);
    assert_int_equal(llmt_cassette_open(&c, f->dir, LLMT_CASSETTE_REPLAY, &err), LLMT_OK);
    assert_int_equal(llmt_cassette_find(c, &e, "key-of-the-request", &got, &err), LLMT_OK);
    assert_true(got->error_detail);
    assert_true(got->error_retryable);
    assert_int_equal(got->error_http_status, 429);
    assert_true(got->error_retry_after_s == 1.5);
    assert_string_equal(got->error_code, "mock_rate_limit");
    assert_string_equal(got->error_class, "rate_limit");
    llmt_cassette_free(c);
}

/* A cassette written before formats were numbered (format 1: no headers, no times, a
 * failure's class and message only) still replays; a newer format is refused by name. */
static void test_cassette_format1_and_newer(void **state)
{
    fx *f = *state;
    llmt_cassette *c = NULL;
    llmt_error err;
    const llmt_cassette_entry *got = NULL;
    char *src = llmt_strdup(LLMT_SOURCE_DIR "/tests/fixtures/cassettes/format1/job_ads.jsonl");
    char *dst = llmt_path_join(f->dir, "job_ads.jsonl"), *text = NULL, *path;
    size_t len = 0;
    llmt_cassette_entry who = exchange("job_ads", "nurse_part_time", "openai:gpt-4.1-mini", 0,
                                       NULL, NULL);
    FILE *fp;
    assert_int_equal(llmt_read_file(src, &text, &len, &err), LLMT_OK);
    assert_int_equal(llmt_write_file_atomic(dst, text, len, &err), LLMT_OK);
    assert_int_equal(llmt_cassette_open(&c, f->dir, LLMT_CASSETTE_REPLAY, &err), LLMT_OK);
    assert_int_equal(llmt_cassette_count(c), 3);
    who.attempt = 2;
    assert_int_equal(llmt_cassette_find(c, &who, "{\"model\":\"gpt-4.1-mini\",\"messages\":[]}",
                                        &got, &err), LLMT_OK);
    assert_int_equal(got->http_status, 200);
    assert_int_equal(got->n_headers, 0);
    assert_true(got->at_ms < 0);
    assert_false(got->error_detail);
    who.attempt = 1;
    assert_int_equal(llmt_cassette_find(c, &who, "{\"model\":\"gpt-4.1-mini\",\"messages\":[]}",
                                        &got, &err), LLMT_OK);
    assert_string_equal(got->error_class, "timeout");
    assert_false(got->error_detail);
    llmt_cassette_free(c);
    path = llmt_path_join(f->dir, "later.jsonl");
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("{\"format\":9,\"case\":\"a\",\"model\":\"m:x\",\"repeat\":0,\"attempt\":1}\n", fp);
    fclose(fp);
    assert_int_equal(llmt_cassette_open(&c, f->dir, LLMT_CASSETTE_REPLAY, &err), LLMT_E_PARSE);
    assert_non_null(strstr(err.message, "later.jsonl line 1: format 9"));
    assert_non_null(strstr(err.message, "record it again"));
    free(path);
    free(src);
    free(dst);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cassette_files_sorted_and_without_secrets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cassette_replay_finds_and_misses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cassette_rerecord_keeps_the_rest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cassette_bad_input_named, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cassette_headers_allow_listed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cassette_failure_detail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cassette_format1_and_newer, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
