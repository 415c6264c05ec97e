#define _GNU_SOURCE /* memmem */
/* A provider's reply parsers (FUZZ_PROVIDER): the input is a reply body, not
 * NUL-terminated. parse_response either gives non-empty text or fails with a reply
 * class and a message and no text; classify_error always fails with a message;
 * parse_catalog (when there is one) gives entries or nothing. The status given to
 * classify_error and the headers are picked from a hash of the input. */
#include <string.h>

#include "fuzz.h"
#include "fuzz_provider.h"

static const long statuses[] = {400, 401, 402, 403, 404, 408, 409, 413, 422, 429,
                                500, 502, 503, 504, 529};

/* echoed: the reply itself holds the key (redacting an echoed key is the library's
 * job where it stores replies, not the parser's); otherwise the key must not show. */
static void check_error(const llmt_error *err, bool echoed)
{
    FUZZ_CHECK(err->message[0] != '\0', "an error without a message");
    FUZZ_CHECK(memchr(err->message, '\0', sizeof err->message) != NULL, "unterminated");
    FUZZ_CHECK(echoed || strstr(err->message, FUZZ_KEY) == NULL, "the key in a message");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_provider *p = fuzz_provider_get(FUZZ_PROVIDER);
    const llmt_model_config *mc = llmt_provider_config_default_model(p->config);
    uint64_t h = fuzz_hash(data, size);
    char *body = fuzz_bytes(data, size);
    llmt_http_header hdr[3] = {{(char *)"retry-after", (char *)"7"},
                               {(char *)"request-id", (char *)"req-1"},
                               {(char *)"x-ratelimit-reset-requests", (char *)"1m30s"}};
    llmt_http_response http = {200, body, size, hdr, (size_t)(h % 4), 0};
    llmt_message msg = {"user", "x"};
    llmt_request req;
    llmt_response out;
    llmt_error err;
    llmt_status st;
    bool echoed = memmem(data, size, FUZZ_KEY, strlen(FUZZ_KEY)) != NULL;
    memset(&req, 0, sizeof req);
    req.version = LLMT_REQUEST_VERSION;
    req.model = mc->name;
    req.model_info = &mc->info;
    req.messages = &msg;
    req.n_messages = 1;
    req.structured_mode = (llmt_structured_mode)((h >> 8) % 3);
    memset(&out, 0, sizeof out);
    llmt_error_clear(&err);
    st = p->ops->parse_response(p->state, &req, &http, &out, &err);
    if (st == LLMT_OK) {
        FUZZ_CHECK(out.text && out.text[0], "OK without text");
    } else {
        FUZZ_CHECK(out.text == NULL, "text on failure");
        FUZZ_CHECK(st == LLMT_E_BAD_RESPONSE || st == LLMT_E_CONTENT_FILTER ||
                       st == LLMT_E_SERVER || st == LLMT_E_CONTEXT_LENGTH,
                   "parse_response class %d", (int)st);
        check_error(&err, echoed);
    }
    llmt_response_clear(&out);

    llmt_error_clear(&err);
    http.status = statuses[(h >> 16) % (sizeof statuses / sizeof statuses[0])];
    FUZZ_CHECK(p->ops->classify_error(p->state, &http, &err) != LLMT_OK, "classify_error OK");
    check_error(&err, echoed);

    if (p->ops->parse_catalog) {
        llmt_catalog_entry *v = NULL;
        size_t n = 0, i;
        llmt_error_clear(&err);
        http.status = 200;
        if (p->ops->parse_catalog(p->state, &http, &v, &n, &err) == LLMT_OK) {
            for (i = 0; i < n; i++)
                FUZZ_CHECK(v[i].id && v[i].id[0], "catalog entry %zu without id", i);
            llmt_catalog_entries_free(v, n);
        } else {
            FUZZ_CHECK(v == NULL, "entries on failure");
            check_error(&err, echoed);
        }
    }
    free(body);
    return 0;
}
