/* The application API of include/llmt/extract.h: retries, explicit and configured
 * fallbacks (with loops), and structured extraction with a secondary model. A fixture
 * plugin (tests/unit/fixtures/plugin_fixture.c) fails on request; the mock answers. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/util.h"
#include "llmt/llmt.h"

#define FIXTURES LLMT_BUILD_DIR "/test-plugins"

typedef struct fx {
    char dir[64];
    llmt_manager *mgr;
} fx;

static void write_file(const char *path, const char *text)
{
    assert_int_equal(llmt_write_file_atomic(path, text, strlen(text), NULL), LLMT_OK);
}

/* fxgood plugin with m1 → fallbacks [fxgood:m2], m2 → [fxgood:m1 (a loop), mock:rules],
 * and a mock rules file answering "{\"ok\": 1}" by default. */
static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    char *cmd, *cfg, *rules;
    llmt_manager_options o;
    llmt_error err;
    snprintf(f->dir, sizeof f->dir, "/tmp/llmt-test-api-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    cmd = llmt_asprintf("mkdir -p '%s/plugins/fxgood' && cp '%s/fxgood.so' '%s/plugins/fxgood/'",
                        f->dir, FIXTURES, f->dir);
    if (system(cmd) != 0)
        return -1;
    free(cmd);
    cfg = llmt_asprintf("%s/plugins/fxgood/config.json", f->dir);
    write_file(cfg, "{\"config_version\": 2, \"name\": \"fxgood\", \"provider_type\": \"t\","
                    " \"env_key\": \"\", \"base_url\": \"\", \"system_prompt\": \"\","
                    " \"supports_file_upload\": false, \"llm_models\": ["
                    "  {\"name\": \"m1\", \"default\": true, \"cost_input\": 1, \"cost_output\": 2,"
                    "   \"cost_category\": \"cheap\", \"fallbacks\": [\"fxgood:m2\"]},"
                    "  {\"name\": \"m2\", \"cost_input\": 1, \"cost_output\": 2,"
                    "   \"cost_category\": \"cheap\", \"fallbacks\": [\"fxgood:m1\", \"mock:rules\"]}]}");
    free(cfg);
    rules = llmt_asprintf("%s/rules.json", f->dir);
    write_file(rules, "{\"rules\": ["
                      " {\"contains\": \"person\", \"models\": [\"rules\"], \"reply\": {\"name\": \"Ann\"}},"
                      " {\"contains\": \"person\", \"models\": [\"oracle\"], \"reply\": {\"name\": \"Ann\", \"age\": 41}},"
                      " {\"contains\": \"prose\", \"reply\": \"Sorry, I cannot help with that.\"}],"
                      " \"default\": \"{\\\"ok\\\": 1}\"}");
    cmd = llmt_asprintf("%s/plugins", f->dir);
    llmt_manager_options_init(&o, LLMT_MANAGER_OPTIONS_VERSION);
    o.plugin_path = cmd;
    o.mock_rules_path = rules;
    if (llmt_manager_new(&f->mgr, &o, &err) != LLMT_OK)
        return -1;
    free(cmd);
    free(rules);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    char *cmd = llmt_asprintf("rm -rf '%s'", f->dir);
    int rc = system(cmd);
    llmt_manager_free(f->mgr);
    free(cmd);
    free(f);
    return rc == 0 ? 0 : -1;
}

static void make_request(llmt_request *req, llmt_message *msg, const char *text)
{
    memset(req, 0, sizeof(*req));
    msg->role = "user";
    msg->content = text;
    req->version = LLMT_REQUEST_VERSION;
    req->messages = msg;
    req->n_messages = 1;
    req->temperature = -1;
}

static void test_api_first_model_answers(void **state)
{
    fx *f = *state;
    llmt_request req;
    llmt_message msg;
    llmt_completion c;
    llmt_error err;
    make_request(&req, &msg, "hello");
    assert_int_equal(llmt_complete_with_fallbacks(f->mgr, "fxgood:m1", &req, NULL, &c, &err), LLMT_OK);
    assert_string_equal(c.answered_by, "fxgood:m1");
    assert_string_equal(c.response.text, "{\"from\": \"fxgood\"}");
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.models_tried, 1);
    assert_int_equal(c.first_failure.status, LLMT_OK);
    assert_true(c.response.cost_known);
    llmt_completion_clear(&c);
}

static void test_api_config_fallback_chain_with_loop(void **state)
{
    fx *f = *state;
    llmt_request req;
    llmt_message msg;
    llmt_completion c;
    llmt_error err;
    llmt_fallback_options o = LLMT_FALLBACK_OPTIONS_INIT;
    make_request(&req, &msg, "FAIL please");
    /* m1 fails → its chain: m2 fails → m2's chain: m1 (already tried, skipped), mock:rules */
    assert_int_equal(llmt_complete_with_fallbacks(f->mgr, "fxgood:m1", &req, &o, &c, &err), LLMT_OK);
    assert_string_equal(c.answered_by, "mock:rules");
    assert_string_equal(c.response.text, "{\"ok\": 1}");
    assert_int_equal(c.models_tried, 3);
    assert_int_equal(c.calls, 3); /* non-retryable: one call each */
    assert_int_equal(c.first_failure.status, LLMT_E_SERVER);
    llmt_completion_clear(&c);
    /* without the configured chain, the failure comes back */
    o.skip_config_fallbacks = true;
    assert_int_equal(llmt_complete_with_fallbacks(f->mgr, "fxgood:m1", &req, &o, &c, &err), LLMT_E_SERVER);
    assert_null(c.response.text);
    assert_int_equal(c.models_tried, 1);
    assert_string_equal(err.message, "fixture: asked to fail");
    assert_string_equal(err.provider, "fxgood");
    llmt_completion_clear(&c);
}

static void test_api_explicit_fallbacks_follow_config_chain(void **state)
{
    fx *f = *state;
    llmt_request req;
    llmt_message msg;
    llmt_completion c;
    llmt_error err;
    const char *fb[] = {"nosuch:model", "mock:rules"};
    llmt_fallback_options o = LLMT_FALLBACK_OPTIONS_INIT;
    make_request(&req, &msg, "FAIL");
    o.fallbacks = fb;
    o.n_fallbacks = 2;
    /* the one chain order (the run's): m2, its configured chain (m1, mock:rules), then
     * the explicit ones; mock:rules answers third */
    assert_int_equal(llmt_complete_with_fallbacks(f->mgr, "fxgood:m2", &req, &o, &c, &err), LLMT_OK);
    assert_string_equal(c.answered_by, "mock:rules");
    assert_int_equal(c.models_tried, 3);
    llmt_completion_clear(&c);
    /* without the configured chain: m2, nosuch:model (not_found: a provider-side error,
     * so the next one is tried), mock:rules */
    o.skip_config_fallbacks = true;
    assert_int_equal(llmt_complete_with_fallbacks(f->mgr, "fxgood:m2", &req, &o, &c, &err), LLMT_OK);
    assert_string_equal(c.answered_by, "mock:rules");
    assert_int_equal(c.models_tried, 3);
    assert_int_equal(c.calls, 3);
    llmt_completion_clear(&c);
}

static void test_api_retries_retryable_failures(void **state)
{
    fx *f = *state;
    llmt_request req;
    llmt_message msg;
    llmt_completion c;
    llmt_error err;
    llmt_fallback_options o = LLMT_FALLBACK_OPTIONS_INIT;
    double t0;
    make_request(&req, &msg, "FAIL RETRY");
    o.skip_config_fallbacks = true;
    o.max_attempts = 4;
    o.backoff_ms = 10;
    t0 = llmt_now_ms();
    assert_int_equal(llmt_complete_with_fallbacks(f->mgr, "fxgood:m1", &req, &o, &c, &err), LLMT_E_SERVER);
    assert_int_equal(c.calls, 4);
    assert_true(err.retryable);
    /* the run's backoff, full jitter: each wait below 10, 20, 40 ms */
    assert_true(llmt_now_ms() - t0 < 70 + 500);
    llmt_completion_clear(&c);
}

static void test_api_rejects_bad_arguments(void **state)
{
    fx *f = *state;
    llmt_request req;
    llmt_message msg;
    llmt_completion c;
    llmt_error err;
    llmt_fallback_options o = LLMT_FALLBACK_OPTIONS_INIT;
    make_request(&req, &msg, "x");
    assert_int_equal(llmt_complete_with_fallbacks(f->mgr, NULL, &req, NULL, &c, &err), LLMT_E_INVALID_ARG);
    o.version = 99;
    assert_int_equal(llmt_complete_with_fallbacks(f->mgr, "mock:rules", &req, &o, &c, &err), LLMT_E_INVALID_ARG);
    assert_non_null(strstr(err.message, "version 99"));
}

static const char *schema = "{\"type\": \"object\", \"required\": [\"name\", \"age\"],"
                            " \"properties\": {\"name\": {\"type\": \"string\"},"
                            " \"age\": {\"type\": \"integer\"}}}";

static void test_api_extract_secondary_fixes_invalid_answer(void **state)
{
    fx *f = *state;
    llmt_extraction_options xo = LLMT_EXTRACTION_OPTIONS_INIT;
    llmt_extraction x;
    llmt_error err;
    xo.model = "mock:rules";
    xo.secondary_model = "mock:oracle";
    assert_int_equal(llmt_extract_structured(f->mgr, schema, "Extract the person.", "Ann is 41.",
                                             &xo, &x, &err), LLMT_OK);
    assert_string_equal(x.json, "{\"name\":\"Ann\",\"age\":41}");
    assert_string_equal(x.answered_by, "mock:oracle");
    assert_true(x.used_secondary);
    assert_int_equal(x.calls, 2);
    assert_int_equal(x.n_violations, 0);
    assert_true(x.usage.input_tokens > 20); /* both calls counted */
    assert_true(x.cost_known && x.cost_usd > 0);
    llmt_extraction_clear(&x);
}

static void test_api_extract_reports_violations(void **state)
{
    fx *f = *state;
    llmt_extraction_options xo = LLMT_EXTRACTION_OPTIONS_INIT;
    llmt_extraction x;
    llmt_error err;
    xo.model = "mock:rules";
    assert_int_equal(llmt_extract_structured(f->mgr, schema, "Extract the person.", "Ann is 41.",
                                             &xo, &x, &err), LLMT_E_BAD_RESPONSE);
    assert_null(x.json);
    assert_string_equal(x.raw_reply, "{\"name\":\"Ann\"}");
    assert_int_equal(x.n_violations, 1);
    assert_non_null(strstr(x.violations[0], "/age"));
    assert_non_null(strstr(err.message, "mock:rules answered, but not with JSON valid"));
    assert_int_equal(x.calls, 1);
    assert_true(x.usage.output_tokens > 0);
    llmt_extraction_clear(&x);
    /* no JSON at all: the violation says so */
    assert_int_equal(llmt_extract_structured(f->mgr, schema, "prose please", NULL, &xo, &x, &err),
                     LLMT_E_BAD_RESPONSE);
    assert_int_equal(x.n_violations, 1);
    assert_string_equal(x.raw_reply, "Sorry, I cannot help with that.");
    llmt_extraction_clear(&x);
}

static void test_api_extract_provider_failure_then_secondary(void **state)
{
    fx *f = *state;
    llmt_extraction_options xo = LLMT_EXTRACTION_OPTIONS_INIT;
    llmt_extraction x;
    llmt_error err;
    xo.model = "fxgood:m1"; /* fails: the prompt starts with FAIL; its chain is not used */
    xo.secondary_model = "mock:oracle";
    assert_int_equal(llmt_extract_structured(f->mgr, schema, "FAIL. Extract the person.", "Ann",
                                             &xo, &x, &err), LLMT_OK);
    assert_string_equal(x.answered_by, "mock:oracle");
    assert_int_equal(x.calls, 2);
    llmt_extraction_clear(&x);
    xo.secondary_model = NULL;
    assert_int_equal(llmt_extract_structured(f->mgr, schema, "FAIL.", "Ann", &xo, &x, &err),
                     LLMT_E_SERVER);
    assert_null(x.json);
    assert_null(x.raw_reply);
    llmt_extraction_clear(&x);
}

static void test_api_extract_invalid_schema(void **state)
{
    fx *f = *state;
    llmt_extraction_options xo = LLMT_EXTRACTION_OPTIONS_INIT;
    llmt_extraction x;
    llmt_error err;
    xo.model = "mock:rules";
    assert_int_equal(llmt_extract_structured(f->mgr, "{\"type\": ", "p", "s", &xo, &x, &err),
                     LLMT_E_CONFIG);
    assert_non_null(strstr(err.message, "schema: invalid JSON"));
    assert_int_equal(x.calls, 0);
    llmt_extraction_clear(&x);
    xo.model = NULL;
    assert_int_equal(llmt_extract_structured(f->mgr, schema, "p", "s", &xo, &x, &err),
                     LLMT_E_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_api_first_model_answers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_api_config_fallback_chain_with_loop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_api_explicit_fallbacks_follow_config_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_api_retries_retryable_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_api_rejects_bad_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_api_extract_secondary_fixes_invalid_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_api_extract_reports_violations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_api_extract_provider_failure_then_secondary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_api_extract_invalid_schema, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
