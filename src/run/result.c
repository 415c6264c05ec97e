#include "run/result.h"

#include <string.h>

#include "score/extract.h"

static const char *structured_mode_name(llmt_structured_mode m)
{
    return m == LLMT_STRUCTURED_JSON_SCHEMA   ? "json_schema"
           : m == LLMT_STRUCTURED_JSON_OBJECT ? "json_object"
                                              : "prompt_only";
}

static json_t *error_json(const llmt_error *e)
{
    json_t *o = json_pack("{s:s, s:s}", "class", llmt_status_name(e->status), "message", e->message);
    json_object_set_new(o, "http_status", e->http_status ? json_integer(e->http_status) : json_null());
    if (e->provider[0])
        json_object_set_new(o, "provider", json_string(e->provider));
    if (e->code[0])
        json_object_set_new(o, "code", json_string(e->code));
    if (e->request_id[0])
        json_object_set_new(o, "request_id", json_string(e->request_id));
    if (e->retry_after_s >= 0)
        json_object_set_new(o, "retry_after_s", json_real(e->retry_after_s));
    return o;
}

json_t *llmt_result_build(const llmt_result_input *in)
{
    json_t *r = json_object(), *usage = json_object(), *violations = json_array();
    const llmt_response *resp = in->response;
    json_t *answer = NULL;
    llmt_extract_method method = LLMT_EXTRACT_NONE;
    llmt_error xerr;
    llmt_score_result sr = {0, NULL};
    bool valid = false;

    json_object_set_new(r, "task", json_string(in->task));
    json_object_set_new(r, "case", json_string(in->case_name));
    json_object_set_new(r, "provider", json_string(in->provider));
    json_object_set_new(r, "model", json_string(in->model));
    json_object_set_new(r, "repeat", json_integer(in->repeat));

    if (resp) {
        if (llmt_extract_json(resp->text, &answer, &method, &xerr) != LLMT_OK) {
            /* no answer at all: invalid, accuracy 0, and the reason in both places */
            json_array_append_new(violations, json_sprintf("(root): %s", xerr.message));
            json_object_set_new(r, "extraction_error", json_string(xerr.message));
            answer = NULL;
        }
        if (answer) {
            /* Validity and accuracy are independent: a schema violation doesn't hide the
             * accuracy (the Python tool showed 0%). */
            if (in->schema) {
                valid = llmt_schema_validate(in->schema, answer, violations);
            } else {
                valid = json_is_object(answer);
                if (!valid)
                    json_array_append_new(violations,
                                          json_sprintf("(root): expected object, got %s",
                                                       json_is_array(answer) ? "array" : "a scalar"));
            }
            if (llmt_score(in->expected, answer, in->scoring, &sr, &xerr) != LLMT_OK)
                json_object_set_new(r, "score_error", json_string(xerr.message));
        }
        json_object_set_new(usage, "input_tokens", json_integer(in->has_totals ? in->usage_total.input_tokens
                                                                               : resp->usage.input_tokens));
        json_object_set_new(usage, "output_tokens", json_integer(in->has_totals ? in->usage_total.output_tokens
                                                                                : resp->usage.output_tokens));
        if (resp->usage.cached_input_tokens >= 0)
            json_object_set_new(usage, "cached_input_tokens",
                                json_integer(resp->usage.cached_input_tokens));
        if (resp->usage.reasoning_tokens >= 0)
            json_object_set_new(usage, "reasoning_tokens", json_integer(resp->usage.reasoning_tokens));
        if (in->has_totals)
            json_object_set_new(usage, "cost_usd", in->cost_total_known ? json_real(in->cost_total) : json_null());
        else
            json_object_set_new(usage, "cost_usd", resp->cost_known ? json_real(resp->cost_usd) : json_null());
        json_object_set_new(r, "latency_ms", json_real(resp->latency_ms));
        json_object_set_new(r, "error", json_null());
        json_object_set_new(r, "structured_mode", json_string(structured_mode_name(resp->structured_mode)));
        if (in->answered_by)
            json_object_set_new(r, "answered_by", json_string(in->answered_by));
        else
            json_object_set_new(r, "answered_by", json_sprintf("%s:%s", in->provider, in->model));
        if (resp->model)
            json_object_set_new(r, "reply_model", json_string(resp->model));
        json_object_set_new(r, "raw_reply_chars", json_integer((json_int_t)strlen(resp->text)));
        if (resp->from_cache)
            json_object_set_new(r, "cached", json_true());
    } else {
        /* failed attempts can still have been billed (a retried reply, a fallback) */
        json_object_set_new(usage, "input_tokens", json_integer(in->has_totals ? in->usage_total.input_tokens : 0));
        json_object_set_new(usage, "output_tokens", json_integer(in->has_totals ? in->usage_total.output_tokens : 0));
        json_object_set_new(usage, "cost_usd", !in->has_totals ? json_real(0)
                                               : in->cost_total_known ? json_real(in->cost_total) : json_null());
        json_object_set_new(r, "answered_by", json_null());
        json_object_set_new(r, "latency_ms", json_real(in->latency_ms));
        json_object_set_new(r, "error", in->error ? error_json(in->error) : json_null());
    }
    json_object_set_new(r, "accuracy", json_real(answer ? sr.accuracy : 0.0));
    json_object_set_new(r, "valid", json_boolean(valid));
    json_object_set_new(r, "violations", violations);
    json_object_set_new(r, "extraction", json_string(llmt_extract_method_name(method)));
    json_object_set_new(r, "usage", usage);
    json_object_set_new(r, "fields", sr.fields ? json_incref(sr.fields) : json_array());
    json_object_set_new(r, "answer", answer ? answer : json_null());
    if (in->attempts)
        json_object_set(r, "attempts", (json_t *)in->attempts); /* shared, read-only */
    llmt_score_result_free(&sr);
    return r;
}
