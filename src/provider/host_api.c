/* The host's toolkit handed to every provider's init (llmt_host_api, provider.h): the
 * library's own helpers behind one table, so that a provider, built-in or plugin, needs
 * nothing but the header. The slots are the wire toolkit's functions themselves
 * (src/providers/toolkit/) wherever their signatures are the ABI's; the adapters below
 * only translate an opaque `wire` or an ABI struct into the toolkit's own. */
#include "provider/host_api.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonutil.h"
#include "core/jsonw.h"
#include "core/util.h"
#include "providers/toolkit/wire.h"
#include "providers/toolkit/wire_batch.h"

static char *json_quote(const char *s)
{
    llmt_buf b = {0};
    if (!s || !llmt_json_put_string(&b, s, strlen(s), false) || b.oom) {
        llmt_buf_free(&b);
        return NULL;
    }
    return llmt_buf_steal(&b);
}

static llmt_status chat_request_with(void *w, const llmt_request *req,
                                     const llmt_host_chat_opts *ho, const char *path,
                                     llmt_http_request *out, llmt_error *err)
{
    llmt_chat_compat_opts o;
    memset(&o, 0, sizeof o);
    if (ho && ho->version >= 1) {
        o.max_tokens_field = ho->max_tokens_field;
        o.omit_temperature = ho->omit_temperature;
        o.strict_schema = ho->strict_schema;
        o.image_url_string = ho->image_url_string;
        o.members_with_format = ho->members_with_format;
    }
    return llmt_chat_compat_bearer_request(w, req, &o, path, out, err);
}

static llmt_status chat_request(void *state, const llmt_request *req, const char *path,
                                llmt_http_request *out, llmt_error *err)
{
    return chat_request_with(state, req, NULL, path, out, err);
}

static double retry_after(const llmt_http_response *http)
{
    return llmt_retry_after_from_headers(http, llmt_hint_now(http));
}

static double seconds_until(const llmt_http_response *http, double epoch_s)
{
    return llmt_hint_clamp(fmax(0, epoch_s - llmt_hint_now(http)));
}

static double duration(const char *text)
{
    return llmt_hint_clamp(llmt_parse_duration(text));
}

static const char *option(const void *w, const char *key, const char *dflt)
{
    return llmt_wire_option(w, key, dflt);
}

static long long option_integer(const void *w, const char *key, long long dflt)
{
    return llmt_wire_option_integer(w, key, dflt);
}

static llmt_status http_request(const void *w, const char *method, const char *path, char *body,
                                size_t body_len, const char *key_header, llmt_http_request *out,
                                llmt_error *err)
{
    return llmt_wire_http_request(w, method, path, body, body_len, key_header, out, err);
}

static llmt_status id_request(const void *w, const char *method, const char *fmt, const char *id,
                              llmt_http_request *out, llmt_error *err)
{
    return llmt_wire_bearer_id_request(w, method, fmt, id, out, err);
}

static void set_files_batch(void *w, const llmt_host_files_batch *api)
{
    ((llmt_wire_basic *)w)->files_batch = api;
}

/* ---- the JSON writer: the library's printer over a buffer (struct llmt_host_jw in
 *      providers/toolkit/wire_batch.h) ---- */

static llmt_host_jw *jw_new(void)
{
    return calloc(1, sizeof(llmt_host_jw));
}

static void jw_raw(llmt_host_jw *w, const char *text)
{
    llmt_buf_puts(&w->b, text);
}

static void jw_bytes(llmt_host_jw *w, const char *text, size_t n)
{
    llmt_buf_append(&w->b, text, n);
}

static bool jw_string(llmt_host_jw *w, const char *s)
{
    return llmt_json_put_string(&w->b, s ? s : "", s ? strlen(s) : 0, false);
}

static bool jw_number(llmt_host_jw *w, double d)
{
    return llmt_json_put_real(&w->b, d);
}

static void jw_integer(llmt_host_jw *w, long long v)
{
    llmt_json_put_int(&w->b, v);
}

static llmt_status jw_schema(void *wire, llmt_host_jw *w, const llmt_request *req,
                             llmt_error *err)
{
    return llmt_wire_schema_text(wire, req, &w->b, err);
}

static char *jw_finish(llmt_host_jw *w, size_t *len)
{
    char *text = NULL;
    if (!w)
        return NULL;
    if (!w->b.oom) {
        if (len)
            *len = w->b.len;
        text = w->b.data ? llmt_buf_steal(&w->b) : llmt_strdup("");
    }
    llmt_buf_free(&w->b);
    free(w);
    return text;
}

static char *json_print(const json_t *v)
{
    return llmt_json_dumps_compact(v, false);
}

static const llmt_host_api host_api = {
    .version = LLMT_HOST_API_VERSION,
    .error_set = llmt_error_set,
    .dup_string = llmt_strdup,
    .json_quote = json_quote,
    .chat_init = llmt_wire_basic_init,
    .chat_destroy = llmt_wire_basic_destroy,
    .chat_request = chat_request,
    .chat_parse = llmt_chat_compat_parse_op,
    .classify_error = llmt_wire_classify_op,
    .retry_after = retry_after,
    /* version 2 */
    .format = llmt_asprintf,
    .contains_ci = llmt_str_contains_ci,
    .base64 = llmt_wire_base64,
    .response_clear = llmt_response_clear,
    .http_request_clear = llmt_http_request_clear,
    .catalog_entries_free = llmt_catalog_entries_free,
    .option = option,
    .option_integer = option_integer,
    .chat_request_with = chat_request_with,
    .http_request = http_request,
    .id_request = id_request,
    .add_header = llmt_wire_add_header,
    .check_images = llmt_wire_check_images,
    .check_texts = llmt_wire_check_texts,
    .last_user = llmt_wire_last_user,
    .jw_new = jw_new,
    .jw_raw = jw_raw,
    .jw_string = jw_string,
    .jw_number = jw_number,
    .jw_integer = jw_integer,
    .jw_schema = jw_schema,
    .jw_finish = jw_finish,
    .excerpt = llmt_wire_excerpt,
    .not_json_object = llmt_wire_not_json_object,
    .body_has = llmt_wire_body_has,
    .header_dup = llmt_wire_header_dup,
    .header_number = llmt_wire_header_number,
    .header_reset = llmt_wire_header_reset,
    .seconds_until = seconds_until,
    .duration = duration,
    .error_fields = llmt_wire_error_fields,
    .classify = llmt_wire_classify,
    .fail = llmt_wire_fail,
    .parse_object = llmt_wire_parse_body,
    .parse_schema = llmt_wire_schema,
    .set_json_request = llmt_wire_set_json_request,
    .json_print = json_print,
    .json_long = llmt_json_long,
    .url = llmt_wire_url,
    .batch_line_from = llmt_wire_batch_line_from,
    .batch_file_content = llmt_wire_batch_file_content,
    .batch_compat_result = llmt_wire_batch_compat_result_op,
    .batch_take_id = llmt_wire_batch_take_id,
    .batch_join = llmt_wire_batch_join,
    .set_files_batch = set_files_batch,
    .files_batch_limits = llmt_wire_files_batch_limits,
    .files_batch_line = llmt_wire_files_batch_line,
    .files_batch_submit = llmt_wire_files_batch_submit_op,
    .files_batch_poll = llmt_wire_files_batch_poll,
    .files_batch_cancel = llmt_wire_files_batch_cancel,
    .files_batch_status = llmt_wire_files_batch_status,
    .check_request = llmt_wire_check_request,
    .reply_end = llmt_wire_reply_end,
    .batch_object_read = llmt_wire_batch_object_read,
    /* appended to version 2 */
    .jw_bytes = jw_bytes,
    .batch_join_with = llmt_wire_batch_join_with,
};

const llmt_host_api *llmt_host(void)
{
    return &host_api;
}
