/* Validation speed: a ~5 MB answer (a list of papers) against the schema Pydantic 2
 * writes for tests/fixtures/pydantic/gen.py's Paper model (ORCID and DOI patterns, a
 * UUID, Decimal's look-ahead pattern, dates, a tuple as prefixItems, $ref, anyOf),
 * wrapped as {"papers": [Paper, ...]}.
 *
 * Usage: bench_validate [PAPERS] [ROUNDS]. Prints the median and range over ROUNDS of
 * llmt_schema_validate on a valid answer and on one with a broken ORCID in every 10th
 * paper, next to json_equal (one walk over the same data) and json_loads of the answer. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/jsonutil.h"
#include "score/validate.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct stats {
    double median, min, max;
} stats;

static stats summarize(double *t, int n)
{
    stats s;
    qsort(t, (size_t)n, sizeof(*t), cmp_double);
    s.median = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
    s.min = t[0];
    s.max = t[n - 1];
    return s;
}

/* {"$defs": {..., "Paper": <model>}, "type": "object", "required": ["papers"],
 *  "properties": {"papers": {"type": "array", "items": {"$ref": "#/$defs/Paper"}}}} */
static json_t *wrap_schema(json_t *model)
{
    json_t *defs = json_deep_copy(json_object_get(model, "$defs")), *paper = json_deep_copy(model);
    json_object_del(paper, "$defs");
    json_object_set_new(defs, "Paper", paper);
    return json_pack("{s:o, s:s, s:[s], s:{s:{s:s, s:{s:s}}}}", "$defs", defs, "type", "object",
                     "required", "papers", "properties", "papers", "type", "array", "items", "$ref",
                     "#/$defs/Paper");
}

static json_t *make_paper(size_t i, bool broken)
{
    char id[40], doi[64], orcid[24], title[300], url[80];
    size_t k;
    snprintf(id, sizeof id, "%08zx-7c1f-4f4e-9a55-%012zx", i, i * 7919);
    snprintf(doi, sizeof doi, "10.%04zu/journal.pone.%07zu", 1000 + i % 9000, i);
    snprintf(orcid, sizeof orcid, "0000-0002-%04zu-00%s", i % 10000, broken ? "9Y" : "9X");
    snprintf(url, sizeof url, "https://example.org/papers/%zu?format=pdf", i);
    k = (size_t)snprintf(title, sizeof title, "On the structure of extracted data, part %zu: ", i);
    while (k + 12 < sizeof title)
        k += (size_t)snprintf(title + k, sizeof title - k, "données %zu ", k);
    return json_pack("{s:s, s:s, s:s, s:[{s:s, s:s}, {s:s, s:n}, {s:s}], s:s, s:s, s:s, s:s, s:[f, f], s:s}",
                     "id", id, "doi", doi, "title", title, "authors", "name", "Ada Lovelace", "orcid",
                     orcid, "name", "Charles Babbage", "orcid", "name", "Émilie du Châtelet",
                     "published", "2024-02-29", "updated", "2024-03-01T10:00:00.5+01:00", "url", url,
                     "apc", "1234.50", "location", 48.8566, 2.3522, "kind", "article");
}

/* Times `fn` ROUNDS times and prints a row; returns the median. `base` 0: this is the
 * baseline. */
static double run(const char *label, int rounds, double base, void (*fn)(void *), void *arg)
{
    double *t = calloc((size_t)rounds, sizeof(*t));
    stats s;
    int r;
    for (r = 0; r < rounds; r++) {
        double t0 = now_ms();
        fn(arg);
        t[r] = now_ms() - t0;
    }
    s = summarize(t, rounds);
    printf("| %s | %.1f | %.1f–%.1f | %.2f× |\n", label, s.median, s.min, s.max, base > 0 ? s.median / base : 1.0);
    free(t);
    return s.median;
}

typedef struct job {
    const llmt_schema *schema;
    json_t *doc, *copy;
    const char *text;
    size_t len;
    bool want_valid;
} job;

static void do_equal(void *a)
{
    job *j = a;
    if (!json_equal(j->doc, j->copy))
        abort();
}

static void do_load(void *a)
{
    job *j = a;
    json_error_t je;
    json_decref(llmt_json_loadb(j->text, j->len, 0, &je));
}

static void do_validate(void *a)
{
    job *j = a;
    json_t *v = json_array();
    if (llmt_schema_validate(j->schema, j->doc, v) != j->want_valid)
        abort();
    json_decref(v);
}

int main(int argc, char **argv)
{
    size_t papers = argc > 1 ? strtoul(argv[1], NULL, 10) : 7100, i;
    int rounds = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 9;
    json_error_t je;
    json_t *model = llmt_json_load_file(LLMT_SOURCE_DIR "/tests/fixtures/pydantic/paper.schema.json", 0, &je);
    json_t *schema, *good = json_array(), *bad = json_array(), *gdoc, *bdoc;
    llmt_diags d = {0};
    llmt_schema *s;
    job g, b;
    double base;
    char *text;
    if (!model || rounds < 1 || rounds > 64) {
        fprintf(stderr, "bench_validate: cannot read the Paper schema (%s) or bad ROUNDS\n", je.text);
        return 2;
    }
    schema = wrap_schema(model);
    s = llmt_schema_compile(schema, "paper.schema.json", &d);
    if (!s)
        return 2;
    for (i = 0; i < papers; i++) {
        json_array_append_new(good, make_paper(i, false));
        json_array_append_new(bad, make_paper(i, i % 10 == 0));
    }
    gdoc = json_pack("{s:o}", "papers", good);
    bdoc = json_pack("{s:o}", "papers", bad);
    text = json_dumps(gdoc, JSON_COMPACT);
    memset(&g, 0, sizeof g);
    g.schema = s, g.doc = gdoc, g.copy = json_deep_copy(gdoc), g.text = text, g.len = strlen(text);
    g.want_valid = true;
    b = g;
    b.doc = bdoc, b.want_valid = false;
    printf("Answer: %.2f MB of JSON, %zu papers; %d rounds.\n\n", g.len / 1e6, papers, rounds);
    printf("| operation | median ms | range ms | vs json_equal |\n|---|---:|---:|---:|\n");
    base = run("json_equal(answer, identical copy) — baseline", rounds, 0, do_equal, &g);
    run("json_loads of the answer (for scale)", rounds, base, do_load, &g);
    run("llmt_schema_validate, valid answer", rounds, base, do_validate, &g);
    run("llmt_schema_validate, bad ORCID in every 10th paper", rounds, base, do_validate, &b);
    llmt_schema_free(s);
    llmt_diags_free(&d);
    json_decref(schema);
    json_decref(model);
    json_decref(gdoc);
    json_decref(bdoc);
    json_decref(g.copy);
    free(text);
    return 0;
}
