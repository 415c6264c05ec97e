/* Project overrides (providers/<name>.json) over a shipped provider config, and the
 * locked, atomic, formatting-stable writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/cfgfile.h"
#include "config/overrides.h"
#include "core/util.h"

static const char *const BASE =
    "{\"config_version\": 2, \"name\": \"acme\", \"env_key\": \"\", \"base_url\": \"http://a\","
    " \"rate_limit\": {\"rpm\": 10, \"tpm\": 1000},"
    " \"llm_models\": ["
    "  {\"name\": \"big\", \"default\": true, \"cost_input\": 3, \"cost_output\": 15,"
    "   \"capabilities\": {\"json_schema\": true, \"images\": true}},"
    "  {\"name\": \"small\", \"cost_input\": 0.25, \"cost_output\": 1.25}]}";

typedef struct fixture {
    char dir[64];
    char path[128];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof f->dir, "/tmp/llmt-ovr-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/providers/acme.json", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char *cmd = llmt_asprintf("rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(cmd);
    free(f);
    return 0;
}

static void write_text(const char *path, const char *text)
{
    assert_int_equal(llmt_mkdirs("/tmp", NULL), LLMT_OK);
    assert_int_equal(llmt_write_file_atomic(path, text, strlen(text), NULL), LLMT_OK);
}

static char *slurp(const char *path)
{
    char *t = NULL;
    assert_int_equal(llmt_read_file(path, &t, NULL, NULL), LLMT_OK);
    return t;
}

static void test_config_overrides_merge_field_by_field(void **state)
{
    fixture *f = *state;
    llmt_diags d = {0};
    llmt_provider_config *c;
    const llmt_model_config *m;
    char *dir = llmt_asprintf("%s/providers", f->dir);
    assert_int_equal(llmt_mkdirs(dir, NULL), LLMT_OK);
    write_text(f->path,
               "{\"config_version\": 2, \"base_url\": \"http://b\", \"rate_limit\": {\"rpm\": 5},"
               " \"llm_models\": ["
               "  {\"name\": \"big\", \"cost_input\": 2.5, \"capabilities\": {\"images\": false}},"
               "  {\"name\": \"small\", \"removed\": true},"
               "  {\"name\": \"mine\", \"cost_input\": 1, \"cost_output\": 2, \"enabled\": false}]}");
    c = llmt_provider_config_layered(BASE, "shipped/acme.json", f->path, &d);
    assert_non_null(c);
    assert_int_equal(d.errors, 0);
    assert_string_equal(c->base_url, "http://b");
    assert_int_equal(c->rate_limit.rpm, 5);
    assert_int_equal(c->rate_limit.tpm, 1000); /* objects merge key by key */
    assert_int_equal(c->n_models, 2);
    m = llmt_provider_config_model(c, "big");
    assert_non_null(m);
    assert_true(m->cost_input == 2.5);
    assert_true(m->cost_output == 15); /* untouched field stays */
    assert_true(m->info.json_schema);
    assert_false(m->info.images);
    assert_true(m->is_default);
    assert_non_null(strstr(m->origin, "(over shipped/acme.json)"));
    assert_null(llmt_provider_config_model(c, "small"));
    m = llmt_provider_config_model(c, "mine");
    assert_non_null(m);
    assert_false(m->enabled);
    assert_string_equal(m->origin, f->path);
    assert_string_equal(c->path, "shipped/acme.json");
    assert_string_equal(c->override_path, f->path);
    llmt_provider_config_free(c);
    llmt_diags_free(&d);
    free(dir);
}

static void test_config_overrides_bad_override_names_file(void **state)
{
    fixture *f = *state;
    llmt_diags d = {0};
    char *dir = llmt_asprintf("%s/providers", f->dir);
    char *s;
    assert_int_equal(llmt_mkdirs(dir, NULL), LLMT_OK);
    write_text(f->path, "{\"config_version\": 2, \"enabled\": false, \"base_ur\": \"x\","
                        " \"llm_models\": [{\"name\": \"big\", \"cost_input\": \"cheap\"}]}");
    assert_null(llmt_provider_config_layered(BASE, "shipped/acme.json", f->path, &d));
    assert_true(d.errors >= 2);
    s = llmt_diag_format(&d.items[0]);
    assert_non_null(strstr(s, f->path));
    free(s);
    {
        size_t i;
        bool type = false, suggestion = false;
        for (i = 0; i < d.count; i++) {
            type = type || (strcmp(d.items[i].path, "/llm_models/0/cost_input") == 0 &&
                            strstr(d.items[i].message, "expected number, got string"));
            suggestion = suggestion || strstr(d.items[i].message, "did you mean 'base_url'");
        }
        assert_true(type);
        assert_true(suggestion);
    }
    llmt_diags_free(&d);
    free(dir);
}

static llmt_status set_default_small(json_t *ovr, const llmt_provider_config *before, void *ud,
                                     llmt_error *err)
{
    size_t i;
    (void)ud;
    (void)err;
    for (i = 0; i < before->n_models; i++)
        if (before->models[i].is_default)
            json_object_set_new(llmt_override_model(ovr, before->models[i].name, true), "default",
                                json_false());
    json_object_set_new(llmt_override_model(ovr, "small", true), "default", json_true());
    return LLMT_OK;
}

static llmt_status add_second_default(json_t *ovr, const llmt_provider_config *before, void *ud,
                                      llmt_error *err)
{
    (void)before;
    (void)ud;
    (void)err;
    json_object_set_new(llmt_override_model(ovr, "small", true), "default", json_true());
    return LLMT_OK;
}

static llmt_status refuse(json_t *ovr, const llmt_provider_config *before, void *ud, llmt_error *err)
{
    (void)before;
    (void)ud;
    json_object_set_new(ovr, "base_url", json_string("changed"));
    return llmt_error_set(err, LLMT_E_INVALID_ARG, "no");
}

static void test_config_overrides_edit_validates_and_keeps_file_on_failure(void **state)
{
    fixture *f = *state;
    llmt_diags d = {0};
    llmt_error err;
    llmt_provider_config *c;
    bool changed = false;
    char *before, *after;
    size_t i, n_default = 0;
    /* first write creates providers/acme.json */
    assert_int_equal(llmt_override_edit(f->path, BASE, "shipped", set_default_small, NULL, &d,
                                        &changed, &err),
                     LLMT_OK);
    assert_true(changed);
    c = llmt_provider_config_layered(BASE, "shipped", f->path, &d);
    assert_non_null(c);
    for (i = 0; i < c->n_models; i++)
        n_default += c->models[i].is_default;
    assert_int_equal(n_default, 1);
    assert_true(llmt_provider_config_model(c, "small")->is_default);
    llmt_provider_config_free(c);
    before = slurp(f->path);
    /* canonical format: 2-space indent, trailing newline */
    assert_true(strncmp(before, "{\n  \"config_version\": 2,\n", strlen("{\n  \"config_version\": 2,\n")) == 0);
    assert_int_equal(before[strlen(before) - 1], '\n');
    /* the same edit again changes nothing */
    assert_int_equal(llmt_override_edit(f->path, BASE, "shipped", set_default_small, NULL, &d,
                                        &changed, &err),
                     LLMT_OK);
    assert_false(changed);
    /* an edit whose result is invalid (two defaults) is refused; file untouched */
    assert_int_equal(llmt_override_edit(f->path, BASE, "shipped", add_second_default, NULL, &d,
                                        &changed, &err),
                     LLMT_OK); /* "small" is the default already: still one */
    d.errors = 0;
    assert_int_equal(llmt_override_edit(f->path, BASE, "shipped", refuse, NULL, &d, &changed, &err),
                     LLMT_E_INVALID_ARG);
    assert_false(changed);
    after = slurp(f->path);
    assert_string_equal(before, after);
    free(before);
    free(after);
    llmt_diags_free(&d);
}

static llmt_status make_two_defaults(json_t *ovr, const llmt_provider_config *before, void *ud,
                                     llmt_error *err)
{
    (void)before;
    (void)ud;
    (void)err;
    json_object_set_new(llmt_override_model(ovr, "big", true), "default", json_true());
    json_object_set_new(llmt_override_model(ovr, "small", true), "default", json_true());
    return LLMT_OK;
}

static void test_config_overrides_invalid_result_refused(void **state)
{
    fixture *f = *state;
    llmt_diags d = {0};
    llmt_error err;
    bool changed = true;
    assert_int_equal(llmt_override_edit(f->path, BASE, "shipped", make_two_defaults, NULL, &d,
                                        &changed, &err),
                     LLMT_E_CONFIG);
    assert_false(changed);
    assert_false(llmt_path_exists(f->path)); /* never created */
    assert_non_null(strstr(err.message, "more than one default"));
    llmt_diags_free(&d);
}

static llmt_status add_model(json_t *ovr, const llmt_provider_config *before, void *ud,
                             llmt_error *err)
{
    json_t *m = llmt_override_model(ovr, ud, true);
    (void)before;
    (void)err;
    json_object_set_new(m, "cost_input", json_real(1));
    json_object_set_new(m, "cost_output", json_real(2));
    return LLMT_OK;
}

static void test_config_overrides_concurrent_writers(void **state)
{
    fixture *f = *state;
    enum { PER_CHILD = 40 };
    pid_t kids[2];
    int k, status;
    llmt_diags d = {0};
    llmt_provider_config *c;
    for (k = 0; k < 2; k++) {
        kids[k] = fork();
        assert_true(kids[k] >= 0);
        if (kids[k] == 0) {
            int i, bad = 0;
            for (i = 0; i < PER_CHILD; i++) {
                llmt_diags cd = {0};
                char name[32];
                snprintf(name, sizeof name, "p%d-m%d", k, i);
                bad += llmt_override_edit(f->path, BASE, "shipped", add_model, name, &cd, NULL,
                                          NULL) != LLMT_OK;
                llmt_diags_free(&cd);
            }
            _exit(bad ? 1 : 0);
        }
    }
    for (k = 0; k < 2; k++) {
        assert_int_equal(waitpid(kids[k], &status, 0), kids[k]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    c = llmt_provider_config_layered(BASE, "shipped", f->path, &d);
    assert_non_null(c);
    assert_int_equal(c->n_models, 2 + 2 * PER_CHILD); /* every edit of both processes landed */
    assert_non_null(llmt_provider_config_model(c, "p0-m39"));
    assert_non_null(llmt_provider_config_model(c, "p1-m0"));
    llmt_provider_config_free(c);
    llmt_diags_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_config_overrides_merge_field_by_field, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_overrides_bad_override_names_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_overrides_edit_validates_and_keeps_file_on_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_overrides_invalid_result_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_overrides_concurrent_writers, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
