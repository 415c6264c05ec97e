/* Mock rules files (src/providers/mock/): input "<rules JSON>\0<prompt>". `config
 * validate`'s check accepts the file exactly when the provider loads it; a loaded file
 * then answers three calls (mock:rules, mock:oracle, mock:noisy) on the prompt with a
 * reply or a classified error. Costly patterns must stay bounded (libFuzzer's -timeout
 * and -rss_limit_mb catch those). */
#include <string.h>

#include "fuzz.h"
#include "llmt/provider.h"
#include "providers/mock/mock.h"

extern const llmt_provider_ops llmt_provider_mock;

static void one_call(void *state, const char *model, const char *prompt)
{
    llmt_message msg = {"user", prompt};
    llmt_request req;
    llmt_response out;
    llmt_error err;
    llmt_model_info info = {0};
    memset(&req, 0, sizeof req);
    memset(&out, 0, sizeof out);
    info.name = model;
    req.version = LLMT_REQUEST_VERSION;
    req.model = model;
    req.model_info = &info;
    req.messages = &msg;
    req.n_messages = 1;
    req.source_text = prompt;
    req.reference = "{\"name\":\"ACME\",\"items\":[1,2.5,\"x\"],\"ok\":true}";
    req.case_id = "fuzz/case";
    llmt_error_clear(&err);
    if (llmt_provider_mock.call(state, &req, &out, &err) == LLMT_OK)
        FUZZ_CHECK(out.text != NULL, "mock:%s answered without text", model);
    else
        FUZZ_CHECK(out.text == NULL && err.message[0], "mock:%s failed without a message",
                   model);
    llmt_response_clear(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *parts[2];
    size_t lens[2];
    size_t n = fuzz_split(data, size, parts, lens, 2);
    char *path = fuzz_write("rules/mock_rules.json", (const uint8_t *)parts[0], lens[0]);
    char *options = malloc(strlen(path) + 32);
    llmt_diags diags = {0};
    llmt_provider_settings s;
    llmt_error err;
    void *state = NULL;
    bool valid = llmt_mock_rules_validate(path, &diags);
    llmt_status st;
    FUZZ_CHECK(options != NULL, "out of memory");
    FUZZ_CHECK(valid == (diags.errors == 0), "valid=%d with %zu errors", valid, diags.errors);
    snprintf(options, strlen(path) + 32, "{\"rules\":\"%s\"}", path);
    memset(&s, 0, sizeof s);
    s.version = LLMT_PROVIDER_SETTINGS_VERSION;
    s.name = "mock";
    s.seed = fuzz_hash(data, size);
    s.options_json = options;
    llmt_error_clear(&err);
    st = llmt_provider_mock.init(&state, &s, &err);
    FUZZ_CHECK((st == LLMT_OK) == valid, "validate says %d, the provider %s", valid,
               st == LLMT_OK ? "loads it" : err.message);
    if (st == LLMT_OK) {
        const char *prompt = n > 1 ? parts[1] : "Invoice from ACME, total 99.50";
        one_call(state, "rules", prompt);
        one_call(state, "oracle", prompt);
        one_call(state, "noisy", prompt);
        llmt_provider_mock.destroy(state);
    }
    llmt_diags_free(&diags);
    free(options);
    free(path);
    fuzz_parts_free(parts, 2);
    return 0;
}
