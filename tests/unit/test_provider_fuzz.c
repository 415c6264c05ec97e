/* Fixed-seed fuzzing of every HTTP provider's parse_response, classify_error, (for
 * the catalog) parse_catalog and (for batch APIs) batch_status, batch_result_line and the
 * batch_submit steps that read a reply: truncated, byte-flipped and spliced replies must
 * give a clean status (never a crash, leak or a success without text). Run under
 * ASan+UBSan by `make test`. */
#include "unit/provider_harness.h"
#include "provider/registry.h"

static const char *const seeds[] = {
    "{\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
    "\"{\\\"a\\\":1}\",\"refusal\":null},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":"
    "3,\"completion_tokens\":4,\"prompt_tokens_details\":{\"cached_tokens\":1},"
    "\"completion_tokens_details\":{\"reasoning_tokens\":2}}}",
    "{\"model\":\"m\",\"choices\":[{\"message\":{\"content\":[{\"type\":\"text\",\"text\":\"x\"},"
    "{\"type\":\"thinking\",\"thinking\":[]}]},\"finish_reason\":\"error\",\"error\":{\"message\":"
    "\"e\"}}]}",
    "{\"type\":\"message\",\"model\":\"c\",\"content\":[{\"type\":\"text\",\"text\":\"{}\"},"
    "{\"type\":\"tool_use\",\"input\":{}}],\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":"
    "1,\"cache_read_input_tokens\":null,\"output_tokens\":2}}",
    "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\",\"thought\":true},{\"text\":\"{}\"}]},"
    "\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":1,"
    "\"thoughtsTokenCount\":2},\"promptFeedback\":{\"blockReason\":\"SAFETY\"}}",
    "{\"model\":\"l\",\"message\":{\"role\":\"assistant\",\"content\":\"{}\"},\"done\":true,"
    "\"prompt_eval_count\":1,\"eval_count\":2,\"error\":null}",
    "{\"error\":{\"code\":429,\"message\":\"m\",\"status\":\"RESOURCE_EXHAUSTED\",\"details\":[{"
    "\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"3s\"},{\"@type\":"
    "\"x.QuotaFailure\",\"violations\":[{\"quotaId\":\"PerDay\"}]}]}}",
    "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":{\"detail\":[1]}},"
    "\"request_id\":\"r\"}",
    "{\"object\":\"error\",\"message\":{\"detail\":[{\"type\":\"extra_forbidden\"}]},\"code\":1300}",
    "{\"data\":[{\"id\":\"a/b\",\"pricing\":{\"prompt\":\"1e-6\",\"completion\":-1},"
    "\"context_length\":1.5e3,\"top_provider\":{\"max_completion_tokens\":null}},{\"id\":3}]}",
    /* batch replies and result lines */
    "{\"name\":\"batches/b\",\"done\":true,\"metadata\":{\"state\":\"BATCH_STATE_SUCCEEDED\","
    "\"batchStats\":{\"requestCount\":\"2\",\"failedRequestCount\":1}},\"response\":{"
    "\"responsesFile\":\"files/o\",\"inlinedResponses\":{\"inlinedResponses\":[{\"response\":{},"
    "\"metadata\":{\"key\":\"k\"}},{\"error\":{\"code\":400},\"metadata\":{}}]}}}",
    "{\"key\":\"k\",\"error\":{\"code\":429,\"message\":\"m\",\"status\":\"RESOURCE_EXHAUSTED\"}}",
    "{\"id\":\"b\",\"status\":\"completed\",\"request_counts\":{\"total\":2,\"completed\":2,"
    "\"failed\":1},\"output_file_id\":\"f\",\"error_file_id\":null,\"errors\":{\"data\":[{}]}}",
    "{\"custom_id\":\"c\",\"response\":{\"status_code\":200,\"body\":{\"a\":1}},\"error\":null}",
    "{\"custom_id\":\"c\",\"result\":{\"type\":\"errored\",\"error\":{\"type\":\"error\","
    "\"error\":{\"type\":\"x\"}}}}",
    "{\"id\":\"msgbatch_1\",\"processing_status\":\"ended\",\"request_counts\":{\"succeeded\":1,"
    "\"canceled\":1}}",
    "{\"file\":{\"name\":\"files/x\"},\"id\":\"file-1\"}",
};

/* The batch ops that read a provider's replies: never a crash, a leak or an OK without
 * what it promises. */
static void one_batch(llmt_provider_entry *e, llmt_http_response *http)
{
    static const char lines[] = "{\"key\":\"k\",\"request\":{}}\n";
    llmt_batch_status bs;
    llmt_batch_result res;
    llmt_error err;
    unsigned step;
    if (!LLMT_OPS_HAS(e->ops, batch_status))
        return;
    http->status = 200;
    memset(&bs, 0, sizeof bs);
    if (e->ops->batch_status(e->state, http, &bs, &err) == LLMT_OK)
        assert_non_null(bs.state_text);
    llmt_batch_status_clear(&bs);
    memset(&res, 0, sizeof res);
    if (e->ops->batch_result_line(e->state, http->body, http->body_len, &res, &err) == LLMT_OK)
        assert_non_null(res.custom_id);
    llmt_batch_result_clear(&res);
    for (step = 1; step < 4; step++) {
        llmt_batch_submit sub;
        llmt_http_request req;
        memset(&sub, 0, sizeof sub);
        memset(&req, 0, sizeof req);
        sub.lines = lines;
        sub.lines_len = sizeof lines - 1;
        sub.n_lines = 1;
        sub.model = "m";
        sub.step = step;
        sub.reply = http;
        if (e->ops->batch_submit(e->state, &sub, &req, &err) == LLMT_OK && sub.done)
            assert_non_null(sub.batch_id);
        llmt_http_request_clear(&req);
        free(sub.scratch);
        free(sub.batch_id);
    }
}

static const char *const providers[] = {"openai", "anthropic", "gemini", "mistral", "openrouter",
                                        "ollama", NULL};

static void one(llmt_provider_entry *e, const llmt_request *req, const char *body, size_t len,
                long status)
{
    llmt_http_header hdr[2] = {{(char *)"retry-after", (char *)"Wed, 21 Oct 2015 07:28:00 GMT"},
                               {(char *)"request-id", (char *)"r1"}};
    llmt_http_response http = {status, body, len, hdr, 2, 0};
    llmt_response out;
    llmt_error err;
    llmt_status st;
    memset(&out, 0, sizeof out);
    llmt_error_clear(&err);
    st = e->ops->parse_response(e->state, req, &http, &out, &err);
    if (st == LLMT_OK) {
        assert_non_null(out.text);
        assert_true(out.text[0] != '\0');
    } else {
        assert_null(out.text);
        assert_true(st == LLMT_E_BAD_RESPONSE || st == LLMT_E_CONTENT_FILTER ||
                    st == LLMT_E_SERVER);
        assert_true(err.message[0] != '\0');
    }
    llmt_response_clear(&out);
    llmt_error_clear(&err);
    http.status = status >= 400 ? status : 429;
    st = e->ops->classify_error(e->state, &http, &err);
    assert_true(st != LLMT_OK);
    assert_true(err.message[0] != '\0');
    assert_true(strlen(err.message) < sizeof err.message);
    if (e->ops->parse_catalog) {
        llmt_catalog_entry *v = NULL;
        size_t n = 0;
        http.status = 200;
        st = e->ops->parse_catalog(e->state, &http, &v, &n, &err);
        if (st == LLMT_OK)
            llmt_catalog_entries_free(v, n);
        else
            assert_null(v);
    }
    one_batch(e, &http);
}

static void test_fuzz(void **state)
{
    ph *h = ph_start("OPENAI", "", "OPENAI_API_KEY");
    static const char *const keys[] = {"ANTHROPIC_API_KEY", "GEMINI_API_KEY", "MISTRAL_API_KEY",
                                       "OPENROUTER_API_KEY", NULL};
    static const long statuses[] = {200, 400, 401, 402, 403, 404, 408, 413, 422, 429, 500, 502,
                                    503, 529};
    llmt_manager *m;
    llmt_rng rng;
    size_t p, s, i;
    char buf[2048];
    /* bodies are not NUL-terminated: fill with non-NUL so any unbounded read shows */
    memset(buf, 'x', sizeof buf);
    (void)state;
    for (i = 0; keys[i]; i++)
        setenv(keys[i], PH_KEY, 1);
    m = ph_manager(h, 0);
    llmt_rng_seed(&rng, 20261125);
    for (p = 0; providers[p]; p++) {
        llmt_provider_entry *e = llmt_registry_find(llmt_manager_registry(m), providers[p]);
        const llmt_model_config *mc;
        llmt_message msg = {"user", "x"};
        llmt_request req;
        llmt_error err;
        assert_non_null(e);
        assert_int_equal(llmt_manager_instance(m, e, &err), LLMT_OK);
        mc = llmt_provider_config_default_model(e->config);
        memset(&req, 0, sizeof req);
        req.version = LLMT_REQUEST_VERSION;
        req.model = mc->name;
        req.model_info = &mc->info;
        req.messages = &msg;
        req.n_messages = 1;
        for (s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
            size_t len = strlen(seeds[s]);
            one(e, &req, seeds[s], len, 200);
            memset(buf, 'x', sizeof buf);
            for (i = 0; i < 300; i++) {
                size_t cut = (size_t)(llmt_rng_next(&rng) % (len + 1)), k, flips;
                memcpy(buf, seeds[s], len);
                /* flip a few bytes to JSON-significant characters or random bytes */
                flips = (size_t)(llmt_rng_next(&rng) % 4);
                for (k = 0; k < flips && len; k++) {
                    static const char sig[] = "{}[]\":,0n-\\";
                    size_t at = (size_t)(llmt_rng_next(&rng) % len);
                    buf[at] = (llmt_rng_next(&rng) & 1) ? sig[llmt_rng_next(&rng) % (sizeof sig - 1)]
                                                        : (char)(llmt_rng_next(&rng) & 0xff);
                }
                one(e, &req, buf, i % 3 == 0 ? cut : len,
                    statuses[llmt_rng_next(&rng) % (sizeof statuses / sizeof statuses[0])]);
            }
        }
    }
    ph_stop(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_fuzz)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
