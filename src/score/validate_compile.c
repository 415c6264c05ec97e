/* Schema compilation (see validate.h): index every schema resource, anchor and
 * subschema with its base URI, then turn each node's keywords into an snode, resolving
 * $ref / $dynamicRef (loading registry documents on demand) and compiling patterns.
 * Validation (validate.c) then only interprets the nodes. */
#include "score/validate_int.h"

#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/jcheck.h"
#include "core/jsonutil.h"
#include "core/util.h"
#include "score/uri.h"

/* ---- registry --------------------------------------------------------------------- */

struct llmt_schema_registry {
    json_t *docs; /* uri -> document */
};

llmt_schema_registry *llmt_schema_registry_new(void)
{
    llmt_schema_registry *r = calloc(1, sizeof(*r));
    if (r && !(r->docs = json_object())) {
        free(r);
        r = NULL;
    }
    return r;
}

void llmt_schema_registry_free(llmt_schema_registry *r)
{
    if (!r)
        return;
    json_decref(r->docs);
    free(r);
}

bool llmt_schema_registry_add(llmt_schema_registry *r, const char *uri, json_t *doc)
{
    char *key = llmt_uri_resolve("", uri);
    bool ok;
    if (!key)
        return false;
    key[llmt_uri_strip_fragment_len(key)] = '\0';
    ok = json_object_set(r->docs, key, doc) == 0;
    free(key);
    return ok;
}

static int add_dir_rec(llmt_schema_registry *r, const char *base, const char *dir, llmt_diags *d)
{
    DIR *dh = opendir(dir);
    struct dirent *e;
    int n = 0;
    if (!dh)
        return -1;
    while ((e = readdir(dh))) {
        char *path, *uri;
        struct stat st;
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.')
            continue;
        path = llmt_asprintf("%s/%s", dir, e->d_name);
        uri = llmt_asprintf("%s%s", base, e->d_name);
        if (path && uri && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            char *sub = llmt_asprintf("%s/", uri);
            int k = sub ? add_dir_rec(r, sub, path, d) : -1;
            n += k > 0 ? k : 0;
            free(sub);
        } else if (path && uri && len > 5 && strcmp(e->d_name + len - 5, ".json") == 0) {
            json_error_t je;
            json_t *doc = llmt_json_load_file(path, JSON_DECODE_ANY, &je);
            if (!doc)
                llmt_diags_add(d, LLMT_DIAG_ERROR, path, "", "line %d: %s", je.line, je.text);
            else if (llmt_schema_registry_add(r, uri, doc))
                n++;
            json_decref(doc);
        }
        free(path);
        free(uri);
    }
    closedir(dh);
    return n;
}

int llmt_schema_registry_add_dir(llmt_schema_registry *r, const char *base_uri, const char *dir,
                                 llmt_diags *diags)
{
    return add_dir_rec(r, base_uri, dir, diags);
}

/* ---- node map ----------------------------------------------------------------------- */

static size_t ptr_hash(const json_t *p)
{
    uintptr_t x = (uintptr_t)p;
    x ^= x >> 17;
    x *= 0x9E3779B97F4A7C15ull;
    return (size_t)(x ^ (x >> 29));
}

snode *llmt_node_find(const node_map *m, const json_t *key)
{
    size_t i;
    if (!m->cap)
        return NULL;
    for (i = ptr_hash(key) & (m->cap - 1); m->keys[i]; i = (i + 1) & (m->cap - 1))
        if (m->keys[i] == key)
            return m->vals[i];
    return NULL;
}

static bool map_put(node_map *m, const json_t *key, snode *val)
{
    size_t i;
    if ((m->n + 1) * 2 > m->cap) {
        node_map g = {0};
        size_t k;
        g.cap = m->cap ? m->cap * 2 : 64;
        g.keys = calloc(g.cap, sizeof(*g.keys));
        g.vals = calloc(g.cap, sizeof(*g.vals));
        if (!g.keys || !g.vals) {
            free(g.keys);
            free(g.vals);
            return false;
        }
        for (k = 0; k < m->cap; k++)
            if (m->keys[k])
                map_put(&g, m->keys[k], m->vals[k]);
        free(m->keys);
        free(m->vals);
        *m = g;
    }
    for (i = ptr_hash(key) & (m->cap - 1); m->keys[i]; i = (i + 1) & (m->cap - 1))
        ;
    m->keys[i] = key;
    m->vals[i] = val;
    m->n++;
    return true;
}

/* ---- compile context ---------------------------------------------------------------- */

typedef struct cctx {
    llmt_schema *s;
    const llmt_schema_options *opts;
    const char *file;
    llmt_diags *diags;
    json_t *warned; /* names already warned about */
    size_t errors;
    bool oom;
} cctx;

/* An error at keyword `kw` (a JSON pointer tail such as "required/1", or NULL) of the
 * schema node `n`. */
static void cerr(cctx *c, const snode *n, const char *kw, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void cerr(cctx *c, const snode *n, const char *kw, const char *fmt, ...)
{
    llmt_buf msg = {0};
    char *where = llmt_asprintf("%s%s%s", n->where, kw ? "/" : "", kw ? kw : "");
    va_list ap;
    va_start(ap, fmt);
    llmt_buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    llmt_diags_add(c->diags, LLMT_DIAG_ERROR, c->file, where ? where : "", "%s",
                   msg.data ? msg.data : "invalid schema");
    llmt_buf_free(&msg);
    free(where);
    c->errors++;
}

static void warn_once(cctx *c, const snode *n, const char *kw, const char *what, const char *name)
{
    char *key = llmt_asprintf("%s:%s", what, name);
    if (key && !json_object_get(c->warned, key)) {
        char *where = llmt_asprintf("%s/%s", n->where, kw);
        json_object_set_new(c->warned, key, json_true());
        llmt_diags_add(c->diags, LLMT_DIAG_WARNING, c->file, where ? where : "",
                       "%s '%s' is not checked by llm-tester's validator", what, name);
        free(where);
    }
    free(key);
}

static const char *keep_string(cctx *c, char *str)
{
    llmt_schema *s = c->s;
    if (!str) {
        c->oom = true;
        return "";
    }
    if (s->n_strings == s->cap_strings) {
        size_t nc = s->cap_strings ? s->cap_strings * 2 : 32;
        char **v = realloc(s->strings, nc * sizeof(*v));
        if (!v) {
            free(str);
            c->oom = true;
            return "";
        }
        s->strings = v;
        s->cap_strings = nc;
    }
    s->strings[s->n_strings++] = str;
    return str;
}

/* The draft a $schema value names; -1 when it names none we know. */
static int draft_of(const char *uri)
{
    if (strstr(uri, "json-schema.org/draft-07/") || strstr(uri, "json-schema.org/draft-06/") ||
        strstr(uri, "json-schema.org/draft-04/"))
        return DRAFT_7;
    if (strstr(uri, "json-schema.org/draft/2020-12/") || strstr(uri, "json-schema.org/draft/2019-09/"))
        return DRAFT_2020;
    return -1;
}

static json_t *registry_doc(cctx *c, const char *uri)
{
    json_t *d = json_object_get(c->s->docs, uri);
    if (!d && c->opts->registry) {
        d = json_object_get(c->opts->registry->docs, uri);
        if (d)
            json_object_set(c->s->docs, uri, d);
    }
    return d;
}

/* $schema of a resource: its draft, and whether a custom meta-schema leaves out the
 * validation vocabulary (then only applicators apply). */
static void dialect(cctx *c, const json_t *sch, int *draft, bool *validation)
{
    const char *uri = json_string_value(json_object_get(sch, "$schema"));
    json_t *meta, *vocab;
    int d;
    if (!uri)
        return;
    d = draft_of(uri);
    if (d >= 0) {
        *draft = d;
        *validation = true;
        return;
    }
    meta = registry_doc(c, uri);
    if (!meta)
        return;
    if (json_is_string(json_object_get(meta, "$schema")) &&
        (d = draft_of(json_string_value(json_object_get(meta, "$schema")))) >= 0)
        *draft = d;
    vocab = json_object_get(meta, "$vocabulary");
    if (json_is_object(vocab)) {
        const char *k;
        json_t *v;
        *validation = false;
        json_object_foreach(vocab, k, v) {
            if (strstr(k, "/vocab/validation"))
                *validation = true;
        }
    }
}

/* ---- indexing ----------------------------------------------------------------------- */

static snode *index_node(cctx *c, const json_t *j, const char *base, int draft, bool validation,
                         llmt_buf *where);

static snode *new_node(cctx *c, const json_t *j)
{
    llmt_schema *s = c->s;
    snode *n;
    if (s->n_nodes == s->cap_nodes) {
        size_t nc = s->cap_nodes ? s->cap_nodes * 2 : 64;
        snode **v = realloc(s->nodes, nc * sizeof(*v));
        if (!v)
            return NULL;
        s->nodes = v;
        s->cap_nodes = nc;
    }
    n = calloc(1, sizeof(*n));
    if (!n || !map_put(&s->map, j, n)) {
        free(n);
        return NULL;
    }
    s->nodes[s->n_nodes++] = n;
    n->json = j;
    n->boolean = json_is_true(j) ? 1 : json_is_false(j) ? 0 : -1;
    n->min_props = n->max_props = n->min_items = n->max_items = -1;
    n->min_contains = n->max_contains = n->min_length = n->max_length = -1;
    return n;
}

static void register_uri(cctx *c, json_t *table, const char *uri, const json_t *j)
{
    if (!json_object_get(table, uri) && json_object_set(table, uri, (json_t *)j) != 0)
        c->oom = true;
}

/* $id / $anchor / $dynamicAnchor of an object schema; returns its base URI. */
static const char *index_ids(cctx *c, snode *n, const json_t *j, const char *base, int draft)
{
    const char *id = json_string_value(json_object_get(j, "$id"));
    const char *anchor = json_string_value(json_object_get(j, "$anchor"));
    const char *dyn = json_string_value(json_object_get(j, "$dynamicAnchor"));
    char *full;
    if (draft == DRAFT_7 && json_object_get(j, "$ref"))
        id = NULL; /* draft-07: $ref makes every sibling keyword, $id too, ignored */
    if (id && draft == DRAFT_7 && id[0] == '#') {
        anchor = id + 1;
        id = NULL;
    }
    if (id) {
        full = llmt_uri_resolve(base, id);
        if (full) {
            full[llmt_uri_strip_fragment_len(full)] = '\0';
            base = keep_string(c, full);
            n->resource = base;
            register_uri(c, c->s->anchors, base, j);
        } else {
            c->oom = true;
        }
    }
    if (draft == DRAFT_2020 && dyn) {
        full = llmt_asprintf("%s#%s", base, dyn);
        if (full) {
            register_uri(c, c->s->anchors, full, j);
            register_uri(c, c->s->dyn_anchors, full, j);
        }
        free(full);
    }
    if (anchor) {
        full = llmt_asprintf("%s#%s", base, anchor);
        if (full)
            register_uri(c, c->s->anchors, full, j);
        free(full);
    }
    return base;
}

/* Indexes `v` (when it is a schema) at the pointer `where`, which the caller extended
 * from length `mark`, and cuts `where` back. */
static void index_sub(cctx *c, const json_t *v, const char *base, int draft, bool validation,
                      llmt_buf *where, size_t mark)
{
    if (json_is_object(v) || json_is_boolean(v))
        index_node(c, v, base, draft, validation, where);
    llmt_jptr_pop(where, mark);
}

static void index_children(cctx *c, const json_t *j, const char *base, int draft, bool validation,
                           llmt_buf *where)
{
    static const char *const single[] = {"items", "additionalItems", "additionalProperties",
                                         "unevaluatedItems", "unevaluatedProperties", "contains",
                                         "propertyNames", "not", "if", "then", "else", NULL};
    static const char *const arrays[] = {"allOf", "anyOf", "oneOf", "prefixItems", "items", NULL};
    static const char *const maps[] = {"$defs", "definitions", "properties", "patternProperties",
                                       "dependentSchemas", "dependencies", NULL};
    size_t i, k;
    for (i = 0; single[i]; i++) {
        json_t *v = json_object_get(j, single[i]);
        if (v)
            index_sub(c, v, base, draft, validation, where, llmt_jptr_push(where, single[i], strlen(single[i])));
    }
    for (i = 0; arrays[i]; i++) {
        json_t *v = json_object_get(j, arrays[i]), *item;
        size_t mark;
        if (!json_is_array(v))
            continue;
        mark = llmt_jptr_push(where, arrays[i], strlen(arrays[i]));
        json_array_foreach(v, k, item) index_sub(c, item, base, draft, validation, where, llmt_jptr_push_index(where, k));
        llmt_jptr_pop(where, mark);
    }
    for (i = 0; maps[i]; i++) {
        json_t *v = json_object_get(j, maps[i]), *item;
        const char *key;
        size_t mark, klen;
        if (!json_is_object(v))
            continue;
        mark = llmt_jptr_push(where, maps[i], strlen(maps[i]));
        json_object_keylen_foreach(v, key, klen, item) {
            index_sub(c, item, base, draft, validation, where, llmt_jptr_push(where, key, klen));
        }
        llmt_jptr_pop(where, mark);
    }
}

static snode *index_node(cctx *c, const json_t *j, const char *base, int draft, bool validation,
                         llmt_buf *where)
{
    snode *n = llmt_node_find(&c->s->map, j);
    if (n)
        return n;
    n = new_node(c, j);
    if (!n) {
        c->oom = true;
        return NULL;
    }
    if (json_is_object(j)) {
        dialect(c, j, &draft, &validation);
        base = index_ids(c, n, j, base, draft);
    }
    n->draft = draft;
    n->validation_vocab = validation;
    n->base = base;
    n->where = keep_string(c, llmt_strdup(where->data ? where->data : ""));
    if (json_is_object(j))
        index_children(c, j, base, draft, validation, where);
    return n;
}

/* Indexes a whole document at `uri`. */
static snode *index_document(cctx *c, const json_t *doc, const char *uri, int draft)
{
    llmt_buf where = {0};
    snode *n;
    const char *base = keep_string(c, llmt_strdup(uri));
    llmt_buf_puts(&where, "");
    register_uri(c, c->s->anchors, base, doc);
    n = index_node(c, doc, base, draft, true, &where);
    if (n && !n->resource)
        n->resource = base; /* the document is a resource of the dynamic scope too */
    llmt_buf_free(&where);
    return n;
}

/* ---- $ref resolution ---------------------------------------------------------------- */

/* Follows a JSON pointer fragment ("/a/b~1c", percent-encoded) from `root`. */
static const json_t *follow_pointer(const json_t *root, const char *p)
{
    const json_t *cur = root;
    llmt_buf tok = {0};
    while (*p == '/' && cur) {
        const char *q = p + 1;
        tok.len = 0;
        llmt_buf_puts(&tok, "");
        for (; *q && *q != '/'; q++) {
            char ch = *q;
            if (*q == '~' && (q[1] == '0' || q[1] == '1')) {
                ch = q[1] == '0' ? '~' : '/';
                q++;
            } else if (*q == '%' && q[1] && q[2]) {
                char hex[3] = {q[1], q[2], 0};
                char *e;
                long v = strtol(hex, &e, 16);
                if (!*e) {
                    ch = (char)v;
                    q += 2;
                }
            }
            llmt_buf_append(&tok, &ch, 1);
        }
        if (json_is_object(cur)) {
            cur = json_object_getn(cur, tok.data ? tok.data : "", tok.len);
        } else if (json_is_array(cur)) {
            char *e = NULL;
            unsigned long idx = strtoul(tok.data ? tok.data : "", &e, 10);
            cur = (tok.len && e && !*e) ? json_array_get(cur, idx) : NULL;
        } else {
            cur = NULL;
        }
        p = q;
    }
    llmt_buf_free(&tok);
    return *p ? NULL : cur;
}

/* Resolves `ref` from node `from`; NULL (after a diagnostic) when it doesn't. */
static snode *resolve(cctx *c, const snode *from, const char *ref)
{
    char *full = llmt_uri_resolve(from->base, ref);
    const json_t *root, *target = NULL;
    const char *frag;
    snode *n = NULL;
    llmt_buf where = {0};
    size_t cut;
    if (!full) {
        c->oom = true;
        return NULL;
    }
    cut = llmt_uri_strip_fragment_len(full);
    frag = full[cut] ? full + cut + 1 : "";
    full[cut] = '\0';
    root = json_object_get(c->s->anchors, full);
    if (!root) {
        json_t *doc = registry_doc(c, full);
        if (doc && index_document(c, doc, full, from->draft))
            root = doc;
    }
    if (root && !*frag) {
        target = root;
    } else if (root && *frag == '/') {
        target = follow_pointer(root, frag);
    } else if (root) {
        full[cut] = '#';
        target = json_object_get(c->s->anchors, full);
    }
    if (target && !(n = llmt_node_find(&c->s->map, target))) {
        /* a pointer into a place no keyword makes a schema (an unknown keyword) */
        const snode *res = llmt_node_find(&c->s->map, root);
        const char *base = keep_string(c, llmt_asprintf("%.*s", (int)cut, full));
        llmt_buf_puts(&where, ref);
        n = index_node(c, target, base, res ? res->draft : from->draft,
                       res ? res->validation_vocab : true, &where);
        llmt_buf_free(&where);
    }
    if (!n && !c->oom)
        cerr(c, from, "$ref", "$ref \"%s\" does not resolve to a schema in this document or the registry "
             "(nothing is fetched from the network)", ref);
    free(full);
    return n;
}

/* ---- keywords ----------------------------------------------------------------------- */

static snode *child(cctx *c, snode *n, const char *kw, const json_t *v)
{
    snode *k;
    if (!json_is_object(v) && !json_is_boolean(v)) {
        cerr(c, n, kw, "expected a schema (an object or true/false), got %s", llmt_json_type_name(v));
        return NULL;
    }
    k = llmt_node_find(&c->s->map, v);
    if (!k)
        cerr(c, n, kw, "schema not indexed"); /* cannot happen: indexing saw it */
    return k;
}

static void child_list(cctx *c, snode *n, const char *kw, const json_t *v, snode_list *out, bool nonempty)
{
    size_t i;
    if (!json_is_array(v) || (nonempty && json_array_size(v) == 0)) {
        cerr(c, n, kw, "%s must be a%s array of schemas", kw, nonempty ? " non-empty" : "n");
        return;
    }
    out->v = calloc(json_array_size(v) + 1, sizeof(*out->v));
    if (!out->v) {
        c->oom = true;
        return;
    }
    for (i = 0; i < json_array_size(v); i++)
        if ((out->v[out->n] = child(c, n, kw, json_array_get(v, i))))
            out->n++;
}

static long count(cctx *c, snode *n, const char *kw, const json_t *v)
{
    double d = json_number_value(v);
    if (!json_is_number(v) || d < 0 || floor(d) != d) {
        cerr(c, n, kw, "%s must be an integer >= 0, got %s", kw,
             json_is_number(v) ? "a negative or fractional number" : llmt_json_type_name(v));
        return -1;
    }
    return d > (double)LONG_MAX ? LONG_MAX : (long)d;
}

unsigned llmt_type_bit(const char *t)
{
    static const char *const names[] = {"null", "boolean", "object", "array", "number", "integer", "string"};
    unsigned i;
    for (i = 0; i < 7; i++)
        if (strcmp(t, names[i]) == 0)
            return 1u << i;
    return 0;
}

static void compile_type(cctx *c, snode *n, const json_t *v)
{
    size_t i;
    json_t *t;
    n->type_json = v;
    if (json_is_string(v)) {
        n->types = llmt_type_bit(json_string_value(v));
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, t) n->types |= json_is_string(t) ? llmt_type_bit(json_string_value(t)) : 0;
    }
    if (json_is_string(v) && !n->types)
        cerr(c, n, "type", "unknown type \"%s\"", json_string_value(v));
    else if (!n->types)
        cerr(c, n, "type", "type must be a type name (null, boolean, object, array, number, integer, "
                          "string) or an array of them");
}

static llmt_regex *regex(cctx *c, snode *n, const char *kw, const json_t *v)
{
    char *err = NULL;
    llmt_regex *re;
    if (!json_is_string(v)) {
        cerr(c, n, kw, "%s must be a string (a regular expression), got %s", kw, llmt_json_type_name(v));
        return NULL;
    }
    re = llmt_regex_compile(json_string_value(v), json_string_length(v), &err);
    if (!re)
        cerr(c, n, kw, "%s \"%s\": %s", kw, json_string_value(v), err ? err : "invalid");
    free(err);
    return re;
}

static void compile_object_kws(cctx *c, snode *n, const json_t *j)
{
    json_t *v, *item;
    const char *k;
    size_t i;
    if ((v = json_object_get(j, "properties"))) {
        if (!json_is_object(v))
            cerr(c, n, "properties", "properties must be an object of schemas");
        else
            n->properties = v;
        json_object_foreach(n->properties ? v : NULL, k, item) child(c, n, "properties", item);
    }
    if ((v = json_object_get(j, "patternProperties"))) {
        if (!json_is_object(v) || !(n->pattern_props = calloc(json_object_size(v) + 1, sizeof(*n->pattern_props)))) {
            cerr(c, n, "patternProperties", "patternProperties must be an object of schemas");
        } else {
            json_object_foreach(v, k, item) {
                pattern_schema *ps = &n->pattern_props[n->n_pattern_props];
                json_t *key = json_stringn(k, json_object_iter_key_len(json_object_key_to_iter(k)));
                ps->re = regex(c, n, "patternProperties", key);
                json_decref(key);
                ps->schema = child(c, n, "patternProperties", item);
                if (ps->re)
                    n->n_pattern_props++;
            }
        }
    }
    if ((v = json_object_get(j, "additionalProperties")))
        n->additional_props = child(c, n, "additionalProperties", v);
    if ((v = json_object_get(j, "propertyNames")))
        n->property_names = child(c, n, "propertyNames", v);
    if (n->draft == DRAFT_2020 && (v = json_object_get(j, "unevaluatedProperties")))
        c->s->has_unevaluated = (n->unevaluated_props = child(c, n, "unevaluatedProperties", v)) != NULL;
    if (n->draft == DRAFT_2020 && (v = json_object_get(j, "dependentSchemas"))) {
        if (!json_is_object(v) || !(n->dep_schemas = calloc(json_object_size(v) + 1, sizeof(*n->dep_schemas)))) {
            cerr(c, n, "dependentSchemas", "dependentSchemas must be an object of schemas");
        } else {
            json_object_foreach(v, k, item) {
                dep_schema *d = &n->dep_schemas[n->n_dep_schemas];
                d->name = k;
                d->name_len = json_object_iter_key_len(json_object_key_to_iter(k));
                if ((d->schema = child(c, n, "dependentSchemas", item)))
                    n->n_dep_schemas++;
            }
        }
    }
    if (n->draft == DRAFT_7 && (v = json_object_get(j, "dependencies")) && json_is_object(v)) {
        n->dep_schemas = calloc(json_object_size(v) + 1, sizeof(*n->dep_schemas));
        n->dep_req = calloc(json_object_size(v) + 1, sizeof(*n->dep_req));
        if (!n->dep_schemas || !n->dep_req) {
            c->oom = true;
            return;
        }
        json_object_foreach(v, k, item) {
            size_t kl = json_object_iter_key_len(json_object_key_to_iter(k));
            if (json_is_array(item)) {
                n->dep_req[n->n_dep_req].name = k;
                n->dep_req[n->n_dep_req].name_len = kl;
                n->dep_req[n->n_dep_req++].names = item;
            } else if ((n->dep_schemas[n->n_dep_schemas].schema = child(c, n, "dependencies", item))) {
                n->dep_schemas[n->n_dep_schemas].name = k;
                n->dep_schemas[n->n_dep_schemas++].name_len = kl;
            }
        }
    }
    (void)i;
}

static void compile_array_kws(cctx *c, snode *n, const json_t *j)
{
    json_t *v = json_object_get(j, "items");
    if (n->draft == DRAFT_2020) {
        if ((v = json_object_get(j, "prefixItems")))
            child_list(c, n, "prefixItems", v, &n->prefix_items, true);
        v = json_object_get(j, "items");
        if (json_is_array(v)) /* the draft 2019-09 form, still met in the wild */
            child_list(c, n, "items", v, &n->prefix_items, false);
        else if (v)
            n->items = child(c, n, "items", v);
        if ((v = json_object_get(j, "unevaluatedItems")))
            c->s->has_unevaluated = (n->unevaluated_items = child(c, n, "unevaluatedItems", v)) != NULL;
        if (n->validation_vocab && (v = json_object_get(j, "minContains")))
            n->min_contains = count(c, n, "minContains", v);
        if (n->validation_vocab && (v = json_object_get(j, "maxContains")))
            n->max_contains = count(c, n, "maxContains", v);
    } else if (json_is_array(v)) {
        child_list(c, n, "items", v, &n->prefix_items, false);
        if ((v = json_object_get(j, "additionalItems")))
            n->items = child(c, n, "additionalItems", v);
    } else if (v) {
        n->items = child(c, n, "items", v);
    }
    if ((v = json_object_get(j, "contains")))
        n->contains = child(c, n, "contains", v);
}

static void compile_validation_kws(cctx *c, snode *n, const json_t *j)
{
    static const char *const counts[] = {"minProperties", "maxProperties", "minItems", "maxItems",
                                         "minLength", "maxLength", NULL};
    long *slots[6];
    static const char *const limits[] = {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", NULL};
    const json_t **lslots[4];
    json_t *v;
    size_t i;
    slots[0] = &n->min_props, slots[1] = &n->max_props, slots[2] = &n->min_items;
    slots[3] = &n->max_items, slots[4] = &n->min_length, slots[5] = &n->max_length;
    lslots[0] = &n->minimum, lslots[1] = &n->maximum, lslots[2] = &n->ex_minimum, lslots[3] = &n->ex_maximum;
    if ((v = json_object_get(j, "type")))
        compile_type(c, n, v);
    if ((v = json_object_get(j, "enum"))) {
        if (!json_is_array(v))
            cerr(c, n, "enum", "enum must be an array, got %s", llmt_json_type_name(v));
        else
            n->enum_json = v;
    }
    n->const_json = json_object_get(j, "const");
    for (i = 0; counts[i]; i++)
        if ((v = json_object_get(j, counts[i])))
            *slots[i] = count(c, n, counts[i], v);
    for (i = 0; limits[i]; i++) {
        if (!(v = json_object_get(j, limits[i])))
            continue;
        if (json_is_number(v))
            *lslots[i] = v;
        else
            cerr(c, n, limits[i], "%s must be a number, got %s", limits[i], llmt_json_type_name(v));
    }
    if ((v = json_object_get(j, "multipleOf"))) {
        if (!json_is_number(v) || json_number_value(v) <= 0)
            cerr(c, n, "multipleOf", "multipleOf must be a number > 0");
        else
            n->multiple_of = v;
    }
    if ((v = json_object_get(j, "uniqueItems"))) {
        if (!json_is_boolean(v))
            cerr(c, n, "uniqueItems", "uniqueItems must be true or false, got %s", llmt_json_type_name(v));
        n->unique_items = json_is_true(v);
    }
    if ((v = json_object_get(j, "required"))) {
        json_t *item;
        if (!json_is_array(v))
            cerr(c, n, "required", "required must be an array of property names, got %s", llmt_json_type_name(v));
        json_array_foreach(json_is_array(v) ? v : NULL, i, item) {
            if (!json_is_string(item)) {
                char *at = llmt_asprintf("required/%zu", i);
                cerr(c, n, at, "expected a property name, got %s", llmt_json_type_name(item));
                free(at);
            }
        }
        n->required = json_is_array(v) ? v : NULL;
    }
    if (n->draft == DRAFT_2020 && (v = json_object_get(j, "dependentRequired")) && json_is_object(v)) {
        const char *k;
        json_t *item;
        if (!(n->dep_req = calloc(json_object_size(v) + 1, sizeof(*n->dep_req)))) {
            c->oom = true;
            return;
        }
        json_object_foreach(v, k, item) {
            if (!json_is_array(item)) {
                cerr(c, n, "dependentRequired", "dependentRequired: \"%s\" must be an array of property names", k);
                continue;
            }
            n->dep_req[n->n_dep_req].name = k;
            n->dep_req[n->n_dep_req].name_len = json_object_iter_key_len(json_object_key_to_iter(k));
            n->dep_req[n->n_dep_req++].names = item;
        }
    }
    if ((v = json_object_get(j, "pattern"))) {
        n->pattern = regex(c, n, "pattern", v);
        n->pattern_text = json_string_value(v);
    }
}

static void compile_format(cctx *c, snode *n, const json_t *v)
{
    if (!json_is_string(v)) {
        cerr(c, n, "format", "format must be a string, got %s", llmt_json_type_name(v));
        return;
    }
    n->format_name = json_string_value(v);
    if (c->opts->formats_as_annotations)
        return;
    n->format = llmt_format_lookup(n->format_name);
    if (!n->format)
        warn_once(c, n, "format", "format", n->format_name);
}

static bool known_keyword(const char *kw)
{
    static const char *const known[] = {
        "$schema", "$id", "$anchor", "$dynamicAnchor", "$dynamicRef", "$ref", "$defs", "definitions",
        "$comment", "$vocabulary", "title", "description", "default", "examples", "deprecated",
        "readOnly", "writeOnly", "contentMediaType", "contentEncoding", "contentSchema", "type",
        "enum", "const", "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "properties",
        "patternProperties", "additionalProperties", "propertyNames", "unevaluatedProperties",
        "required", "dependentRequired", "dependentSchemas", "dependencies", "minProperties",
        "maxProperties", "items", "prefixItems", "additionalItems", "unevaluatedItems", "contains",
        "minContains", "maxContains", "minItems", "maxItems", "uniqueItems", "minimum", "maximum",
        "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength", "maxLength", "pattern",
        "format", "discriminator", "$recursiveRef", "$recursiveAnchor", NULL};
    size_t i;
    for (i = 0; known[i]; i++)
        if (strcmp(kw, known[i]) == 0)
            return true;
    return false;
}

static void compile_refs(cctx *c, snode *n, const json_t *j)
{
    json_t *v;
    if ((v = json_object_get(j, "$ref"))) {
        if (!json_is_string(v))
            cerr(c, n, "$ref", "$ref must be a string, got %s", llmt_json_type_name(v));
        else if ((n->ref = resolve(c, n, json_string_value(v))))
            n->ref_text = json_string_value(v);
    }
    if (n->draft == DRAFT_2020 && (v = json_object_get(j, "$dynamicRef"))) {
        const char *ref = json_string_value(v), *hash;
        if (!ref) {
            cerr(c, n, "$dynamicRef", "$dynamicRef must be a string, got %s", llmt_json_type_name(v));
            return;
        }
        n->dynref = resolve(c, n, ref);
        hash = strchr(ref, '#');
        /* dynamic only when the first target has the same $dynamicAnchor ("bookending") */
        if (n->dynref && hash && hash[1] && hash[1] != '/' && json_is_object(n->dynref->json) &&
            json_is_string(json_object_get(n->dynref->json, "$dynamicAnchor")) &&
            strcmp(json_string_value(json_object_get(n->dynref->json, "$dynamicAnchor")), hash + 1) == 0)
            n->dynref_anchor = hash + 1;
        if (n->dynref && !n->ref_text)
            n->ref_text = ref;
    }
    if ((v = json_object_get(j, "$recursiveRef"))) { /* draft 2019-09, met in the wild */
        if (!json_is_string(v)) {
            cerr(c, n, "$recursiveRef", "$recursiveRef must be a string, got %s", llmt_json_type_name(v));
            return;
        }
        n->dynref = resolve(c, n, json_string_value(v));
        n->recursive_ref = n->dynref && json_is_true(json_object_get(n->dynref->json, "$recursiveAnchor"));
        if (n->dynref && !n->ref_text)
            n->ref_text = json_string_value(v);
    }
}

static void compile_node(cctx *c, snode *n)
{
    const json_t *j = n->json;
    const char *kw;
    json_t *v;
    if (n->boolean >= 0)
        return;
    if (!json_is_object(j)) {
        cerr(c, n, NULL, "expected a schema (an object or true/false), got %s", llmt_json_type_name(j));
        return;
    }
    compile_refs(c, n, j);
    if (n->draft == DRAFT_7 && n->ref)
        return; /* draft-07: $ref's siblings are ignored */
    if ((v = json_object_get(j, "allOf")))
        child_list(c, n, "allOf", v, &n->all_of, true);
    if ((v = json_object_get(j, "anyOf")))
        child_list(c, n, "anyOf", v, &n->any_of, true);
    if ((v = json_object_get(j, "oneOf")))
        child_list(c, n, "oneOf", v, &n->one_of, true);
    if ((v = json_object_get(j, "not")))
        n->not_ = child(c, n, "not", v);
    if ((v = json_object_get(j, "if"))) {
        n->if_ = child(c, n, "if", v);
        if ((v = json_object_get(j, "then")))
            n->then_ = child(c, n, "then", v);
        if ((v = json_object_get(j, "else")))
            n->else_ = child(c, n, "else", v);
    }
    compile_object_kws(c, n, j);
    compile_array_kws(c, n, j);
    if (n->validation_vocab)
        compile_validation_kws(c, n, j);
    if ((v = json_object_get(j, "format")))
        compile_format(c, n, v);
    json_object_foreach((json_t *)j, kw, v) {
        if (!known_keyword(kw))
            warn_once(c, n, kw, "keyword", kw);
    }
}

/* ---- entry points ------------------------------------------------------------------- */

static void node_free(snode *n)
{
    size_t i;
    for (i = 0; i < n->n_pattern_props; i++)
        llmt_regex_free(n->pattern_props[i].re);
    free(n->pattern_props);
    llmt_regex_free(n->pattern);
    free(n->all_of.v);
    free(n->any_of.v);
    free(n->one_of.v);
    free(n->prefix_items.v);
    free(n->dep_req);
    free(n->dep_schemas);
    free(n);
}

void llmt_schema_free(llmt_schema *s)
{
    size_t i;
    if (!s)
        return;
    for (i = 0; i < s->n_nodes; i++)
        node_free(s->nodes[i]);
    for (i = 0; i < s->n_strings; i++)
        free(s->strings[i]);
    free(s->strings);
    free(s->nodes);
    free(s->map.keys);
    free(s->map.vals);
    json_decref(s->docs);
    json_decref(s->anchors);
    json_decref(s->dyn_anchors);
    json_decref(s->root);
    free(s->file);
    free(s);
}

/* The URI a document without $id is known by: it must not collide with registry URIs. */
#define ROOT_URI "urn:llm-tester:schema"

llmt_schema *llmt_schema_compile_opts(const json_t *schema, const char *file,
                                      const llmt_schema_options *opts, llmt_diags *diags)
{
    static const llmt_schema_options defaults = LLMT_SCHEMA_OPTIONS_INIT;
    cctx c;
    size_t i;
    memset(&c, 0, sizeof c);
    c.opts = opts ? opts : &defaults;
    c.file = file ? file : "schema";
    c.diags = diags;
    if (c.opts->version != LLMT_SCHEMA_OPTIONS_VERSION) {
        llmt_diags_add(diags, LLMT_DIAG_ERROR, c.file, "", "schema options version %u is not %u",
                       c.opts->version, LLMT_SCHEMA_OPTIONS_VERSION);
        return NULL;
    }
    if (!schema || (!json_is_object(schema) && !json_is_boolean(schema))) {
        llmt_diags_add(diags, LLMT_DIAG_ERROR, c.file, "", "a schema must be an object (or true/false), got %s",
                       schema ? llmt_json_type_name(schema) : "nothing");
        return NULL;
    }
    c.s = calloc(1, sizeof(*c.s));
    c.warned = json_object();
    if (!c.s || !c.warned || !(c.s->docs = json_object()) || !(c.s->anchors = json_object()) ||
        !(c.s->dyn_anchors = json_object()))
        goto fail;
    c.s->root = json_incref((json_t *)schema);
    c.s->file = llmt_strdup(c.file);
    c.s->root_node = index_document(&c, schema, ROOT_URI, c.opts->default_draft == LLMT_SCHEMA_DRAFT_7 ? DRAFT_7 : DRAFT_2020);
    /* nodes grow while refs pull in registry documents and unindexed targets */
    for (i = 0; i < c.s->n_nodes && !c.oom; i++)
        compile_node(&c, c.s->nodes[i]);
    if (c.oom)
        llmt_diags_add(diags, LLMT_DIAG_ERROR, c.file, "", "out of memory while compiling the schema");
    if (c.errors || c.oom || !c.s->root_node || !c.s->file)
        goto fail;
    json_decref(c.warned);
    return c.s;
fail:
    json_decref(c.warned);
    llmt_schema_free(c.s);
    return NULL;
}

llmt_schema *llmt_schema_compile(const json_t *schema, const char *file, llmt_diags *diags)
{
    return llmt_schema_compile_opts(schema, file, NULL, diags);
}
