/* The host's toolkit handed to every provider's init (llmt_host_api, provider.h): the
 * library's own helpers behind one table, so that a plugin needs nothing but the header. */
#include "provider/host_api.h"

#include <string.h>

#include "core/jsonw.h"
#include "core/util.h"
#include "providers/toolkit/wire.h"

static char *json_quote(const char *s)
{
    llmt_buf b = {0};
    if (!s || !llmt_json_put_string(&b, s, strlen(s), false) || b.oom) {
        llmt_buf_free(&b);
        return NULL;
    }
    return llmt_buf_steal(&b);
}

static llmt_status chat_request(void *state, const llmt_request *req, const char *path,
                                llmt_http_request *out, llmt_error *err)
{
    llmt_chat_compat_opts o;
    memset(&o, 0, sizeof o);
    return llmt_chat_compat_bearer_request(state, req, &o, path, out, err);
}

static double retry_after(const llmt_http_response *http)
{
    return llmt_retry_after_from_headers(http, llmt_wall_time_s());
}

static const llmt_host_api host_api = {
    LLMT_HOST_API_VERSION,
    llmt_error_set,
    llmt_strdup,
    json_quote,
    llmt_wire_basic_init,
    llmt_wire_basic_destroy,
    chat_request,
    llmt_chat_compat_parse_op,
    llmt_wire_classify_op,
    retry_after,
};

const llmt_host_api *llmt_host(void)
{
    return &host_api;
}
