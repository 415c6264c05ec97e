/*
 * engine-bench: the run engine without the CLI, for when no built-in HTTP provider is
 * available (bench/run.sh prefers `llm-tester run` with a real provider). Registers a
 * minimal OpenAI-Chat-Completions provider ("benchai": builds the request JSON, parses
 * choices[0].message.content and usage, like a real provider would) and runs the
 * runner exactly as `llm-tester run --format json` does.
 *
 *   engine-bench TASKS_DIR BASE_URL CONCURRENCY OUTPUT_DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "provider/manager_internal.h"
#include "provider/registry.h"
#include "run/runner.h"

static llmt_status b_init(void **state, const llmt_provider_settings *s, llmt_error *err)
{
    (void)err;
    *state = llmt_asprintf("%s/chat/completions", s->base_url);
    return LLMT_OK;
}

static void b_destroy(void *state)
{
    free(state);
}

static llmt_status b_build(void *state, const llmt_request *req, llmt_http_request *out,
                           llmt_error *err)
{
    json_t *msgs = json_array(), *body;
    size_t i;
    if (req->system_prompt)
        json_array_append_new(msgs, json_pack("{s:s, s:s}", "role", "system", "content", req->system_prompt));
    for (i = 0; i < req->n_messages; i++)
        json_array_append_new(msgs, json_pack("{s:s, s:s}", "role", req->messages[i].role, "content",
                                              req->messages[i].content));
    body = json_pack("{s:s, s:o, s:f}", "model", req->model, "messages", msgs, "temperature", 0.0);
    if (req->max_tokens > 0)
        json_object_set_new(body, "max_tokens", json_integer(req->max_tokens));
    out->url = llmt_strdup(state);
    out->body = json_dumps(body, JSON_COMPACT);
    out->body_len = out->body ? strlen(out->body) : 0;
    json_decref(body);
    if (!out->url || !out->body || !llmt_http_request_add_header(out, "Content-Type", "application/json") ||
        !llmt_http_request_add_header(out, "Authorization", "Bearer bench"))
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    return LLMT_OK;
}

static llmt_status b_parse(void *state, const llmt_request *req, const llmt_http_response *http,
                           llmt_response *out, llmt_error *err)
{
    json_error_t je;
    json_t *j = json_loadb(http->body, http->body_len, 0, &je);
    json_t *msg = json_object_get(json_array_get(json_object_get(j, "choices"), 0), "message");
    json_t *usage = json_object_get(j, "usage");
    const char *text = json_string_value(json_object_get(msg, "content"));
    (void)state;
    (void)req;
    if (!text) {
        json_decref(j);
        return llmt_error_set(err, LLMT_E_BAD_RESPONSE, "no choices[0].message.content");
    }
    out->text = llmt_strdup(text);
    out->model = llmt_strdup(json_string_value(json_object_get(j, "model")));
    out->usage.input_tokens = (long)json_integer_value(json_object_get(usage, "prompt_tokens"));
    out->usage.output_tokens = (long)json_integer_value(json_object_get(usage, "completion_tokens"));
    out->usage.cached_input_tokens = -1;
    out->usage.reasoning_tokens = -1;
    json_decref(j);
    return LLMT_OK;
}

static llmt_status b_classify(void *state, const llmt_http_response *http, llmt_error *err)
{
    (void)state;
    return llmt_error_set(err, http->status == 429 ? LLMT_E_RATE_LIMIT : LLMT_E_SERVER, "HTTP %ld",
                          http->status);
}

static const llmt_provider_ops benchai = {
    .abi_version = LLMT_PROVIDER_ABI_VERSION,
    .name = "benchai",
    .capabilities = LLMT_CAP_SYSTEM_PROMPT,
    .init = b_init,
    .destroy = b_destroy,
    .build_request = b_build,
    .parse_response = b_parse,
    .classify_error = b_classify,
};

int main(int argc, char **argv)
{
    llmt_manager *mgr = NULL;
    llmt_manager_options mo;
    llmt_error err;
    llmt_diags d = {0};
    llmt_taskset ts;
    llmt_run_options o;
    llmt_run_result rr;
    llmt_provider_config *cfg;
    static const char *const models[] = {"benchai:bench-model"};
    char *json;
    int rc = 1;
    double t0, t1;
    if (argc != 5) {
        fprintf(stderr, "usage: engine-bench TASKS_DIR BASE_URL CONCURRENCY OUTPUT_DIR\n");
        return 2;
    }
    memset(&ts, 0, sizeof ts);
    memset(&rr, 0, sizeof rr);
    llmt_manager_options_init(&mo, LLMT_MANAGER_OPTIONS_VERSION);
    if (llmt_manager_new(&mgr, &mo, &err) != LLMT_OK)
        goto fail;
    json = llmt_asprintf("{\"config_version\": 2, \"name\": \"benchai\", \"provider_type\": \"benchai\","
                         " \"env_key\": \"\", \"base_url\": \"%s\", \"system_prompt\": \"\","
                         " \"llm_models\": [{\"name\": \"bench-model\", \"cost_input\": 0.15,"
                         " \"cost_output\": 0.6, \"max_output_tokens\": 1000}]}", argv[2]);
    cfg = llmt_provider_config_parse(json, "engine-bench", &d);
    free(json);
    if (!cfg || llmt_registry_add(llmt_manager_registry(mgr), &benchai, cfg, "bench", NULL, true, &err) != LLMT_OK) {
        fprintf(stderr, "engine-bench: cannot register the provider\n");
        goto done;
    }
    t0 = llmt_now_ms();
    if (llmt_tasks_discover(argv[1], &ts, &d, &err) != LLMT_OK)
        goto fail;
    t1 = llmt_now_ms();
    llmt_run_options_init(&o);
    o.tasks = &ts;
    o.models = models;
    o.n_models = 1;
    o.output_dir = argv[4];
    o.formats = LLMT_FORMAT_JSON;
    o.engine.concurrency = strtol(argv[3], NULL, 10);
    o.engine.retry.max_retries = 0;
    if (llmt_run_execute(mgr, &o, &rr, &d, &err) != LLMT_OK)
        goto fail;
    printf("results=%zu errors=%zu discovery=%.0fms run=%.0fms\n", rr.summary.n_rows,
           rr.summary.models[0].errors, t1 - t0, llmt_now_ms() - t1);
    rc = 0; /* failed calls are results: bench/run.sh reports them from results.jsonl */
    goto done;
fail:
    fprintf(stderr, "engine-bench: %s\n", err.message);
done:
    llmt_run_result_free(&rr);
    llmt_taskset_free(&ts);
    llmt_diags_free(&d);
    llmt_manager_free(mgr);
    return rc;
}
