/* JSON pointer building and JSON Schema equality (see jsonutil.h). */
#include "core/jsonutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

size_t llmt_jptr_push(llmt_buf *b, const char *key, size_t len)
{
    size_t mark = b->len, i, start = 0;
    llmt_buf_append(b, "/", 1);
    for (i = 0; i < len; i++) {
        if (key[i] != '~' && key[i] != '/')
            continue;
        llmt_buf_append(b, key + start, i - start);
        llmt_buf_append(b, key[i] == '~' ? "~0" : "~1", 2);
        start = i + 1;
    }
    llmt_buf_append(b, key + start, len - start);
    return mark;
}

size_t llmt_jptr_push_index(llmt_buf *b, size_t index)
{
    char digits[24];
    size_t mark = b->len, at = sizeof digits;
    do { /* by hand: this runs for every array item validated */
        digits[--at] = (char)('0' + index % 10);
        index /= 10;
    } while (index);
    digits[--at] = '/';
    llmt_buf_append(b, digits + at, sizeof digits - at);
    return mark;
}

void llmt_jptr_pop(llmt_buf *b, size_t mark)
{
    if (b->data && mark <= b->len) {
        b->len = mark;
        b->data[mark] = '\0';
    }
}

char *llmt_jptr_segment(const char *seg, size_t n)
{
    char *s = malloc(n + 1), *o = s;
    size_t i;
    if (!s)
        return NULL;
    for (i = 0; i < n; i++) {
        if (seg[i] == '~' && i + 1 < n && (seg[i + 1] == '0' || seg[i + 1] == '1'))
            *o++ = seg[++i] == '1' ? '/' : '~';
        else
            *o++ = seg[i];
    }
    *o = '\0';
    return s;
}

json_t *llmt_jptr_get(const json_t *doc, const char *ptr)
{
    json_t *cur = (json_t *)doc;
    while (cur && *ptr == '/') {
        const char *end = strchr(ptr + 1, '/');
        size_t n = end ? (size_t)(end - ptr - 1) : strlen(ptr + 1);
        char *key = llmt_jptr_segment(ptr + 1, n), *stop;
        if (!key)
            return NULL;
        if (json_is_object(cur)) {
            cur = json_object_get(cur, key);
        } else if (json_is_array(cur) && key[0] >= '0' && key[0] <= '9') {
            unsigned long long i = strtoull(key, &stop, 10);
            cur = *stop ? NULL : json_array_get(cur, (size_t)i);
        } else {
            cur = NULL;
        }
        free(key);
        ptr += 1 + n;
    }
    return *ptr ? NULL : cur;
}

/* An integer against a double, exactly: doubles at or beyond 2^63 are out of range,
 * and inside it a double either is an integer (compare as integers) or lies strictly
 * between two. */
static int int_real_cmp(json_int_t i, double d)
{
    double fl;
    if (isnan(d))
        return -1;
    if (d >= 9223372036854775808.0)
        return -1;
    if (d < -9223372036854775808.0)
        return 1;
    fl = floor(d);
    if ((json_int_t)fl != i)
        return (json_int_t)fl < i ? 1 : -1;
    return fl == d ? 0 : -1;
}

int llmt_json_number_cmp(const json_t *a, const json_t *b)
{
    if (json_is_integer(a) && json_is_integer(b)) {
        json_int_t x = json_integer_value(a), y = json_integer_value(b);
        return x < y ? -1 : x > y;
    }
    if (json_is_integer(a))
        return int_real_cmp(json_integer_value(a), json_real_value(b));
    if (json_is_integer(b))
        return -int_real_cmp(json_integer_value(b), json_real_value(a));
    return json_real_value(a) < json_real_value(b) ? -1 : json_real_value(a) > json_real_value(b);
}

/* A boolean as the number Python's == takes it for. */
static bool bool_number_equal(const json_t *boolean, const json_t *other)
{
    double v = json_is_true(boolean) ? 1.0 : 0.0;
    if (json_is_boolean(other))
        return json_typeof(boolean) == json_typeof(other);
    return json_is_integer(other) ? (double)json_integer_value(other) == v
                                  : json_real_value(other) == v;
}

bool llmt_json_equal(const json_t *a, const json_t *b, bool bools_are_numbers)
{
    if (json_is_number(a) && json_is_number(b))
        return llmt_json_number_cmp(a, b) == 0;
    if (bools_are_numbers && json_is_boolean(a) && (json_is_number(b) || json_is_boolean(b)))
        return bool_number_equal(a, b);
    if (bools_are_numbers && json_is_boolean(b) && json_is_number(a))
        return bool_number_equal(b, a);
    if (!a || !b || json_typeof(a) != json_typeof(b))
        return false;
    if (json_is_string(a))
        return json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
    if (json_is_array(a)) {
        size_t i, n = json_array_size(a);
        if (n != json_array_size(b))
            return false;
        for (i = 0; i < n; i++)
            if (!llmt_json_equal(json_array_get(a, i), json_array_get(b, i), bools_are_numbers))
                return false;
        return true;
    }
    if (json_is_object(a)) {
        const char *k;
        size_t klen;
        json_t *v;
        if (json_object_size(a) != json_object_size(b))
            return false;
        json_object_keylen_foreach((json_t *)a, k, klen, v) {
            if (!llmt_json_equal(v, json_object_getn(b, k, klen), bools_are_numbers))
                return false;
        }
        return true;
    }
    return a == b || json_typeof(a) == json_typeof(b); /* true, false, null */
}

json_t *llmt_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *err)
{
    json_t *v = json_loadb(buf, len, flags | JSON_ALLOW_NUL, err);
    if (!v && json_error_code(err) == json_error_numeric_overflow)
        v = json_loadb(buf, len, flags | JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, err);
    return v;
}

json_t *llmt_json_load_file(const char *path, size_t flags, json_error_t *err)
{
    json_t *v = json_load_file(path, flags | JSON_ALLOW_NUL, err);
    if (!v && json_error_code(err) == json_error_numeric_overflow)
        v = json_load_file(path, flags | JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, err);
    return v;
}

long llmt_json_long(const json_t *v, long dflt)
{
    return json_is_integer(v) ? (long)json_integer_value(v) : dflt;
}
