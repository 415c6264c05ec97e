/* Registry, factory checks and the manager's call path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <unistd.h>

#include "config/provider_config.h"
#include "core/util.h"
#include "llmt/extract.h"
#include "llmt/manager.h"
#include "provider/factory.h"
#include "provider/manager_internal.h"
#include "provider/registry.h"

static llmt_status t_init(void **state, const llmt_provider_settings *s, llmt_error *err)
{
    (void)s;
    (void)err;
    *state = NULL;
    return LLMT_OK;
}

static void t_destroy(void *state)
{
    (void)state;
}

static llmt_status t_call(void *state, const llmt_request *req, llmt_response *out, llmt_error *err)
{
    (void)state;
    (void)err;
    out->text = llmt_strdup_("{\"ok\":true}");
    out->model = llmt_strdup_(req->model);
    out->usage.input_tokens = 2000000; /* 2M in, 1M out: easy to price by hand */
    out->usage.output_tokens = 1000000;
    return LLMT_OK;
}

static const llmt_provider_ops good_ops = {
    .abi_version = LLMT_PROVIDER_ABI_VERSION,
    .name = "testlocal",
    .capabilities = LLMT_CAP_LOCAL,
    .init = t_init,
    .destroy = t_destroy,
    .call = t_call,
};

static llmt_provider_config *cfg(const char *text)
{
    llmt_diags d = {0};
    llmt_provider_config *c = llmt_provider_config_parse(text, "test.json", &d);
    assert_int_equal(d.errors, 0);
    llmt_diags_free(&d);
    assert_non_null(c);
    return c;
}

static void test_check_ops(void **state)
{
    llmt_provider_ops bad = good_ops;
    llmt_error err;
    (void)state;
    assert_int_equal(llmt_factory_check_ops(&good_ops, "t", &err), LLMT_OK);
    bad.abi_version = (2u << 16);
    assert_int_equal(llmt_factory_check_ops(&bad, "plug.so", &err), LLMT_E_PLUGIN);
    assert_non_null(strstr(err.message, "2.0"));
    assert_non_null(strstr(err.message, "speaks 1.")); /* this build's ABI */
    bad = good_ops;
    bad.call = NULL;
    assert_int_equal(llmt_factory_check_ops(&bad, "t", &err), LLMT_E_PLUGIN);
    assert_non_null(strstr(err.message, "call"));
    bad = good_ops;
    bad.capabilities = 0; /* an HTTP provider without build_request */
    assert_int_equal(llmt_factory_check_ops(&bad, "t", &err), LLMT_E_PLUGIN);
    assert_non_null(strstr(err.message, "build_request"));
    bad = good_ops;
    bad.init = NULL;
    assert_int_equal(llmt_factory_check_ops(&bad, "t", &err), LLMT_E_PLUGIN);
    assert_int_equal(llmt_factory_check_ops(NULL, "t", &err), LLMT_E_PLUGIN);
}

static void test_registry_add_find_clash(void **state)
{
    llmt_registry *reg = NULL;
    llmt_error err;
    (void)state;
    assert_int_equal(llmt_registry_new(&reg, NULL, &err), LLMT_OK);
    assert_int_equal(llmt_registry_add(reg, &good_ops,
                                       cfg("{\"name\":\"testlocal\",\"env_key\":\"\",\"llm_models\":[{\"name\":\"m\"}]}"),
                                       "built-in", NULL, false, &err),
                     LLMT_OK);
    assert_non_null(llmt_registry_find(reg, "testlocal"));
    assert_null(llmt_registry_find(reg, "nope"));
    assert_int_equal(llmt_registry_add(reg, &good_ops,
                                       cfg("{\"name\":\"testlocal\",\"env_key\":\"\",\"llm_models\":[]}"),
                                       "/p/x.so", NULL, false, &err),
                     LLMT_E_PLUGIN);
    assert_non_null(strstr(err.message, "clashes"));
    assert_int_equal(llmt_registry_count(reg), 1);
    assert_int_equal(llmt_registry_add(reg, &good_ops,
                                       cfg("{\"name\":\"testlocal\",\"env_key\":\"\",\"llm_models\":[]}"),
                                       "/p/x.so", NULL, true, &err),
                     LLMT_OK);
    assert_string_equal(llmt_registry_find(reg, "testlocal")->origin, "/p/x.so");
    llmt_registry_free(reg);
}

static llmt_manager *new_manager(void)
{
    llmt_manager *m = NULL;
    llmt_error err;
    assert_int_equal(llmt_manager_new(&m, NULL, &err), LLMT_OK);
    return m;
}

static void test_manager_prices_by_config(void **state)
{
    llmt_manager *m = new_manager();
    llmt_error err;
    llmt_response resp;
    llmt_request req;
    llmt_message msg = {"user", "hi"};
    (void)state;
    assert_int_equal(llmt_registry_add(llmt_manager_registry(m), &good_ops,
                                       cfg("{\"name\":\"testlocal\",\"env_key\":\"\",\"llm_models\":["
                                           "{\"name\":\"priced\",\"cost_input\":0.5,\"cost_output\":4},"
                                           "{\"name\":\"free\"}]}"),
                                       "test", NULL, false, &err),
                     LLMT_OK);
    memset(&req, 0, sizeof req);
    req.version = LLMT_REQUEST_VERSION;
    req.messages = &msg;
    req.n_messages = 1;
    assert_int_equal(llmt_manager_complete(m, "testlocal:priced", &req, &resp, &err), LLMT_OK);
    assert_true(resp.cost_known);
    assert_float_equal(resp.cost_usd, 2.0 * 0.5 + 1.0 * 4, 1e-9); /* tokens/1e6 × rate */
    assert_string_equal(resp.text, "{\"ok\":true}");
    llmt_response_clear(&resp);
    assert_int_equal(llmt_manager_complete(m, "testlocal:free", &req, &resp, &err), LLMT_OK);
    assert_false(resp.cost_known); /* no price in config: unknown, not 0 */
    llmt_response_clear(&resp);
    llmt_manager_free(m);
}

static void test_manager_unknown_names(void **state)
{
    llmt_manager *m = new_manager();
    llmt_error err;
    llmt_response resp;
    llmt_request req;
    (void)state;
    memset(&req, 0, sizeof req);
    assert_int_equal(llmt_manager_complete(m, "nosuch:model", &req, &resp, &err), LLMT_E_NOT_FOUND);
    assert_non_null(strstr(err.message, "unknown provider 'nosuch'"));
    assert_non_null(strstr(err.message, "mock")); /* lists the known ones */
    assert_int_equal(llmt_manager_complete(m, "mock:nosuch", &req, &resp, &err), LLMT_E_NOT_FOUND);
    assert_non_null(strstr(err.message, "unknown model 'nosuch'"));
    assert_int_equal(llmt_manager_complete(m, "mockoracle", &req, &resp, &err), LLMT_E_INVALID_ARG);
    llmt_manager_free(m);
}

static void test_missing_key_is_auth_naming_variable(void **state)
{
    llmt_manager *m = new_manager();
    llmt_error err;
    llmt_response resp;
    llmt_request req;
    (void)state;
    unsetenv("LLMT_TEST_NO_SUCH_KEY");
    assert_int_equal(llmt_registry_add(llmt_manager_registry(m), &good_ops,
                                       cfg("{\"name\":\"testlocal\",\"env_key\":\"LLMT_TEST_NO_SUCH_KEY\","
                                           "\"llm_models\":[{\"name\":\"m\"}]}"),
                                       "test", NULL, false, &err),
                     LLMT_OK);
    memset(&req, 0, sizeof req);
    assert_int_equal(llmt_manager_complete(m, "testlocal:m", &req, &resp, &err), LLMT_E_AUTH);
    assert_non_null(strstr(err.message, "LLMT_TEST_NO_SUCH_KEY"));
    assert_string_equal(err.provider, "testlocal");
    assert_false(err.retryable);
    llmt_manager_free(m);
}

static void test_status_names_round_trip(void **state)
{
    int i;
    (void)state;
    for (i = 0; i < LLMT_STATUS_COUNT_; i++) {
        llmt_status back;
        const char *n = llmt_status_name((llmt_status)i);
        assert_string_not_equal(n, "unknown");
        assert_true(llmt_status_from_name(n, &back));
        assert_int_equal(back, i);
        assert_non_null(llmt_strerror((llmt_status)i));
    }
    assert_string_equal(llmt_status_name(LLMT_STATUS_COUNT_), "unknown");
    assert_true(llmt_status_retryable(LLMT_E_RATE_LIMIT));
    assert_true(llmt_status_retryable(LLMT_E_OVERLOADED));
    assert_false(llmt_status_retryable(LLMT_E_QUOTA));
    assert_false(llmt_status_retryable(LLMT_E_AUTH));
    assert_false(llmt_status_retryable(LLMT_E_BAD_REQUEST));
}

static size_t never_called(const char *path, bool is_dir, const llmt_check_sink *sink)
{
    (void)path;
    (void)is_dir;
    (void)sink;
    fail_msg("a slot beyond the table's ABI minor version was read");
    return 0;
}

/* An optional trailing slot is used only when the table's minor version has it. */
static void test_ops_has_is_gated_by_the_minor_version(void **state)
{
    llmt_provider_ops ops;
    (void)state;
    memset(&ops, 0, sizeof ops);
    ops.check_files = never_called;
    ops.abi_version = LLMT_PROVIDER_ABI_MAJOR << 16; /* 1.0: ends before check_files */
    assert_false(LLMT_OPS_HAS(&ops, check_files));
    ops.abi_version = (LLMT_PROVIDER_ABI_MAJOR << 16) | 1u;
    assert_true(LLMT_OPS_HAS(&ops, check_files));
    ops.check_files = NULL;
    assert_false(LLMT_OPS_HAS(&ops, check_files));
}

/* `config validate` reaches a provider's own files through its check_files slot: the
 * mock checks a task's mock_rules.json and says no to a file that is not its own. */
static void test_providers_check_their_own_files(void **state)
{
    char dir[] = "/tmp/llmt-check-files-XXXXXX", *rules, *other;
    llmt_diags d = {0};
    (void)state;
    assert_non_null(mkdtemp(dir));
    rules = llmt_path_join(dir, "mock_rules.json");
    other = llmt_path_join(dir, "notes.json");
    assert_int_equal(llmt_write_file_atomic(rules, "{\"rules\": 3}", 12, NULL), LLMT_OK);
    assert_int_equal(llmt_write_file_atomic(other, "{\"title\": 1}", 12, NULL), LLMT_OK);
    assert_int_equal(llmt_providers_check_files(dir, true, &d), 1);
    assert_true(d.errors > 0);
    assert_string_equal(d.items[0].file, rules);
    llmt_diags_free(&d);
    memset(&d, 0, sizeof d);
    assert_int_equal(llmt_providers_check_files(other, false, &d), 0);
    assert_int_equal(d.count, 0);
    unlink(rules);
    unlink(other);
    rmdir(dir);
    free(rules);
    free(other);
}

/* *_options_init(opts, version) writes a version's fields and nothing beyond them (an
 * older caller's struct is shorter), and refuses a version it does not know. */
static void test_options_init_is_versioned(void **state)
{
    llmt_manager_options o;
    llmt_fallback_options fo;
    llmt_extraction_options xo;
    (void)state;
    memset(&o, 0x5a, sizeof o);
    assert_int_equal(llmt_manager_options_init(&o, 1), LLMT_OK);
    assert_int_equal(o.version, 1);
    assert_null(o.project_dir);
    assert_int_equal(o.logger.level, LLMT_LOG_WARN);
    /* plugin_path is where version 2 begins: untouched */
    assert_true(((const unsigned char *)&o)[offsetof(llmt_manager_options, plugin_path)] == 0x5a);
    assert_int_equal(llmt_manager_options_init(&o, LLMT_MANAGER_OPTIONS_VERSION), LLMT_OK);
    assert_null(o.provider_options);
    assert_int_equal(o.n_provider_options, 0);
    memset(&o, 0x5a, sizeof o);
    assert_int_equal(llmt_manager_options_init(&o, 99), LLMT_E_INVALID_ARG);
    assert_true(((const unsigned char *)&o)[0] == 0x5a);
    assert_int_equal(llmt_manager_options_init(&o, 0), LLMT_E_INVALID_ARG);
    assert_int_equal(llmt_fallback_options_init(&fo, LLMT_FALLBACK_OPTIONS_VERSION), LLMT_OK);
    assert_int_equal(fo.version, LLMT_FALLBACK_OPTIONS_VERSION);
    assert_int_equal(llmt_fallback_options_init(&fo, 2), LLMT_E_INVALID_ARG);
    assert_int_equal(llmt_extraction_options_init(&xo, LLMT_EXTRACTION_OPTIONS_VERSION), LLMT_OK);
    assert_int_equal(llmt_extraction_options_init(&xo, 7), LLMT_E_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_ops),
        cmocka_unit_test(test_options_init_is_versioned),
        cmocka_unit_test(test_ops_has_is_gated_by_the_minor_version),
        cmocka_unit_test(test_providers_check_their_own_files),
        cmocka_unit_test(test_registry_add_find_clash),
        cmocka_unit_test(test_manager_prices_by_config),
        cmocka_unit_test(test_manager_unknown_names),
        cmocka_unit_test(test_missing_key_is_auth_naming_variable),
        cmocka_unit_test(test_status_names_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
