/* JSON Schema validator for the subset in validate.h.
 *
 * Compilation walks the whole schema once: it checks every keyword value, resolves every
 * $ref and warns about what it will not check, so validation itself can trust the
 * schema and just interpret it. Validation collects every violation with the instance's
 * JSON pointer; alternatives (anyOf/oneOf) are tried into scratch arrays so that only
 * the useful messages reach the caller. */
#include "config/jcheck.h"
#include "score/validate.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonutil.h"
#include "core/util.h"

struct llmt_schema {
    json_t *root;
    char *file;
};

/* Beyond this many nested schema applications (a $ref loop that never descends into the
 * instance, or an absurdly deep document) validation stops with a violation. */
#define MAX_DEPTH 512


static bool known_type(const char *t)
{
    static const char *const types[] = {"null",  "boolean", "object", "array",
                                        "number", "integer", "string", NULL};
    size_t i;
    for (i = 0; types[i]; i++)
        if (strcmp(t, types[i]) == 0)
            return true;
    return false;
}

static bool known_format(const char *f)
{
    return strcmp(f, "date") == 0 || strcmp(f, "date-time") == 0 || strcmp(f, "uri") == 0 ||
           strcmp(f, "email") == 0;
}




/* Resolves a local reference "#" or "#/a/b~1c" against `root`; NULL when it doesn't. */
static const json_t *resolve_ref(const json_t *root, const char *ref)
{
    const json_t *cur = root;
    const char *p;
    if (ref[0] != '#')
        return NULL;
    p = ref + 1;
    if (!*p)
        return root;
    if (*p != '/')
        return NULL;
    while (*p == '/' && cur) {
        const char *end = strchr(p + 1, '/');
        size_t n = end ? (size_t)(end - p - 1) : strlen(p + 1), i, k = 0;
        char *tok = malloc(n + 1);
        if (!tok)
            return NULL;
        for (i = 0; i < n; i++) {
            const char *s = p + 1 + i;
            if (*s == '~' && i + 1 < n && s[1] == '0') {
                tok[k++] = '~';
                i++;
            } else if (*s == '~' && i + 1 < n && s[1] == '1') {
                tok[k++] = '/';
                i++;
            } else if (*s == '%' && i + 2 < n && isxdigit((unsigned char)s[1]) &&
                       isxdigit((unsigned char)s[2])) {
                char hex[3] = {s[1], s[2], 0};
                tok[k++] = (char)strtol(hex, NULL, 16);
                i += 2;
            } else {
                tok[k++] = *s;
            }
        }
        tok[k] = '\0';
        if (json_is_object(cur)) {
            cur = json_object_get(cur, tok);
        } else if (json_is_array(cur)) {
            char *e = NULL;
            unsigned long idx = strtoul(tok, &e, 10);
            cur = (k && e && !*e) ? json_array_get(cur, idx) : NULL;
        } else {
            cur = NULL;
        }
        free(tok);
        p = end ? end : p + 1 + n;
    }
    return cur;
}

/* ---- compilation ---------------------------------------------------------------------- */

typedef struct cctx {
    const json_t *root;
    const char *file;
    llmt_diags *diags;
    json_t *warned;   /* set of keywords / formats already warned about */
    size_t errors;
    int depth;
} cctx;

static void cerr(cctx *c, const llmt_buf *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void cerr(cctx *c, const llmt_buf *path, const char *fmt, ...)
{
    llmt_buf msg = {0};
    va_list ap;
    va_start(ap, fmt);
    llmt_buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    llmt_diags_add(c->diags, LLMT_DIAG_ERROR, c->file, path->data ? path->data : "", "%s",
                   msg.data ? msg.data : "invalid schema");
    llmt_buf_free(&msg);
    c->errors++;
}

static void warn_once(cctx *c, const llmt_buf *path, const char *what, const char *name)
{
    char *key = llmt_asprintf("%s:%s", what, name);
    if (key && !json_object_get(c->warned, key)) {
        json_object_set_new(c->warned, key, json_true());
        llmt_diags_add(c->diags, LLMT_DIAG_WARNING, c->file, path->data ? path->data : "",
                       "%s '%s' is not supported by llm-tester's validator and is not checked",
                       what, name);
    }
    free(key);
}

static void compile_node(cctx *c, const json_t *s, llmt_buf *path);

static bool is_nonneg_int(const json_t *v)
{
    if (json_is_integer(v))
        return json_integer_value(v) >= 0;
    return json_is_real(v) && json_real_value(v) >= 0 && floor(json_real_value(v)) == json_real_value(v);
}

static void compile_schema_array(cctx *c, const char *kw, const json_t *v, llmt_buf *path)
{
    size_t i;
    json_t *item;
    if (!json_is_array(v) || json_array_size(v) == 0) {
        cerr(c, path, "%s must be a non-empty array of schemas", kw);
        return;
    }
    json_array_foreach((json_t *)v, i, item) {
        size_t mark = llmt_json_ptr_push_index(path, i);
        compile_node(c, item, path);
        llmt_json_ptr_pop(path, mark);
    }
}

static void compile_schema_map(cctx *c, const char *kw, const json_t *v, llmt_buf *path)
{
    const char *k;
    json_t *item;
    if (!json_is_object(v)) {
        cerr(c, path, "%s must be an object of schemas, got %s", kw, llmt_json_type_name(v));
        return;
    }
    json_object_foreach((json_t *)v, k, item) {
        size_t mark = llmt_json_ptr_push(path, k);
        compile_node(c, item, path);
        llmt_json_ptr_pop(path, mark);
    }
}

static void compile_keyword(cctx *c, const char *kw, const json_t *v, llmt_buf *path)
{
    static const char *const annotations[] = {
        "title",    "description", "default",  "examples",  "$schema", "$id",
        "$comment", "deprecated",  "readOnly", "writeOnly", NULL};
    size_t i;
    json_t *item;
    for (i = 0; annotations[i]; i++)
        if (strcmp(kw, annotations[i]) == 0)
            return;
    if (strcmp(kw, "type") == 0) {
        if (json_is_string(v)) {
            if (!known_type(json_string_value(v)))
                cerr(c, path, "unknown type \"%s\"", json_string_value(v));
        } else if (json_is_array(v) && json_array_size(v) > 0) {
            json_array_foreach((json_t *)v, i, item) {
                if (!json_is_string(item) || !known_type(json_string_value(item))) {
                    size_t mark = llmt_json_ptr_push_index(path, i);
                    cerr(c, path, "expected a type name (null, boolean, object, array, number, "
                                  "integer, string)");
                    llmt_json_ptr_pop(path, mark);
                }
            }
        } else {
            cerr(c, path, "type must be a type name or a non-empty array of them, got %s",
                 llmt_json_type_name(v));
        }
    } else if (strcmp(kw, "properties") == 0 || strcmp(kw, "$defs") == 0 ||
               strcmp(kw, "definitions") == 0) {
        compile_schema_map(c, kw, v, path);
    } else if (strcmp(kw, "additionalProperties") == 0 || strcmp(kw, "items") == 0) {
        if (strcmp(kw, "items") == 0 && json_is_array(v))
            warn_once(c, path, "keyword", "items (array form; use prefixItems)");
        else
            compile_node(c, v, path);
    } else if (strcmp(kw, "required") == 0) {
        if (!json_is_array(v)) {
            cerr(c, path, "required must be an array of property names, got %s", llmt_json_type_name(v));
            return;
        }
        json_array_foreach((json_t *)v, i, item) {
            if (!json_is_string(item)) {
                size_t mark = llmt_json_ptr_push_index(path, i);
                cerr(c, path, "expected a property name, got %s", llmt_json_type_name(item));
                llmt_json_ptr_pop(path, mark);
            }
        }
    } else if (strcmp(kw, "enum") == 0) {
        if (!json_is_array(v))
            cerr(c, path, "enum must be an array, got %s", llmt_json_type_name(v));
    } else if (strcmp(kw, "const") == 0) {
        /* any value */
    } else if (strcmp(kw, "anyOf") == 0 || strcmp(kw, "oneOf") == 0 || strcmp(kw, "allOf") == 0) {
        compile_schema_array(c, kw, v, path);
    } else if (strcmp(kw, "$ref") == 0) {
        if (!json_is_string(v))
            cerr(c, path, "$ref must be a string, got %s", llmt_json_type_name(v));
        else if (json_string_value(v)[0] != '#')
            cerr(c, path, "$ref \"%s\" is not supported: only local references (#/$defs/...) are",
                 json_string_value(v));
        else if (!resolve_ref(c->root, json_string_value(v)))
            cerr(c, path, "$ref \"%s\" does not resolve to anything in this schema",
                 json_string_value(v));
    } else if (strcmp(kw, "format") == 0) {
        if (!json_is_string(v))
            cerr(c, path, "format must be a string, got %s", llmt_json_type_name(v));
        else if (!known_format(json_string_value(v)))
            warn_once(c, path, "format", json_string_value(v));
    } else if (strcmp(kw, "minimum") == 0 || strcmp(kw, "maximum") == 0 ||
               strcmp(kw, "exclusiveMinimum") == 0 || strcmp(kw, "exclusiveMaximum") == 0) {
        if (!json_is_number(v))
            cerr(c, path, "%s must be a number, got %s", kw, llmt_json_type_name(v));
    } else if (strcmp(kw, "multipleOf") == 0) {
        if (!json_is_number(v) || json_number_value(v) <= 0)
            cerr(c, path, "multipleOf must be a number > 0");
    } else if (strcmp(kw, "minLength") == 0 || strcmp(kw, "maxLength") == 0 ||
               strcmp(kw, "minItems") == 0 || strcmp(kw, "maxItems") == 0 ||
               strcmp(kw, "minProperties") == 0 || strcmp(kw, "maxProperties") == 0) {
        if (!is_nonneg_int(v))
            cerr(c, path, "%s must be an integer >= 0, got %s", kw,
                 json_is_number(v) ? "a negative or fractional number" : llmt_json_type_name(v));
    } else if (strcmp(kw, "uniqueItems") == 0) {
        if (!json_is_boolean(v))
            cerr(c, path, "uniqueItems must be true or false, got %s", llmt_json_type_name(v));
    } else {
        warn_once(c, path, "keyword", kw);
    }
}

static void compile_node(cctx *c, const json_t *s, llmt_buf *path)
{
    const char *kw;
    json_t *v;
    if (json_is_boolean(s))
        return;
    if (!json_is_object(s)) {
        cerr(c, path, "expected a schema (an object or true/false), got %s", llmt_json_type_name(s));
        return;
    }
    if (++c->depth > MAX_DEPTH) {
        cerr(c, path, "schema nested too deeply");
        c->depth--;
        return;
    }
    json_object_foreach((json_t *)s, kw, v) {
        size_t mark = llmt_json_ptr_push(path, kw);
        compile_keyword(c, kw, v, path);
        llmt_json_ptr_pop(path, mark);
    }
    c->depth--;
}

llmt_schema *llmt_schema_compile(const json_t *schema, const char *file, llmt_diags *diags)
{
    cctx c;
    llmt_buf path = {0};
    llmt_schema *s = NULL;
    memset(&c, 0, sizeof c);
    c.root = schema;
    c.file = file ? file : "schema";
    c.diags = diags;
    c.warned = json_object();
    if (!schema || (!json_is_object(schema) && !json_is_boolean(schema))) {
        llmt_diags_add(diags, LLMT_DIAG_ERROR, c.file, "",
                       "a schema must be an object (or true/false), got %s",
                       schema ? llmt_json_type_name(schema) : "nothing");
        goto done;
    }
    llmt_buf_puts(&path, "");
    compile_node(&c, schema, &path);
    if (c.errors || !c.warned || path.oom)
        goto done;
    s = calloc(1, sizeof(*s));
    if (!s)
        goto done;
    s->root = json_incref((json_t *)schema);
    s->file = llmt_strdup(c.file);
done:
    json_decref(c.warned);
    llmt_buf_free(&path);
    return s;
}

void llmt_schema_free(llmt_schema *s)
{
    if (!s)
        return;
    json_decref(s->root);
    free(s->file);
    free(s);
}

/* ---- formats -------------------------------------------------------------------------- */

static bool digits(const char *s, int n)
{
    int i;
    for (i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

static int num2(const char *s)
{
    return (s[0] - '0') * 10 + (s[1] - '0');
}

/* "YYYY-MM-DD" with a real day of a real month. */
static bool valid_date_prefix(const char *s)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, d, max;
    if (!digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' || !digits(s + 8, 2))
        return false;
    y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + num2(s + 2);
    m = num2(s + 5);
    d = num2(s + 8);
    if (m < 1 || m > 12 || d < 1)
        return false;
    max = mdays[m - 1];
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        max = 29;
    return d <= max;
}

static bool valid_date(const char *s)
{
    return strlen(s) == 10 && valid_date_prefix(s);
}

/* RFC 3339 date-time: date "T" HH:MM:SS[.frac] ("Z" | ±HH:MM). */
static bool valid_date_time(const char *s)
{
    const char *t;
    if (strlen(s) < 20 || !valid_date_prefix(s) || (s[10] != 'T' && s[10] != 't'))
        return false;
    t = s + 11;
    if (!digits(t, 2) || t[2] != ':' || !digits(t + 3, 2) || t[5] != ':' || !digits(t + 6, 2))
        return false;
    if (num2(t) > 23 || num2(t + 3) > 59 || num2(t + 6) > 60)
        return false;
    t += 8;
    if (*t == '.') {
        t++;
        if (!isdigit((unsigned char)*t))
            return false;
        while (isdigit((unsigned char)*t))
            t++;
    }
    if ((*t == 'Z' || *t == 'z') && !t[1])
        return true;
    if ((*t == '+' || *t == '-') && digits(t + 1, 2) && t[3] == ':' && digits(t + 4, 2) && !t[6])
        return num2(t + 1) <= 23 && num2(t + 4) <= 59;
    return false;
}

/* RFC 3986 URI (absolute: a scheme is required): scheme ":" then only URI characters and
 * well-formed percent escapes. */
static bool valid_uri(const char *s)
{
    const char *p = s;
    if (!isalpha((unsigned char)*p))
        return false;
    while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
        p++;
    if (*p != ':')
        return false;
    for (p++; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '%') {
            if (!isxdigit((unsigned char)p[1]) || !isxdigit((unsigned char)p[2]))
                return false;
            p += 2;
        } else if (ch <= 0x20 || ch >= 0x7F || strchr("<>\"{}|\\^`", ch)) {
            return false;
        }
    }
    return true;
}

/* A practical address check: local@domain, no spaces, the local part without the
 * characters RFC 5322 reserves, the domain made of letter/digit/hyphen labels (or an
 * [address literal]). Non-ASCII is allowed (internationalised addresses). */
static bool valid_email(const char *s)
{
    const char *at = strrchr(s, '@'), *p;
    bool label_start = true;
    if (!at || at == s || !at[1] || at - s > 64)
        return false;
    if (s[0] == '.' || at[-1] == '.')
        return false;
    for (p = s; p < at; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch <= 0x20 || ch == 0x7F || strchr("()<>[]:;@\\,\"", ch) ||
            (ch == '.' && p[1] == '.'))
            return false;
    }
    p = at + 1;
    if (*p == '[')
        return p[strlen(p) - 1] == ']' && strlen(p) > 2;
    for (; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '.') {
            if (label_start || p[-1] == '-')
                return false;
            label_start = true;
            continue;
        }
        if (!(isalnum(ch) || ch == '-' || ch >= 0x80) || (label_start && ch == '-'))
            return false;
        label_start = false;
    }
    return !label_start && at[strlen(at) - 1] != '-';
}

/* ---- validation ----------------------------------------------------------------------- */

/* Total schema applications allowed per validation: alternatives inside alternatives
 * can multiply work; past this budget validation stops with a violation. */
#define MAX_STEPS 2000000

typedef struct ref_frame {
    const json_t *schema;
    const json_t *inst;
} ref_frame;

typedef struct vctx {
    const llmt_schema *s;
    llmt_buf path;    /* instance pointer */
    int depth;
    size_t steps;
    bool budget_reported;
    ref_frame *refs;  /* $ref targets being applied, with their instance */
    size_t n_refs, cap_refs;
} vctx;

/* Appends one violation to `out` (when not NULL); returns 1. */
static size_t violation(vctx *c, json_t *out, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static size_t violation(vctx *c, json_t *out, const char *fmt, ...)
{
    llmt_buf b = {0};
    va_list ap;
    if (!out)
        return 1;
    llmt_buf_printf(&b, "%s: ", c->path.len ? c->path.data : "(root)");
    va_start(ap, fmt);
    llmt_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (b.data)
        json_array_append_new(out, json_string(b.data));
    llmt_buf_free(&b);
    return 1;
}

/* Short JSON text of a value for messages (at most ~60 characters). */
static char *brief(const json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (s && strlen(s) > 60) {
        size_t cut = 57;
        while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
            cut--;
        memcpy(s + cut, "...", 4);
    }
    return s;
}


static bool type_matches(const char *t, const json_t *v)
{
    if (strcmp(t, "integer") == 0)
        return json_is_integer(v) ||
               (json_is_real(v) && floor(json_real_value(v)) == json_real_value(v) &&
                isfinite(json_real_value(v)));
    if (strcmp(t, "number") == 0)
        return json_is_number(v);
    return strcmp(t, llmt_json_type_name(v)) == 0;
}

/* "string", "string or null", "integer, string or null" of a type keyword value. */
static void describe_types(llmt_buf *b, const json_t *type)
{
    size_t i, n;
    if (json_is_string(type)) {
        llmt_buf_puts(b, json_string_value(type));
        return;
    }
    n = json_array_size(type);
    for (i = 0; i < n; i++) {
        if (i)
            llmt_buf_puts(b, i + 1 == n ? " or " : ", ");
        llmt_buf_puts(b, json_string_value(json_array_get(type, i)));
    }
}

static size_t check(vctx *c, const json_t *sch, const json_t *inst, json_t *out);

static size_t utf8_len(const char *s, size_t n)
{
    size_t i, k = 0;
    for (i = 0; i < n; i++)
        k += ((unsigned char)s[i] & 0xC0) != 0x80;
    return k;
}

/* The simple type a schema requires, if it says so plainly (for anyOf messages). */
static const json_t *plain_type(const vctx *c, const json_t *sch)
{
    int hops = 0;
    while (json_is_object(sch) && hops++ < 16) {
        json_t *t = json_object_get(sch, "type"), *r = json_object_get(sch, "$ref");
        if (t)
            return t;
        if (!json_is_string(r))
            return NULL;
        sch = resolve_ref(c->s->root, json_string_value(r));
    }
    return NULL;
}

static size_t check_alternatives(vctx *c, const json_t *sch, const char *kw, const json_t *alts,
                                 const json_t *inst, json_t *out)
{
    size_t i, n = json_array_size(alts), matches = 0, best = 0, best_count = (size_t)-1;
    size_t type_ok = 0, type_ok_idx = 0;
    json_t **branch = calloc(n ? n : 1, sizeof(*branch));
    llmt_buf types = {0};
    size_t added = 0;
    bool all_typed = true;
    (void)sch;
    if (!branch)
        return violation(c, out, "out of memory while validating");
    for (i = 0; i < n; i++) {
        const json_t *alt = json_array_get(alts, i), *t = plain_type(c, alt);
        size_t nv;
        branch[i] = json_array();
        nv = check(c, alt, inst, branch[i]);
        if (nv == 0)
            matches++;
        if (nv < best_count) {
            best_count = nv;
            best = i;
        }
        if (t) {
            bool ok = false;
            size_t k;
            json_t *tv;
            if (json_is_string(t)) {
                ok = type_matches(json_string_value(t), inst);
            } else {
                json_array_foreach((json_t *)t, k, tv) ok = ok || type_matches(json_string_value(tv), inst);
            }
            if (ok) {
                type_ok++;
                type_ok_idx = i;
            }
            if (types.len)
                llmt_buf_puts(&types, i + 1 == n ? " or " : ", ");
            describe_types(&types, t);
        } else {
            all_typed = false;
        }
    }
    if (strcmp(kw, "oneOf") == 0 && matches > 1) {
        added = violation(c, out, "matches %zu of the oneOf alternatives; exactly one is allowed",
                          matches);
    } else if (matches == 0) {
        if (type_ok == 1) {
            /* Optional[Model] and friends: the one alternative of the right type explains
             * best what is wrong. */
            size_t k;
            json_t *v;
            json_array_foreach(branch[type_ok_idx], k, v) {
                if (out)
                    json_array_append(out, v);
                added++;
            }
        } else if (all_typed && type_ok == 0 && types.data) {
            added = violation(c, out, "expected %s, got %s", types.data, llmt_json_type_name(inst));
        } else {
            size_t k;
            json_t *v;
            added = violation(c, out, "matches none of the %s alternatives (closest: alternative %zu)",
                              kw, best);
            json_array_foreach(branch[best], k, v) {
                if (out)
                    json_array_append(out, v);
                added++;
            }
        }
    }
    for (i = 0; i < n; i++)
        json_decref(branch[i]);
    free(branch);
    llmt_buf_free(&types);
    return added;
}

static size_t check_object(vctx *c, const json_t *sch, const json_t *inst, json_t *out)
{
    json_t *props = json_object_get(sch, "properties"), *req = json_object_get(sch, "required");
    json_t *addl = json_object_get(sch, "additionalProperties"), *v, *k;
    json_t *minp = json_object_get(sch, "minProperties"), *maxp = json_object_get(sch, "maxProperties");
    const char *key;
    size_t n = 0, i;
    json_array_foreach(req, i, k) {
        if (!json_object_get(inst, json_string_value(k))) {
            size_t mark = llmt_json_ptr_push(&c->path, json_string_value(k));
            n += violation(c, out, "required property missing");
            llmt_json_ptr_pop(&c->path, mark);
        }
    }
    json_object_foreach((json_t *)inst, key, v) {
        json_t *ps = json_object_get(props, key);
        size_t mark = llmt_json_ptr_push(&c->path, key);
        if (ps)
            n += check(c, ps, v, out);
        else if (json_is_false(addl))
            n += violation(c, out, "property not allowed (additionalProperties is false)");
        else if (json_is_object(addl))
            n += check(c, addl, v, out);
        llmt_json_ptr_pop(&c->path, mark);
    }
    if (minp && json_object_size(inst) < (size_t)json_number_value(minp))
        n += violation(c, out, "fewer than %.0f properties (got %zu)", json_number_value(minp),
                       json_object_size(inst));
    if (maxp && json_object_size(inst) > (size_t)json_number_value(maxp))
        n += violation(c, out, "more than %.0f properties (got %zu)", json_number_value(maxp),
                       json_object_size(inst));
    return n;
}

static size_t check_array(vctx *c, const json_t *sch, const json_t *inst, json_t *out)
{
    json_t *items = json_object_get(sch, "items"), *v;
    json_t *mini = json_object_get(sch, "minItems"), *maxi = json_object_get(sch, "maxItems");
    size_t n = 0, i, size = json_array_size(inst);
    if (items && !json_is_array(items)) {
        json_array_foreach((json_t *)inst, i, v) {
            size_t mark = llmt_json_ptr_push_index(&c->path, i);
            n += check(c, items, v, out);
            llmt_json_ptr_pop(&c->path, mark);
            if (!out && n)
                return n;
        }
    }
    if (mini && size < (size_t)json_number_value(mini))
        n += violation(c, out, "fewer than %.0f items (got %zu)", json_number_value(mini), size);
    if (maxi && size > (size_t)json_number_value(maxi))
        n += violation(c, out, "more than %.0f items (got %zu)", json_number_value(maxi), size);
    if (json_is_true(json_object_get(sch, "uniqueItems"))) {
        size_t j;
        for (i = 0; i < size; i++)
            for (j = i + 1; j < size; j++)
                if (llmt_json_equal(json_array_get(inst, i), json_array_get(inst, j), false)) {
                    n += violation(c, out, "items %zu and %zu are equal (uniqueItems)", i, j);
                    i = j = size; /* one message is enough */
                }
    }
    return n;
}

static size_t check_number(vctx *c, const json_t *sch, const json_t *inst, json_t *out)
{
    double x = json_number_value(inst);
    json_t *k;
    size_t n = 0;
    if ((k = json_object_get(sch, "minimum")) && x < json_number_value(k))
        n += violation(c, out, "%g is less than the minimum %g", x, json_number_value(k));
    if ((k = json_object_get(sch, "maximum")) && x > json_number_value(k))
        n += violation(c, out, "%g is greater than the maximum %g", x, json_number_value(k));
    if ((k = json_object_get(sch, "exclusiveMinimum")) && json_is_number(k) &&
        x <= json_number_value(k))
        n += violation(c, out, "%g must be greater than %g", x, json_number_value(k));
    if ((k = json_object_get(sch, "exclusiveMaximum")) && json_is_number(k) &&
        x >= json_number_value(k))
        n += violation(c, out, "%g must be less than %g", x, json_number_value(k));
    if ((k = json_object_get(sch, "multipleOf"))) {
        double q = x / json_number_value(k);
        if (!isfinite(q) || fabs(q - nearbyint(q)) > 1e-9 * fmax(1.0, fabs(q)))
            n += violation(c, out, "%g is not a multiple of %g", x, json_number_value(k));
    }
    return n;
}

static size_t check_string(vctx *c, const json_t *sch, const json_t *inst, json_t *out)
{
    const char *s = json_string_value(inst);
    size_t len = utf8_len(s, json_string_length(inst)), n = 0;
    json_t *k;
    if ((k = json_object_get(sch, "minLength")) && len < (size_t)json_number_value(k))
        n += violation(c, out, "shorter than %.0f characters (got %zu)", json_number_value(k), len);
    if ((k = json_object_get(sch, "maxLength")) && len > (size_t)json_number_value(k))
        n += violation(c, out, "longer than %.0f characters (got %zu)", json_number_value(k), len);
    if ((k = json_object_get(sch, "format")) && json_is_string(k)) {
        const char *f = json_string_value(k);
        bool ok = true;
        if (strcmp(f, "date") == 0)
            ok = valid_date(s);
        else if (strcmp(f, "date-time") == 0)
            ok = valid_date_time(s);
        else if (strcmp(f, "uri") == 0)
            ok = valid_uri(s);
        else if (strcmp(f, "email") == 0)
            ok = valid_email(s);
        if (!ok) {
            char *b = brief(inst);
            n += violation(c, out, "%s is not a valid %s", b ? b : "value", f);
            free(b);
        }
    }
    return n;
}

/* Applies schema `sch` to `inst`; returns the number of violations (appended to `out`
 * when not NULL; with NULL it may stop at the first). */
static size_t check(vctx *c, const json_t *sch, const json_t *inst, json_t *out)
{
    json_t *k;
    size_t n = 0;
    if (json_is_true(sch))
        return 0;
    if (json_is_false(sch))
        return violation(c, out, "no value is allowed here (schema false)");
    if (!json_is_object(sch))
        return 0;
    if (++c->depth > MAX_DEPTH) {
        c->depth--;
        return violation(c, out, "schema recursion too deep (a $ref loop?)");
    }
    if (++c->steps > MAX_STEPS) {
        c->depth--;
        if (c->budget_reported)
            return 1;
        c->budget_reported = true;
        return violation(c, out, "validation stopped: the schema's alternatives need too much work");
    }
    if ((k = json_object_get(sch, "$ref")) && json_is_string(k)) {
        const json_t *target = resolve_ref(c->s->root, json_string_value(k));
        size_t i;
        bool loop = false;
        /* the same target applied to the same value again means a $ref cycle that makes
         * no progress through the instance: it can only repeat itself */
        for (i = 0; target && i < c->n_refs; i++)
            if (c->refs[i].schema == target && c->refs[i].inst == inst)
                loop = true;
        if (loop) {
            n += violation(c, out, "$ref \"%s\" loops without reaching a check", json_string_value(k));
        } else if (target) {
            if (c->n_refs == c->cap_refs) {
                size_t nc = c->cap_refs ? c->cap_refs * 2 : 16;
                ref_frame *nr = realloc(c->refs, nc * sizeof(*nr));
                if (!nr) {
                    c->depth--;
                    return violation(c, out, "out of memory while validating");
                }
                c->refs = nr;
                c->cap_refs = nc;
            }
            c->refs[c->n_refs].schema = target;
            c->refs[c->n_refs].inst = inst;
            c->n_refs++;
            n += check(c, target, inst, out);
            c->n_refs--;
        }
    }
    if ((k = json_object_get(sch, "type"))) {
        bool ok = false;
        if (json_is_string(k)) {
            ok = type_matches(json_string_value(k), inst);
        } else {
            size_t i;
            json_t *t;
            json_array_foreach(k, i, t) ok = ok || type_matches(json_string_value(t), inst);
        }
        if (!ok) {
            llmt_buf want = {0};
            describe_types(&want, k);
            n += violation(c, out, "expected %s, got %s", want.data ? want.data : "?",
                           llmt_json_type_name(inst));
            llmt_buf_free(&want);
            /* the other keywords would only repeat the type error */
            goto done;
        }
    }
    if ((k = json_object_get(sch, "enum"))) {
        size_t i;
        json_t *e;
        bool found = false;
        json_array_foreach(k, i, e) {
            if (llmt_json_equal(e, inst, false)) {
                found = true;
                break;
            }
        }
        if (!found) {
            char *a = brief(inst), *b = brief(k);
            n += violation(c, out, "%s is not one of %s", a ? a : "value", b ? b : "the enum");
            free(a);
            free(b);
        }
    }
    if ((k = json_object_get(sch, "const")) && !llmt_json_equal(k, inst, false)) {
        char *b = brief(k);
        n += violation(c, out, "expected the constant %s", b ? b : "value");
        free(b);
    }
    if ((k = json_object_get(sch, "allOf"))) {
        size_t i;
        json_t *alt;
        json_array_foreach(k, i, alt) n += check(c, alt, inst, out);
    }
    if ((k = json_object_get(sch, "anyOf")))
        n += check_alternatives(c, sch, "anyOf", k, inst, out);
    if ((k = json_object_get(sch, "oneOf")))
        n += check_alternatives(c, sch, "oneOf", k, inst, out);
    if (json_is_object(inst))
        n += check_object(c, sch, inst, out);
    else if (json_is_array(inst))
        n += check_array(c, sch, inst, out);
    else if (json_is_number(inst))
        n += check_number(c, sch, inst, out);
    else if (json_is_string(inst))
        n += check_string(c, sch, inst, out);
done:
    c->depth--;
    return n;
}

bool llmt_schema_validate(const llmt_schema *s, const json_t *instance, json_t *violations)
{
    vctx c;
    json_t *all = violations ? json_array() : NULL;
    size_t n, i;
    json_t *v;
    memset(&c, 0, sizeof c);
    c.s = s;
    n = check(&c, s->root, instance, all);
    if (violations && all) {
        json_array_foreach(all, i, v) {
            if (i >= LLMT_SCHEMA_MAX_VIOLATIONS) {
                json_array_append_new(violations,
                                      json_sprintf("(and %zu more violations not listed)",
                                                   json_array_size(all) - i));
                break;
            }
            json_array_append(violations, v);
        }
    }
    json_decref(all);
    free(c.refs);
    llmt_buf_free(&c.path);
    return n == 0;
}
