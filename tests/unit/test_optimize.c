/* run --optimize's prompt building (run/optimize.c): field problems from result lines,
 * their priority, the Python tool's amended prompt and the optimizer model's request. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "run/optimize.h"

static void add_line(llmt_case_problems *p, const char *text)
{
    json_error_t e;
    json_t *r = json_loads(text, 0, &e);
    assert_non_null(r);
    llmt_case_problems_add(p, r);
    json_decref(r);
}

static void test_optimize_problems_priority_and_names(void **state)
{
    llmt_case_problems p = {0};
    (void)state;
    /* as results.jsonl has them: expected's order, extras last */
    add_line(&p, "{\"valid\": true, \"fields\": ["
                 "{\"path\": \"/title\", \"expected\": \"A\", \"actual\": \"B\", \"score\": 0, \"reason\": \"mismatch\"},"
                 "{\"path\": \"/location/city\", \"expected\": \"Oslo\", \"score\": 0, \"reason\": \"missing\"},"
                 "{\"path\": \"/skills\", \"expected\": [1, 2, 3], \"actual\": [1], \"score\": 0.3, \"reason\": \"mismatch\"},"
                 "{\"path\": \"/skills/2\", \"expected\": 3, \"score\": 0, \"reason\": \"list_item\"},"
                 "{\"path\": \"/tags/0/a~1b\", \"expected\": \"x\", \"actual\": \"y\", \"score\": 0.5, \"reason\": \"fuzzy\"},"
                 "{\"path\": \"/ok\", \"expected\": 1, \"actual\": 1, \"score\": 1, \"reason\": \"match\"},"
                 "{\"path\": \"/age\", \"actual\": 3, \"score\": null, \"reason\": \"extra\"}]}");
    /* a second model missed the title: missing outranks its wrong value */
    add_line(&p, "{\"valid\": false, \"fields\": ["
                 "{\"path\": \"/title\", \"expected\": \"A\", \"score\": 0, \"reason\": \"missing\"}]}");
    llmt_case_problems_sort(&p);
    assert_int_equal(p.n, 5);
    assert_true(p.invalid);
    assert_string_equal(p.v[0].field, "title");
    assert_int_equal(p.v[0].kind, LLMT_FIELD_MISSING);
    assert_string_equal(p.v[1].field, "location.city");
    assert_int_equal(p.v[1].kind, LLMT_FIELD_MISSING);
    assert_string_equal(p.v[2].field, "tags[0].a/b");
    assert_int_equal(p.v[2].kind, LLMT_FIELD_WRONG_VALUE);
    assert_string_equal(p.v[3].field, "skills");
    assert_int_equal(p.v[3].kind, LLMT_FIELD_LIST_LENGTH);
    assert_string_equal(p.v[4].field, "age");
    assert_int_equal(p.v[4].kind, LLMT_FIELD_UNEXPECTED);
    llmt_case_problems_free(&p);
}

static void test_optimize_prompt_rules_text(void **state)
{
    llmt_case_problems p = {0};
    char *s;
    (void)state;
    add_line(&p, "{\"valid\": true, \"fields\": ["
                 "{\"path\": \"/name\", \"expected\": \"A\", \"actual\": \"B\", \"score\": 0, \"reason\": \"mismatch\"},"
                 "{\"path\": \"/email\", \"expected\": \"e\", \"score\": 0, \"reason\": \"missing\"}]}");
    llmt_case_problems_sort(&p);
    s = llmt_optimize_prompt_rules("Extract it.\n\n", &p);
    assert_string_equal(s, "Extract it.\n\nADDITIONAL INSTRUCTIONS:\n"
                           "The field 'email' must be included in your response.\n"
                           "Pay special attention to the value of 'name' to ensure accuracy.\n"
                           "\nIMPORTANT TIPS FOR ACCURATE EXTRACTION:\n"
                           "- Extract all required information exactly as presented in the source text\n"
                           "- Format dates in ISO format (YYYY-MM-DD)\n"
                           "- Use proper boolean values (true/false) for yes/no fields\n"
                           "- Keep list items in the order they appear in the text\n"
                           "- Format your response as valid JSON\n");
    free(s);
    s = llmt_optimize_prompt_request("Extract it.", &p);
    assert_non_null(strstr(s, "- the field 'email' was missing\n- the value of 'name' was wrong\n"));
    assert_non_null(strstr(s, "PROMPT:\nExtract it."));
    free(s);
    llmt_case_problems_free(&p);
    /* nothing wrong: the prompt as it was */
    s = llmt_optimize_prompt_rules("Extract it.", &p);
    assert_string_equal(s, "Extract it.");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_optimize_problems_priority_and_names),
        cmocka_unit_test(test_optimize_prompt_rules_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
