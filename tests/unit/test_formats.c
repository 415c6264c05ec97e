/* The table of report formats: one row per format, each with a distinct name, bit and
 * file, a writer for every report but results.json, and parsing, listing and the files
 * written all driven by it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "run/formats.h"

static void test_rows_distinct(void **state)
{
    const llmt_report_format *a, *b;
    unsigned all = 0;
    (void)state;
    for (a = llmt_report_formats; a->name; a++) {
        assert_non_null(a->file);
        assert_true(a->bit != 0 && (a->bit & (a->bit - 1)) == 0); /* one bit */
        assert_true((all & a->bit) == 0);
        all |= a->bit;
        assert_true(a->write != NULL || a->bit == LLMT_FORMAT_JSON);
        for (b = a + 1; b->name; b++) {
            assert_string_not_equal(a->name, b->name);
            assert_string_not_equal(a->file, b->file);
        }
    }
    assert_int_equal(all, LLMT_FORMAT_JSON | LLMT_FORMAT_MD | LLMT_FORMAT_HTML |
                              LLMT_FORMAT_JUNIT | LLMT_FORMAT_CSV);
}

static void test_parse_and_list(void **state)
{
    unsigned bits = 0;
    char bad[16] = "", names[128], back[64];
    (void)state;
    llmt_formats_names(names, sizeof names, ",");
    assert_true(llmt_formats_parse(names, &bits, bad, sizeof bad));
    assert_int_equal(bits, LLMT_FORMAT_JSON | LLMT_FORMAT_MD | LLMT_FORMAT_HTML |
                               LLMT_FORMAT_JUNIT | LLMT_FORMAT_CSV);
    bits = 0;
    assert_true(llmt_formats_parse("csv,md", &bits, bad, sizeof bad));
    llmt_formats_format(bits, back, sizeof back);
    assert_string_equal(back, "md,csv"); /* table order */
    bits = 0;
    assert_false(llmt_formats_parse("md,pdf", &bits, bad, sizeof bad));
    assert_string_equal(bad, "pdf");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_distinct),
        cmocka_unit_test(test_parse_and_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
