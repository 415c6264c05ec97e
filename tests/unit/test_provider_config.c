/* Provider config.json loading and validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config/provider_config.h"
#include "provider/builtin.h"

/* Parses text, expects failure, and returns the formatted first error (caller frees). */
static char *first_error(const char *text)
{
    llmt_diags d = {0};
    llmt_provider_config *c = llmt_provider_config_parse(text, "providers/x/config.json", &d);
    char *msg = NULL;
    size_t i;
    assert_null(c);
    for (i = 0; i < d.count && !msg; i++)
        if (d.items[i].severity == LLMT_DIAG_ERROR)
            msg = llmt_diag_format(&d.items[i]);
    llmt_diags_free(&d);
    assert_non_null(msg);
    return msg;
}

#define EXPECT_ERROR(text, needle)                                                   \
    do {                                                                             \
        char *m_ = first_error(text);                                                \
        if (!strstr(m_, needle))                                                     \
            fail_msg("error '%s' does not contain '%s'", m_, needle);               \
        if (!strstr(m_, "providers/x/config.json"))                                  \
            fail_msg("error '%s' does not name the file", m_);                      \
        free(m_);                                                                    \
    } while (0)

static void test_valid_config(void **state)
{
    llmt_diags d = {0};
    const char *text =
        "{\"config_version\":2,\"name\":\"x\",\"env_key\":\"X_KEY\",\"base_url\":\"http://h\","
        "\"llm_models\":[{\"name\":\"a\",\"default\":true,\"cost_input\":1.5,\"cost_output\":2,"
        "\"max_output_tokens\":100,\"capabilities\":{\"json_schema\":true}},{\"name\":\"b\"}],"
        "\"rate_limit\":{\"rpm\":60}}";
    llmt_provider_config *c = llmt_provider_config_parse(text, "f.json", &d);
    (void)state;
    assert_non_null(c);
    assert_int_equal(d.errors, 0);
    assert_int_equal(c->n_models, 2);
    assert_string_equal(c->models[0].name, "a");
    assert_true(c->models[0].is_default);
    assert_true(c->models[0].has_cost);
    assert_true(c->models[0].info.json_schema);
    assert_int_equal(c->models[0].info.max_output_tokens, 100);
    assert_false(c->models[1].has_cost); /* no price given: cost unknown, not 0 */
    assert_true(c->models[1].enabled);   /* enabled defaults to true */
    assert_int_equal(c->rate_limit.rpm, 60);
    assert_string_equal(llmt_provider_config_default_model(c)->name, "a");
    assert_non_null(llmt_provider_config_model(c, "b"));
    assert_null(llmt_provider_config_model(c, "zzz"));
    llmt_provider_config_free(c);
    llmt_diags_free(&d);
}

static void test_wrong_type(void **state)
{
    (void)state;
    EXPECT_ERROR("{\"name\":\"x\",\"env_key\":\"\",\"llm_models\":[{\"name\":\"a\",\"cost_input\":\"cheap\",\"cost_output\":1}]}",
                 "/llm_models/0/cost_input: expected number, got string");
}

static void test_missing_required(void **state)
{
    (void)state;
    EXPECT_ERROR("{\"name\":\"x\",\"llm_models\":[]}", "/env_key: required field missing");
    EXPECT_ERROR("{\"name\":\"x\",\"env_key\":\"\"}", "/llm_models: required field missing");
    EXPECT_ERROR("{\"name\":\"x\",\"env_key\":\"\",\"llm_models\":[{\"default\":true}]}",
                 "/llm_models/0/name: required field missing");
}

static void test_duplicate_model(void **state)
{
    (void)state;
    EXPECT_ERROR("{\"name\":\"x\",\"env_key\":\"\",\"llm_models\":[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":\"a\"}]}",
                 "/llm_models/2/name: duplicate model name 'a' (first at /llm_models/0)");
}

static void test_two_defaults(void **state)
{
    (void)state;
    EXPECT_ERROR("{\"name\":\"x\",\"env_key\":\"\",\"llm_models\":[{\"name\":\"a\",\"default\":true},{\"name\":\"b\",\"default\":true}]}",
                 "/llm_models/1/default: more than one default model");
}

static void test_negative_cost(void **state)
{
    (void)state;
    EXPECT_ERROR("{\"name\":\"x\",\"env_key\":\"\",\"llm_models\":[{\"name\":\"a\",\"cost_input\":-1,\"cost_output\":1}]}",
                 "/llm_models/0/cost_input: expected a number >= 0, got -1");
}

static void test_bad_json_names_line(void **state)
{
    (void)state;
    EXPECT_ERROR("{\"name\":\"x\",\n\"env_key\": }", "line 2");
}

static void test_unknown_key_warns_with_suggestion(void **state)
{
    llmt_diags d = {0};
    llmt_provider_config *c = llmt_provider_config_parse(
        "{\"config_version\":2,\"name\":\"x\",\"env_key\":\"\",\"llm_models\":[{\"name\":\"a\",\"cost_inptu\":1}]}", "f.json", &d);
    char *m;
    (void)state;
    assert_non_null(c); /* a warning, not an error */
    assert_int_equal(d.errors, 0);
    assert_int_equal(d.count, 1);
    m = llmt_diag_format(&d.items[0]);
    assert_non_null(strstr(m, "did you mean 'cost_input'"));
    free(m);
    llmt_provider_config_free(c);
    llmt_diags_free(&d);
}

static void test_all_errors_reported(void **state)
{
    llmt_diags d = {0};
    (void)state;
    assert_null(llmt_provider_config_parse(
        "{\"name\":1,\"env_key\":\"\",\"llm_models\":[{\"name\":\"a\",\"cost_input\":-1,\"cost_output\":-2}]}",
        "f.json", &d));
    assert_int_equal(d.errors, 3); /* name type, two negative costs: not only the first */
    llmt_diags_free(&d);
}

/* "schema_transform": one of the rule names, "none" when absent. */
static void test_schema_transform(void **state)
{
    llmt_diags d = {0};
    llmt_provider_config *c;
    (void)state;
    c = llmt_provider_config_parse("{\"name\":\"x\",\"env_key\":\"\",\"llm_models\":[{\"name\":"
                                   "\"a\"}],\"schema_transform\":\"subset\"}", "f.json", &d);
    assert_non_null(c);
    assert_int_equal(c->schema_transform, LLMT_SCHEMA_RULES_SUBSET);
    llmt_provider_config_free(c);
    c = llmt_provider_config_parse("{\"name\":\"x\",\"env_key\":\"\",\"llm_models\":[{\"name\":"
                                   "\"a\"}]}", "f.json", &d);
    assert_non_null(c);
    assert_int_equal(c->schema_transform, LLMT_SCHEMA_RULES_NONE);
    llmt_provider_config_free(c);
    llmt_diags_free(&d);
    EXPECT_ERROR("{\"name\":\"x\",\"env_key\":\"\",\"llm_models\":[{\"name\":\"a\"}],"
                 "\"schema_transform\":\"anthropic\"}",
                 "/schema_transform: unknown schema transform 'anthropic' (expected none, strict, "
                 "closed or subset)");
    EXPECT_ERROR("{\"name\":\"x\",\"env_key\":\"\",\"llm_models\":[{\"name\":\"a\"}],"
                 "\"schema_transform\":true}",
                 "/schema_transform: expected string");
}

/* run --batch prices: batch_discount (a fraction) and explicit per-model batch prices */
static void test_batch_prices(void **state)
{
    llmt_diags d = {0};
    llmt_provider_config *c;
    (void)state;
    c = llmt_provider_config_parse("{\"name\":\"x\",\"env_key\":\"\",\"batch_discount\":0.5,"
                                   "\"llm_models\":[{\"name\":\"a\",\"cost_input\":2,\"cost_output\":8,"
                                   "\"batch_cost_input\":1,\"batch_cost_output\":3},{\"name\":\"b\"}]}",
                                   "f.json", &d);
    assert_non_null(c);
    assert_true(c->batch_discount == 0.5);
    assert_true(c->models[0].has_batch_cost);
    assert_true(c->models[0].batch_cost_input == 1 && c->models[0].batch_cost_output == 3);
    assert_false(c->models[1].has_batch_cost);
    llmt_provider_config_free(c);
    c = llmt_provider_config_parse("{\"name\":\"x\",\"env_key\":\"\",\"llm_models\":[{\"name\":\"a\"}]}",
                                   "f.json", &d);
    assert_non_null(c);
    assert_true(c->batch_discount == 0); /* no discount unless the config says so */
    llmt_provider_config_free(c);
    llmt_diags_free(&d);
    EXPECT_ERROR("{\"name\":\"x\",\"env_key\":\"\",\"batch_discount\":1.5,\"llm_models\":[{\"name\":\"a\"}]}",
                 "/batch_discount: expected a fraction from 0 to 1");
    EXPECT_ERROR("{\"name\":\"x\",\"env_key\":\"\",\"batch_discount\":-0.1,\"llm_models\":[{\"name\":\"a\"}]}",
                 "/batch_discount: expected a number >= 0");
    EXPECT_ERROR("{\"name\":\"x\",\"env_key\":\"\",\"llm_models\":[{\"name\":\"a\",\"batch_cost_input\":1}]}",
                 "batch_cost_input and batch_cost_output must be given together");
}

static void test_builtin_configs_are_valid(void **state)
{
    const llmt_builtin_provider *b;
    size_t n = 0;
    (void)state;
    for (b = llmt_builtin_providers; b->name; b++, n++) {
        llmt_diags d = {0};
        llmt_provider_config *c = llmt_provider_config_parse(b->config_json, b->config_path, &d);
        if (!c || d.count) {
            char *m = d.count ? llmt_diag_format(&d.items[0]) : NULL;
            fail_msg("%s: %s", b->config_path, m ? m : "invalid");
        }
        assert_string_equal(c->name, b->name);
        llmt_provider_config_free(c);
        llmt_diags_free(&d);
    }
    assert_true(n >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_config),
        cmocka_unit_test(test_wrong_type),
        cmocka_unit_test(test_missing_required),
        cmocka_unit_test(test_duplicate_model),
        cmocka_unit_test(test_two_defaults),
        cmocka_unit_test(test_negative_cost),
        cmocka_unit_test(test_bad_json_names_line),
        cmocka_unit_test(test_unknown_key_warns_with_suggestion),
        cmocka_unit_test(test_all_errors_reported),
        cmocka_unit_test(test_schema_transform),
        cmocka_unit_test(test_batch_prices),
        cmocka_unit_test(test_builtin_configs_are_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
