#include "task/task.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/jcheck.h"
#include "core/batchread.h"
#include "core/utf8.h"
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

static bool load_task_json(llmt_task *t, llmt_diags *diags)
{
    static const char *const keys[] = {"config_version", "description", "prompt", "scoring",
                                       "skip_fields", "models", "name", "max_output_tokens", NULL};
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
        t->max_output_tokens = llmt_jc_int(&c, root, "", "max_output_tokens", false, 0, 1);
        llmt_jc_array(&c, root, "", "skip_fields", false);
        t->task_json = json_incref(root);
    }
    json_decref(root);
    free(path);
    return diags->errors == before;
}

static void case_free(llmt_case *c)
{
    free(c->prompt_path);
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
    free(t->sources_dir);
    free(t->expected_dir);
    free(t->prompts_dir);
    free(t->names);
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

/* `dir`/`base``ext`, spelled as llmt_path_join spells it (built for messages only). */
static char *path_of(const char *dir, const char *base, const char *ext)
{
    char *name = llmt_concat3(base, ext, ""), *p = name ? llmt_path_join(dir, name) : NULL;
    free(name);
    return p;
}

/* Whether <dir>/<name> resolves outside the folder `root` (a real path; NULL: links are
 * followed wherever they go). A case file linked from elsewhere (~/.ssh/id_rsa, /etc)
 * would be read and sent to a provider: such a link is refused with a diagnostic naming
 * it and its target, unless the user asked to follow links. */
static bool escapes(const char *root, const char *dir, const char *name, llmt_diags *diags)
{
    char *path, *real;
    size_t n;
    bool out;
    if (!root)
        return false;
    path = name ? llmt_path_join(dir, name) : llmt_strdup(dir);
    real = path ? realpath(path, NULL) : NULL;
    if (!real) { /* a dangling link: reading it reports the error */
        free(path);
        return false;
    }
    n = strlen(root);
    out = strncmp(real, root, n) != 0 || (real[n] != '/' && real[n] != '\0' && n > 1);
    if (out)
        llmt_diags_add(diags, LLMT_DIAG_ERROR, path, "",
                       "a symbolic link to %s, outside the tasks folder %s: not followed "
                       "(--follow-symlinks follows it)",
                       real, root);
    free(real);
    free(path);
    return out;
}

/* ---------------------------------------------------------------- folder listings */

/* One entry of a folder listing (16 bytes: sorting 100,000 of them moves them often). */
typedef struct entry {
    const char *name;
    unsigned len;    /* a name has at most NAME_MAX bytes */
    bool regular;    /* the listing says it is a regular file (not a link, folder, FIFO) */
    bool link;       /* the listing says it is a symbolic link */
} entry;

typedef struct listing {
    char *block; /* every name, NUL-terminated, one after the other */
    size_t bytes;
    entry *v;
    size_t n;
} listing;

static void listing_free(listing *l)
{
    free(l->block);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

static void swap_entries(entry *a, entry *b)
{
    entry t = *a;
    *a = *b;
    *b = t;
}

/* Sorts v[0..n) by name (strcmp's order), given that their first d bytes are equal:
 * Bentley and Sedgewick's multikey quicksort, which reads each byte of a prefix the names
 * share once, where qsort with strcmp reads it again in every comparison (sorting
 * 100,000 names like "c012345.txt" was a third of discovery). The smaller of the parts
 * below and above the pivot is sorted by a call and the larger by the loop, so the
 * depth stays under the longest name plus log2(n). */
static void sort_entries(entry *v, size_t n, size_t d)
{
    while (n > 1) {
        size_t lt = 0, i = 0, gt = n;
        unsigned char pivot;
        if (n < 10) { /* insertion sort */
            size_t k, j;
            for (k = 1; k < n; k++)
                for (j = k; j > 0 && strcmp(v[j - 1].name + d, v[j].name + d) > 0; j--)
                    swap_entries(&v[j - 1], &v[j]);
            return;
        }
        pivot = (unsigned char)v[n / 2].name[d];
        while (i < gt) { /* [0,lt) below the pivot, [lt,i) equal, [gt,n) above */
            unsigned char c = (unsigned char)v[i].name[d];
            if (c < pivot)
                swap_entries(&v[lt++], &v[i++]);
            else if (c > pivot)
                swap_entries(&v[i], &v[--gt]);
            else
                i++;
        }
        if (pivot) /* the names that go on past this byte */
            sort_entries(v + lt, gt - lt, d + 1);
        if (lt < n - gt) {
            sort_entries(v, lt, d);
            v += gt;
            n -= gt;
        } else {
            sort_entries(v + gt, n - gt, d);
            n = lt;
        }
    }
}

/* Lists a folder as llmt_list_dir does (no hidden entries; sorted when `sort`), but with
 * the names in one block instead of one allocation each, and with each entry's type as
 * readdir gives it. false (errno set) when the folder cannot be read. */
static bool list_folder(const char *path, listing *l, bool sort)
{
    DIR *d = opendir(path);
    struct dirent *e;
    size_t cap = 0, vcap = 0, i, off = 0;
    memset(l, 0, sizeof(*l));
    if (!d)
        return false;
    while ((e = readdir(d)) != NULL) {
        size_t len;
        if (e->d_name[0] == '.')
            continue; /* skip ".", ".." and hidden files alike */
        len = strlen(e->d_name);
        if (l->bytes + len + 1 > cap) {
            size_t ncap = cap ? cap * 2 : 4096;
            char *nb;
            while (ncap < l->bytes + len + 1)
                ncap *= 2;
            nb = realloc(l->block, ncap);
            if (!nb)
                goto oom;
            l->block = nb;
            cap = ncap;
        }
        if (l->n == vcap) {
            size_t nvcap = vcap ? vcap * 2 : 64;
            entry *nv = realloc(l->v, nvcap * sizeof(*nv));
            if (!nv)
                goto oom;
            l->v = nv;
            vcap = nvcap;
        }
        memcpy(l->block + l->bytes, e->d_name, len + 1);
        l->v[l->n].len = (unsigned)len;
#ifdef _DIRENT_HAVE_D_TYPE
        l->v[l->n].regular = e->d_type == DT_REG;
        l->v[l->n].link = e->d_type == DT_LNK || e->d_type == DT_UNKNOWN;
#else
        l->v[l->n].regular = false;
        l->v[l->n].link = true; /* unknown: ask */
#endif
        l->bytes += len + 1;
        l->n++;
    }
    closedir(d);
    for (i = 0; i < l->n; i++) { /* the block has stopped moving */
        l->v[i].name = l->block + off;
        off += l->v[i].len + 1;
    }
    if (sort)
        sort_entries(l->v, l->n, 0);
    return true;
oom:
    closedir(d);
    listing_free(l);
    errno = ENOMEM;
    return false;
}

/* Keeps the entries of an unsorted listing whose name ends in `ext`, cut to the part
 * before it, sorted by that base name: the order of the task's cases, so that the two
 * meet in one walk. */
static void listing_bases(listing *l, const char *ext)
{
    size_t i, k = 0, e = strlen(ext);
    for (i = 0; i < l->n; i++) {
        entry *x = &l->v[i];
        if (x->len < e || memcmp(x->name + x->len - e, ext, e) != 0)
            continue;
        x->len -= (unsigned)e;
        l->block[(size_t)(x->name - l->block) + x->len] = '\0'; /* cut the extension */
        l->v[k++] = *x;
    }
    l->n = k;
    sort_entries(l->v, k, 0);
}

/* ---------------------------------------------------------------- cases */

/* strcmp(s, key) for a key of `len` bytes that is not NUL-terminated. */
static int cmp_key(const char *s, const char *key, size_t len)
{
    int c = strncmp(s, key, len);
    return c ? c : s[len] != '\0';
}

/* Cases being collected from the sources listing. */
typedef struct case_builder {
    llmt_task *t;
    size_t cap;        /* of t->cases */
    size_t names_used; /* of t->names, sized for every name of the listing */
} case_builder;

/* The case called `key` (`len` bytes), created when new. t->cases stays sorted by name.
 * The listing is sorted by file name, so a new case almost always goes at the end and
 * the files of one case follow each other: the last case is tried first. */
static llmt_case *case_for(case_builder *cb, const char *key, size_t len)
{
    llmt_task *t = cb->t;
    size_t lo = 0, hi = t->n_cases;
    llmt_case *nc;
    char *name;
    if (hi) {
        int c = cmp_key(t->cases[hi - 1].name, key, len);
        if (c == 0)
            return &t->cases[hi - 1];
        if (c < 0)
            lo = hi;
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cmp_key(t->cases[mid].name, key, len);
        if (c == 0)
            return &t->cases[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (t->n_cases == cb->cap) {
        size_t cap = cb->cap ? cb->cap * 2 : 16;
        nc = realloc(t->cases, cap * sizeof(*nc));
        if (!nc)
            return NULL;
        t->cases = nc;
        cb->cap = cap;
    }
    nc = t->cases;
    memmove(&nc[lo + 1], &nc[lo], (t->n_cases - lo) * sizeof(*nc));
    memset(&nc[lo], 0, sizeof(*nc));
    name = t->names + cb->names_used;
    memcpy(name, key, len);
    name[len] = '\0';
    cb->names_used += len + 1;
    nc[lo].name = name;
    t->n_cases++;
    return &nc[lo];
}

static bool scan_sources(llmt_task *t, const listing *src, const char *root, llmt_diags *diags)
{
    case_builder cb = {t, 0, 0};
    size_t i;
    /* a case name is a file name cut short: the listing's block bounds them all */
    t->names = malloc(src->bytes ? src->bytes : 1);
    if (!t->names) {
        llmt_diags_add(diags, LLMT_DIAG_ERROR, t->sources_dir, "", "cannot read the sources folder");
        return false;
    }
    for (i = 0; i < src->n; i++) {
        const entry *e = &src->v[i];
        const char *dot = strrchr(e->name, '.');
        llmt_case *c;
        if (llmt_utf8_invalid_at(e->name, strlen(e->name)) >= 0) {
            /* results and reports name cases in JSON, which cannot hold such a name (it
             * vanished from result lines and every --resume ran the case again) */
            char *full = llmt_path_join(t->sources_dir, e->name);
            llmt_diags_add(diags, LLMT_DIAG_ERROR, full, "",
                           "the file name is not valid UTF-8: rename it (the case is left out)");
            free(full);
            continue;
        }
        if (e->link && escapes(root, t->sources_dir, e->name, diags))
            continue;
        /* only a source or an attached file makes a case: README.md is no case */
        c = dot && (strcmp(dot, ".txt") == 0 || llmt_file_mime_type(e->name))
                ? case_for(&cb, e->name, (size_t)(dot - e->name))
                : NULL;
        if (c && strcmp(dot, ".txt") == 0) {
            c->has_source = true;
            c->source_regular = e->regular;
        } else if (c && llmt_file_mime_type(e->name)) {
            char *full = llmt_path_join(t->sources_dir, e->name);
            char **fp = full ? realloc(c->file_paths, (c->n_files + 1) * sizeof(*fp)) : NULL;
            if (fp) {
                c->file_paths = fp;
                fp[c->n_files++] = full;
            } else {
                free(full);
            }
        } else {
            char *full = llmt_path_join(t->sources_dir, e->name);
            if (!dot)
                llmt_diags_add(diags, LLMT_DIAG_WARNING, full, "", "ignored: no file extension");
            else
                llmt_diags_add(diags, LLMT_DIAG_WARNING, full, "",
                               "ignored: not .txt, .png, .jpg, .gif, .webp or .pdf");
            free(full);
        }
    }
    return true;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Keeps "<base>.json", an expected answer without a case (rare: one allocation each). */
static void add_orphan(char **orphans, size_t *n, const char *base)
{
    char *o = orphans ? llmt_asprintf("%s.json", base) : NULL;
    if (o)
        orphans[(*n)++] = o;
}

/* Pairs the cases with tests/expected/ and tests/prompts/ (one listing of each, walked
 * alongside the cases, instead of two stat() calls per case), drops the cases without an
 * expected answer and reports expected answers without a case. */
static void pair_cases(llmt_task *t, const char *name, const char *root, llmt_diags *diags)
{
    listing exp, prm;
    size_t i, j = 0, k = 0, kept = 0, n_orphans = 0;
    char **orphans = NULL;
    if (!list_folder(t->expected_dir, &exp, false))
        memset(&exp, 0, sizeof exp);
    if (!list_folder(t->prompts_dir, &prm, false))
        memset(&prm, 0, sizeof prm);
    listing_bases(&exp, ".json");
    listing_bases(&prm, ".txt");
    if (exp.n)
        orphans = malloc(exp.n * sizeof(*orphans));
    for (i = 0; i < t->n_cases; i++) {
        llmt_case *c = &t->cases[i];
        bool has_expected = false;
        int cmp = 1;
        for (; j < exp.n && (cmp = strcmp(exp.v[j].name, c->name)) < 0; j++)
            add_orphan(orphans, &n_orphans, exp.v[j].name);
        if (j < exp.n && cmp == 0) {
            has_expected = true;
            c->expected_regular = exp.v[j++].regular;
            if (exp.v[j - 1].link) {
                char *file = llmt_concat3(c->name, ".json", "");
                bool bad = file && escapes(root, t->expected_dir, file, diags);
                free(file);
                if (bad) {
                    case_free(c);
                    continue;
                }
            }
        }
        for (cmp = 1; k < prm.n && (cmp = strcmp(prm.v[k].name, c->name)) < 0; k++)
            ;
        if (k < prm.n && cmp == 0) {
            c->prompt_path = path_of(t->prompts_dir, c->name, ".txt");
            c->prompt_regular = prm.v[k++].regular;
            if (prm.v[k - 1].link && escapes(root, c->prompt_path, NULL, diags)) {
                case_free(c);
                continue;
            }
        }
        if (!has_expected) {
            char *expected = path_of(t->expected_dir, c->name, ".json");
            char *source = c->has_source ? path_of(t->sources_dir, c->name, ".txt") : NULL;
            llmt_diags_add(diags, LLMT_DIAG_ERROR, source ? source : t->sources_dir, "",
                           "case '%s/%s' has no expected answer (%s is missing)", name, c->name,
                           expected);
            free(expected);
            free(source);
            case_free(c);
            continue;
        }
        t->cases[kept++] = *c;
    }
    t->n_cases = kept;
    for (; j < exp.n; j++)
        add_orphan(orphans, &n_orphans, exp.v[j].name);
    /* reported in the order of the folder's listing, as every other problem */
    if (n_orphans)
        qsort(orphans, n_orphans, sizeof(*orphans), cmp_name);
    for (i = 0; i < n_orphans; i++) {
        char *full = llmt_path_join(t->expected_dir, orphans[i]);
        orphans[i][strlen(orphans[i]) - 5] = '\0'; /* the case name: cut ".json" */
        llmt_diags_add(diags, LLMT_DIAG_ERROR, full, "",
                       "expected answer without a source (tests/sources/%s.txt)", orphans[i]);
        free(full);
    }
    llmt_free_strv(orphans, n_orphans);
    listing_free(&exp);
    listing_free(&prm);
}

static llmt_status discover_task(const char *dir, const char *name, const char *root,
                                 llmt_taskset *ts, llmt_diags *diags, llmt_error *err)
{
    llmt_task t;
    listing src;
    llmt_task *grown;
    char *tests = NULL;
    memset(&t, 0, sizeof t);
    memset(&src, 0, sizeof src);
    if (llmt_utf8_invalid_at(name, strlen(name)) >= 0) {
        llmt_diags_add(diags, LLMT_DIAG_ERROR, dir, "",
                       "the task folder's name is not valid UTF-8: rename it (the task is left out)");
        return LLMT_OK;
    }
    t.name = llmt_strdup(name);
    t.dir = llmt_strdup(dir);
    t.schema_path = llmt_path_join(dir, "schema.json");
    /* read first, look why only when that fails: one syscall less per task */
    if (llmt_read_file(t.schema_path, &t.schema_text, NULL, err) != LLMT_OK) {
        char *model_py = llmt_path_join(dir, "model.py");
        if (!llmt_path_exists(t.schema_path) && model_py && llmt_path_exists(model_py))
            llmt_diags_add(diags, LLMT_DIAG_ERROR, t.schema_path, "",
                           "missing: every task needs a schema.json (%s is a pydantic-llm-tester "
                           "task: convert it with 'llm-tester import %s --output TASKS_DIR')",
                           dir, dir);
        else if (!llmt_path_exists(t.schema_path))
            llmt_diags_add(diags, LLMT_DIAG_ERROR, t.schema_path, "", "missing: every task needs a schema.json");
        else
            llmt_diags_add(diags, LLMT_DIAG_ERROR, t.schema_path, "", "cannot read");
        free(model_py);
        goto skip;
    }
    {
        /* a byte-order mark is dropped once here, so every reader of the text parses it */
        const char *body = llmt_skip_bom(t.schema_text);
        if (body != t.schema_text)
            memmove(t.schema_text, body, strlen(body) + 1);
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
    t.sources_dir = llmt_path_join(tests, "sources");
    t.expected_dir = llmt_path_join(tests, "expected");
    t.prompts_dir = llmt_path_join(tests, "prompts");
    if (!list_folder(t.sources_dir, &src, true)) {
        if (!llmt_is_dir(t.sources_dir))
            llmt_diags_add(diags, LLMT_DIAG_ERROR, t.sources_dir, "", "missing: a task keeps its cases in tests/sources/");
        else
            llmt_diags_add(diags, LLMT_DIAG_ERROR, t.sources_dir, "", "cannot read the sources folder");
        goto skip;
    }
    /* the task's own folders may not lead outside either */
    if (escapes(root, dir, NULL, diags) || escapes(root, t.sources_dir, NULL, diags) ||
        escapes(root, t.expected_dir, NULL, diags) || escapes(root, t.prompts_dir, NULL, diags))
        goto skip;
    if (!scan_sources(&t, &src, root, diags))
        goto skip;
    pair_cases(&t, name, root, diags);
    grown = realloc(ts->tasks, (ts->n_tasks + 1) * sizeof(*grown));
    if (!grown)
        goto skip;
    ts->tasks = grown;
    ts->tasks[ts->n_tasks++] = t;
    listing_free(&src);
    free(tests);
    return LLMT_OK;
skip:
    task_free(&t);
    listing_free(&src);
    free(tests);
    return LLMT_OK;
}

llmt_status llmt_tasks_discover(const char *dir, llmt_taskset *out, llmt_diags *diags,
                                llmt_error *err)
{
    return llmt_tasks_discover_links(dir, false, out, diags, err);
}

llmt_status llmt_tasks_discover_links(const char *dir, bool follow_symlinks, llmt_taskset *out,
                                      llmt_diags *diags, llmt_error *err)
{
    char **names = NULL, *root = NULL;
    size_t n = 0, i;
    llmt_status st;
    memset(out, 0, sizeof(*out));
    if (!llmt_is_dir(dir))
        return llmt_error_set(err, LLMT_E_IO, "tasks folder '%s' does not exist", dir);
    if (!follow_symlinks && !(root = realpath(dir, NULL)))
        return llmt_error_set(err, LLMT_E_IO, "tasks folder '%s' cannot be resolved", dir);
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
            st = discover_task(trimmed, name, root, out, diags, err);
            free(name);
            free(trimmed);
            free(root);
            return st;
        }
    }
    st = llmt_list_dir(dir, &names, &n, err);
    if (st != LLMT_OK) {
        free(root);
        return st;
    }
    for (i = 0; i < n && st == LLMT_OK; i++) {
        char *sub = llmt_path_join(dir, names[i]);
        /* "_x" and ".x" are not tasks: __pycache__, _drafts, editor and VCS folders */
        if (names[i][0] != '_' && names[i][0] != '.' && llmt_is_dir(sub))
            st = discover_task(sub, names[i], root, out, diags, err);
        free(sub);
    }
    llmt_free_strv(names, n);
    free(root);
    return st;
}

llmt_status llmt_tasks_add(const char *dir, const char *name, const char *file,
                           const char *json_path, llmt_taskset *ts, llmt_diags *diags,
                           llmt_error *err)
{
    size_t i;
    for (i = 0; i < ts->n_tasks; i++) {
        if (strcmp(ts->tasks[i].name, name) == 0) {
            llmt_diags_add(diags, LLMT_DIAG_ERROR, file, json_path,
                           "task '%s' is also a folder of the tasks folder (%s); rename one",
                           name, ts->tasks[i].dir);
            return LLMT_OK;
        }
    }
    if (!llmt_is_dir(dir)) {
        llmt_diags_add(diags, LLMT_DIAG_ERROR, file, json_path, "task folder '%s' does not exist",
                       dir);
        return LLMT_OK;
    }
    {
        /* a task kept elsewhere: its own folder is the boundary of its links */
        char *root = realpath(dir, NULL);
        llmt_status st = discover_task(dir, name, root, ts, diags, err);
        free(root);
        return st;
    }
}

/* Longest case file name (with its extension and NUL) read relative to its folder; a
 * longer one cannot be a file's name and is left to the system to refuse by full path. */
#define CASE_FILE_NAME_MAX 512

/* Reads the case file `base``ext` of folder `dir`, through `fd` (an open handle on it)
 * when >= 0; or takes *ahead, its contents read ahead, when there are some. */
/* A text with a NUL byte in it would be cut short there without a word (C strings end
 * at the first NUL): refuse it, naming the file and the offset. */
static llmt_status refuse_nul(const char *dir, const char *base, const char *ext, char **out,
                              size_t len, llmt_error *err)
{
    const char *z = memchr(*out, '\0', len);
    char *path;
    llmt_status st;
    if (!z)
        return LLMT_OK;
    path = path_of(dir, base, ext);
    st = llmt_error_set(err, LLMT_E_PARSE,
                        "%s: NUL byte at offset %zu; a text file cannot hold one (it would be "
                        "cut short there)",
                        path ? path : base, (size_t)(z - *out));
    free(path);
    free(*out);
    *out = NULL;
    return st;
}

static llmt_status read_case_file(int fd, const char *dir, const char *base, const char *ext,
                                  bool regular, char **ahead, char **out, llmt_error *err)
{
    char name[CASE_FILE_NAME_MAX];
    size_t b = strlen(base), e = strlen(ext), len = 0;
    llmt_status st;
    if (ahead && *ahead) {
        /* read ahead: files holding a NUL byte were left out there (see prefetch) */
        *out = *ahead;
        *ahead = NULL;
        return LLMT_OK;
    }
    if (b + e >= sizeof name) { /* cannot be a file's name: let the system say so */
        char *path = path_of(dir, base, ext);
        st = path ? llmt_read_file(path, out, &len, err)
                  : llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
        free(path);
    } else {
        memcpy(name, base, b);
        memcpy(name + b, ext, e + 1);
        st = llmt_read_file_at(fd, dir, name, regular, out, &len, err);
    }
    return st == LLMT_OK ? refuse_nul(dir, base, ext, out, len, err) : st;
}

void llmt_case_dirs_init(llmt_case_dirs *d)
{
    memset(d, 0, sizeof(*d));
    d->sources = d->expected = d->prompts = -1;
}

static void drop_ahead(llmt_case_dirs *d)
{
    size_t i;
    for (i = 0; i < d->n_ahead; i++) {
        free(d->ahead[i].source);
        free(d->ahead[i].prompt);
        free(d->ahead[i].expected);
    }
    d->n_ahead = 0;
}

static void close_folders(llmt_case_dirs *d)
{
    drop_ahead(d);
    if (d->sources >= 0)
        close(d->sources);
    if (d->expected >= 0)
        close(d->expected);
    if (d->prompts >= 0)
        close(d->prompts);
    d->task = NULL;
    d->sources = d->expected = d->prompts = -1;
}

void llmt_case_dirs_close(llmt_case_dirs *d)
{
    close_folders(d);
    llmt_batch_reader_free(d->reader);
    llmt_case_dirs_init(d);
}

static int open_dir(const char *path)
{
    return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* Opens task's folders when dirs hold another task's (the prompts folder once a case
 * needs it). A folder that cannot be opened stays -1: its files then go by full path
 * and fail, if they do, with the message they always had. */
static void dirs_for(llmt_case_dirs *dirs, const llmt_task *task, bool prompts)
{
    if (dirs->task != task) {
        close_folders(dirs);
        dirs->task = task;
        dirs->sources = open_dir(task->sources_dir);
        dirs->expected = open_dir(task->expected_dir);
    }
    if (prompts && dirs->prompts < 0)
        dirs->prompts = open_dir(task->prompts_dir);
}

static llmt_case_ahead *ahead_of(llmt_case_dirs *dirs, const llmt_case *c)
{
    size_t i;
    for (i = 0; i < dirs->n_ahead; i++)
        if (dirs->ahead[i].c == c)
            return &dirs->ahead[i];
    return NULL;
}

bool llmt_case_prefetch_wanted(llmt_case_dirs *dirs, const llmt_case *c)
{
    if (!dirs->reader_tried) {
        dirs->reader_tried = true;
        dirs->reader = llmt_batch_reader_new();
    }
    return dirs->reader && !ahead_of(dirs, c);
}

/* Adds `base``ext` in folder fd to the batch (when the listing saw a regular file and
 * the name fits); *slot says where its contents go. */
static void batch_add(llmt_batch_file *files, char **slots[], size_t *n, char *names,
                      size_t *used, int fd, const char *base, const char *ext, bool regular,
                      char **slot)
{
    size_t b = strlen(base), e = strlen(ext);
    if (fd < 0 || !regular || b + e >= CASE_FILE_NAME_MAX)
        return;
    memcpy(names + *used, base, b);
    memcpy(names + *used + b, ext, e + 1);
    files[*n].dirfd = fd;
    files[*n].name = names + *used;
    slots[*n] = slot;
    *used += b + e + 1;
    (*n)++;
}

void llmt_case_prefetch(llmt_case_dirs *dirs, const llmt_task *task, const size_t *idx, size_t n)
{
    llmt_batch_file files[3 * LLMT_CASE_PREFETCH];
    char **slots[3 * LLMT_CASE_PREFETCH];
    size_t i, nf = 0, used = 0, bytes = 0;
    bool prompts = false;
    char *names;
    if (n > LLMT_CASE_PREFETCH)
        n = LLMT_CASE_PREFETCH;
    for (i = 0; i < n; i++) {
        const llmt_case *c = &task->cases[idx[i]];
        bytes += 3 * (strlen(c->name) + 6);
        prompts = prompts || c->prompt_path;
    }
    dirs_for(dirs, task, prompts);
    drop_ahead(dirs);
    names = malloc(bytes ? bytes : 1);
    if (!dirs->reader || !names) {
        free(names);
        return;
    }
    for (i = 0; i < n; i++) {
        const llmt_case *c = &task->cases[idx[i]];
        llmt_case_ahead *a = &dirs->ahead[dirs->n_ahead++];
        memset(a, 0, sizeof(*a));
        a->c = c;
        if (c->has_source)
            batch_add(files, slots, &nf, names, &used, dirs->sources, c->name, ".txt",
                      c->source_regular, &a->source);
        if (c->prompt_path)
            batch_add(files, slots, &nf, names, &used, dirs->prompts, c->name, ".txt",
                      c->prompt_regular, &a->prompt);
        batch_add(files, slots, &nf, names, &used, dirs->expected, c->name, ".json",
                  c->expected_regular, &a->expected);
    }
    llmt_batch_read(dirs->reader, files, nf);
    for (i = 0; i < nf; i++) {
        /* a file holding a NUL byte is read again when its case loads, which refuses it */
        if (files[i].data && memchr(files[i].data, '\0', files[i].len)) {
            free(files[i].data);
            files[i].data = NULL;
        }
        *slots[i] = files[i].data;
    }
    free(names);
}

/* A source or prompt goes into a JSON request: text that is not UTF-8 is refused here,
 * naming the file, the same for every provider and before any of them sees it. */
static llmt_status check_text(const char *dir, const char *base, const char *text, llmt_error *err)
{
    long at = llmt_utf8_invalid_at(text, strlen(text));
    char *path;
    llmt_status st;
    if (at < 0)
        return LLMT_OK;
    path = path_of(dir, base, ".txt");
    st = llmt_error_set(err, LLMT_E_PARSE, "%s: not valid UTF-8 (byte %ld); save it as UTF-8",
                        path ? path : base, at);
    free(path);
    return st;
}

llmt_status llmt_case_load_in(llmt_case_dirs *dirs, const llmt_task *task, const llmt_case *c,
                              llmt_case_data *out, llmt_error *err)
{
    llmt_status st = LLMT_OK;
    json_error_t je;
    int src = -1, exp = -1, prm = -1;
    llmt_case_ahead *a = NULL;
    memset(out, 0, sizeof(*out));
    if (dirs) {
        dirs_for(dirs, task, c->prompt_path != NULL);
        src = dirs->sources;
        exp = dirs->expected;
        prm = dirs->prompts;
        a = ahead_of(dirs, c);
    }
    if (c->has_source)
        st = read_case_file(src, task->sources_dir, c->name, ".txt", c->source_regular,
                            a ? &a->source : NULL, &out->source, err);
    if (st == LLMT_OK && c->has_source)
        st = check_text(task->sources_dir, c->name, out->source, err);
    else if (!c->has_source)
        out->source = llmt_strdup("");
    if (st == LLMT_OK && c->prompt_path)
    {
        st = read_case_file(prm, task->prompts_dir, c->name, ".txt", c->prompt_regular,
                            a ? &a->prompt : NULL, &out->prompt, err);
        if (st == LLMT_OK)
            st = check_text(task->prompts_dir, c->name, out->prompt, err);
    } else if (st == LLMT_OK)
        out->prompt = llmt_strdup(task->default_prompt
                                      ? task->default_prompt
                                      : "Extract the information from the text below into JSON "
                                        "that matches the schema.");
    if (st == LLMT_OK)
        st = read_case_file(exp, task->expected_dir, c->name, ".json", c->expected_regular,
                            a ? &a->expected : NULL, &out->expected_text, err);
    if (st == LLMT_OK) {
        out->expected = json_loads(llmt_skip_bom(out->expected_text), JSON_DECODE_ANY, &je);
        if (!out->expected) {
            char *path = path_of(task->expected_dir, c->name, ".json");
            st = llmt_error_set(err, LLMT_E_PARSE, "%s: invalid JSON at line %d, column %d: %s",
                                path ? path : c->name, je.line, je.column, je.text);
            free(path);
        }
    }
    if (st != LLMT_OK)
        llmt_case_data_free(out);
    return st;
}

llmt_status llmt_case_load(const llmt_task *task, const llmt_case *c, llmt_case_data *out,
                           llmt_error *err)
{
    return llmt_case_load_in(NULL, task, c, out, err);
}

void llmt_case_data_free(llmt_case_data *d)
{
    free(d->source);
    free(d->prompt);
    free(d->expected_text);
    json_decref(d->expected);
    memset(d, 0, sizeof(*d));
}
