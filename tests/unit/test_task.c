/* Task discovery: sorted, deterministic, problems reported not skipped. */
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

/* Problems come in the folders' listing order: expected answers without a source sorted
 * by file name ("a-b.json" < "a.b.json" < "a.json", though the case names sort "a" <
 * "a-b" < "a.b"); a source of an unknown type still makes a case, which then needs an
 * expected answer. */
static void test_discovery_problem_order(void **state)
{
    char tmpl[] = "/tmp/llmt_tasks_XXXXXX";
    char *dir = llmt_strdup(mkdtemp(tmpl));
    llmt_taskset ts;
    llmt_diags d = {0};
    llmt_error err;
    char *f[5];
    size_t i;
    (void)state;
    put(dir, "t/schema.json", "{\"type\":\"object\"}");
    put(dir, "t/tests/sources/s.txt", "s");
    put(dir, "t/tests/expected/s.json", "{}");
    put(dir, "t/tests/expected/a.json", "{}");
    put(dir, "t/tests/expected/a-b.json", "{}");
    put(dir, "t/tests/expected/a.b.json", "{}");
    put(dir, "t/tests/expected/notes.md", "not an answer");
    put(dir, "t/tests/sources/noext", "x");
    put(dir, "t/tests/sources/w.doc", "x");
    assert_int_equal(llmt_tasks_discover(dir, &ts, &d, &err), LLMT_OK);
    assert_int_equal(ts.n_tasks, 1);
    assert_int_equal(ts.tasks[0].n_cases, 1);
    assert_string_equal(ts.tasks[0].cases[0].name, "s");
    /* w.doc is ignored, not a case without an expected answer */
    assert_int_equal(d.count, 5);
    assert_int_equal(d.errors, 3);
    for (i = 0; i < 5; i++)
        f[i] = llmt_diag_format(&d.items[i]);
    assert_non_null(strstr(f[0], "/t/tests/sources/noext"));
    assert_non_null(strstr(f[0], "ignored: no file extension"));
    assert_non_null(strstr(f[1], "/t/tests/sources/w.doc"));
    assert_non_null(strstr(f[1], "ignored: not .txt"));
    assert_non_null(strstr(f[2], "/t/tests/expected/a-b.json"));
    assert_non_null(strstr(f[2], "(tests/sources/a-b.txt)"));
    assert_non_null(strstr(f[3], "/t/tests/expected/a.b.json"));
    assert_non_null(strstr(f[4], "/t/tests/expected/a.json"));
    for (i = 0; i < 5; i++)
        free(f[i]);
    llmt_taskset_free(&ts);
    llmt_diags_free(&d);
    rm_tree(dir);
    free(dir);
}

static void assert_same_data(const llmt_case_data *a, const llmt_case_data *b)
{
    assert_string_equal(a->source, b->source);
    assert_string_equal(a->prompt, b->prompt);
    assert_string_equal(a->expected_text, b->expected_text);
    assert_true(json_equal(a->expected, b->expected));
}

/* Two tasks with every kind of case file: small, exactly the first read's size (16384
 * bytes, which also fills a batch read's buffer), large, empty, a link, an own prompt. */
static char *make_folder_tree(void)
{
    char tmpl[] = "/tmp/llmt_tasks_XXXXXX";
    char *dir = llmt_strdup(mkdtemp(tmpl));
    char *big = malloc(40001), *exact = malloc(16385);
    memset(big, 'b', 40000);
    big[40000] = '\0';
    memset(exact, 'e', 16384);
    exact[16384] = '\0';
    put(dir, "one/schema.json", "{\"type\":\"object\"}");
    put(dir, "one/task.json", "{\"prompt\":\"task prompt\"}");
    put(dir, "one/tests/sources/big.txt", big);
    put(dir, "one/tests/expected/big.json", "{\"n\":1}");
    put(dir, "one/tests/sources/exact.txt", exact);
    put(dir, "one/tests/expected/exact.json", "[1,2]");
    put(dir, "one/tests/sources/empty.txt", "");
    put(dir, "one/tests/expected/empty.json", "\"s\"");
    put(dir, "one/tests/sources/small.txt", "small source");
    put(dir, "one/tests/prompts/small.txt", "own prompt");
    put(dir, "one/tests/expected/small.json", "{\"a\":[1,{\"b\":null}]}");
    put(dir, "two/schema.json", "{\"type\":\"object\"}");
    put(dir, "two/tests/sources/target.txt", "through a link");
    put(dir, "two/tests/expected/target.json", "{}");
    put(dir, "two/tests/expected/link.json", "{\"l\":true}");
    {
        char *target = llmt_path_join(dir, "two/tests/sources/target.txt");
        char *link = llmt_path_join(dir, "two/tests/sources/link.txt");
        assert_int_equal(symlink(target, link), 0);
        free(target);
        free(link);
    }
    free(big);
    free(exact);
    return dir;
}

/* Loading through open folder handles gives what loading by full path gives, for every
 * kind of file, across tasks; and a file gone since discovery fails with its full path
 * named. With `ahead`, each task's cases are first read ahead in one batch
 * (llmt_case_prefetch), which must not change any of it. */
static void check_case_load_in_folders(bool ahead)
{
    char *dir = make_folder_tree(), *gone;
    llmt_taskset ts;
    llmt_diags d = {0};
    llmt_error err, err2;
    llmt_case_dirs cd;
    size_t i, j;
    assert_int_equal(llmt_tasks_discover(dir, &ts, &d, &err), LLMT_OK);
    assert_int_equal(d.count, 0);
    assert_int_equal(ts.n_tasks, 2);
    llmt_case_dirs_init(&cd);
    for (i = 0; i < ts.n_tasks; i++) {
        if (ahead && llmt_case_prefetch_wanted(&cd, &ts.tasks[i].cases[0])) {
            size_t idx[LLMT_CASE_PREFETCH];
            for (j = 0; j < ts.tasks[i].n_cases; j++)
                idx[j] = j;
            llmt_case_prefetch(&cd, &ts.tasks[i], idx, ts.tasks[i].n_cases);
            assert_int_equal(cd.n_ahead, ts.tasks[i].n_cases);
            /* what a batch can read whole was read: the small source, not the link */
            if (i == 0) {
                assert_string_equal(cd.ahead[3].source, "small source");
                assert_string_equal(cd.ahead[3].prompt, "own prompt");
                assert_null(cd.ahead[1].source); /* "empty" sorts second: read the usual way */
                assert_non_null(cd.ahead[2].expected);
            } else {
                assert_null(cd.ahead[0].source); /* a link: read the usual way */
                assert_non_null(cd.ahead[0].expected);
            }
            assert_false(llmt_case_prefetch_wanted(&cd, &ts.tasks[i].cases[0]));
        }
        for (j = 0; j < ts.tasks[i].n_cases; j++) {
            llmt_case_data a, b;
            assert_int_equal(llmt_case_load(&ts.tasks[i], &ts.tasks[i].cases[j], &a, &err), LLMT_OK);
            assert_int_equal(llmt_case_load_in(&cd, &ts.tasks[i], &ts.tasks[i].cases[j], &b, &err), LLMT_OK);
            assert_ptr_equal(cd.task, &ts.tasks[i]);
            assert_true(cd.sources >= 0 && cd.expected >= 0);
            assert_same_data(&a, &b);
            llmt_case_data_free(&a);
            llmt_case_data_free(&b);
        }
    }
    assert_string_equal(ts.tasks[0].cases[0].name, "big");
    /* a source removed after discovery: the same error by either way, naming the path */
    gone = llmt_path_join(dir, "one/tests/sources/small.txt");
    assert_int_equal(unlink(gone), 0);
    {
        llmt_case_data a, b;
        const llmt_case *c = &ts.tasks[0].cases[3];
        assert_string_equal(c->name, "small");
        if (ahead && llmt_case_prefetch_wanted(&cd, c)) {
            size_t idx[] = {3, 2};
            llmt_case_prefetch(&cd, &ts.tasks[0], idx, 2);
            assert_null(cd.ahead[0].source); /* gone: not read ahead */
            assert_non_null(cd.ahead[0].expected);
        }
        assert_int_equal(llmt_case_load(&ts.tasks[0], c, &a, &err), LLMT_E_IO);
        assert_int_equal(llmt_case_load_in(&cd, &ts.tasks[0], c, &b, &err2), LLMT_E_IO);
        assert_string_equal(err.message, err2.message);
        assert_non_null(strstr(err2.message, gone));
        assert_non_null(strstr(err2.message, "No such file"));
    }
    llmt_case_dirs_close(&cd); /* frees what was read ahead and not taken */
    assert_int_equal(cd.sources, -1);
    assert_int_equal(cd.n_ahead, 0);
    free(gone);
    llmt_taskset_free(&ts);
    llmt_diags_free(&d);
    rm_tree(dir);
    free(dir);
}

static void test_case_load_in_folders(void **state)
{
    (void)state;
    check_case_load_in_folders(false);
}

static void test_case_load_read_ahead(void **state)
{
    llmt_case_dirs cd;
    (void)state;
    llmt_case_dirs_init(&cd);
    if (!llmt_case_prefetch_wanted(&cd, NULL))
        print_message("io_uring batch reads are not available here: read-ahead not tested\n");
    llmt_case_dirs_close(&cd);
    check_case_load_in_folders(true);
}

/* An expected answer that does not parse names its full path. */
static void test_case_load_bad_expected(void **state)
{
    char tmpl[] = "/tmp/llmt_tasks_XXXXXX";
    char *dir = llmt_strdup(mkdtemp(tmpl)), *want;
    llmt_taskset ts;
    llmt_diags d = {0};
    llmt_error err;
    llmt_case_data cd;
    llmt_case_dirs dirs;
    (void)state;
    put(dir, "t/schema.json", "{\"type\":\"object\"}");
    put(dir, "t/tests/sources/x.txt", "x");
    put(dir, "t/tests/expected/x.json", "{\"a\":");
    assert_int_equal(llmt_tasks_discover(dir, &ts, &d, &err), LLMT_OK);
    llmt_case_dirs_init(&dirs);
    assert_int_equal(llmt_case_load_in(&dirs, &ts.tasks[0], &ts.tasks[0].cases[0], &cd, &err), LLMT_E_PARSE);
    want = llmt_asprintf("%s/t/tests/expected/x.json: invalid JSON at line 1", dir);
    assert_non_null(strstr(err.message, want));
    free(want);
    llmt_case_dirs_close(&dirs);
    llmt_taskset_free(&ts);
    llmt_diags_free(&d);
    rm_tree(dir);
    free(dir);
}

/* A NUL byte in a source or expected file is refused naming the file and the offset
 * (it used to cut the text short there), by the plain load, the folder load and the
 * read-ahead path alike. */
static void test_case_load_refuses_nul_bytes(void **state)
{
    char tmpl[] = "/tmp/llmt_tasks_XXXXXX";
    char *dir = llmt_strdup(mkdtemp(tmpl)), *path, *want;
    llmt_taskset ts;
    llmt_diags d = {0};
    llmt_error err;
    llmt_case_data cd;
    llmt_case_dirs dirs;
    FILE *f;
    int ahead;
    (void)state;
    put(dir, "t/schema.json", "{\"type\":\"object\"}");
    put(dir, "t/tests/sources/a.txt", "placeholder");
    put(dir, "t/tests/expected/a.json", "{}");
    put(dir, "t/tests/sources/b.txt", "fine");
    put(dir, "t/tests/expected/b.json", "{}");
    path = llmt_asprintf("%s/t/tests/sources/a.txt", dir);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite("secret\0tail", 1, 11, f), 11);
    fclose(f);
    free(path);
    path = llmt_asprintf("%s/t/tests/expected/b.json", dir);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite("{}\0{\"x\":1}", 1, 10, f), 10);
    fclose(f);
    free(path);
    assert_int_equal(llmt_tasks_discover(dir, &ts, &d, &err), LLMT_OK);
    assert_int_equal(ts.tasks[0].n_cases, 2);
    assert_int_equal(llmt_case_load(&ts.tasks[0], &ts.tasks[0].cases[0], &cd, &err), LLMT_E_PARSE);
    want = llmt_asprintf("%s/t/tests/sources/a.txt: NUL byte at offset 6", dir);
    assert_non_null(strstr(err.message, want));
    free(want);
    assert_null(cd.source);
    for (ahead = 0; ahead < 2; ahead++) {
        llmt_case_dirs_init(&dirs);
        if (ahead) {
            size_t idx[2] = {0, 1};
            llmt_case_prefetch(&dirs, &ts.tasks[0], idx, 2);
        }
        assert_int_equal(llmt_case_load_in(&dirs, &ts.tasks[0], &ts.tasks[0].cases[0], &cd, &err),
                         LLMT_E_PARSE);
        assert_non_null(strstr(err.message, "sources/a.txt: NUL byte at offset 6"));
        assert_int_equal(llmt_case_load_in(&dirs, &ts.tasks[0], &ts.tasks[0].cases[1], &cd, &err),
                         LLMT_E_PARSE);
        assert_non_null(strstr(err.message, "expected/b.json: NUL byte at offset 2"));
        llmt_case_dirs_close(&dirs);
    }
    llmt_taskset_free(&ts);
    llmt_diags_free(&d);
    rm_tree(dir);
    free(dir);
}

/* Task and case names that are not UTF-8 cannot be written to results (they vanished
 * from result lines and every --resume ran them again): refused, naming the path. */
static void test_discovery_refuses_names_not_utf8(void **state)
{
    char tmpl[] = "/tmp/llmt_tasks_XXXXXX";
    char *dir = llmt_strdup(mkdtemp(tmpl)), *want;
    llmt_taskset ts;
    llmt_diags d = {0};
    llmt_error err;
    (void)state;
    put(dir, "ok/schema.json", "{\"type\":\"object\"}");
    put(dir, "ok/tests/sources/good.txt", "x");
    put(dir, "ok/tests/expected/good.json", "{}");
    put(dir, "ok/tests/sources/Stra\xdf" "e.txt", "x");
    put(dir, "ok/tests/expected/Stra\xdf" "e.json", "{}");
    put(dir, "bad\xff/schema.json", "{\"type\":\"object\"}");
    put(dir, "bad\xff/tests/sources/a.txt", "x");
    put(dir, "bad\xff/tests/expected/a.json", "{}");
    assert_int_equal(llmt_tasks_discover(dir, &ts, &d, &err), LLMT_OK);
    assert_int_equal(ts.n_tasks, 1);
    assert_string_equal(ts.tasks[0].name, "ok");
    assert_int_equal(ts.tasks[0].n_cases, 1);
    assert_string_equal(ts.tasks[0].cases[0].name, "good");
    want = llmt_asprintf("%s/bad\xff", dir);
    assert_true(diag_mentions(&d, want, "task folder's name is not valid UTF-8"));
    free(want);
    want = llmt_asprintf("%s/ok/tests/sources/Stra\xdf" "e.txt", dir);
    assert_true(diag_mentions(&d, want, "file name is not valid UTF-8"));
    free(want);
    llmt_taskset_free(&ts);
    llmt_diags_free(&d);
    rm_tree(dir);
    free(dir);
}

/* A case file (or a task's folder) that is a symbolic link leading outside the tasks
 * folder is refused, naming the link and its target, unless links are followed; links
 * that stay inside are fine. */
static void test_discovery_refuses_links_out_of_the_tasks_folder(void **state)
{
    char tmpl[] = "/tmp/llmt_tasks_XXXXXX";
    char *dir = llmt_strdup(mkdtemp(tmpl)), *tasks, *link, *target, *want;
    llmt_taskset ts;
    llmt_diags d = {0};
    llmt_error err;
    (void)state;
    put(dir, "secret/key.txt", "top secret");
    put(dir, "outside/schema.json", "{\"type\":\"object\"}");
    put(dir, "outside/tests/sources/o.txt", "o");
    put(dir, "outside/tests/expected/o.json", "{}");
    put(dir, "tasks/t/schema.json", "{\"type\":\"object\"}");
    put(dir, "tasks/t/tests/sources/b.txt", "inside");
    put(dir, "tasks/t/tests/expected/a.json", "{}");
    put(dir, "tasks/t/tests/expected/b.json", "{}");
    put(dir, "tasks/t/tests/expected/c.json", "{}");
    tasks = llmt_path_join(dir, "tasks");
    link = llmt_asprintf("%s/t/tests/sources/a.txt", tasks);
    target = llmt_asprintf("%s/secret/key.txt", dir);
    assert_int_equal(symlink(target, link), 0);
    free(link);
    link = llmt_asprintf("%s/t/tests/sources/c.txt", tasks);
    assert_int_equal(symlink("b.txt", link), 0);
    free(link);
    link = llmt_asprintf("%s/u", tasks);
    free(target);
    target = llmt_asprintf("%s/outside", dir);
    assert_int_equal(symlink(target, link), 0);
    free(link);

    assert_int_equal(llmt_tasks_discover(tasks, &ts, &d, &err), LLMT_OK);
    assert_int_equal(ts.n_tasks, 1); /* u leads outside */
    assert_int_equal(ts.tasks[0].n_cases, 2);
    assert_string_equal(ts.tasks[0].cases[0].name, "b");
    assert_string_equal(ts.tasks[0].cases[1].name, "c"); /* a link inside: fine */
    want = llmt_asprintf("%s/secret/key.txt, outside the tasks folder", dir);
    assert_true(diag_mentions(&d, "t/tests/sources/a.txt", want));
    free(want);
    assert_true(diag_mentions(&d, "/u", "a symbolic link to"));
    llmt_taskset_free(&ts);
    llmt_diags_free(&d);

    assert_int_equal(llmt_tasks_discover_links(tasks, true, &ts, &d, &err), LLMT_OK);
    assert_int_equal(ts.n_tasks, 2);
    assert_int_equal(ts.tasks[0].n_cases, 3);
    assert_int_equal(d.errors, 0);
    llmt_taskset_free(&ts);
    llmt_diags_free(&d);
    rm_tree(dir);
    free(target);
    free(tasks);
    free(dir);
}

/* Cases come sorted by name in strcmp's order, and problems in the listing's order, for
 * names that share prefixes, contain bytes above 0x7f, '-', ' ', '~' and so on (random
 * names, fixed seed). */
static void test_discovery_order_random_names(void **state)
{
    /* pieces of names: bytes above 0x7f come as whole UTF-8 sequences (a name that is
     * not UTF-8 is refused, see test_discovery_refuses_names_not_utf8) */
    static const char *const alphabet[] = {"a", "b", "-", "_", "~", "0", "Z", " ",
                                           "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"};
    char tmpl[] = "/tmp/llmt_tasks_XXXXXX";
    char *dir = llmt_strdup(mkdtemp(tmpl));
    llmt_taskset ts;
    llmt_diags d = {0};
    llmt_error err;
    llmt_rng rng;
    size_t i, n_files = 0, warnings = 0;
    (void)state;
    llmt_rng_seed(&rng, 20251125);
    put(dir, "t/schema.json", "{\"type\":\"object\"}");
    for (i = 0; i < 600; i++) {
        char base[64], *rel;
        size_t len = 1 + llmt_rng_next(&rng) % 10, k, used = 0;
        for (k = 0; k < len; k++) {
            const char *piece = alphabet[llmt_rng_next(&rng) % (sizeof alphabet / sizeof alphabet[0])];
            memcpy(base + used, piece, strlen(piece));
            used += strlen(piece);
        }
        base[used] = '\0';
        if (i % 10 == 0) { /* no extension: a warning, in the listing's order */
            rel = llmt_asprintf("t/tests/sources/n%s", base);
            put(dir, rel, "x");
            free(rel);
            continue;
        }
        rel = llmt_asprintf("t/tests/sources/%s.txt", base);
        put(dir, rel, "x");
        free(rel);
        rel = llmt_asprintf("t/tests/expected/%s.json", base);
        put(dir, rel, "{}");
        free(rel);
        n_files++;
    }
    assert_int_equal(llmt_tasks_discover(dir, &ts, &d, &err), LLMT_OK);
    assert_int_equal(d.errors, 0);
    assert_int_equal(ts.n_tasks, 1);
    assert_true(ts.tasks[0].n_cases > n_files / 2); /* a few random names repeat */
    for (i = 1; i < ts.tasks[0].n_cases; i++)
        assert_true(strcmp(ts.tasks[0].cases[i - 1].name, ts.tasks[0].cases[i].name) < 0);
    for (i = 1; i < d.count; i++)
        assert_true(strcmp(d.items[i - 1].file, d.items[i].file) < 0);
    for (i = 0; i < d.count; i++)
        warnings += strstr(d.items[i].message, "no file extension") != NULL;
    assert_int_equal(warnings, d.count);
    assert_true(warnings > 30);
    llmt_taskset_free(&ts);
    llmt_diags_free(&d);
    rm_tree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_discovery_sorted_and_reports_problems),
        cmocka_unit_test(test_case_load_prompt_fallback),
        cmocka_unit_test(test_single_task_folder_and_missing_dir),
        cmocka_unit_test(test_examples_are_clean),
        cmocka_unit_test(test_discovery_problem_order),
        cmocka_unit_test(test_discovery_order_random_names),
        cmocka_unit_test(test_case_load_in_folders),
        cmocka_unit_test(test_case_load_read_ahead),
        cmocka_unit_test(test_case_load_bad_expected),
        cmocka_unit_test(test_case_load_refuses_nul_bytes),
        cmocka_unit_test(test_discovery_refuses_names_not_utf8),
        cmocka_unit_test(test_discovery_refuses_links_out_of_the_tasks_folder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
