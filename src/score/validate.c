/* JSON Schema validation (see validate.h) over the nodes validate_compile.c builds.
 *
 * check() applies one node to one value and returns how many violations it found,
 * appending them to `out` when that is not NULL (with NULL it may stop at the first).
 * For unevaluatedItems / unevaluatedProperties each application also marks which
 * members or items its keywords evaluated (an `evalset`), only when the schema has such
 * a keyword; marks of failing subschemas are dropped, as the specification's
 * annotation rules say. */
#include "score/validate_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/jcheck.h"
#include "core/jsonutil.h"
#include "core/util.h"

/* Beyond this many nested schema applications (a $ref loop that never descends into the
 * instance, or an absurdly deep document) validation stops with a violation. */
#define MAX_DEPTH 512
/* Total schema applications allowed per validation: alternatives inside alternatives
 * can multiply work; past this budget validation stops with a violation. */
#define MAX_STEPS 20000000

typedef struct ref_frame {
    const snode *schema;
    const json_t *inst;
} ref_frame;

typedef struct vctx {
    const llmt_schema *s;
    llmt_buf path; /* instance pointer */
    int depth;
    size_t steps;
    bool budget_reported;
    ref_frame *refs; /* $ref targets being applied, with their instance */
    size_t n_refs, cap_refs;
    const char **scope; /* dynamic scope: resource URIs entered, outermost first */
    size_t n_scope, cap_scope;
} vctx;

/* Which members (by iteration position) or items of the current value were evaluated. */
typedef struct evalset {
    unsigned char *m;
    size_t n;
} evalset;

static bool ev_init(evalset *e, const json_t *inst)
{
    e->n = json_is_object(inst) ? json_object_size(inst) : json_array_size(inst);
    e->m = calloc(e->n + 1, 1);
    return e->m != NULL;
}

static void ev_merge(evalset *into, const evalset *from)
{
    size_t i;
    if (!into || !into->m || !from || !from->m)
        return;
    for (i = 0; i < into->n && i < from->n; i++)
        into->m[i] |= from->m[i];
}

static void ev_mark(evalset *e, size_t i)
{
    if (e && e->m && i < e->n)
        e->m[i] = 1;
}

/* Appends one violation to `out` (when not NULL); returns 1. */
static size_t violation(vctx *c, json_t *out, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
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

static unsigned type_of(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_NULL:
        return T_NULL;
    case JSON_TRUE:
    case JSON_FALSE:
        return T_BOOLEAN;
    case JSON_OBJECT:
        return T_OBJECT;
    case JSON_ARRAY:
        return T_ARRAY;
    case JSON_STRING:
        return T_STRING;
    case JSON_INTEGER:
        return T_NUMBER | T_INTEGER;
    case JSON_REAL: {
        double d = json_real_value(v);
        return isfinite(d) && floor(d) == d ? T_NUMBER | T_INTEGER : T_NUMBER;
    }
    }
    return 0;
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

static size_t check(vctx *c, const snode *sch, const json_t *inst, json_t *out, evalset *ev);

static size_t utf8_len(const char *s, size_t n)
{
    size_t i, k = 0;
    for (i = 0; i < n; i++)
        k += ((unsigned char)s[i] & 0xC0) != 0x80;
    return k;
}

/* The type keyword a schema states plainly, through $refs (for anyOf messages). */
static const json_t *plain_type(const snode *n)
{
    int hops = 0;
    while (n && n->boolean < 0 && hops++ < 16) {
        if (n->type_json)
            return n->type_json;
        n = n->ref;
    }
    return NULL;
}

static unsigned types_mask(const json_t *t)
{
    size_t i;
    json_t *name;
    unsigned m = 0;
    if (json_is_string(t))
        return llmt_type_bit(json_string_value(t));
    json_array_foreach(t, i, name) m |= json_is_string(name) ? llmt_type_bit(json_string_value(name)) : 0;
    return m;
}

static void append_all(json_t *out, json_t *from, size_t *added)
{
    size_t k;
    json_t *v;
    json_array_foreach(from, k, v) {
        json_array_append(out, v);
        (*added)++;
    }
}

/* Explains an anyOf/oneOf that no alternative fits: the one alternative of the value's
 * type when there is exactly one (Optional[Model] and friends), "expected X or Y" when
 * every alternative only names types, and otherwise the first violation of each. */
static size_t explain_none(vctx *c, const char *kw, const snode_list *alts, const json_t *inst,
                           json_t **branch, json_t *out)
{
    size_t i, added = 0, type_ok = 0, type_ok_idx = 0;
    bool all_typed = true;
    llmt_buf types = {0};
    for (i = 0; i < alts->n; i++) {
        const json_t *t = plain_type(alts->v[i]);
        if (!t) {
            all_typed = false;
            continue;
        }
        if (type_of(inst) & types_mask(t)) {
            type_ok++;
            type_ok_idx = i;
        }
        if (types.len)
            llmt_buf_puts(&types, i + 1 == alts->n ? " or " : ", ");
        describe_types(&types, t);
    }
    if (type_ok == 1 && json_array_size(branch[type_ok_idx]) > 0) {
        append_all(out, branch[type_ok_idx], &added);
    } else if (all_typed && type_ok == 0 && types.data) {
        added = violation(c, out, "expected %s, got %s", types.data, llmt_json_type_name(inst));
    } else {
        added = violation(c, out, "matches none of the %s alternatives", kw);
        for (i = 0; i < alts->n; i++) {
            const char *first = json_string_value(json_array_get(branch[i], 0));
            if (first) {
                json_array_append_new(out, json_sprintf("%s (%s alternative %zu)", first, kw, i));
                added++;
            }
        }
    }
    llmt_buf_free(&types);
    return added;
}

/* anyOf / oneOf. The verdict comes from a run without messages (the usual case is
 * that an alternative fits, and failing alternatives' messages cost more than the
 * checks); only when the keyword fails are the alternatives run again for messages. */
static size_t check_alternatives(vctx *c, const char *kw, const snode_list *alts, const json_t *inst,
                                 json_t *out, evalset *ev)
{
    bool one = kw[0] == 'o';
    size_t i, matches = 0, added;
    json_t **branch;
    for (i = 0; i < alts->n; i++) {
        evalset mine = {0};
        if (ev && !ev_init(&mine, inst))
            ev = NULL;
        if (check(c, alts->v[i], inst, NULL, ev ? &mine : NULL) == 0) {
            matches++;
            ev_merge(ev, &mine);
        }
        free(mine.m);
        /* without annotations to collect, the verdict is known early */
        if (!ev && ((!one && matches) || (one && matches > 1)))
            break;
    }
    if (one ? matches == 1 : matches > 0)
        return 0;
    if (one && matches > 1)
        return violation(c, out, "matches %zu of the oneOf alternatives; exactly one is allowed", matches);
    if (!out)
        return 1;
    branch = calloc(alts->n + 1, sizeof(*branch));
    if (!branch)
        return violation(c, out, "out of memory while validating");
    for (i = 0; i < alts->n; i++) {
        branch[i] = json_array();
        check(c, alts->v[i], inst, branch[i], NULL);
    }
    added = explain_none(c, kw, alts, inst, branch, out);
    for (i = 0; i < alts->n; i++)
        json_decref(branch[i]);
    free(branch);
    return added;
}

static size_t check_key_name(vctx *c, const snode *names, const char *key, size_t klen, json_t *out)
{
    json_t *k = json_stringn(key, klen);
    json_t *scratch = out ? json_array() : NULL;
    size_t n = 0;
    if (k && check(c, names, k, scratch, NULL)) {
        const char *first = json_string_value(json_array_get(scratch, 0));
        n = violation(c, out, "property name is not allowed (propertyNames)%s%s", first ? ": " : "",
                      first ? first : "");
    }
    json_decref(k);
    json_decref(scratch);
    return n;
}

static size_t check_object(vctx *c, const snode *sch, const json_t *inst, json_t *out, evalset *ev)
{
    const char *key;
    size_t klen, n = 0, i = 0, j;
    json_t *v, *name;
    json_array_foreach(sch->required, j, name) {
        if (!json_object_getn(inst, json_string_value(name), json_string_length(name))) {
            size_t mark = llmt_jptr_push(&c->path, json_string_value(name), json_string_length(name));
            n += violation(c, out, "required property missing");
            llmt_jptr_pop(&c->path, mark);
        }
    }
    for (j = 0; j < sch->n_dep_req; j++) {
        size_t k;
        if (!json_object_getn(inst, sch->dep_req[j].name, sch->dep_req[j].name_len))
            continue;
        json_array_foreach(sch->dep_req[j].names, k, name) {
            if (json_is_string(name) && !json_object_getn(inst, json_string_value(name), json_string_length(name)))
                n += violation(c, out, "property \"%s\" is required when \"%s\" is present",
                               json_string_value(name), sch->dep_req[j].name);
        }
    }
    for (j = 0; j < sch->n_dep_schemas; j++)
        if (json_object_getn(inst, sch->dep_schemas[j].name, sch->dep_schemas[j].name_len))
            n += check(c, sch->dep_schemas[j].schema, inst, out, ev);
    if (sch->min_props >= 0 && json_object_size(inst) < (size_t)sch->min_props)
        n += violation(c, out, "fewer than %ld properties (got %zu)", sch->min_props, json_object_size(inst));
    if (sch->max_props >= 0 && json_object_size(inst) > (size_t)sch->max_props)
        n += violation(c, out, "more than %ld properties (got %zu)", sch->max_props, json_object_size(inst));
    if (!sch->properties && !sch->n_pattern_props && !sch->additional_props && !sch->property_names)
        return n;
    json_object_keylen_foreach((json_t *)inst, key, klen, v) {
        json_t *ps = sch->properties ? json_object_getn(sch->properties, key, klen) : NULL;
        bool matched = ps != NULL;
        size_t mark = llmt_jptr_push(&c->path, key, klen);
        if (ps)
            n += check(c, llmt_node_find(&c->s->map, ps), v, out, NULL);
        for (j = 0; j < sch->n_pattern_props; j++) {
            int m = llmt_regex_search(sch->pattern_props[j].re, key, klen);
            if (m < 0)
                n += violation(c, out, "the patternProperties expression gave up on this name (too much work)");
            if (m > 0) {
                matched = true;
                n += check(c, sch->pattern_props[j].schema, v, out, NULL);
            }
        }
        if (!matched && sch->additional_props) {
            matched = true;
            if (sch->additional_props->boolean == 0)
                n += violation(c, out, "property not allowed (additionalProperties is false)");
            else
                n += check(c, sch->additional_props, v, out, NULL);
        }
        if (sch->property_names)
            n += check_key_name(c, sch->property_names, key, klen, out);
        llmt_jptr_pop(&c->path, mark);
        if (matched)
            ev_mark(ev, i);
        i++;
        if (!out && n)
            return n;
    }
    return n;
}

static size_t check_contains(vctx *c, const snode *sch, const json_t *inst, json_t *out, evalset *ev)
{
    size_t i, found = 0, size = json_array_size(inst);
    long min = sch->min_contains >= 0 ? sch->min_contains : 1;
    for (i = 0; i < size; i++) {
        if (check(c, sch->contains, json_array_get(inst, i), NULL, NULL) == 0) {
            found++;
            ev_mark(ev, i);
        }
    }
    if (found < (size_t)min)
        return min == 1 ? violation(c, out, "no item matches the contains schema")
                        : violation(c, out, "fewer than %ld items match the contains schema (got %zu)", min, found);
    if (sch->max_contains >= 0 && found > (size_t)sch->max_contains)
        return violation(c, out, "more than %ld items match the contains schema (got %zu)", sch->max_contains,
                         found);
    return 0;
}

static size_t check_array(vctx *c, const snode *sch, const json_t *inst, json_t *out, evalset *ev)
{
    size_t n = 0, i, size = json_array_size(inst);
    for (i = 0; i < size && (i < sch->prefix_items.n || sch->items); i++) {
        const snode *s = i < sch->prefix_items.n ? sch->prefix_items.v[i] : sch->items;
        size_t mark = llmt_jptr_push_index(&c->path, i);
        if (s->boolean == 0 && i >= sch->prefix_items.n)
            n += violation(c, out, "no item is allowed at this position (items is false)");
        else
            n += check(c, s, json_array_get(inst, i), out, NULL);
        llmt_jptr_pop(&c->path, mark);
        ev_mark(ev, i);
        if (!out && n)
            return n;
    }
    if (sch->contains)
        n += check_contains(c, sch, inst, out, ev);
    if (sch->min_items >= 0 && size < (size_t)sch->min_items)
        n += violation(c, out, "fewer than %ld items (got %zu)", sch->min_items, size);
    if (sch->max_items >= 0 && size > (size_t)sch->max_items)
        n += violation(c, out, "more than %ld items (got %zu)", sch->max_items, size);
    if (sch->unique_items) {
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

static bool is_multiple(const json_t *x, const json_t *m)
{
    double q;
    if (json_is_integer(x) && json_is_integer(m))
        return json_integer_value(x) % json_integer_value(m) == 0;
    q = json_number_value(x) / json_number_value(m);
    if (!isfinite(q)) /* the quotient overflows: the remainder still says it exactly */
        return fmod(json_number_value(x), json_number_value(m)) == 0;
    return fabs(q - nearbyint(q)) <= 1e-9 * fmax(1.0, fabs(q));
}

static size_t check_number(vctx *c, const snode *sch, const json_t *inst, json_t *out)
{
    double x = json_number_value(inst);
    size_t n = 0;
    if (sch->minimum && llmt_json_number_cmp(inst, sch->minimum) < 0)
        n += violation(c, out, "%g is less than the minimum %g", x, json_number_value(sch->minimum));
    if (sch->maximum && llmt_json_number_cmp(inst, sch->maximum) > 0)
        n += violation(c, out, "%g is greater than the maximum %g", x, json_number_value(sch->maximum));
    if (sch->ex_minimum && llmt_json_number_cmp(inst, sch->ex_minimum) <= 0)
        n += violation(c, out, "%g must be greater than %g", x, json_number_value(sch->ex_minimum));
    if (sch->ex_maximum && llmt_json_number_cmp(inst, sch->ex_maximum) >= 0)
        n += violation(c, out, "%g must be less than %g", x, json_number_value(sch->ex_maximum));
    if (sch->multiple_of && !is_multiple(inst, sch->multiple_of))
        n += violation(c, out, "%g is not a multiple of %g", x, json_number_value(sch->multiple_of));
    return n;
}

static size_t check_string(vctx *c, const snode *sch, const json_t *inst, json_t *out)
{
    const char *s = json_string_value(inst);
    size_t bytes = json_string_length(inst), len, n = 0;
    if (sch->min_length >= 0 || sch->max_length >= 0) {
        len = utf8_len(s, bytes);
        if (sch->min_length >= 0 && len < (size_t)sch->min_length)
            n += violation(c, out, "shorter than %ld characters (got %zu)", sch->min_length, len);
        if (sch->max_length >= 0 && len > (size_t)sch->max_length)
            n += violation(c, out, "longer than %ld characters (got %zu)", sch->max_length, len);
    }
    if (sch->pattern) {
        int m = llmt_regex_search(sch->pattern, s, bytes);
        char *b = m <= 0 && out ? brief(inst) : NULL;
        if (m == 0)
            n += violation(c, out, "%s does not match the pattern %s", b ? b : "value", sch->pattern_text);
        else if (m < 0)
            n += violation(c, out, "%s: the pattern %s gave up (too much work)", b ? b : "value", sch->pattern_text);
        free(b);
    }
    if (sch->format && (memchr(s, '\0', bytes) || !sch->format(s, bytes))) {
        char *b = out ? brief(inst) : NULL;
        n += violation(c, out, "%s is not a valid %s", b ? b : "value", sch->format_name);
        free(b);
    }
    return n;
}

static size_t check_unevaluated(vctx *c, const snode *sch, const json_t *inst, json_t *out, evalset *mine)
{
    size_t n = 0, i = 0;
    if (json_is_object(inst) && sch->unevaluated_props) {
        const char *key;
        size_t klen;
        json_t *v;
        json_object_keylen_foreach((json_t *)inst, key, klen, v) {
            if (!mine->m[i]) {
                size_t mark = llmt_jptr_push(&c->path, key, klen);
                if (sch->unevaluated_props->boolean == 0)
                    n += violation(c, out, "property not allowed (unevaluatedProperties is false)");
                else
                    n += check(c, sch->unevaluated_props, v, out, NULL);
                llmt_jptr_pop(&c->path, mark);
                mine->m[i] = 1;
            }
            i++;
        }
    } else if (json_is_array(inst) && sch->unevaluated_items) {
        for (i = 0; i < json_array_size(inst); i++) {
            if (!mine->m[i]) {
                size_t mark = llmt_jptr_push_index(&c->path, i);
                if (sch->unevaluated_items->boolean == 0)
                    n += violation(c, out, "item not allowed (unevaluatedItems is false)");
                else
                    n += check(c, sch->unevaluated_items, json_array_get(inst, i), out, NULL);
                llmt_jptr_pop(&c->path, mark);
                mine->m[i] = 1;
            }
        }
    }
    return n;
}

/* The node a $dynamicRef lands on: the outermost resource in the dynamic scope that has
 * the anchor, else its static target. */
static const snode *dynamic_target(vctx *c, const snode *sch)
{
    size_t i;
    if (sch->recursive_ref) { /* the outermost resource that is a $recursiveAnchor too */
        for (i = 0; i < c->n_scope; i++) {
            json_t *j = json_object_get(c->s->anchors, c->scope[i]);
            if (json_is_true(json_object_get(j, "$recursiveAnchor")))
                return llmt_node_find(&c->s->map, j);
        }
    }
    if (!sch->dynref_anchor)
        return sch->dynref;
    for (i = 0; i < c->n_scope; i++) {
        char *key = llmt_asprintf("%s#%s", c->scope[i], sch->dynref_anchor);
        json_t *j = key ? json_object_get(c->s->dyn_anchors, key) : NULL;
        free(key);
        if (j)
            return llmt_node_find(&c->s->map, j);
    }
    return sch->dynref;
}

static size_t check_ref(vctx *c, const snode *target, const char *text, const json_t *inst, json_t *out,
                        evalset *ev)
{
    size_t i, n;
    /* the same target applied to the same value again, still on the stack, is a cycle
     * that makes no progress through the instance: it can only repeat itself */
    for (i = 0; i < c->n_refs; i++)
        if (c->refs[i].schema == target && c->refs[i].inst == inst)
            return violation(c, out, "$ref \"%s\" loops without reaching a check", text ? text : "");
    if (c->n_refs == c->cap_refs) {
        size_t nc = c->cap_refs ? c->cap_refs * 2 : 16;
        ref_frame *nr = realloc(c->refs, nc * sizeof(*nr));
        if (!nr)
            return violation(c, out, "out of memory while validating");
        c->refs = nr;
        c->cap_refs = nc;
    }
    c->refs[c->n_refs].schema = target;
    c->refs[c->n_refs].inst = inst;
    c->n_refs++;
    n = check(c, target, inst, out, ev);
    c->n_refs--;
    return n;
}

static size_t check_type(vctx *c, const snode *sch, const json_t *inst, json_t *out)
{
    llmt_buf want = {0};
    size_t n;
    if (type_of(inst) & sch->types)
        return 0;
    describe_types(&want, sch->type_json);
    n = violation(c, out, "expected %s, got %s", want.data ? want.data : "?", llmt_json_type_name(inst));
    llmt_buf_free(&want);
    return n;
}

static size_t check_values(vctx *c, const snode *sch, const json_t *inst, json_t *out)
{
    size_t n = 0, i;
    json_t *e;
    if (sch->enum_json) {
        bool found = false;
        json_array_foreach(sch->enum_json, i, e) {
            if (llmt_json_equal(e, inst, false)) {
                found = true;
                break;
            }
        }
        if (!found) {
            char *a = out ? brief(inst) : NULL, *b = out ? brief(sch->enum_json) : NULL;
            n += violation(c, out, "%s is not one of %s", a ? a : "value", b ? b : "the enum");
            free(a);
            free(b);
        }
    }
    if (sch->const_json && !llmt_json_equal(sch->const_json, inst, false)) {
        char *b = out ? brief(sch->const_json) : NULL;
        n += violation(c, out, "expected the constant %s", b ? b : "value");
        free(b);
    }
    return n;
}

/* not, if/then/else and allOf/anyOf/oneOf. */
static size_t check_applicators(vctx *c, const snode *sch, const json_t *inst, json_t *out, evalset *mine)
{
    size_t n = 0, i;
    for (i = 0; i < sch->all_of.n; i++)
        n += check(c, sch->all_of.v[i], inst, out, mine);
    if (sch->any_of.n)
        n += check_alternatives(c, "anyOf", &sch->any_of, inst, out, mine);
    if (sch->one_of.n)
        n += check_alternatives(c, "oneOf", &sch->one_of, inst, out, mine);
    if (sch->not_ && check(c, sch->not_, inst, NULL, NULL) == 0)
        n += violation(c, out, "must not match the schema under \"not\"");
    if (sch->if_) {
        evalset cond = {0};
        if (mine && !ev_init(&cond, inst))
            mine = NULL;
        if (check(c, sch->if_, inst, NULL, mine ? &cond : NULL) == 0) {
            ev_merge(mine, &cond);
            if (sch->then_)
                n += check(c, sch->then_, inst, out, mine);
        } else if (sch->else_) {
            n += check(c, sch->else_, inst, out, mine);
        }
        free(cond.m);
    }
    return n;
}

static size_t check_node(vctx *c, const snode *sch, const json_t *inst, json_t *out, evalset *mine)
{
    size_t n = 0;
    if (sch->ref)
        n += check_ref(c, sch->ref, sch->ref_text, inst, out, mine);
    if (sch->dynref)
        n += check_ref(c, dynamic_target(c, sch), sch->ref_text, inst, out, mine);
    if (sch->draft == DRAFT_7 && sch->ref)
        return n;
    if (sch->types && (n += check_type(c, sch, inst, out)))
        return n; /* the other keywords would only repeat the type error */
    n += check_values(c, sch, inst, out);
    n += check_applicators(c, sch, inst, out, mine);
    if (json_is_object(inst))
        n += check_object(c, sch, inst, out, mine);
    else if (json_is_array(inst))
        n += check_array(c, sch, inst, out, mine);
    else if (json_is_number(inst))
        n += check_number(c, sch, inst, out);
    else if (json_is_string(inst))
        n += check_string(c, sch, inst, out);
    if (mine && (sch->unevaluated_props || sch->unevaluated_items))
        n += check_unevaluated(c, sch, inst, out, mine);
    return n;
}

static bool scope_push(vctx *c, const char *uri)
{
    if (c->n_scope == c->cap_scope) {
        size_t nc = c->cap_scope ? c->cap_scope * 2 : 16;
        const char **v = realloc(c->scope, nc * sizeof(*v));
        if (!v)
            return false;
        c->scope = v;
        c->cap_scope = nc;
    }
    c->scope[c->n_scope++] = uri;
    return true;
}

/* Applies node `sch` to `inst`; returns the number of violations (appended to `out` when
 * not NULL; with NULL it may stop at the first). Members and items it evaluates are
 * marked in `ev` (when not NULL) if it passes. */
static size_t check(vctx *c, const snode *sch, const json_t *inst, json_t *out, evalset *ev)
{
    evalset mine = {0};
    bool track, scoped = false;
    size_t n;
    if (sch->boolean == 1)
        return 0;
    if (sch->boolean == 0)
        return violation(c, out, "no value is allowed here (schema false)");
    if (c->depth + 1 > MAX_DEPTH)
        return violation(c, out, "schema recursion too deep (a $ref loop?)");
    if (++c->steps > MAX_STEPS) {
        if (c->budget_reported)
            return 1;
        c->budget_reported = true;
        return violation(c, out, "validation stopped: the schema's alternatives need too much work");
    }
    track = c->s->has_unevaluated && (json_is_object(inst) || json_is_array(inst));
    if (track && !ev_init(&mine, inst))
        return violation(c, out, "out of memory while validating");
    /* entering another resource, by $id or by a $ref into the middle of one */
    if (c->n_scope == 0 ||
        (c->scope[c->n_scope - 1] != sch->base && strcmp(c->scope[c->n_scope - 1], sch->base) != 0)) {
        if (!scope_push(c, sch->base)) {
            free(mine.m);
            return violation(c, out, "out of memory while validating");
        }
        scoped = true;
    }
    c->depth++;
    n = check_node(c, sch, inst, out, track ? &mine : NULL);
    c->depth--;
    if (scoped)
        c->n_scope--;
    if (n == 0)
        ev_merge(ev, &mine);
    free(mine.m);
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
    n = check(&c, s->root_node, instance, all, NULL);
    if (violations && all) {
        json_array_foreach(all, i, v) {
            if (i >= LLMT_SCHEMA_MAX_VIOLATIONS) {
                json_array_append_new(violations, json_sprintf("(and %zu more violations not listed)",
                                                               json_array_size(all) - i));
                break;
            }
            json_array_append(violations, v);
        }
    }
    json_decref(all);
    free(c.refs);
    free(c.scope);
    llmt_buf_free(&c.path);
    return n == 0;
}
