/* Plugin loading (src/provider/plugin.c): every refusal reason, rollback, override of a
 * built-in, and a call through a loaded plugin. Fixtures: tests/unit/fixtures/. */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/util.h"
#include "llmt/manager.h"
#include "provider/factory.h"
#include "provider/manager_internal.h"
#include "provider/plugin.h"

#define FIXTURES LLMT_BUILD_DIR "/test-plugins"

static const char *const config_fmt =
    "{\"config_version\": 2, \"name\": \"%s\", \"provider_type\": \"test\", \"env_key\": \"\","
    " \"base_url\": \"\", \"system_prompt\": \"\", \"supports_file_upload\": false,%s"
    " \"llm_models\": [{\"name\": \"m1\", \"default\": true, \"cost_input\": 1.0,"
    " \"cost_output\": 2.0, \"cost_category\": \"cheap\"}]}";

typedef struct fx {
    char dir[64];
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof f->dir, "/tmp/llmt-test-plugin-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    char *cmd = llmt_asprintf("rm -rf '%s'", f->dir);
    int rc = system(cmd);
    free(cmd);
    free(f);
    return rc == 0 ? 0 : -1;
}

/* <dir>/<folder>/<folder>.so copied from fixture `variant`, plus a config.json naming
 * `cfg_name` with `extra` fields (NULL config_text: generated; "" : no config). */
static void make_plugin(const fx *f, const char *folder, const char *variant,
                        const char *cfg_name, const char *extra, const char *config_text)
{
    char *cmd = llmt_asprintf("mkdir -p '%s/%s' && cp '%s/%s.so' '%s/%s/%s.so'", f->dir, folder,
                              FIXTURES, variant, f->dir, folder, folder);
    char *cfg_path = llmt_asprintf("%s/%s/config.json", f->dir, folder);
    char *text = config_text ? llmt_strdup(config_text)
                             : llmt_asprintf(config_fmt, cfg_name, extra ? extra : "");
    assert_int_equal(system(cmd), 0);
    if (text[0])
        assert_int_equal(llmt_write_file_atomic(cfg_path, text, strlen(text), NULL), LLMT_OK);
    free(cmd);
    free(cfg_path);
    free(text);
}

static llmt_registry *new_registry_with_builtins(void)
{
    llmt_registry *reg = NULL;
    llmt_diags d = {0};
    assert_int_equal(llmt_registry_new(&reg, NULL, NULL), LLMT_OK);
    assert_int_equal(llmt_factory_load_builtins(reg, &d, NULL), LLMT_OK);
    llmt_diags_free(&d);
    return reg;
}

/* Loads <dir>/<name> and expects a refusal whose message contains `needle`; checks the
 * registry is unchanged and the shared object was unloaded again. */
static void expect_refusal(const fx *f, const char *name, const char *needle)
{
    llmt_registry *reg = new_registry_with_builtins();
    size_t before = llmt_registry_count(reg);
    llmt_error err;
    char *so = llmt_asprintf("%s/%s/%s.so", f->dir, name, name);
    void *still;
    llmt_error_clear(&err);
    assert_int_equal(llmt_plugin_load(reg, f->dir, name, &err), LLMT_E_PLUGIN);
    if (!strstr(err.message, needle))
        fail_msg("refusal of '%s' says \"%s\", expected it to contain \"%s\"", name, err.message,
                 needle);
    assert_string_equal(err.provider, name);
    assert_int_equal(llmt_registry_count(reg), before);
    /* RTLD_NOLOAD: non-NULL only if something still holds the object open */
    still = dlopen(so, RTLD_NOW | RTLD_NOLOAD);
    if (still)
        dlclose(still);
    assert_null(still);
    llmt_registry_free(reg);
    free(so);
}

static void test_plugin_loads_and_registers(void **state)
{
    fx *f = *state;
    llmt_registry *reg = new_registry_with_builtins();
    llmt_provider_entry *e;
    llmt_error err;
    make_plugin(f, "fxgood", "fxgood", "fxgood", NULL, NULL);
    assert_int_equal(llmt_plugin_load(reg, f->dir, "fxgood", &err), LLMT_OK);
    e = llmt_registry_find(reg, "fxgood");
    assert_non_null(e);
    assert_non_null(e->dl_handle);
    assert_non_null(strstr(e->origin, "/fxgood/fxgood.so"));
    assert_int_equal(e->config->n_models, 1);
    llmt_registry_free(reg);
}

/* Trust: nothing is loaded from a file or folder another user could change. */
static void test_plugin_refuses_files_writable_by_others(void **state)
{
    fx *f = *state;
    char *path;
    make_plugin(f, "fxgood", "fxgood", "fxgood", NULL, NULL);
    path = llmt_asprintf("%s/fxgood/fxgood.so", f->dir);
    assert_int_equal(chmod(path, 0757), 0);
    expect_refusal(f, "fxgood", "fxgood.so is writable by every user");
    assert_int_equal(chmod(path, 0755), 0);
    free(path);
    path = llmt_asprintf("%s/fxgood/config.json", f->dir);
    assert_int_equal(chmod(path, 0666), 0);
    expect_refusal(f, "fxgood", "config.json is writable by every user");
    assert_int_equal(chmod(path, 0644), 0);
    free(path);
    path = llmt_asprintf("%s/fxgood", f->dir);
    assert_int_equal(chmod(path, 0777), 0);
    expect_refusal(f, "fxgood", "/fxgood is writable by every user");
    assert_int_equal(chmod(path, 0755), 0);
    free(path);
    /* the folder of plugin folders: sticky or not, others could plant a plugin there */
    assert_int_equal(chmod(f->dir, 01777), 0);
    expect_refusal(f, "fxgood", "is writable by every user");
    assert_int_equal(chmod(f->dir, 0700), 0);
    /* back to safe modes: it loads (under /tmp, world-writable but sticky) */
    {
        llmt_registry *reg = new_registry_with_builtins();
        llmt_error err;
        assert_int_equal(llmt_plugin_load(reg, f->dir, "fxgood", &err), LLMT_OK);
        llmt_registry_free(reg);
    }
}

static void test_plugin_refuses_files_of_another_user(void **state)
{
    fx *f = *state;
    char *path;
    if (geteuid() != 0) {
        /* only root can give a file away; the mode checks above run for everyone */
        print_message("skipped: giving a file to another user needs root\n");
        skip();
    }
    make_plugin(f, "fxgood", "fxgood", "fxgood", NULL, NULL);
    path = llmt_asprintf("%s/fxgood/fxgood.so", f->dir);
    assert_int_equal(chown(path, 65534, 65534), 0); /* nobody */
    expect_refusal(f, "fxgood", "fxgood.so belongs to another user");
    free(path);
}

static void test_plugin_refuses_newer_major_abi(void **state)
{
    make_plugin(*state, "fxabi2", "fxabi2", "fxabi2", NULL, NULL);
    expect_refusal(*state, "fxabi2", "provider ABI version 2.0 is not supported (this llm-tester speaks 1.");
}

static void test_plugin_refuses_older_major_abi(void **state)
{
    make_plugin(*state, "fxabi0", "fxabi0", "fxabi0", NULL, NULL);
    expect_refusal(*state, "fxabi0", "provider ABI version 0.5 is not supported (this llm-tester speaks 1.");
}

static void test_plugin_refuses_missing_required_op(void **state)
{
    make_plugin(*state, "fxnocall", "fxnocall", "fxnocall", NULL, NULL);
    expect_refusal(*state, "fxnocall", "lacks the required op call");
}

static void test_plugin_refuses_missing_entry_symbol(void **state)
{
    make_plugin(*state, "fxnosym", "fxnosym", "fxnosym", NULL, NULL);
    expect_refusal(*state, "fxnosym", "does not export llmt_provider_entry()");
}

static void test_plugin_refuses_null_table(void **state)
{
    make_plugin(*state, "fxnull", "fxnull", "fxnull", NULL, NULL);
    expect_refusal(*state, "fxnull", "no provider table");
}

static void test_plugin_refuses_unresolved_symbol(void **state)
{
    make_plugin(*state, "fxundef", "fxundef", "fxundef", NULL, NULL);
    expect_refusal(*state, "fxundef", "llmt_fixture_symbol_that_does_not_exist");
}

static void test_plugin_refuses_invalid_config(void **state)
{
    make_plugin(*state, "fxgood", "fxgood", NULL, NULL,
                "{\"config_version\": 2, \"name\": \"fxgood\", \"provider_type\": \"t\", "
                "\"env_key\": \"\", \"base_url\": \"\", \"llm_models\": [{\"name\": 5}]}");
    expect_refusal(*state, "fxgood", "/fxgood/config.json: /llm_models/0/name");
}

static void test_plugin_refuses_malformed_config_json(void **state)
{
    make_plugin(*state, "fxgood", "fxgood", NULL, NULL, "{\"name\": ");
    expect_refusal(*state, "fxgood", "/fxgood/config.json");
}

static void test_plugin_refuses_missing_config(void **state)
{
    make_plugin(*state, "fxgood", "fxgood", NULL, NULL, "");
    expect_refusal(*state, "fxgood", "config.json is missing or unreadable");
}

static void test_plugin_refuses_config_name_mismatch(void **state)
{
    make_plugin(*state, "fxgood", "fxgood", "other", NULL, NULL);
    expect_refusal(*state, "fxgood", "/name: expected \"fxgood\" (the folder name), got \"other\"");
}

static void test_plugin_refuses_folder_name_mismatch(void **state)
{
    make_plugin(*state, "renamed", "fxgood", "renamed", NULL, NULL);
    expect_refusal(*state, "renamed", "calls itself 'fxgood' but its folder is 'renamed'");
}

static void test_plugin_refuses_invalid_name(void **state)
{
    make_plugin(*state, "Bad.Name", "fxgood", "Bad.Name", NULL, NULL);
    expect_refusal(*state, "Bad.Name", "is not a valid provider name");
}

static void test_plugin_refuses_builtin_clash_without_override(void **state)
{
    make_plugin(*state, "mock", "mock", "mock", NULL, NULL);
    expect_refusal(*state, "mock", "already taken by the built-in provider (set \"override_builtin\": true");
}

static void test_plugin_refuses_non_boolean_override(void **state)
{
    make_plugin(*state, "mock", "mock", "mock", " \"override_builtin\": \"yes\",", NULL);
    expect_refusal(*state, "mock", "/override_builtin: expected a boolean");
}

static void test_plugin_overrides_builtin_when_config_says_so(void **state)
{
    fx *f = *state;
    llmt_manager_options o;
    llmt_manager *mgr = NULL;
    llmt_request req;
    llmt_response resp;
    llmt_message msg = {"user", "hello"};
    llmt_error err;
    llmt_provider_entry *e;
    make_plugin(f, "mock", "mock", "mock", " \"override_builtin\": true,", NULL);
    llmt_manager_options_init(&o, LLMT_MANAGER_OPTIONS_VERSION);
    o.plugin_path = f->dir;
    assert_int_equal(llmt_manager_new(&mgr, &o, &err), LLMT_OK);
    e = llmt_registry_find(llmt_manager_registry(mgr), "mock");
    assert_non_null(e);
    assert_non_null(strstr(e->origin, "/mock/mock.so"));
    assert_int_equal(llmt_manager_refused_plugins(mgr)->count, 0);
    memset(&req, 0, sizeof req);
    req.version = LLMT_REQUEST_VERSION;
    req.messages = &msg;
    req.n_messages = 1;
    assert_int_equal(llmt_manager_complete(mgr, "mock:m1", &req, &resp, &err), LLMT_OK);
    assert_string_equal(resp.text, "{\"from\": \"mock\"}");
    /* priced from the plugin's config: 10 in × $1/M + 5 out × $2/M */
    assert_true(resp.cost_known);
    assert_true(resp.cost_usd > 1.99e-5 && resp.cost_usd < 2.01e-5);
    llmt_response_clear(&resp);
    llmt_manager_free(mgr);
}

static void test_plugin_path_scans_dirs_and_records_refusals(void **state)
{
    fx *f = *state;
    llmt_manager_options o;
    llmt_manager *mgr = NULL;
    llmt_error err;
    const llmt_plugin_refusals *r;
    char *path;
    make_plugin(f, "fxgood", "fxgood", "fxgood", NULL, NULL);
    make_plugin(f, "fxabi2", "fxabi2", "fxabi2", NULL, NULL);
    /* a missing directory and empty entries are skipped; the same dir twice makes the
     * second fxgood a duplicate */
    path = llmt_asprintf("::/nonexistent/llmt:%s:%s", f->dir, f->dir);
    llmt_manager_options_init(&o, LLMT_MANAGER_OPTIONS_VERSION);
    o.plugin_path = path;
    assert_int_equal(llmt_manager_new(&mgr, &o, &err), LLMT_OK);
    assert_non_null(llmt_registry_find(llmt_manager_registry(mgr), "fxgood"));
    assert_null(llmt_registry_find(llmt_manager_registry(mgr), "fxabi2"));
    r = llmt_manager_refused_plugins(mgr);
    assert_int_equal(r->count, 3);
    assert_string_equal(r->items[0].name, "fxabi2");
    assert_non_null(strstr(r->items[0].reason, "ABI version 2.0"));
    assert_string_equal(r->items[2].name, "fxgood");
    assert_non_null(strstr(r->items[2].reason, "first plugin on the path wins"));
    llmt_manager_free(mgr);
    free(path);
}

static void test_manager_options_version_1_has_no_plugin_path(void **state)
{
    fx *f = *state;
    /* a version-1 caller's struct has no plugin_path: whatever follows must not be read */
    struct {
        llmt_manager_options o;
    } v1;
    llmt_manager *mgr = NULL;
    llmt_error err;
    make_plugin(f, "fxgood", "fxgood", "fxgood", NULL, NULL);
    llmt_manager_options_init(&v1.o, LLMT_MANAGER_OPTIONS_VERSION);
    v1.o.version = 1;
    v1.o.plugin_path = f->dir;
    assert_int_equal(llmt_manager_new(&mgr, &v1.o, &err), LLMT_OK);
    assert_null(llmt_registry_find(llmt_manager_registry(mgr), "fxgood"));
    llmt_manager_free(mgr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_plugin_loads_and_registers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plugin_refuses_files_writable_by_others, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plugin_refuses_files_of_another_user, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plugin_refuses_newer_major_abi, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plugin_refuses_older_major_abi, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plugin_refuses_missing_required_op, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plugin_refuses_missing_entry_symbol, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plugin_refuses_null_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plugin_refuses_unresolved_symbol, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plugin_refuses_invalid_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plugin_refuses_malformed_config_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plugin_refuses_missing_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plugin_refuses_config_name_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plugin_refuses_folder_name_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plugin_refuses_invalid_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plugin_refuses_builtin_clash_without_override, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plugin_refuses_non_boolean_override, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plugin_overrides_builtin_when_config_says_so, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plugin_path_scans_dirs_and_records_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_manager_options_version_1_has_no_plugin_path, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
