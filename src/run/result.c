#include "run/result.h"
#include "run/report_stats.h"

#include <stdlib.h>
#include <string.h>

#include "core/jsonutil.h"
#include "core/jsonw.h"
#include "core/utf8.h"
#include "score/extract.h"

static const char *structured_mode_name(llmt_structured_mode m)
{
    return m == LLMT_STRUCTURED_JSON_SCHEMA   ? "json_schema"
           : m == LLMT_STRUCTURED_JSON_OBJECT ? "json_object"
                                              : "prompt_only";
}

/* An object being printed. Members are written in the order the old tree got them, and
 * a member whose value jansson would have refused (json_string of a string that is not
 * UTF-8, json_real of NaN) is left out, as json_object_set_new(o, k, NULL) left it out. */
typedef struct obj {
    llmt_buf *b;
    bool first;
} obj;

typedef struct obj_mark {
    size_t len;
    bool first;
} obj_mark;

static obj_mark mark_of(const obj *o)
{
    obj_mark m = {o->b->len, o->first};
    return m;
}

static void rewind_to(obj *o, obj_mark m)
{
    o->b->len = m.len;
    if (o->b->data)
        o->b->data[m.len] = '\0';
    o->first = m.first;
}

/* `lit` is `,"name":`; the first member goes without its comma. */
static void key(obj *o, const char *lit, size_t n)
{
    if (o->first) {
        lit++;
        n--;
        o->first = false;
    }
    llmt_json_put_raw(o->b, lit, n);
}

#define KEYLIT(name) ",\"" name "\":", sizeof(",\"" name "\":") - 1
#define KEY(o, name) key(o, KEYLIT(name))

/* Returns whether the member was printed (s is a UTF-8 string). */
static bool put_str(obj *o, const char *lit, size_t n, const char *s)
{
    obj_mark m = mark_of(o);
    if (!s)
        return false;
    key(o, lit, n);
    if (llmt_json_put_string(o->b, s, strlen(s), true))
        return true;
    rewind_to(o, m);
    return false;
}
#define STR(o, name, s) put_str(o, KEYLIT(name), s)

/* Returns whether the member was printed (d is finite). */
static bool put_real(obj *o, const char *lit, size_t n, double d)
{
    obj_mark m = mark_of(o);
    key(o, lit, n);
    if (llmt_json_put_real(o->b, d))
        return true;
    rewind_to(o, m);
    return false;
}
#define REAL(o, name, d) put_real(o, KEYLIT(name), d)

static void put_int(obj *o, const char *lit, size_t n, long long v)
{
    key(o, lit, n);
    llmt_json_put_int(o->b, v);
}
#define INT(o, name, v) put_int(o, KEYLIT(name), v)

static void put_text(obj *o, const char *lit, size_t n, const char *json)
{
    key(o, lit, n);
    llmt_json_put_raw(o->b, json, strlen(json));
}
#define RAW(o, name, json) put_text(o, KEYLIT(name), json)

/* A sub-tree (the answer, the scorer's fields, the engine's attempts): false when it
 * cannot be printed, which fails the whole line as it failed the whole tree. */
static bool put_tree(obj *o, const char *lit, size_t n, const json_t *v)
{
    key(o, lit, n);
    return llmt_json_dump_compact(v, o->b, true);
}
#define TREE(o, name, v) put_tree(o, KEYLIT(name), v)

/* "error":{class, message, http_status, [provider, code, request_id, retry_after_s]}.
 * llmt_error_set makes messages valid UTF-8; one that still is not (filled in by other
 * means) cannot be printed, and the whole "error" is then left out as the tree printer
 * left it out. `provider` is the result's "provider" as printed (NULL if it was left
 * out). */
static void put_error(obj *o, const llmt_error *err, const char *provider, llmt_summary_entry *e)
{
    obj_mark m = mark_of(o);
    obj eo = {o->b, true};
    const char *cls = llmt_status_name(err->status);
    bool own_provider = false;
    KEY(o, "error");
    llmt_json_put_raw(o->b, "{", 1);
    if (!STR(&eo, "class", cls) || !STR(&eo, "message", err->message)) {
        rewind_to(o, m);
        return;
    }
    if (err->http_status)
        INT(&eo, "http_status", err->http_status);
    else
        RAW(&eo, "http_status", "null");
    if (err->provider[0])
        own_provider = STR(&eo, "provider", err->provider);
    if (err->code[0])
        STR(&eo, "code", err->code);
    if (err->request_id[0])
        STR(&eo, "request_id", err->request_id);
    if (err->retry_after_s >= 0)
        REAL(&eo, "retry_after_s", err->retry_after_s);
    llmt_json_put_raw(o->b, "}", 1);
    e->failed = true;
    e->error_class = cls;
    e->error_message = err->message;
    e->error_provider = own_provider ? err->provider : provider;
}

/* The "usage" object's values. */
typedef struct usage_vals {
    long long input, output;
    long cached, reasoning; /* < 0: not printed */
    bool cost_null;
    double cost;
    double saved;           /* > 0: the part of cost taken from the cache, not paid now */
} usage_vals;

static void put_usage(obj *o, const usage_vals *u, llmt_summary_entry *e)
{
    obj uo = {o->b, true};
    KEY(o, "usage");
    llmt_json_put_raw(o->b, "{", 1);
    INT(&uo, "input_tokens", u->input);
    INT(&uo, "output_tokens", u->output);
    if (u->cached >= 0)
        INT(&uo, "cached_input_tokens", u->cached);
    if (u->reasoning >= 0)
        INT(&uo, "reasoning_tokens", u->reasoning);
    if (u->cost_null)
        RAW(&uo, "cost_usd", "null");
    else if (REAL(&uo, "cost_usd", u->cost)) {
        e->cost_known = true;
        e->cost_usd = u->cost;
        if (u->saved > 0 && REAL(&uo, "saved_usd", u->saved))
            e->saved_usd = u->saved;
    }
    llmt_json_put_raw(o->b, "}", 1);
    e->input_tokens = (long)u->input;
    e->output_tokens = (long)u->output;
}

/* Whether s is UTF-8: what a reader of the line sees (a string that is not is left out). */
static bool utf8_ok(const char *s)
{
    return llmt_utf8_invalid_at(s, strlen(s)) < 0;
}

/* "answered_by" when the input names none: the result's own provider:model. */
static void put_default_answerer(obj *o, const llmt_result_input *in, llmt_summary_entry *e)
{
    char *ref = llmt_asprintf("%s:%s", in->provider, in->model);
    if (ref && STR(o, "answered_by", ref)) {
        e->answered_by = in->provider;
        e->answered_by_model = in->model;
    }
    free(ref);
}

/* Whether ref is "provider:model". */
static bool is_ref(const char *ref, const char *provider, const char *model)
{
    size_t n = strlen(provider);
    return strncmp(ref, provider, n) == 0 && ref[n] == ':' && strcmp(ref + n + 1, model) == 0;
}

/* An answer given by a fallback: "fallback": true, and the last failure of the model
 * under test goes into *e (the class its row counts the case under). */
static void put_fallback(obj *o, const llmt_result_input *in, llmt_summary_entry *e)
{
    unsigned i;
    if (!in->answered_by || is_ref(in->answered_by, in->provider, in->model))
        return;
    RAW(o, "fallback", "true");
    for (i = 0; in->attempts && i < in->attempts->n; i++) {
        const llmt_attempt *a = &in->attempts->v[i];
        if (a->status != LLMT_OK && a->model && is_ref(a->model, in->provider, in->model)) {
            e->primary_class = llmt_status_name(a->status);
            /* as a reader of the line sees it: a message that is not UTF-8 is left out */
            e->primary_message = a->message && utf8_ok(a->message) ? a->message : NULL;
        }
    }
}

/* "attempts":[{model, class, latency_ms, http_status, [message], usage, [cached],
 * [replayed]}], as
 * the engine once built them as JSON objects: a string jansson would refuse (a message
 * cut inside a character) leaves its member out, as json_object_set_new(.., NULL) did. */
static void put_attempts(obj *o, const llmt_attempts *as)
{
    unsigned i;
    KEY(o, "attempts");
    llmt_json_put_raw(o->b, "[", 1);
    for (i = 0; i < as->n; i++) {
        const llmt_attempt *a = &as->v[i];
        obj ao = {o->b, true}, uo = {o->b, true};
        llmt_json_put_raw(o->b, i ? ",{" : "{", i ? 2 : 1);
        STR(&ao, "model", a->model);
        STR(&ao, "class", a->status == LLMT_OK ? "ok" : llmt_status_name(a->status));
        REAL(&ao, "latency_ms", a->latency_ms);
        if (a->status != LLMT_OK && a->http_status)
            INT(&ao, "http_status", a->http_status);
        else
            RAW(&ao, "http_status", "null");
        if (a->status != LLMT_OK)
            STR(&ao, "message", a->message ? a->message : "");
        KEY(&ao, "usage");
        llmt_json_put_raw(o->b, "{", 1);
        INT(&uo, "input_tokens", a->input_tokens);
        INT(&uo, "output_tokens", a->output_tokens);
        if (a->cost_known)
            REAL(&uo, "cost_usd", a->cost_usd);
        else
            RAW(&uo, "cost_usd", "null");
        llmt_json_put_raw(o->b, "}", 1);
        if (a->cached)
            RAW(&ao, "cached", "true");
        if (a->replayed)
            RAW(&ao, "replayed", "true");
        llmt_json_put_raw(o->b, "}", 1);
    }
    llmt_json_put_raw(o->b, "]", 1);
}

char *llmt_raw_reply_text(const char *reply, bool *truncated)
{
    size_t n = strlen(reply), keep = n;
    char *out;
    *truncated = n > LLMT_RAW_REPLY_MAX;
    if (*truncated) { /* back to the start of a character */
        keep = LLMT_RAW_REPLY_MAX;
        while (keep > 0 && ((unsigned char)reply[keep] & 0xC0) == 0x80)
            keep--;
    }
    out = malloc(keep + sizeof LLMT_RAW_REPLY_MARK);
    if (!out)
        return NULL;
    memcpy(out, reply, keep);
    out[keep] = '\0';
    llmt_utf8_scrub(out);
    if (*truncated)
        memcpy(out + strlen(out), LLMT_RAW_REPLY_MARK, sizeof LLMT_RAW_REPLY_MARK);
    return out;
}

/* The reply itself when it gave no JSON: what the user needs to see why. */
static void put_raw_reply(obj *o, const char *reply)
{
    bool truncated;
    char *raw = llmt_raw_reply_text(reply, &truncated);
    if (raw && STR(o, "raw_reply", raw) && truncated)
        RAW(o, "raw_reply_truncated", "true");
    free(raw);
}

/* What became of a reply: the answer extracted from it, its validity and its score. */
typedef struct judged {
    json_t *answer;      /* NULL: no JSON in the reply */
    json_t *violations;
    llmt_extract_method method;
    llmt_buf fields;     /* the scorer's details as JSON text */
    bool valid, scored, fields_ok;
    double accuracy;     /* what the fields scored, valid or not */
} judged;

void llmt_result_scoring(const llmt_score_options *task, llmt_score_options *out)
{
    if (task)
        *out = *task;
    else
        llmt_score_options_init(out);
    out->actual_inline_max = LLMT_FIELD_ACTUAL_INLINE_MAX;
}

json_t *llmt_result_field_actual(const json_t *result, const json_t *field)
{
    const char *path = json_string_value(json_object_get(field, "path"));
    if (!json_is_true(json_object_get(field, "actual_in_answer")))
        return json_object_get(field, "actual");
    return path ? llmt_jptr_get(json_object_get(result, "answer"), path) : NULL;
}

typedef struct field_sink {
    struct llmt_report_stats *stats;
    const char *answerer;
} field_sink;

static void add_field(void *ud, const char *path, double score)
{
    field_sink *fs = ud;
    llmt_report_stats_add_field(fs->stats, fs->answerer, path, score);
}

static void judge(obj *o, const llmt_result_input *in, judged *j)
{
    llmt_error xerr;
    llmt_score_options so;
    field_sink fs = {in->field_stats, NULL};
    char *ref = NULL;
    if (llmt_extract_json(in->response->text, &j->answer, &j->method, &xerr) != LLMT_OK) {
        /* no answer at all: invalid, accuracy 0, and the reason in both places */
        json_array_append_new(j->violations, json_sprintf("(root): %s", xerr.message));
        STR(o, "extraction_error", xerr.message);
        j->answer = NULL;
        return;
    }
    /* validity and the fields' score are both kept: a schema violation makes the result
     * 0 %, and what the fields would have scored stays beside it */
    if (in->schema) {
        j->valid = llmt_schema_validate(in->schema, j->answer, j->violations);
    } else {
        j->valid = json_is_object(j->answer);
        if (!j->valid)
            json_array_append_new(j->violations,
                                  json_sprintf("(root): expected object, got %s",
                                               json_is_array(j->answer) ? "array" : "a scalar"));
    }
    llmt_result_scoring(in->scoring, &so);
    /* under the answerer a reader of the line sees: a name that is not UTF-8 is left out
     * of the line (and the result's provider:model stands in) */
    if (fs.stats && in->answered_by && utf8_ok(in->answered_by))
        fs.answerer = in->answered_by;
    else if (fs.stats)
        fs.answerer = ref = llmt_concat3(in->provider, ":", in->model);
    if (fs.answerer && utf8_ok(fs.answerer)) {
        so.on_field = add_field;
        so.on_field_ud = &fs;
    }
    if (llmt_score_text(in->expected, j->answer, &so, &j->accuracy, &j->fields, &j->fields_ok,
                        &xerr) == LLMT_OK)
        j->scored = true;
    else
        STR(o, "score_error", xerr.message);
    free(ref);
}

/* The members of a result with a reply: usage, latency, how the schema was sent, who
 * answered, the raw reply when it held no JSON, whether it came from the cache. */
static void put_answered(obj *o, const llmt_result_input *in, const judged *j, usage_vals *u,
                         llmt_summary_entry *e)
{
    const llmt_response *resp = in->response;
    u->input = in->has_totals ? in->usage_total.input_tokens : resp->usage.input_tokens;
    u->output = in->has_totals ? in->usage_total.output_tokens : resp->usage.output_tokens;
    u->cached = resp->usage.cached_input_tokens;
    u->reasoning = resp->usage.reasoning_tokens;
    u->cost_null = in->has_totals ? !in->cost_total_known : !resp->cost_known;
    u->cost = in->has_totals ? in->cost_total : resp->cost_usd;
    /* a cached answer was paid for by the run that first asked: keep its price, and say
     * how much of it this run did not pay */
    u->saved = resp->from_cache && resp->cost_known ? resp->cost_usd : 0;
    if (REAL(o, "latency_ms", resp->latency_ms))
        e->latency_ms = resp->latency_ms;
    RAW(o, "error", "null");
    e->structured_mode = structured_mode_name(resp->structured_mode);
    STR(o, "structured_mode", e->structured_mode);
    e->strict = resp->schema_strict;
    RAW(o, "strict", resp->schema_strict ? "true" : "false");
    e->schema_relaxed = resp->schema_relaxed;
    if (resp->schema_relaxed)
        RAW(o, "schema_relaxed", resp->schema_relaxed);
    if (!in->answered_by)
        put_default_answerer(o, in, e);
    else if (STR(o, "answered_by", in->answered_by)) {
        e->answered_by = in->answered_by;
        put_fallback(o, in, e);
    }
    if (resp->model)
        STR(o, "reply_model", resp->model);
    INT(o, "raw_reply_chars", (long long)strlen(resp->text));
    if (!j->answer)
        put_raw_reply(o, resp->text);
    if (resp->from_cache) {
        RAW(o, "cached", "true");
        e->cached = true;
    }
}

/* The members of a result without a reply: what failed attempts were billed, the error. */
static void put_failed(obj *o, const llmt_result_input *in, const char *provider, usage_vals *u,
                       llmt_summary_entry *e)
{
    u->input = in->has_totals ? in->usage_total.input_tokens : 0;
    u->output = in->has_totals ? in->usage_total.output_tokens : 0;
    u->cached = u->reasoning = -1;
    u->cost_null = in->has_totals && !in->cost_total_known;
    u->cost = in->has_totals ? in->cost_total : 0;
    u->saved = 0;
    RAW(o, "answered_by", "null");
    if (REAL(o, "latency_ms", in->latency_ms))
        e->latency_ms = in->latency_ms;
    if (in->error)
        put_error(o, in->error, provider, e);
    else
        RAW(o, "error", "null");
}

bool llmt_result_write(const llmt_result_input *in, llmt_buf *b, llmt_summary_entry *e)
{
    size_t start = b->len;
    obj o = {b, true};
    judged j;
    usage_vals u;
    bool ok = true;
    const char *provider;
    double acc;

    memset(e, 0, sizeof(*e));
    memset(&j, 0, sizeof j);
    j.violations = json_array();
    j.method = LLMT_EXTRACT_NONE;
    j.fields_ok = true;
    e->repeat = in->repeat;
    e->attempts = in->attempts ? in->attempts->n : 1;
    llmt_json_put_raw(b, "{", 1);
    STR(&o, "task", in->task);
    STR(&o, "case", in->case_name);
    provider = STR(&o, "provider", in->provider) ? in->provider : NULL;
    STR(&o, "model", in->model);
    INT(&o, "repeat", in->repeat);
    if (in->prompt_label)
        STR(&o, "prompt", in->prompt_label);
    if (in->response) {
        judge(&o, in, &j);
        put_answered(&o, in, &j, &u, e);
    } else {
        /* failed attempts can still have been billed (a retried reply, a fallback) */
        put_failed(&o, in, provider, &u, e);
    }
    /* an answer that breaks the schema is the model's fault: 0 %, like one that is not
     * JSON; what its fields would have scored is kept beside it */
    acc = j.answer && j.valid ? j.accuracy : 0.0;
    if (REAL(&o, "accuracy", acc))
        e->accuracy = acc;
    if (j.answer && !j.valid && j.scored)
        REAL(&o, "accuracy_if_valid", j.accuracy);
    RAW(&o, "valid", j.valid ? "true" : "false");
    e->valid = j.valid;
    ok = j.violations && TREE(&o, "violations", j.violations) && ok;
    STR(&o, "extraction", llmt_extract_method_name(j.method));
    put_usage(&o, &u, e);
    if (j.scored && j.fields.data) {
        RAW(&o, "fields", j.fields.data);
        ok = j.fields_ok && ok;
    } else
        RAW(&o, "fields", "[]");
    if (j.answer)
        ok = TREE(&o, "answer", j.answer) && ok;
    else
        RAW(&o, "answer", "null");
    if (in->attempts) {
        size_t i;
        for (i = 0; i < in->attempts->n && !in->attempts->v[i].replayed; i++)
            ;
        if (i < in->attempts->n) /* answered (or failed) from a replay cassette */
            RAW(&o, "replayed", "true");
        put_attempts(&o, in->attempts);
    }
    if (in->batch)
        RAW(&o, "batch", "true");
    llmt_json_put_raw(b, "}", 1);
    if (!ok) {
        obj_mark m = {start, true};
        rewind_to(&o, m);
    }
    json_decref(j.answer);
    json_decref(j.violations);
    llmt_buf_free(&j.fields);
    return ok;
}
