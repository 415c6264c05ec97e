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
#include "llmt/provider.h"

/* The state is the host's chat-completions state (a `wire`, llmt_host_wire), so the
 * host's ops helpers of provider.h serve as destroy, parse_response and classify_error. */
static llmt_status example_init(void **state, const llmt_provider_settings *settings,
                                llmt_error *err)
{
    /* settings version 2 brought the toolkit; llmt_host_wire_init_op refuses an older
     * host (LLMT_E_PLUGIN) */
    if (settings->version >= 2 && settings->host && (!settings->base_url || !settings->base_url[0]))
        return settings->host->error_set(
            err, LLMT_E_CONFIG, "%s: base_url is empty (set it in config.json or LLMT_EXAMPLE_BASE_URL)",
            settings->config_path);
    return llmt_host_wire_init_op(state, settings, err);
}

static llmt_status example_build_request(void *state, const llmt_request *req,
                                         llmt_http_request *out, llmt_error *err)
{
    const llmt_host_api *h = LLMT_HOST_OF(state);
    if (req->n_files)
        return h->error_set(err, LLMT_E_UNSUPPORTED, "example: files are not supported");
    return h->chat_request(state, req, "chat/completions", out, err);
}

/* classify_error is the host's: the HTTP status refined by the body's error code, since
 * a 429 can mean "slow down" (retryable) or "out of credit" (quota, never retried). */
static const llmt_provider_ops example_ops = {
    .abi_version = LLMT_PROVIDER_ABI_VERSION,
    .name = "example",
    .capabilities = LLMT_CAP_SYSTEM_PROMPT | LLMT_CAP_JSON_OBJECT,
    .init = example_init,
    .destroy = llmt_host_wire_destroy_op,
    .build_request = example_build_request,
    .parse_response = llmt_host_chat_parse_op,
    .classify_error = llmt_host_classify_op,
};

/* The one exported symbol. Visible even when built with -fvisibility=hidden. */
__attribute__((visibility("default"))) const llmt_provider_ops *llmt_provider_entry(void);
const llmt_provider_ops *llmt_provider_entry(void)
{
    return &example_ops;
}
