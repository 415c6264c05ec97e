/* The openrouter provider's batch ops against OpenRouter's Batch API wire format
 * (docs/providers.md, "OpenRouter's Batch API"): a line is the interactive body under
 * {custom_id, body}, a request with files is refused as unsupported (it runs
 * interactively); the documented limits, one response_format per batch; the create
 * body writes endpoint and model before requests; every status word maps to its state,
 * counts as documented, inline results become one line each; result rows become the
 * reply a live call would have had, or timeout / cancelled / server; cancel is POST
 * /batches/{id}/cancel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "llmt/provider.h"
#include "provider/host_api.h"

extern const llmt_provider_ops llmt_provider_openrouter;
#define OPS (&llmt_provider_openrouter)

static const char CONFIG[] = "{\"options\":{\"app_title\":\"llm-tester\"}}";

static void *instance(void)
{
    llmt_provider_settings s;
    llmt_error err;
    void *state = NULL;
    memset(&s, 0, sizeof s);
    s.version = LLMT_PROVIDER_SETTINGS_VERSION;
    s.name = "openrouter";
    s.base_url = "https://openrouter.test/api/v1";
    s.api_key = "sk-or-unit";
    s.config_json = CONFIG;
    s.host = llmt_host();
    assert_int_equal(OPS->init(&state, &s, &err), LLMT_OK);
    return state;
}

static void request_of(llmt_request *r, llmt_model_info *mi, llmt_message *m)
{
    memset(r, 0, sizeof(*r));
    memset(mi, 0, sizeof(*mi));
    mi->name = "openai/gpt-4.1-mini";
    mi->json_schema = true;
    m->role = "user";
    m->content = "Extract this.";
    r->version = LLMT_REQUEST_VERSION;
    r->model = mi->name;
    r->model_info = mi;
    r->messages = m;
    r->n_messages = 1;
    r->max_tokens = 512;
    r->temperature = -1;
    r->json_schema = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},"
                     "\"required\":[\"a\"],\"additionalProperties\":false}";
    r->schema_name = "t";
    r->structured_mode = LLMT_STRUCTURED_JSON_SCHEMA;
    r->schema_strict = true;
}

static const char *header(const llmt_http_request *h, const char *name)
{
    size_t i;
    for (i = 0; i < h->n_headers; i++)
        if (strcmp(h->headers[i].name, name) == 0)
            return h->headers[i].value;
    return NULL;
}

static void a_line_is_the_interactive_body_and_files_stay_interactive(void **st)
{
    void *state = instance();
    llmt_request r;
    llmt_model_info mi;
    llmt_message m;
    llmt_http_request live;
    llmt_file f = {"scan.png", "image/png", (const unsigned char *)"\x89PNG", 4};
    llmt_error err;
    char *line = NULL;
    size_t len = 0;
    json_t *jl, *jb;
    (void)st;
    request_of(&r, &mi, &m);
    memset(&live, 0, sizeof live);
    assert_int_equal(OPS->build_request(state, &r, &live, &err), LLMT_OK);
    assert_int_equal(OPS->batch_line(state, &r, "llmt-0123456789abcdef", &line, &len, &err),
                     LLMT_OK);
    assert_int_equal(strlen(line), len);
    jl = json_loads(line, 0, NULL);
    jb = json_loadb(live.body, live.body_len, 0, NULL);
    assert_non_null(jl);
    assert_non_null(jb);
    assert_string_equal(json_string_value(json_object_get(jl, "custom_id")),
                        "llmt-0123456789abcdef");
    assert_true(json_equal(json_object_get(jl, "body"), jb));
    assert_true(json_is_true(
        json_object_get(json_object_get(json_object_get(jl, "body"), "provider"), "require_parameters")));
    assert_int_equal(json_object_size(jl), 2);
    json_decref(jl);
    json_decref(jb);
    free(line);
    llmt_http_request_clear(&live);

    r.files = &f;
    r.n_files = 1;
    mi.images = true;
    line = NULL;
    assert_int_equal(OPS->batch_line(state, &r, "llmt-0123456789abcdef", &line, &len, &err),
                     LLMT_E_UNSUPPORTED);
    assert_null(line);
    assert_non_null(strstr(err.message, "public URLs"));
    OPS->destroy(state);
}

static void limits_as_documented(void **st)
{
    llmt_batch_limits lim;
    (void)st;
    memset(&lim, 0, sizeof lim);
    OPS->batch_limits(NULL, &lim);
    assert_int_equal(lim.max_requests, 5000);
    assert_true(lim.max_bytes > 199LL * 1000 * 1000 && lim.max_bytes < 200LL * 1000 * 1000);
    assert_true(lim.one_format); /* Google-routed batches: one response_format each */
}

static void the_create_body_puts_endpoint_and_model_first(void **st)
{
    void *state = instance();
    static const char lines[] = "{\"custom_id\":\"a\",\"body\":{\"x\":1}}\n"
                                "{\"custom_id\":\"b\",\"body\":{\"x\":2}}\n";
    llmt_batch_submit s;
    llmt_http_request out;
    llmt_http_response reply;
    llmt_error err;
    static const char prefix[] =
        "{\"endpoint\":\"/v1/chat/completions\",\"model\":\"openai/gpt-4.1-mini\",\"requests\":[";
    (void)st;
    memset(&s, 0, sizeof s);
    memset(&out, 0, sizeof out);
    s.lines = lines;
    s.lines_len = strlen(lines);
    s.n_lines = 2;
    s.model = "openai/gpt-4.1-mini";
    s.label = "run-1";
    assert_int_equal(OPS->batch_submit(state, &s, &out, &err), LLMT_OK);
    assert_false(s.done);
    assert_string_equal(out.method, "POST");
    assert_string_equal(out.url, "https://openrouter.test/api/v1/batches");
    assert_string_equal(header(&out, "Authorization"), "Bearer sk-or-unit");
    assert_string_equal(header(&out, "Content-Type"), "application/json");
    assert_string_equal(header(&out, "X-Title"), "llm-tester");
    assert_int_equal(out.body_len, strlen(out.body));
    assert_memory_equal(out.body, prefix, strlen(prefix));
    assert_string_equal(out.body + strlen(prefix),
                        "{\"custom_id\":\"a\",\"body\":{\"x\":1}},"
                        "{\"custom_id\":\"b\",\"body\":{\"x\":2}}]}");
    llmt_http_request_clear(&out);
    /* the 202 names the batch */
    memset(&reply, 0, sizeof reply);
    reply.status = 202;
    reply.body = "{\"id\":\"batch_9\",\"object\":\"batch\",\"status\":\"validating\"}";
    reply.body_len = strlen(reply.body);
    s.step = 1;
    s.reply = &reply;
    assert_int_equal(OPS->batch_submit(state, &s, &out, &err), LLMT_OK);
    assert_true(s.done);
    assert_string_equal(s.batch_id, "batch_9");
    free(s.batch_id);
    llmt_http_request_clear(&out);
    OPS->destroy(state);
}

static llmt_batch_status status_of(void *state, const char *body)
{
    llmt_http_response h;
    llmt_batch_status st;
    llmt_error err;
    memset(&h, 0, sizeof h);
    memset(&st, 0, sizeof st);
    h.status = 200;
    h.body = body;
    h.body_len = strlen(body);
    assert_int_equal(OPS->batch_status(state, &h, &st, &err), LLMT_OK);
    return st;
}

static void status_words_counts_and_inline_results(void **unused)
{
    static const struct {
        const char *word;
        llmt_batch_state state;
    } words[] = {{"validating", LLMT_BATCH_RUNNING}, {"in_progress", LLMT_BATCH_RUNNING},
                 {"finalizing", LLMT_BATCH_RUNNING}, {"cancelling", LLMT_BATCH_CANCELLING},
                 {"completed", LLMT_BATCH_ENDED},    {"expired", LLMT_BATCH_ENDED},
                 {"cancelled", LLMT_BATCH_ENDED},    {"failed", LLMT_BATCH_FAILED}};
    void *state = instance();
    llmt_batch_status st;
    llmt_http_response h;
    llmt_http_request req;
    llmt_error err;
    size_t i;
    char body[512];
    (void)unused;
    for (i = 0; i < sizeof words / sizeof words[0]; i++) {
        snprintf(body, sizeof body,
                 "{\"id\":\"b\",\"status\":\"%s\",\"request_counts\":{\"total\":100,"
                 "\"completed\":98,\"failed\":2},\"results\":null,\"error\":null}",
                 words[i].word);
        st = status_of(state, body);
        assert_int_equal(st.state, words[i].state);
        assert_string_equal(st.state_text, words[i].word);
        assert_true(st.total == 100 && st.succeeded == 98 && st.failed == 2);
        assert_null(st.inline_results);
        llmt_batch_status_clear(&st);
    }
    st = status_of(state, "{\"status\":\"completed\",\"request_counts\":{\"total\":2,"
                          "\"completed\":2,\"failed\":0},\"results\":[{\"custom_id\":\"a\"},"
                          "{\"custom_id\":\"b\",\"error\":null}]}");
    assert_string_equal(st.inline_results,
                        "{\"custom_id\":\"a\"}\n{\"custom_id\":\"b\",\"error\":null}\n");
    /* nothing to download: the results came with the poll */
    memset(&req, 0, sizeof req);
    assert_int_equal(OPS->batch_results(state, &st, 0, &req, &err), LLMT_E_NOT_FOUND);
    llmt_batch_status_clear(&st);
    st = status_of(state, "{\"status\":\"failed\",\"results\":null,"
                          "\"error\":{\"message\":\"request 2: image parts must be URLs\"}}");
    assert_string_equal(st.message, "request 2: image parts must be URLs");
    llmt_batch_status_clear(&st);
    /* no status at all is a broken reply */
    memset(&h, 0, sizeof h);
    memset(&st, 0, sizeof st);
    h.status = 200;
    h.body = "{\"id\":\"b\"}";
    h.body_len = strlen(h.body);
    assert_int_equal(OPS->batch_status(state, &h, &st, &err), LLMT_E_BAD_RESPONSE);
    llmt_batch_status_clear(&st);
    OPS->destroy(state);
}

/* the instance's helpers come through its host table: every op gets the state */
static llmt_batch_result row(const char *line, llmt_status want)
{
    void *state = instance();
    llmt_batch_result r;
    llmt_error err;
    memset(&r, 0, sizeof r);
    assert_int_equal(OPS->batch_result_line(state, line, strlen(line), &r, &err), want);
    OPS->destroy(state);
    return r;
}

static void result_rows_become_live_replies_or_classes(void **unused)
{
    llmt_batch_result r;
    json_t *b;
    (void)unused;
    r = row("{\"id\":\"r\",\"custom_id\":\"a\",\"response\":{\"status_code\":200,\"request_id\":"
            "\"q\",\"body\":{\"choices\":[]}},\"error\":null}",
            LLMT_OK);
    assert_string_equal(r.custom_id, "a");
    assert_int_equal(r.http_status, 200);
    assert_string_equal(r.body, "{\"choices\":[]}");
    llmt_batch_result_clear(&r);
    /* an error row whose type names a live status: that reply, for classify_error */
    r = row("{\"custom_id\":\"b\",\"response\":null,\"error\":{\"message\":\"bad schema\","
            "\"type\":\"invalid_request_error\",\"param\":\"response_format\"}}",
            LLMT_OK);
    assert_int_equal(r.http_status, 400);
    b = json_loads(r.body, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(json_object_get(b, "error"), "message")),
                        "bad schema");
    json_decref(b);
    llmt_batch_result_clear(&r);
    /* a numeric code (OpenRouter's live errors carry one) wins */
    r = row("{\"custom_id\":\"c\",\"error\":{\"code\":429,\"message\":\"slow down\"}}", LLMT_OK);
    assert_int_equal(r.http_status, 429);
    llmt_batch_result_clear(&r);
    r = row("{\"custom_id\":\"d\",\"response\":null,\"error\":{\"code\":\"batch_expired\","
            "\"message\":\"not run in time\"}}",
            LLMT_OK);
    assert_int_equal(r.http_status, 0);
    assert_int_equal(r.failure, LLMT_E_TIMEOUT);
    assert_non_null(strstr(r.message, "not run in time"));
    llmt_batch_result_clear(&r);
    r = row("{\"custom_id\":\"e\",\"error\":{\"type\":\"batch_cancelled\",\"message\":\"x\"}}",
            LLMT_OK);
    assert_int_equal(r.failure, LLMT_E_CANCELLED);
    llmt_batch_result_clear(&r);
    r = row("{\"custom_id\":\"f\",\"error\":{\"type\":\"provider_error\",\"message\":\"boom\"}}",
            LLMT_OK);
    assert_int_equal(r.http_status, 0);
    assert_int_equal(r.failure, LLMT_E_SERVER);
    assert_string_equal(r.message, "batch line failed: provider_error: boom");
    llmt_batch_result_clear(&r);
    r = row("{\"error\":{\"type\":\"invalid_request_error\",\"message\":\"x\"}}",
            LLMT_E_BAD_RESPONSE);
    llmt_batch_result_clear(&r);
    r = row("not json", LLMT_E_BAD_RESPONSE);
    llmt_batch_result_clear(&r);
}

static void poll_and_cancel_requests(void **unused)
{
    void *state = instance();
    llmt_http_request out;
    llmt_error err;
    (void)unused;
    memset(&out, 0, sizeof out);
    assert_int_equal(OPS->batch_poll(state, "batch_9", &out, &err), LLMT_OK);
    assert_string_equal(out.method, "GET");
    assert_string_equal(out.url, "https://openrouter.test/api/v1/batches/batch_9");
    assert_string_equal(header(&out, "Authorization"), "Bearer sk-or-unit");
    llmt_http_request_clear(&out);
    assert_int_equal(OPS->batch_cancel(state, "batch_9", &out, &err), LLMT_OK);
    assert_string_equal(out.method, "POST");
    assert_string_equal(out.url, "https://openrouter.test/api/v1/batches/batch_9/cancel");
    llmt_http_request_clear(&out);
    OPS->destroy(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_line_is_the_interactive_body_and_files_stay_interactive),
        cmocka_unit_test(limits_as_documented),
        cmocka_unit_test(the_create_body_puts_endpoint_and_model_first),
        cmocka_unit_test(status_words_counts_and_inline_results),
        cmocka_unit_test(result_rows_become_live_replies_or_classes),
        cmocka_unit_test(poll_and_cancel_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
