/* The mock provider: oracle, noisy (seeded), rules; realistic token counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include "llmt/manager.h"
#include "provider/tokens.h"

static const char *reference =
    "{\"title\":\"Senior Backend Engineer\",\"company\":\"Acme GmbH\",\"salary\":{\"min\":85000,"
    "\"max\":105000},\"skills\":[\"go\",\"sql\",\"kubernetes\"],\"remote\":true}";

static llmt_status ask(llmt_manager *m, const char *model, const char *case_id, llmt_response *out,
                       llmt_error *err)
{
    llmt_message msg = {"user", "Extract the job.\n\nWe are hiring a Senior Backend Engineer."};
    llmt_request req;
    memset(&req, 0, sizeof req);
    req.version = LLMT_REQUEST_VERSION;
    req.messages = &msg;
    req.n_messages = 1;
    req.reference = reference;
    req.case_id = case_id;
    req.prompt_text = "Extract the job.";
    req.source_text = "We are hiring a Senior Backend Engineer.";
    return llmt_manager_complete(m, model, &req, out, err);
}

static llmt_manager *manager(uint64_t seed, const char *rules)
{
    llmt_manager_options o;
    llmt_manager *m = NULL;
    llmt_error err;
    llmt_manager_options_init(&o);
    o.seed = seed;
    o.mock_rules_path = rules;
    assert_int_equal(llmt_manager_new(&m, &o, &err), LLMT_OK);
    return m;
}

static void test_oracle_returns_reference(void **state)
{
    llmt_manager *m = manager(0, NULL);
    llmt_response r;
    llmt_error err;
    (void)state;
    assert_int_equal(ask(m, "mock:oracle", "t/c", &r, &err), LLMT_OK);
    assert_string_equal(r.text, reference);
    assert_true(r.usage.input_tokens > 5);
    assert_int_equal(r.usage.output_tokens, llmt_estimate_tokens(reference));
    assert_true(r.cost_known);
    assert_true(r.cost_usd > 0);
    llmt_response_clear(&r);
    llmt_manager_free(m);
}

static void test_noisy_is_deterministic_and_differs(void **state)
{
    llmt_manager *a = manager(42, NULL), *b = manager(42, NULL), *c = manager(43, NULL);
    llmt_response ra, rb, rc;
    llmt_error err;
    json_t *ref = json_loads(reference, 0, NULL), *ja;
    int differs_by_seed = 0, i;
    (void)state;
    for (i = 0; i < 5; i++) {
        char id[16];
        snprintf(id, sizeof id, "t/c%d", i);
        assert_int_equal(ask(a, "mock:noisy", id, &ra, &err), LLMT_OK);
        assert_int_equal(ask(b, "mock:noisy", id, &rb, &err), LLMT_OK);
        assert_int_equal(ask(c, "mock:noisy", id, &rc, &err), LLMT_OK);
        assert_string_equal(ra.text, rb.text); /* same seed, same case: same answer */
        ja = json_loads(ra.text, 0, NULL);
        assert_non_null(ja);
        assert_false(json_equal(ja, ref)); /* always perturbed */
        json_decref(ja);
        differs_by_seed += strcmp(ra.text, rc.text) != 0;
        llmt_response_clear(&ra);
        llmt_response_clear(&rb);
        llmt_response_clear(&rc);
    }
    assert_true(differs_by_seed > 0);
    json_decref(ref);
    llmt_manager_free(a);
    llmt_manager_free(b);
    llmt_manager_free(c);
}

static char *write_tmp(const char *content)
{
    char *path = strdup("/tmp/llmt_mock_rules_XXXXXX");
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fputs(content, f);
    fclose(f);
    return path;
}

static void test_rules_first_match_wins(void **state)
{
    char *path = write_tmp(
        "{\"rules\":[{\"contains\":\"Nothing here\",\"reply\":\"no\"},"
        "{\"regex\":\"Senior [A-Z][a-z]+ Engineer\",\"in\":\"source\",\"reply\":{\"hit\":1}},"
        "{\"contains\":\"Senior\",\"reply\":\"second\"}],\"default\":\"fallback\"}");
    llmt_manager *m = manager(0, path);
    llmt_response r;
    llmt_error err;
    (void)state;
    assert_int_equal(ask(m, "mock:rules", "t/c", &r, &err), LLMT_OK);
    assert_string_equal(r.text, "{\"hit\":1}");
    llmt_response_clear(&r);
    llmt_manager_free(m);
    unlink(path);
    free(path);
}

static void test_rules_prompt_scope_and_default(void **state)
{
    char *path = write_tmp("{\"rules\":[{\"contains\":\"Senior\",\"in\":\"prompt\",\"reply\":\"no\"}],"
                           "\"default\":\"fallback\"}");
    llmt_manager *m = manager(0, path);
    llmt_response r;
    llmt_error err;
    (void)state;
    /* "Senior" is only in the source, so the prompt-scoped rule must not match */
    assert_int_equal(ask(m, "mock:rules", "t/c", &r, &err), LLMT_OK);
    assert_string_equal(r.text, "fallback");
    llmt_response_clear(&r);
    llmt_manager_free(m);
    unlink(path);
    free(path);
}

static void test_rules_errors_name_file(void **state)
{
    char *path = write_tmp("{\"rules\":[{\"regex\":\"(unclosed\",\"reply\":\"x\"}]}");
    llmt_manager *m = manager(0, path);
    llmt_response r;
    llmt_error err;
    (void)state;
    assert_int_equal(ask(m, "mock:rules", "t/c", &r, &err), LLMT_E_CONFIG);
    assert_non_null(strstr(err.message, path));
    assert_non_null(strstr(err.message, "/rules/0/regex"));
    llmt_manager_free(m);
    unlink(path);
    free(path);
}

static void test_token_estimate_is_not_a_word_count(void **state)
{
    (void)state;
    assert_int_equal(llmt_estimate_tokens(""), 0);
    assert_int_equal(llmt_estimate_tokens("hello"), 1);
    assert_int_equal(llmt_estimate_tokens("hello world"), 2);
    /* JSON punctuation and digits cost tokens that a word count misses */
    assert_true(llmt_estimate_tokens("{\"a\":123456,\"b\":[1,2,3]}") >= 10);
    /* long words split into several tokens */
    assert_true(llmt_estimate_tokens("internationalization") >= 3);
    /* non-ASCII text costs more per character than ASCII */
    assert_true(llmt_estimate_tokens("日本語のテキスト") >= 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oracle_returns_reference),
        cmocka_unit_test(test_noisy_is_deterministic_and_differs),
        cmocka_unit_test(test_rules_first_match_wins),
        cmocka_unit_test(test_rules_prompt_scope_and_default),
        cmocka_unit_test(test_rules_errors_name_file),
        cmocka_unit_test(test_token_estimate_is_not_a_word_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
