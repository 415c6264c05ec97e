/*
 * Golden request bodies: every HTTP provider, called through the manager against the
 * fake server with each Pydantic-made fixture schema (tests/fixtures/schemas/pydantic),
 * sends byte for byte tests/fixtures/schemas/bodies/<provider>/<fixture>.json. Those
 * files are written by tests/fixtures/schemas/make_bodies.py from the transforms'
 * expected outputs (make_expected.py, the SDKs' rules written out again), not from this
 * code. The response records what was sent (structured mode, strict, relaxed keywords),
 * and a schema the rules cannot send falls back with one warning per model.
 */
#include "unit/provider_harness.h"

typedef struct prov {
    const char *name, *upper, *prefix, *key_var, *model, *rules, *reply;
} prov;

#define CHAT_REPLY                                                                           \
    "{\"id\":\"c\",\"object\":\"chat.completion\",\"model\":\"m\",\"choices\":[{\"index\":0," \
    "\"message\":{\"role\":\"assistant\",\"content\":\"{}\"},\"finish_reason\":\"stop\"}],"   \
    "\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":2,\"total_tokens\":12}}"

static const prov provs[] = {
    {"openai", "OPENAI", "/v1", "OPENAI_API_KEY", "gpt-4.1-mini", "strict", CHAT_REPLY},
    {"openrouter", "OPENROUTER", "/api/v1", "OPENROUTER_API_KEY", "openai/gpt-4.1-mini", "strict",
     CHAT_REPLY},
    {"mistral", "MISTRAL", "/v1", "MISTRAL_API_KEY", "mistral-small-latest", "closed", CHAT_REPLY},
    {"anthropic", "ANTHROPIC", "", "ANTHROPIC_API_KEY", "claude-haiku-4-5", "subset",
     "{\"id\":\"msg\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"m\",\"content\":"
     "[{\"type\":\"text\",\"text\":\"{}\"}],\"stop_reason\":\"end_turn\",\"usage\":"
     "{\"input_tokens\":10,\"output_tokens\":2}}"},
    {"gemini", "GEMINI", "/v1beta", "GEMINI_API_KEY", "gemini-2.5-flash", "none",
     "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"{}\"}]},"
     "\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":10,"
     "\"candidatesTokenCount\":2,\"totalTokenCount\":12}}"},
    {"ollama", "OLLAMA", "", NULL, "llama3.1:8b", "none",
     "{\"model\":\"llama3.1:8b\",\"message\":{\"role\":\"assistant\",\"content\":\"{}\"},"
     "\"done_reason\":\"stop\",\"done\":true,\"prompt_eval_count\":10,\"eval_count\":2}"},
};

static const char *const fixtures[] = {"optional",     "nested_defs", "ref_description",
                                       "literal_enum", "constrained", "recursive",
                                       "dict_str_int", "discriminated_union", NULL};

/* A fixture file's text without the generator's final newline; NULL when absent. */
static char *read_fixture(const char *fmt, const char *a, const char *b)
{
    char *rel = llmt_asprintf(fmt, a, b);
    char *path = llmt_asprintf("%s/tests/fixtures/schemas/%s", LLMT_SOURCE_DIR, rel), *text = NULL;
    size_t len;
    llmt_error err;
    if (llmt_read_file(path, &text, &len, &err) != LLMT_OK)
        text = NULL;
    if (text && len && text[len - 1] == '\n')
        text[len - 1] = '\0';
    free(path);
    free(rel);
    return text;
}

static void check_provider(const prov *p)
{
    ph *h = ph_start(p->upper, p->prefix, p->key_var);
    char ref[128];
    size_t i, warnings = 0;
    const char *dump = getenv("LLMT_DUMP_BODIES");
    snprintf(ref, sizeof ref, "%s:%s", p->name, p->model);
    for (i = 0; fixtures[i]; i++) {
        char *schema = read_fixture("pydantic/%s%s.json", fixtures[i], "");
        char *want = read_fixture("bodies/%s/%s.json", p->name, fixtures[i]);
        char *meta_text = read_fixture("expected/%s/%s.meta.json", p->rules, fixtures[i]);
        json_t *meta = meta_text ? json_loads(meta_text, 0, NULL) : NULL;
        ph_call_opts co = {schema, NULL, 0, 0, 0, false};
        const fake_http_request *r;
        llmt_response out;
        llmt_error err;
        bool refused = json_is_true(json_object_get(meta, "refused"));
        json_t *relaxed = json_object_get(meta, "relaxed");
        assert_non_null(schema);
        assert_non_null(meta);
        ph_reply(h, 200, NULL, p->reply);
        if (ph_call(h, ref, &co, &out, &err) != LLMT_OK)
            fail_msg("%s/%s: %s", p->name, fixtures[i], err.message);
        r = ph_req(h, i);
        if (dump) {
            printf("=== %s/%s\n%.*s\n", p->name, fixtures[i], (int)r->body_len, r->body);
        } else {
            if (!want)
                fail_msg("no golden body for %s/%s", p->name, fixtures[i]);
            if (r->body_len != strlen(want) || memcmp(r->body, want, r->body_len) != 0)
                fail_msg("%s/%s: the body differs from the golden one:\n got  %.*s\n want %s",
                         p->name, fixtures[i], (int)r->body_len, r->body, want);
        }
        /* what was sent is recorded */
        assert_int_equal(out.structured_mode,
                         refused ? LLMT_STRUCTURED_PROMPT_ONLY : LLMT_STRUCTURED_JSON_SCHEMA);
        assert_int_equal(out.schema_strict, json_is_true(json_object_get(meta, "strict")));
        if (json_array_size(relaxed)) {
            json_t *got = out.schema_relaxed ? json_loads(out.schema_relaxed, 0, NULL) : NULL;
            if (!got || !json_equal(got, relaxed))
                fail_msg("%s/%s: schema_relaxed %s", p->name, fixtures[i],
                         out.schema_relaxed ? out.schema_relaxed : "(none)");
            json_decref(got);
        } else {
            assert_null(out.schema_relaxed);
        }
        warnings += refused;
        llmt_response_clear(&out);
        json_decref(meta);
        free(meta_text);
        free(want);
        free(schema);
    }
    /* a fallback is said once per model however often it happens */
    if (warnings) {
        const char *w = strstr(h->log.data, "the task schema cannot be sent as a schema");
        assert_non_null(w);
        assert_null(strstr(w + 1, "the task schema cannot be sent as a schema"));
        /* the same model again: no second warning */
        {
            char *schema = read_fixture("pydantic/%s%s.json", "recursive", "");
            ph_call_opts co = {schema, NULL, 0, 0, 0, false};
            llmt_response out;
            llmt_error err;
            ph_reply(h, 200, NULL, p->reply);
            assert_int_equal(ph_call(h, ref, &co, &out, &err), LLMT_OK);
            assert_null(strstr(strstr(h->log.data, "cannot be sent as a schema") + 1,
                               "cannot be sent as a schema"));
            llmt_response_clear(&out);
            free(schema);
        }
    }
    ph_stop(h);
}

static void test_provider(void **state)
{
    check_provider(*state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(test_provider, (void *)&provs[0]),
        cmocka_unit_test_prestate(test_provider, (void *)&provs[1]),
        cmocka_unit_test_prestate(test_provider, (void *)&provs[2]),
        cmocka_unit_test_prestate(test_provider, (void *)&provs[3]),
        cmocka_unit_test_prestate(test_provider, (void *)&provs[4]),
        cmocka_unit_test_prestate(test_provider, (void *)&provs[5]),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
