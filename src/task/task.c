#include "task/task.h"

#include <stdlib.h>
#include <string.h>

#include "config/jcheck.h"
#include "core/util.h"

static const char *const file_exts[][2] = {
    {".png", "image/png"}, {".jpg", "image/jpeg"}, {".jpeg", "image/jpeg"},
    {".gif", "image/gif"}, {".webp", "image/webp"}, {".pdf", "application/pdf"},
};

const char *llmt_file_mime_type(const char *path)
{
    size_t i;
    for (i = 0; i < sizeof file_exts / sizeof file_exts[0]; i++)
        if (llmt_str_ends_with(path, file_exts[i][0]))
            return file_exts[i][1];
    return NULL;
}

static void case_free(llmt_case *c)
{
    free(c->name);
    free(c->source_path);
    free(c->prompt_path);
    free(c->expected_path);
    llmt_free_strv(c->file_paths, c->n_files);
}

static void task_free(llmt_task *t)
{
    size_t i;
    for (i = 0; i < t->n_cases; i++)
        case_free(&t->cases[i]);
    free(t->cases);
    free(t->name);
    free(t->dir);
    free(t->schema_path);
    free(t->schema_text);
    free(t->description);
    free(t->default_prompt);
    json_decref(t->scoring);
    json_decref(t->task_json);
}

void llmt_taskset_free(llmt_taskset *ts)
{
    size_t i;
    for (i = 0; i < ts->n_tasks; i++)
        task_free(&ts->tasks[i]);
    free(ts->tasks);
    memset(ts, 0, sizeof(*ts));
}

/* Returns the case with this name, appending it when new (names arrive sorted per dir,
 * but sources and files interleave, so look up). */
static int cmp_case(const void *a, const void *b)
{
    return strcmp(((const llmt_case *)a)->name, ((const llmt_case *)b)->name);
}

/* The case called `name`, created when new. t->cases stays sorted by name while the
 * sources are scanned (binary search; the folder listing is sorted, so new cases almost
 * always go at the end): discovery stays fast for 100,000 cases. */
static llmt_case *case_for(llmt_task *t, const char *name)
{
    size_t lo = 0, hi = t->n_cases;
    llmt_case *nc;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(t->cases[mid].name, name);
        if (c == 0)
            return &t->cases[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    nc = realloc(t->cases, (t->n_cases + 1) * sizeof(*nc));
    if (!nc)
        return NULL;
    t->cases = nc;
    memmove(&nc[lo + 1], &nc[lo], (t->n_cases - lo) * sizeof(*nc));
    memset(&nc[lo], 0, sizeof(*nc));
    nc[lo].name = llmt_strdup(name);
    t->n_cases++;
    return &nc[lo];
}

static bool load_task_json(llmt_task *t, llmt_diags *diags)
{
    static const char *const keys[] = {"config_version", "description", "prompt", "scoring",
                                       "skip_fields", "models", "name", NULL};
    char *path = llmt_path_join(t->dir, "task.json");
    llmt_jcheck c = {diags, path};
    size_t before = diags->errors;
    json_t *root;
    if (!llmt_path_exists(path)) {
        free(path);
        return true;
    }
    root = llmt_jc_load_file(diags, path);
    if (root && !json_is_object(root)) {
        llmt_diags_add(diags, LLMT_DIAG_ERROR, path, "", "expected an object, got %s",
                       llmt_json_type_name(root));
    } else if (root) {
        llmt_jc_unknown_keys(&c, root, "", keys);
        t->description = llmt_strdup(llmt_jc_string(&c, root, "", "description", false, NULL));
        t->default_prompt = llmt_strdup(llmt_jc_string(&c, root, "", "prompt", false, NULL));
        t->scoring = json_incref(llmt_jc_object(&c, root, "", "scoring", false));
        llmt_jc_array(&c, root, "", "skip_fields", false);
        t->task_json = json_incref(root);
    }
    json_decref(root);
    free(path);
    return diags->errors == before;
}

static bool scan_sources(llmt_task *t, const char *dir, llmt_diags *diags, llmt_error *err)
{
    char **names = NULL;
    size_t n = 0, i;
    if (llmt_list_dir(dir, &names, &n, err) != LLMT_OK) {
        llmt_diags_add(diags, LLMT_DIAG_ERROR, dir, "", "cannot read the sources folder");
        return false;
    }
    for (i = 0; i < n; i++) {
        char *full = llmt_path_join(dir, names[i]);
        const char *dot = strrchr(names[i], '.');
        char *base = dot ? llmt_strndup(names[i], (size_t)(dot - names[i])) : NULL;
        llmt_case *c = base ? case_for(t, base) : NULL;
        if (!dot || !c) {
            llmt_diags_add(diags, LLMT_DIAG_WARNING, full, "", "ignored: no file extension");
        } else if (strcmp(dot, ".txt") == 0) {
            c->source_path = full;
            full = NULL;
        } else if (llmt_file_mime_type(names[i])) {
            char **fp = realloc(c->file_paths, (c->n_files + 1) * sizeof(*fp));
            if (fp) {
                c->file_paths = fp;
                fp[c->n_files++] = full;
                full = NULL;
            }
        } else {
            llmt_diags_add(diags, LLMT_DIAG_WARNING, full, "",
                           "ignored: not .txt, .png, .jpg, .gif, .webp or .pdf");
        }
        free(base);
        free(full);
    }
    llmt_free_strv(names, n);
    return true;
}

static llmt_status discover_task(const char *dir, const char *name, llmt_taskset *ts,
                                 llmt_diags *diags, llmt_error *err)
{
    llmt_task t;
    char *tests = NULL, *sources = NULL, *expected_dir = NULL, *prompts = NULL;
    size_t i, kept;
    llmt_task *grown;
    memset(&t, 0, sizeof t);
    t.name = llmt_strdup(name);
    t.dir = llmt_strdup(dir);
    t.schema_path = llmt_path_join(dir, "schema.json");
    if (!llmt_path_exists(t.schema_path)) {
        llmt_diags_add(diags, LLMT_DIAG_ERROR, t.schema_path, "", "missing: every task needs a schema.json");
        goto skip;
    }
    if (llmt_read_file(t.schema_path, &t.schema_text, NULL, err) != LLMT_OK) {
        llmt_diags_add(diags, LLMT_DIAG_ERROR, t.schema_path, "", "cannot read");
        goto skip;
    }
    {
        json_t *s = llmt_jc_load_text(diags, t.schema_text, t.schema_path);
        bool ok = json_is_object(s);
        if (s && !ok)
            llmt_diags_add(diags, LLMT_DIAG_ERROR, t.schema_path, "", "expected an object, got %s",
                           llmt_json_type_name(s));
        json_decref(s);
        if (!ok)
            goto skip;
    }
    if (!load_task_json(&t, diags))
        goto skip;
    tests = llmt_path_join(dir, "tests");
    sources = llmt_path_join(tests, "sources");
    expected_dir = llmt_path_join(tests, "expected");
    prompts = llmt_path_join(tests, "prompts");
    if (!llmt_is_dir(sources)) {
        llmt_diags_add(diags, LLMT_DIAG_ERROR, sources, "", "missing: a task keeps its cases in tests/sources/");
        goto skip;
    }
    if (!scan_sources(&t, sources, diags, err))
        goto skip;
    for (i = 0, kept = 0; i < t.n_cases; i++) {
        llmt_case *c = &t.cases[i];
        char *fname = llmt_asprintf("%s.json", c->name);
        char *pname = llmt_asprintf("%s.txt", c->name);
        c->expected_path = llmt_path_join(expected_dir, fname);
        c->prompt_path = llmt_path_join(prompts, pname);
        free(fname);
        free(pname);
        if (!llmt_path_exists(c->prompt_path)) {
            free(c->prompt_path);
            c->prompt_path = NULL;
        }
        if (!llmt_path_exists(c->expected_path)) {
            llmt_diags_add(diags, LLMT_DIAG_ERROR, c->source_path ? c->source_path : sources, "",
                           "case '%s/%s' has no expected answer (%s is missing)", name, c->name,
                           c->expected_path);
            case_free(c);
            continue;
        }
        t.cases[kept++] = *c;
    }
    t.n_cases = kept;
    if (t.n_cases) /* sorted now: the check below looks cases up by binary search */
        qsort(t.cases, t.n_cases, sizeof(*t.cases), cmp_case);
    /* expected files without a source are mistakes too */
    {
        char **names = NULL;
        size_t n = 0, j;
        llmt_error ignore;
        if (llmt_is_dir(expected_dir) && llmt_list_dir(expected_dir, &names, &n, &ignore) == LLMT_OK) {
            for (j = 0; j < n; j++) {
                char *base = llmt_str_ends_with(names[j], ".json")
                                 ? llmt_strndup(names[j], strlen(names[j]) - 5)
                                 : NULL;
                llmt_case key;
                bool found;
                memset(&key, 0, sizeof key);
                key.name = base;
                found = base && t.n_cases &&
                        bsearch(&key, t.cases, t.n_cases, sizeof(*t.cases), cmp_case) != NULL;
                if (base && !found) {
                    char *full = llmt_path_join(expected_dir, names[j]);
                    llmt_diags_add(diags, LLMT_DIAG_ERROR, full, "",
                                   "expected answer without a source (tests/sources/%s.txt)", base);
                    free(full);
                }
                free(base);
            }
            llmt_free_strv(names, n);
        }
    }
    grown = realloc(ts->tasks, (ts->n_tasks + 1) * sizeof(*grown));
    if (!grown)
        goto skip;
    ts->tasks = grown;
    ts->tasks[ts->n_tasks++] = t;
    free(tests);
    free(sources);
    free(expected_dir);
    free(prompts);
    return LLMT_OK;
skip:
    task_free(&t);
    free(tests);
    free(sources);
    free(expected_dir);
    free(prompts);
    return LLMT_OK;
}

llmt_status llmt_tasks_discover(const char *dir, llmt_taskset *out, llmt_diags *diags,
                                llmt_error *err)
{
    char **names = NULL;
    size_t n = 0, i;
    llmt_status st;
    memset(out, 0, sizeof(*out));
    if (!llmt_is_dir(dir))
        return llmt_error_set(err, LLMT_E_IO, "tasks folder '%s' does not exist", dir);
    {
        char *schema = llmt_path_join(dir, "schema.json");
        bool single = llmt_path_exists(schema);
        free(schema);
        if (single) {
            const char *slash;
            char *trimmed = llmt_strdup(dir), *name;
            size_t len = strlen(trimmed);
            while (len > 1 && trimmed[len - 1] == '/')
                trimmed[--len] = '\0';
            slash = strrchr(trimmed, '/');
            name = llmt_strdup(slash ? slash + 1 : trimmed);
            st = discover_task(trimmed, name, out, diags, err);
            free(name);
            free(trimmed);
            return st;
        }
    }
    st = llmt_list_dir(dir, &names, &n, err);
    if (st != LLMT_OK)
        return st;
    for (i = 0; i < n && st == LLMT_OK; i++) {
        char *sub = llmt_path_join(dir, names[i]);
        if (llmt_is_dir(sub))
            st = discover_task(sub, names[i], out, diags, err);
        free(sub);
    }
    llmt_free_strv(names, n);
    return st;
}

llmt_status llmt_case_load(const llmt_task *task, const llmt_case *c, llmt_case_data *out,
                           llmt_error *err)
{
    llmt_status st = LLMT_OK;
    json_error_t je;
    memset(out, 0, sizeof(*out));
    if (c->source_path)
        st = llmt_read_file(c->source_path, &out->source, NULL, err);
    else
        out->source = llmt_strdup("");
    if (st == LLMT_OK && c->prompt_path)
        st = llmt_read_file(c->prompt_path, &out->prompt, NULL, err);
    else if (st == LLMT_OK)
        out->prompt = llmt_strdup(task->default_prompt
                                      ? task->default_prompt
                                      : "Extract the information from the text below into JSON "
                                        "that matches the schema.");
    if (st == LLMT_OK)
        st = llmt_read_file(c->expected_path, &out->expected_text, NULL, err);
    if (st == LLMT_OK) {
        out->expected = json_loads(out->expected_text, JSON_DECODE_ANY, &je);
        if (!out->expected)
            st = llmt_error_set(err, LLMT_E_PARSE, "%s: invalid JSON at line %d, column %d: %s",
                                c->expected_path, je.line, je.column, je.text);
    }
    if (st != LLMT_OK)
        llmt_case_data_free(out);
    return st;
}

void llmt_case_data_free(llmt_case_data *d)
{
    free(d->source);
    free(d->prompt);
    free(d->expected_text);
    json_decref(d->expected);
    memset(d, 0, sizeof(*d));
}
