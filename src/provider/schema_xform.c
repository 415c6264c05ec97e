/*
 * Schema transforms (rules in include/llmt/schema_xform.h; the SDK release each one
 * follows is in docs/providers.md).
 *
 * Key order matters: request bodies are compared byte for byte with what the SDKs
 * would send, so each transform keeps or appends keys in the order the SDK's Python
 * dicts do (jansson keeps a replaced key in place and appends new ones, as a dict does).
 */
#include "provider/schema_xform.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonw.h"
#include "core/log.h"
#include "core/util.h"

/* Deeper than any real task schema; stops self-referencing inlining too. */
#define XF_MAX_DEPTH 128

typedef struct xf {
    json_t *root;      /* "strict": the tree being rewritten, for $ref lookups */
    json_t *relaxed;   /* keywords moved out */
    llmt_error *err;
    char path[512];    /* JSON path of the node being rewritten, for messages */
    size_t plen;
} xf;

static size_t path_push(xf *x, const char *a, const char *b)
{
    size_t old = x->plen;
    int n = snprintf(x->path + x->plen, sizeof x->path - x->plen, "/%s%s%s", a, b ? "/" : "",
                     b ? b : "");
    if (n > 0)
        x->plen += (size_t)n < sizeof x->path - x->plen ? (size_t)n : sizeof x->path - x->plen - 1;
    return old;
}

static void path_pop(xf *x, size_t old)
{
    x->plen = old;
    x->path[old] = '\0';
}

static llmt_status refuse(xf *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static llmt_status refuse(xf *x, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return llmt_error_set(x->err, LLMT_E_UNSUPPORTED, "%s at %s", msg,
                          x->plen ? x->path : "the root");
}

static bool is_str(const json_t *v, const char *s)
{
    return json_is_string(v) && strcmp(json_string_value(v), s) == 0;
}

static void add_relaxed(xf *x, const char *key)
{
    size_t i;
    json_t *v;
    json_array_foreach(x->relaxed, i, v) if (is_str(v, key)) return;
    json_array_append_new(x->relaxed, json_string(key));
}

/* What Python's truthiness says of a JSON value. */
static bool py_truthy(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        return json_string_length(v) > 0;
    case JSON_INTEGER:
        return json_integer_value(v) != 0;
    case JSON_REAL:
        return json_real_value(v) != 0;
    case JSON_TRUE:
        return true;
    case JSON_ARRAY:
        return json_array_size(v) > 0;
    case JSON_OBJECT:
        return json_object_size(v) > 0;
    default:
        return false;
    }
}

/* ---- "strict" --------------------------------------------------------------------- */

static llmt_status strict_node(xf *x, json_t *node, int depth);

static llmt_status strict_map(xf *x, json_t *node, const char *key, int depth)
{
    json_t *m = json_object_get(node, key), *v;
    const char *k;
    llmt_status st = LLMT_OK;
    if (!json_is_object(m))
        return LLMT_OK;
    json_object_foreach(m, k, v)
    {
        size_t old = path_push(x, key, k);
        st = strict_node(x, v, depth + 1);
        path_pop(x, old);
        if (st != LLMT_OK)
            break;
    }
    return st;
}

static llmt_status strict_list(xf *x, json_t *list, const char *key, int depth)
{
    size_t i, old;
    char idx[24];
    llmt_status st = LLMT_OK;
    for (i = 0; i < json_array_size(list) && st == LLMT_OK; i++) {
        snprintf(idx, sizeof idx, "%zu", i);
        old = path_push(x, key, idx);
        st = strict_node(x, json_array_get(list, i), depth + 1);
        path_pop(x, old);
    }
    return st;
}

/* "#/a/b" in the tree being rewritten: the segments are plain keys (no ~ escapes). */
static llmt_status strict_resolve(xf *x, const char *ref, json_t **out)
{
    json_t *cur = x->root;
    const char *p;
    if (strncmp(ref, "#/", 2) != 0)
        return refuse(x, "$ref '%s' is not a local reference (#/...)", ref);
    for (p = ref + 2;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        char *key = llmt_strndup(p, n);
        cur = key ? json_object_get(cur, key) : NULL;
        free(key);
        if (!json_is_object(cur))
            return refuse(x, "$ref '%s' does not name a schema object", ref);
        if (!slash)
            break;
        p = slash + 1;
    }
    *out = cur;
    return LLMT_OK;
}

/* A $ref beside other keywords: the definition's keywords are added after the node's
 * own (which win), the $ref goes, and the node is made strict again. */
static llmt_status strict_inline_ref(xf *x, json_t *node, int depth)
{
    json_t *ref = json_object_get(node, "$ref"), *target = NULL, *copy, *v;
    const char *k;
    llmt_status st;
    if (!json_is_string(ref))
        return refuse(x, "$ref is not a string");
    st = strict_resolve(x, json_string_value(ref), &target);
    if (st != LLMT_OK)
        return st;
    copy = json_deep_copy(target);
    if (!copy)
        return llmt_error_set(x->err, LLMT_E_NOMEM, "out of memory");
    json_object_foreach(copy, k, v) if (!json_object_get(node, k)) json_object_set(node, k, v);
    json_decref(copy);
    json_object_del(node, "$ref");
    return strict_node(x, node, depth + 1);
}

static llmt_status strict_node(xf *x, json_t *node, int depth)
{
    json_t *props, *v, *all_of, *ref;
    const char *k;
    llmt_status st;
    if (depth > XF_MAX_DEPTH)
        return refuse(x, "the schema nests or inlines references more than %d levels deep",
                      XF_MAX_DEPTH);
    if (!json_is_object(node))
        return refuse(x, "expected a schema object");
    if ((st = strict_map(x, node, "$defs", depth)) != LLMT_OK ||
        (st = strict_map(x, node, "definitions", depth)) != LLMT_OK)
        return st;
    if (is_str(json_object_get(node, "type"), "object") &&
        !json_object_get(node, "additionalProperties"))
        json_object_set_new(node, "additionalProperties", json_false());
    props = json_object_get(node, "properties");
    if (json_is_object(props)) {
        json_t *req = json_array();
        json_object_foreach(props, k, v) json_array_append_new(req, json_string(k));
        json_object_set_new(node, "required", req);
        if ((st = strict_map(x, node, "properties", depth)) != LLMT_OK)
            return st;
    }
    v = json_object_get(node, "items");
    if (json_is_object(v)) {
        size_t old = path_push(x, "items", NULL);
        st = strict_node(x, v, depth + 1);
        path_pop(x, old);
        if (st != LLMT_OK)
            return st;
    }
    if (json_is_array(json_object_get(node, "anyOf")) &&
        (st = strict_list(x, json_object_get(node, "anyOf"), "anyOf", depth)) != LLMT_OK)
        return st;
    all_of = json_object_get(node, "allOf");
    if (json_is_array(all_of) && json_array_size(all_of) == 1) {
        json_t *only = json_incref(json_array_get(all_of, 0));
        size_t old = path_push(x, "allOf", "0");
        st = strict_node(x, only, depth + 1);
        path_pop(x, old);
        if (st == LLMT_OK) {
            json_object_update(node, only);
            json_object_del(node, "allOf");
        }
        json_decref(only);
        if (st != LLMT_OK)
            return st;
    } else if (json_is_array(all_of) && (st = strict_list(x, all_of, "allOf", depth)) != LLMT_OK) {
        return st;
    }
    if (json_is_null(json_object_get(node, "default")))
        json_object_del(node, "default");
    ref = json_object_get(node, "$ref");
    if (ref && py_truthy(ref) && json_object_size(node) > 1)
        return strict_inline_ref(x, node, depth);
    return LLMT_OK;
}

/* Keywords whose value is data, not a schema. */
static bool is_data_keyword(const char *k)
{
    return strcmp(k, "enum") == 0 || strcmp(k, "const") == 0 || strcmp(k, "default") == 0 ||
           strcmp(k, "examples") == 0 || strcmp(k, "required") == 0;
}

/* Whether every object schema anywhere says additionalProperties:false (what a strict
 * mode insists on; a map type keeps a schema there). */
static bool all_closed(const json_t *v, int depth)
{
    const char *k;
    json_t *c;
    size_t i;
    if (depth > XF_MAX_DEPTH)
        return false;
    if (json_is_array(v)) {
        json_array_foreach(v, i, c) if (!all_closed(c, depth + 1)) return false;
        return true;
    }
    if (!json_is_object(v))
        return true;
    if ((is_str(json_object_get(v, "type"), "object") ||
         json_is_object(json_object_get(v, "properties"))) &&
        !json_is_false(json_object_get(v, "additionalProperties")))
        return false;
    json_object_foreach((json_t *)v, k, c) if (!is_data_keyword(k) && !all_closed(c, depth + 1))
        return false;
    return true;
}

/* ---- "closed" --------------------------------------------------------------------- */

/* Every JSON object anywhere (data included, as the SDK's walk does) whose "type" is
 * "object" gets additionalProperties:false. */
static void closed_value(json_t *v)
{
    const char *k;
    json_t *c;
    size_t i;
    if (json_is_object(v)) {
        if (is_str(json_object_get(v, "type"), "object"))
            json_object_set_new(v, "additionalProperties", json_false());
        json_object_foreach(v, k, c) closed_value(c);
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, c) closed_value(c);
    }
}

/* ---- "subset" --------------------------------------------------------------------- */

/* Python's str() of a JSON value as json.loads gives it (a string as itself at the top,
 * repr() inside containers): the SDK writes moved keywords with f"{key}: {value}". */
static void py_str(llmt_buf *b, const json_t *v, bool top);

static void py_repr_string(llmt_buf *b, const char *s)
{
    char q = (strchr(s, '\'') && !strchr(s, '"')) ? '"' : '\'';
    const unsigned char *p = (const unsigned char *)s;
    llmt_buf_append(b, &q, 1);
    for (; *p; p++) {
        if (*p == '\\' || *p == (unsigned char)q)
            llmt_buf_printf(b, "\\%c", *p);
        else if (*p == '\n')
            llmt_buf_puts(b, "\\n");
        else if (*p == '\r')
            llmt_buf_puts(b, "\\r");
        else if (*p == '\t')
            llmt_buf_puts(b, "\\t");
        else if (*p < 0x20 || *p == 0x7f)
            llmt_buf_printf(b, "\\x%02x", *p);
        else if (*p == 0xc2 && p[1] >= 0x80 && (p[1] <= 0xa0 || p[1] == 0xad)) {
            /* U+0080..U+00A0 and U+00AD are not printable for Python: \xNN */
            llmt_buf_printf(b, "\\x%02x", p[1]);
            p++;
        } else
            llmt_buf_append(b, (const char *)p, 1);
    }
    llmt_buf_append(b, &q, 1);
}

/* Python's repr(float): the shortest digits that read back the same; exponent form
 * below 1e-4 and from 1e16 on, else positional with at least one decimal. */
static void py_float(llmt_buf *b, double d)
{
    char s[40], digits[24];
    int prec, exp10 = 0;
    size_t nd = 0, i;
    if (d == 0) {
        llmt_buf_puts(b, signbit(d) ? "-0.0" : "0.0");
        return;
    }
    for (prec = 1; prec <= 17; prec++) {
        snprintf(s, sizeof s, "%.*e", prec - 1, d);
        if (strtod(s, NULL) == d)
            break;
    }
    {
        const char *p = s, *e = strchr(s, 'e');
        if (*p == '-') {
            llmt_buf_puts(b, "-");
            p++;
        }
        for (; p < e; p++)
            if (*p != '.')
                digits[nd++] = *p;
        digits[nd] = '\0';
        exp10 = (int)strtol(e + 1, NULL, 10);
    }
    while (nd > 1 && digits[nd - 1] == '0')
        digits[--nd] = '\0';
    if (exp10 < -4 || exp10 >= 16) {
        llmt_buf_append(b, digits, 1);
        if (nd > 1) {
            llmt_buf_puts(b, ".");
            llmt_buf_append(b, digits + 1, nd - 1);
        }
        llmt_buf_printf(b, "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
    } else if (exp10 < 0) {
        llmt_buf_puts(b, "0.");
        for (i = 0; i < (size_t)(-exp10 - 1); i++)
            llmt_buf_puts(b, "0");
        llmt_buf_puts(b, digits);
    } else {
        for (i = 0; i <= (size_t)exp10; i++)
            llmt_buf_append(b, i < nd ? &digits[i] : "0", 1);
        llmt_buf_puts(b, ".");
        if (nd > (size_t)exp10 + 1)
            llmt_buf_puts(b, digits + exp10 + 1);
        else
            llmt_buf_puts(b, "0");
    }
}

static void py_str(llmt_buf *b, const json_t *v, bool top)
{
    const char *k;
    json_t *c;
    size_t i;
    switch (json_typeof(v)) {
    case JSON_STRING:
        if (top)
            llmt_buf_puts(b, json_string_value(v));
        else
            py_repr_string(b, json_string_value(v));
        break;
    case JSON_INTEGER:
        llmt_buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL:
        py_float(b, json_real_value(v));
        break;
    case JSON_TRUE:
        llmt_buf_puts(b, "True");
        break;
    case JSON_FALSE:
        llmt_buf_puts(b, "False");
        break;
    case JSON_NULL:
        llmt_buf_puts(b, "None");
        break;
    case JSON_ARRAY:
        llmt_buf_puts(b, "[");
        json_array_foreach(v, i, c)
        {
            if (i)
                llmt_buf_puts(b, ", ");
            py_str(b, c, false);
        }
        llmt_buf_puts(b, "]");
        break;
    case JSON_OBJECT:
        llmt_buf_puts(b, "{");
        i = 0;
        json_object_foreach((json_t *)v, k, c)
        {
            if (i++)
                llmt_buf_puts(b, ", ");
            py_repr_string(b, k);
            llmt_buf_puts(b, ": ");
            py_str(b, c, false);
        }
        llmt_buf_puts(b, "}");
        break;
    }
}

/* minItems 0 or 1 as Python compares them (0 == 0.0 == False). */
static bool is_zero_or_one(const json_t *v)
{
    double d = json_is_integer(v) ? (double)json_integer_value(v)
               : json_is_real(v)  ? json_real_value(v)
               : json_is_true(v)  ? 1
               : json_is_false(v) ? 0
                                  : -1;
    return d == 0 || d == 1;
}

static const char *const supported_formats[] = {"date-time", "time",  "date", "duration",
                                                "email",     "hostname", "uri", "ipv4",
                                                "ipv6",      "uuid",  NULL};

static bool format_supported(const json_t *f)
{
    size_t i;
    for (i = 0; supported_formats[i]; i++)
        if (is_str(f, supported_formats[i]))
            return true;
    return false;
}

static const char *const subset_types[] = {"object", "array",  "string", "integer",
                                           "number", "boolean", "null",  NULL};

static llmt_status subset_node(xf *x, const json_t *in, json_t **out, int depth);

/* Rewrites each schema of a list (anyOf, oneOf, allOf) into o[as]. */
static llmt_status subset_list(xf *x, const json_t *list, const char *key, json_t *o,
                               const char *as, int depth)
{
    json_t *arr = json_array(), *r;
    size_t i, old;
    char idx[24];
    llmt_status st = LLMT_OK;
    json_object_set_new(o, as, arr);
    for (i = 0; i < json_array_size(list) && st == LLMT_OK; i++) {
        snprintf(idx, sizeof idx, "%zu", i);
        old = path_push(x, key, idx);
        st = subset_node(x, json_array_get(list, i), &r, depth + 1);
        path_pop(x, old);
        if (st == LLMT_OK)
            json_array_append_new(arr, r);
    }
    return st;
}

/* Rewrites each schema of a map (properties, $defs) into o[key]. */
static llmt_status subset_map(xf *x, const json_t *map, const char *key, json_t *o, int depth)
{
    json_t *m = json_object(), *v, *r;
    const char *k;
    llmt_status st = LLMT_OK;
    json_object_set_new(o, key, m);
    if (!json_is_object(map))
        return refuse(x, "%s is not an object", key);
    json_object_foreach((json_t *)map, k, v)
    {
        size_t old = path_push(x, key, k);
        st = subset_node(x, v, &r, depth + 1);
        path_pop(x, old);
        if (st != LLMT_OK)
            break;
        json_object_set_new(m, k, r);
    }
    return st;
}

/* Whether the node's own keyword k is consumed by the rebuild (kept or dropped). */
static bool subset_consumed(const char *k, const char *type)
{
    static const char *const always[] = {"$defs", "$ref", "type", "anyOf", "oneOf", "allOf",
                                         "enum", "description", "title", NULL};
    size_t i;
    for (i = 0; always[i]; i++)
        if (strcmp(k, always[i]) == 0)
            return true;
    if (type && strcmp(type, "object") == 0)
        return strcmp(k, "properties") == 0 || strcmp(k, "additionalProperties") == 0 ||
               strcmp(k, "required") == 0;
    if (type && strcmp(type, "string") == 0)
        return strcmp(k, "format") == 0;
    if (type && strcmp(type, "array") == 0)
        return strcmp(k, "items") == 0 || strcmp(k, "minItems") == 0;
    return false;
}

/* The keywords the rebuild does not keep go into the description: "{k: v, ...}". */
static llmt_status subset_describe(xf *x, const json_t *in, const char *type, json_t *o,
                                   const json_t *late_format, const json_t *late_min)
{
    json_t *desc = json_object_get(o, "description"), *v;
    const char *k;
    llmt_buf b = {0};
    size_t n = 0;
    json_object_foreach((json_t *)in, k, v)
    {
        if (subset_consumed(k, type))
            continue;
        llmt_buf_puts(&b, n++ ? ", " : "{");
        llmt_buf_printf(&b, "%s: ", k);
        py_str(&b, v, true);
        add_relaxed(x, k);
    }
    if (late_format) {
        llmt_buf_puts(&b, n++ ? ", format: " : "{format: ");
        py_str(&b, late_format, true);
        add_relaxed(x, "format");
    }
    if (late_min) {
        llmt_buf_puts(&b, n++ ? ", minItems: " : "{minItems: ");
        py_str(&b, late_min, true);
        add_relaxed(x, "minItems");
    }
    if (!n)
        return LLMT_OK;
    llmt_buf_puts(&b, "}");
    if (desc && !json_is_string(desc)) {
        llmt_buf_free(&b);
        return refuse(x, "description is not a string");
    }
    if (b.oom) {
        llmt_buf_free(&b);
        return llmt_error_set(x->err, LLMT_E_NOMEM, "out of memory");
    }
    json_object_set_new(o, "description",
                        desc ? json_sprintf("%s\n\n%s", json_string_value(desc), b.data)
                             : json_string(b.data));
    llmt_buf_free(&b);
    return LLMT_OK;
}

static const json_t *present(const json_t *node, const char *key)
{
    const json_t *v = json_object_get(node, key);
    return json_is_null(v) ? NULL : v;
}

/* The type-specific part of the rebuild; sets the keywords to move to the end. */
static llmt_status subset_typed(xf *x, const json_t *in, const char *type, json_t *o,
                                const json_t **late_format, const json_t **late_min, int depth)
{
    const json_t *v;
    llmt_status st = LLMT_OK;
    if (strcmp(type, "object") == 0) {
        const json_t *props = json_object_get(in, "properties");
        json_t *empty = props ? NULL : json_object();
        st = subset_map(x, props ? props : empty, "properties", o, depth);
        json_decref(empty);
        json_object_set_new(o, "additionalProperties", json_false());
        if (st == LLMT_OK && (v = present(in, "required")) != NULL)
            json_object_set(o, "required", (json_t *)v);
    } else if (strcmp(type, "string") == 0) {
        v = json_object_get(in, "format");
        if (v && format_supported(v))
            json_object_set(o, "format", (json_t *)v);
        else if (v && py_truthy(v))
            *late_format = v;
    } else if (strcmp(type, "array") == 0) {
        if ((v = present(in, "items")) != NULL) {
            json_t *r;
            size_t old = path_push(x, "items", NULL);
            st = subset_node(x, v, &r, depth + 1);
            path_pop(x, old);
            if (st == LLMT_OK)
                json_object_set_new(o, "items", r);
        }
        if (st == LLMT_OK && (v = present(in, "minItems")) != NULL) {
            if (is_zero_or_one(v))
                json_object_set(o, "minItems", (json_t *)v);
            else
                *late_min = v;
        }
    }
    return st;
}

static llmt_status subset_node(xf *x, const json_t *in, json_t **out, int depth)
{
    json_t *o;
    const json_t *v, *type, *any_of, *one_of, *all_of, *late_format = NULL, *late_min = NULL;
    const char *type_name = NULL;
    llmt_status st = LLMT_OK;
    *out = NULL;
    if (depth > XF_MAX_DEPTH)
        return refuse(x, "the schema nests more than %d levels deep", XF_MAX_DEPTH);
    if (!json_is_object(in))
        return refuse(x, "expected a schema object");
    o = json_object();
    if ((v = present(in, "$defs")) != NULL && (st = subset_map(x, v, "$defs", o, depth)) != LLMT_OK)
        goto done;
    if ((v = present(in, "$ref")) != NULL) {
        json_object_set(o, "$ref", (json_t *)v);
        goto done;
    }
    type = present(in, "type");
    any_of = json_object_get(in, "anyOf");
    one_of = json_object_get(in, "oneOf");
    all_of = json_object_get(in, "allOf");
    if (json_is_array(any_of))
        st = subset_list(x, any_of, "anyOf", o, "anyOf", depth);
    else if (json_is_array(one_of))
        st = subset_list(x, one_of, "oneOf", o, "anyOf", depth);
    else if (json_is_array(all_of))
        st = subset_list(x, all_of, "allOf", o, "allOf", depth);
    else if (!type)
        st = refuse(x, "a schema needs type, anyOf, oneOf or allOf");
    else
        json_object_set(o, "type", (json_t *)type);
    if (st != LLMT_OK)
        goto done;
    if (type) {
        size_t i;
        for (i = 0; subset_types[i] && !type_name; i++)
            if (is_str(type, subset_types[i]))
                type_name = subset_types[i];
        if (!type_name) {
            st = refuse(x, "type must be one of object, array, string, integer, number, "
                           "boolean, null");
            goto done;
        }
    }
    if (json_is_array(json_object_get(in, "enum")))
        json_object_set(o, "enum", json_object_get(in, "enum"));
    if ((v = present(in, "description")) != NULL)
        json_object_set(o, "description", (json_t *)v);
    if ((v = present(in, "title")) != NULL)
        json_object_set(o, "title", (json_t *)v);
    if (type_name)
        st = subset_typed(x, in, type_name, o, &late_format, &late_min, depth);
    if (st == LLMT_OK)
        st = subset_describe(x, in, type_name, o, late_format, late_min);
done:
    if (st != LLMT_OK)
        json_decref(o);
    else
        *out = o;
    return st;
}

/* ---- recursion -------------------------------------------------------------------- */

typedef struct refgraph {
    const json_t *defs[2];   /* $defs, definitions */
    json_t *state;           /* "<kind>/<name>" -> 1 visiting, 2 done */
    bool cycle;
} refgraph;

static void visit_refs(refgraph *g, const json_t *v, int depth);

static void visit_def(refgraph *g, const char *ref)
{
    static const char *const prefix[] = {"#/$defs/", "#/definitions/"};
    size_t i;
    for (i = 0; i < 2; i++) {
        size_t n = strlen(prefix[i]);
        json_t *def, *mark;
        if (strncmp(ref, prefix[i], n) != 0 || !g->defs[i])
            continue;
        def = json_object_get(g->defs[i], ref + n);
        if (!def)
            return;
        mark = json_object_get(g->state, ref);
        if (mark) {
            g->cycle = g->cycle || json_integer_value(mark) == 1;
            return;
        }
        json_object_set_new(g->state, ref, json_integer(1));
        visit_refs(g, def, 0);
        json_object_set_new(g->state, ref, json_integer(2));
    }
}

static void visit_refs(refgraph *g, const json_t *v, int depth)
{
    const char *k;
    json_t *c;
    size_t i;
    if (g->cycle || depth > XF_MAX_DEPTH)
        return;
    if (json_is_array(v)) {
        json_array_foreach(v, i, c) visit_refs(g, c, depth + 1);
    } else if (json_is_object(v)) {
        json_object_foreach((json_t *)v, k, c)
        {
            if (strcmp(k, "$ref") == 0 && json_is_string(c)) {
                if (is_str(c, "#"))
                    g->cycle = true;
                else
                    visit_def(g, json_string_value(c));
            } else if (!is_data_keyword(k)) {
                visit_refs(g, c, depth + 1);
            }
        }
    }
}

bool llmt_schema_is_recursive(const json_t *schema)
{
    refgraph g;
    const char *k;
    json_t *v;
    size_t i;
    memset(&g, 0, sizeof g);
    g.defs[0] = json_object_get(schema, "$defs");
    g.defs[1] = json_object_get(schema, "definitions");
    g.state = json_object();
    visit_refs(&g, schema, 0);
    /* a cycle among definitions the root does not reach is a recursive model too */
    for (i = 0; i < 2 && !g.cycle; i++) {
        json_object_foreach((json_t *)g.defs[i], k, v)
        {
            char ref[300];
            snprintf(ref, sizeof ref, "%s%s", i ? "#/definitions/" : "#/$defs/", k);
            visit_def(&g, ref);
        }
    }
    json_decref(g.state);
    return g.cycle;
}

/* ---- entry points ------------------------------------------------------------------ */

llmt_status llmt_schema_xform(const json_t *schema, llmt_schema_rules rules, json_t **out,
                              bool *strict, json_t *relaxed, llmt_error *err)
{
    xf x;
    llmt_status st = LLMT_OK;
    memset(&x, 0, sizeof x);
    x.relaxed = relaxed;
    x.err = err;
    *out = NULL;
    *strict = true;
    switch (rules) {
    case LLMT_SCHEMA_RULES_NONE:
        *out = json_deep_copy(schema);
        break;
    case LLMT_SCHEMA_RULES_STRICT:
        x.root = *out = json_deep_copy(schema);
        if (*out && (st = strict_node(&x, *out, 0)) == LLMT_OK)
            *strict = all_closed(*out, 0);
        break;
    case LLMT_SCHEMA_RULES_CLOSED:
        *out = json_deep_copy(schema);
        closed_value(*out);
        break;
    case LLMT_SCHEMA_RULES_SUBSET:
        st = subset_node(&x, schema, out, 0);
        if (st == LLMT_OK && llmt_schema_is_recursive(*out))
            st = llmt_error_set(err, LLMT_E_UNSUPPORTED,
                                "recursive schemas are not supported by this schema mode");
        break;
    default:
        return llmt_error_set(err, LLMT_E_INVALID_ARG, "unknown schema rules %d", (int)rules);
    }
    if (st == LLMT_OK && !*out)
        st = llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    if (st != LLMT_OK) {
        json_decref(*out);
        *out = NULL;
    }
    return st;
}

void llmt_schema_sent_clear(llmt_schema_sent *s)
{
    if (!s)
        return;
    free(s->schema);
    free(s->relaxed);
    memset(s, 0, sizeof(*s));
}

llmt_status llmt_schema_transform(const char *schema_json, llmt_schema_rules rules,
                                  llmt_schema_sent *out, llmt_error *err)
{
    json_error_t je;
    json_t *in, *sent = NULL, *relaxed = json_array();
    llmt_status st;
    memset(out, 0, sizeof(*out));
    in = schema_json ? json_loads(schema_json, JSON_DECODE_ANY, &je) : NULL;
    if (!in) {
        json_decref(relaxed);
        return llmt_error_set(err, LLMT_E_INVALID_ARG, "the JSON schema is not valid JSON%s%s",
                              schema_json ? ": " : "", schema_json ? je.text : "");
    }
    st = llmt_schema_xform(in, rules, &sent, &out->strict, relaxed, err);
    if (st == LLMT_OK) {
        out->schema = llmt_json_dumps_compact(sent, false);
        out->relaxed = json_array_size(relaxed) ? llmt_json_dumps_compact(relaxed, true) : NULL;
        if (!out->schema || (json_array_size(relaxed) && !out->relaxed)) {
            llmt_schema_sent_clear(out);
            st = llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
        }
    }
    json_decref(in);
    json_decref(sent);
    json_decref(relaxed);
    return st;
}

static const char *const rules_names[] = {"none", "strict", "closed", "subset"};

const char *llmt_schema_rules_name(llmt_schema_rules rules)
{
    return (unsigned)rules < 4 ? rules_names[rules] : "unknown";
}

bool llmt_schema_rules_parse(const char *name, llmt_schema_rules *out)
{
    unsigned i;
    for (i = 0; name && i < 4; i++)
        if (strcmp(name, rules_names[i]) == 0) {
            *out = (llmt_schema_rules)i;
            return true;
        }
    return false;
}
