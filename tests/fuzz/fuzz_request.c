#define _GNU_SOURCE /* memmem */
/* A provider's request builder (FUZZ_PROVIDER), with any bytes in the texts (invalid
 * UTF-8 included). Input: "<flags><user text>\0<system prompt>\0<schema>\0<schema
 * name>\0<file bytes>", every part after the first optional. A request that is built
 * has a URL and a body that is valid JSON, carries the user text and the system prompt,
 * and never carries the key in its body (unless a text holds it); a text that is not valid UTF-8 cannot be sent
 * in JSON, so such a request is refused (it was sent without the text, or with no URL);
 * a request that is refused says why. */
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "fuzz_provider.h"

static const char *const mimes[] = {"image/png", "image/jpeg", "application/pdf",
                                    "text/plain"};

/* Whether a string somewhere in v contains `text`. */
static bool has_text(const json_t *v, const char *text)
{
    size_t i;
    const char *key;
    json_t *m;
    if (json_is_string(v))
        return strstr(json_string_value(v), text) != NULL;
    if (json_is_array(v)) {
        for (i = 0; i < json_array_size(v); i++)
            if (has_text(json_array_get(v, i), text))
                return true;
    }
    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, key, m) {
            if (has_text(m, text))
                return true;
        }
    }
    return false;
}

/* Whether the NUL-terminated s is text a JSON string can hold. */
static bool utf8_ok(const char *s)
{
    json_t *probe = json_string(s);
    json_decref(probe);
    return probe != NULL;
}

static void check_built(const llmt_http_request *out, const llmt_request *req, bool echoed)
{
    json_error_t je;
    json_t *body;
    size_t i;
    FUZZ_CHECK(out->url && out->url[0], "built without a URL");
    FUZZ_CHECK(out->body && out->body_len > 0, "built without a body");
    FUZZ_CHECK(echoed || memmem(out->body, out->body_len, FUZZ_KEY, strlen(FUZZ_KEY)) == NULL,
               "the key in the body");
    body = json_loadb(out->body, out->body_len, 0, &je);
    FUZZ_CHECK(body != NULL, "the body is not JSON: %s: %.*s", je.text, (int)out->body_len,
               out->body);
    for (i = 0; i < req->n_messages; i++) {
        FUZZ_CHECK(utf8_ok(req->messages[i].content), "message %zu is not UTF-8, yet sent", i);
        FUZZ_CHECK(has_text(body, req->messages[i].content), "message %zu is not in the body",
                   i);
    }
    if (req->system_prompt && req->system_prompt[0]) {
        FUZZ_CHECK(utf8_ok(req->system_prompt), "the system prompt is not UTF-8, yet sent");
        FUZZ_CHECK(has_text(body, req->system_prompt), "the system prompt is not in the body");
    }
    json_decref(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_provider *p = fuzz_provider_get(FUZZ_PROVIDER);
    char *parts[5];
    size_t lens[5];
    size_t n = fuzz_split(data, size, parts, lens, 5);
    unsigned flags = lens[0] ? (unsigned char)parts[0][0] : 0;
    const char *user = lens[0] ? parts[0] + 1 : "";
    const llmt_model_config *mc = &p->config->models[fuzz_hash(data, size) % p->config->n_models];
    llmt_message msgs[3] = {{"user", user}, {"assistant", "{}"}, {"user", "again"}};
    llmt_file file;
    llmt_request req;
    llmt_http_request out;
    llmt_error err;
    /* the texts themselves hold the key: then it may show (it is the user's text) */
    bool echoed = memmem(data, size, FUZZ_KEY, strlen(FUZZ_KEY)) != NULL;
    memset(&req, 0, sizeof req);
    req.version = LLMT_REQUEST_VERSION;
    req.model = mc->name;
    req.model_info = &mc->info;
    req.messages = msgs;
    req.n_messages = (flags >> 7) & 1 ? 3 : 1;
    req.system_prompt = n > 1 ? parts[1] : NULL;
    req.json_schema = n > 2 ? parts[2] : NULL;
    req.schema_name = n > 3 ? parts[3] : NULL;
    req.structured_mode = (llmt_structured_mode)(flags % 3);
    req.temperature = (flags >> 5) & 1 ? 0.7 : -1;
    req.max_tokens = (flags >> 6) & 1 ? 100 : 0;
    req.source_text = user;
    req.case_id = "fuzz/case";
    if (n > 4 && ((flags >> 2) & 1)) {
        file.path = "fuzz.bin";
        file.mime_type = mimes[(flags >> 3) & 3];
        file.data = (const unsigned char *)parts[4];
        file.size = lens[4];
        req.files = &file;
        req.n_files = 1;
    }
    memset(&out, 0, sizeof out);
    llmt_error_clear(&err);
    if (p->ops->build_request(p->state, &req, &out, &err) == LLMT_OK) {
        check_built(&out, &req, echoed);
    } else {
        FUZZ_CHECK(err.message[0] != '\0', "refused without a message");
        FUZZ_CHECK(echoed || strstr(err.message, FUZZ_KEY) == NULL, "the key in a message");
    }
    llmt_http_request_clear(&out);
    fuzz_parts_free(parts, 5);
    return 0;
}
