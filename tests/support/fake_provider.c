/* fake_provider — see fake_provider.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

#include "fake_provider.h"
#include "core/util.h"
#include "provider/manager_internal.h"
#include "provider/registry.h"
#include "providers/toolkit/wire.h"

/* ------------------------------------------------------------ the provider */

llmt_status fp_build(void *state, const llmt_request *req, llmt_http_request *out,
                     llmt_error *err)
{
    json_t *body = json_object();
    llmt_status st;
    json_object_set_new(body, "model", json_string(req->model));
    if (req->n_messages)
        json_object_set_new(body, "prompt", json_string(req->messages[0].content));
    if (req->case_id)
        json_object_set_new(body, "case", json_string(req->case_id));
    st = llmt_wire_bearer_request(state, "POST", "v1/gen", body, out, err);
    json_decref(body);
    return st;
}

/* The usage member `key` of the reply, else the config's option `dflt_key`, else 0. */
static long usage_of(const json_t *reply, const char *key, const llmt_wire_basic *b,
                     const char *dflt_key)
{
    const json_t *v = json_object_get(reply, key);
    if (!json_is_integer(v))
        v = json_object_get(b->options, dflt_key);
    return (long)json_integer_value(v);
}

llmt_status fp_parse(void *state, const llmt_request *req, const llmt_http_response *http,
                     llmt_response *out, llmt_error *err)
{
    const llmt_wire_basic *b = state;
    json_t *reply = json_loadb(http->body, http->body_len, 0, NULL);
    const char *text;
    if (strcmp(llmt_wire_option(b, "answer", "text"), "reference") == 0)
        text = req->reference ? req->reference : "{}";
    else
        text = json_string_value(json_object_get(reply, "text"));
    if (!text) {
        json_decref(reply);
        return llmt_error_set(err, LLMT_E_BAD_RESPONSE, "no text");
    }
    out->text = llmt_strdup(text);
    out->model = llmt_strdup(req->model);
    out->usage.input_tokens = usage_of(reply, "in", b, "input_tokens");
    out->usage.output_tokens = usage_of(reply, "out", b, "output_tokens");
    out->usage.cached_input_tokens = -1;
    out->usage.reasoning_tokens = -1;
    json_decref(reply);
    return LLMT_OK;
}

llmt_status fp_classify(void *state, const llmt_http_response *http, llmt_error *err)
{
    (void)state;
    switch (http->status) {
    case 429: return llmt_error_set(err, LLMT_E_RATE_LIMIT, "slow down");
    case 402: return llmt_error_set(err, LLMT_E_QUOTA, "no credit");
    case 401: return llmt_error_set(err, LLMT_E_AUTH, "bad key");
    case 400: return llmt_error_set(err, LLMT_E_BAD_REQUEST, "bad request");
    case 503: return llmt_error_set(err, LLMT_E_OVERLOADED, "overloaded");
    default: return llmt_error_set(err, LLMT_E_SERVER, "server error %ld", http->status);
    }
}

const llmt_provider_ops fp_tjson_ops = {
    .abi_version = LLMT_PROVIDER_ABI_VERSION,
    .name = "tjson",
    .capabilities = LLMT_CAP_SYSTEM_PROMPT,
    .init = llmt_wire_basic_init,
    .destroy = llmt_wire_basic_destroy,
    .build_request = fp_build,
    .parse_response = fp_parse,
    .classify_error = fp_classify,
};

/* ------------------------------------------------------------ registration */

void fp_add_provider(llmt_manager *mgr, const llmt_provider_ops *ops, const char *json,
                     const char *base_url)
{
    llmt_diags d = {0};
    llmt_error err;
    llmt_provider_config *cfg;
    json_error_t je;
    json_t *root = json_loads(json, 0, &je);
    char *text;
    if (!root)
        fail_msg("provider config: %s at line %d: %s", je.text, je.line, json);
    if (base_url)
        json_object_set_new(root, "base_url", json_string(base_url));
    if (!json_object_get(root, "config_version"))
        json_object_set_new(root, "config_version", json_integer(2));
    if (!json_object_get(root, "env_key"))
        json_object_set_new(root, "env_key", json_string(""));
    text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    cfg = llmt_provider_config_parse(text, "test-config.json", &d);
    free(text);
    if (!cfg) {
        size_t i;
        for (i = 0; i < d.count; i++)
            fprintf(stderr, "config: %s %s\n", d.items[i].path ? d.items[i].path : "",
                    d.items[i].message);
    }
    assert_non_null(cfg);
    llmt_diags_free(&d);
    assert_int_equal(llmt_registry_add(llmt_manager_registry(mgr), ops, cfg, "test", NULL, true,
                                       &err), LLMT_OK);
}

/* ------------------------------------------------------------ the fixture */

void fp_fx_start(fp_fx *f, uint64_t seed)
{
    llmt_manager_options mo;
    llmt_error err;
    memset(f, 0, sizeof(*f));
    assert_int_equal(fake_http_start(&f->srv), 0);
    llmt_manager_options_init(&mo, LLMT_MANAGER_OPTIONS_VERSION);
    mo.seed = seed;
    assert_int_equal(llmt_manager_new(&f->mgr, &mo, &err), LLMT_OK);
}

void fp_fx_add(fp_fx *f, const llmt_provider_ops *ops, const char *json)
{
    fp_add_provider(f->mgr, ops, json, fake_http_url(f->srv));
}

void fp_fx_tasks(fp_fx *f, const char *tag)
{
    llmt_diags d = {0};
    llmt_error err;
    char *tasks = llmt_path_join(LLMT_SOURCE_DIR, "examples/tasks");
    assert_int_equal(llmt_tasks_discover(tasks, &f->ts, &d, &err), LLMT_OK);
    free(tasks);
    llmt_diags_free(&d);
    snprintf(f->dir, sizeof f->dir, "/tmp/llmt-test-%s-%ld", tag, (long)getpid());
}

size_t fp_fx_cases(const fp_fx *f)
{
    size_t i, n = 0;
    for (i = 0; i < f->ts.n_tasks; i++)
        n += f->ts.tasks[i].n_cases;
    return n;
}

void fp_fx_run_options(fp_fx *f, const char *const *models, size_t n)
{
    llmt_run_options_init(&f->run);
    f->run.tasks = &f->ts;
    f->run.models = models;
    f->run.n_models = n;
    f->run.output_dir = f->dir;
    f->run.formats = LLMT_FORMAT_JSON | LLMT_FORMAT_MD;
    f->run.engine.interrupted = &f->stop;
}

llmt_status fp_fx_run(fp_fx *f)
{
    llmt_run_result_free(&f->rr);
    return llmt_run_execute(f->mgr, &f->run, &f->rr, &f->diags, &f->err);
}

void fp_fx_stop(fp_fx *f)
{
    if (f->dir[0]) {
        char *cmd = llmt_asprintf("rm -rf '%s'", f->dir);
        assert_int_equal(system(cmd), 0);
        free(cmd);
    }
    fake_http_stop(f->srv);
    llmt_manager_free(f->mgr);
    llmt_taskset_free(&f->ts);
    llmt_run_result_free(&f->rr);
    llmt_diags_free(&f->diags);
}
