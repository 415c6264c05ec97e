/* Accuracy scoring compatible with the Python tool, plus per-field details.
 *
 * Structure: score_object() is the Python _calculate_accuracy (weighted mean over the
 * expected keys, 0-100), score_value() is _compare_values (0-1). Details are recorded
 * only on the "main" path through the documents; scores computed inside lists (item
 * against item) are not recorded except as one list_item entry, so a 10,000-item list
 * does not produce 10,000 entries unless its items lose points. */
#include "config/jcheck.h"
#include "score/score.h"
#include "score/nfc.h"

#include "core/jsonutil.h"
#include "core/jsonw.h"
#include "core/utf8.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

/* ---- options ---------------------------------------------------------------------- */

void llmt_score_options_init(llmt_score_options *o)
{
    memset(o, 0, sizeof(*o));
    o->list_mode = LLMT_LIST_ORDERED_EXACT;
    o->threshold = 80;
}

void llmt_score_options_free(llmt_score_options *o)
{
    json_decref(o->weights);
    json_decref(o->skip_fields);
    llmt_score_options_init(o);
}

const char *llmt_list_mode_name(llmt_list_mode m)
{
    return m == LLMT_LIST_SET_SIMILARITY       ? "set_similarity"
           : m == LLMT_LIST_ORDERED_SIMILARITY ? "ordered_similarity"
                                               : "ordered_exact";
}

bool llmt_list_mode_parse(const char *s, llmt_list_mode *out)
{
    int m;
    for (m = 0; m < 3; m++) {
        if (s && strcmp(s, llmt_list_mode_name((llmt_list_mode)m)) == 0) {
            *out = (llmt_list_mode)m;
            return true;
        }
    }
    return false;
}

llmt_status llmt_score_options_set_weight(llmt_score_options *o, const char *key, double w,
                                          llmt_error *err)
{
    if (!key || !*key)
        return llmt_error_set(err, LLMT_E_INVALID_ARG, "a weight needs a field name");
    if (!(w >= 0) || isinf(w))
        return llmt_error_set(err, LLMT_E_INVALID_ARG,
                              "weight of '%s' must be a number >= 0, got %g", key, w);
    if (!o->weights && !(o->weights = json_object()))
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    if (json_object_set_new(o->weights, key, json_real(w)) != 0)
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    return LLMT_OK;
}

llmt_status llmt_score_options_add_skip(llmt_score_options *o, const char *key, llmt_error *err)
{
    size_t i;
    json_t *v;
    if (!key || !*key)
        return llmt_error_set(err, LLMT_E_INVALID_ARG, "skip_fields entries must not be empty");
    if (!o->skip_fields && !(o->skip_fields = json_array()))
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    json_array_foreach(o->skip_fields, i, v) {
        if (strcmp(json_string_value(v), key) == 0)
            return LLMT_OK;
    }
    if (json_array_append_new(o->skip_fields, json_string(key)) != 0)
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    return LLMT_OK;
}

llmt_status llmt_score_options_parse_weight(llmt_score_options *o, const char *spec,
                                            llmt_error *err)
{
    const char *eq = spec ? strrchr(spec, '=') : NULL;
    char *key, *end = NULL;
    double w;
    llmt_status st;
    if (!eq || eq == spec || !eq[1])
        return llmt_error_set(err, LLMT_E_INVALID_ARG, "--weight expects KEY=W, got '%s'",
                              spec ? spec : "");
    w = strtod(eq + 1, &end);
    if (!end || *end || !(w >= 0) || isinf(w))
        return llmt_error_set(err, LLMT_E_INVALID_ARG,
                              "--weight %s: the weight must be a number >= 0", spec);
    key = llmt_strndup(spec, (size_t)(eq - spec));
    if (!key)
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    st = llmt_score_options_set_weight(o, key, w, err);
    free(key);
    return st;
}


llmt_status llmt_score_options_apply_skip_json(llmt_score_options *o, const json_t *skip,
                                               const char *file, const char *json_path,
                                               llmt_error *err)
{
    size_t i;
    json_t *v;
    if (!skip)
        return LLMT_OK;
    if (!json_is_array(skip))
        return llmt_error_set(err, LLMT_E_CONFIG, "%s: %s: expected an array of field names, got %s",
                              file, json_path, llmt_json_type_name(skip));
    json_array_foreach((json_t *)skip, i, v) {
        llmt_status st;
        if (!json_is_string(v) || !json_string_value(v)[0])
            return llmt_error_set(err, LLMT_E_CONFIG,
                                  "%s: %s/%zu: expected a non-empty field name, got %s", file,
                                  json_path, i, json_is_string(v) ? "\"\"" : llmt_json_type_name(v));
        st = llmt_score_options_add_skip(o, json_string_value(v), err);
        if (st != LLMT_OK)
            return st;
    }
    return LLMT_OK;
}

llmt_status llmt_score_options_apply_json(llmt_score_options *o, const json_t *scoring,
                                          const char *file, const char *json_path,
                                          llmt_error *err)
{
    const char *key;
    json_t *v;
    if (!scoring)
        return LLMT_OK;
    if (!json_is_object(scoring))
        return llmt_error_set(err, LLMT_E_CONFIG, "%s: %s: expected an object, got %s", file,
                              json_path, llmt_json_type_name(scoring));
    json_object_foreach((json_t *)scoring, key, v) {
        if (strcmp(key, "list_mode") == 0) {
            if (!json_is_string(v) || !llmt_list_mode_parse(json_string_value(v), &o->list_mode))
                return llmt_error_set(err, LLMT_E_CONFIG,
                                      "%s: %s/list_mode: expected \"ordered_exact\", "
                                      "\"ordered_similarity\" or \"set_similarity\"",
                                      file, json_path);
        } else if (strcmp(key, "tolerance") == 0) {
            if (!json_is_number(v) || json_number_value(v) < 0)
                return llmt_error_set(err, LLMT_E_CONFIG,
                                      "%s: %s/tolerance: expected a number >= 0, got %s", file,
                                      json_path, llmt_json_type_name(v));
            o->tolerance = json_number_value(v);
        } else if (strcmp(key, "threshold") == 0) {
            if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 100)
                return llmt_error_set(err, LLMT_E_CONFIG,
                                      "%s: %s/threshold: expected a number from 0 to 100, got %s",
                                      file, json_path, llmt_json_type_name(v));
            o->threshold = json_number_value(v);
        } else if (strcmp(key, "weights") == 0) {
            const char *wk;
            json_t *wv;
            if (!json_is_object(v))
                return llmt_error_set(err, LLMT_E_CONFIG,
                                      "%s: %s/weights: expected an object of field: weight, got %s",
                                      file, json_path, llmt_json_type_name(v));
            json_object_foreach(v, wk, wv) {
                llmt_status st;
                if (!json_is_number(wv) || json_number_value(wv) < 0)
                    return llmt_error_set(err, LLMT_E_CONFIG,
                                          "%s: %s/weights/%s: expected a number >= 0, got %s",
                                          file, json_path, wk, llmt_json_type_name(wv));
                st = llmt_score_options_set_weight(o, wk, json_number_value(wv), err);
                if (st != LLMT_OK)
                    return st;
            }
        } else if (strcmp(key, "skip_fields") == 0) {
            char *p = llmt_asprintf("%s/skip_fields", json_path);
            llmt_status st = p ? llmt_score_options_apply_skip_json(o, v, file, p, err)
                               : llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
            free(p);
            if (st != LLMT_OK)
                return st;
        } else {
            return llmt_error_set(err, LLMT_E_CONFIG,
                                  "%s: %s/%s: unknown scoring option (known: list_mode, tolerance, "
                                  "threshold, weights, skip_fields)",
                                  file, json_path, key);
        }
    }
    return LLMT_OK;
}

/* ---- Unicode: decoding and simple lower-casing --------------------------------------- */

/* Decodes UTF-8 into code points. Invalid bytes become U+DC80+byte (Python's
 * surrogateescape), so nothing is lost and nothing crashes. Returns the count. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *out)
{
    size_t i = 0, k = 0;
    while (i < n) {
        unsigned cp;
        size_t len = llmt_utf8_decode(s + i, n - i, &cp);
        if (len) {
            out[k++] = cp;
            i += len;
        } else {
            out[k++] = 0xDC00u + s[i++];
        }
    }
    return k;
}

/* Number of code points (an upper bound when the input is invalid UTF-8). */
static size_t utf8_count(const unsigned char *s, size_t n)
{
    size_t i, k = 0;
    for (i = 0; i < n; i++)
        k += (s[i] & 0xC0) != 0x80;
    return k;
}

/* Simple (one-to-one) lower-case mapping for the scripts LLM extraction meets most.
 * Python's str.lower() is the reference; the few one-to-many mappings (e.g. U+0130)
 * are left as they are. */
static uint32_t cp_lower(uint32_t c)
{
    if (c < 0x80)
        return (c >= 'A' && c <= 'Z') ? c + 32 : c;
    if ((c >= 0xC0 && c <= 0xDE && c != 0xD7))
        return c + 32;
    if (c >= 0x100 && c <= 0x17F) {
        if (c == 0x130 || c == 0x131 || c == 0x138 || c == 0x149 || c == 0x17F)
            return c;
        if (c == 0x178)
            return 0xFF;
        if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
            return (c & 1) ? c + 1 : c;
        return (c & 1) ? c : c + 1;
    }
    if (c >= 0x370 && c <= 0x3FF) {
        if (c == 0x386)
            return 0x3AC;
        if (c >= 0x388 && c <= 0x38A)
            return c + 37;
        if (c == 0x38C)
            return 0x3CC;
        if (c == 0x38E || c == 0x38F)
            return c + 63;
        if (c >= 0x391 && c <= 0x3AB && c != 0x3A2)
            return c + 32;
        if (c >= 0x3D8 && c <= 0x3EF)
            return (c & 1) ? c : c + 1;
        return c;
    }
    if (c >= 0x400 && c <= 0x40F)
        return c + 80;
    if (c >= 0x410 && c <= 0x42F)
        return c + 32;
    if ((c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x4BF) || (c >= 0x4D0 && c <= 0x52F))
        return (c & 1) ? c : c + 1;
    if (c >= 0x4C1 && c <= 0x4CE)
        return (c & 1) ? c + 1 : c;
    if (c == 0x4C0)
        return 0x4CF;
    if (c >= 0x531 && c <= 0x556)
        return c + 48;
    if ((c >= 0x1E00 && c <= 0x1E95) || (c >= 0x1EA0 && c <= 0x1EFF))
        return (c & 1) ? c : c + 1;
    if (c >= 0xFF21 && c <= 0xFF3A)
        return c + 32;
    return c;
}

/* ---- scratch memory reused across comparisons ------------------------------------- */

typedef struct scratch {
    uint32_t *a, *b;       /* decoded strings */
    size_t a_cap, b_cap;
    uint64_t *masks;       /* per distinct pattern code point: `words` words */
    size_t masks_cap;
    uint64_t *v;           /* the bit-vector */
    size_t v_cap;
    uint32_t *hkeys;       /* open-addressing table: code point -> slot */
    int32_t *hslots;
    size_t h_cap;
    bool oom;
} scratch;

static void scratch_free(scratch *s)
{
    free(s->a);
    free(s->b);
    free(s->masks);
    free(s->v);
    free(s->hkeys);
    free(s->hslots);
    memset(s, 0, sizeof(*s));
}

static bool grow(void **p, size_t *cap, size_t need, size_t elem)
{
    void *np;
    size_t ncap;
    if (need <= *cap)
        return true;
    ncap = *cap ? *cap : 64;
    while (ncap < need)
        ncap *= 2;
    if (ncap > SIZE_MAX / elem)
        return false;
    np = realloc(*p, ncap * elem);
    if (!np)
        return false;
    *p = np;
    *cap = ncap;
    return true;
}

/* LCS length with O(min) memory dynamic programming: the fallback when the bit-parallel
 * masks would need too much memory (a very long pattern of all-distinct code points). */
static size_t lcs_dp(const uint32_t *a, size_t la, const uint32_t *b, size_t lb, scratch *s)
{
    size_t i, j;
    uint32_t *row;
    /* reuse the masks buffer as a row of la + 1 counters */
    if (!grow((void **)&s->masks, &s->masks_cap, (la + 2) / 2 + 1, sizeof(uint64_t))) {
        s->oom = true;
        return 0;
    }
    row = (uint32_t *)s->masks;
    memset(row, 0, (la + 1) * sizeof(uint32_t));
    for (j = 0; j < lb; j++) {
        uint32_t diag = 0;
        for (i = 1; i <= la; i++) {
            uint32_t up = row[i];
            if (a[i - 1] == b[j])
                row[i] = diag + 1;
            else if (row[i - 1] > row[i])
                row[i] = row[i - 1];
            diag = up;
        }
    }
    return row[la];
}

static size_t hash_cp(uint32_t c, size_t mask)
{
    return (size_t)((c * 2654435761u) & mask);
}

/* LCS length of code point strings: common prefix and suffix stripped, then the
 * bit-parallel algorithm of Allison-Dix / Hyyrö over the shorter string (O(⌈m/64⌉·n)
 * word operations; characters of the longer string absent from the shorter one cost
 * one hash lookup). */
static size_t lcs_len(const uint32_t *a, size_t la, const uint32_t *b, size_t lb, scratch *s)
{
    size_t pre = 0, suf = 0, words, i, j, distinct = 0, hmask, lcs = 0;
    if (la > lb) {
        const uint32_t *t = a;
        size_t tl = la;
        a = b;
        la = lb;
        b = t;
        lb = tl;
    }
    while (pre < la && a[pre] == b[pre])
        pre++;
    while (suf < la - pre && a[la - 1 - suf] == b[lb - 1 - suf])
        suf++;
    a += pre;
    b += pre;
    la -= pre + suf;
    lb -= pre + suf;
    if (la == 0)
        return pre + suf;
    words = (la + 63) / 64;
    /* hash table sized for up to la distinct code points */
    {
        size_t need = 16;
        while (need < la * 2)
            need *= 2;
        if (!grow((void **)&s->hkeys, &s->h_cap, need, sizeof(uint32_t))) {
            s->oom = true;
            return 0;
        }
        /* hslots grows with the same capacity */
        {
            int32_t *ns = realloc(s->hslots, s->h_cap * sizeof(int32_t));
            if (!ns) {
                s->oom = true;
                return 0;
            }
            s->hslots = ns;
        }
        hmask = need - 1;
        for (i = 0; i < need; i++)
            s->hslots[i] = -1;
    }
    for (i = 0; i < la; i++) {
        size_t h = hash_cp(a[i], hmask);
        while (s->hslots[h] >= 0 && s->hkeys[h] != a[i])
            h = (h + 1) & hmask;
        if (s->hslots[h] < 0) {
            s->hkeys[h] = a[i];
            s->hslots[h] = (int32_t)distinct++;
        }
    }
    if (distinct > ((size_t)1 << 22) / words)
        return pre + suf + lcs_dp(a, la, b, lb, s);
    if (!grow((void **)&s->masks, &s->masks_cap, distinct * words, sizeof(uint64_t)) ||
        !grow((void **)&s->v, &s->v_cap, words, sizeof(uint64_t))) {
        s->oom = true;
        return 0;
    }
    memset(s->masks, 0, distinct * words * sizeof(uint64_t));
    for (i = 0; i < la; i++) {
        size_t h = hash_cp(a[i], hmask);
        while (s->hkeys[h] != a[i])
            h = (h + 1) & hmask;
        s->masks[(size_t)s->hslots[h] * words + i / 64] |= (uint64_t)1 << (i % 64);
    }
    for (i = 0; i < words; i++)
        s->v[i] = ~(uint64_t)0;
    for (j = 0; j < lb; j++) {
        size_t h = hash_cp(b[j], hmask);
        const uint64_t *pm;
        uint64_t carry = 0;
        while (s->hslots[h] >= 0 && s->hkeys[h] != b[j])
            h = (h + 1) & hmask;
        if (s->hslots[h] < 0)
            continue; /* no match anywhere in the pattern: V is unchanged */
        pm = &s->masks[(size_t)s->hslots[h] * words];
        for (i = 0; i < words; i++) {
            uint64_t v = s->v[i], u = v & pm[i];
            uint64_t x = v + u, c1 = x < v;
            uint64_t y = x + carry, c2 = y < x;
            carry = c1 | c2;
            s->v[i] = y | (v & ~pm[i]);
        }
    }
    for (i = 0; i < words; i++) {
        uint64_t z = ~s->v[i];
        if (i == words - 1 && la % 64)
            z &= ((uint64_t)1 << (la % 64)) - 1;
        lcs += (size_t)__builtin_popcountll(z);
    }
    return pre + suf + lcs;
}

/* rapidfuzz's fuzz.ratio: normalized Indel similarity × 100. */
static double ratio_cp(const uint32_t *a, size_t la, const uint32_t *b, size_t lb, scratch *s)
{
    size_t lensum = la + lb, lcs, dist;
    if (lensum == 0)
        return 100.0;
    lcs = lcs_len(a, la, b, lb, s);
    dist = lensum - 2 * lcs;
    return (1.0 - (double)dist / (double)lensum) * 100.0;
}

static bool decode_pair(scratch *s, const char *a, size_t alen, const char *b, size_t blen,
                        size_t *la, size_t *lb)
{
    if (!grow((void **)&s->a, &s->a_cap, alen + 1, sizeof(uint32_t)) ||
        !grow((void **)&s->b, &s->b_cap, blen + 1, sizeof(uint32_t))) {
        s->oom = true;
        return false;
    }
    *la = utf8_decode((const unsigned char *)a, alen, s->a);
    *lb = utf8_decode((const unsigned char *)b, blen, s->b);
    return true;
}

static bool equal_nocase_cp(const uint32_t *a, size_t la, const uint32_t *b, size_t lb)
{
    size_t i;
    if (la != lb)
        return false;
    for (i = 0; i < la; i++)
        if (a[i] != b[i] && cp_lower(a[i]) != cp_lower(b[i]))
            return false;
    return true;
}

double llmt_indel_ratio(const char *a, size_t alen, const char *b, size_t blen)
{
    scratch s;
    size_t la, lb;
    double r = -1;
    memset(&s, 0, sizeof s);
    if (decode_pair(&s, a, alen, b, blen, &la, &lb)) {
        r = ratio_cp(s.a, la, s.b, lb, &s);
        if (s.oom)
            r = -1;
    }
    scratch_free(&s);
    return r;
}

bool llmt_utf8_equal_nocase(const char *a, size_t alen, const char *b, size_t blen)
{
    scratch s;
    size_t la, lb;
    bool eq = false;
    memset(&s, 0, sizeof s);
    if (decode_pair(&s, a, alen, b, blen, &la, &lb))
        eq = equal_nocase_cp(s.a, la, s.b, lb);
    scratch_free(&s);
    return eq;
}

/* ---- scoring ----------------------------------------------------------------------- */

typedef enum {
    R_MATCH,
    R_FUZZY,
    R_MISSING,
    R_TYPE_MISMATCH,
    R_MISMATCH,
    R_LIST_ITEM,
    R_EXTRA
} reason;

static const char *const reason_names[] = {"match",    "fuzzy",     "missing", "type_mismatch",
                                           "mismatch", "list_item", "extra"};

typedef struct sctx {
    const llmt_score_options *o;
    llmt_buf path;     /* JSON pointer of the value being scored */
    json_t *fields;    /* details sink (llmt_score) */
    llmt_buf *text;    /* or details printed as JSON text (llmt_score_text) */
    size_t n_text;     /* entries printed so far */
    bool text_bad;     /* an expected/actual value could not be printed */
    scratch s;
    bool oom;
} sctx;

static bool is_numeric(const json_t *v)
{
    /* Python's bool is an int: true/false take part in number comparisons as 1/0. */
    return json_is_number(v) || json_is_boolean(v);
}

static double num_value(const json_t *v)
{
    if (json_is_boolean(v))
        return json_is_true(v) ? 1.0 : 0.0;
    return json_number_value(v);
}

/* Python truthiness: what `not actual` tests for an empty expected object. */
static bool py_falsy(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_NULL:
    case JSON_FALSE: return true;
    case JSON_OBJECT: return json_object_size(v) == 0;
    case JSON_ARRAY: return json_array_size(v) == 0;
    case JSON_STRING: return json_string_length(v) == 0;
    case JSON_INTEGER: return json_integer_value(v) == 0;
    case JSON_REAL: return json_real_value(v) == 0;
    default: return false;
    }
}




static const char *path_str(const sctx *c)
{
    return c->path.data ? c->path.data : "";
}

/* Looks `key` up in an options object/array by pointer path first, then by name. */
static double weight_of(const sctx *c, const char *key)
{
    json_t *w;
    if (!c->o->weights)
        return 1.0;
    w = json_object_get(c->o->weights, path_str(c));
    if (!w)
        w = json_object_get(c->o->weights, key);
    return w ? json_number_value(w) : 1.0;
}

static bool skipped(const sctx *c, const char *key)
{
    size_t i;
    json_t *v;
    if (!c->o->skip_fields)
        return false;
    json_array_foreach(c->o->skip_fields, i, v) {
        const char *s = json_string_value(v);
        if (strcmp(s, key) == 0 || strcmp(s, path_str(c)) == 0)
            return true;
    }
    return false;
}

/* llmt_json_equal(e, a, true) with skip_fields removed from both sides at any depth (a bare name
 * anywhere, a pointer where it points, list items included): ordered_exact items. */
static bool skip_equal(sctx *c, const json_t *e, const json_t *a)
{
    const char *k;
    json_t *v;
    size_t i, n, left = 0;
    bool ok = true;
    if (!c->o->skip_fields || json_typeof(e) != json_typeof(a) ||
        (!json_is_object(e) && !json_is_array(e)))
        return llmt_json_equal(a, e, true);
    if (json_is_array(e)) {
        n = json_array_size(e);
        if (n != json_array_size(a))
            return false;
        for (i = 0; i < n && ok; i++) {
            size_t mark = llmt_jptr_push_index(&c->path, i);
            ok = skip_equal(c, json_array_get(e, i), json_array_get(a, i));
            llmt_jptr_pop(&c->path, mark);
        }
        return ok;
    }
    json_object_foreach((json_t *)e, k, v) {
        size_t mark = llmt_jptr_push(&c->path, k, strlen(k));
        if (!skipped(c, k)) {
            json_t *w = json_object_get(a, k);
            ok = w && skip_equal(c, v, w);
            left++;
        }
        llmt_jptr_pop(&c->path, mark);
        if (!ok)
            return false;
    }
    json_object_foreach((json_t *)a, k, v) { /* nothing more in the answer */
        size_t mark = llmt_jptr_push(&c->path, k, strlen(k));
        if (!skipped(c, k))
            left--;
        llmt_jptr_pop(&c->path, mark);
    }
    return left == 0;
}

/* Whether answer item a equals expected item i (ordered_exact). */
static bool item_equal(sctx *c, size_t i, const json_t *e, const json_t *a)
{
    size_t mark = llmt_jptr_push_index(&c->path, i);
    bool eq = skip_equal(c, e, a);
    llmt_jptr_pop(&c->path, mark);
    return eq;
}

/* `"name":`, after a comma unless it is the entry's first member. */
static void text_key(llmt_buf *b, bool first, const char *name)
{
    llmt_json_put_raw(b, first ? "\"" : ",\"", first ? 1 : 2);
    llmt_json_put_raw(b, name, strlen(name));
    llmt_json_put_raw(b, "\":", 2);
}

/* One member of a detail printed as text, left out where the tree leaves it out: a
 * json_string() of invalid UTF-8 and a json_real() of NaN or infinity are NULL, which
 * json_object_set_new does not store. */
static void text_member(llmt_buf *b, bool *first, const char *name, const char *str, double num)
{
    size_t mark = b->len;
    bool ok;
    text_key(b, *first, name);
    ok = str ? llmt_json_put_string(b, str, strlen(str), true) : llmt_json_put_real(b, num);
    if (!ok && !b->oom) {
        b->len = mark;
        b->data[mark] = '\0';
        return;
    }
    *first = false;
}

/* Whether v printed as JSON takes more than *left bytes (counted roughly: strings by
 * their length, a few bytes per value and key), stopping as soon as it does. */
static bool json_exceeds(const json_t *v, size_t *left)
{
    size_t n = 8, i;
    const char *k;
    json_t *x;
    if (json_is_string(v))
        n += json_string_length(v);
    if (n > *left)
        return true;
    *left -= n;
    if (json_is_array(v)) {
        json_array_foreach(v, i, x)
            if (json_exceeds(x, left))
                return true;
    } else if (json_is_object(v)) {
        json_object_foreach((json_t *)v, k, x) {
            size_t kn = strlen(k) + 4;
            if (kn > *left)
                return true;
            *left -= kn;
            if (json_exceeds(x, left))
                return true;
        }
    }
    return false;
}

/* The detail names the answer's value at its path instead of repeating it (see
 * llmt_score_options.actual_inline_max). A list item's pairing can be with an answer
 * item elsewhere in the list: it is always printed. */
static bool actual_by_ref(const sctx *c, const json_t *act, reason why)
{
    size_t left = c->o->actual_inline_max;
    return act && left && why != R_LIST_ITEM && json_exceeds(act, &left);
}

static void text_value(sctx *c, bool *first, const char *name, const json_t *v)
{
    llmt_buf *b = c->text;
    text_key(b, *first, name);
    if (!llmt_json_dump_compact(v, b, true))
        c->text_bad = true; /* printing the tree would have failed the same way */
    *first = false;
}

/* record() for llmt_score_text: prints what printing the tree's entry would print. */
static void record_text(sctx *c, const json_t *exp, const json_t *act, double score,
                        double weight, reason why, const char *note)
{
    llmt_buf *b = c->text;
    bool first = true;
    if (c->n_text++)
        llmt_json_put_raw(b, ",{", 2);
    else
        llmt_json_put_raw(b, "{", 1);
    text_member(b, &first, "path", path_str(c), 0);
    if (exp)
        text_value(c, &first, "expected", exp);
    if (actual_by_ref(c, act, why)) {
        text_key(b, first, "actual_in_answer");
        llmt_json_put_raw(b, "true", 4);
        first = false;
    } else if (act) {
        text_value(c, &first, "actual", act);
    }
    if (why == R_EXTRA) {
        text_key(b, first, "score");
        llmt_json_put_raw(b, "null", 4);
        first = false;
    } else {
        text_member(b, &first, "score", NULL, score);
    }
    text_member(b, &first, "weight", NULL, weight);
    text_member(b, &first, "reason", reason_names[why], 0);
    if (note)
        text_member(b, &first, "note", note, 0);
    llmt_json_put_raw(b, "}", 1);
}

static void record(sctx *c, const json_t *exp, const json_t *act, double score, double weight,
                   reason why, const char *note)
{
    json_t *f;
    if (c->o->on_field && why != R_EXTRA && why != R_LIST_ITEM && !c->path.oom)
        c->o->on_field(c->o->on_field_ud, path_str(c), score);
    if (c->text && !c->oom) {
        if (c->path.oom)
            c->oom = true;
        else
            record_text(c, exp, act, score, weight, why, note);
        return;
    }
    if (!c->fields || c->oom)
        return;
    f = json_object();
    if (!f || c->path.oom) {
        json_decref(f);
        c->oom = true;
        return;
    }
    json_object_set_new(f, "path", json_string(path_str(c)));
    if (exp)
        json_object_set_new(f, "expected", json_incref((json_t *)exp));
    if (actual_by_ref(c, act, why))
        json_object_set_new(f, "actual_in_answer", json_true());
    else if (act)
        json_object_set_new(f, "actual", json_incref((json_t *)act));
    json_object_set_new(f, "score", why == R_EXTRA ? json_null() : json_real(score));
    json_object_set_new(f, "weight", json_real(weight));
    json_object_set_new(f, "reason", json_string(reason_names[why]));
    if (note)
        json_object_set_new(f, "note", json_string(note));
    if (json_array_append_new(c->fields, f) != 0)
        c->oom = true;
}

static double score_value(sctx *c, const json_t *exp, const json_t *act, double weight,
                          bool rec);

/* The Python _calculate_accuracy over two objects: 0-100. */
static double score_object(sctx *c, const json_t *exp, const json_t *act, bool rec)
{
    const char *key;
    json_t *ev;
    double total = 0, earned = 0;
    size_t scored = 0;
    json_object_foreach((json_t *)exp, key, ev) {
        size_t mark = llmt_jptr_push(&c->path, key, strlen(key));
        json_t *av;
        double w, sc = 0;
        if (skipped(c, key)) {
            llmt_jptr_pop(&c->path, mark);
            continue;
        }
        scored++;
        w = weight_of(c, key);
        av = json_object_get(act, key);
        if (av)
            sc = score_value(c, ev, av, w, rec);
        else if (rec)
            record(c, ev, NULL, 0, w, R_MISSING, NULL);
        total += w;
        earned += sc * w;
        llmt_jptr_pop(&c->path, mark);
    }
    if (rec) {
        json_t *av;
        json_object_foreach((json_t *)act, key, av) {
            size_t mark;
            if (json_object_get(exp, key))
                continue;
            mark = llmt_jptr_push(&c->path, key, strlen(key));
            if (!skipped(c, key))
                record(c, NULL, av, 0, 0, R_EXTRA, "only in the answer; not scored");
            llmt_jptr_pop(&c->path, mark);
        }
    }
    if (scored == 0) {
        /* Empty expected (after skip_fields): 100 only when the answer has nothing either. */
        size_t left = 0;
        json_t *av;
        json_object_foreach((json_t *)act, key, av) {
            size_t mark = llmt_jptr_push(&c->path, key, strlen(key));
            left += !skipped(c, key);
            llmt_jptr_pop(&c->path, mark);
        }
        return left == 0 ? 100.0 : 0.0;
    }
    return total > 0 ? earned / total * 100.0 : 100.0;
}

/* Notes are formatted only when details are recorded (note_n > 0): scoring inside lists
 * compares many pairs and must not pay for text nobody reads. */
#define NOTE(...) ((void)(note_n ? snprintf(note, note_n, __VA_ARGS__) : 0))

static double score_string(sctx *c, const json_t *exp, const json_t *act, reason *why,
                           char *note, size_t note_n)
{
    const char *a = json_string_value(act), *e = json_string_value(exp);
    size_t alen = json_string_length(act), elen = json_string_length(exp), la, le;
    size_t ca, ce;
    double r, thr = c->o->threshold;
    if (alen == elen && memcmp(a, e, alen) == 0) {
        *why = R_MATCH;
        return 1.0;
    }
    /* Cheap bound: the ratio can't exceed 200·min/(sum) of the code point lengths, and
     * the 1:1 lower-case mapping keeps lengths, so unequal lengths under the threshold
     * can skip the LCS entirely (this keeps set_similarity over long lists fast). */
    ca = utf8_count((const unsigned char *)a, alen);
    ce = utf8_count((const unsigned char *)e, elen);
    if (ca != ce && ca + ce > 0 &&
        200.0 * (double)(ca < ce ? ca : ce) / (double)(ca + ce) < thr) {
        *why = R_MISMATCH;
        NOTE("similarity below %.0f%%", thr);
        return 0.0;
    }
    if (!decode_pair(&c->s, a, alen, e, elen, &la, &le)) {
        c->oom = true;
        *why = R_MISMATCH;
        return 0.0;
    }
    if (equal_nocase_cp(c->s.a, la, c->s.b, le)) {
        *why = R_MATCH;
        NOTE("equal ignoring case");
        return 1.0;
    }
    r = ratio_cp(c->s.a, la, c->s.b, le, &c->s);
    if (c->s.oom)
        c->oom = true;
    if (r >= thr && thr < 100) {
        *why = R_FUZZY;
        NOTE("similarity %.2f%%", r);
        return (r - thr) / (100.0 - thr);
    }
    *why = R_MISMATCH;
    NOTE("similarity %.2f%% below %.0f%%", r, thr);
    return 0.0;
}

static double score_number(sctx *c, const json_t *exp, const json_t *act, reason *why,
                           char *note, size_t note_n)
{
    double tol = c->o->tolerance, e = num_value(exp), a = num_value(act);
    if (tol > 0 && e != 0) {
        if (fabs(a - e) / fabs(e) <= tol) {
            *why = R_MATCH;
            if (!llmt_json_equal(exp, act, true))
                NOTE("within %g%%", tol * 100);
            return 1.0;
        }
        *why = R_MISMATCH;
        NOTE("outside %g%%", tol * 100);
        return 0.0;
    }
    if (llmt_json_equal(exp, act, true)) {
        *why = R_MATCH;
        return 1.0;
    }
    *why = R_MISMATCH;
    return 0.0;
}

/* Score of expected item `i` against one answer item inside a list (no details). The
 * path gets the expected item's index, so weights given as pointers reach into lists. */
static double item_score(sctx *c, size_t i, const json_t *e, const json_t *a)
{
    size_t mark = llmt_jptr_push_index(&c->path, i);
    double s = score_value(c, e, a, 0, false);
    llmt_jptr_pop(&c->path, mark);
    return s;
}

/* Whether two strings are equal ignoring case, without any similarity computation. */
static bool strings_equal_nocase(sctx *c, const json_t *e, const json_t *a)
{
    size_t la, le;
    if (json_string_length(a) == json_string_length(e) &&
        memcmp(json_string_value(a), json_string_value(e), json_string_length(a)) == 0)
        return true;
    if (utf8_count((const unsigned char *)json_string_value(a), json_string_length(a)) !=
        utf8_count((const unsigned char *)json_string_value(e), json_string_length(e)))
        return false;
    if (!decode_pair(&c->s, json_string_value(a), json_string_length(a), json_string_value(e),
                     json_string_length(e), &la, &le)) {
        c->oom = true;
        return false;
    }
    return equal_nocase_cp(c->s.a, la, c->s.b, le);
}

/* Exactly "score_value(e, a) == 1", computed without string similarity and stopping at
 * the first imperfection: the fast first pass of set_similarity. A score of 1 needs
 * case-insensitively equal strings (a fuzzy score is < 1 by construction), equal
 * numbers (or within tolerance), every weighted expected key perfect, and every
 * expected list item perfect under the list mode (for sets: the same greedy pairing). */
static bool perfect(sctx *c, const json_t *e, const json_t *a)
{
    if (json_is_null(e) || json_is_null(a))
        return json_is_null(e) && json_is_null(a);
    if (is_numeric(e) && is_numeric(a)) {
        reason why;
        char note[96];
        return score_number(c, e, a, &why, note, 0) >= 1.0;
    }
    if (json_is_string(e) && json_is_string(a))
        return strings_equal_nocase(c, e, a);
    if (json_is_object(e) && json_is_object(a)) {
        const char *key;
        json_t *ev;
        size_t scored = 0;
        bool ok = true;
        json_object_foreach((json_t *)e, key, ev) {
            size_t mark = llmt_jptr_push(&c->path, key, strlen(key));
            if (!skipped(c, key)) {
                json_t *av = json_object_get(a, key);
                scored++;
                if (weight_of(c, key) > 0 && (!av || !perfect(c, ev, av)))
                    ok = false;
            }
            llmt_jptr_pop(&c->path, mark);
            if (!ok)
                return false;
        }
        if (scored == 0) {
            json_t *av;
            size_t left = 0;
            json_object_foreach((json_t *)a, key, av) {
                size_t mark = llmt_jptr_push(&c->path, key, strlen(key));
                left += !skipped(c, key);
                llmt_jptr_pop(&c->path, mark);
            }
            return left == 0;
        }
        return true;
    }
    if (json_is_array(e) && json_is_array(a)) {
        size_t ne = json_array_size(e), na = json_array_size(a), i, j;
        bool ok = true;
        unsigned char *used;
        if (ne == 0 || na == 0)
            return ne == 0 && na == 0;
        if (na < ne)
            return false; /* some expected item would have no partner */
        if (c->o->list_mode == LLMT_LIST_ORDERED_EXACT) {
            for (i = 0; i < ne; i++)
                if (!item_equal(c, i, json_array_get(e, i), json_array_get(a, i)))
                    return false;
            return true;
        }
        if (c->o->list_mode == LLMT_LIST_ORDERED_SIMILARITY) {
            for (i = 0; i < ne && ok; i++) {
                size_t mark = llmt_jptr_push_index(&c->path, i);
                ok = perfect(c, json_array_get(e, i), json_array_get(a, i));
                llmt_jptr_pop(&c->path, mark);
            }
            return ok;
        }
        used = calloc(na, 1);
        if (!used) {
            c->oom = true;
            return false;
        }
        for (i = 0; i < ne && ok; i++) {
            size_t mark = llmt_jptr_push_index(&c->path, i);
            ok = false;
            for (j = 0; j < na && !ok; j++) {
                if (!used[j] && perfect(c, json_array_get(e, i), json_array_get(a, j))) {
                    used[j] = 1;
                    ok = true;
                }
            }
            llmt_jptr_pop(&c->path, mark);
        }
        free(used);
        return ok;
    }
    return false; /* different types */
}

/* A cheap upper bound of score_value(e, a), used to skip pairs in set_similarity that
 * can't beat the best score found so far. Strings use the length bound of the Indel
 * ratio (LCS <= the shorter length); nested objects the weighted mean of their keys'
 * bounds; lists are bounded by 1. */
static double upper(sctx *c, const json_t *e, const json_t *a)
{
    if (json_is_null(e) || json_is_null(a))
        return json_is_null(e) && json_is_null(a) ? 1.0 : 0.0;
    if (is_numeric(e) && is_numeric(a)) {
        reason why;
        char note[96];
        return score_number(c, e, a, &why, note, 0);
    }
    if (json_is_string(e) && json_is_string(a)) {
        size_t ca = utf8_count((const unsigned char *)json_string_value(a), json_string_length(a));
        size_t ce = utf8_count((const unsigned char *)json_string_value(e), json_string_length(e));
        double thr = c->o->threshold, r;
        if (ca == ce || thr >= 100)
            return 1.0;
        r = 200.0 * (double)(ca < ce ? ca : ce) / (double)(ca + ce);
        return r >= thr ? (r - thr) / (100.0 - thr) : 0.0;
    }
    if (json_is_object(e) && json_is_object(a)) {
        const char *key;
        json_t *ev;
        double total = 0, earned = 0;
        size_t scored = 0;
        json_object_foreach((json_t *)e, key, ev) {
            size_t mark = llmt_jptr_push(&c->path, key, strlen(key));
            if (!skipped(c, key)) {
                json_t *av = json_object_get(a, key);
                double w = weight_of(c, key);
                scored++;
                total += w;
                earned += av ? w * upper(c, ev, av) : 0.0;
            }
            llmt_jptr_pop(&c->path, mark);
        }
        if (scored == 0)
            return 1.0;
        return total > 0 ? earned / total : 1.0;
    }
    if (json_is_array(e) && json_is_array(a)) {
        size_t ne = json_array_size(e), na = json_array_size(a);
        if (ne == 0 || na == 0)
            return ne == 0 && na == 0 ? 1.0 : 0.0;
        return 1.0;
    }
    return 0.0;
}

/* ---- set_similarity -------------------------------------------------------------------
 * The Python tool's greedy: each expected item, in order, takes the first unused answer
 * item with the highest score. Done naively that is ne × na full comparisons (hours for
 * 10,000 items), so the same choice is found in two passes over an index of the answer
 * items' values:
 *  1. the first unused item scoring exactly 1, if any, is the pick (nothing scores
 *     more); a perfect partner must share the value of one chosen "anchor" key (strings
 *     compared case-insensitively, numbers exactly when there is no tolerance), so only
 *     the index bucket of that value is checked;
 *  2. otherwise every unused item gets an upper bound (keys with exact-only values —
 *     numbers without tolerance, booleans, null — count only where the index says they
 *     are equal; other keys count fully), and only items whose bound can beat the best
 *     so far are scored. */

typedef struct idx_entry {
    uint64_t h;   /* hash of (key, normalized value) */
    size_t j;     /* answer item */
} idx_entry;

#define ITEM_KEY "\x01item" /* the key under which scalar items are indexed */
#define MAX_NUM_KEYS 16     /* numeric keys scored directly for bounds; more count fully */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/* Hash of a value under perfect-score equality; false when the value has no such class
 * (objects, arrays, numbers with a tolerance). *exact: the value scores only 0 or 1. */
static bool value_hash(sctx *c, const json_t *v, uint64_t *out, bool *exact)
{
    *exact = true;
    if (json_is_null(v)) {
        *out = 0x6e756c6cULL;
        return true;
    }
    if (is_numeric(v)) {
        double d = num_value(v);
        uint64_t bits;
        if (c->o->tolerance > 0)
            return false;
        if (d == 0)
            d = 0; /* -0.0 == 0.0 */
        memcpy(&bits, &d, sizeof bits);
        *out = mix64(bits ^ 0x4e554d42ULL);
        return true;
    }
    if (json_is_string(v)) {
        size_t n, k;
        uint64_t h = 0xcbf29ce484222325ULL;
        *exact = false;
        if (!grow((void **)&c->s.a, &c->s.a_cap, json_string_length(v) + 1, sizeof(uint32_t))) {
            c->oom = true;
            return false;
        }
        n = utf8_decode((const unsigned char *)json_string_value(v), json_string_length(v), c->s.a);
        for (k = 0; k < n; k++) {
            h ^= cp_lower(c->s.a[k]);
            h *= 0x100000001b3ULL;
        }
        *out = mix64(h ^ 0x535452ULL);
        return true;
    }
    return false;
}

static uint64_t entry_hash(const char *key, uint64_t vh)
{
    return mix64(llmt_hash64(key, 0x9e3779b97f4a7c15ULL) ^ (vh * 0x9e3779b97f4a7c15ULL));
}

static int cmp_entry(const void *a, const void *b)
{
    const idx_entry *x = a, *y = b;
    if (x->h != y->h)
        return x->h < y->h ? -1 : 1;
    return x->j < y->j ? -1 : x->j > y->j;
}

/* First entry with hash h (entries sorted by hash, then j); *end one past the last. */
static size_t idx_range(const idx_entry *e, size_t n, uint64_t h, size_t *end)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e[mid].h < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (*end = lo; *end < n && e[*end].h == h; (*end)++)
        ;
    return lo;
}

static idx_entry *idx_build(sctx *c, const json_t *act, size_t *count)
{
    size_t na = json_array_size(act), j, n = 0, cap = 0;
    idx_entry *e = NULL;
    for (j = 0; j < na; j++) {
        const json_t *a = json_array_get(act, j), *v;
        const char *key;
        uint64_t vh;
        bool exact;
        if (json_is_object(a)) {
            json_object_foreach((json_t *)a, key, v) {
                if (!value_hash(c, v, &vh, &exact))
                    continue;
                if (!grow((void **)&e, &cap, n + 1, sizeof(*e)))
                    goto oom;
                e[n].h = entry_hash(key, vh);
                e[n++].j = j;
            }
        } else if (value_hash(c, a, &vh, &exact)) {
            if (!grow((void **)&e, &cap, n + 1, sizeof(*e)))
                goto oom;
            e[n].h = entry_hash(ITEM_KEY, vh);
            e[n++].j = j;
        }
    }
    if (c->oom)
        goto oom;
    if (n)
        qsort(e, n, sizeof(*e), cmp_entry);
    *count = n;
    if (!e)
        e = malloc(sizeof(*e)); /* an empty index is not a failure */
    return e;
oom:
    free(e);
    c->oom = true;
    return NULL;
}

/* The anchor of an expected item: the hash a perfect partner must share, if any. */
static bool anchor_of(sctx *c, const json_t *ei, uint64_t *h)
{
    uint64_t vh;
    bool exact;
    if (json_is_object(ei)) {
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)ei, key, v) {
            size_t mark = llmt_jptr_push(&c->path, key, strlen(key));
            bool usable = !skipped(c, key) && weight_of(c, key) > 0 && value_hash(c, v, &vh, &exact);
            llmt_jptr_pop(&c->path, mark);
            if (usable) {
                *h = entry_hash(key, vh);
                return true;
            }
        }
        return false;
    }
    if (value_hash(c, ei, &vh, &exact)) {
        *h = entry_hash(ITEM_KEY, vh);
        return true;
    }
    return false;
}

/* The values of one key across the answer items (NULL where absent), built once per
 * list: bounds for numbers under a tolerance read them for every item. */
typedef struct column {
    const char *key;
    const json_t **vals;
} column;

static const json_t **column_of(column *cols, size_t *n_cols, const json_t *act, const char *key)
{
    size_t i, na = json_array_size(act);
    for (i = 0; i < *n_cols; i++)
        if (strcmp(cols[i].key, key) == 0)
            return cols[i].vals;
    if (*n_cols == MAX_NUM_KEYS)
        return NULL;
    cols[*n_cols].vals = malloc((na ? na : 1) * sizeof(*cols[*n_cols].vals));
    if (!cols[*n_cols].vals)
        return NULL;
    for (i = 0; i < na; i++) {
        const json_t *a = json_array_get(act, i);
        cols[*n_cols].vals[i] = json_is_object(a) ? json_object_get(a, key) : NULL;
    }
    cols[*n_cols].key = key;
    return cols[(*n_cols)++].vals;
}

/* The state of one set_similarity pairing: the answer's items still free, the index of
 * their values, the numeric columns, and the bounds of the expected item being paired. */
typedef struct pairing {
    sctx *c;
    const json_t *act;
    size_t na;
    unsigned char *used;     /* answer items already paired */
    double *gain;            /* per answer item: weight of the exact-only keys it matches */
    double *bnd;             /* per answer item: upper bound of its score */
    idx_entry *idx;
    size_t n_idx;
    column cols[MAX_NUM_KEYS];
    size_t n_cols;
    size_t first_unused;     /* every answer item before it is used */
    /* the current expected item's bounds (pass 2) */
    const json_t *ei;
    bool obj;
    double total_w, free_w;  /* all weights; weights that count fully in a bound */
    size_t n_num;            /* numbers under a tolerance, scored directly for bounds */
    const char *num_key[MAX_NUM_KEYS];
    const json_t *num_val[MAX_NUM_KEYS];
    const json_t **num_col[MAX_NUM_KEYS];
    double num_w[MAX_NUM_KEYS];
} pairing;

/* Pass 1: the first unused answer item scoring exactly 1 (SIZE_MAX if none). With an
 * anchor, only the index bucket of its value can hold a perfect partner; the bucket is
 * sorted by answer index, so the first hit is the first perfect item. */
static size_t pair_first_perfect(pairing *p)
{
    size_t j, k, hi;
    uint64_t ah;
    if (anchor_of(p->c, p->ei, &ah)) {
        for (k = idx_range(p->idx, p->n_idx, ah, &hi); k < hi; k++) {
            j = p->idx[k].j;
            if (j >= p->first_unused && !p->used[j] &&
                perfect(p->c, p->ei, json_array_get(p->act, j)))
                return j;
        }
        return SIZE_MAX;
    }
    for (j = p->first_unused; j < p->na; j++)
        if (!p->used[j] && perfect(p->c, p->ei, json_array_get(p->act, j)))
            return j;
    return SIZE_MAX;
}

/* Pass 2, per key of the expected object: exact-only values add their weight to the
 * gain of every answer item the index says is equal; numbers under a tolerance get a
 * column to be scored per item; every other key counts fully in the bounds. */
static void pair_gains(pairing *p)
{
    sctx *c = p->c;
    const char *key;
    json_t *v;
    size_t k, hi;
    p->total_w = p->free_w = 0;
    p->n_num = 0;
    if (!p->obj)
        return;
    json_object_foreach((json_t *)p->ei, key, v) {
        size_t mark = llmt_jptr_push(&c->path, key, strlen(key));
        uint64_t vh;
        bool exact = false;
        if (!skipped(c, key)) {
            double w = weight_of(c, key);
            p->total_w += w;
            if (value_hash(c, v, &vh, &exact) && exact) {
                for (k = idx_range(p->idx, p->n_idx, entry_hash(key, vh), &hi); k < hi; k++)
                    p->gain[p->idx[k].j] += w;
            } else if (is_numeric(v) && p->n_num < MAX_NUM_KEYS) {
                /* numbers under a tolerance: cheap to score per item */
                p->num_key[p->n_num] = key;
                p->num_val[p->n_num] = v;
                p->num_col[p->n_num] = column_of(p->cols, &p->n_cols, p->act, key);
                p->num_w[p->n_num++] = w;
            } else {
                p->free_w += w;
            }
        }
        llmt_jptr_pop(&c->path, mark);
    }
}

/* Fills bnd[j] for every unused answer item; returns the first item with the highest
 * bound (SIZE_MAX if none is left). */
static size_t pair_bounds(pairing *p)
{
    size_t j, q, top = SIZE_MAX;
    for (j = p->first_unused; j < p->na; j++) {
        const json_t *aj = json_array_get(p->act, j);
        if (p->used[j])
            continue;
        if (p->obj && json_is_object(aj)) {
            double g = p->gain[j];
            for (q = 0; q < p->n_num; q++) {
                const json_t *av = p->num_col[q] ? p->num_col[q][j]
                                                 : json_object_get(aj, p->num_key[q]);
                reason why;
                char note[96];
                if (av && is_numeric(av))
                    g += p->num_w[q] * score_number(p->c, p->num_val[q], av, &why, note, 0);
            }
            p->bnd[j] = p->total_w > 0 ? (p->free_w + g) / p->total_w : 1.0;
        } else
            p->bnd[j] = upper(p->c, p->ei, aj);
        if (top == SIZE_MAX || p->bnd[j] > p->bnd[top])
            top = j;
    }
    return top;
}

/* The two scoring rounds. The item with the highest bound is scored first, so that the
 * likely partner sets a high bar early even when the list is shuffled. Round 1: every
 * item sharing the highest bound; round 2: the others whose bound can still beat the
 * best (the 1e-9 margin covers rounding between the bound's sum and the score's). Ties
 * go to the smaller index, which keeps "the first best wins" exact whatever the
 * evaluation order. */
static void pair_score_rounds(pairing *p, size_t top, double *best, size_t *best_j)
{
    size_t j;
    int round;
    for (round = 0; top != SIZE_MAX && round < 2; round++) {
        for (j = p->first_unused; j < p->na; j++) {
            double sc;
            bool top_level;
            if (p->used[j])
                continue;
            top_level = p->bnd[j] + 1e-9 >= p->bnd[top];
            if ((round == 0) != top_level || (*best >= 0 && p->bnd[j] + 1e-9 < *best))
                continue;
            sc = score_value(p->c, p->ei, json_array_get(p->act, j), 0, false);
            if (sc > *best || (sc == *best && j < *best_j)) {
                *best = sc;
                *best_j = j;
            }
        }
    }
}

/* Resets to 0 the gains pair_gains added for the current expected item, touching only
 * the index buckets of its exact-only values (not the whole array). */
static void pair_clear_gains(pairing *p)
{
    const char *key;
    json_t *v;
    size_t lo, hi;
    if (!p->obj)
        return;
    json_object_foreach((json_t *)p->ei, key, v) {
        uint64_t vh;
        bool exact = false;
        if (value_hash(p->c, v, &vh, &exact) && exact)
            for (lo = idx_range(p->idx, p->n_idx, entry_hash(key, vh), &hi); lo < hi; lo++)
                p->gain[p->idx[lo].j] = 0;
    }
}

/* The best unused answer item for the current expected item (SIZE_MAX if none) and its
 * score (-1 if none): pass 1 for a perfect partner, else pass 2 over the bounds. */
static size_t pair_item(pairing *p, double *best)
{
    size_t best_j;
    while (p->first_unused < p->na && p->used[p->first_unused])
        p->first_unused++;
    *best = -1.0;
    best_j = pair_first_perfect(p);
    if (best_j != SIZE_MAX) {
        *best = 1.0;
        return best_j;
    }
    p->obj = json_is_object(p->ei);
    pair_gains(p);
    pair_score_rounds(p, pair_bounds(p), best, &best_j);
    pair_clear_gains(p);
    return best_j;
}

/* Fills item[i] (score) and pair[i] (answer index or SIZE_MAX) for every expected item,
 * each taking the best unused answer item in turn. False on allocation failure. */
static bool set_pairing(sctx *c, const json_t *exp, const json_t *act, double *item, size_t *pair)
{
    size_t ne = json_array_size(exp), i;
    pairing p;
    bool ok;
    memset(&p, 0, sizeof p);
    p.c = c;
    p.act = act;
    p.na = json_array_size(act);
    p.used = calloc(p.na, 1);
    p.gain = calloc(p.na, sizeof(*p.gain));
    p.bnd = malloc(p.na * sizeof(*p.bnd));
    p.idx = p.used && p.gain && p.bnd ? idx_build(c, act, &p.n_idx) : NULL;
    ok = p.idx != NULL;
    for (i = 0; ok && i < ne && !c->oom; i++) {
        size_t mark = llmt_jptr_push_index(&c->path, i), best_j;
        double best;
        p.ei = json_array_get(exp, i);
        best_j = pair_item(&p, &best);
        llmt_jptr_pop(&c->path, mark);
        item[i] = best > 0 ? best : 0.0;
        pair[i] = best_j;
        if (best_j != SIZE_MAX)
            p.used[best_j] = 1;
    }
    for (i = 0; i < p.n_cols; i++)
        free(p.cols[i].vals);
    free(p.idx);
    free(p.used);
    free(p.gain);
    free(p.bnd);
    return ok && !c->oom;
}

static double score_list(sctx *c, const json_t *exp, const json_t *act, double weight, bool rec)
{
    size_t ne = json_array_size(exp), na = json_array_size(act), i, matched = 0;
    double total = 0, score;
    char note[96];
    double *item = NULL;   /* per expected item score, for details */
    size_t *pair = NULL;   /* answer index paired with each expected item, or SIZE_MAX */
    if (ne == 0 || na == 0) {
        score = (ne == 0 && na == 0) ? 1.0 : 0.0;
        if (rec)
            record(c, exp, act, score, weight, score == 1.0 ? R_MATCH : R_MISMATCH,
                   ne == 0 ? (na == 0 ? NULL : "expected an empty list")
                           : "the answer's list is empty");
        return score;
    }
    item = malloc(ne * sizeof(*item));
    pair = malloc(ne * sizeof(*pair));
    if (!item || !pair) {
        c->oom = true;
        score = 0;
        goto done;
    }
    switch (c->o->list_mode) {
    case LLMT_LIST_ORDERED_EXACT:
    case LLMT_LIST_ORDERED_SIMILARITY:
        for (i = 0; i < ne; i++) {
            item[i] = 0;
            pair[i] = i < na ? i : SIZE_MAX;
            if (i < na)
                item[i] = c->o->list_mode == LLMT_LIST_ORDERED_EXACT
                              ? (item_equal(c, i, json_array_get(exp, i), json_array_get(act, i)) ? 1.0 : 0.0)
                              : item_score(c, i, json_array_get(exp, i), json_array_get(act, i));
            total += item[i];
        }
        break;
    case LLMT_LIST_SET_SIMILARITY:
        if (!set_pairing(c, exp, act, item, pair)) {
            c->oom = true;
            score = 0;
            goto done;
        }
        for (i = 0; i < ne; i++)
            total += item[i];
        break;
    }
    score = total / (double)ne;
    if (rec) {
        for (i = 0; i < ne; i++)
            matched += item[i] >= 1.0;
        snprintf(note, sizeof note, "%s: %zu of %zu items matched%s",
                 llmt_list_mode_name(c->o->list_mode), matched, ne,
                 na > ne ? ", answer has more items" : "");
        record(c, exp, act, score, weight, score >= 1.0 ? R_MATCH : R_MISMATCH, note);
        for (i = 0; i < ne && !c->oom; i++) {
            size_t mark;
            if (item[i] >= 1.0)
                continue;
            mark = llmt_jptr_push_index(&c->path, i);
            if (pair[i] != SIZE_MAX && pair[i] != i)
                snprintf(note, sizeof note, "paired with answer item %zu", pair[i]);
            record(c, json_array_get(exp, i),
                   pair[i] != SIZE_MAX ? json_array_get(act, pair[i]) : NULL, item[i],
                   weight / (double)ne, R_LIST_ITEM,
                   pair[i] == SIZE_MAX ? "no answer item left" : (pair[i] != i ? note : NULL));
            llmt_jptr_pop(&c->path, mark);
        }
    }
done:
    free(item);
    free(pair);
    return score;
}

/* The Python _compare_values: 0-1. Records a detail when `rec` (objects record their
 * keys instead). */
static double score_value(sctx *c, const json_t *exp, const json_t *act, double weight, bool rec)
{
    reason why = R_MISMATCH;
    char note[96];
    double score = 0;
    note[0] = '\0';
    if (c->oom)
        return 0;
    if (json_is_null(exp) || json_is_null(act)) {
        if (json_is_null(exp) && json_is_null(act)) {
            score = 1.0;
            why = R_MATCH;
        } else {
            why = R_TYPE_MISMATCH;
            if (rec)
                snprintf(note, sizeof note, "expected %s, got %s", llmt_json_type_name(exp), llmt_json_type_name(act));
        }
    } else if (json_is_object(exp) && json_is_object(act)) {
        double acc = score_object(c, exp, act, rec);
        if (rec && json_object_size(exp) == 0)
            record(c, exp, act, acc / 100.0, weight, acc >= 100 ? R_MATCH : R_MISMATCH,
                   acc >= 100 ? NULL : "expected an empty object");
        return acc / 100.0;
    } else if (json_is_array(exp) && json_is_array(act)) {
        return score_list(c, exp, act, weight, rec);
    } else if (is_numeric(exp) && is_numeric(act)) {
        score = score_number(c, exp, act, &why, note, rec ? sizeof note : 0);
    } else if (json_is_string(exp) && json_is_string(act)) {
        score = score_string(c, exp, act, &why, note, rec ? sizeof note : 0);
    } else {
        /* Python's fallback: == across different types is False. */
        why = R_TYPE_MISMATCH;
        if (rec)
            snprintf(note, sizeof note, "expected %s, got %s", llmt_json_type_name(exp), llmt_json_type_name(act));
    }
    if (rec)
        record(c, exp, act, score, weight, why, note[0] ? note : NULL);
    return score;
}

static llmt_status score_run_nfc(sctx *c, const json_t *expected, const json_t *actual,
                                 const llmt_score_options *o, llmt_score_result *out, llmt_error *err);

/* llmt_score and llmt_score_text: the details go to c->fields or c->text. Strings are
 * compared in Unicode NFC: a precomposed "ü" and "u" + combining diaeresis are equal. */
static llmt_status score_run(sctx *c, const json_t *expected, const json_t *actual,
                             const llmt_score_options *o, llmt_score_result *out, llmt_error *err)
{
    json_t *e = llmt_json_nfc((json_t *)expected), *a = llmt_json_nfc((json_t *)actual);
    llmt_status st;
    if ((expected && !e) || (actual && !a))
        st = llmt_error_set(err, LLMT_E_NOMEM, "out of memory while scoring");
    else
        st = score_run_nfc(c, e, a, o, out, err);
    json_decref(e);
    json_decref(a);
    return st;
}

static llmt_status score_run_nfc(sctx *c, const json_t *expected, const json_t *actual,
                                 const llmt_score_options *o, llmt_score_result *out, llmt_error *err)
{
    llmt_score_options defaults;
    out->accuracy = 0;
    out->fields = NULL;
    if (!o) {
        llmt_score_options_init(&defaults);
        o = &defaults;
    }
    c->o = o;
    if (!expected || !actual) {
        c->oom = false;
        record(c, expected, actual, 0, 1, R_MISSING, "nothing to compare");
    } else if (json_is_object(expected)) {
        if (json_is_object(actual)) {
            out->accuracy = score_object(c, expected, actual, true);
        } else if (json_object_size(expected) == 0) {
            /* Python: `not expected` → 100 iff `not actual`. */
            out->accuracy = py_falsy(actual) ? 100.0 : 0.0;
            record(c, expected, actual, out->accuracy / 100, 1,
                   out->accuracy > 0 ? R_MATCH : R_TYPE_MISMATCH, NULL);
        } else {
            char *note = llmt_asprintf("expected an object, got %s", llmt_json_type_name(actual));
            record(c, expected, actual, 0, 1, R_TYPE_MISMATCH, note);
            free(note);
        }
    } else {
        /* Not an object at the top (SPEC expects objects, but `score` takes any JSON). */
        out->accuracy = score_value(c, expected, actual, 1, true) * 100.0;
    }
    if (c->oom || c->s.oom || c->path.oom || (c->text && c->text->oom)) {
        out->accuracy = 0;
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory while scoring");
    }
    return LLMT_OK;
}

llmt_status llmt_score_text(const json_t *expected, const json_t *actual,
                            const llmt_score_options *o, double *accuracy, llmt_buf *fields_json,
                            bool *printable, llmt_error *err)
{
    sctx c;
    llmt_score_result r;
    llmt_status st;
    size_t mark = fields_json->len;
    memset(&c, 0, sizeof c);
    c.text = fields_json;
    llmt_json_put_raw(fields_json, "[", 1);
    st = score_run(&c, expected, actual, o, &r, err);
    llmt_json_put_raw(fields_json, "]", 1);
    if (st == LLMT_OK && fields_json->oom)
        st = llmt_error_set(err, LLMT_E_NOMEM, "out of memory while scoring");
    if (st != LLMT_OK && !fields_json->oom) {
        fields_json->len = mark; /* nothing of a half-printed list */
        if (fields_json->data)
            fields_json->data[mark] = '\0';
    }
    *accuracy = st == LLMT_OK ? r.accuracy : 0;
    *printable = !c.text_bad;
    llmt_buf_free(&c.path);
    scratch_free(&c.s);
    return st;
}

llmt_status llmt_score(const json_t *expected, const json_t *actual, const llmt_score_options *o,
                       llmt_score_result *out, llmt_error *err)
{
    sctx c;
    llmt_status st = LLMT_OK;
    memset(&c, 0, sizeof c);
    out->accuracy = 0;
    out->fields = NULL;
    c.fields = json_array();
    if (!c.fields) {
        st = llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
        goto done;
    }
    st = score_run(&c, expected, actual, o, out, err);
    if (st != LLMT_OK)
        goto done;
    out->fields = c.fields;
    c.fields = NULL;
done:
    if (st != LLMT_OK)
        out->accuracy = 0;
    json_decref(c.fields);
    llmt_buf_free(&c.path);
    scratch_free(&c.s);
    return st;
}

void llmt_score_result_free(llmt_score_result *r)
{
    if (!r)
        return;
    json_decref(r->fields);
    r->fields = NULL;
}
