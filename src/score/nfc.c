#include "score/nfc.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <uninorm.h>

#include "core/utf8.h"

static bool ascii(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80)
            return false;
    return true;
}

/* The NFC form of s[0..n) (malloc'd, *out_n bytes), or NULL when s is NFC already (or
 * cannot be normalised: it is then compared as it is). */
static char *nfc_of(const char *s, size_t n, size_t *out_n)
{
    uint8_t *r;
    size_t rn = 0;
    /* not UTF-8 (libunistring would put U+FFFD in): compared byte for byte, as before */
    if (ascii(s, n) || llmt_utf8_invalid_at(s, n) >= 0)
        return NULL;
    r = u8_normalize(UNINORM_NFC, (const uint8_t *)s, n, NULL, &rn);
    if (!r)
        return NULL;
    if (rn == n && memcmp(r, s, n) == 0) {
        free(r);
        return NULL;
    }
    *out_n = rn;
    return (char *)r;
}

/* Whether anything under v changes. */
static bool needs_nfc(const json_t *v)
{
    const char *k;
    json_t *x;
    size_t i;
    switch (json_typeof(v)) {
    case JSON_STRING:
        return !ascii(json_string_value(v), json_string_length(v));
    case JSON_ARRAY:
        json_array_foreach((json_t *)v, i, x)
            if (needs_nfc(x))
                return true;
        return false;
    case JSON_OBJECT:
        json_object_foreach((json_t *)v, k, x)
            if (!ascii(k, strlen(k)) || needs_nfc(x))
                return true;
        return false;
    default:
        return false;
    }
}

static json_t *copy_nfc(json_t *v)
{
    const char *k;
    json_t *x, *out;
    size_t i, n;
    char *norm;
    switch (json_typeof(v)) {
    case JSON_STRING:
        norm = nfc_of(json_string_value(v), json_string_length(v), &n);
        if (!norm)
            return json_incref(v);
        out = json_stringn_nocheck(norm, n);
        free(norm);
        return out;
    case JSON_ARRAY:
        out = json_array();
        json_array_foreach(v, i, x)
            if (!out || json_array_append_new(out, copy_nfc(x)) != 0) {
                json_decref(out);
                return NULL;
            }
        return out;
    case JSON_OBJECT:
        out = json_object();
        json_object_foreach(v, k, x) {
            char *nk = nfc_of(k, strlen(k), &n);
            int rc = out ? json_object_set_new(out, nk ? nk : k, copy_nfc(x)) : -1;
            free(nk);
            if (rc != 0) {
                json_decref(out);
                return NULL;
            }
        }
        return out;
    default:
        return json_incref(v);
    }
}

json_t *llmt_json_nfc(json_t *v)
{
    if (!v)
        return NULL;
    return needs_nfc(v) ? copy_nfc(v) : json_incref(v);
}
