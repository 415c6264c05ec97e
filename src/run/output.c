/* O_TMPFILE (an unnamed file that a killed run leaves nothing of), sync_file_range */
#define _GNU_SOURCE
#include "run/output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "run/formats.h"

/* results.json written alongside (see below) */
static void json_mirror_add(llmt_output *o, const char *data, size_t len);
static bool json_mirror_yield(llmt_output *o, const char *rest, size_t len);
static void json_mirror_drop(llmt_output *o);

llmt_status llmt_output_open(llmt_output *o, const char *dir, bool append, llmt_error *err)
{
    llmt_status st;
    memset(o, 0, sizeof(*o));
    st = llmt_mkdirs(dir, err);
    if (st != LLMT_OK)
        return st;
    o->json_fd = -1;
    o->appended = append;
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
    size_t done;
    bool bad;
    if (!b->len)
        return LLMT_OK;
    /* one fwrite on an unbuffered stream is one write() of whole lines */
    done = fwrite(b->data, 1, b->len, o->jsonl);
    bad = done != b->len || fflush(o->jsonl) != 0;
    if (bad)
        bad = !json_mirror_yield(o, b->data + done, b->len - done);
    if (!bad)
        json_mirror_add(o, b->data, b->len);
    b->len = 0;
    b->data[0] = '\0';
    if (bad) /* a write cut short (disk full) may have left half a line at the end */
        return llmt_error_set(err, LLMT_E_IO,
                              "%s: %s; its last line may be torn: once there is room, "
                              "llm-tester run --resume %s repairs it and sends what is missing",
                              o->jsonl_path, strerror(errno), o->dir);
    return LLMT_OK;
}

void llmt_output_close(llmt_output *o)
{
    json_mirror_drop(o); /* unnamed: closing it is deleting it */
    llmt_buf_free(&o->json_buf);
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

static llmt_status jsonl_lines(const char *path, jsonl_line_fn fn, void *ud, bool *torn,
                               llmt_error *err)
{
    FILE *f = fopen(path, "rb");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    if (torn)
        *torn = false;
    if (!f)
        return llmt_error_set(err, LLMT_E_IO, "%s: %s", path, strerror(errno));
    while ((n = getline(&line, &cap, f)) > 0) {
        size_t len = (size_t)n;
        if (line[len - 1] != '\n') {
            if (torn)
                *torn = true;
            break;
        }
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        fn(line, len, ud);
    }
    free(line);
    fclose(f);
    return LLMT_OK;
}

llmt_status llmt_jsonl_lines(const char *path, llmt_jsonl_line_fn fn, void *ud, llmt_error *err)
{
    return jsonl_lines(path, fn, ud, NULL, err);
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
    return jsonl_lines(path, parse_line, &p, NULL, err);
}

/* results.json is a header, the lines of results.jsonl as an array, then the summary.
 * Both ways of writing it (from results.jsonl at the end, or alongside it during the run)
 * print it with the three functions below, so their bytes are the same. */
static void json_head(llmt_buf *b, const llmt_run_meta *meta, double finished_at)
{
    char started[32], finished[32];
    llmt_iso_time(meta->started_at, started, sizeof started);
    llmt_iso_time(finished_at, finished, sizeof finished);
    llmt_buf_printf(b,
                    "{\n  \"run_id\": \"%s\",\n  \"started_at\": \"%s\",\n  \"finished_at\": \"%s\",\n"
                    "  \"results\": [",
                    meta->run_id, started, finished);
}

/* Adds one complete line of results.jsonl (without its line end) to the array as it is:
 * the lines were written by llmt_output_add/flush (compact JSON objects, whole lines per
 * write), so re-parsing and re-printing 100,000 of them would only cost time. A line that
 * is not an object is skipped, as llmt_jsonl_foreach skips what does not parse. */
static void json_item(llmt_buf *b, size_t *n, const char *line, size_t len)
{
    if (len < 2 || line[0] != '{' || line[len - 1] != '}')
        return;
    llmt_buf_puts(b, (*n)++ ? ",\n    " : "\n    ");
    llmt_buf_append(b, line, len);
}

/* `,\n  "name": ` and v (stolen) printed with indentation. */
static void json_member(llmt_buf *b, const char *name, json_t *v)
{
    char *text = v ? json_dumps(v, JSON_INDENT(2) | JSON_ENSURE_ASCII) : NULL;
    llmt_buf_printf(b, ",\n  \"%s\": ", name);
    if (!text)
        b->oom = true;
    else
        llmt_buf_puts(b, text);
    free(text);
    json_decref(v);
}

static void json_tail(llmt_buf *b, size_t n, const llmt_summary *s)
{
    llmt_buf_puts(b, n ? "\n  ]" : "]");
    json_member(b, "summary", llmt_summary_json(s));
    /* the answers fallbacks gave, summarised under the model that gave them */
    if (s->n_fallbacks)
        json_member(b, "fallback_summary", llmt_summary_fallback_json(s));
    if (llmt_summary_max_repeats(s) > 1)
        json_member(b, "repeat_stats", llmt_summary_cases_json(s));
    /* what the providers' reported usage cost beyond the estimates the budget held */
    if (s->over_estimate_measured)
        json_member(b, "usage_over_estimate",
                    json_pack("{s:I, s:f}", "calls", (json_int_t)s->over_estimate_calls, "usd",
                              s->over_estimate_usd));
    llmt_buf_puts(b, "\n}\n");
}

/* What is printed goes out in pieces of this size. */
#define JSON_CHUNK (256 * 1024)

typedef struct copy_ctx {
    FILE *out;
    llmt_buf b;
    size_t n;
    int write_errno; /* of the first failed write (chunks this big bypass stdio's buffer,
                        so the final fflush would not report it) */
} copy_ctx;

static void copy_out(copy_ctx *c)
{
    if (c->b.len && fwrite(c->b.data, 1, c->b.len, c->out) != c->b.len && !c->write_errno)
        c->write_errno = errno ? errno : EIO;
    c->b.len = 0;
}

static void copy_line(const char *line, size_t len, void *ud)
{
    copy_ctx *c = ud;
    json_item(&c->b, &c->n, line, len);
    if (c->b.len >= JSON_CHUNK)
        copy_out(c);
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
    copy_ctx c;
    llmt_status st = LLMT_OK;
    memset(&c, 0, sizeof c);
    c.out = fopen(tmp, "wb");
    if (!c.out) {
        st = llmt_error_set(err, LLMT_E_IO, "%s: %s", tmp, strerror(errno));
        goto done;
    }
    json_head(&c.b, meta, meta->finished_at);
    st = jsonl_lines(jsonl_path, copy_line, &c, NULL, err);
    json_tail(&c.b, c.n, s);
    if (c.b.oom && st == LLMT_OK)
        st = llmt_error_set(err, LLMT_E_NOMEM, "out of memory writing %s", final);
    copy_out(&c);
    if (c.write_errno || fflush(c.out) != 0 || fsync(fileno(c.out)) != 0) {
        st = llmt_error_set(err, LLMT_E_IO, "%s: %s", tmp,
                            strerror(c.write_errno ? c.write_errno : errno));
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
    llmt_buf_free(&c.b);
    free(final);
    free(tmp);
    return st;
}

/* ---------------------------------------------------------------- results.json alongside
 *
 * Writing results.json at the end meant reading all of results.jsonl back and writing it
 * again while the user waits (and 100,000 results are ~80 MB). Instead each batch of
 * lines also goes, in results.json's form, to an unnamed temporary file in the output
 * folder (O_TMPFILE: a run killed at any point leaves nothing behind), and the end only
 * adds the summary, puts the real finished_at into the header (same width as the
 * stand-in written first), syncs, names the file and renames it over results.json. On
 * any doubt (no O_TMPFILE, a write error, a results.jsonl that does not end in a whole
 * line) the mirror is dropped and results.json is written from results.jsonl at the end,
 * as before. */

static void json_mirror_drop(llmt_output *o)
{
    if (o->json_on)
        close(o->json_fd);
    o->json_on = false;
    o->json_fd = -1;
}

/* Writes the pending part; false on failure. */
static bool json_mirror_write(llmt_output *o)
{
    llmt_buf *b = &o->json_buf;
    size_t off = 0;
    if (b->oom)
        return false;
    while (off < b->len) {
        ssize_t w = write(o->json_fd, b->data + off, b->len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        off += (size_t)w;
    }
    o->json_size += b->len;
    b->len = 0;
#ifdef SYNC_FILE_RANGE_WRITE
    /* have the kernel start writing it to disk a megabyte at a time, so that the fsync
     * at the end waits for the last megabyte rather than for the whole file */
    if (o->json_size - o->json_synced >= (1u << 20)) {
        sync_file_range(o->json_fd, (off_t)o->json_synced, (off_t)(o->json_size - o->json_synced),
                        SYNC_FILE_RANGE_WRITE);
        o->json_synced = o->json_size;
    }
#endif
    return true;
}

static void mirror_line(const char *line, size_t len, void *ud)
{
    llmt_output *o = ud;
    json_item(&o->json_buf, &o->json_n, line, len);
    if (o->json_buf.len >= JSON_CHUNK && !o->json_bad)
        o->json_bad = !json_mirror_write(o);
}

/* A write to results.jsonl failed: when the copy is on, it may hold the space that
 * results.jsonl needs (a full disk), and results.jsonl comes first: the copy goes (its
 * space with it; results.json is then written at the end, as before) and the rest of the
 * batch is written again. false when that was not possible or failed again. */
static bool json_mirror_yield(llmt_output *o, const char *rest, size_t len)
{
    if (!o->json_on)
        return false;
    json_mirror_drop(o);
    clearerr(o->jsonl);
    return fwrite(rest, 1, len, o->jsonl) == len && fflush(o->jsonl) == 0;
}

static void json_mirror_add(llmt_output *o, const char *data, size_t len)
{
    const char *p = data, *end = data + len;
    if (!o->json_on)
        return;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n;
        if (!nl) { /* not a whole line: results.json is written from results.jsonl */
            json_mirror_drop(o);
            return;
        }
        n = (size_t)(nl - p);
        while (n && p[n - 1] == '\r') /* the line end, as jsonl_lines strips it */
            n--;
        mirror_line(p, n, o);
        p = nl + 1;
    }
    if (o->json_bad || !json_mirror_write(o))
        json_mirror_drop(o);
}

void llmt_output_json_begin(llmt_output *o, const llmt_run_meta *meta)
{
#ifdef O_TMPFILE
    llmt_error ignore;
    bool torn = false;
    if (!o->jsonl || o->json_on)
        return;
    o->json_fd = open(o->dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
    if (o->json_fd < 0)
        return;
    o->json_on = true;
    o->json_bad = false;
    o->json_n = o->json_size = o->json_synced = 0;
    o->json_buf.len = 0;
    /* finished_at is not known yet: started_at stands in for it (same width) */
    json_head(&o->json_buf, meta, meta->started_at);
    o->json_head_len = o->json_buf.len;
    /* a resumed run appends to results.jsonl: the results it keeps come first. After a
     * torn last line the next line appended is glued to it; what results.json makes of
     * that is left to the writing from results.jsonl at the end, as before. */
    if ((o->appended && (jsonl_lines(o->jsonl_path, mirror_line, o, &torn, &ignore) != LLMT_OK ||
                         torn || o->json_bad)) ||
        !json_mirror_write(o))
        json_mirror_drop(o);
#else
    (void)o;
    (void)meta;
#endif
}

/* Completes the mirror into results.json; when it cannot, writes results.json from
 * results.jsonl (whose errors are then the ones reported). */
static llmt_status results_json_finish(llmt_output *o, const llmt_run_meta *meta,
                                       const llmt_summary *s, llmt_error *err)
{
    llmt_buf head = {0};
    char *final = NULL, *tmp = NULL;
    char proc[48];
    llmt_status st = LLMT_OK;
    if (!o->json_on)
        goto fallback;
    json_tail(&o->json_buf, o->json_n, s);
    json_head(&head, meta, meta->finished_at);
    if (head.oom || head.len != o->json_head_len || !json_mirror_write(o) ||
        pwrite(o->json_fd, head.data, head.len, 0) != (ssize_t)head.len || fsync(o->json_fd) != 0)
        goto fallback;
    final = llmt_path_join(o->dir, "results.json");
    tmp = final ? llmt_asprintf("%s.tmp.%ld", final, (long)getpid()) : NULL;
    if (!tmp)
        goto fallback;
    /* naming an O_TMPFILE file: linkat through /proc needs no privilege (AT_EMPTY_PATH
     * would); a temp name left by an earlier process with our pid is replaced, as fopen's
     * "wb" does in results_json_write */
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", o->json_fd);
    if (linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) != 0 &&
        (errno != EEXIST || unlink(tmp) != 0 ||
         linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) != 0))
        goto fallback;
    if (rename(tmp, final) != 0) {
        st = llmt_error_set(err, LLMT_E_IO, "%s: %s", final, strerror(errno));
        unlink(tmp);
    }
    goto done;
fallback:
    st = results_json_write(o->dir, o->jsonl_path, meta, s, err);
done:
    json_mirror_drop(o);
    llmt_buf_free(&head);
    free(final);
    free(tmp);
    return st;
}

/* The reports other than results.json. */
static llmt_status other_reports_write(const char *dir, const char *jsonl_path,
                                       const llmt_run_meta *meta, const llmt_summary *s,
                                       unsigned formats, llmt_error *err)
{
    llmt_status st = LLMT_OK;
    const llmt_report_format *f;
    for (f = llmt_report_formats; st == LLMT_OK && f->name; f++) {
        char *path;
        if (!(formats & f->bit) || !f->write)
            continue;
        path = llmt_path_join(dir, f->file);
        st = path ? f->write(path, jsonl_path, meta, s, err)
                  : llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
        free(path);
    }
    return st;
}

llmt_status llmt_reports_write(const char *dir, const char *jsonl_path, const llmt_run_meta *meta,
                               const llmt_summary *s, unsigned formats, llmt_error *err)
{
    llmt_status st = LLMT_OK;
    if (formats & LLMT_FORMAT_JSON)
        st = results_json_write(dir, jsonl_path, meta, s, err);
    if (st == LLMT_OK)
        st = other_reports_write(dir, jsonl_path, meta, s, formats, err);
    return st;
}

llmt_status llmt_output_reports_write(llmt_output *o, const llmt_run_meta *meta,
                                      const llmt_summary *s, unsigned formats, llmt_error *err)
{
    llmt_status st = LLMT_OK;
    if (formats & LLMT_FORMAT_JSON)
        st = results_json_finish(o, meta, s, err);
    else
        json_mirror_drop(o);
    if (st == LLMT_OK)
        st = other_reports_write(o->dir, o->jsonl_path, meta, s, formats, err);
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
