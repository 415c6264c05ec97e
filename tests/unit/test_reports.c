/* report_csv.c and report_md.c with hostile names: a task, case or model name starting
 * like a spreadsheet formula is written as text in results.csv, and a '|' or a line
 * break in a name cannot break report.md's tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "run/output.h"

static const char *const MODELS[] = {"p:-m|x"};

/* One result line with these names, into <dir>/results.jsonl. */
static char *write_jsonl(const char *dir)
{
    static const char line[] =
        "{\"task\":\"=HYPERLINK(\\\"http://x\\\")\",\"case\":\"a|b\\nc\",\"provider\":\"p\","
        "\"model\":\"-m|x\",\"repeat\":0,\"accuracy\":50,\"valid\":true,\"usage\":{"
        "\"input_tokens\":1,\"output_tokens\":2,\"cost_usd\":0.1},\"latency_ms\":5,\"error\":{"
        "\"class\":\"bad_response\",\"message\":\"@SUM(1+1)|x\"},\"fields\":[{\"path\":\"/a|b\","
        "\"expected\":1,\"actual\":2,\"score\":0,\"weight\":1,\"reason\":\"mismatch\"}],"
        "\"violations\":[]}\n";
    char *path = llmt_path_join(dir, "results.jsonl");
    assert_int_equal(llmt_write_file_atomic(path, line, strlen(line), NULL), LLMT_OK);
    return path;
}

static char *slurp(const char *path)
{
    char *text = NULL;
    assert_int_equal(llmt_read_file(path, &text, NULL, NULL), LLMT_OK);
    return text;
}

static void test_reports_hostile_names(void **state)
{
    char dir[] = "/tmp/llmt-test-reports-XXXXXX";
    char *jsonl, *csv, *md, *text;
    llmt_run_meta meta;
    llmt_summary s;
    llmt_error err;
    (void)state;
    assert_non_null(mkdtemp(dir));
    jsonl = write_jsonl(dir);
    csv = llmt_path_join(dir, "results.csv");
    md = llmt_path_join(dir, "report.md");
    memset(&meta, 0, sizeof meta);
    snprintf(meta.run_id, sizeof meta.run_id, "r1");
    llmt_summary_init(&s, MODELS, 1);
    assert_int_equal(llmt_report_csv_write(csv, jsonl, &meta, &s, &err), LLMT_OK);
    assert_int_equal(llmt_report_md_write(md, jsonl, &meta, &s, &err), LLMT_OK);

    text = slurp(csv);
    /* formulas quoted and prefixed with ' : text for a spreadsheet */
    assert_non_null(strstr(text, "\"'=HYPERLINK(\"\"http://x\"\")\""));
    assert_non_null(strstr(text, "\"'-m|x\""));
    assert_non_null(strstr(text, "\"'@SUM(1+1)|x\""));
    assert_null(strstr(text, ",=HYPERLINK"));
    free(text);

    text = slurp(md);
    /* the results row: one line, the '|' of names escaped */
    assert_non_null(strstr(text, "\n| =HYPERLINK(\"http://x\") | a\\|b c | p:-m\\|x | 1 |"));
    assert_non_null(strstr(text, "| p:-m\\|x |"));          /* summary table */
    assert_non_null(strstr(text, "#### =HYPERLINK(\"http://x\") / a\\|b c — p:-m\\|x (run 1"));
    assert_null(strstr(text, "(null)"));
    free(text);

    llmt_summary_free(&s);
    unlink(jsonl);
    unlink(csv);
    unlink(md);
    rmdir(dir);
    free(jsonl);
    free(csv);
    free(md);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_reports_hostile_names)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
