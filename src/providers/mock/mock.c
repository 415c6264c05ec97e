/*
 * The mock provider: answers without a network, for tests, demos and CI.
 *   mock:oracle  the case's expected JSON (the runner passes it as req->reference)
 *   mock:noisy   the oracle with seeded perturbations (drop a field, typo a string,
 *                change a number, reorder a list), deterministic for a seed and case
 *   mock:rules   the reply of the first rule whose pattern matches the prompt or source
 * Rules files (--provider-option mock.rules=FILE or its alias --mock-rules FILE, the
 * "rules" option of the config, and <task>/mock_rules.json, consulted first) also
 * simulate errors (any class of error.h, with HTTP status and Retry-After; by
 * probability, every Nth matching call, after N matching calls, at most N times) for
 * every mock model,
 * and latency (fixed, uniform, log-normal from median and p95), handed to the engine as
 * response->simulated_latency_ms so that waiting never blocks other requests. Every
 * random choice is a hash of (seed, request, attempt): deterministic under --seed.
 * Token usage is the BPE-like estimate of src/provider/tokens.c, so costs look real.
 * File format: docs/mock-provider.md.
 */
#include <jansson.h>
#include <math.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/mock/mock.h"

#include "config/jcheck.h"
#include "config/project_config.h"
#include "core/diag.h"
#include "core/util.h"
#include "llmt/provider.h"
#include "provider/tokens.h"
#include "score/validate.h"

/* When a rule (or global error entry) fires, beyond matching: all given conditions must
 * hold. `count` is the number of requests that matched so far, this one included. */
typedef struct mock_gate {
    double probability; /* 1 = always */
    long every;         /* 0 = every matching request; N = the Nth, 2Nth, ... */
    long after;         /* fires only once more than `after` requests matched */
    long times;         /* fires at most this many times; 0 = unlimited */
    unsigned long count;
    unsigned long fired;
} mock_gate;

typedef struct mock_fault {
    llmt_status status;
    int http_status;
    double retry_after_s; /* < 0: none */
    bool retryable;
    char *message;
} mock_fault;

enum { LAT_NONE = 0, LAT_FIXED, LAT_UNIFORM, LAT_LOGNORMAL };

/* Bounds of a rule's regex: a pattern, and what one match may cost (backtracking steps,
 * nesting depth, heap), so that a pathological pattern fails a call with a message
 * instead of hanging the run or taking gigabytes. */
#define MOCK_RE_MAX_PATTERN 4096
#define MOCK_RE_MATCH_LIMIT 1000000u
#define MOCK_RE_DEPTH_LIMIT 10000u
#define MOCK_RE_HEAP_LIMIT_KB 65536u
typedef struct mock_latency {
    int kind;
    double a, b; /* fixed: a; uniform: [a, b]; log-normal: mu, sigma of ln(ms) */
} mock_latency;

typedef struct mock_rule {
    char *contains;      /* substring, or NULL */
    pcre2_code *regex;   /* compiled "regex", or NULL */
    int where;           /* 0 any, 1 prompt, 2 source */
    char *reply;         /* NULL when the rule simulates an error */
    mock_fault *fault;   /* NULL when the rule replies */
    mock_gate gate;
    char **models;       /* mock models it applies to; NULL = default (see applies_to) */
    size_t n_models;
    char path[48];       /* "/rules/3", for messages */
} mock_rule;

/* One rules file: the --mock-rules file, or a task's mock_rules.json. */
typedef struct mock_ruleset {
    char *file;
    mock_rule *rules;    /* "errors" entries first, then "rules", in file order */
    size_t n_rules;
    char *default_reply;
    mock_latency latency;
} mock_ruleset;

typedef struct mock_task_rules {
    char *dir;
    mock_ruleset *rs;    /* NULL when the task has no mock_rules.json */
    llmt_error error;    /* status != OK when its file is invalid */
} mock_task_rules;

/* How many times each request was seen: retries of a request get fresh draws while the
 * sequence stays the same for a seed, whatever order other requests arrive in. */
typedef struct mock_attempts {
    uint64_t *keys;
    unsigned *counts;
    size_t cap, n;
} mock_attempts;

/* A task's schema compiled for mock:noisy, found again by the hash of its text. */
typedef struct noisy_schema {
    uint64_t hash;
    llmt_schema *schema; /* NULL: it did not compile (noise is then unchecked) */
} noisy_schema;

#define NOISY_SCHEMAS 16

typedef struct mock_state {
    uint64_t seed;
    mock_ruleset *global;
    mock_task_rules *tasks;
    size_t n_tasks;
    mock_attempts attempts;
    noisy_schema schemas[NOISY_SCHEMAS]; /* provider code runs under the engine's lock */
    size_t n_schemas;
} mock_state;

static void free_ruleset(mock_ruleset *rs)
{
    size_t i;
    if (!rs)
        return;
    for (i = 0; i < rs->n_rules; i++) {
        mock_rule *r = &rs->rules[i];
        free(r->contains);
        free(r->reply);
        if (r->fault)
            free(r->fault->message);
        free(r->fault);
        pcre2_code_free(r->regex);
        llmt_free_strv(r->models, r->n_models);
    }
    free(rs->rules);
    free(rs->default_reply);
    free(rs->file);
    free(rs);
}

static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* A uniform draw in [0,1) for (request, attempt, purpose): deterministic for a seed. */
static double draw(uint64_t key, unsigned attempt, uint64_t purpose)
{
    uint64_t x = mix64(key ^ mix64(((uint64_t)attempt << 32) ^ purpose));
    return (double)(x >> 11) / 9007199254740992.0;
}

static unsigned attempts_bump(mock_attempts *a, uint64_t key)
{
    size_t i;
    if (a->n * 2 >= a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64, j;
        uint64_t *keys = calloc(cap, sizeof(*keys));
        unsigned *counts = calloc(cap, sizeof(*counts));
        if (!keys || !counts) {
            free(keys);
            free(counts);
            return 0; /* out of memory: every attempt counts as the first */
        }
        for (j = 0; j < a->cap; j++) {
            if (!a->counts[j])
                continue;
            for (i = a->keys[j] & (cap - 1); counts[i]; i = (i + 1) & (cap - 1))
                ;
            keys[i] = a->keys[j];
            counts[i] = a->counts[j];
        }
        free(a->keys);
        free(a->counts);
        a->keys = keys;
        a->counts = counts;
        a->cap = cap;
    }
    for (i = key & (a->cap - 1); a->counts[i] && a->keys[i] != key; i = (i + 1) & (a->cap - 1))
        ;
    if (!a->counts[i]) {
        a->keys[i] = key;
        a->n++;
    }
    return a->counts[i]++;
}

/* ---- loading a rules file --------------------------------------------------------------
 * One parser for the run and for `config validate` (llmt_mock_rules_validate): every
 * problem becomes a diagnostic naming the file and the JSON path, and loading goes on
 * after it so that validate lists them all; at run time the first one is the error. A
 * file is usable exactly when it produced no error, so the two cannot disagree. */

typedef struct rules_ctx {
    llmt_diags *diags;
    const char *file;
    const char *dir; /* the file's folder: reply_file is relative to it */
    bool nomem;
} rules_ctx;

/* An error at `path` + `sub` (JSON pointers; `sub` "" or "/field"). */
static void bad(rules_ctx *c, const char *path, const char *sub, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void bad(rules_ctx *c, const char *path, const char *sub, const char *fmt, ...)
{
    llmt_buf msg = {0};
    char *at = llmt_asprintf("%s%s", path, sub);
    va_list ap;
    va_start(ap, fmt);
    llmt_buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    if (!at || !msg.data)
        c->nomem = true;
    else
        llmt_diags_add(c->diags, LLMT_DIAG_ERROR, c->file, at, "%s", msg.data);
    free(at);
    llmt_buf_free(&msg);
}

/* Unknown keys are errors (not warnings as in the other config files) so that a typo
 * ("probabilty") does not silently do nothing. */
static bool check_keys(rules_ctx *c, json_t *obj, const char *path, const char *const *keys)
{
    const char *k;
    json_t *v;
    bool ok = true;
    json_object_foreach(obj, k, v)
    {
        const char *best;
        char *at;
        size_t i;
        for (i = 0; keys[i] && strcmp(keys[i], k) != 0; i++)
            ;
        if (keys[i])
            continue;
        best = llmt_jc_suggest(k, keys);
        at = llmt_asprintf("/%s", k);
        if (!at)
            c->nomem = true;
        else if (best)
            bad(c, path, at, "unknown field (did you mean '%s'?)", best);
        else
            bad(c, path, at, "unknown field");
        free(at);
        ok = false;
    }
    return ok;
}

/* A reply is "reply" (string or any JSON value, serialised) or "reply_file" (relative to
 * the rules file). */
static bool load_reply(rules_ctx *c, json_t *rule, const char *path, char **out)
{
    json_t *r = json_object_get(rule, "reply");
    json_t *rf = json_object_get(rule, "reply_file");
    *out = NULL;
    if (json_is_string(r)) {
        *out = llmt_strdup(json_string_value(r));
    } else if (r) {
        *out = json_dumps(r, JSON_COMPACT | JSON_ENCODE_ANY);
    } else if (json_is_string(rf)) {
        char *full = llmt_path_resolve(c->dir, json_string_value(rf));
        llmt_error err;
        if (!full) {
            c->nomem = true;
            return false;
        }
        if (llmt_read_file(full, out, NULL, &err) != LLMT_OK) {
            free(full);
            bad(c, path, "/reply_file", "%s", err.message);
            return false;
        }
        free(full);
    } else if (rf) {
        bad(c, path, "/reply_file", "expected a string");
        return false;
    } else {
        bad(c, path, "", "expected \"reply\", \"reply_file\" or \"error\"");
        return false;
    }
    if (!*out)
        c->nomem = true;
    return *out != NULL;
}

/* The HTTP status a real provider would send with this class (0: no HTTP exchange). */
static int default_http_status(llmt_status st)
{
    switch (st) {
    case LLMT_E_AUTH: return 401;
    case LLMT_E_PERMISSION: return 403;
    case LLMT_E_NOT_FOUND: return 404;
    case LLMT_E_BAD_REQUEST:
    case LLMT_E_CONTEXT_LENGTH:
    case LLMT_E_CONTENT_FILTER: return 400;
    case LLMT_E_RATE_LIMIT:
    case LLMT_E_QUOTA: return 429;
    case LLMT_E_SERVER: return 500;
    case LLMT_E_OVERLOADED: return 529;
    default: return 0;
    }
}

/* The class for an HTTP status when only "http_status" is given. */
static llmt_status class_of_http_status(long s)
{
    switch (s) {
    case 400: return LLMT_E_BAD_REQUEST;
    case 401: return LLMT_E_AUTH;
    case 402: return LLMT_E_QUOTA;
    case 403: return LLMT_E_PERMISSION;
    case 404: return LLMT_E_NOT_FOUND;
    case 408: return LLMT_E_TIMEOUT;
    case 413: return LLMT_E_CONTEXT_LENGTH;
    case 429: return LLMT_E_RATE_LIMIT;
    case 503:
    case 529: return LLMT_E_OVERLOADED;
    default: return s >= 500 ? LLMT_E_SERVER : LLMT_E_BAD_REQUEST;
    }
}

static bool load_fault(rules_ctx *c, json_t *e, const char *path, mock_fault **out)
{
    static const char *const keys[] = {"class", "http_status", "retry_after", "retryable",
                                       "message", NULL};
    json_t *cls, *hs, *ra, *rt, *msg;
    llmt_status status = LLMT_OK;
    mock_fault *f;
    bool ok;
    char *at;
    if (!json_is_object(e)) {
        bad(c, path, "/error", "expected an object");
        return false;
    }
    at = llmt_asprintf("%s/error", path);
    if (!at) {
        c->nomem = true;
        return false;
    }
    ok = check_keys(c, e, at, keys);
    free(at);
    cls = json_object_get(e, "class");
    hs = json_object_get(e, "http_status");
    ra = json_object_get(e, "retry_after");
    rt = json_object_get(e, "retryable");
    msg = json_object_get(e, "message");
    if (!cls && !hs) {
        bad(c, path, "/error", "expected \"class\" (e.g. \"rate_limit\") or \"http_status\"");
        ok = false;
    }
    if (cls && (!json_is_string(cls) || !llmt_status_from_name(json_string_value(cls), &status) ||
                status == LLMT_OK)) {
        bad(c, path, "/error/class",
            "expected an error class such as \"rate_limit\", \"quota\", \"server\", "
            "\"timeout\" (see docs/mock-provider.md)");
        ok = false;
    }
    if (hs && (!json_is_integer(hs) || json_integer_value(hs) < 100 ||
               json_integer_value(hs) > 599)) {
        bad(c, path, "/error/http_status", "expected an integer 100-599");
        ok = false;
    }
    if (ra && (!json_is_number(ra) || json_number_value(ra) < 0)) {
        bad(c, path, "/error/retry_after", "expected seconds (a number >= 0)");
        ok = false;
    }
    if (rt && !json_is_boolean(rt)) {
        bad(c, path, "/error/retryable", "expected a boolean");
        ok = false;
    }
    if (msg && !json_is_string(msg)) {
        bad(c, path, "/error/message", "expected a string");
        ok = false;
    }
    if (!ok)
        return false;
    f = calloc(1, sizeof(*f));
    if (!f) {
        c->nomem = true;
        return false;
    }
    f->status = cls ? status : class_of_http_status((long)json_integer_value(hs));
    f->http_status = hs ? (int)json_integer_value(hs) : default_http_status(f->status);
    f->retry_after_s = ra ? json_number_value(ra) : -1;
    f->retryable = rt ? json_is_true(rt) : llmt_status_retryable(f->status);
    f->message = msg ? llmt_strdup(json_string_value(msg)) : NULL;
    *out = f;
    if (msg && !f->message)
        c->nomem = true;
    return true;
}

static bool load_gate(rules_ctx *c, json_t *r, const char *path, mock_gate *g)
{
    json_t *p = json_object_get(r, "probability"), *ev = json_object_get(r, "every");
    json_t *af = json_object_get(r, "after"), *tm = json_object_get(r, "times");
    bool ok = true;
    g->probability = 1;
    if (tm && (!json_is_integer(tm) || json_integer_value(tm) < 1)) {
        bad(c, path, "/times", "expected an integer >= 1");
        ok = false;
    } else if (tm) {
        g->times = (long)json_integer_value(tm);
    }
    if (p && (!json_is_number(p) || json_number_value(p) < 0 || json_number_value(p) > 1)) {
        bad(c, path, "/probability", "expected a number between 0 and 1");
        ok = false;
    } else if (p) {
        g->probability = json_number_value(p);
    }
    if (ev && (!json_is_integer(ev) || json_integer_value(ev) < 1)) {
        bad(c, path, "/every", "expected an integer >= 1");
        ok = false;
    } else if (ev) {
        g->every = (long)json_integer_value(ev);
    }
    if (af && (!json_is_integer(af) || json_integer_value(af) < 0)) {
        bad(c, path, "/after", "expected an integer >= 0");
        ok = false;
    } else if (af) {
        g->after = (long)json_integer_value(af);
    }
    return ok;
}

/* Loads one entry of "rules" or (error_only) "errors" into mr, reporting every problem;
 * mr holds only what free_ruleset frees, whatever the outcome. */
static bool load_rule(rules_ctx *c, json_t *r, const char *path, bool error_only, mock_rule *mr)
{
    static const char *const keys[] = {"contains", "regex", "in", "reply", "reply_file",
                                       "error", "probability", "every", "after", "times",
                                       "models",
                                       "description", NULL};
    json_t *in, *contains, *regex, *models, *e;
    bool ok;
    size_t i;
    snprintf(mr->path, sizeof mr->path, "%s", path);
    if (!json_is_object(r)) {
        bad(c, path, "", "expected an object, got %s", llmt_json_type_name(r));
        return false;
    }
    ok = check_keys(c, r, path, keys);
    in = json_object_get(r, "in");
    contains = json_object_get(r, "contains");
    regex = json_object_get(r, "regex");
    if (contains && !json_is_string(contains)) {
        bad(c, path, "/contains", "expected a string");
        ok = false;
    } else if (contains && !(mr->contains = llmt_strdup(json_string_value(contains)))) {
        c->nomem = true;
    }
    if (regex && !json_is_string(regex)) {
        bad(c, path, "/regex", "expected a string");
        ok = false;
    } else if (regex) {
        int code;
        PCRE2_SIZE at;
        const char *pat = json_string_value(regex);
        /* PCRE2 rather than regcomp: glibc's compiler took 3 GB for "a++++...", and
         * matching is bounded (MOCK_RE_* below) */
        if (strlen(pat) > MOCK_RE_MAX_PATTERN) {
            bad(c, path, "/regex", "pattern longer than %d bytes", MOCK_RE_MAX_PATTERN);
            ok = false;
        } else if (!(mr->regex = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
                                               PCRE2_UTF | PCRE2_MATCH_INVALID_UTF |
                                                   PCRE2_NO_AUTO_CAPTURE,
                                               &code, &at, NULL))) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(code, msg, sizeof msg);
            bad(c, path, "/regex", "invalid regular expression at offset %zu: %s", (size_t)at,
                (const char *)msg);
            ok = false;
        }
    }
    mr->where = !in                                           ? 0
                : !json_is_string(in)                         ? -1
                : strcmp(json_string_value(in), "any") == 0    ? 0
                : strcmp(json_string_value(in), "prompt") == 0 ? 1
                : strcmp(json_string_value(in), "source") == 0 ? 2
                                                               : -1;
    if (mr->where < 0) {
        bad(c, path, "/in", "expected \"prompt\", \"source\" or \"any\"");
        ok = false;
    }
    ok = load_gate(c, r, path, &mr->gate) && ok;
    models = json_object_get(r, "models");
    if (models && (!json_is_array(models) || json_array_size(models) == 0)) {
        bad(c, path, "/models", "expected a non-empty array of mock model names");
        ok = false;
    } else if (models) {
        mr->models = calloc(json_array_size(models), sizeof(*mr->models));
        if (!mr->models) {
            c->nomem = true;
            return false;
        }
        mr->n_models = json_array_size(models);
        json_array_foreach(models, i, e)
        {
            char sub[48];
            if (!json_is_string(e)) {
                snprintf(sub, sizeof sub, "/models/%zu", i);
                bad(c, path, sub, "expected a string");
                ok = false;
            } else if (!(mr->models[i] = llmt_strdup(json_string_value(e)))) {
                c->nomem = true;
            }
        }
    }
    e = json_object_get(r, "error");
    if (e) {
        if (json_object_get(r, "reply") || json_object_get(r, "reply_file")) {
            bad(c, path, "", "give either \"error\" or a reply, not both");
            ok = false;
        }
        return load_fault(c, e, path, &mr->fault) && ok;
    }
    if (error_only) {
        bad(c, path, "/error", "required in \"errors\" entries");
        return false;
    }
    return load_reply(c, r, path, &mr->reply) && ok;
}

static bool load_latency(rules_ctx *c, json_t *l, mock_latency *out)
{
    static const char *const keys[] = {"fixed_ms", "distribution", "min_ms", "max_ms",
                                       "median_ms", "p95_ms", NULL};
    json_t *fixed, *dist;
    double a, b;
    if (!json_is_object(l)) {
        bad(c, "/latency", "", "expected an object, got %s", llmt_json_type_name(l));
        return false;
    }
    if (!check_keys(c, l, "/latency", keys))
        return false;
    fixed = json_object_get(l, "fixed_ms");
    dist = json_object_get(l, "distribution");
    if (fixed) {
        if (!json_is_number(fixed) || json_number_value(fixed) < 0 || dist) {
            bad(c, "/latency", "/fixed_ms", "expected a number >= 0 (and no \"distribution\")");
            return false;
        }
        out->kind = LAT_FIXED;
        out->a = json_number_value(fixed);
        return true;
    }
    if (json_is_string(dist) && strcmp(json_string_value(dist), "uniform") == 0) {
        a = json_number_value(json_object_get(l, "min_ms"));
        b = json_number_value(json_object_get(l, "max_ms"));
        if (!json_is_number(json_object_get(l, "min_ms")) ||
            !json_is_number(json_object_get(l, "max_ms")) || a < 0 || b < a) {
            bad(c, "/latency", "", "uniform needs min_ms and max_ms with 0 <= min_ms <= max_ms");
            return false;
        }
        out->kind = LAT_UNIFORM;
        out->a = a;
        out->b = b;
        return true;
    }
    if (json_is_string(dist) && strcmp(json_string_value(dist), "lognormal") == 0) {
        a = json_number_value(json_object_get(l, "median_ms"));
        b = json_number_value(json_object_get(l, "p95_ms"));
        if (!json_is_number(json_object_get(l, "median_ms")) ||
            !json_is_number(json_object_get(l, "p95_ms")) || a <= 0 || b < a) {
            bad(c, "/latency", "", "lognormal needs median_ms > 0 and p95_ms >= median_ms");
            return false;
        }
        /* ln(latency) ~ N(mu, sigma): the median is e^mu, the 95th percentile e^(mu +
         * 1.6449 sigma) */
        out->kind = LAT_LOGNORMAL;
        out->a = log(a);
        out->b = (log(b) - out->a) / 1.6448536269514722;
        return true;
    }
    if (dist)
        bad(c, "/latency", "/distribution", "expected \"uniform\" or \"lognormal\"");
    else
        bad(c, "/latency", "",
            "expected \"fixed_ms\", or \"distribution\": \"uniform\" or \"lognormal\"");
    return false;
}

/* The whole file into *out (NULL unless it loaded with no error). Problems go to
 * diags. Returns LLMT_OK, LLMT_E_CONFIG (see diags) or LLMT_E_NOMEM. */
static llmt_status parse_rules(const char *file, mock_ruleset **out, llmt_diags *diags)
{
    static const char *const keys[] = {"config_version", "rules", "errors", "default", "latency",
                                       "description", NULL};
    rules_ctx c = {diags, file, NULL, false};
    size_t errors_before = diags->errors, i, n_err, n_rules;
    json_t *root = llmt_jc_load_file(diags, file), *rules, *errors, *dflt, *ver, *lat;
    mock_ruleset *rs = NULL;
    char *dir = NULL;
    llmt_status rc;
    *out = NULL;
    if (!root)
        goto done;
    if (!json_is_object(root)) {
        bad(&c, "", "", "expected an object at the top level, got %s",
            llmt_json_type_name(root));
        goto done;
    }
    check_keys(&c, root, "", keys);
    /* the format has one version so far; a newer one would mean a newer llm-tester */
    ver = json_object_get(root, "config_version");
    if (ver && !(json_is_integer(ver) && json_integer_value(ver) == 1))
        bad(&c, "/config_version", "", "expected 1 (the only version of the rules format)");
    rules = json_object_get(root, "rules");
    errors = json_object_get(root, "errors");
    if (rules && !json_is_array(rules))
        bad(&c, "/rules", "", "expected an array, got %s", llmt_json_type_name(rules));
    if (errors && !json_is_array(errors))
        bad(&c, "/errors", "", "expected an array, got %s", llmt_json_type_name(errors));
    n_err = json_array_size(errors);
    n_rules = json_array_size(rules);
    dir = llmt_path_dirname(file);
    rs = calloc(1, sizeof(*rs));
    if (rs) {
        rs->file = llmt_strdup(file);
        rs->rules = calloc(n_err + n_rules + 1, sizeof(*rs->rules));
    }
    if (!dir || !rs || !rs->rules || !rs->file) {
        c.nomem = true;
        goto done;
    }
    c.dir = dir;
    /* "errors" first: they are tried before "rules" */
    for (i = 0; i < n_err + n_rules; i++) {
        bool is_err = i < n_err;
        size_t k = is_err ? i : i - n_err;
        char path[48];
        snprintf(path, sizeof path, "/%s/%zu", is_err ? "errors" : "rules", k);
        rs->n_rules = i + 1;
        load_rule(&c, json_array_get(is_err ? errors : rules, k), path, is_err, &rs->rules[i]);
    }
    dflt = json_object_get(root, "default");
    if (json_is_string(dflt)) {
        if (!(rs->default_reply = llmt_strdup(json_string_value(dflt))))
            c.nomem = true;
    } else if (json_is_object(dflt)) {
        static const char *const dflt_keys[] = {"reply", "reply_file", "description", NULL};
        if (check_keys(&c, dflt, "/default", dflt_keys))
            load_reply(&c, dflt, "/default", &rs->default_reply);
    } else if (dflt) {
        bad(&c, "/default", "", "expected a string or {\"reply\": ...}, got %s",
            llmt_json_type_name(dflt));
    }
    lat = json_object_get(root, "latency");
    if (lat)
        load_latency(&c, lat, &rs->latency);
done:
    rc = c.nomem ? LLMT_E_NOMEM : diags->errors > errors_before ? LLMT_E_CONFIG : LLMT_OK;
    if (rc == LLMT_OK) {
        *out = rs;
        rs = NULL;
    }
    free_ruleset(rs);
    free(dir);
    json_decref(root);
    return rc;
}

/* The run's entry: the first problem becomes the error. */
static llmt_status load_rules(const char *file, mock_ruleset **out, llmt_error *err)
{
    llmt_diags diags = {0};
    llmt_status rc = parse_rules(file, out, &diags);
    if (rc == LLMT_E_NOMEM)
        llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    else if (rc != LLMT_OK && llmt_diags_to_error(&diags, err) == LLMT_OK)
        rc = llmt_error_set(err, LLMT_E_NOMEM, "out of memory"); /* the diagnostic was lost */
    llmt_diags_free(&diags);
    return rc;
}

bool llmt_mock_rules_validate(const char *file, llmt_diags *diags)
{
    mock_ruleset *rs = NULL;
    llmt_status rc = parse_rules(file, &rs, diags);
    free_ruleset(rs);
    if (rc == LLMT_E_NOMEM)
        llmt_diags_add(diags, LLMT_DIAG_ERROR, file, "", "out of memory");
    return rc == LLMT_OK;
}

static void mock_destroy(void *state)
{
    mock_state *st = state;
    size_t i;
    if (!st)
        return;
    free_ruleset(st->global);
    for (i = 0; i < st->n_tasks; i++) {
        free(st->tasks[i].dir);
        free_ruleset(st->tasks[i].rs);
    }
    free(st->tasks);
    for (i = 0; i < st->n_schemas; i++)
        llmt_schema_free(st->schemas[i].schema);
    free(st->attempts.keys);
    free(st->attempts.counts);
    free(st);
}

static llmt_status mock_init(void **state, const llmt_provider_settings *s, llmt_error *err)
{
    mock_state *st = calloc(1, sizeof(*st));
    llmt_status rc = LLMT_OK;
    if (!st)
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    st->seed = s->seed;
    {
        /* the rules file: the run's provider option mock.rules, else the "options" of
         * the config (a project's providers/mock.json may set one) */
        json_t *o = s->options_json ? json_loads(s->options_json, 0, NULL) : NULL;
        json_t *cfg = s->config_json ? json_loads(s->config_json, 0, NULL) : NULL;
        const char *rules = json_string_value(json_object_get(o, "rules"));
        if (!rules)
            rules = json_string_value(json_object_get(json_object_get(cfg, "options"), "rules"));
        if (rules)
            rc = load_rules(rules, &st->global, err);
        json_decref(o);
        json_decref(cfg);
    }
    if (rc != LLMT_OK) {
        mock_destroy(st);
        return rc;
    }
    *state = st;
    return LLMT_OK;
}

/* The rules of a task folder (<task_dir>/mock_rules.json), loaded once and cached. An
 * invalid file is remembered too, and every request of that task fails naming it. */
static llmt_status task_rules(mock_state *st, const char *task_dir, mock_ruleset **out,
                              llmt_error *err)
{
    mock_task_rules *t = NULL, *grown;
    char *file;
    size_t i;
    *out = NULL;
    if (!task_dir)
        return LLMT_OK;
    for (i = 0; i < st->n_tasks && !t; i++)
        if (strcmp(st->tasks[i].dir, task_dir) == 0)
            t = &st->tasks[i];
    if (!t) {
        grown = realloc(st->tasks, (st->n_tasks + 1) * sizeof(*grown));
        if (!grown)
            return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
        st->tasks = grown;
        t = &st->tasks[st->n_tasks];
        memset(t, 0, sizeof(*t));
        t->dir = llmt_strdup(task_dir);
        if (!t->dir)
            return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
        st->n_tasks++;
        file = llmt_path_join(task_dir, LLMT_MOCK_RULES_NAME);
        if (file && llmt_path_exists(file))
            load_rules(file, &t->rs, &t->error);
        free(file);
    }
    if (t->error.status != LLMT_OK) {
        if (err)
            *err = t->error;
        return t->error.status;
    }
    *out = t->rs;
    return LLMT_OK;
}

/* 1 when rule r matches the request, 0 when not, -1 when its regex gave up at a limit
 * (then *st and err say which rule). */
static int rule_matches(const mock_rule *r, const llmt_request *req, const char *all,
                        const char *file, llmt_status *st, llmt_error *err)
{
    const char *text = all;
    pcre2_match_context *mctx;
    pcre2_match_data *md;
    int rc;
    if (r->where == 1 && req->prompt_text)
        text = req->prompt_text;
    else if (r->where == 2 && req->source_text)
        text = req->source_text;
    if (r->contains && !strstr(text, r->contains))
        return 0;
    if (!r->regex)
        return 1;
    mctx = pcre2_match_context_create(NULL);
    md = pcre2_match_data_create(1, NULL);
    if (!mctx || !md) {
        pcre2_match_context_free(mctx);
        pcre2_match_data_free(md);
        *st = llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
        return -1;
    }
    pcre2_set_match_limit(mctx, MOCK_RE_MATCH_LIMIT);
    pcre2_set_depth_limit(mctx, MOCK_RE_DEPTH_LIMIT);
    pcre2_set_heap_limit(mctx, MOCK_RE_HEAP_LIMIT_KB);
    rc = pcre2_match(r->regex, (PCRE2_SPTR)text, strlen(text), 0, 0, md, mctx);
    pcre2_match_context_free(mctx);
    pcre2_match_data_free(md);
    if (rc >= 0)
        return 1;
    if (rc == PCRE2_ERROR_NOMATCH)
        return 0;
    {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(rc, msg, sizeof msg);
        *st = llmt_error_set(err, LLMT_E_CONFIG,
                       "%s: %s/regex: matching gave up (%s); simplify the pattern (nested "
                       "repetition such as (a+)+ backtracks without end)",
                       file ? file : "mock rules", r->path, (const char *)msg);
    }
    return -1;
}

/* Reply rules answer mock:rules only; error rules hit every mock model; "models"
 * overrides both (a reply rule listing "oracle" answers mock:oracle too). */
static bool applies_to(const mock_rule *r, const char *model)
{
    size_t i;
    if (!r->models)
        return r->fault != NULL || strcmp(model, "rules") == 0;
    for (i = 0; i < r->n_models; i++)
        if (strcmp(r->models[i], model) == 0)
            return true;
    return false;
}

static bool gate_fires(mock_gate *g, uint64_t key, unsigned attempt, uint64_t purpose)
{
    g->count++;
    if (g->times && g->fired >= (unsigned long)g->times)
        return false;
    if (g->after && g->count <= (unsigned long)g->after)
        return false;
    if (g->every && g->count % (unsigned long)g->every != 0)
        return false;
    if (g->probability < 1 && draw(key, attempt, purpose) >= g->probability)
        return false;
    g->fired++;
    return true;
}

static double sample_latency(const mock_latency *l, uint64_t key, unsigned attempt)
{
    double u1, u2, z;
    switch (l->kind) {
    case LAT_FIXED:
        return l->a;
    case LAT_UNIFORM:
        return l->a + (l->b - l->a) * draw(key, attempt, 0x4c41u);
    case LAT_LOGNORMAL:
        /* Box-Muller; u1 in (0,1] so log(u1) is finite */
        u1 = 1.0 - draw(key, attempt, 0x4c42u);
        u2 = draw(key, attempt, 0x4c43u);
        z = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
        return exp(l->a + l->b * z);
    default:
        return 0;
    }
}

static llmt_status raise_fault(const mock_rule *r, const mock_ruleset *rs, llmt_error *err)
{
    const mock_fault *f = r->fault;
    llmt_error_set(err, f->status, "mock: simulated %s (%s: %s)%s%s",
                   llmt_status_name(f->status), rs->file, r->path, f->message ? ": " : "",
                   f->message ? f->message : "");
    if (err) {
        err->retryable = f->retryable;
        err->http_status = f->http_status;
        err->retry_after_s = f->retry_after_s;
        snprintf(err->code, sizeof err->code, "mock_%s", llmt_status_name(f->status));
    }
    return f->status;
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
                /* strlen, not the JSON length: a string may hold an escaped NUL */
                size_t n = t ? strlen(t) : 0, p = n >= 4 ? 1 + llmt_rng_next(rng) % (n - 2) : 0;
                if (n >= 4 && (unsigned char)t[p] < 0x80 && (unsigned char)t[p + 1] < 0x80 &&
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

/* The request's schema, compiled once per distinct text; NULL when the answer need not
 * fit one (no schema-constrained output) or it does not compile. */
static const llmt_schema *noisy_schema_for(mock_state *st, const llmt_request *req)
{
    uint64_t h;
    size_t i;
    json_t *doc;
    llmt_diags scratch = {0};
    noisy_schema *slot;
    if (req->structured_mode != LLMT_STRUCTURED_JSON_SCHEMA || !req->json_schema)
        return NULL;
    h = llmt_hash64(req->json_schema, 0x736368656d61ULL);
    for (i = 0; i < st->n_schemas; i++)
        if (st->schemas[i].hash == h)
            return st->schemas[i].schema;
    slot = &st->schemas[st->n_schemas < NOISY_SCHEMAS ? st->n_schemas++ : h % NOISY_SCHEMAS];
    llmt_schema_free(slot->schema);
    doc = json_loads(req->json_schema, 0, NULL);
    slot->hash = h;
    slot->schema = doc ? llmt_schema_compile(doc, "schema", &scratch) : NULL;
    llmt_diags_free(&scratch);
    json_decref(doc);
    return slot->schema;
}

/* One perturbation; under schema-constrained output (`schema` given) one that keeps the
 * answer valid, as a provider that enforces the schema would: a model there gets values
 * wrong, not the shape. A draw that breaks the schema is drawn again, a few times. */
static void noisy_step(json_t **root, const llmt_schema *schema, llmt_rng *rng)
{
    int tries;
    if (!schema) {
        perturb_once(*root, rng);
        return;
    }
    for (tries = 0; tries < 8; tries++) {
        json_t *copy = json_deep_copy(*root);
        if (copy && perturb_once(copy, rng) && llmt_schema_validate(schema, copy, NULL)) {
            json_decref(*root);
            *root = copy;
            return;
        }
        json_decref(copy);
    }
}

static char *noisy_reply(mock_state *st, const llmt_request *req)
{
    json_t *root = json_loads(req->reference, JSON_DECODE_ANY, NULL);
    const llmt_schema *schema = noisy_schema_for(st, req);
    llmt_rng rng;
    char *out;
    int i, n;
    if (!root)
        return llmt_strdup(req->reference);
    /* the reference itself must fit for the check to mean anything */
    if (schema && !llmt_schema_validate(schema, root, NULL))
        schema = NULL;
    /* each --repeat draws afresh (the request's seed is the run seed plus a step per
     * repeat); the first run of a case keeps the draw of the run seed alone */
    llmt_rng_seed(&rng, llmt_hash64(req->case_id ? req->case_id : "",
                                    st->seed ^ 0x6e6f697379ULL ^
                                        (req->seed != st->seed ? mix64(req->seed) : 0)));
    n = 1 + (int)(llmt_rng_next(&rng) % 3);
    /* one answer in four ignores the schema anyway, as a truncated or refused answer
     * would: the demo shows both kinds of mistake */
    if (llmt_rng_next(&rng) % 4 == 0)
        schema = NULL;
    for (i = 0; i < n; i++)
        noisy_step(&root, schema, &rng);
    out = json_dumps(root, JSON_INDENT(2) | JSON_ENCODE_ANY);
    json_decref(root);
    return out;
}

static llmt_status mock_call(void *state, const llmt_request *req, llmt_response *out,
                             llmt_error *err)
{
    mock_state *st = state;
    mock_ruleset *sets[2] = {NULL, NULL};
    const mock_latency *latency = NULL;
    const char *hit = NULL, *text;
    llmt_buf all = {0};
    long input_tokens;
    uint64_t key;
    unsigned attempt;
    llmt_status rc = LLMT_OK;
    size_t i, k;
    if (req->system_prompt)
        llmt_buf_puts(&all, req->system_prompt);
    for (i = 0; i < req->n_messages; i++) {
        llmt_buf_puts(&all, "\n");
        llmt_buf_puts(&all, req->messages[i].content ? req->messages[i].content : "");
    }
    text = all.data ? all.data : "";
    /* ~4 tokens of chat framing per message, as chat APIs bill */
    input_tokens = llmt_estimate_tokens(text) + 4 * (long)(req->n_messages + 1);
    /* one key per request (case or text, model, run seed and repeat): its attempts are
     * counted so that a retry draws afresh, deterministically */
    key = llmt_hash64(req->case_id ? req->case_id : text,
                      mix64(st->seed) ^ mix64(req->seed + 1) ^ llmt_hash64(req->model, 0));
    attempt = attempts_bump(&st->attempts, key);
    rc = task_rules(st, req->version >= 2 ? req->task_dir : NULL, &sets[0], err);
    if (rc != LLMT_OK)
        goto done;
    sets[1] = st->global;
    /* task-local rules first, then the --mock-rules file; the first rule that matches
     * and fires wins */
    for (k = 0; k < 2 && !hit; k++) {
        mock_ruleset *rs = sets[k];
        if (!rs)
            continue;
        if (!latency && rs->latency.kind != LAT_NONE)
            latency = &rs->latency;
        for (i = 0; i < rs->n_rules && !hit; i++) {
            mock_rule *r = &rs->rules[i];
            int m;
            if (!applies_to(r, req->model))
                continue;
            m = rule_matches(r, req, text, rs->file, &rc, err);
            if (m < 0)
                goto done;
            if (m == 0)
                continue;
            if (!gate_fires(&r->gate, key, attempt, ((uint64_t)k << 32) | i))
                continue;
            if (r->fault) {
                rc = raise_fault(r, rs, err);
                goto done;
            }
            hit = r->reply;
        }
    }
    if (hit) {
        out->text = llmt_strdup(hit); /* a reply rule naming this model in "models" */
    } else if (strcmp(req->model, "rules") == 0) {
        for (k = 0; k < 2 && !hit; k++)
            if (sets[k] && sets[k]->default_reply)
                hit = sets[k]->default_reply;
        if (!hit) {
            rc = llmt_error_set(err, LLMT_E_BAD_RESPONSE,
                                "mock:rules: no rule matched %s and no rules file has a default "
                                "(give one with --mock-rules or <task>/mock_rules.json)",
                                req->case_id ? req->case_id : "the request");
            goto done;
        }
        out->text = llmt_strdup(hit);
    } else if (!req->reference) {
        rc = llmt_error_set(err, LLMT_E_UNSUPPORTED,
                            "mock:%s needs the case's expected answer (run it on a task)",
                            req->model);
        goto done;
    } else if (strcmp(req->model, "noisy") == 0) {
        out->text = noisy_reply(st, req);
    } else {
        out->text = llmt_strdup(req->reference);
    }
    if (!out->text) {
        rc = llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
        goto done;
    }
    out->model = llmt_strdup(req->model);
    out->stop_reason = llmt_strdup("stop");
    out->usage.input_tokens = input_tokens;
    out->usage.output_tokens = llmt_estimate_tokens(out->text);
    out->usage.cached_input_tokens = -1;
    out->usage.reasoning_tokens = -1;
    if (latency)
        out->simulated_latency_ms = sample_latency(latency, key, attempt);
done:
    llmt_buf_free(&all);
    return rc;
}

/* A mock rules file: named like a task's, or an object with a top-level key of the rules
 * format that no provider or project config has at the top level. */
static bool is_rules_file(const char *path)
{
    static const char *const keys[] = {"rules", "errors", "default", "latency", NULL};
    const char *base = strrchr(path, '/');
    json_t *probe;
    bool yes = false;
    size_t i;
    base = base ? base + 1 : path;
    if (strcmp(base, LLMT_MOCK_RULES_NAME) == 0)
        return true;
    if (strcmp(base, LLMT_PROJECT_CONFIG_NAME) == 0 || strcmp(base, LLMT_PROJECT_CONFIG_V1_NAME) == 0)
        return false;
    probe = json_load_file(path, 0, NULL);
    if (json_is_object(probe) && !json_object_get(probe, "env_key") &&
        !json_object_get(probe, "llm_models") && !json_object_get(probe, "provider_type"))
        for (i = 0; keys[i] && !yes; i++)
            yes = json_object_get(probe, keys[i]) != NULL;
    json_decref(probe);
    return yes;
}

/* The check_files op: a task's mock_rules.json, or a rules file the user named, checked
 * by the parser mock:rules uses at run time. */
static size_t mock_check_files(const char *path, bool is_dir, const llmt_check_sink *sink)
{
    llmt_diags d = {0};
    char *file = is_dir ? llmt_path_join(path, LLMT_MOCK_RULES_NAME) : llmt_strdup(path);
    size_t i, n = 0;
    if (file && (is_dir ? llmt_path_exists(file) : is_rules_file(file))) {
        llmt_mock_rules_validate(file, &d);
        n = 1;
    }
    for (i = 0; i < d.count; i++)
        sink->report(sink->ud, d.items[i].severity == LLMT_DIAG_ERROR, d.items[i].file,
                     d.items[i].path, d.items[i].message);
    llmt_diags_free(&d);
    free(file);
    return n;
}

const llmt_provider_ops llmt_provider_mock = {
    .abi_version = LLMT_PROVIDER_ABI_VERSION,
    .name = "mock",
    .capabilities = LLMT_CAP_SYSTEM_PROMPT | LLMT_CAP_JSON_OBJECT | LLMT_CAP_JSON_SCHEMA | LLMT_CAP_FILES |
        LLMT_CAP_LOCAL | LLMT_CAP_NEEDS_REFERENCE,
    .init = mock_init,
    .destroy = mock_destroy,
    .call = mock_call,
    .check_files = mock_check_files,
};
