/*
 * The mock provider: answers without a network, for tests, demos and CI.
 *   mock:oracle  the case's expected JSON (the runner passes it as req->reference)
 *   mock:noisy   the oracle with seeded perturbations (drop a field, typo a string,
 *                change a number, reorder a list), deterministic for a seed and case
 *   mock:rules   the reply of the first rule whose pattern matches the prompt or source
 * Token usage is the BPE-like estimate of src/provider/tokens.c, so costs look real.
 */
#include <jansson.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "llmt/provider.h"
#include "provider/tokens.h"

typedef struct mock_rule {
    char *contains;      /* substring, or NULL */
    regex_t regex;       /* compiled when has_regex */
    bool has_regex;
    int where;           /* 0 any, 1 prompt, 2 source */
    char *reply;
} mock_rule;

typedef struct mock_state {
    uint64_t seed;
    mock_rule *rules;
    size_t n_rules;
    char *default_reply;
} mock_state;

static void free_rules(mock_state *st)
{
    size_t i;
    for (i = 0; i < st->n_rules; i++) {
        free(st->rules[i].contains);
        free(st->rules[i].reply);
        if (st->rules[i].has_regex)
            regfree(&st->rules[i].regex);
    }
    free(st->rules);
    st->rules = NULL;
    st->n_rules = 0;
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? llmt_strndup(path, (size_t)(slash - path)) : llmt_strdup(".");
}

/* A reply is "reply" (string or any JSON value, serialised) or "reply_file" (relative to
 * the rules file). */
static llmt_status load_reply(json_t *rule, const char *file, const char *dir, size_t idx,
                              char **out, llmt_error *err)
{
    json_t *r = json_object_get(rule, "reply");
    json_t *rf = json_object_get(rule, "reply_file");
    *out = NULL;
    if (json_is_string(r)) {
        *out = llmt_strdup(json_string_value(r));
    } else if (r) {
        *out = json_dumps(r, JSON_COMPACT | JSON_ENCODE_ANY);
    } else if (json_is_string(rf)) {
        const char *p = json_string_value(rf);
        char *full = p[0] == '/' ? llmt_strdup(p) : llmt_path_join(dir, p);
        llmt_status st = llmt_read_file(full, out, NULL, err);
        free(full);
        if (st != LLMT_OK)
            return llmt_error_set(err, LLMT_E_CONFIG, "%s: /rules/%zu/reply_file: %s", file, idx,
                                  err ? err->message : "cannot read");
    } else {
        return llmt_error_set(err, LLMT_E_CONFIG,
                              "%s: /rules/%zu: expected \"reply\" or \"reply_file\"", file, idx);
    }
    return *out ? LLMT_OK : llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
}

static llmt_status load_rules(mock_state *st, const char *file, llmt_error *err)
{
    json_error_t je;
    json_t *root = json_load_file(file, JSON_REJECT_DUPLICATES, &je), *rules, *dflt;
    char *dir = NULL;
    llmt_status rc = LLMT_OK;
    size_t i;
    if (!root)
        return llmt_error_set(err, LLMT_E_CONFIG, "%s: line %d, column %d: %s", file, je.line,
                              je.column, je.text);
    rules = json_object_get(root, "rules");
    if (!json_is_array(rules)) {
        rc = llmt_error_set(err, LLMT_E_CONFIG, "%s: /rules: expected array, got %s", file,
                            rules ? "another type" : "nothing");
        goto done;
    }
    dir = dir_of(file);
    st->rules = calloc(json_array_size(rules) + 1, sizeof(*st->rules));
    if (!st->rules) {
        rc = llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
        goto done;
    }
    for (i = 0; i < json_array_size(rules); i++) {
        json_t *r = json_array_get(rules, i);
        mock_rule *mr = &st->rules[i];
        const char *where = json_string_value(json_object_get(r, "in"));
        const char *contains = json_string_value(json_object_get(r, "contains"));
        const char *regex = json_string_value(json_object_get(r, "regex"));
        st->n_rules = i + 1;
        if (!json_is_object(r)) {
            rc = llmt_error_set(err, LLMT_E_CONFIG, "%s: /rules/%zu: expected object", file, i);
            goto done;
        }
        if (!contains && !regex) {
            rc = llmt_error_set(err, LLMT_E_CONFIG,
                                "%s: /rules/%zu: expected \"contains\" or \"regex\"", file, i);
            goto done;
        }
        mr->where = !where || strcmp(where, "any") == 0 ? 0 : strcmp(where, "prompt") == 0 ? 1
                                                          : strcmp(where, "source") == 0 ? 2 : -1;
        if (mr->where < 0) {
            rc = llmt_error_set(err, LLMT_E_CONFIG,
                                "%s: /rules/%zu/in: expected \"prompt\", \"source\" or \"any\"",
                                file, i);
            goto done;
        }
        mr->contains = llmt_strdup(contains);
        if (regex) {
            int e = regcomp(&mr->regex, regex, REG_EXTENDED | REG_NOSUB);
            if (e != 0) {
                char msg[256];
                regerror(e, &mr->regex, msg, sizeof msg);
                rc = llmt_error_set(err, LLMT_E_CONFIG, "%s: /rules/%zu/regex: %s", file, i, msg);
                goto done;
            }
            mr->has_regex = true;
        }
        rc = load_reply(r, file, dir, i, &mr->reply, err);
        if (rc != LLMT_OK)
            goto done;
    }
    dflt = json_object_get(root, "default");
    if (json_is_string(dflt))
        st->default_reply = llmt_strdup(json_string_value(dflt));
    else if (json_is_object(dflt))
        rc = load_reply(dflt, file, dir, 0, &st->default_reply, err);
    else if (dflt)
        rc = llmt_error_set(err, LLMT_E_CONFIG,
                            "%s: /default: expected a string or {\"reply\": ...}", file);
done:
    free(dir);
    json_decref(root);
    return rc;
}

static void mock_destroy(void *state)
{
    mock_state *st = state;
    if (!st)
        return;
    free_rules(st);
    free(st->default_reply);
    free(st);
}

static llmt_status mock_init(void **state, const llmt_provider_settings *s, llmt_error *err)
{
    mock_state *st = calloc(1, sizeof(*st));
    llmt_status rc = LLMT_OK;
    if (!st)
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    st->seed = s->seed;
    if (s->options_json) {
        json_t *o = json_loads(s->options_json, 0, NULL);
        const char *rules = json_string_value(json_object_get(o, "rules_file"));
        if (rules)
            rc = load_rules(st, rules, err);
        json_decref(o);
    }
    if (rc != LLMT_OK) {
        mock_destroy(st);
        return rc;
    }
    *state = st;
    return LLMT_OK;
}

/* ---- noisy: perturb a copy of the reference ------------------------------------------ */

typedef struct noise_site {
    json_t *parent; /* object or array holding the value */
    const char *key;
    size_t index;
    json_t *value;
} noise_site;

typedef struct noise_sites {
    noise_site *v;
    size_t n, cap;
} noise_sites;

static void collect(json_t *parent, const char *key, size_t index, json_t *v, noise_sites *out)
{
    const char *k;
    json_t *c;
    size_t i;
    if (parent) {
        if (out->n == out->cap) {
            size_t cap = out->cap ? out->cap * 2 : 32;
            noise_site *nv = realloc(out->v, cap * sizeof(*nv));
            if (!nv)
                return;
            out->v = nv;
            out->cap = cap;
        }
        out->v[out->n].parent = parent;
        out->v[out->n].key = key;
        out->v[out->n].index = index;
        out->v[out->n].value = v;
        out->n++;
    }
    if (json_is_object(v)) {
        json_object_foreach(v, k, c) collect(v, k, 0, c, out);
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, c) collect(v, NULL, i, c, out);
    }
}

static void replace_site(noise_site *s, json_t *nv)
{
    if (json_is_object(s->parent))
        json_object_set_new(s->parent, s->key, nv);
    else
        json_array_set_new(s->parent, s->index, nv);
}

/* Applies one perturbation of the kind the rng picks among the sites that allow it. */
static bool perturb_once(json_t *root, llmt_rng *rng)
{
    noise_sites sites = {0};
    noise_site *s;
    bool done = false;
    size_t tries;
    collect(NULL, NULL, 0, root, &sites);
    for (tries = 0; tries < 8 && sites.n && !done; tries++) {
        s = &sites.v[llmt_rng_next(rng) % sites.n];
        switch (llmt_rng_next(rng) % 4) {
        case 0: /* drop a field */
            if (json_is_object(s->parent) && json_object_size(s->parent) > 1) {
                json_object_del(s->parent, s->key);
                done = true;
            }
            break;
        case 1: /* typo a string: swap two adjacent ASCII letters */
            if (json_is_string(s->value) && json_string_length(s->value) >= 4) {
                char *t = llmt_strdup(json_string_value(s->value));
                size_t n = strlen(t), p = 1 + llmt_rng_next(rng) % (n - 2);
                if (t && (unsigned char)t[p] < 0x80 && (unsigned char)t[p + 1] < 0x80 &&
                    t[p] != t[p + 1]) {
                    char c = t[p];
                    t[p] = t[p + 1];
                    t[p + 1] = c;
                    replace_site(s, json_string(t));
                    done = true;
                }
                free(t);
            }
            break;
        case 2: /* change a number */
            if (json_is_integer(s->value)) {
                replace_site(s, json_integer(json_integer_value(s->value) + 1 +
                                             (json_int_t)(llmt_rng_next(rng) % 9)));
                done = true;
            } else if (json_is_real(s->value)) {
                replace_site(s, json_real(json_real_value(s->value) * 1.5 + 1.0));
                done = true;
            }
            break;
        default: /* reorder a list */
            if (json_is_array(s->value) && json_array_size(s->value) >= 2) {
                json_t *first = json_incref(json_array_get(s->value, 0));
                json_array_remove(s->value, 0);
                json_array_append_new(s->value, first);
                done = true;
            }
            break;
        }
    }
    free(sites.v);
    return done;
}

static char *noisy_reply(const mock_state *st, const llmt_request *req)
{
    json_t *root = json_loads(req->reference, JSON_DECODE_ANY, NULL);
    llmt_rng rng;
    char *out;
    int i, n;
    if (!root)
        return llmt_strdup(req->reference);
    llmt_rng_seed(&rng, llmt_hash64(req->case_id ? req->case_id : "", st->seed ^ 0x6e6f697379ULL));
    n = 1 + (int)(llmt_rng_next(&rng) % 3);
    for (i = 0; i < n; i++)
        perturb_once(root, &rng);
    out = json_dumps(root, JSON_INDENT(2) | JSON_ENCODE_ANY);
    json_decref(root);
    return out;
}

static bool rule_matches(const mock_rule *r, const llmt_request *req, const char *all)
{
    const char *texts[2];
    size_t n = 0, i;
    if (r->where == 1)
        texts[n++] = req->prompt_text ? req->prompt_text : all;
    else if (r->where == 2)
        texts[n++] = req->source_text ? req->source_text : all;
    else
        texts[n++] = all;
    for (i = 0; i < n; i++) {
        if (r->contains && !strstr(texts[i], r->contains))
            continue;
        if (r->has_regex && regexec(&r->regex, texts[i], 0, NULL, 0) != 0)
            continue;
        return true;
    }
    return false;
}

static llmt_status mock_call(void *state, const llmt_request *req, llmt_response *out,
                             llmt_error *err)
{
    mock_state *st = state;
    llmt_buf all = {0};
    long input_tokens;
    size_t i;
    if (req->system_prompt)
        llmt_buf_puts(&all, req->system_prompt);
    for (i = 0; i < req->n_messages; i++) {
        llmt_buf_puts(&all, "\n");
        llmt_buf_puts(&all, req->messages[i].content ? req->messages[i].content : "");
    }
    /* ~4 tokens of chat framing per message, as chat APIs bill */
    input_tokens = llmt_estimate_tokens(all.data ? all.data : "") + 4 * (long)(req->n_messages + 1);
    if (strcmp(req->model, "rules") == 0) {
        const char *hit = NULL;
        for (i = 0; i < st->n_rules && !hit; i++)
            if (rule_matches(&st->rules[i], req, all.data ? all.data : ""))
                hit = st->rules[i].reply;
        if (!hit)
            hit = st->default_reply;
        if (!hit) {
            llmt_buf_free(&all);
            return llmt_error_set(err, LLMT_E_BAD_RESPONSE,
                                  "mock:rules: no rule matched %s and the rules file has no "
                                  "default (give one with --mock-rules)",
                                  req->case_id ? req->case_id : "the request");
        }
        out->text = llmt_strdup(hit);
    } else if (!req->reference) {
        llmt_buf_free(&all);
        return llmt_error_set(err, LLMT_E_UNSUPPORTED,
                              "mock:%s needs the case's expected answer (run it on a task)",
                              req->model);
    } else if (strcmp(req->model, "noisy") == 0) {
        out->text = noisy_reply(st, req);
    } else {
        out->text = llmt_strdup(req->reference);
    }
    llmt_buf_free(&all);
    if (!out->text)
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    out->model = llmt_strdup(req->model);
    out->stop_reason = llmt_strdup("stop");
    out->usage.input_tokens = input_tokens;
    out->usage.output_tokens = llmt_estimate_tokens(out->text);
    out->usage.cached_input_tokens = -1;
    out->usage.reasoning_tokens = -1;
    return LLMT_OK;
}

const llmt_provider_ops llmt_provider_mock = {
    LLMT_PROVIDER_ABI_VERSION,
    "mock",
    LLMT_CAP_SYSTEM_PROMPT | LLMT_CAP_JSON_OBJECT | LLMT_CAP_JSON_SCHEMA | LLMT_CAP_FILES |
        LLMT_CAP_LOCAL | LLMT_CAP_NEEDS_REFERENCE,
    mock_init,
    mock_destroy,
    NULL,
    NULL,
    NULL,
    mock_call,
    NULL,
    NULL,
};
