/* Task discovery (SPEC §4): sorted, deterministic, problems reported not skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/util.h"
#include "task/task.h"

static void put(const char *dir, const char *rel, const char *content)
{
    char *path = llmt_path_join(dir, rel);
    char *slash = strrchr(path, '/');
    FILE *f;
    *slash = '\0';
    assert_int_equal(llmt_mkdirs(path, NULL), LLMT_OK);
    *slash = '/';
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
    free(path);
}

static char *make_tree(void)
{
    char tmpl[] = "/tmp/llmt_tasks_XXXXXX";
    char *dir = llmt_strdup(mkdtemp(tmpl));
    put(dir, "zeta/schema.json", "{\"type\":\"object\"}");
    put(dir, "zeta/tests/sources/b.txt", "source b");
    put(dir, "zeta/tests/sources/a.txt", "source a");
    put(dir, "zeta/tests/sources/a.png", "PNG");
    put(dir, "zeta/tests/expected/a.json", "{\"x\":1}");
    put(dir, "zeta/tests/expected/b.json", "{\"x\":2}");
    put(dir, "zeta/tests/prompts/b.txt", "own prompt");
    put(dir, "zeta/task.json", "{\"prompt\":\"task prompt\",\"scoring\":{\"list_mode\":\"set_similarity\"}}");
    put(dir, "alpha/schema.json", "{\"type\":\"object\"}");
    put(dir, "alpha/tests/sources/orphan.txt", "no expected");
    put(dir, "alpha/tests/sources/ok.txt", "fine");
    put(dir, "alpha/tests/expected/ok.json", "{}");
    put(dir, "alpha/tests/expected/lonely.json", "{}");
    put(dir, "noschema/tests/sources/x.txt", "x");
    return dir;
}

static void rm_tree(const char *dir)
{
    char *cmd = llmt_asprintf("rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
}

static bool diag_mentions(const llmt_diags *d, const char *a, const char *b)
{
    size_t i;
    for (i = 0; i < d->count; i++) {
        char *s = llmt_diag_format(&d->items[i]);
        bool hit = strstr(s, a) && (!b || strstr(s, b));
        free(s);
        if (hit)
            return true;
    }
    return false;
}

static void test_discovery_sorted_and_reports_problems(void **state)
{
    char *dir = make_tree();
    llmt_taskset ts;
    llmt_diags d = {0};
    llmt_error err;
    (void)state;
    assert_int_equal(llmt_tasks_discover(dir, &ts, &d, &err), LLMT_OK);
    assert_int_equal(ts.n_tasks, 2); /* noschema refused */
    assert_string_equal(ts.tasks[0].name, "alpha");
    assert_string_equal(ts.tasks[1].name, "zeta");
    assert_int_equal(ts.tasks[0].n_cases, 1);
    assert_string_equal(ts.tasks[0].cases[0].name, "ok");
    assert_int_equal(ts.tasks[1].n_cases, 2);
    assert_string_equal(ts.tasks[1].cases[0].name, "a");
    assert_string_equal(ts.tasks[1].cases[1].name, "b");
    assert_int_equal(ts.tasks[1].cases[0].n_files, 1);
    assert_true(diag_mentions(&d, "orphan", "no expected answer"));
    assert_true(diag_mentions(&d, "lonely.json", "without a source"));
    assert_true(diag_mentions(&d, "noschema/schema.json", "missing"));
    assert_int_equal(d.errors, 3);
    llmt_taskset_free(&ts);
    llmt_diags_free(&d);
    rm_tree(dir);
    free(dir);
}

static void test_case_load_prompt_fallback(void **state)
{
    char *dir = make_tree();
    llmt_taskset ts;
    llmt_diags d = {0};
    llmt_error err;
    llmt_case_data cd;
    const llmt_task *t;
    (void)state;
    assert_int_equal(llmt_tasks_discover(dir, &ts, &d, &err), LLMT_OK);
    t = &ts.tasks[1];
    assert_int_equal(llmt_case_load(t, &t->cases[0], &cd, &err), LLMT_OK);
    assert_string_equal(cd.prompt, "task prompt");
    assert_string_equal(cd.source, "source a");
    assert_int_equal(json_integer_value(json_object_get(cd.expected, "x")), 1);
    llmt_case_data_free(&cd);
    assert_int_equal(llmt_case_load(t, &t->cases[1], &cd, &err), LLMT_OK);
    assert_string_equal(cd.prompt, "own prompt");
    llmt_case_data_free(&cd);
    assert_string_equal(json_string_value(json_object_get(t->scoring, "list_mode")), "set_similarity");
    llmt_taskset_free(&ts);
    llmt_diags_free(&d);
    rm_tree(dir);
    free(dir);
}

static void test_single_task_folder_and_missing_dir(void **state)
{
    llmt_taskset ts;
    llmt_diags d = {0};
    llmt_error err;
    (void)state;
    assert_int_equal(llmt_tasks_discover(LLMT_SOURCE_DIR "/examples/tasks/job_ads", &ts, &d, &err), LLMT_OK);
    assert_int_equal(ts.n_tasks, 1);
    assert_string_equal(ts.tasks[0].name, "job_ads");
    assert_true(ts.tasks[0].n_cases >= 3);
    assert_int_equal(d.errors, 0);
    llmt_taskset_free(&ts);
    assert_int_equal(llmt_tasks_discover("/nonexistent/tasks", &ts, &d, &err), LLMT_E_IO);
    assert_non_null(strstr(err.message, "/nonexistent/tasks"));
    llmt_diags_free(&d);
}

static void test_examples_are_clean(void **state)
{
    llmt_taskset ts;
    llmt_diags d = {0};
    llmt_error err;
    size_t i, j;
    (void)state;
    assert_int_equal(llmt_tasks_discover(LLMT_SOURCE_DIR "/examples/tasks", &ts, &d, &err), LLMT_OK);
    assert_int_equal(d.count, 0);
    assert_true(ts.n_tasks >= 2);
    for (i = 0; i < ts.n_tasks; i++) {
        assert_true(ts.tasks[i].n_cases >= 3);
        for (j = 0; j < ts.tasks[i].n_cases; j++) {
            llmt_case_data cd;
            assert_int_equal(llmt_case_load(&ts.tasks[i], &ts.tasks[i].cases[j], &cd, &err), LLMT_OK);
            assert_true(json_is_object(cd.expected));
            assert_true(strlen(cd.source) > 500); /* several realistic paragraphs */
            llmt_case_data_free(&cd);
        }
    }
    llmt_taskset_free(&ts);
    llmt_diags_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_discovery_sorted_and_reports_problems),
        cmocka_unit_test(test_case_load_prompt_fallback),
        cmocka_unit_test(test_single_task_folder_and_missing_dir),
        cmocka_unit_test(test_examples_are_clean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
