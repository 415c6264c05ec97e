/* JSON literals in unit tests. Include after <cmocka.h> (it reports through fail_msg). */
#ifndef LLMT_TEST_JSON_H
#define LLMT_TEST_JSON_H

#include <jansson.h>

/* Parses a JSON text written in a test (any value, not only objects); a typo in it
 * fails the test naming the text, instead of passing NULL on. The caller owns the
 * result. */
static inline json_t *J(const char *text)
{
    json_error_t je;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &je);
    if (!v)
        fail_msg("bad test JSON %s: %s", text, je.text);
    return v;
}

#endif
