#include "core/jsonutil.h"

#include <string.h>

static bool numeric(const json_t *v, bool bools_are_numbers)
{
    return json_is_number(v) || (bools_are_numbers && json_is_boolean(v));
}

static double value_of(const json_t *v)
{
    if (json_is_boolean(v))
        return json_is_true(v) ? 1.0 : 0.0;
    return json_number_value(v);
}

bool llmt_json_equal(const json_t *a, const json_t *b, bool bools_are_numbers)
{
    if (numeric(a, bools_are_numbers) && numeric(b, bools_are_numbers)) {
        if (json_is_integer(a) && json_is_integer(b))
            return json_integer_value(a) == json_integer_value(b);
        return value_of(a) == value_of(b);
    }
    if (json_typeof(a) != json_typeof(b))
        return false;
    switch (json_typeof(a)) {
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
    case JSON_ARRAY: {
        size_t i, n = json_array_size(a);
        if (n != json_array_size(b))
            return false;
        for (i = 0; i < n; i++)
            if (!llmt_json_equal(json_array_get(a, i), json_array_get(b, i), bools_are_numbers))
                return false;
        return true;
    }
    case JSON_OBJECT: {
        const char *k;
        json_t *v;
        if (json_object_size(a) != json_object_size(b))
            return false;
        json_object_foreach((json_t *)a, k, v) {
            json_t *w = json_object_get(b, k);
            if (!w || !llmt_json_equal(v, w, bools_are_numbers))
                return false;
        }
        return true;
    }
    default: /* null, true, false: the type says it all */
        return true;
    }
}

size_t llmt_json_ptr_push(llmt_buf *b, const char *key)
{
    size_t mark = b->len;
    const char *p;
    llmt_buf_append(b, "/", 1);
    for (p = key; *p; p++) {
        if (*p == '~')
            llmt_buf_append(b, "~0", 2);
        else if (*p == '/')
            llmt_buf_append(b, "~1", 2);
        else
            llmt_buf_append(b, p, 1);
    }
    return mark;
}

size_t llmt_json_ptr_push_index(llmt_buf *b, size_t i)
{
    size_t mark = b->len;
    llmt_buf_printf(b, "/%zu", i);
    return mark;
}

void llmt_json_ptr_pop(llmt_buf *b, size_t mark)
{
    if (b->data && mark <= b->len) {
        b->len = mark;
        b->data[mark] = '\0';
    }
}

long llmt_json_long(const json_t *v, long dflt)
{
    return json_is_integer(v) ? (long)json_integer_value(v) : dflt;
}
