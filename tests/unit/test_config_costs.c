/* costs update: a test-only provider with catalog slots, registered into the manager's
 * registry, serves an OpenRouter-shaped catalog from the fake HTTP server (or a file);
 * our models are matched, updated and added in the project's override files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/overrides.h"
#include "config/project_config.h"
#include "core/util.h"
#include "fake_http.h"
#include "llmt/manager.h"
#include "provider/catalog.h"
#include "provider/manager_internal.h"

#define FIX LLMT_SOURCE_DIR "/tests/fixtures/config/"

/* ---- the test-only catalog provider --------------------------------------------------- */

static llmt_status cat_init(void **state, const llmt_provider_settings *s, llmt_error *err)
{
    (void)err;
    *state = llmt_strdup(s->base_url);
    return LLMT_OK;
}

static void cat_destroy(void *state)
{
    free(state);
}

static llmt_status cat_call(void *state, const llmt_request *req, llmt_response *out, llmt_error *err)
{
    (void)state;
    (void)req;
    (void)out;
    return llmt_error_set(err, LLMT_E_UNSUPPORTED, "catalog only");
}

static llmt_status cat_build(void *state, llmt_http_request *out, llmt_error *err)
{
    (void)err;
    out->method = llmt_strdup("GET");
    out->url = llmt_asprintf("%s/api/v1/models", (const char *)state);
    return LLMT_OK;
}

static double per_million(json_t *v)
{
    const char *s = json_string_value(v);
    return s ? strtod(s, NULL) * 1e6 : -1;
}

static llmt_status cat_parse(void *state, const llmt_http_response *http,
                             llmt_catalog_entry **entries, size_t *n, llmt_error *err)
{
    json_t *root = json_loadb(http->body, http->body_len, 0, NULL);
    json_t *data = json_object_get(root, "data");
    size_t i;
    (void)state;
    if (!json_is_array(data)) {
        json_decref(root);
        return llmt_error_set(err, LLMT_E_BAD_RESPONSE, "no data array");
    }
    *entries = calloc(json_array_size(data) + 1, sizeof(**entries));
    *n = json_array_size(data);
    for (i = 0; i < *n; i++) {
        json_t *e = json_array_get(data, i), *pr = json_object_get(e, "pricing");
        (*entries)[i].id = llmt_strdup(json_string_value(json_object_get(e, "id")));
        (*entries)[i].cost_input = per_million(json_object_get(pr, "prompt"));
        (*entries)[i].cost_output = per_million(json_object_get(pr, "completion"));
        (*entries)[i].context_length = (long)json_integer_value(json_object_get(e, "context_length"));
        (*entries)[i].max_output_tokens = (long)json_integer_value(
            json_object_get(json_object_get(e, "top_provider"), "max_completion_tokens"));
    }
    json_decref(root);
    return LLMT_OK;
}

static const llmt_provider_ops catalog_ops = {
    .abi_version = LLMT_PROVIDER_ABI_VERSION,
    .name = "catalogtest",
    .capabilities = LLMT_CAP_LOCAL,
    .init = cat_init,
    .destroy = cat_destroy,
    .call = cat_call,
    .build_catalog_request = cat_build,
    .parse_catalog = cat_parse,
};

/* ---- fixture ------------------------------------------------------------------------ */

typedef struct fixture {
    char dir[64];
    char *config;
    fake_http_server *srv;
    char *catalog_text;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    const char *cfg = "{\"config_version\": 2}\n";
    snprintf(f->dir, sizeof f->dir, "/tmp/llmt-costs-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    f->config = llmt_path_join(f->dir, "llm-tester.json");
    if (llmt_write_file_atomic(f->config, cfg, strlen(cfg), NULL) != LLMT_OK)
        return -1;
    if (fake_http_start(&f->srv) != 0)
        return -1;
    if (llmt_read_file(FIX "catalog.json", &f->catalog_text, NULL, NULL) != LLMT_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char *cmd = llmt_asprintf("rm -rf '%s'", f->dir);
    fake_http_stop(f->srv);
    if (system(cmd) != 0)
        return -1;
    free(cmd);
    free(f->config);
    free(f->catalog_text);
    free(f);
    return 0;
}

/* A manager for the project with the catalog provider registered (its own override
 * applied, as the factory would). */
static llmt_manager *manager_with_catalog(fixture *f)
{
    llmt_manager_options o;
    llmt_manager *mgr = NULL;
    llmt_diags d = {0};
    llmt_error err;
    char *text = llmt_asprintf("{\"config_version\": 2, \"name\": \"catalogtest\", \"env_key\": \"\","
                               " \"base_url\": \"%s\", \"llm_models\": [{\"name\": \"vendor/free-model\","
                               " \"default\": true, \"cost_input\": 0, \"cost_output\": 0}]}",
                               fake_http_url(f->srv));
    char *ovr = llmt_path_join(f->dir, "providers/catalogtest.json");
    llmt_provider_config *cfg;
    llmt_manager_options_init(&o, LLMT_MANAGER_OPTIONS_VERSION);
    o.project_config_path = f->config;
    assert_int_equal(llmt_manager_new(&mgr, &o, &err), LLMT_OK);
    cfg = llmt_provider_config_layered(text, "test/catalogtest.json", ovr, &d);
    assert_non_null(cfg);
    assert_int_equal(llmt_registry_add(llmt_manager_registry(mgr), &catalog_ops, cfg, "test",
                                       NULL, false, &err),
                     LLMT_OK);
    free(text);
    free(ovr);
    llmt_diags_free(&d);
    return mgr;
}

static const llmt_cost_change *change_for(const llmt_cost_plan *p, const char *prov, const char *model)
{
    size_t i;
    for (i = 0; i < p->n; i++)
        if (strcmp(p->changes[i].provider, prov) == 0 && strcmp(p->changes[i].model, model) == 0)
            return &p->changes[i];
    return NULL;
}

static void test_config_costs_update_from_fake_server(void **state)
{
    fixture *f = *state;
    llmt_manager *mgr = manager_with_catalog(f);
    llmt_registry *reg = llmt_manager_registry(mgr);
    llmt_provider_entry *cat = llmt_catalog_provider(reg);
    const llmt_project *proj = llmt_manager_project(mgr);
    llmt_catalog_entry *entries = NULL;
    llmt_cost_plan plan;
    llmt_diags d = {0};
    llmt_error err;
    size_t n = 0, written = 0;
    const llmt_cost_change *c;
    const fake_http_request *r;
    fake_http_push_reply(f->srv, &(fake_http_reply){.status = 200, .body = f->catalog_text, .body_len = -1});
    assert_non_null(cat);
    assert_string_equal(cat->config->name, "catalogtest"); /* chosen by its ops slots */
    assert_int_equal(llmt_catalog_fetch(mgr, cat, proj->dir, NULL, 5000, &entries, &n, &err), LLMT_OK);
    assert_int_equal(n, 4);
    r = fake_http_request_at(f->srv, 0);
    assert_non_null(r);
    assert_string_equal(r->method, "GET");
    assert_string_equal(r->path, "/api/v1/models");

    assert_int_equal(llmt_cost_plan_make(reg, cat, entries, n, NULL, 0, &plan, &err), LLMT_OK);
    /* mock:oracle 0.15/0.6 -> 0.2/0.8 and its context grows: updated */
    c = change_for(&plan, "mock", "oracle");
    assert_non_null(c);
    assert_int_equal(c->kind, LLMT_COST_UPDATED);
    assert_true(c->input > 0.1999 && c->input < 0.2001);
    assert_int_equal(c->max_input_tokens, 200000);
    /* mock:noisy: same price (within 0.001 per 1M) and limits: unchanged */
    c = change_for(&plan, "mock", "noisy");
    assert_non_null(c);
    assert_int_equal(c->kind, LLMT_COST_UNCHANGED);
    /* three catalog models the catalog provider lacks are added, none to another provider */
    assert_int_equal(plan.added, 3);
    c = change_for(&plan, "catalogtest", "vendor/new-model");
    assert_non_null(c);
    assert_int_equal(c->kind, LLMT_COST_ADDED);
    assert_string_equal(c->category, "expensive");
    assert_null(change_for(&plan, "vendor", "new-model"));
    /* the catalog provider's own model matches by name: same price, but the catalog
     * knows its context length */
    c = change_for(&plan, "catalogtest", "vendor/free-model");
    assert_non_null(c);
    assert_int_equal(c->kind, LLMT_COST_UPDATED);
    assert_int_equal(c->max_input_tokens, 32000);
    assert_int_equal(plan.updated, 2);
    assert_int_equal(plan.unchanged, 1);

    assert_int_equal(llmt_cost_plan_apply(reg, &plan, proj, &d, &written, &err), LLMT_OK);
    assert_int_equal(written, 2);
    llmt_cost_plan_free(&plan);
    llmt_manager_free(mgr);

    /* reload: the overrides hold the new values; the same catalog now changes nothing */
    mgr = manager_with_catalog(f);
    reg = llmt_manager_registry(mgr);
    {
        llmt_provider_entry *mock = llmt_registry_find(reg, "mock");
        llmt_provider_entry *ct = llmt_registry_find(reg, "catalogtest");
        const llmt_model_config *m = llmt_provider_config_model(mock->config, "oracle");
        assert_true(m->cost_output > 0.7999 && m->cost_output < 0.8001);
        assert_int_equal(m->info.max_input_tokens, 200000);
        m = llmt_provider_config_model(ct->config, "vendor/new-model");
        assert_non_null(m);
        assert_false(m->enabled);
        assert_int_equal(m->info.max_output_tokens, 8000);
    }
    assert_int_equal(llmt_cost_plan_make(reg, llmt_catalog_provider(reg), entries, n, NULL, 0,
                                         &plan, &err),
                     LLMT_OK);
    assert_int_equal(plan.updated, 0);
    assert_int_equal(plan.added, 0);
    llmt_cost_plan_free(&plan);
    llmt_catalog_entries_free(entries, n);
    llmt_diags_free(&d);
    llmt_manager_free(mgr);
}

static void test_config_costs_from_file_and_provider_filter(void **state)
{
    fixture *f = *state;
    llmt_manager *mgr = manager_with_catalog(f);
    llmt_registry *reg = llmt_manager_registry(mgr);
    llmt_provider_entry *cat = llmt_catalog_provider(reg);
    llmt_catalog_entry *entries = NULL;
    llmt_cost_plan plan;
    llmt_error err;
    size_t n = 0;
    const char *only_mock[] = {"mock"}, *bogus[] = {"nope"};
    assert_int_equal(llmt_catalog_fetch(mgr, cat, f->dir, FIX "catalog.json", 5000, &entries, &n,
                                        &err),
                     LLMT_OK);
    assert_int_equal(n, 4);
    assert_int_equal(fake_http_request_count(f->srv), 0); /* offline */
    assert_int_equal(llmt_cost_plan_make(reg, cat, entries, n, only_mock, 1, &plan, &err), LLMT_OK);
    assert_int_equal(plan.added, 0); /* the catalog provider is not selected */
    assert_int_equal(plan.updated, 1);
    llmt_cost_plan_free(&plan);
    assert_int_equal(llmt_cost_plan_make(reg, cat, entries, n, bogus, 1, &plan, &err),
                     LLMT_E_NOT_FOUND);
    llmt_catalog_entries_free(entries, n);
    llmt_manager_free(mgr);
}

static void test_config_costs_http_error(void **state)
{
    fixture *f = *state;
    llmt_manager *mgr = manager_with_catalog(f);
    llmt_provider_entry *cat = llmt_catalog_provider(llmt_manager_registry(mgr));
    llmt_catalog_entry *entries = NULL;
    llmt_error err;
    size_t n = 0;
    fake_http_push_reply(f->srv, &(fake_http_reply){.status = 503, .body = "{}", .body_len = -1});
    assert_int_not_equal(llmt_catalog_fetch(mgr, cat, f->dir, NULL, 5000, &entries, &n, &err), LLMT_OK);
    assert_null(entries);
    assert_non_null(strstr(err.message, "503"));
    llmt_manager_free(mgr);
}

static void test_config_costs_category_from_price(void **state)
{
    (void)state;
    assert_string_equal(llmt_cost_category_for(0, 0), "free");
    assert_string_equal(llmt_cost_category_for(0.15, 0.6), "cheap");
    assert_string_equal(llmt_cost_category_for(2, 8), "standard");
    assert_string_equal(llmt_cost_category_for(3, 15), "expensive");
    assert_string_equal(llmt_cost_category_for(15, 75), "premium");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_config_costs_update_from_fake_server, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_costs_from_file_and_provider_filter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_costs_http_error, setup, teardown),
        cmocka_unit_test(test_config_costs_category_from_price),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
