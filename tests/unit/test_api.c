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
    /* one test's call: set by ask/complete and extract */
    llmt_request req;
    llmt_message msg;
    llmt_fallback_options o;     /* LLMT_FALLBACK_OPTIONS_INIT until a test changes it */
    llmt_completion c;
    llmt_extraction_options xo;  /* LLMT_EXTRACTION_OPTIONS_INIT until a test changes it */
    llmt_extraction x;
    llmt_error err;
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
    llmt_fallback_options fo = LLMT_FALLBACK_OPTIONS_INIT;
    llmt_extraction_options xo = LLMT_EXTRACTION_OPTIONS_INIT;
    llmt_error err;
    f->o = fo;
    f->xo = xo;
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

/* The request of the next complete(): one user message. */
static void ask(fx *f, const char *text)
{
    memset(&f->req, 0, sizeof f->req);
    f->msg.role = "user";
    f->msg.content = text;
    f->req.version = LLMT_REQUEST_VERSION;
    f->req.messages = &f->msg;
    f->req.n_messages = 1;
    f->req.temperature = -1;
}

/* llmt_complete_with_fallbacks of the request to model, with f->o or no options (NULL). */
static llmt_status complete(fx *f, const char *model, bool with_options)
{
    return llmt_complete_with_fallbacks(f->mgr, model, &f->req, with_options ? &f->o : NULL,
                                        &f->c, &f->err);
}

/* llmt_extract_structured with f->xo into f->x. */
static llmt_status extract(fx *f, const char *json_schema, const char *prompt, const char *text)
{
    return llmt_extract_structured(f->mgr, json_schema, prompt, text, &f->xo, &f->x, &f->err);
}

static void test_api_first_model_answers(void **state)
{
    fx *f = *state;
    ask(f, "hello");
    assert_int_equal(complete(f, "fxgood:m1", false), LLMT_OK);
    assert_string_equal(f->c.answered_by, "fxgood:m1");
    assert_string_equal(f->c.response.text, "{\"from\": \"fxgood\"}");
    assert_int_equal(f->c.calls, 1);
    assert_int_equal(f->c.models_tried, 1);
    assert_int_equal(f->c.first_failure.status, LLMT_OK);
    assert_true(f->c.response.cost_known);
    llmt_completion_clear(&f->c);
}

static void test_api_config_fallback_chain_with_loop(void **state)
{
    fx *f = *state;
    ask(f, "FAIL please");
    /* m1 fails → its chain: m2 fails → m2's chain: m1 (already tried, skipped), mock:rules */
    assert_int_equal(complete(f, "fxgood:m1", true), LLMT_OK);
    assert_string_equal(f->c.answered_by, "mock:rules");
    assert_string_equal(f->c.response.text, "{\"ok\": 1}");
    assert_int_equal(f->c.models_tried, 3);
    assert_int_equal(f->c.calls, 3); /* non-retryable: one call each */
    assert_int_equal(f->c.first_failure.status, LLMT_E_SERVER);
    llmt_completion_clear(&f->c);
    /* without the configured chain, the failure comes back */
    f->o.skip_config_fallbacks = true;
    assert_int_equal(complete(f, "fxgood:m1", true), LLMT_E_SERVER);
    assert_null(f->c.response.text);
    assert_int_equal(f->c.models_tried, 1);
    assert_string_equal(f->err.message, "fixture: asked to fail");
    assert_string_equal(f->err.provider, "fxgood");
    llmt_completion_clear(&f->c);
}

static void test_api_explicit_fallbacks_follow_config_chain(void **state)
{
    fx *f = *state;
    const char *fb[] = {"nosuch:model", "mock:rules"};
    ask(f, "FAIL");
    f->o.fallbacks = fb;
    f->o.n_fallbacks = 2;
    /* the one chain order (the run's): m2, its configured chain (m1, mock:rules), then
     * the explicit ones; mock:rules answers third */
    assert_int_equal(complete(f, "fxgood:m2", true), LLMT_OK);
    assert_string_equal(f->c.answered_by, "mock:rules");
    assert_int_equal(f->c.models_tried, 3);
    llmt_completion_clear(&f->c);
    /* without the configured chain: m2, nosuch:model (not_found: a provider-side error,
     * so the next one is tried), mock:rules */
    f->o.skip_config_fallbacks = true;
    assert_int_equal(complete(f, "fxgood:m2", true), LLMT_OK);
    assert_string_equal(f->c.answered_by, "mock:rules");
    assert_int_equal(f->c.models_tried, 3);
    assert_int_equal(f->c.calls, 3);
    llmt_completion_clear(&f->c);
}

static void test_api_retries_retryable_failures(void **state)
{
    fx *f = *state;
    double t0;
    ask(f, "FAIL RETRY");
    f->o.skip_config_fallbacks = true;
    f->o.max_attempts = 4;
    f->o.backoff_ms = 10;
    t0 = llmt_now_ms();
    assert_int_equal(complete(f, "fxgood:m1", true), LLMT_E_SERVER);
    assert_int_equal(f->c.calls, 4);
    assert_true(f->err.retryable);
    /* the run's backoff, full jitter: each wait below 10, 20, 40 ms */
    assert_true(llmt_now_ms() - t0 < 70 + 500);
    llmt_completion_clear(&f->c);
}

static void test_api_rejects_bad_arguments(void **state)
{
    fx *f = *state;
    ask(f, "x");
    assert_int_equal(complete(f, NULL, false), LLMT_E_INVALID_ARG);
    f->o.version = 99;
    assert_int_equal(complete(f, "mock:rules", true), LLMT_E_INVALID_ARG);
    assert_non_null(strstr(f->err.message, "version 99"));
}

static const char *schema = "{\"type\": \"object\", \"required\": [\"name\", \"age\"],"
                            " \"properties\": {\"name\": {\"type\": \"string\"},"
                            " \"age\": {\"type\": \"integer\"}}}";

static void test_api_extract_secondary_fixes_invalid_answer(void **state)
{
    fx *f = *state;
    f->xo.model = "mock:rules";
    f->xo.secondary_model = "mock:oracle";
    assert_int_equal(extract(f, schema, "Extract the person.", "Ann is 41."), LLMT_OK);
    assert_string_equal(f->x.json, "{\"name\":\"Ann\",\"age\":41}");
    assert_string_equal(f->x.answered_by, "mock:oracle");
    assert_true(f->x.used_secondary);
    assert_int_equal(f->x.calls, 2);
    assert_int_equal(f->x.n_violations, 0);
    assert_true(f->x.usage.input_tokens > 20); /* both calls counted */
    assert_true(f->x.cost_known && f->x.cost_usd > 0);
    llmt_extraction_clear(&f->x);
}

static void test_api_extract_reports_violations(void **state)
{
    fx *f = *state;
    f->xo.model = "mock:rules";
    assert_int_equal(extract(f, schema, "Extract the person.", "Ann is 41."), LLMT_E_BAD_RESPONSE);
    assert_null(f->x.json);
    assert_string_equal(f->x.raw_reply, "{\"name\":\"Ann\"}");
    assert_int_equal(f->x.n_violations, 1);
    assert_non_null(strstr(f->x.violations[0], "/age"));
    assert_non_null(strstr(f->err.message, "mock:rules answered, but not with JSON valid"));
    assert_int_equal(f->x.calls, 1);
    assert_true(f->x.usage.output_tokens > 0);
    llmt_extraction_clear(&f->x);
    /* no JSON at all: the violation says so */
    assert_int_equal(extract(f, schema, "prose please", NULL),
                     LLMT_E_BAD_RESPONSE);
    assert_int_equal(f->x.n_violations, 1);
    assert_string_equal(f->x.raw_reply, "Sorry, I cannot help with that.");
    llmt_extraction_clear(&f->x);
}

static void test_api_extract_provider_failure_then_secondary(void **state)
{
    fx *f = *state;
    f->xo.model = "fxgood:m1"; /* fails: the prompt starts with FAIL; its chain is not used */
    f->xo.secondary_model = "mock:oracle";
    assert_int_equal(extract(f, schema, "FAIL. Extract the person.", "Ann"), LLMT_OK);
    assert_string_equal(f->x.answered_by, "mock:oracle");
    assert_int_equal(f->x.calls, 2);
    llmt_extraction_clear(&f->x);
    f->xo.secondary_model = NULL;
    assert_int_equal(extract(f, schema, "FAIL.", "Ann"),
                     LLMT_E_SERVER);
    assert_null(f->x.json);
    assert_null(f->x.raw_reply);
    llmt_extraction_clear(&f->x);
}

static void test_api_extract_invalid_schema(void **state)
{
    fx *f = *state;
    f->xo.model = "mock:rules";
    assert_int_equal(extract(f, "{\"type\": ", "p", "s"),
                     LLMT_E_CONFIG);
    assert_non_null(strstr(f->err.message, "schema: invalid JSON"));
    assert_int_equal(f->x.calls, 0);
    llmt_extraction_clear(&f->x);
    f->xo.model = NULL;
    assert_int_equal(extract(f, schema, "p", "s"),
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
