/* `llm-tester import DIR --output TASKS_DIR`: turns pydantic-llm-tester task folders
 * (py_models/<task>/model.py + tests/sources|prompts|expected) into llm-tester tasks.
 * Python (the shipped helper llmt_pyimport.py) imports each model.py and says which
 * class, schema, skip fields and cases the Python tool would have used; this file
 * copies the cases and lists everything it left behind, with the reason. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/pyhelper.h"
#include "config/cfgfile.h"
#include "core/util.h"
#include "task/task.h"

#define HELPER_NAME "llmt_pyimport.py"

typedef struct import_task {
    char *dir;   /* the Python task folder */
    char *name;
} import_task;

typedef struct import_ctx {
    const char *out_dir;
    char **used;        /* real paths of the files carried over */
    size_t n_used, cap;
    size_t skipped;
} import_ctx;

static void use(import_ctx *ic, const char *path)
{
    char *real = realpath(path, NULL);
    char **v;
    if (!real)
        return;
    if (ic->n_used == ic->cap) {
        size_t cap = ic->cap ? ic->cap * 2 : 32;
        v = realloc(ic->used, cap * sizeof(*v));
        if (!v) {
            free(real);
            return;
        }
        ic->used = v;
        ic->cap = cap;
    }
    ic->used[ic->n_used++] = real;
}

static bool used(const import_ctx *ic, const char *path)
{
    char *real = realpath(path, NULL);
    size_t i;
    bool hit = false;
    for (i = 0; real && i < ic->n_used && !hit; i++)
        hit = strcmp(ic->used[i], real) == 0;
    free(real);
    return hit;
}

static void skip(import_ctx *ic, const char *task, const char *rel, bool is_dir, const char *why)
{
    printf("  skipped %s%s%s%s: %s\n", task, task[0] ? "/" : "", rel, is_dir ? "/" : "", why);
    ic->skipped++;
}

/* Why a folder or file of a task is left out on sight; NULL: look inside / at it. */
static const char *skip_reason(const char *rel, bool is_dir)
{
    const char *base = strrchr(rel, '/');
    base = base ? base + 1 : rel;
    if (is_dir && strcmp(base, "__pycache__") == 0)
        return "Python bytecode cache";
    if (is_dir && strcmp(rel, "reports") == 0)
        return "the Python tool's reports (llm-tester writes reports under run --output)";
    if (is_dir && strcmp(rel, "tests/prompts/optimized") == 0)
        return "prompts of an earlier --optimize (run --optimize writes new ones under its "
               "output; --save-optimized puts them here)";
    if (!is_dir && strcmp(base, "__init__.py") == 0)
        return "Python package marker";
    return NULL;
}

/* Lists what the import left behind in task folder `root` (below `rel`). */
static void list_leftovers(import_ctx *ic, const char *task, const char *root, const char *rel)
{
    char *dir = rel[0] ? llmt_path_join(root, rel) : llmt_strdup(root);
    char **names = NULL;
    size_t n = 0, i;
    if (!dir || llmt_list_dir(dir, &names, &n, NULL) != LLMT_OK) {
        free(dir);
        return;
    }
    for (i = 0; i < n; i++) {
        char *r = rel[0] ? llmt_asprintf("%s/%s", rel, names[i]) : llmt_strdup(names[i]);
        char *full = llmt_path_join(dir, names[i]);
        bool is_dir = full && llmt_is_dir(full);
        const char *why = r ? skip_reason(r, is_dir) : NULL;
        if (!r || !full) {
            /* out of memory: nothing sensible to list */
        } else if (why) {
            skip(ic, task, r, is_dir, why);
        } else if (is_dir) {
            list_leftovers(ic, task, root, r);
        } else if (strcmp(r, "model.py") != 0 && !used(ic, full)) {
            skip(ic, task, r, false, "not part of any case (the Python tool's pairing left it out)");
        }
        free(full);
        free(r);
    }
    llmt_free_strv(names, n);
    free(dir);
}

static llmt_status copy_file(const char *from, const char *to, llmt_error *err)
{
    char *data = NULL;
    size_t len = 0;
    llmt_status st = llmt_read_file(from, &data, &len, err);
    if (st == LLMT_OK)
        st = llmt_mkdirs_for_file(to, err);
    if (st == LLMT_OK)
        st = llmt_write_file_atomic(to, data, len, err);
    free(data);
    return st;
}

/* In the canonical format of the tool's JSON files (two-space indent, final newline). */
static llmt_status write_json(const char *path, const json_t *doc, llmt_error *err)
{
    char *text = llmt_cfg_dump(doc);
    llmt_status st = text ? llmt_mkdirs_for_file(path, err)
                          : llmt_error_set(err, LLMT_E_INTERNAL, "cannot serialise %s", path);
    if (st == LLMT_OK)
        st = llmt_write_file_atomic(path, text, strlen(text), err);
    free(text);
    return st;
}

/* "<dest>/tests/<sub>/<case><ext>" */
static char *case_path(const char *dest, const char *sub, const char *name, const char *ext)
{
    return llmt_asprintf("%s/tests/%s/%s%s", dest, sub, name, ext);
}

/* Copies one case the helper reported; false (with a line saying why) when it cannot
 * be carried over. */
static bool import_case(import_ctx *ic, const char *task, const char *dest, json_t *c,
                        llmt_error *err)
{
    const char *name = json_string_value(json_object_get(c, "name"));
    const char *src = json_string_value(json_object_get(c, "source"));
    const char *prompt = json_string_value(json_object_get(c, "prompt"));
    const char *expected = json_string_value(json_object_get(c, "expected"));
    json_t *files = json_object_get(c, "files"), *f;
    size_t i;
    bool ok = true;
    char *to;
    if (!name || !*name || strchr(name, '/') || name[0] == '.') {
        printf("  skipped a case of %s: its name '%s' is not usable as a file name\n", task,
               name ? name : "");
        return false;
    }
    if (!expected || !llmt_path_exists(expected)) {
        printf("  skipped case %s/%s: no expected answer\n", task, name);
        return false;
    }
    to = case_path(dest, "expected", name, ".json");
    ok = to && copy_file(expected, to, err) == LLMT_OK;
    free(to);
    use(ic, expected);
    if (ok && src && llmt_path_exists(src)) {
        to = case_path(dest, "sources", name, ".txt");
        ok = to && copy_file(src, to, err) == LLMT_OK;
        free(to);
        use(ic, src);
    }
    if (ok && prompt && llmt_path_exists(prompt)) {
        to = case_path(dest, "prompts", name, ".txt");
        ok = to && copy_file(prompt, to, err) == LLMT_OK;
        free(to);
        use(ic, prompt);
    }
    json_array_foreach(files, i, f) {
        const char *fp = json_string_value(f), *dot = fp ? strrchr(fp, '.') : NULL;
        char *ext = dot ? llmt_strdup(dot) : NULL, *p;
        for (p = ext; p && *p; p++)
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
        to = ext ? case_path(dest, "sources", name, ext) : NULL;
        if (!ok || !fp) {
            /* nothing */
        } else if (!to || !llmt_file_mime_type(to)) {
            printf("  skipped %s (file of case %s/%s): not .png, .jpg, .gif, .webp or .pdf\n", fp,
                   task, name);
        } else if (llmt_path_exists(to)) {
            printf("  skipped %s (file of case %s/%s): the case already has a %s file\n", fp, task,
                   name, ext);
        } else {
            ok = copy_file(fp, to, err) == LLMT_OK;
            use(ic, fp);
        }
        free(to);
        free(ext);
    }
    return ok;
}

/* schema.json and task.json from what the helper said about the class. */
static llmt_status write_task_files(const char *dest, json_t *info, llmt_error *err)
{
    json_t *task = json_object();
    const char *desc = json_string_value(json_object_get(info, "description"));
    json_t *skipf = json_object_get(info, "skip_fields");
    char *path = llmt_path_join(dest, "schema.json");
    llmt_status st = path ? write_json(path, json_object_get(info, "schema"), err)
                          : llmt_error_set(err, LLMT_E_INTERNAL, "out of memory");
    free(path);
    json_object_set_new(task, "config_version", json_integer(1));
    if (desc && *desc)
        json_object_set_new(task, "description", json_string(desc));
    if (json_array_size(skipf))
        json_object_set(task, "skip_fields", skipf);
    path = llmt_path_join(dest, "task.json");
    if (st == LLMT_OK)
        st = path ? write_json(path, task, err) : llmt_error_set(err, LLMT_E_INTERNAL, "out of memory");
    free(path);
    json_decref(task);
    return st;
}

/* Runs the helper on one task. Returns 0 with *info set, or an exit code after saying
 * what went wrong; *fatal when no other task can work either (no Python/pydantic). */
static int ask_python(const char *helper, const import_task *t, json_t **info, bool *fatal)
{
    char *argv[] = {(char *)cli_python(), (char *)"-B", (char *)helper, t->dir, t->name, NULL};
    char *out = NULL;
    size_t len = 0;
    json_error_t jerr;
    int rc = cli_pyhelper_run(argv, &out, &len);
    *info = NULL;
    *fatal = rc == 127 || rc == 3 || rc < 0;
    if (rc == 127 || rc < 0)
        cli_error("import: %s not found: install Python 3 with pydantic 2 (Debian/Ubuntu: apt "
                  "install python3 python3-pydantic; or: pip install 'pydantic>=2'), or name "
                  "the interpreter in LLMT_PYTHON",
                  argv[0]);
    else if (rc == 3)
        cli_error("import: pydantic 2 is needed to read model.py files: pip install "
                  "'pydantic>=2' (Debian/Ubuntu: apt install python3-pydantic)");
    if (*fatal) {
        free(out);
        return CLI_EXIT_USAGE;
    }
    *info = json_loadb(out, len, 0, &jerr);
    if (rc != 0 || !json_is_object(*info) || json_object_get(*info, "error")) {
        const char *msg = json_string_value(json_object_get(*info, "error"));
        cli_error("import: %s/model.py: %s", t->dir,
                  msg ? msg : "the Python helper failed (its messages are above)");
        json_decref(*info);
        *info = NULL;
        free(out);
        return CLI_EXIT_USAGE;
    }
    free(out);
    return 0;
}

static int import_one(import_ctx *ic, const char *helper, const import_task *t, bool *fatal)
{
    json_t *info = NULL, *cases, *c;
    char *dest = llmt_path_join(ic->out_dir, t->name);
    llmt_error err;
    size_t i, n_ok = 0;
    int rc = dest ? ask_python(helper, t, &info, fatal) : CLI_EXIT_USAGE;
    if (rc)
        goto done;
    cases = json_object_get(info, "cases");
    if (write_task_files(dest, info, &err) != LLMT_OK) {
        cli_error("import: %s", err.message);
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    printf("imported %s -> %s: class %s (%s)\n", t->name, dest,
           json_string_value(json_object_get(info, "class")),
           json_string_value(json_object_get(info, "chosen")));
    json_array_foreach(cases, i, c) {
        err.message[0] = '\0';
        if (import_case(ic, t->name, dest, c, &err))
            n_ok++;
        else if (err.message[0]) {
            cli_error("import: %s", err.message);
            rc = CLI_EXIT_USAGE;
            goto done;
        }
    }
    printf("  %zu case%s, skip_fields: %zu\n", n_ok, n_ok == 1 ? "" : "s",
           json_array_size(json_object_get(info, "skip_fields")));
    list_leftovers(ic, t->name, t->dir, "");
done:
    json_decref(info);
    free(dest);
    return rc;
}

static bool has_model_py(const char *dir)
{
    char *m = llmt_path_join(dir, "model.py");
    bool yes = m && llmt_path_exists(m);
    free(m);
    return yes;
}

static char *base_name(const char *dir)
{
    char *t = llmt_strdup(dir), *slash;
    size_t len = t ? strlen(t) : 0;
    while (len > 1 && t[len - 1] == '/')
        t[--len] = '\0';
    slash = t ? strrchr(t, '/') : NULL;
    if (slash) {
        char *b = llmt_strdup(slash + 1);
        free(t);
        return b;
    }
    return t;
}

/* The task folders of DIR: DIR itself when it holds model.py, else its sub-folders that
 * do (the Python tool's rule, which also passed over names starting with "__" or "."). */
static int collect(import_ctx *ic, const char *dir, import_task **out, size_t *n)
{
    char **names = NULL;
    size_t count = 0, i;
    llmt_error err;
    *out = NULL;
    *n = 0;
    if (has_model_py(dir)) {
        *out = calloc(1, sizeof(**out));
        if (!*out)
            return CLI_EXIT_USAGE;
        (*out)[0].dir = llmt_strdup(dir);
        (*out)[0].name = base_name(dir);
        *n = 1;
        return 0;
    }
    if (llmt_list_dir(dir, &names, &count, &err) != LLMT_OK) {
        cli_error("import: %s", err.message);
        return CLI_EXIT_USAGE;
    }
    *out = calloc(count + 1, sizeof(**out));
    for (i = 0; *out && i < count; i++) {
        char *sub = llmt_path_join(dir, names[i]);
        bool is_dir = sub && llmt_is_dir(sub);
        const char *why = skip_reason(names[i], is_dir);
        if (why)
            skip(ic, "", names[i], is_dir, why);
        else if (!is_dir)
            skip(ic, "", names[i], false, "not a task folder");
        else if (names[i][0] == '.' || strncmp(names[i], "__", 2) == 0)
            skip(ic, "", names[i], true, "hidden or private folder (the Python tool passed it over)");
        else if (!has_model_py(sub))
            skip(ic, "", names[i], true, "no model.py: not a task");
        else {
            (*out)[*n].dir = sub;
            (*out)[*n].name = llmt_strdup(names[i]);
            (*n)++;
            sub = NULL;
        }
        free(sub);
    }
    llmt_free_strv(names, count);
    return *out ? 0 : CLI_EXIT_USAGE;
}

/* Never overwrites: every task folder that already exists is named, nothing written. */
static int check_free(const char *out_dir, const import_task *t, size_t n)
{
    size_t i;
    int rc = 0;
    for (i = 0; i < n; i++) {
        char *dest = llmt_path_join(out_dir, t[i].name);
        if (dest && llmt_path_exists(dest)) {
            cli_error("import: %s already exists; not overwriting anything (remove it or choose "
                      "another --output)",
                      dest);
            rc = CLI_EXIT_USAGE;
        }
        free(dest);
    }
    return rc;
}

int cmd_import(cli_ctx *ctx, int argc, char **argv)
{
    const char *out_dir = NULL;
    const cli_option opts[] = {
        {"output", 'o', OPT_STRING, "TASKS_DIR", "folder the tasks are written to (required)",
         &out_dir, NULL},
        {NULL, 0, OPT_FLAG, NULL, NULL, NULL, NULL}};
    import_ctx ic;
    import_task *tasks = NULL;
    size_t n = 0, i, done = 0;
    char *helper = NULL;
    bool fatal = false;
    int npos, rc = cli_parse(ctx, cli_find_command("import"), opts, argc, argv, &npos);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (npos != 1 || !out_dir) {
        cli_error("import: expected DIR and --output TASKS_DIR (see: llm-tester import --help)");
        return CLI_EXIT_USAGE;
    }
    if (!llmt_is_dir(argv[0])) {
        cli_error("import: %s is not a folder", argv[0]);
        return CLI_EXIT_USAGE;
    }
    memset(&ic, 0, sizeof ic);
    ic.out_dir = out_dir;
    rc = collect(&ic, argv[0], &tasks, &n);
    if (rc == 0 && n == 0) {
        cli_error("import: no task folder (a folder with model.py) in %s", argv[0]);
        rc = CLI_EXIT_USAGE;
    }
    if (rc == 0)
        rc = check_free(out_dir, tasks, n);
    if (rc == 0 && !(helper = cli_pyhelper_path(HELPER_NAME))) {
        cli_error("import: the helper %s is missing from this installation (it is installed "
                  "under share/llm-tester/)",
                  HELPER_NAME);
        rc = CLI_EXIT_USAGE;
    }
    for (i = 0; rc == 0 && i < n; i++) {
        int r = import_one(&ic, helper, &tasks[i], &fatal);
        if (r == 0)
            done++;
        else if (fatal)
            rc = r;
        else
            fprintf(stderr, "llm-tester: import: task %s not imported\n", tasks[i].name);
    }
    if (done)
        printf("\n%zu task%s imported into %s. Next:\n  llm-tester run --tasks %s --models "
               "mock:oracle\n",
               done, done == 1 ? "" : "s", out_dir, out_dir);
    if (rc == 0 && done < n)
        rc = CLI_EXIT_USAGE;
    for (i = 0; i < n; i++) {
        free(tasks[i].dir);
        free(tasks[i].name);
    }
    free(tasks);
    llmt_free_strv(ic.used, ic.n_used);
    free(helper);
    return rc;
}
