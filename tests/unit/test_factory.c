/* The factory's trust rule for keys (src/provider/factory.c): a key is never sent over
 * plain HTTP to a host that is not this machine unless the provider's config says
 * "allow_insecure_http": true, and then with a warning naming the provider. */
#include "unit/provider_harness.h"
#include <sys/stat.h>

#include "provider/registry.h"

/* A manager whose project folder is h->dir, with providers/openai.json = override_json
 * (NULL: none) and OpenAI's base URL set to url. Returns the status of making the
 * manager, then of instantiating openai; err and h->log say why. */
static llmt_status instantiate(ph *h, const char *url, const char *override_json, llmt_error *err)
{
    llmt_manager_options o;
    llmt_provider_entry *e;
    char *cfg = llmt_asprintf("%s/llm-tester.json", h->dir);
    char *pdir = llmt_asprintf("%s/providers", h->dir);
    char *ovr = llmt_asprintf("%s/providers/openai.json", h->dir);
    llmt_status st;
    assert_int_equal(llmt_write_file_atomic(cfg, "{\"config_version\":2}", 20, NULL), LLMT_OK);
    mkdir(pdir, 0700);
    unlink(ovr);
    if (override_json)
        assert_int_equal(llmt_write_file_atomic(ovr, override_json, strlen(override_json), NULL),
                         LLMT_OK);
    setenv("LLMT_OPENAI_BASE_URL", url, 1);
    llmt_manager_free(h->mgr);
    h->mgr = NULL;
    h->log.len = 0;
    if (h->log.data)
        h->log.data[0] = '\0';
    llmt_manager_options_init(&o, LLMT_MANAGER_OPTIONS_VERSION);
    o.logger.fn = ph_log;
    o.logger.userdata = h;
    o.logger.level = LLMT_LOG_DEBUG;
    o.project_config_path = cfg;
    o.project_dir = h->dir;
    st = llmt_manager_new(&h->mgr, &o, err);
    if (st == LLMT_OK) {
        e = llmt_registry_find(llmt_manager_registry(h->mgr), "openai");
        assert_non_null(e);
        llmt_error_clear(err);
        st = llmt_manager_instance(h->mgr, e, err);
    }
    unlink(ovr);
    rmdir(pdir);
    unlink(cfg);
    free(cfg);
    free(pdir);
    free(ovr);
    return st;
}

static void test_key_refused_over_remote_plain_http(void **state)
{
    static const char *const urls[] = {"http://api.example.invalid/v1",
                                       "HTTP://10.0.0.8:8080/v1",
                                       "http://127.0.0.1.example.invalid/v1",
                                       "http://localhost.example.invalid/v1",
                                       "http://user:pw@example.invalid/v1", NULL};
    ph *h = ph_start("OPENAI", "", "OPENAI_API_KEY");
    llmt_error err;
    size_t i;
    (void)state;
    for (i = 0; urls[i]; i++) {
        assert_int_equal(instantiate(h, urls[i], NULL, &err), LLMT_E_CONFIG);
        assert_non_null(strstr(err.message, "openai: base URL"));
        assert_non_null(strstr(err.message, "plain HTTP"));
        assert_non_null(strstr(err.message, "allow_insecure_http"));
        assert_null(strstr(err.message, PH_KEY));
        assert_string_equal(err.provider, "openai");
    }
    ph_stop(h);
}

static void test_key_sent_to_loopback_and_https(void **state)
{
    static const char *const urls[] = {"http://127.0.0.1:9/v1", "http://127.8.9.10/v1",
                                       "http://localhost:11434", "http://LOCALHOST/v1",
                                       "http://[::1]:8080/v1", "https://api.example.invalid/v1",
                                       NULL};
    ph *h = ph_start("OPENAI", "", "OPENAI_API_KEY");
    llmt_error err;
    size_t i;
    (void)state;
    for (i = 0; urls[i]; i++) {
        if (instantiate(h, urls[i], NULL, &err) != LLMT_OK)
            fail_msg("%s refused: %s", urls[i], err.message);
        assert_null(strstr(h->log.data ? h->log.data : "", "plain HTTP"));
    }
    ph_stop(h);
}

static void test_key_sent_over_plain_http_when_allowed_with_warning(void **state)
{
    ph *h = ph_start("OPENAI", "", "OPENAI_API_KEY");
    llmt_error err;
    (void)state;
    assert_int_equal(instantiate(h, "http://api.example.invalid/v1",
                                 "{\"config_version\":2,\"allow_insecure_http\":true}", &err),
                     LLMT_OK);
    assert_non_null(h->log.data);
    assert_non_null(strstr(h->log.data, "provider 'openai': sending its key (OPENAI_API_KEY) "
                                        "over plain HTTP to http://api.example.invalid/v1"));
    assert_null(strstr(h->log.data, PH_KEY));
    /* a non-boolean is a config error, not a yes */
    assert_int_equal(instantiate(h, "http://api.example.invalid/v1",
                                 "{\"config_version\":2,\"allow_insecure_http\":\"yes\"}", &err),
                     LLMT_E_CONFIG);
    assert_non_null(strstr(err.message, "/allow_insecure_http"));
    ph_stop(h);
}

static void test_warns_when_dotenv_is_readable_by_others(void **state)
{
    ph *h = ph_start("OPENAI", "", NULL);
    char *env = llmt_asprintf("%s/.env", h->dir);
    llmt_error err;
    (void)state;
    unsetenv("OPENAI_API_KEY");
    assert_int_equal(llmt_write_file_atomic(env, "OPENAI_API_KEY=" PH_KEY "\n",
                                            strlen("OPENAI_API_KEY=" PH_KEY "\n"), NULL),
                     LLMT_OK);
    assert_int_equal(chmod(env, 0644), 0);
    assert_int_equal(instantiate(h, "http://127.0.0.1:9/v1", NULL, &err), LLMT_OK);
    assert_non_null(strstr(h->log.data, "provider 'openai': its key comes from"));
    assert_non_null(strstr(h->log.data, ".env, which other users can read (chmod 600 it)"));
    assert_null(strstr(h->log.data, PH_KEY));
    assert_int_equal(chmod(env, 0600), 0);
    assert_int_equal(instantiate(h, "http://127.0.0.1:9/v1", NULL, &err), LLMT_OK);
    assert_null(strstr(h->log.data ? h->log.data : "", "other users can read"));
    free(env);
    ph_stop(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_refused_over_remote_plain_http),
        cmocka_unit_test(test_key_sent_to_loopback_and_https),
        cmocka_unit_test(test_key_sent_over_plain_http_when_allowed_with_warning),
        cmocka_unit_test(test_warns_when_dotenv_is_readable_by_others),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
