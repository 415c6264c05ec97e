/* report.html's data block and report.md's per-task and field tables, from hand-made
 * results.jsonl lines: no value can end the script element or open a comment, the JSON
 * reads back to the same values, flags and lost fields are what the lines say, the
 * expected answer is rebuilt from the fields, and the field figures fold list items. */
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
#include "run/report_stats.h"

static const char *const LINES[] = {
    /* a hostile answer, two lost fields (one missing), one list item */
    "{\"task\":\"t\",\"case\":\"c<!--\",\"provider\":\"mock\",\"model\":\"a\",\"repeat\":0,\"error\":null,"
    "\"answered_by\":\"mock:a\",\"accuracy\":50.0,\"valid\":false,\"violations\":[\"/n: bad\"],"
    "\"usage\":{\"input_tokens\":3,\"output_tokens\":4,\"cost_usd\":0.5},\"latency_ms\":12,"
    "\"fields\":[{\"path\":\"/name\",\"expected\":\"Bob\",\"actual\":\"</script><script>x()</script>\",\"score\":0.0,"
    "\"weight\":1.0,\"reason\":\"mismatch\"},{\"path\":\"/o/k\",\"expected\":1,\"score\":0.0,\"weight\":1.0,"
    "\"reason\":\"missing\"},{\"path\":\"/l\",\"expected\":[1,2],\"actual\":[1,3],\"score\":0.5,\"weight\":1.0,"
    "\"reason\":\"mismatch\"},{\"path\":\"/l/1\",\"expected\":2,\"actual\":3,\"score\":0.0,\"weight\":0.5,"
    "\"reason\":\"list_item\"},{\"path\":\"/ok\",\"expected\":true,\"actual\":true,\"score\":1.0,\"weight\":1.0,"
    "\"reason\":\"match\"}],\"answer\":{\"name\":\"</script><script>x()</script>\",\"l\":[1,3],\"ok\":true}}\n",
    /* answered by a fallback, from the cache, strict false */
    "{\"task\":\"t\",\"case\":\"c<!--\",\"provider\":\"mock\",\"model\":\"b\",\"repeat\":0,\"error\":null,"
    "\"answered_by\":\"mock:oracle\",\"cached\":true,\"strict\":false,\"accuracy\":100.0,\"valid\":true,"
    "\"violations\":[],\"usage\":{\"input_tokens\":1,\"output_tokens\":1,\"cost_usd\":null},\"latency_ms\":1,"
    "\"fields\":[{\"path\":\"/name\",\"expected\":\"Bob\",\"actual\":\"Bob\",\"score\":1.0,\"weight\":1.0,"
    "\"reason\":\"match\"}],\"answer\":{\"name\":\"Bob\",\"o\":{\"k\":1},\"l\":[1,2],\"ok\":true}}\n",
    /* a failed call */
    "{\"task\":\"t\",\"case\":\"d\",\"provider\":\"mock\",\"model\":\"a\",\"repeat\":0,\"answered_by\":null,"
    "\"error\":{\"class\":\"server\",\"message\":\"boom <b>\",\"http_status\":500},\"accuracy\":0.0,"
    "\"valid\":false,\"violations\":[],\"usage\":{\"input_tokens\":0,\"output_tokens\":0,\"cost_usd\":0},"
    "\"latency_ms\":3,\"fields\":[],\"answer\":null}\n",
    /* a torn last line, skipped */
    "{\"task\":\"t\",\"case\":\"e\""};

static char *write_jsonl(char *dir)
{
    char *path = llmt_path_join(dir, "results.jsonl");
    FILE *f = fopen(path, "w");
    size_t i;
    assert_non_null(f);
    for (i = 0; i < sizeof LINES / sizeof *LINES; i++)
        fputs(LINES[i], f);
    fclose(f);
    return path;
}

static void rm_tree(const char *dir)
{
    char *cmd = llmt_asprintf("rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
}

/* The data block of the page at `path`, parsed. */
static json_t *data_block(const char *path)
{
    char *page = NULL, *start, *end;
    llmt_error err;
    json_t *data;
    assert_int_equal(llmt_read_file(path, &page, NULL, &err), LLMT_OK);
    start = strstr(page, "id=\"llmt-data\">");
    assert_non_null(start);
    start += strlen("id=\"llmt-data\">");
    end = strstr(start, "</script>");
    assert_non_null(end);
    *end = '\0';
    /* nothing in it can end the element or open a comment */
    assert_null(strchr(start, '<'));
    assert_null(strchr(start, '>'));
    data = json_loads(start, 0, NULL);
    assert_non_null(data);
    free(page);
    return data;
}

static void test_data_block(void **state)
{
    char tmpl[] = "/tmp/llmt_html_XXXXXX", *dir = mkdtemp(tmpl), *jsonl, *page;
    llmt_run_meta meta = {"run-1", 0, 1};
    llmt_summary s;
    llmt_error err;
    json_t *d, *r0, *r1, *r2, *lo, *kase;
    (void)state;
    assert_non_null(dir);
    jsonl = write_jsonl(dir);
    page = llmt_path_join(dir, "report.html");
    if (llmt_summary_from_jsonl(&s, jsonl, &err) != LLMT_OK)
        fail_msg("%s", err.message);
    assert_int_equal(llmt_report_html_write(page, jsonl, &meta, &s, &err), LLMT_OK);
    d = data_block(page);
    assert_string_equal(json_string_value(json_object_get(d, "mode")), "run");
    assert_int_equal(json_array_size(json_object_get(d, "results")), 3);
    assert_int_equal(json_array_size(json_object_get(d, "cases")), 2);
    r0 = json_array_get(json_object_get(d, "results"), 0);
    r1 = json_array_get(json_object_get(d, "results"), 1);
    r2 = json_array_get(json_object_get(d, "results"), 2);
    /* the hostile answer reads back as it was */
    assert_string_equal(json_string_value(json_object_get(json_object_get(r0, "x"), "name")),
                        "</script><script>x()</script>");
    kase = json_array_get(json_object_get(d, "cases"), 0);
    assert_string_equal(json_string_value(json_object_get(kase, "n")), "c<!--");
    /* expected rebuilt from the fields: nested key, list whole, list item not used */
    assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(kase, "x"), "o"), "k")), 1);
    assert_int_equal(json_array_size(json_object_get(json_object_get(kase, "x"), "l")), 2);
    /* full marks as path indices, the rest with their details */
    assert_int_equal(json_array_size(json_object_get(r0, "ok")), 1);
    lo = json_object_get(r0, "lo");
    assert_int_equal(json_array_size(lo), 4);
    assert_null(json_object_get(json_array_get(lo, 1), "ac")); /* missing: no actual */
    assert_int_equal(json_integer_value(json_object_get(r0, "f")), 0);
    /* fallback (2) + cached (4) + strict false (8) */
    assert_int_equal(json_integer_value(json_object_get(r1, "f")), 2 | 4 | 8);
    assert_string_equal(json_string_value(json_object_get(r1, "ab")), "mock:oracle");
    assert_true(json_is_null(json_object_get(r1, "k")));
    /* error: no accuracy, the message kept */
    assert_int_equal(json_integer_value(json_object_get(r2, "f")) & 1, 1);
    assert_true(json_is_null(json_object_get(r2, "a")));
    assert_string_equal(json_string_value(json_object_get(r2, "e")), "server: boom <b>");
    json_decref(d);
    llmt_summary_free(&s);
    free(page);
    free(jsonl);
    rm_tree(dir);
}

/* An answer equal to the expected one is marked, not repeated. */
static void test_same_as_expected(void **state)
{
    char tmpl[] = "/tmp/llmt_html_XXXXXX", *dir = mkdtemp(tmpl), *jsonl, *page;
    llmt_run_meta meta = {"run-2", 0, 1};
    llmt_error err;
    FILE *f;
    json_t *d, *r;
    (void)state;
    assert_non_null(dir);
    jsonl = llmt_path_join(dir, "results.jsonl");
    page = llmt_path_join(dir, "report.html");
    f = fopen(jsonl, "w");
    assert_non_null(f);
    fputs("{\"task\":\"t\",\"case\":\"c\",\"provider\":\"p\",\"model\":\"m\",\"repeat\":0,\"error\":null,"
          "\"accuracy\":100.0,\"valid\":true,\"fields\":[{\"path\":\"/a\",\"expected\":1,\"actual\":1,"
          "\"score\":1.0,\"weight\":1.0,\"reason\":\"match\"}],\"answer\":{\"a\":1}}\n", f);
    fclose(f);
    assert_int_equal(llmt_report_html_write(page, jsonl, &meta, NULL, &err), LLMT_OK);
    d = data_block(page);
    r = json_array_get(json_object_get(d, "results"), 0);
    assert_true(json_is_true(json_object_get(r, "sx")));
    assert_null(json_object_get(r, "x"));
    json_decref(d);
    free(page);
    free(jsonl);
    rm_tree(dir);
}

/* Two runs: the page in diff mode with the results of each side marked. */
static void test_compare(void **state)
{
    char tmpl[] = "/tmp/llmt_html_XXXXXX", *dir = mkdtemp(tmpl), *jsonl, *page;
    llmt_run_meta a = {"old", 0, 1}, b = {"new", 2, 3};
    llmt_error err;
    json_t *d, *res;
    size_t i, side1 = 0;
    (void)state;
    assert_non_null(dir);
    jsonl = write_jsonl(dir);
    page = llmt_path_join(dir, "compare.html");
    assert_int_equal(llmt_report_html_compare_write(page, jsonl, &a, jsonl, &b, NULL, &err), LLMT_OK);
    d = data_block(page);
    assert_string_equal(json_string_value(json_object_get(d, "mode")), "diff");
    assert_int_equal(json_array_size(json_object_get(d, "runs")), 2);
    res = json_object_get(d, "results");
    assert_int_equal(json_array_size(res), 6);
    for (i = 0; i < json_array_size(res); i++)
        side1 += json_integer_value(json_object_get(json_array_get(res, i), "s")) == 1;
    assert_int_equal(side1, 3);
    json_decref(d);
    assert_int_not_equal(llmt_report_html_compare_write(page, "/nonexistent/results.jsonl", &a, jsonl, &b,
                                                        NULL, &err), LLMT_OK);
    assert_non_null(strstr(err.message, "/nonexistent/results.jsonl"));
    free(page);
    free(jsonl);
    rm_tree(dir);
}

static void test_fold(void **state)
{
    llmt_buf b = {0};
    (void)state;
    llmt_field_path_fold(&b, "/items/0/name/12");
    assert_string_equal(b.data, "/items/[]/name/[]");
    b.len = 0;
    llmt_field_path_fold(&b, "/a1/0x/~1");
    assert_string_equal(b.data, "/a1/0x/~1");
    llmt_buf_free(&b);
}

static void test_stats(void **state)
{
    char tmpl[] = "/tmp/llmt_html_XXXXXX", *dir = mkdtemp(tmpl), *jsonl;
    llmt_report_stats rs;
    llmt_error err;
    const llmt_field_figures *top[3];
    size_t n;
    (void)state;
    assert_non_null(dir);
    jsonl = write_jsonl(dir);
    llmt_report_stats_init(&rs);
    assert_int_equal(llmt_report_stats_from_jsonl(&rs, jsonl, &err), LLMT_OK);
    /* per task x model under test: mock:a has one answer and one error; mock:b's only
     * result was answered by the fallback, so it is an error with no mean */
    assert_int_equal(rs.n_tasks, 2);
    assert_string_equal(rs.tasks[0].model, "mock:a");
    assert_int_equal(rs.tasks[0].results, 2);
    assert_int_equal(rs.tasks[0].errors, 1);
    assert_int_equal(rs.tasks[0].answered, 1);
    assert_true(rs.tasks[0].acc_sum == 50.0);
    assert_int_equal(rs.tasks[1].answered, 0);
    assert_int_equal(rs.tasks[1].errors, 1);
    assert_true(rs.tasks[1].cost_unknown);
    /* fields of mock:a's answer: the list item detail is not a field of its own */
    n = llmt_report_stats_top_lost(&rs, "mock:a", top, 3);
    assert_int_equal(n, 3);
    assert_string_equal(top[0]->path, "/name"); /* ties: most points lost first */
    assert_string_equal(top[2]->path, "/l");
    /* the fallback's answer counts under the fallback */
    assert_int_equal(llmt_report_stats_top_lost(&rs, "mock:oracle", top, 3), 0);
    assert_int_equal(rs.n_models, 2);
    llmt_report_stats_free(&rs);
    free(jsonl);
    rm_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_data_block),
        cmocka_unit_test(test_same_as_expected),
        cmocka_unit_test(test_compare),
        cmocka_unit_test(test_fold),
        cmocka_unit_test(test_stats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
