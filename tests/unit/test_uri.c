/* score/uri: RFC 3986 reference resolution, checked against the RFC's own examples
 * (section 5.4) and the URN and fragment cases $id / $ref need. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "score/uri.h"

static void expect(const char *base, const char *ref, const char *want)
{
    char *got = llmt_uri_resolve(base, ref);
    if (!got || strcmp(got, want) != 0)
        fail_msg("resolve(%s, %s) = %s, expected %s", base, ref, got ? got : "(null)", want);
    free(got);
}

static void test_uri_rfc3986_examples(void **state)
{
    static const char *const cases[][2] = {
        {"g:h", "g:h"},         {"g", "http://a/b/c/g"},       {"./g", "http://a/b/c/g"},
        {"g/", "http://a/b/c/g/"}, {"/g", "http://a/g"},        {"//g", "http://g"},
        {"?y", "http://a/b/c/d;p?y"}, {"g?y", "http://a/b/c/g?y"}, {"#s", "http://a/b/c/d;p?q#s"},
        {"g#s", "http://a/b/c/g#s"}, {";x", "http://a/b/c/;x"},  {"", "http://a/b/c/d;p?q"},
        {".", "http://a/b/c/"},  {"./", "http://a/b/c/"},       {"..", "http://a/b/"},
        {"../", "http://a/b/"},  {"../g", "http://a/b/g"},      {"../..", "http://a/"},
        {"../../g", "http://a/g"}, {"../../../g", "http://a/g"}, {"/./g", "http://a/g"},
        {"/../g", "http://a/g"}, {"g.", "http://a/b/c/g."},     {"..g", "http://a/b/c/..g"},
        {"./../g", "http://a/b/g"}, {"g/./h", "http://a/b/c/g/h"}, {"g/../h", "http://a/b/c/h"},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect("http://a/b/c/d;p?q", cases[i][0], cases[i][1]);
}

static void test_uri_urns_and_fragments(void **state)
{
    (void)state;
    expect("urn:uuid:deadbeef-1234-ffff-ffff-4321feebdaed", "#/$defs/bar",
           "urn:uuid:deadbeef-1234-ffff-ffff-4321feebdaed#/$defs/bar");
    expect("urn:example:a", "urn:example:b#x", "urn:example:b#x");
    expect("http://localhost:1234/draft2020-12/tree", "#node", "http://localhost:1234/draft2020-12/tree#node");
    expect("", "http://x/y.json#", "http://x/y.json#");
    assert_int_equal(llmt_uri_strip_fragment_len("http://x/y#z"), 10);
    assert_int_equal(llmt_uri_strip_fragment_len("http://x/y"), 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uri_rfc3986_examples),
        cmocka_unit_test(test_uri_urns_and_fragments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
