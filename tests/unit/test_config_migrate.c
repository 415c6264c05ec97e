/* config_version migration: the Python tool's pyllm_config.json and version-1 provider
 * configs, migrated in memory; migrating a current document changes nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "config/cfgfile.h"
#include "config/migrate.h"
#include "config/project_config.h"
#include "config/provider_config.h"
#include "core/util.h"

#define FIX LLMT_SOURCE_DIR "/tests/fixtures/config/"

static char *slurp(const char *path)
{
    char *t = NULL;
    assert_int_equal(llmt_read_file(path, &t, NULL, NULL), LLMT_OK);
    return t;
}

static bool has_diag(const llmt_diags *d, const char *needle)
{
    size_t i;
    for (i = 0; i < d->count; i++)
        if (strstr(d->items[i].message, needle))
            return true;
    return false;
}

static void test_config_migrate_pyllm_matches_golden(void **state)
{
    llmt_diags d = {0};
    json_t *in = json_load_file(FIX "pyllm_config.json", 0, NULL), *out;
    char *text, *golden = slurp(FIX "pyllm_config.migrated.json");
    int from = 0;
    (void)state;
    assert_non_null(in);
    out = llmt_migrate_project_config(in, "pyllm_config.json", &d, &from);
    assert_int_equal(from, 1);
    text = llmt_cfg_dump(out);
    assert_string_equal(text, golden);
    /* nothing is dropped silently, and no secret value is echoed */
    assert_true(has_diag(&d, "openai: default_model became a default model of the project "
                             "(\"models\": openai:gpt-4o-mini)"));
    assert_true(has_diag(&d, "mock: default_model 'oracle' not used: the provider is disabled"));
    assert_true(has_diag(&d, "save_optimized_prompts"));
    assert_false(has_diag(&d, "default_modules")); /* it has a meaning: the enabled tasks */
    assert_int_equal(d.errors, 0);
    /* the result is a valid current project config */
    llmt_project_config_check(out, "migrated", &d);
    assert_int_equal(d.errors, 0);
    free(text);
    free(golden);
    json_decref(in);
    json_decref(out);
    llmt_diags_free(&d);
}

/* What ran by default in the Python tool runs by default here: each enabled provider's
 * default model, and only the default_modules tasks. */
static void test_config_migrate_pyllm_defaults(void **state)
{
    llmt_diags d = {0};
    json_t *in = json_loads(
        "{\"providers\": {\"openai\": {\"enabled\": true, \"default_model\": \"gpt-4.1-mini\"},"
        " \"gemini\": {\"default_model\": \"gemini-2.5-flash\"},"
        " \"mistral\": {\"enabled\": false, \"default_model\": \"mistral-small\"}},"
        " \"test_settings\": {\"default_modules\": [\"job_ads\", \"receipts\"]},"
        " \"py_models\": {\"job_ads\": {\"enabled\": true},"
        " \"other\": {\"enabled\": true, \"llm_models\": [\"openai:gpt-4o\"]}}}",
        0, NULL);
    json_t *out, *tasks;
    char *models;
    (void)state;
    assert_non_null(in);
    out = llmt_migrate_project_config(in, "pyllm_config.json", &d, NULL);
    models = json_dumps(json_object_get(out, "models"), JSON_COMPACT);
    assert_string_equal(models, "[\"openai:gpt-4.1-mini\",\"gemini:gemini-2.5-flash\"]");
    tasks = json_object_get(out, "tasks");
    assert_true(json_is_true(json_object_get(json_object_get(tasks, "job_ads"), "enabled")));
    assert_true(json_is_true(json_object_get(json_object_get(tasks, "receipts"), "enabled")));
    assert_true(json_is_false(json_object_get(json_object_get(tasks, "other"), "enabled")));
    assert_non_null(json_object_get(json_object_get(tasks, "other"), "models"));
    assert_true(has_diag(&d, "mistral: default_model 'mistral-small' not used"));
    llmt_project_config_check(out, "migrated", &d);
    assert_int_equal(d.errors, 0);
    free(models);
    json_decref(in);
    json_decref(out);
    llmt_diags_free(&d);
}

static void test_config_migrate_project_round_trip(void **state)
{
    llmt_diags d = {0};
    json_t *in = json_load_file(FIX "pyllm_config.migrated.json", 0, NULL), *out;
    int from = 0;
    char *a, *b;
    (void)state;
    out = llmt_migrate_project_config(in, "x", &d, &from);
    assert_int_equal(from, 2);
    assert_ptr_equal(out, in); /* unchanged: the same document */
    a = llmt_cfg_dump(in);
    b = llmt_cfg_dump(out);
    assert_string_equal(a, b);
    assert_int_equal(d.count, 0);
    free(a);
    free(b);
    json_decref(in);
    json_decref(out);
    llmt_diags_free(&d);
}

static void test_config_migrate_provider_v1(void **state)
{
    llmt_diags d = {0};
    char *text = slurp(FIX "provider_v1.json");
    llmt_provider_config *cfg;
    json_t *in, *out, *again;
    int from = 0;
    char *t1, *t2;
    (void)state;
    /* loading migrates in memory */
    cfg = llmt_provider_config_parse(text, "provider_v1.json", &d);
    assert_non_null(cfg);
    assert_int_equal(cfg->config_version, 2);
    assert_int_equal(cfg->n_models, 2);
    assert_string_equal(llmt_provider_config_model(cfg, "acme-small")->catalog_id,
                        "acme/acme-small-2024");
    assert_null(llmt_provider_config_model(cfg, "acme-large")->catalog_id);
    assert_true(has_diag(&d, "migrated in memory"));
    assert_true(has_diag(&d, "env_key_secret"));
    /* providers see the migrated text */
    assert_null(strstr(cfg->text, "openrouter_id"));
    assert_non_null(strstr(cfg->text, "\"config_version\": 2"));
    llmt_provider_config_free(cfg);
    /* round trip: migrating the migrated document changes nothing */
    in = json_loads(text, 0, NULL);
    out = llmt_migrate_provider_config(in, "p", &d, &from);
    assert_int_equal(from, 1);
    again = llmt_migrate_provider_config(out, "p", &d, &from);
    assert_int_equal(from, 2);
    t1 = llmt_cfg_dump(out);
    t2 = llmt_cfg_dump(again);
    assert_string_equal(t1, t2);
    assert_true(strncmp(t1, "{\n  \"config_version\": 2,", 24) == 0);
    free(t1);
    free(t2);
    json_decref(in);
    json_decref(out);
    json_decref(again);
    free(text);
    llmt_diags_free(&d);
}

static void test_config_migrate_provider_models_key(void **state)
{
    llmt_diags d = {0};
    llmt_provider_config *cfg = llmt_provider_config_parse(
        "{\"name\":\"x\",\"env_key\":\"\",\"models\":[{\"name\":\"m\",\"default\":true}]}", "x.json", &d);
    (void)state;
    assert_non_null(cfg);
    assert_int_equal(cfg->n_models, 1);
    llmt_provider_config_free(cfg);
    llmt_diags_free(&d);
}

static void test_config_migrate_newer_version_refused(void **state)
{
    llmt_diags d = {0};
    llmt_provider_config *cfg = llmt_provider_config_parse(
        "{\"config_version\":3,\"name\":\"x\",\"env_key\":\"\",\"llm_models\":[]}", "x.json", &d);
    (void)state;
    assert_null(cfg);
    assert_true(has_diag(&d, "newer than this llm-tester understands"));
    llmt_diags_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_migrate_pyllm_matches_golden),
        cmocka_unit_test(test_config_migrate_pyllm_defaults),
        cmocka_unit_test(test_config_migrate_project_round_trip),
        cmocka_unit_test(test_config_migrate_provider_v1),
        cmocka_unit_test(test_config_migrate_provider_models_key),
        cmocka_unit_test(test_config_migrate_newer_version_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
