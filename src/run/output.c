#include "run/output.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"

llmt_status llmt_output_open(llmt_output *o, const char *dir, bool append, llmt_error *err)
{
    llmt_status st;
    memset(o, 0, sizeof(*o));
    st = llmt_mkdirs(dir, err);
    if (st != LLMT_OK)
        return st;
    o->dir = llmt_strdup(dir);
    o->jsonl_path = llmt_path_join(dir, "results.jsonl");
    o->jsonl = fopen(o->jsonl_path, append ? "ab" : "wb");
    if (!o->jsonl) {
        st = llmt_error_set(err, LLMT_E_IO, "%s: %s", o->jsonl_path, strerror(errno));
        llmt_output_close(o);
        return st;
    }
    setvbuf(o->jsonl, NULL, _IONBF, 0); /* see llmt_output_flush */
    return LLMT_OK;
}

llmt_status llmt_output_add(llmt_output *o, const llmt_result_input *in, llmt_summary_entry *e,
                            llmt_error *err)
{
    /* printed straight into a buffer kept across batches (one result thread writes) */
    llmt_buf *b = &o->line;
    if (!llmt_result_write(in, b, e))
        return llmt_error_set(err, LLMT_E_INTERNAL, "%s: a result could not be serialised",
                              o->jsonl_path);
    llmt_buf_append(b, "\n", 1);
    if (b->oom) {
        llmt_buf_free(b);
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    }
    return LLMT_OK;
}

llmt_status llmt_output_flush(llmt_output *o, llmt_error *err)
{
    llmt_buf *b = &o->line;
    bool bad;
    if (!b->len)
        return LLMT_OK;
    /* one fwrite on an unbuffered stream is one write() of whole lines */
    bad = fwrite(b->data, 1, b->len, o->jsonl) != b->len || fflush(o->jsonl) != 0;
    b->len = 0;
    b->data[0] = '\0';
    if (bad)
        return llmt_error_set(err, LLMT_E_IO, "%s: %s", o->jsonl_path, strerror(errno));
    return LLMT_OK;
}

void llmt_output_close(llmt_output *o)
{
    if (o->jsonl)
        fclose(o->jsonl);
    free(o->dir);
    free(o->jsonl_path);
    llmt_buf_free(&o->line);
    memset(o, 0, sizeof(*o));
}

/* Calls fn for each complete line of a results file (without its line end). A torn
 * last line (no newline: the writer was killed mid-line) is not a result and stops the
 * walk; every reader of results.jsonl goes through here so they agree on that. */
typedef void (*jsonl_line_fn)(const char *line, size_t len, void *ud);

static llmt_status jsonl_lines(const char *path, jsonl_line_fn fn, void *ud, llmt_error *err)
{
    FILE *f = fopen(path, "rb");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    if (!f)
        return llmt_error_set(err, LLMT_E_IO, "%s: %s", path, strerror(errno));
    while ((n = getline(&line, &cap, f)) > 0) {
        size_t len = (size_t)n;
        if (line[len - 1] != '\n')
            break;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        fn(line, len, ud);
    }
    free(line);
    fclose(f);
    return LLMT_OK;
}

typedef struct parse_ctx {
    llmt_jsonl_fn fn;
    void *ud;
} parse_ctx;

static void parse_line(const char *line, size_t len, void *ud)
{
    parse_ctx *p = ud;
    json_t *r = json_loadb(line, len, 0, NULL);
    if (r) {
        p->fn(r, p->ud);
        json_decref(r);
    }
}

llmt_status llmt_jsonl_foreach(const char *path, llmt_jsonl_fn fn, void *ud, llmt_error *err)
{
    parse_ctx p = {fn, ud};
    return jsonl_lines(path, parse_line, &p, err);
}

typedef struct copy_ctx {
    FILE *out;
    size_t n;
} copy_ctx;

/* Copies the complete lines of results.jsonl into results.json as they are: they were
 * written by llmt_output_add/flush (compact JSON objects, whole lines per write), so
 * re-parsing and re-printing 100,000 of them would only cost time. A line that is not an
 * object is skipped, as llmt_jsonl_foreach skips what does not parse. */
static void copy_line(const char *line, size_t len, void *ud)
{
    copy_ctx *c = ud;
    if (len < 2 || line[0] != '{' || line[len - 1] != '}')
        return;
    fputs(c->n++ ? ",\n    " : "\n    ", c->out);
    fwrite(line, 1, len, c->out);
}

void llmt_output_end(llmt_output *o)
{
    if (o->jsonl) {
        fclose(o->jsonl);
        o->jsonl = NULL;
    }
}

static llmt_status results_json_write(const char *dir, const char *jsonl_path,
                                      const llmt_run_meta *meta, const llmt_summary *s,
                                      llmt_error *err)
{
    char *final = llmt_path_join(dir, "results.json");
    char *tmp = llmt_asprintf("%s.tmp.%ld", final, (long)getpid());
    char started[32], finished[32];
    copy_ctx c = {NULL, 0};
    json_t *summary;
    llmt_status st = LLMT_OK;
    c.out = fopen(tmp, "wb");
    if (!c.out) {
        st = llmt_error_set(err, LLMT_E_IO, "%s: %s", tmp, strerror(errno));
        goto done;
    }
    llmt_iso_time(meta->started_at, started, sizeof started);
    llmt_iso_time(meta->finished_at, finished, sizeof finished);
    fprintf(c.out, "{\n  \"run_id\": \"%s\",\n  \"started_at\": \"%s\",\n  \"finished_at\": \"%s\",\n"
                   "  \"results\": [",
            meta->run_id, started, finished);
    st = jsonl_lines(jsonl_path, copy_line, &c, err);
    fputs(c.n ? "\n  ],\n  \"summary\": " : "],\n  \"summary\": ", c.out);
    summary = llmt_summary_json(s);
    json_dumpf(summary, c.out, JSON_INDENT(2) | JSON_ENSURE_ASCII);
    json_decref(summary);
    if (llmt_summary_max_repeats(s) > 1) {
        json_t *cases = llmt_summary_cases_json(s);
        fputs(",\n  \"repeat_stats\": ", c.out);
        json_dumpf(cases, c.out, JSON_INDENT(2) | JSON_ENSURE_ASCII);
        json_decref(cases);
    }
    fputs("\n}\n", c.out);
    if (fflush(c.out) != 0 || fsync(fileno(c.out)) != 0) {
        st = llmt_error_set(err, LLMT_E_IO, "%s: %s", tmp, strerror(errno));
        fclose(c.out);
        unlink(tmp);
        goto done;
    }
    fclose(c.out);
    if (st == LLMT_OK && rename(tmp, final) != 0)
        st = llmt_error_set(err, LLMT_E_IO, "%s: %s", final, strerror(errno));
    if (st != LLMT_OK)
        unlink(tmp);
done:
    free(final);
    free(tmp);
    return st;
}

bool llmt_formats_parse(const char *list, unsigned *out, char *bad, size_t bad_size)
{
    static const struct {
        const char *name;
        unsigned bit;
    } names[] = {{"json", LLMT_FORMAT_JSON}, {"md", LLMT_FORMAT_MD}, {"html", LLMT_FORMAT_HTML},
                 {"junit", LLMT_FORMAT_JUNIT}, {"csv", LLMT_FORMAT_CSV}};
    const char *p = list;
    while (*p) {
        size_t len = strcspn(p, ","), i;
        bool known = false;
        for (i = 0; i < sizeof names / sizeof names[0]; i++) {
            if (strlen(names[i].name) == len && strncmp(names[i].name, p, len) == 0) {
                *out |= names[i].bit;
                known = true;
            }
        }
        if (!known && len) {
            snprintf(bad, bad_size, "%.*s", (int)len, p);
            return false;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    return true;
}

llmt_status llmt_reports_write(const char *dir, const char *jsonl_path, const llmt_run_meta *meta,
                               const llmt_summary *s, unsigned formats, llmt_error *err)
{
    static const struct {
        unsigned bit;
        const char *file;
        llmt_status (*write)(const char *, const char *, const llmt_run_meta *,
                             const llmt_summary *, llmt_error *);
    } writers[] = {{LLMT_FORMAT_MD, "report.md", llmt_report_md_write},
                   {LLMT_FORMAT_HTML, "report.html", llmt_report_html_write},
                   {LLMT_FORMAT_JUNIT, "junit.xml", llmt_report_junit_write},
                   {LLMT_FORMAT_CSV, "results.csv", llmt_report_csv_write}};
    llmt_status st = LLMT_OK;
    size_t i;
    if (formats & LLMT_FORMAT_JSON)
        st = results_json_write(dir, jsonl_path, meta, s, err);
    for (i = 0; st == LLMT_OK && i < sizeof writers / sizeof writers[0]; i++) {
        char *path;
        if (!(formats & writers[i].bit))
            continue;
        path = llmt_path_join(dir, writers[i].file);
        st = path ? writers[i].write(path, jsonl_path, meta, s, err)
                  : llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
        free(path);
    }
    return st;
}

/* The distinct "provider:model" of a results file, in first-seen order. */
typedef struct model_list {
    char **v;
    size_t n;
} model_list;

static char *model_ref_of(const json_t *r)
{
    const char *p = json_string_value(json_object_get(r, "provider"));
    const char *m = json_string_value(json_object_get(r, "model"));
    return llmt_asprintf("%s:%s", p ? p : "", m ? m : "");
}

static void collect_model(json_t *r, void *ud)
{
    model_list *ml = ud;
    char *ref = model_ref_of(r);
    char **nv;
    size_t i;
    for (i = 0; ref && i < ml->n; i++) {
        if (strcmp(ml->v[i], ref) == 0) {
            free(ref);
            return;
        }
    }
    nv = ref ? realloc(ml->v, (ml->n + 1) * sizeof(*nv)) : NULL;
    if (!nv) {
        free(ref);
        return;
    }
    ml->v = nv;
    ml->v[ml->n++] = ref;
}

typedef struct add_ctx {
    llmt_summary *s;
    const model_list *ml;
} add_ctx;

static void add_result(json_t *r, void *ud)
{
    add_ctx *c = ud;
    char *ref = model_ref_of(r);
    size_t i;
    for (i = 0; ref && i < c->ml->n; i++)
        if (strcmp(c->ml->v[i], ref) == 0)
            llmt_summary_add(c->s, 0, 0, (unsigned)i, r);
    free(ref);
}

llmt_status llmt_summary_from_jsonl(llmt_summary *s, const char *jsonl_path, llmt_error *err)
{
    model_list ml = {NULL, 0};
    add_ctx ac;
    llmt_status st = llmt_jsonl_foreach(jsonl_path, collect_model, &ml, err);
    if (st == LLMT_OK) {
        llmt_summary_init(s, (const char *const *)ml.v, ml.n);
        ac.s = s;
        ac.ml = &ml;
        st = llmt_jsonl_foreach(jsonl_path, add_result, &ac, err);
    }
    llmt_free_strv(ml.v, ml.n);
    return st;
}

llmt_status llmt_report_save(const char *path, llmt_buf *b, llmt_status st, llmt_error *err)
{
    if (st == LLMT_OK && b->oom)
        st = llmt_error_set(err, LLMT_E_NOMEM, "out of memory writing %s", path);
    if (st == LLMT_OK)
        st = llmt_write_file_atomic(path, b->data, b->len, err);
    llmt_buf_free(b);
    return st;
}

void llmt_markup_escape(llmt_buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': llmt_buf_puts(b, "&lt;"); break;
        case '>': llmt_buf_puts(b, "&gt;"); break;
        case '&': llmt_buf_puts(b, "&amp;"); break;
        case '"': llmt_buf_puts(b, "&quot;"); break;
        case '\'': llmt_buf_puts(b, "&#39;"); break;
        default:
            if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t' && *s != '\r')
                llmt_buf_puts(b, " ");
            else
                llmt_buf_append(b, s, 1);
        }
    }
}
