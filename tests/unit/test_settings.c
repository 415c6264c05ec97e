/* The settings table (config/settings.h): every row is consistent (its default passes
 * its own check, keys and options are unique), and llm-tester.json is validated by it:
 * types, ranges, choices, unknown keys of its sections. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "config/project_config.h"
#include "config/settings.h"

static bool has(const llmt_diags *d, llmt_diag_severity sev, const char *path, const char *text)
{
    size_t i;
    for (i = 0; i < d->count; i++)
        if (d->items[i].severity == sev && strcmp(d->items[i].path, path) == 0 &&
            strstr(d->items[i].message, text))
            return true;
    return false;
}

static void test_rows_consistent(void **state)
{
    const llmt_setting *s, *t;
    (void)state;
    for (s = llmt_settings; s->key; s++) {
        json_t *d = llmt_setting_default(s);
        llmt_diags diags = {0};
        assert_non_null(s->help);
        assert_ptr_equal(llmt_setting_find(s->key), s);
        if (s->dflt) {
            assert_non_null(d); /* parses */
            llmt_setting_check(s, d, "table", NULL, &diags);
            assert_int_equal(diags.errors, 0);
        }
        if (s->type == LLMT_SETTING_ENUM)
            assert_non_null(s->choices);
        if (s->type == LLMT_SETTING_INT || s->type == LLMT_SETTING_NUMBER)
            assert_true(s->min <= s->max);
        if (s->flag_scale > 0)
            assert_true(s->type == LLMT_SETTING_INT && s->flag);
        for (t = s + 1; t->key; t++) {
            assert_string_not_equal(s->key, t->key);
            if (s->flag && t->flag)
                assert_string_not_equal(s->flag, t->flag);
        }
        json_decref(d);
        llmt_diags_free(&diags);
    }
}

static void test_project_checked_by_table(void **state)
{
    llmt_diags d = {0};
    json_t *root = json_loads("{\"config_version\": 2, \"run\": {\"concurrency\": 0, \"repeat\": 2,"
                              " \"retry_max_time_ms\": 60000, \"formats\": [\"md\", 3],"
                              " \"concurency\": 4}, \"scoring\": {\"threshold\": 101,"
                              " \"list_mode\": \"fuzzy\", \"weights\": {\"a\": -1}},"
                              " \"cache\": 3, \"models\": [\"nocolon\"], \"bogus\": 1}",
                              0, NULL);
    (void)state;
    assert_non_null(root);
    llmt_project_config_check(root, "p.json", &d);
    assert_true(has(&d, LLMT_DIAG_ERROR, "/run/concurrency", "between 1 and 10000, got 0"));
    assert_true(has(&d, LLMT_DIAG_ERROR, "/run/formats/1", "expected string"));
    assert_true(has(&d, LLMT_DIAG_WARNING, "/run/concurency", "did you mean 'concurrency'"));
    assert_true(has(&d, LLMT_DIAG_ERROR, "/scoring/threshold", "between 0 and 100, got 101"));
    assert_true(has(&d, LLMT_DIAG_ERROR, "/scoring/list_mode", "expected one of ordered_exact"));
    assert_true(has(&d, LLMT_DIAG_ERROR, "/scoring/weights/a", "expected a number >= 0"));
    assert_true(has(&d, LLMT_DIAG_ERROR, "/cache", "expected object"));
    assert_true(has(&d, LLMT_DIAG_ERROR, "/models/0", "provider:model"));
    assert_true(has(&d, LLMT_DIAG_WARNING, "/bogus", "unknown key"));
    /* a setting the table knows is not unknown */
    assert_false(has(&d, LLMT_DIAG_WARNING, "/run/retry_max_time_ms", "unknown"));
    assert_false(has(&d, LLMT_DIAG_ERROR, "/run/repeat", ""));
    assert_int_equal(d.errors, 7);
    llmt_diags_free(&d);
    json_decref(root);
}

static void test_defaults_and_ranges(void **state)
{
    json_t *d = llmt_project_default("run/concurrency");
    const llmt_setting *t = llmt_setting_find("run/timeout_ms");
    char buf[64];
    (void)state;
    assert_int_equal(json_integer_value(d), 8);
    json_decref(d);
    assert_null(llmt_project_default("run/budget_usd")); /* unset by default */
    assert_null(llmt_setting_find("run/nope"));
    llmt_setting_range_text(t, true, buf, sizeof buf);
    assert_string_equal(buf, "a number > 0");
    llmt_setting_range_text(llmt_setting_find("run/repeat"), true, buf, sizeof buf);
    assert_string_equal(buf, "a whole number between 1 and 1000");
    assert_false(llmt_setting_in_range(t, 0));
    assert_true(llmt_setting_in_range(t, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_consistent),
        cmocka_unit_test(test_project_checked_by_table),
        cmocka_unit_test(test_defaults_and_ranges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
