/* llmt_extract_structured(): one call from schema + prompt + source to validated JSON, with
 * a secondary model as fallback (include/llmt/extract.h). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "llmt/extract.h"
#include "exec/engine.h"
#include "core/diag.h"
#include "core/util.h"
#include "score/extract.h"
#include "score/validate.h"

llmt_status llmt_extraction_options_init(llmt_extraction_options *opts, unsigned int version)
{
    llmt_extraction_options d = LLMT_EXTRACTION_OPTIONS_INIT;
    if (!opts || version != 1)
        return LLMT_E_INVALID_ARG;
    *opts = d;
    return LLMT_OK;
}

void llmt_extraction_clear(llmt_extraction *x)
{
    if (!x)
        return;
    free(x->json);
    free(x->raw_reply);
    llmt_free_strv(x->violations, x->n_violations);
    memset(x, 0, sizeof(*x));
}

static void set_violations(llmt_extraction *out, json_t *arr)
{
    size_t i;
    json_t *v;
    llmt_free_strv(out->violations, out->n_violations);
    out->violations = NULL;
    out->n_violations = 0;
    if (!json_array_size(arr))
        return;
    out->violations = calloc(json_array_size(arr), sizeof(*out->violations));
    if (!out->violations)
        return;
    json_array_foreach(arr, i, v)
    {
        out->violations[i] = llmt_strdup(json_is_string(v) ? json_string_value(v) : "invalid");
        out->n_violations = i + 1;
    }
}

/* Checks one reply: true with out->json set when it holds JSON valid for the schema. */
static bool accept_reply(const llmt_schema *schema, const char *text, llmt_extraction *out)
{
    json_t *answer = NULL, *viol = json_array();
    llmt_extract_method method;
    llmt_error e;
    bool ok = false;
    if (llmt_extract_json(text, &answer, &method, &e) != LLMT_OK) {
        json_array_append_new(viol, json_string(e.message));
    } else if (llmt_schema_validate(schema, answer, viol)) {
        out->json = json_dumps(answer, JSON_COMPACT | JSON_ENCODE_ANY);
        ok = out->json != NULL;
    }
    if (!ok)
        set_violations(out, viol);
    else
        set_violations(out, NULL);
    json_decref(answer);
    json_decref(viol);
    return ok;
}

llmt_status llmt_extract_structured(llmt_manager *mgr, const char *schema_json,
                                    const char *prompt, const char *source,
                                    const llmt_extraction_options *opts, llmt_extraction *out,
                                    llmt_error *err)
{
    json_error_t je;
    json_t *schema_doc = NULL;
    llmt_schema *schema = NULL;
    llmt_diags diags = {0};
    llmt_request req;
    llmt_message msg;
    llmt_fallback_options fo;
    const char *models[2];
    char *user = NULL;
    size_t n_models, k;
    llmt_error e;
    llmt_status st = LLMT_OK;
    if (!mgr || !schema_json || !prompt || !opts || !opts->model || !out)
        return llmt_error_set(err, LLMT_E_INVALID_ARG,
                              "llmt_extract_structured: NULL argument (mgr, schema_json, prompt, "
                              "opts, opts->model and out are required)");
    memset(out, 0, sizeof(*out));
    out->cost_known = true;
    if (opts->version == 0 || opts->version > LLMT_EXTRACTION_OPTIONS_VERSION)
        return llmt_error_set(err, LLMT_E_INVALID_ARG, "unknown extraction options version %u",
                              opts->version);
    llmt_error_clear(&e);
    schema_doc = json_loads(schema_json, 0, &je);
    if (!schema_doc) {
        st = llmt_error_set(&e, LLMT_E_CONFIG, "schema: invalid JSON at line %d, column %d: %s",
                            je.line, je.column, je.text);
        goto done;
    }
    schema = llmt_schema_compile(schema_doc, "schema", &diags);
    if (!schema) {
        if (llmt_diags_to_error(&diags, &e) == LLMT_OK)
            llmt_error_set(&e, LLMT_E_CONFIG, "schema: invalid JSON Schema");
        st = LLMT_E_CONFIG;
        goto done;
    }
    user = source && source[0] ? llmt_asprintf("%s\n\n%s", prompt, source) : llmt_strdup(prompt);
    if (!user) {
        st = llmt_error_set(&e, LLMT_E_NOMEM, "out of memory");
        goto done;
    }
    memset(&req, 0, sizeof req);
    msg.role = "user";
    msg.content = user;
    req.version = LLMT_REQUEST_VERSION;
    req.system_prompt = opts->system_prompt;
    req.messages = &msg;
    req.n_messages = 1;
    req.json_schema = schema_json;
    req.schema_name = opts->schema_name ? opts->schema_name : "answer";
    req.max_tokens = opts->max_tokens;
    req.temperature = opts->temperature;
    req.prompt_text = prompt;
    req.source_text = source;
    fo = opts->retry;
    if (fo.version == 0)
        llmt_fallback_options_init(&fo, LLMT_FALLBACK_OPTIONS_VERSION);
    fo.fallbacks = NULL; /* the secondary model is the fallback, asked for invalid answers too */
    fo.n_fallbacks = 0;
    fo.skip_config_fallbacks = true;
    models[0] = opts->model;
    models[1] = opts->secondary_model;
    n_models = opts->secondary_model && opts->secondary_model[0] ? 2 : 1;
    for (k = 0; k < n_models; k++) {
        llmt_completion c;
        llmt_status cst;
        if (k == 1)
            out->used_secondary = true;
        cst = llmt_complete_with_fallbacks(mgr, models[k], &req, &fo, &c, &e);
        out->calls += c.calls;
        if (cst != LLMT_OK) {
            llmt_completion_clear(&c);
            st = cst;
            if (!llmt_engine_fallback_covers(cst))
                break;
            continue;
        }
        out->usage.input_tokens += c.response.usage.input_tokens;
        out->usage.output_tokens += c.response.usage.output_tokens;
        out->cost_usd += c.response.cost_usd;
        out->cost_known = out->cost_known && c.response.cost_known;
        snprintf(out->answered_by, sizeof out->answered_by, "%s", models[k]);
        free(out->raw_reply);
        out->raw_reply = llmt_strdup(c.response.text);
        llmt_completion_clear(&c);
        if (accept_reply(schema, out->raw_reply ? out->raw_reply : "", out)) {
            st = LLMT_OK;
            break;
        }
        st = llmt_error_set(&e, LLMT_E_BAD_RESPONSE,
                            "%s answered, but not with JSON valid for the schema: %s", models[k],
                            out->n_violations ? out->violations[0] : "no JSON found");
    }
done:
    if (st != LLMT_OK && err)
        *err = e;
    free(user);
    llmt_schema_free(schema);
    json_decref(schema_doc);
    llmt_diags_free(&diags);
    return st;
}
