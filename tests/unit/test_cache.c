/* Response cache: exact-request keys, round trip, stats, clear; no secrets inside. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/util.h"
#include "store/cache.h"

static llmt_request base_request(llmt_message *msg)
{
    llmt_request r;
    memset(&r, 0, sizeof r);
    r.version = LLMT_REQUEST_VERSION;
    r.model = "m1";
    r.system_prompt = "sys";
    msg->role = "user";
    msg->content = "extract this";
    r.messages = msg;
    r.n_messages = 1;
    r.json_schema = "{\"type\":\"object\"}";
    r.max_tokens = 100;
    return r;
}

static void test_key_changes_with_every_input(void **state)
{
    llmt_message msg, msg2 = {"user", "extract that"};
    llmt_request r = base_request(&msg), v;
    char *k0 = llmt_cache_key("p", &r), *k;
    unsigned char img1[] = {1, 2, 3}, img2[] = {1, 2, 4};
    llmt_file f = {"a.png", "image/png", img1, 3};
    (void)state;
    k = llmt_cache_key("p", &r);
    assert_string_equal(k0, k); /* deterministic */
    free(k);
#define DIFFERS(mutate)                                   \
    do {                                                  \
        v = r;                                            \
        mutate;                                           \
        k = llmt_cache_key("p", &v);                      \
        assert_string_not_equal(k0, k);                   \
        free(k);                                          \
    } while (0)
    DIFFERS(v.model = "m2");
    DIFFERS(v.system_prompt = "other");
    DIFFERS(v.messages = &msg2);
    DIFFERS(v.json_schema = NULL);
    DIFFERS(v.max_tokens = 200);
    DIFFERS(v.temperature = 0.5);
    DIFFERS(v.structured_mode = LLMT_STRUCTURED_JSON_SCHEMA);
    DIFFERS((v.files = &f, v.n_files = 1));
    k = llmt_cache_key("other-provider", &r);
    assert_string_not_equal(k0, k);
    free(k);
    {
        char *ka, *kb;
        llmt_file f2 = {"b.png", "image/png", img2, 3};
        v = r;
        v.files = &f;
        v.n_files = 1;
        ka = llmt_cache_key("p", &v);
        v.files = &f2;
        kb = llmt_cache_key("p", &v);
        assert_string_not_equal(ka, kb); /* file content counts, not only its name */
        free(ka);
        free(kb);
    }
    free(k0);
}

static void test_round_trip_stats_clear(void **state)
{
    char dir[] = "/tmp/llmt_cache_XXXXXX";
    char *path;
    llmt_cache *c = NULL;
    llmt_error err;
    llmt_response in, out;
    llmt_cache_stats s;
    long long deleted = 0;
    (void)state;
    assert_non_null(mkdtemp(dir));
    path = llmt_path_join(dir, "sub/cache.db");
    assert_int_equal(llmt_cache_open(&c, path, &err), LLMT_OK);
    assert_false(llmt_cache_get(c, "k1", &out));
    memset(&in, 0, sizeof in);
    in.text = "{\"a\":1}";
    in.model = "m1-2024";
    in.usage.input_tokens = 10;
    in.usage.output_tokens = 5;
    in.usage.cached_input_tokens = -1;
    in.usage.reasoning_tokens = 3;
    assert_int_equal(llmt_cache_put(c, "k1", &in, &err), LLMT_OK);
    assert_true(llmt_cache_get(c, "k1", &out));
    assert_string_equal(out.text, "{\"a\":1}");
    assert_string_equal(out.model, "m1-2024");
    assert_int_equal(out.usage.output_tokens, 5);
    assert_int_equal(out.usage.cached_input_tokens, -1);
    assert_int_equal(out.usage.reasoning_tokens, 3);
    llmt_response_clear(&out);
    assert_true(llmt_cache_get(c, "k1", &out));
    llmt_response_clear(&out);
    assert_int_equal(llmt_cache_stats_get(c, &s, &err), LLMT_OK);
    assert_int_equal(s.entries, 1);
    assert_int_equal(s.hits, 2);
    assert_int_equal(llmt_cache_clear(c, 30, &deleted, &err), LLMT_OK);
    assert_int_equal(deleted, 0); /* nothing is 30 days old */
    assert_int_equal(llmt_cache_clear(c, 0, &deleted, &err), LLMT_OK);
    assert_int_equal(deleted, 1);
    assert_false(llmt_cache_get(c, "k1", &out));
    llmt_cache_close(c);
    {
        char *cmd = llmt_asprintf("rm -rf '%s'", dir);
        assert_int_equal(system(cmd), 0);
        free(cmd);
    }
    free(path);
}

static void test_modes(void **state)
{
    llmt_cache_mode m;
    (void)state;
    assert_true(llmt_cache_mode_parse("readwrite", &m));
    assert_int_equal(m, LLMT_CACHE_READWRITE);
    assert_true(llmt_cache_mode_parse("off", &m));
    assert_int_equal(m, LLMT_CACHE_OFF);
    assert_false(llmt_cache_mode_parse("rw", &m));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_changes_with_every_input),
        cmocka_unit_test(test_round_trip_stats_clear),
        cmocka_unit_test(test_modes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
