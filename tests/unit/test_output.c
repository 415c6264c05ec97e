/* Run output: results.json kept alongside results.jsonl during a run (an unnamed
 * temporary file completed at the end) must be byte for byte what writing it from
 * results.jsonl at the end gives (llmt_reports_write, used by `report` and `merge`):
 * fresh runs, resumed runs (the kept lines first), a torn last line, lines that are not
 * objects, repeat statistics; and an abandoned run leaves no file behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "core/jsonw.h"
#include "run/output.h"

static char *make_dir(void)
{
    char tmpl[] = "/tmp/llmt_output_XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return llmt_strdup(d);
}

static void rm_tree(const char *dir)
{
    char *cmd = llmt_asprintf("rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
}

static char *slurp(const char *dir, const char *name)
{
    char *path = llmt_path_join(dir, name), *text = NULL;
    llmt_error err;
    assert_int_equal(llmt_read_file(path, &text, NULL, &err), LLMT_OK);
    free(path);
    return text;
}

/* The names in `dir`, sorted, joined by spaces. */
static char *listing(const char *dir)
{
    char **names = NULL;
    size_t n = 0, i;
    llmt_buf b = {0};
    llmt_error err;
    assert_int_equal(llmt_list_dir(dir, &names, &n, &err), LLMT_OK);
    for (i = 0; i < n; i++)
        llmt_buf_printf(&b, "%s%s", i ? " " : "", names[i]);
    llmt_free_strv(names, n);
    return llmt_buf_steal(&b);
}

static void meta_init(llmt_run_meta *m)
{
    memset(m, 0, sizeof(*m));
    snprintf(m->run_id, sizeof m->run_id, "20251125T120000Z-abcd");
    m->started_at = 1764072000.0; /* 2025-11-25T12:00:00Z */
    m->finished_at = m->started_at + 3723.5;
}

/* Queues one line as llmt_output_add queues a result's (the line's text, then a
 * newline); these tests need lines of any shape, not only what the result writer
 * prints. */
static void add_line(llmt_output *o, const json_t *v)
{
    assert_true(llmt_json_dump_compact(v, &o->line, true));
    llmt_buf_append(&o->line, "\n", 1);
}

/* Adds results `from`..`to`-1 (case c<i>, `reps` repeats each), flushed in batches of 7
 * as the result thread does. */
static void add_results(llmt_output *o, llmt_summary *s, int from, int to, int reps)
{
    int i, r, k = 0;
    llmt_error err;
    for (i = from; i < to; i++) {
        for (r = 0; r < reps; r++) {
            char kase[16];
            json_t *res;
            snprintf(kase, sizeof kase, "c%03d", i);
            res = json_pack("{s:s, s:s, s:s, s:s, s:i, s:f, s:n, s:f, s:b, s:{s:i, s:i, s:f}, s:s}",
                            "task", "t", "case", kase, "provider", "mock", "model", "oracle",
                            "repeat", r, "latency_ms", 1.25 + i, "error", "accuracy",
                            (double)(i * 7 % 101), "valid", i % 3 != 0, "usage", "input_tokens",
                            10 + i, "output_tokens", 5, "cost_usd", 0.001 * i, "note",
                            "caf\xc3\xa9 \"quoted\"\n");
            assert_non_null(res);
            add_line(o, res);
            llmt_summary_add(s, 0, (unsigned)i, 0, res);
            json_decref(res);
            if (++k % 7 == 0)
                assert_int_equal(llmt_output_flush(o, &err), LLMT_OK);
        }
    }
    assert_int_equal(llmt_output_flush(o, &err), LLMT_OK);
}

/* A line that is not an object: both writers leave it out of results.json. */
static void add_array_line(llmt_output *o)
{
    json_t *a = json_pack("[i,i]", 1, 2);
    llmt_error err;
    add_line(o, a);
    assert_int_equal(llmt_output_flush(o, &err), LLMT_OK);
    json_decref(a);
}

/* Finishes the run in `dir` and checks its results.json against the one written from
 * its results.jsonl into another folder; returns the text. */
static char *finish_and_compare(llmt_output *o, const char *dir, const llmt_run_meta *meta,
                                const llmt_summary *s)
{
    char *other = make_dir(), *jsonl = llmt_path_join(dir, "results.jsonl");
    char *mine, *theirs, *names;
    llmt_error err;
    llmt_output_end(o);
    assert_int_equal(llmt_output_reports_write(o, meta, s, LLMT_FORMAT_JSON, &err), LLMT_OK);
    llmt_output_close(o);
    assert_int_equal(llmt_reports_write(other, jsonl, meta, s, LLMT_FORMAT_JSON, &err), LLMT_OK);
    mine = slurp(dir, "results.json");
    theirs = slurp(other, "results.json");
    assert_string_equal(mine, theirs);
    names = listing(dir); /* no temporary file left */
    assert_string_equal(names, "results.json results.jsonl");
    free(names);
    free(theirs);
    free(jsonl);
    rm_tree(other);
    free(other);
    return mine;
}

/* What every results.json test starts from: an empty output folder, a run's meta and
 * an empty summary of one model. */
static const char *const FX_MODELS[] = {"mock:oracle"};
typedef struct run_fx {
    char *dir;
    llmt_output o;
    llmt_summary s;
    llmt_run_meta meta;
    llmt_error err;
} run_fx;

static void fx_begin(run_fx *f)
{
    memset(f, 0, sizeof(*f));
    f->dir = make_dir();
    meta_init(&f->meta);
    llmt_summary_init(&f->s, FX_MODELS, 1);
}

static void fx_end(run_fx *f)
{
    llmt_summary_free(&f->s);
    rm_tree(f->dir);
    free(f->dir);
}

static void test_output_json_alongside_equals_rewrite(void **state)
{
    char *text;
    run_fx F;
    json_t *root;
    (void)state;
    fx_begin(&F);
    assert_int_equal(llmt_output_open(&F.o, F.dir, false, &F.err), LLMT_OK);
    llmt_output_json_begin(&F.o, &F.meta);
    assert_true(F.o.json_on); /* the path under test (this system has O_TMPFILE) */
    add_results(&F.o, &F.s, 0, 40, 2);
    add_array_line(&F.o);
    add_results(&F.o, &F.s, 40, 45, 2);
    text = finish_and_compare(&F.o, F.dir, &F.meta, &F.s);
    root = json_loads(text, 0, NULL);
    assert_non_null(root);
    assert_int_equal(json_array_size(json_object_get(root, "results")), 90);
    assert_string_equal(json_string_value(json_object_get(root, "finished_at")), "2025-11-25T13:02:03Z");
    assert_non_null(json_object_get(root, "repeat_stats"));
    json_decref(root);
    free(text);
    fx_end(&F);
}

static void test_output_json_alongside_empty_run(void **state)
{
    run_fx F;
    (void)state;
    fx_begin(&F);
    assert_int_equal(llmt_output_open(&F.o, F.dir, false, &F.err), LLMT_OK);
    llmt_output_json_begin(&F.o, &F.meta);
    free(finish_and_compare(&F.o, F.dir, &F.meta, &F.s));
    fx_end(&F);
}

/* --resume appends to results.jsonl: the lines already there come first. */
static void test_output_json_alongside_resumed(void **state)
{
    char *text;
    run_fx F;
    (void)state;
    fx_begin(&F);
    assert_int_equal(llmt_output_open(&F.o, F.dir, false, &F.err), LLMT_OK);
    add_results(&F.o, &F.s, 0, 12, 1);
    add_array_line(&F.o);
    llmt_output_close(&F.o);
    assert_int_equal(llmt_output_open(&F.o, F.dir, true, &F.err), LLMT_OK);
    llmt_output_json_begin(&F.o, &F.meta);
    assert_true(F.o.json_on);
    add_results(&F.o, &F.s, 12, 30, 1);
    text = finish_and_compare(&F.o, F.dir, &F.meta, &F.s);
    assert_non_null(strstr(text, "\"case\":\"c000\""));
    assert_non_null(strstr(text, "\"case\":\"c029\""));
    free(text);
    fx_end(&F);
}

/* A results.jsonl ending in a torn line (the writer was killed mid-line): appending glues
 * the next line to it. Whatever results.json makes of that, both ways agree. */
static void test_output_json_alongside_torn_tail(void **state)
{
    char *path;
    run_fx F;
    FILE *f;
    (void)state;
    fx_begin(&F);
    path = llmt_path_join(F.dir, "results.jsonl");
    assert_int_equal(llmt_output_open(&F.o, F.dir, false, &F.err), LLMT_OK);
    add_results(&F.o, &F.s, 0, 3, 1);
    llmt_output_close(&F.o);
    f = fopen(path, "ab");
    assert_non_null(f);
    fputs("{\"task\":\"t\",\"case\":\"torn", f);
    fclose(f);
    assert_int_equal(llmt_output_open(&F.o, F.dir, true, &F.err), LLMT_OK);
    llmt_output_json_begin(&F.o, &F.meta);
    assert_false(F.o.json_on); /* written from results.jsonl at the end instead */
    add_results(&F.o, &F.s, 3, 6, 1);
    free(finish_and_compare(&F.o, F.dir, &F.meta, &F.s));
    free(path);
    fx_end(&F);
}

/* A run that fails (or is killed) before the end: no results.json, no temporary file. */
static void test_output_json_alongside_abandoned(void **state)
{
    char *names;
    run_fx F;
    (void)state;
    fx_begin(&F);
    assert_int_equal(llmt_output_open(&F.o, F.dir, false, &F.err), LLMT_OK);
    llmt_output_json_begin(&F.o, &F.meta);
    add_results(&F.o, &F.s, 0, 20, 1);
    llmt_output_close(&F.o);
    names = listing(F.dir);
    assert_string_equal(names, "results.jsonl");
    free(names);
    /* without json among the formats, no results.json either */
    assert_int_equal(llmt_output_open(&F.o, F.dir, false, &F.err), LLMT_OK);
    llmt_output_json_begin(&F.o, &F.meta);
    add_results(&F.o, &F.s, 0, 5, 1);
    llmt_output_end(&F.o);
    assert_int_equal(llmt_output_reports_write(&F.o, &F.meta, &F.s, 0, &F.err), LLMT_OK);
    llmt_output_close(&F.o);
    names = listing(F.dir);
    assert_string_equal(names, "results.jsonl");
    free(names);
    fx_end(&F);
}

/* A write that fails (here: a file-size limit that results.jsonl stays under and
 * results.json does not) is an error naming the temporary file, and leaves no
 * results.json, truncated or not; results.jsonl keeps every result. */
static void test_output_json_write_error_reported(void **state)
{
    char *free_dir = make_dir(), *names;
    run_fx F;
    struct rlimit old, lim;
    struct stat sb;
    char *jsonl;
    void (*old_handler)(int);
    (void)state;
    fx_begin(&F);
    /* the size results.jsonl will have */
    assert_int_equal(llmt_output_open(&F.o, free_dir, false, &F.err), LLMT_OK);
    add_results(&F.o, &F.s, 0, 300, 1);
    llmt_output_close(&F.o);
    jsonl = llmt_path_join(free_dir, "results.jsonl");
    assert_int_equal(stat(jsonl, &sb), 0);
    free(jsonl);
    llmt_summary_free(&F.s);
    llmt_summary_init(&F.s, FX_MODELS, 1);
    old_handler = signal(SIGXFSZ, SIG_IGN); /* a write past the limit fails with EFBIG */
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = (rlim_t)sb.st_size + 64; /* results.json needs ~1.2 KB more */
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    assert_int_equal(llmt_output_open(&F.o, F.dir, false, &F.err), LLMT_OK);
    llmt_output_json_begin(&F.o, &F.meta);
    add_results(&F.o, &F.s, 0, 300, 1);
    llmt_output_end(&F.o);
    assert_int_equal(llmt_output_reports_write(&F.o, &F.meta, &F.s, LLMT_FORMAT_JSON, &F.err), LLMT_E_IO);
    llmt_output_close(&F.o);
    assert_non_null(strstr(F.err.message, "results.json.tmp."));
    assert_non_null(strstr(F.err.message, strerror(EFBIG)));
    names = listing(F.dir);
    assert_string_equal(names, "results.jsonl");
    free(names);
    jsonl = llmt_path_join(F.dir, "results.jsonl");
    {
        struct stat now;
        assert_int_equal(stat(jsonl, &now), 0);
        assert_int_equal(now.st_size, sb.st_size);
    }
    free(jsonl);
    /* the same from results.jsonl alone (llm-tester report) */
    assert_int_equal(llmt_reports_write(F.dir, jsonl = llmt_path_join(F.dir, "results.jsonl"), &F.meta, &F.s,
                                        LLMT_FORMAT_JSON, &F.err),
                     LLMT_E_IO);
    free(jsonl);
    assert_non_null(strstr(F.err.message, strerror(EFBIG)));
    names = listing(F.dir);
    assert_string_equal(names, "results.jsonl");
    free(names);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, old_handler);
    rm_tree(free_dir);
    free(free_dir);
    fx_end(&F);
}

/* A results.jsonl write cut short (disk full, here the file size limit) says that the
 * last line may be torn and that --resume repairs it. */
static void test_output_flush_error_says_resume_repairs(void **state)
{
    char *dir = make_dir();
    llmt_output o;
    llmt_error err;
    struct rlimit old, lim;
    void (*old_handler)(int);
    json_t *res = json_pack("{s:s, s:s}", "task", "t", "case", "c0");
    int i;
    llmt_status st = LLMT_OK;
    (void)state;
    assert_int_equal(llmt_output_open(&o, dir, false, &err), LLMT_OK);
    old_handler = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 100; /* the fourth line does not fit whole */
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    for (i = 0; i < 8 && st == LLMT_OK; i++) {
        add_line(&o, res);
        st = llmt_output_flush(&o, &err);
    }
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, old_handler);
    assert_int_equal(st, LLMT_E_IO);
    assert_non_null(strstr(err.message, "results.jsonl: "));
    assert_non_null(strstr(err.message, "its last line may be torn"));
    assert_non_null(strstr(err.message, "llm-tester run --resume "));
    assert_non_null(strstr(err.message, dir));
    llmt_output_close(&o);
    json_decref(res);
    {
        char *cmd = llmt_asprintf("rm -rf '%s'", dir);
        assert_int_equal(system(cmd), 0);
        free(cmd);
    }
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_output_json_alongside_equals_rewrite),
        cmocka_unit_test(test_output_json_alongside_empty_run),
        cmocka_unit_test(test_output_json_alongside_resumed),
        cmocka_unit_test(test_output_json_alongside_torn_tail),
        cmocka_unit_test(test_output_json_alongside_abandoned),
        cmocka_unit_test(test_output_json_write_error_reported),
        cmocka_unit_test(test_output_flush_error_says_resume_repairs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
