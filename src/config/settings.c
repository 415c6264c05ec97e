#include "config/settings.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/jcheck.h"
#include "core/util.h"

static const char *const list_modes[] = {"ordered_exact", "ordered_similarity", "set_similarity",
                                         NULL};
static const char *const cache_modes[] = {"off", "read", "write", "readwrite", NULL};

#define NONE 0, 0, NULL
#define DAY_MS 86400000.0

const llmt_setting llmt_settings[] = {
    {"tasks_dir", LLMT_SETTING_PATH, NONE, NULL, "tasks", 0,
     "folder of task folders, or one task folder"},
    {"output_dir", LLMT_SETTING_PATH, NONE, NULL, "output", 0,
     "write results.jsonl, results.json and reports here"},
    {"models", LLMT_SETTING_MODELS, NONE, "[]", "models", 0,
     "model to run, as provider:model, or a provider for its default model (comma-separated "
     "ok; without any: the default model of each provider whose API key is set)"},
    {"run/concurrency", LLMT_SETTING_INT, 1, 10000, NULL, "8", "concurrency", 0,
     "requests in flight at once, all providers"},
    {"run/timeout_ms", LLMT_SETTING_INT, 1, DAY_MS, NULL, "120000", "timeout", 1000,
     "total time allowed per request, in seconds"},
    {"run/connect_timeout_ms", LLMT_SETTING_INT, 1, DAY_MS, NULL, "10000", "connect-timeout", 1000,
     "time allowed to connect, in seconds"},
    {"run/max_retries", LLMT_SETTING_INT, 0, 100, NULL, "3", "max-retries", 0,
     "retries of retryable failures per case, fallbacks included (0 = none)"},
    {"run/retry_max_time_ms", LLMT_SETTING_INT, 1, DAY_MS, NULL, "300000", "retry-max-time", 1000,
     "no new attempt for a case after this many seconds"},
    {"run/repeat", LLMT_SETTING_INT, 1, 1000, NULL, "1", "repeat", 0,
     "run each case × model N times"},
    {"run/budget_usd", LLMT_SETTING_NUMBER, 0, HUGE_VAL, NULL, NULL, "budget", 0,
     "never start a request that could take the spend past USD"},
    {"run/formats", LLMT_SETTING_STRINGS, NONE, "[\"json\", \"md\"]", "format", 0,
     "reports to write"},
    {"run/seed", LLMT_SETTING_INT, 0, 9007199254740991.0, NULL, "0", "seed", 0,
     "seed for simulated providers"},
    {"scoring/list_mode", LLMT_SETTING_ENUM, 0, 0, list_modes, "\"ordered_exact\"", "list-mode", 0,
     "how lists are compared: ordered_exact | ordered_similarity | set_similarity"},
    {"scoring/tolerance", LLMT_SETTING_NUMBER, 0, HUGE_VAL, NULL, "0", "tolerance", 0,
     "relative tolerance for numbers (e.g. 0.05)"},
    {"scoring/threshold", LLMT_SETTING_NUMBER, 0, 100, NULL, "80", "threshold", 0,
     "fuzzy string threshold"},
    {"scoring/weights", LLMT_SETTING_WEIGHTS, NONE, "{}", "weight", 0,
     "weight of a field (name or JSON pointer), e.g. title=3"},
    {"scoring/skip_fields", LLMT_SETTING_STRINGS, NONE, "[]", "skip", 0,
     "fields removed from both sides before scoring"},
    {"cache/mode", LLMT_SETTING_ENUM, 0, 0, cache_modes, "\"off\"", "cache", 0,
     "response cache: off | read | write | readwrite"},
    {"cache/path", LLMT_SETTING_PATH, NONE, NULL, "cache-db", 0,
     "cache database (default .llm-tester/cache.db; $LLMT_CACHE_DB wins over the project's)"},
    {"plugin_paths", LLMT_SETTING_STRINGS, NONE, "[]", NULL, 0,
     "folders searched for provider plugins, after $LLMT_PLUGIN_PATH"},
    {NULL, LLMT_SETTING_INT, NONE, NULL, NULL, 0, NULL}};

const llmt_setting *llmt_setting_find(const char *key)
{
    const llmt_setting *s;
    for (s = llmt_settings; key && s->key; s++)
        if (strcmp(s->key, key) == 0)
            return s;
    return NULL;
}

json_t *llmt_setting_default(const llmt_setting *s)
{
    return s && s->dflt ? json_loads(s->dflt, JSON_DECODE_ANY, NULL) : NULL;
}

bool llmt_setting_in_range(const llmt_setting *s, double v)
{
    return isfinite(v) && v >= s->min && v <= s->max;
}

void llmt_setting_range_text(const llmt_setting *s, bool as_flag, char *buf, size_t n)
{
    double scale = as_flag && s->flag_scale > 0 ? s->flag_scale : 1;
    const char *what = s->type == LLMT_SETTING_INT && scale == 1 ? "a whole number" : "a number";
    if (as_flag && scale != 1 && s->min > 0)
        snprintf(buf, n, "%s > 0", what);
    else if (isinf(s->max))
        snprintf(buf, n, "%s >= %g", what, s->min / scale);
    else
        snprintf(buf, n, "%s between %g and %g", what, s->min / scale, s->max / scale);
}

static void problem(llmt_diags *diags, const char *file, const char *at, const char *fmt,
                    const char *a, const char *b)
{
    llmt_diags_add(diags, LLMT_DIAG_ERROR, file, at, fmt, a, b);
}

static void check_array(const llmt_setting *s, json_t *value, const char *file, const char *at,
                        llmt_diags *diags)
{
    size_t i;
    json_t *e;
    json_array_foreach(value, i, e) {
        const char *str = json_string_value(e);
        if (!str || (s->type == LLMT_SETTING_MODELS && !strchr(str, ':'))) {
            char *p = llmt_asprintf("%s/%zu", at, i);
            llmt_diags_add(diags, LLMT_DIAG_ERROR, file, p, "expected %s, got %s",
                           s->type == LLMT_SETTING_MODELS ? "a string \"provider:model\"" : "string",
                           str ? "a string without ':'" : llmt_json_type_name(e));
            free(p);
        }
    }
}

static void check_choice(const llmt_setting *s, json_t *value, const char *file, const char *at,
                         llmt_diags *diags)
{
    llmt_buf list = {0};
    size_t i;
    for (i = 0; s->choices[i]; i++) {
        if (strcmp(s->choices[i], json_string_value(value)) == 0) {
            llmt_buf_free(&list);
            return;
        }
        llmt_buf_printf(&list, "%s%s", i ? ", " : "", s->choices[i]);
    }
    problem(diags, file, at, "expected one of %s; got '%s'", list.data ? list.data : "",
            json_string_value(value));
    llmt_buf_free(&list);
}

void llmt_setting_check(const llmt_setting *s, json_t *value, const char *file, const char *at_path,
                        llmt_diags *diags)
{
    char *own = at_path ? NULL : llmt_asprintf("/%s", s->key);
    const char *at = at_path ? at_path : own;
    static const char *const want[] = {"integer", "number", "string", "string",
                                       "array",   "array",  "object"};
    bool ok;
    switch (s->type) {
    case LLMT_SETTING_INT: ok = json_is_integer(value); break;
    case LLMT_SETTING_NUMBER: ok = json_is_number(value); break;
    case LLMT_SETTING_PATH:
    case LLMT_SETTING_ENUM: ok = json_is_string(value); break;
    case LLMT_SETTING_STRINGS:
    case LLMT_SETTING_MODELS: ok = json_is_array(value); break;
    default: ok = json_is_object(value); break;
    }
    if (!ok) {
        problem(diags, file, at, "expected %s, got %s", want[s->type], llmt_json_type_name(value));
        free(own);
        return;
    }
    if (s->type == LLMT_SETTING_INT || s->type == LLMT_SETTING_NUMBER) {
        if (!llmt_setting_in_range(s, json_number_value(value))) {
            char range[96], got[48];
            llmt_setting_range_text(s, false, range, sizeof range);
            snprintf(got, sizeof got, "%.17g", json_number_value(value));
            problem(diags, file, at, "expected %s, got %s", range, got);
        }
    } else if (s->type == LLMT_SETTING_ENUM) {
        check_choice(s, value, file, at, diags);
    } else if (s->type == LLMT_SETTING_STRINGS || s->type == LLMT_SETTING_MODELS) {
        check_array(s, value, file, at, diags);
    } else if (s->type == LLMT_SETTING_WEIGHTS) {
        const char *k;
        json_t *w;
        json_object_foreach(value, k, w) {
            if (!json_is_number(w) || !(json_number_value(w) >= 0)) {
                char *p = llmt_asprintf("%s/%s", at, k);
                llmt_diags_add(diags, LLMT_DIAG_ERROR, file, p, "expected a number >= 0, got %s",
                               json_is_number(w) ? "a negative number" : llmt_json_type_name(w));
                free(p);
            }
        }
    }
    free(own);
}

/* The value at a '/'-separated key, or NULL. */
static json_t *value_at(json_t *root, const char *key)
{
    const char *slash = strchr(key, '/');
    char *section;
    json_t *v;
    if (!slash)
        return json_object_get(root, key);
    section = llmt_strndup(key, (size_t)(slash - key));
    v = section ? json_object_get(json_object_get(root, section), slash + 1) : NULL;
    free(section);
    return v;
}

/* The known keys directly under `section` ("" = the top level), NULL-terminated,
 * pointing into the table (cut at '/' by their length); malloc'd. */
static char **known_keys(const char *section, const char *const *extra)
{
    size_t n = 0, cap = 64, sl = strlen(section), i;
    char **v = calloc(cap, sizeof(*v));
    const llmt_setting *s;
    for (s = llmt_settings; v && s->key && n + 1 < cap; s++) {
        const char *rest = s->key, *slash;
        char *name;
        if (sl) {
            if (strncmp(s->key, section, sl) != 0 || s->key[sl] != '/')
                continue;
            rest = s->key + sl + 1;
        }
        slash = strchr(rest, '/');
        name = llmt_strndup(rest, slash ? (size_t)(slash - rest) : strlen(rest));
        for (i = 0; name && i < n && strcmp(v[i], name) != 0; i++)
            ;
        if (name && i == n)
            v[n++] = name;
        else
            free(name);
    }
    for (i = 0; v && extra && extra[i] && n + 1 < cap; i++)
        v[n++] = llmt_strdup(extra[i]);
    return v;
}

static void free_keys(char **v)
{
    size_t i;
    for (i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

static bool listed(const char *const *list, const char *name)
{
    size_t i;
    for (i = 0; list && list[i]; i++)
        if (strcmp(list[i], name) == 0)
            return true;
    return false;
}

void llmt_settings_check_doc(json_t *root, const char *file, const char *const *extra_top,
                             llmt_diags *diags)
{
    llmt_jcheck c = {diags, file};
    const llmt_setting *s;
    char **top = known_keys("", extra_top);
    size_t i;
    if (top)
        llmt_jc_unknown_keys(&c, root, "", (const char *const *)top);
    /* the sections ("run", "scoring", "cache"): objects whose keys the table knows */
    for (i = 0; top && top[i]; i++) {
        json_t *sec = json_object_get(root, top[i]);
        char *path, **sub;
        if (!sec || llmt_setting_find(top[i]) || listed(extra_top, top[i]))
            continue;
        path = llmt_asprintf("/%s", top[i]);
        if (!json_is_object(sec)) {
            llmt_diags_add(diags, LLMT_DIAG_ERROR, file, path, "expected object, got %s",
                           llmt_json_type_name(sec));
        } else if ((sub = known_keys(top[i], NULL)) != NULL) {
            llmt_jc_unknown_keys(&c, sec, path, (const char *const *)sub);
            free_keys(sub);
        }
        free(path);
    }
    free_keys(top);
    for (s = llmt_settings; s->key; s++) {
        json_t *v = value_at(root, s->key);
        if (v)
            llmt_setting_check(s, v, file, NULL, diags);
    }
}
