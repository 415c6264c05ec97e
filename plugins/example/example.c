/*
 * example: a complete external provider (plugin) for any server speaking the
 * widely used Chat Completions format (POST {base_url}/chat/completions).
 *
 * It is compiled against include/llmt/provider.h alone and exports one symbol,
 * llmt_provider_entry(). It does not link libllmtester: everything it needs of the
 * library comes through the host's toolkit (settings->host, llmt_host_api), the same
 * functions the built-in providers use, so it loads into any host (the llm-tester
 * binary, or an application that links the library statically) and does not
 * re-implement the chat-completions request, reply or error mapping. What is its own
 * is the policy around them: no files, a base URL it insists on.
 *
 * Build: see plugins/example/Makefile (or the CMake build, which puts it into
 * build/plugins/example/). Load: LLMT_PLUGIN_PATH=<dir containing example/>.
 */
#include <stdlib.h>

#include "llmt/provider.h"

typedef struct example_state {
    const llmt_host_api *host; /* the host's toolkit; outlives the instance */
    void *chat;                /* the host's chat-completions state */
} example_state;

static void example_destroy(void *state)
{
    example_state *s = state;
    if (!s)
        return;
    if (s->chat)
        s->host->chat_destroy(s->chat);
    free(s);
}

static llmt_status example_init(void **state, const llmt_provider_settings *settings,
                                llmt_error *err)
{
    example_state *s;
    llmt_status st;
    /* settings version 2 brought the toolkit; an older host cannot run this plugin */
    if (settings->version < 2 || !settings->host || settings->host->version < 1) {
        if (err) {
            err->status = LLMT_E_PLUGIN;
            err->retryable = false;
        }
        return LLMT_E_PLUGIN;
    }
    if (!settings->base_url || !settings->base_url[0])
        return settings->host->error_set(
            err, LLMT_E_CONFIG, "%s: base_url is empty (set it in config.json or LLMT_EXAMPLE_BASE_URL)",
            settings->config_path);
    s = calloc(1, sizeof(*s));
    if (!s)
        return settings->host->error_set(err, LLMT_E_NOMEM, "out of memory");
    s->host = settings->host;
    st = s->host->chat_init(&s->chat, settings, err);
    if (st != LLMT_OK) {
        example_destroy(s);
        return st;
    }
    *state = s;
    return LLMT_OK;
}

static llmt_status example_build_request(void *state, const llmt_request *req,
                                         llmt_http_request *out, llmt_error *err)
{
    example_state *s = state;
    if (req->n_files)
        return s->host->error_set(err, LLMT_E_UNSUPPORTED, "example: files are not supported");
    return s->host->chat_request(s->chat, req, "chat/completions", out, err);
}

static llmt_status example_parse_response(void *state, const llmt_request *req,
                                          const llmt_http_response *http, llmt_response *out,
                                          llmt_error *err)
{
    example_state *s = state;
    return s->host->chat_parse(s->chat, req, http, out, err);
}

/* The host's classification: the HTTP status refined by the body's error code, since a
 * 429 can mean "slow down" (retryable) or "out of credit" (quota, never retried). */
static llmt_status example_classify_error(void *state, const llmt_http_response *http,
                                          llmt_error *err)
{
    example_state *s = state;
    return s->host->classify_error(s->chat, http, err);
}

static const llmt_provider_ops example_ops = {
    .abi_version = LLMT_PROVIDER_ABI_VERSION,
    .name = "example",
    .capabilities = LLMT_CAP_SYSTEM_PROMPT | LLMT_CAP_JSON_OBJECT,
    .init = example_init,
    .destroy = example_destroy,
    .build_request = example_build_request,
    .parse_response = example_parse_response,
    .classify_error = example_classify_error,
};

/* The one exported symbol. Visible even when built with -fvisibility=hidden. */
__attribute__((visibility("default"))) const llmt_provider_ops *llmt_provider_entry(void);
const llmt_provider_ops *llmt_provider_entry(void)
{
    return &example_ops;
}
